// Every op of ops.h, forwarded as is. Kernels run with the GIL released.
#include <pybind11/stl.h>

#include <optional>

#include "bindings.h"
#include "tensorforge/tensorforge.h"

namespace py = pybind11;

namespace tensorforge::bindings {

namespace {
// Releasing the GIL costs more than a small kernel; release it only for real work.
struct ReleaseIfLarge {
  std::optional<py::gil_scoped_release> release;
  explicit ReleaseIfLarge(int64_t elements) {
    if (elements >= 16384) release.emplace();
  }
};
using Dims = std::vector<int64_t>;
using Tensors = std::vector<Tensor>;
DType dt(int code) {
  if (code < 0 || code >= kNumDTypes) fail<DTypeError>("dtype", "unknown dtype code ", code);
  return static_cast<DType>(code);
}
}  // namespace

void bind_ops(py::module_& m) {
  const auto nogil = py::call_guard<py::gil_scoped_release>();

  // op kinds, so Python names them instead of repeating their numbers
  py::enum_<UnaryOp>(m, "UnaryOp")
      .value("Neg", UnaryOp::Neg)
      .value("Abs", UnaryOp::Abs)
      .value("Exp", UnaryOp::Exp)
      .value("Log", UnaryOp::Log)
      .value("Sqrt", UnaryOp::Sqrt)
      .value("Rsqrt", UnaryOp::Rsqrt)
      .value("Sin", UnaryOp::Sin)
      .value("Cos", UnaryOp::Cos)
      .value("Tan", UnaryOp::Tan)
      .value("Tanh", UnaryOp::Tanh)
      .value("Sigmoid", UnaryOp::Sigmoid)
      .value("Relu", UnaryOp::Relu)
      .value("Sign", UnaryOp::Sign)
      .value("Floor", UnaryOp::Floor)
      .value("Ceil", UnaryOp::Ceil)
      .value("Round", UnaryOp::Round)
      .value("Trunc", UnaryOp::Trunc)
      .value("Reciprocal", UnaryOp::Reciprocal)
      .value("Square", UnaryOp::Square)
      .value("Log1p", UnaryOp::Log1p)
      .value("Expm1", UnaryOp::Expm1)
      .value("Log2", UnaryOp::Log2)
      .value("Log10", UnaryOp::Log10)
      .value("Erf", UnaryOp::Erf)
      .value("Asin", UnaryOp::Asin)
      .value("Acos", UnaryOp::Acos)
      .value("Atan", UnaryOp::Atan)
      .value("Gelu", UnaryOp::Gelu)
      .value("GeluTanh", UnaryOp::GeluTanh)
      .value("Silu", UnaryOp::Silu)
      .value("Softplus", UnaryOp::Softplus)
      .value("LeakyRelu", UnaryOp::LeakyRelu)
      .value("Elu", UnaryOp::Elu)
      .value("Clamp", UnaryOp::Clamp)
      .value("PowScalar", UnaryOp::PowScalar)
      .value("RPowScalar", UnaryOp::RPowScalar)
      .value("LogicalNot", UnaryOp::LogicalNot)
      .value("IsNan", UnaryOp::IsNan)
      .value("IsInf", UnaryOp::IsInf)
      .value("IsFinite", UnaryOp::IsFinite)
      .value("Sinh", UnaryOp::Sinh)
      .value("Cosh", UnaryOp::Cosh)
      .value("Asinh", UnaryOp::Asinh)
      .value("Acosh", UnaryOp::Acosh)
      .value("Atanh", UnaryOp::Atanh)
      .value("Exp2", UnaryOp::Exp2)
      .value("Erfinv", UnaryOp::Erfinv)
      .value("Erfc", UnaryOp::Erfc)
      .value("Frac", UnaryOp::Frac)
      .value("Logit", UnaryOp::Logit)
      .value("BitwiseNot", UnaryOp::BitwiseNot);
  py::enum_<BinaryOp>(m, "BinaryOp")
      .value("Add", BinaryOp::Add)
      .value("Sub", BinaryOp::Sub)
      .value("Mul", BinaryOp::Mul)
      .value("Div", BinaryOp::Div)
      .value("Pow", BinaryOp::Pow)
      .value("Maximum", BinaryOp::Maximum)
      .value("Minimum", BinaryOp::Minimum)
      .value("Remainder", BinaryOp::Remainder)
      .value("FloorDivide", BinaryOp::FloorDivide)
      .value("Atan2", BinaryOp::Atan2)
      .value("Eq", BinaryOp::Eq)
      .value("Ne", BinaryOp::Ne)
      .value("Lt", BinaryOp::Lt)
      .value("Le", BinaryOp::Le)
      .value("Gt", BinaryOp::Gt)
      .value("Ge", BinaryOp::Ge)
      .value("LogicalAnd", BinaryOp::LogicalAnd)
      .value("LogicalOr", BinaryOp::LogicalOr)
      .value("LogicalXor", BinaryOp::LogicalXor)
      .value("ReluBackward", BinaryOp::ReluBackward)
      .value("SigmoidBackward", BinaryOp::SigmoidBackward)
      .value("TanhBackward", BinaryOp::TanhBackward)
      .value("GeluBackward", BinaryOp::GeluBackward)
      .value("GeluTanhBackward", BinaryOp::GeluTanhBackward)
      .value("SiluBackward", BinaryOp::SiluBackward)
      .value("SoftplusBackward", BinaryOp::SoftplusBackward)
      .value("LeakyReluBackward", BinaryOp::LeakyReluBackward)
      .value("EluBackward", BinaryOp::EluBackward)
      .value("Fmod", BinaryOp::Fmod)
      .value("Hypot", BinaryOp::Hypot)
      .value("Xlogy", BinaryOp::Xlogy)
      .value("BitwiseAnd", BinaryOp::BitwiseAnd)
      .value("BitwiseOr", BinaryOp::BitwiseOr)
      .value("BitwiseXor", BinaryOp::BitwiseXor)
      .value("LeftShift", BinaryOp::LeftShift)
      .value("RightShift", BinaryOp::RightShift);
  py::enum_<ReduceOp>(m, "ReduceOp")
      .value("Sum", ReduceOp::Sum)
      .value("Mean", ReduceOp::Mean)
      .value("Prod", ReduceOp::Prod)
      .value("Max", ReduceOp::Max)
      .value("Min", ReduceOp::Min)
      .value("Var", ReduceOp::Var)
      .value("LogSumExp", ReduceOp::LogSumExp)
      .value("All", ReduceOp::All)
      .value("Any", ReduceOp::Any);

  // creation
  m.def("empty", [](const Dims& s, int d) { return Tensor::empty(s, dt(d)); }, nogil);
  m.def("full", [](const Dims& s, double v, int d) { return full(s, v, dt(d)); }, nogil);
  m.def("scalar_tensor", [](double v, int d) { return scalar_tensor(v, dt(d)); });
  m.def("arange", [](double a, double b, double s, int d) { return arange(a, b, s, dt(d)); }, nogil);
  m.def("linspace", [](double a, double b, int64_t n, int d) { return linspace(a, b, n, dt(d)); }, nogil);
  m.def("eye", [](int64_t n, int64_t k, int d) { return eye(n, k, dt(d)); }, nogil);
  // random numbers: bind_random.cpp

  // views
  m.def("view", &view);
  m.def("reshape", &reshape, nogil);
  m.def("permute", &permute);
  m.def("transpose", &transpose);
  m.def("unsqueeze", &unsqueeze);
  m.def("squeeze", &squeeze);
  m.def("flatten", &flatten, nogil);
  m.def("expand", &expand);
  m.def("narrow", &narrow);
  m.def("slice", &slice);
  m.def("select", &select);
  m.def("as_strided", [](const Tensor& x, const Dims& s, const Dims& st, int64_t off) { return x.as_strided(s, st, off); });

  // copies
  m.def("contiguous", &contiguous, nogil);
  m.def("clone", &clone, nogil);
  m.def("to_dtype", [](const Tensor& x, int d, bool copy) { return to_dtype(x, dt(d), copy); }, nogil);
  m.def("copy_", &copy_, nogil);
  m.def("cat", &cat, nogil);
  m.def("stack", &stack, nogil);

  // elementwise
  m.def("result_type", [](const Tensor& a, const Tensor& b) { return static_cast<int>(result_type(a, b)); });
  m.def("unary", [](int op, const Tensor& x, double a, double b) {
    ReleaseIfLarge r(x.numel());
    return unary(static_cast<UnaryOp>(op), x, a, b); });
  m.def("unary_", [](int op, const Tensor& x, double a, double b) {
    ReleaseIfLarge r(x.numel());
    unary_(static_cast<UnaryOp>(op), x, a, b); });
  m.def("binary", [](int op, const Tensor& x, const Tensor& y, double a, double b) {
    ReleaseIfLarge r(x.numel() + y.numel());
    return binary(static_cast<BinaryOp>(op), x, y, a, b); });
  m.def("binary_", [](int op, const Tensor& x, const Tensor& y, double a, double b) {
    ReleaseIfLarge r(x.numel() + y.numel());
    binary_(static_cast<BinaryOp>(op), x, y, a, b); });
  m.def("add", [](const Tensor& x, const Tensor& y) {
    ReleaseIfLarge r(x.numel() + y.numel());
    return binary(BinaryOp::Add, x, y); });
  m.def("mul", [](const Tensor& x, const Tensor& y) {
    ReleaseIfLarge r(x.numel() + y.numel());
    return binary(BinaryOp::Mul, x, y); });
  m.def("where", &where, nogil);
  m.def("masked_fill_", &masked_fill_, nogil);
  m.def("fill_", &fill_, nogil);

  // reductions
  m.def("reduce", [](int op, const Tensor& x, const Dims& dims, bool keepdim, double p) {
    ReleaseIfLarge r(x.numel());
    return reduce(static_cast<ReduceOp>(op), x, dims, keepdim, p); });
  m.def("max_dim", &max_dim, nogil);
  m.def("min_dim", &min_dim, nogil);
  m.def("argmax", &argmax, nogil);
  m.def("argmin", &argmin, nogil);
  m.def("softmax", &softmax, nogil);
  m.def("softmax_backward", &softmax_backward, nogil);

  // linear algebra
  m.def("matmul", &matmul, nogil);
  m.def("mm", &mm, nogil);
  m.def("bmm", &bmm, nogil);
  m.def("linear", [](const Tensor& x, const Tensor& w, const std::optional<Tensor>& b) {
    py::gil_scoped_release release;
    return linear(x, w, b ? *b : Tensor()); });

  // indexing (undefined tensors stand for ':' and are passed as None)
  auto opt_list = [](const std::vector<std::optional<Tensor>>& in) {
    Tensors out;
    for (const auto& t : in) out.push_back(t ? *t : Tensor());
    return out;
  };
  m.def("index", [opt_list](const Tensor& x, const std::vector<std::optional<Tensor>>& idx) {
    const Tensors list = opt_list(idx);
    py::gil_scoped_release release;
    return index(x, list); });
  m.def("index_put_", [opt_list](const Tensor& x, const std::vector<std::optional<Tensor>>& idx, const Tensor& v, bool acc) {
    const Tensors list = opt_list(idx);
    py::gil_scoped_release release;
    index_put_(x, list, v, acc); });
  m.def("index_select", &index_select, nogil);
  m.def("gather", &gather, nogil);
  m.def("scatter_add", &scatter_add, nogil);
  m.def("nonzero", &nonzero, nogil);
  m.def("masked_select", &masked_select, nogil);

  // runtime: threads, ISA, allocator
  m.def("set_num_threads", &set_num_threads);
  m.def("get_num_threads", &get_num_threads);
  m.def("isa", [] { return std::string(current_isa()); });
  m.def("set_isa", &set_isa);
  m.def("available_isas", &available_isas);
  m.def("allocator_cached_bytes", &allocator_cached_bytes);
  m.def("empty_cache", &allocator_empty_cache);
}

}  // namespace tensorforge::bindings
