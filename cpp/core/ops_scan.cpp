// Scan front end: lays the input out as contiguous [outer, n, inner] around dim and runs the
// cpu/scan kernels.
#include "core/frontend.h"
#include "tensorforge/sort_ops.h"

namespace tensorforge {

using namespace core;

namespace {

// The input, contiguous, and its [outer, n, inner] layout around dim.
struct ScanLayout {
  Tensor input;
  DimLayout l;
};

ScanLayout scan_layout(const Tensor& x, int64_t dim, const char* op) {
  check_defined(x, op);
  return {contiguous(x), dim_layout(x, dim, op)};
}

DType scan_out_dtype(DType dt) { return is_floating(dt) ? dt : DType::Int64; }

Tensor run_scan(kernels::ScanKernel const (&table)[kNumDTypes], const Tensor& x_in, int64_t dim,
                std::optional<DType> dtype, bool reverse, const char* op) {
  check_defined(x_in, op);
  const Tensor x = dtype ? to_dtype(x_in, *dtype) : x_in;
  const ScanLayout l = scan_layout(x, dim, op);
  auto fn = need(table[static_cast<int>(x.dtype())], op, x.dtype());
  Tensor out = Tensor::empty(x.shape(), scan_out_dtype(x.dtype()));
  if (x.numel() > 0)
    fn(static_cast<const char*>(l.input.data_ptr()), static_cast<char*>(out.data_ptr()), l.l.outer, l.l.n, l.l.inner,
       reverse);
  return out;
}

std::pair<Tensor, Tensor> run_extreme(kernels::CumExtremeKernel const (&table)[kNumDTypes], const Tensor& x,
                                      int64_t dim, const char* op) {
  const ScanLayout l = scan_layout(x, dim, op);
  auto fn = need(table[static_cast<int>(x.dtype())], op, x.dtype());
  Tensor values = Tensor::empty(x.shape(), x.dtype());
  Tensor indices = Tensor::empty(x.shape(), DType::Int64);
  if (x.numel() > 0)
    fn(static_cast<const char*>(l.input.data_ptr()), static_cast<char*>(values.data_ptr()), indices.data<int64_t>(),
       l.l.outer, l.l.n, l.l.inner);
  return {values, indices};
}

}  // namespace

Tensor cumsum(const Tensor& x, int64_t dim, std::optional<DType> dtype, bool reverse) {
  return run_scan(K().cumsum, x, dim, dtype, reverse, "cumsum");
}

Tensor cumprod(const Tensor& x, int64_t dim, std::optional<DType> dtype) {
  return run_scan(K().cumprod, x, dim, dtype, false, "cumprod");
}

Tensor logcumsumexp(const Tensor& x, int64_t dim, bool reverse) {
  check_defined(x, "logcumsumexp");
  if (!is_floating(x.dtype()))
    fail<DTypeError>("logcumsumexp", "not implemented for dtype ", dtype_name(x.dtype()),
                     " (expected a floating point tensor)");
  return run_scan(K().logcumsumexp, x, dim, std::nullopt, reverse, "logcumsumexp");
}

std::pair<Tensor, Tensor> cummax(const Tensor& x, int64_t dim) { return run_extreme(K().cummax, x, dim, "cummax"); }
std::pair<Tensor, Tensor> cummin(const Tensor& x, int64_t dim) { return run_extreme(K().cummin, x, dim, "cummin"); }

Tensor cumprod_backward(const Tensor& grad, const Tensor& x, const Tensor& out, int64_t dim) {
  const char* op = "cumprod_backward";
  check_defined(grad, op, "grad");
  check_defined(out, op, "output");
  if (grad.shape() != x.shape() || out.shape() != x.shape())
    fail<ShapeError>(op, "grad ", shape_str(grad.shape()), ", input ", shape_str(x.shape()), " and output ",
                     shape_str(out.shape()), " must have the same shape");
  const ScanLayout l = scan_layout(x, dim, op);
  auto fn = need(K().cumprod_backward[static_cast<int>(x.dtype())], op, x.dtype());
  const Tensor g = as_contiguous(grad, x.dtype()), o = as_contiguous(out, x.dtype());
  Tensor gin = Tensor::empty(x.shape(), x.dtype());
  if (x.numel() > 0)
    fn(static_cast<const char*>(g.data_ptr()), static_cast<const char*>(l.input.data_ptr()),
       static_cast<const char*>(o.data_ptr()), static_cast<char*>(gin.data_ptr()), l.l.outer, l.l.n, l.l.inner);
  return gin;
}

}  // namespace tensorforge
