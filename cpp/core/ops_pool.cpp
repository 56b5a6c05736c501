// Pooling front end: output sizes (ceil_mode, padding rules) and validation, then the kernels.
#include "core/frontend.h"
#include "tensorforge/nn_ops.h"

namespace tensorforge {

using namespace core;

namespace {

struct Pooled {
  Tensor x;  // contiguous [planes, H, W] view of the input
  Shape batch;  // leading dims (N, C) or (C)
  kernels::PoolGeom g;
};

std::pair<int64_t, int64_t> two(const std::vector<int64_t>& v, const char* op, const char* what) {
  if (v.size() != 1 && v.size() != 2) fail<ValueError>(op, what, " must have 1 or 2 values, got ", v.size());
  return {v[0], v.size() == 2 ? v[1] : v[0]};
}

int64_t pool_out(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil_mode) {
  const int64_t span = in + 2 * p - d * (k - 1) - 1;
  if (span < 0) return 0;  // the window does not fit even once
  int64_t out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
  if (ceil_mode && (out - 1) * s >= in + p) --out;  // the last window must start inside the input
  return out;
}

Pooled prepare(const Tensor& input, const char* op) {
  check_defined(input, op);
  if (input.ndim() != 3 && input.ndim() != 4)
    fail<ShapeError>(op, "expected 3-D (C, H, W) or 4-D (N, C, H, W) input, got ", shape_str(input.shape()));
  if (!is_floating(input.dtype())) fail<DTypeError>(op, "expected a floating input, got ", dtype_name(input.dtype()));
  Pooled p;
  p.batch.assign(input.shape().begin(), input.shape().end() - 2);
  const int64_t h = input.shape()[input.ndim() - 2], w = input.shape()[input.ndim() - 1];
  if (h <= 0 || w <= 0) fail<ShapeError>(op, "input of shape ", shape_str(input.shape()), " has an empty plane");
  p.x = reshape(contiguous(input), {-1, h, w});
  p.g = {p.x.shape()[0], h, w, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, true, 0};
  return p;
}

void windowed(Pooled& p, const std::vector<int64_t>& kernel, const std::vector<int64_t>& stride,
              const std::vector<int64_t>& padding, const std::vector<int64_t>& dilation, bool ceil_mode, const char* op) {
  auto [kh, kw] = two(kernel, op, "kernel_size");
  auto [sh, sw] = stride.empty() ? std::make_pair(kh, kw) : two(stride, op, "stride");
  auto [ph, pw] = two(padding, op, "padding");
  auto [dh, dw] = two(dilation, op, "dilation");
  if (kh <= 0 || kw <= 0) fail<ValueError>(op, "kernel size must be greater than zero, got ", shape_str(kernel));
  if (sh <= 0 || sw <= 0) fail<ValueError>(op, "stride must be greater than zero, got ", shape_str(stride));
  if (dh <= 0 || dw <= 0) fail<ValueError>(op, "dilation must be greater than zero, got ", shape_str(dilation));
  if (ph < 0 || pw < 0 || ph > (dh * (kh - 1) + 1) / 2 || pw > (dw * (kw - 1) + 1) / 2)
    fail<ValueError>(op, "pad should be at most half of effective kernel size, but got pad=", shape_str(padding),
                     ", kernel_size=", shape_str(kernel));
  const int64_t oh = pool_out(p.g.height, kh, sh, ph, dh, ceil_mode), ow = pool_out(p.g.width, kw, sw, pw, dw, ceil_mode);
  if (oh <= 0 || ow <= 0)
    fail<ShapeError>(op, "output size (", oh, ", ", ow, ") is too small for input plane (", p.g.height, ", ",
                     p.g.width, ") with kernel ", shape_str(kernel));
  p.g.out_h = oh;
  p.g.out_w = ow;
  p.g.kh = kh;
  p.g.kw = kw;
  p.g.sh = sh;
  p.g.sw = sw;
  p.g.ph = ph;
  p.g.pw = pw;
  p.g.dh = dh;
  p.g.dw = dw;
}

Shape out_shape(const Pooled& p) {
  Shape s = p.batch;
  s.push_back(p.g.out_h);
  s.push_back(p.g.out_w);
  return s;
}

Pooled from_shape(const Shape& input_shape, DType dt, const char* op) { return prepare(Tensor::empty(input_shape, dt), op); }

}  // namespace

std::pair<Tensor, Tensor> max_pool2d(const Tensor& input, std::vector<int64_t> kernel, std::vector<int64_t> stride,
                                     std::vector<int64_t> padding, std::vector<int64_t> dilation, bool ceil_mode) {
  Pooled p = prepare(input, "max_pool2d");
  windowed(p, kernel, stride, padding, dilation, ceil_mode, "max_pool2d");
  Tensor out = Tensor::empty(out_shape(p), input.dtype());
  Tensor idx = Tensor::empty(out_shape(p), DType::Int64);
  need(K().max_pool2d[static_cast<int>(input.dtype())], "max_pool2d", input.dtype())(
      static_cast<const char*>(p.x.data_ptr()), static_cast<char*>(out.data_ptr()), idx.data<int64_t>(), p.g);
  return {out, idx};
}

Tensor max_pool2d_backward(const Tensor& grad, const Tensor& indices, const Shape& input_shape) {
  check_defined(grad, "max_pool2d_backward");
  Pooled p = from_shape(input_shape, grad.dtype(), "max_pool2d_backward");
  if (indices.shape() != grad.shape() || indices.dtype() != DType::Int64 || grad.ndim() < 2)
    fail<ShapeError>("max_pool2d_backward", "indices ", shape_str(indices.shape()), " do not match grad ",
                     shape_str(grad.shape()));
  p.g.out_h = grad.shape()[grad.ndim() - 2];
  p.g.out_w = grad.shape()[grad.ndim() - 1];
  const Tensor g = contiguous(grad), idx = contiguous(indices);
  Tensor out = Tensor::empty(input_shape, grad.dtype());
  need(K().max_pool2d_backward[static_cast<int>(grad.dtype())], "max_pool2d_backward", grad.dtype())(
      static_cast<const char*>(g.data_ptr()), idx.data<int64_t>(), static_cast<char*>(out.data_ptr()), p.g);
  return out;
}

Tensor avg_pool2d(const Tensor& input, std::vector<int64_t> kernel, std::vector<int64_t> stride,
                  std::vector<int64_t> padding, bool ceil_mode, bool count_include_pad, int64_t divisor_override) {
  Pooled p = prepare(input, "avg_pool2d");
  windowed(p, kernel, stride, padding, {1}, ceil_mode, "avg_pool2d");
  if (divisor_override < 0) fail<ValueError>("avg_pool2d", "divisor must be not zero, got ", divisor_override);
  p.g.count_include_pad = count_include_pad;
  p.g.divisor = divisor_override;
  Tensor out = Tensor::empty(out_shape(p), input.dtype());
  need(K().avg_pool2d[static_cast<int>(input.dtype())], "avg_pool2d", input.dtype())(
      static_cast<const char*>(p.x.data_ptr()), static_cast<char*>(out.data_ptr()), p.g);
  return out;
}

Tensor avg_pool2d_backward(const Tensor& grad, const Shape& input_shape, std::vector<int64_t> kernel,
                           std::vector<int64_t> stride, std::vector<int64_t> padding, bool ceil_mode,
                           bool count_include_pad, int64_t divisor_override) {
  check_defined(grad, "avg_pool2d_backward");
  Pooled p = from_shape(input_shape, grad.dtype(), "avg_pool2d_backward");
  windowed(p, kernel, stride, padding, {1}, ceil_mode, "avg_pool2d_backward");
  p.g.count_include_pad = count_include_pad;
  p.g.divisor = divisor_override;
  if (grad.shape() != out_shape(p))
    fail<ShapeError>("avg_pool2d_backward", "grad ", shape_str(grad.shape()), " does not match the output ",
                     shape_str(out_shape(p)));
  const Tensor g = contiguous(grad);
  Tensor out = Tensor::empty(input_shape, grad.dtype());
  need(K().avg_pool2d_backward[static_cast<int>(grad.dtype())], "avg_pool2d_backward", grad.dtype())(
      static_cast<const char*>(g.data_ptr()), static_cast<char*>(out.data_ptr()), p.g);
  return out;
}

Tensor adaptive_avg_pool2d(const Tensor& input, std::vector<int64_t> output_size) {
  Pooled p = prepare(input, "adaptive_avg_pool2d");
  auto [oh, ow] = two(output_size, "adaptive_avg_pool2d", "output_size");
  if (oh <= 0 || ow <= 0)
    fail<ValueError>("adaptive_avg_pool2d", "output size must be positive, got ", shape_str(output_size));
  p.g.out_h = oh;
  p.g.out_w = ow;
  Tensor out = Tensor::empty(out_shape(p), input.dtype());
  need(K().adaptive_avg_pool2d[static_cast<int>(input.dtype())], "adaptive_avg_pool2d", input.dtype())(
      static_cast<const char*>(p.x.data_ptr()), static_cast<char*>(out.data_ptr()), p.g);
  return out;
}

Tensor adaptive_avg_pool2d_backward(const Tensor& grad, const Shape& input_shape) {
  check_defined(grad, "adaptive_avg_pool2d_backward");
  Pooled p = from_shape(input_shape, grad.dtype(), "adaptive_avg_pool2d_backward");
  p.g.out_h = grad.shape()[grad.ndim() - 2];
  p.g.out_w = grad.shape()[grad.ndim() - 1];
  const Tensor g = contiguous(grad);
  Tensor out = Tensor::empty(input_shape, grad.dtype());
  need(K().adaptive_avg_pool2d_backward[static_cast<int>(grad.dtype())], "adaptive_avg_pool2d_backward",
       grad.dtype())(static_cast<const char*>(g.data_ptr()), static_cast<char*>(out.data_ptr()), p.g);
  return out;
}

}  // namespace tensorforge
