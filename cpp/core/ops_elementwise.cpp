// Elementwise front end: promotion, broadcasting, then the per-dtype loops.
#include <cmath>

#include "core/frontend.h"

namespace tensorforge {

using namespace core;

namespace {

const char* unary_name(UnaryOp op) {
  static const char* names[] = {
      "neg", "abs", "exp", "log", "sqrt", "rsqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu",
      "sign", "floor", "ceil", "round", "trunc", "reciprocal", "square", "log1p", "expm1", "log2",
      "log10", "erf", "asin", "acos", "atan", "gelu", "gelu", "silu", "softplus", "leaky_relu", "elu",
      "clamp", "pow", "pow", "logical_not", "isnan", "isinf", "isfinite",
      "sinh", "cosh", "asinh", "acosh", "atanh", "exp2", "erfinv", "erfc", "frac", "logit", "bitwise_not"};
  static_assert(sizeof(names) / sizeof(names[0]) == static_cast<int>(UnaryOp::Count));
  return names[static_cast<int>(op)];
}

const char* binary_name(BinaryOp op) {
  static const char* names[] = {
      "add", "sub", "mul", "div", "pow", "maximum", "minimum", "remainder", "floor_divide", "atan2",
      "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor",
      "relu_backward", "sigmoid_backward", "tanh_backward", "gelu_backward", "gelu_backward",
      "silu_backward", "softplus_backward", "leaky_relu_backward", "elu_backward",
      "fmod", "hypot", "xlogy", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift",
      "bitwise_right_shift"};
  static_assert(sizeof(names) / sizeof(names[0]) == static_cast<int>(BinaryOp::Count));
  return names[static_cast<int>(op)];
}

// Math that PyTorch computes in floating point even for integer inputs (exp(int) -> float32).
bool promotes_int_to_float(UnaryOp op) {
  switch (op) {
    case UnaryOp::Exp: case UnaryOp::Log: case UnaryOp::Sqrt: case UnaryOp::Rsqrt:
    case UnaryOp::Sin: case UnaryOp::Cos: case UnaryOp::Tan: case UnaryOp::Tanh:
    case UnaryOp::Sigmoid: case UnaryOp::Reciprocal: case UnaryOp::Log1p: case UnaryOp::Expm1:
    case UnaryOp::Log2: case UnaryOp::Log10: case UnaryOp::Erf: case UnaryOp::Asin:
    case UnaryOp::Acos: case UnaryOp::Atan: case UnaryOp::RPowScalar:
    case UnaryOp::Sinh: case UnaryOp::Cosh: case UnaryOp::Asinh: case UnaryOp::Acosh:
    case UnaryOp::Atanh: case UnaryOp::Exp2: case UnaryOp::Erfinv: case UnaryOp::Erfc: case UnaryOp::Logit:
      return true;
    default:
      return false;
  }
}

bool binary_needs_float(BinaryOp op) {
  return op == BinaryOp::Div || op == BinaryOp::Atan2 || op == BinaryOp::Hypot || op == BinaryOp::Xlogy ||
         (op >= BinaryOp::ReluBackward && op <= BinaryOp::EluBackward);
}

// Whether a value of dtype `from` may be written into a tensor of dtype `to` in place.
bool can_cast(DType from, DType to) {
  if (is_floating(from) && !is_floating(to)) return false;
  if (from != DType::Bool && to == DType::Bool) return false;
  return true;
}

DType unary_compute_dtype(UnaryOp op, DType dt) {
  if (!is_floating(dt) && promotes_int_to_float(op)) return DType::Float32;
  return dt;
}

void check_int_divisor(BinaryOp op, const Tensor& b, DType dt) {
  if (!(op == BinaryOp::FloorDivide || op == BinaryOp::Remainder || op == BinaryOp::Fmod) || is_floating(dt)) return;
  Tensor zero = reduce(ReduceOp::Any, binary(BinaryOp::Eq, b, scalar_tensor(0, dt)));
  if (*zero.data<bool>()) fail<Error>(binary_name(op), "ZeroDivisionError: integer division by zero");
}

struct BinaryPlan {
  DType compute;
  DType out;
  kernels::BinaryLoop loop;
};

BinaryPlan plan_binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  const char* name = binary_name(op);
  check_defined(a, name);
  check_defined(b, name);
  DType dt = result_type(a, b);
  if (binary_needs_float(op) && !is_floating(dt)) dt = DType::Float32;
  if (op == BinaryOp::Sub && dt == DType::Bool)
    fail<DTypeError>(name, "subtraction of bool tensors is not supported; use logical_xor or ~");
  auto loop = need(K().binary[static_cast<int>(op)][static_cast<int>(dt)], name, dt);
  return {dt, binary_outputs_bool(op) ? DType::Bool : dt, loop};
}

// Contiguous operands of the output's shape, or 1-element ones broadcast as scalars: one flat
// loop, no iterator to build (the common case, and most of the cost for small tensors).
bool flat_operand(const Tensor& t, const Tensor& out, int64_t* stride) {
  if (t.numel() == 1) {
    *stride = 0;
    return true;
  }
  *stride = t.itemsize();
  return t.shape() == out.shape() && t.is_contiguous();
}

void run_binary(const BinaryPlan& plan, const Tensor& out, const Tensor& a, const Tensor& b,
                double alpha, double beta) {
  int64_t sa = 0, sb = 0;
  if (out.is_contiguous() && flat_operand(a, out, &sa) && flat_operand(b, out, &sb)) {
    char* po = static_cast<char*>(out.data_ptr());
    const char* pa = static_cast<const char*>(a.data_ptr());
    const char* pb = static_cast<const char*>(b.data_ptr());
    const int64_t so = out.itemsize();
    parallel_for(0, out.numel(), kElementwiseGrain, [&](int64_t i0, int64_t i1) {
      plan.loop(po + i0 * so, pa + i0 * sa, pb + i0 * sb, i1 - i0, so, sa, sb, alpha, beta);
    });
    return;
  }
  ElemIter it = make_iter({&out, &a, &b}, out.shape());
  for_each_segment(it, kElementwiseGrain, [&](char** p, const int64_t* s, int64_t n) {
    plan.loop(p[0], p[1], p[2], n, s[0], s[1], s[2], alpha, beta);
  });
}

}  // namespace

DType result_type(const Tensor& a, const Tensor& b) {
  return tensorforge::result_type(a.dtype(), a.ndim() == 0, b.dtype(), b.ndim() == 0);
}

Tensor unary(UnaryOp op, const Tensor& x, double alpha, double beta) {
  const char* name = unary_name(op);
  check_defined(x, name);
  const DType dt = unary_compute_dtype(op, x.dtype());
  auto loop = need(K().unary[static_cast<int>(op)][static_cast<int>(dt)], name, x.dtype());
  const Tensor in = dt == x.dtype() ? x : to_dtype(x, dt);
  Tensor out = Tensor::empty(x.shape(), unary_outputs_bool(op) ? DType::Bool : dt);
  if (in.is_contiguous()) {
    char* po = static_cast<char*>(out.data_ptr());
    const char* pi = static_cast<const char*>(in.data_ptr());
    const int64_t so = out.itemsize(), si = in.itemsize();
    parallel_for(0, out.numel(), kElementwiseGrain, [&](int64_t i0, int64_t i1) {
      loop(po + i0 * so, pi + i0 * si, i1 - i0, so, si, alpha, beta);
    });
    return out;
  }
  ElemIter it = make_iter({&out, &in}, out.shape());
  for_each_segment(it, kElementwiseGrain, [&](char** p, const int64_t* s, int64_t n) {
    loop(p[0], p[1], n, s[0], s[1], alpha, beta);
  });
  return out;
}

void unary_(UnaryOp op, const Tensor& x, double alpha, double beta) {
  const char* name = unary_name(op);
  check_defined(x, name);
  const DType dt = unary_compute_dtype(op, x.dtype());
  const DType out_dt = unary_outputs_bool(op) ? DType::Bool : dt;
  if (out_dt != x.dtype()) {
    if (!can_cast(out_dt, x.dtype()))
      fail<DTypeError>(name, "result type ", dtype_name(out_dt), " can't be cast to the desired output type ",
                       dtype_name(x.dtype()));
    copy_(x, unary(op, x, alpha, beta));
    return;
  }
  auto loop = need(K().unary[static_cast<int>(op)][static_cast<int>(dt)], name, x.dtype());
  ElemIter it = make_iter({&x, &x}, x.shape());
  for_each_segment(it, kElementwiseGrain, [&](char** p, const int64_t* s, int64_t n) {
    loop(p[0], p[1], n, s[0], s[1], alpha, beta);
  });
  x.bump_version();
}

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b, double alpha, double beta) {
  const BinaryPlan plan = plan_binary(op, a, b);
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), binary_name(op));
  const Tensor ca = a.dtype() == plan.compute ? a : to_dtype(a, plan.compute);
  const Tensor cb = b.dtype() == plan.compute ? b : to_dtype(b, plan.compute);
  check_int_divisor(op, cb, plan.compute);
  Tensor out = Tensor::empty(shape, plan.out);
  run_binary(plan, out, ca, cb, alpha, beta);
  return out;
}

void binary_(BinaryOp op, const Tensor& a, const Tensor& b, double alpha, double beta) {
  const BinaryPlan plan = plan_binary(op, a, b);
  const char* name = binary_name(op);
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), name);
  if (shape != a.shape())
    fail<ShapeError>(name, "output with shape ", shape_str(a.shape()), " doesn't match the broadcast shape ",
                     shape_str(shape), " (in-place op on ", shape_str(a.shape()), " and ", shape_str(b.shape()), ")");
  if (plan.out != a.dtype() || plan.compute != a.dtype()) {
    if (!can_cast(plan.out, a.dtype()))
      fail<DTypeError>(name, "result type ", dtype_name(plan.out), " can't be cast to the desired output type ",
                       dtype_name(a.dtype()));
    copy_(a, binary(op, a, b, alpha, beta));
    return;
  }
  const Tensor cb = b.dtype() == plan.compute ? b : to_dtype(b, plan.compute);
  check_int_divisor(op, cb, plan.compute);
  const Tensor src = (cb.storage() == a.storage() && cb.data_ptr() != a.data_ptr()) ? clone(cb) : cb;
  run_binary(plan, a, a, src, alpha, beta);
  a.bump_version();
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  check_defined(cond, "where", "condition");
  check_defined(a, "where");
  check_defined(b, "where");
  if (cond.dtype() != DType::Bool)
    fail<DTypeError>("where", "expected condition to be a bool tensor, got ", dtype_name(cond.dtype()));
  const DType dt = result_type(a, b);
  const Shape shape = broadcast_shapes(broadcast_shapes(cond.shape(), a.shape(), "where"), b.shape(), "where");
  const Tensor ca = to_dtype(a, dt), cb = to_dtype(b, dt);
  auto loop = need(K().where[static_cast<int>(dt)], "where", dt);
  Tensor out = Tensor::empty(shape, dt);
  ElemIter it = make_iter({&out, &cond, &ca, &cb}, shape);
  for_each_segment(it, kElementwiseGrain, [&](char** p, const int64_t* s, int64_t n) {
    loop(p[0], p[1], p[2], p[3], n, s[0], s[1], s[2], s[3]);
  });
  return out;
}

void masked_fill_(const Tensor& x, const Tensor& mask, const Tensor& value) {
  check_defined(x, "masked_fill_");
  check_defined(mask, "masked_fill_", "mask");
  check_defined(value, "masked_fill_", "value");
  if (mask.dtype() != DType::Bool)
    fail<DTypeError>("masked_fill_", "expected mask to be a bool tensor, got ", dtype_name(mask.dtype()));
  if (value.ndim() != 0)
    fail<ShapeError>("masked_fill_", "only supports a 0-dimensional value tensor, but got one with ",
                     value.ndim(), " dims (shape ", shape_str(value.shape()), ")");
  if (broadcast_shapes(x.shape(), mask.shape(), "masked_fill_") != x.shape())
    fail<ShapeError>("masked_fill_", "mask of shape ", shape_str(mask.shape()),
                     " cannot be broadcast to the input shape ", shape_str(x.shape()));
  const Tensor v = to_dtype(value, x.dtype());
  auto loop = need(K().where[static_cast<int>(x.dtype())], "masked_fill_", x.dtype());
  ElemIter it = make_iter({&x, &mask, &v, &x}, x.shape());
  for_each_segment(it, kElementwiseGrain, [&](char** p, const int64_t* s, int64_t n) {
    loop(p[0], p[1], p[2], p[3], n, s[0], s[1], s[2], s[3]);
  });
  x.bump_version();
}

}  // namespace tensorforge
