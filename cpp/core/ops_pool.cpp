// Pooling front end: output sizes (ceil_mode, padding rules) and validation, then the kernels.
// Also pad and interpolate, which resample planes with the same kernel family.
#include <cmath>
#include <string>

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

std::pair<Tensor, Tensor> adaptive_max_pool2d(const Tensor& input, std::vector<int64_t> output_size) {
  const char* op = "adaptive_max_pool2d";
  Pooled p = prepare(input, op);
  auto [oh, ow] = two(output_size, op, "output_size");
  if (oh <= 0 || ow <= 0) fail<ValueError>(op, "output size must be positive, got ", shape_str(output_size));
  p.g.out_h = oh;
  p.g.out_w = ow;
  Tensor out = Tensor::empty(out_shape(p), input.dtype());
  Tensor idx = Tensor::empty(out_shape(p), DType::Int64);
  need(K().adaptive_max_pool2d[static_cast<int>(input.dtype())], op, input.dtype())(
      static_cast<const char*>(p.x.data_ptr()), static_cast<char*>(out.data_ptr()), idx.data<int64_t>(), p.g);
  return {out, idx};
}

// ---- 3-D pooling: the 2-D kernels over every depth slice, then a pass along depth ----
// The windows and divisors of max, average and adaptive pooling are products of per-axis ones,
// so pooling [D, H, W] is pooling each [H, W] slice, then pooling [D, out_h * out_w] with
// windows (kd, 1).

namespace {

struct Dims3 {
  int64_t d, h, w;
};

Dims3 three(const std::vector<int64_t>& v, const char* op, const char* what) {
  if (v.size() != 1 && v.size() != 3) fail<ValueError>(op, what, " must have 1 or 3 values, got ", v.size());
  return v.size() == 1 ? Dims3{v[0], v[0], v[0]} : Dims3{v[0], v[1], v[2]};
}

struct Volume {
  Shape batch;  // leading dims (N, C) or (C)
  int64_t planes, depth, height, width;
};

Volume volume_of(const Shape& shape, DType dt, const char* op) {
  const int64_t nd = static_cast<int64_t>(shape.size());
  if (nd != 4 && nd != 5)
    fail<ShapeError>(op, "expected 4-D (C, D, H, W) or 5-D (N, C, D, H, W) input, got ", shape_str(shape));
  if (!is_floating(dt)) fail<DTypeError>(op, "expected a floating input, got ", dtype_name(dt));
  Volume v{Shape(shape.begin(), shape.end() - 3), 1, shape[nd - 3], shape[nd - 2], shape[nd - 1]};
  if (v.depth <= 0 || v.height <= 0 || v.width <= 0)
    fail<ShapeError>(op, "input of shape ", shape_str(shape), " has an empty volume");
  for (int64_t b : v.batch) v.planes *= b;
  return v;
}

// Both passes of one 3-D pooling: `slices` pools [planes * depth, H, W] to [.., out_h, out_w];
// `along` pools [planes, depth, out_h * out_w] to [planes, out_d, out_h * out_w]; first / count
// list the depth taps of each output slice for max pooling.
struct Plan3 {
  Volume v;
  kernels::PoolGeom slices, along;
  std::vector<int64_t> first, count;
  int64_t step = 1;
  Shape out_shape() const {
    Shape s = v.batch;
    s.push_back(along.out_h);
    s.push_back(slices.out_h);
    s.push_back(slices.out_w);
    return s;
  }
  kernels::DepthPoolGeom depth_geom() const {
    return {v.planes, v.depth, along.out_h, slices.out_h * slices.out_w, v.height * v.width, step, first.data(),
            count.data()};
  }
};

Plan3 plan3(const Volume& v) {
  Plan3 p;
  p.v = v;
  p.slices = {v.planes * v.depth, v.height, v.width, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, true, 0};
  return p;
}

void set_along(Plan3& p, int64_t out_d) {
  const int64_t inner = p.slices.out_h * p.slices.out_w;
  p.along = {p.v.planes, p.v.depth, inner, out_d, inner, 1, 1, 1, 1, 0, 0, 1, 1, true, 0};
}

Plan3 plan_window3(const Shape& shape, DType dt, const std::vector<int64_t>& kernel, const std::vector<int64_t>& stride,
                   const std::vector<int64_t>& padding, const std::vector<int64_t>& dilation, bool ceil_mode,
                   const char* op) {
  Plan3 p = plan3(volume_of(shape, dt, op));
  const Dims3 k = three(kernel, op, "kernel_size"), s = stride.empty() ? k : three(stride, op, "stride");
  const Dims3 pad = three(padding, op, "padding"), dil = three(dilation, op, "dilation");
  if (k.d <= 0 || k.h <= 0 || k.w <= 0) fail<ValueError>(op, "kernel size must be greater than zero, got ", shape_str(kernel));
  if (s.d <= 0 || s.h <= 0 || s.w <= 0) fail<ValueError>(op, "stride must be greater than zero, got ", shape_str(stride));
  if (dil.d <= 0 || dil.h <= 0 || dil.w <= 0)
    fail<ValueError>(op, "dilation must be greater than zero, got ", shape_str(dilation));
  auto half = [](int64_t pp, int64_t kk, int64_t dd) { return pp >= 0 && pp <= (dd * (kk - 1) + 1) / 2; };
  if (!half(pad.d, k.d, dil.d) || !half(pad.h, k.h, dil.h) || !half(pad.w, k.w, dil.w))
    fail<ValueError>(op, "pad should be at most half of effective kernel size, but got pad=", shape_str(padding),
                     ", kernel_size=", shape_str(kernel));
  const int64_t od = pool_out(p.v.depth, k.d, s.d, pad.d, dil.d, ceil_mode);
  const int64_t oh = pool_out(p.v.height, k.h, s.h, pad.h, dil.h, ceil_mode);
  const int64_t ow = pool_out(p.v.width, k.w, s.w, pad.w, dil.w, ceil_mode);
  if (od <= 0 || oh <= 0 || ow <= 0)
    fail<ShapeError>(op, "output size (", od, ", ", oh, ", ", ow, ") is too small for input (", p.v.depth, ", ",
                     p.v.height, ", ", p.v.width, ") with kernel ", shape_str(kernel));
  kernels::PoolGeom& g = p.slices;
  g.out_h = oh;
  g.out_w = ow;
  g.kh = k.h;
  g.kw = k.w;
  g.sh = s.h;
  g.sw = s.w;
  g.ph = pad.h;
  g.pw = pad.w;
  g.dh = dil.h;
  g.dw = dil.w;
  set_along(p, od);
  p.along.kh = k.d;
  p.along.sh = s.d;
  p.along.ph = pad.d;
  p.along.dh = dil.d;
  p.step = dil.d;
  for (int64_t o = 0; o < od; ++o) {  // the depth taps inside the input
    const int64_t start = o * s.d - pad.d;
    const int64_t t0 = start < 0 ? (-start + dil.d - 1) / dil.d : 0;
    const int64_t t1 = start > p.v.depth - 1 ? 0 : std::min(k.d, (p.v.depth - 1 - start) / dil.d + 1);
    if (t1 <= t0) fail<ShapeError>(op, "window ", o, " along depth holds no input for input ", shape_str(shape));
    p.first.push_back(start + t0 * dil.d);
    p.count.push_back(t1 - t0);
  }
  return p;
}

Plan3 plan_adaptive3(const Shape& shape, DType dt, const std::vector<int64_t>& output_size, const char* op) {
  Plan3 p = plan3(volume_of(shape, dt, op));
  const Dims3 o = three(output_size, op, "output_size");
  if (o.d <= 0 || o.h <= 0 || o.w <= 0) fail<ValueError>(op, "output size must be positive, got ", shape_str(output_size));
  p.slices.out_h = o.h;
  p.slices.out_w = o.w;
  set_along(p, o.d);
  for (int64_t i = 0; i < o.d; ++i) {
    const int64_t d0 = i * p.v.depth / o.d, d1 = ((i + 1) * p.v.depth + o.d - 1) / o.d;
    p.first.push_back(d0);
    p.count.push_back(d1 - d0);
  }
  return p;
}

const char* cptr(const Tensor& t) { return static_cast<const char*>(t.data_ptr()); }
char* mptr(const Tensor& t) { return static_cast<char*>(t.data_ptr()); }

// The maxima of every slice, then along depth.
std::pair<Tensor, Tensor> max3(const Plan3& p, const Tensor& input, kernels::MaxPoolKernel slice_kernel, const char* op) {
  const DType dt = input.dtype();
  const Tensor x = contiguous(input);
  const int64_t inner = p.slices.out_h * p.slices.out_w;
  Tensor m = Tensor::empty({p.v.planes * p.v.depth, inner}, dt), mi = Tensor::empty(m.shape(), DType::Int64);
  Tensor out = Tensor::empty(p.out_shape(), dt), idx = Tensor::empty(p.out_shape(), DType::Int64);
  if (out.numel() == 0) return {out, idx};
  need(slice_kernel, op, dt)(cptr(x), mptr(m), mi.data<int64_t>(), p.slices);
  need(K().max_pool_depth[static_cast<int>(dt)], op, dt)(cptr(m), mi.data<int64_t>(), mptr(out), idx.data<int64_t>(),
                                                         p.depth_geom());
  return {out, idx};
}

using MeanKernel = kernels::AvgPoolKernel;
using MeanBackwardKernel = kernels::AvgPoolBackwardKernel;

Tensor mean3(const Plan3& p, const Tensor& input, MeanKernel slice_kernel, MeanKernel along_kernel, const char* op) {
  const DType dt = input.dtype();
  const Tensor x = contiguous(input);
  Tensor m = Tensor::empty({p.v.planes * p.v.depth, p.slices.out_h * p.slices.out_w}, dt);
  Tensor out = Tensor::empty(p.out_shape(), dt);
  if (out.numel() == 0) return out;
  need(slice_kernel, op, dt)(cptr(x), mptr(m), p.slices);
  need(along_kernel, op, dt)(cptr(m), mptr(out), p.along);
  return out;
}

Tensor mean3_backward(const Plan3& p, const Tensor& grad, MeanBackwardKernel slice_kernel,
                      MeanBackwardKernel along_kernel, const Shape& input_shape, const char* op) {
  const DType dt = grad.dtype();
  if (grad.shape() != p.out_shape())
    fail<ShapeError>(op, "grad ", shape_str(grad.shape()), " does not match the output ", shape_str(p.out_shape()));
  const Tensor g = contiguous(grad);
  Tensor m = Tensor::empty({p.v.planes * p.v.depth, p.slices.out_h * p.slices.out_w}, dt);
  Tensor out = Tensor::empty(input_shape, dt);
  if (out.numel() == 0) return out;
  if (g.numel() == 0) {
    fill_(out, 0.0);
    return out;
  }
  need(along_kernel, op, dt)(cptr(g), mptr(m), p.along);
  need(slice_kernel, op, dt)(cptr(m), mptr(out), p.slices);
  return out;
}

}  // namespace

std::pair<Tensor, Tensor> max_pool3d(const Tensor& input, std::vector<int64_t> kernel, std::vector<int64_t> stride,
                                     std::vector<int64_t> padding, std::vector<int64_t> dilation, bool ceil_mode) {
  check_defined(input, "max_pool3d");
  const Plan3 p = plan_window3(input.shape(), input.dtype(), kernel, stride, padding, dilation, ceil_mode, "max_pool3d");
  return max3(p, input, K().max_pool2d[static_cast<int>(input.dtype())], "max_pool3d");
}

std::pair<Tensor, Tensor> adaptive_max_pool3d(const Tensor& input, std::vector<int64_t> output_size) {
  check_defined(input, "adaptive_max_pool3d");
  const Plan3 p = plan_adaptive3(input.shape(), input.dtype(), output_size, "adaptive_max_pool3d");
  return max3(p, input, K().adaptive_max_pool2d[static_cast<int>(input.dtype())], "adaptive_max_pool3d");
}

Tensor max_pool3d_backward(const Tensor& grad, const Tensor& indices, const Shape& input_shape) {
  const char* op = "max_pool3d_backward";
  check_defined(grad, op);
  const Volume v = volume_of(input_shape, grad.dtype(), op);
  if (indices.shape() != grad.shape() || indices.dtype() != DType::Int64 || grad.ndim() != static_cast<int64_t>(input_shape.size()))
    fail<ShapeError>(op, "indices ", shape_str(indices.shape()), " do not match grad ", shape_str(grad.shape()));
  const int64_t nd = grad.ndim(), od = grad.shape()[nd - 3], oh = grad.shape()[nd - 2], ow = grad.shape()[nd - 1];
  // The scatter of max_pool2d with each volume as one plane of depth * height rows.
  const kernels::PoolGeom g{v.planes, v.depth * v.height, v.width, od * oh, ow, 1, 1, 1, 1, 0, 0, 1, 1, true, 0};
  const Tensor gr = contiguous(grad), idx = contiguous(indices);
  Tensor out = Tensor::empty(input_shape, grad.dtype());
  need(K().max_pool2d_backward[static_cast<int>(grad.dtype())], op, grad.dtype())(cptr(gr), idx.data<int64_t>(),
                                                                                  mptr(out), g);
  return out;
}

Tensor avg_pool3d(const Tensor& input, std::vector<int64_t> kernel, std::vector<int64_t> stride,
                  std::vector<int64_t> padding, bool ceil_mode, bool count_include_pad, int64_t divisor_override) {
  const char* op = "avg_pool3d";
  check_defined(input, op);
  if (divisor_override < 0) fail<ValueError>(op, "divisor must be not zero, got ", divisor_override);
  Plan3 p = plan_window3(input.shape(), input.dtype(), kernel, stride, padding, {1}, ceil_mode, op);
  p.slices.count_include_pad = p.along.count_include_pad = count_include_pad;
  p.slices.divisor = divisor_override ? 1 : 0;  // sums first when the divisor is overridden
  p.along.divisor = divisor_override;
  const int d = static_cast<int>(input.dtype());
  return mean3(p, input, K().avg_pool2d[d], K().avg_pool2d[d], op);
}

Tensor avg_pool3d_backward(const Tensor& grad, const Shape& input_shape, std::vector<int64_t> kernel,
                           std::vector<int64_t> stride, std::vector<int64_t> padding, bool ceil_mode,
                           bool count_include_pad, int64_t divisor_override) {
  const char* op = "avg_pool3d_backward";
  check_defined(grad, op);
  Plan3 p = plan_window3(input_shape, grad.dtype(), kernel, stride, padding, {1}, ceil_mode, op);
  p.slices.count_include_pad = p.along.count_include_pad = count_include_pad;
  p.slices.divisor = divisor_override ? 1 : 0;
  p.along.divisor = divisor_override;
  const int d = static_cast<int>(grad.dtype());
  return mean3_backward(p, grad, K().avg_pool2d_backward[d], K().avg_pool2d_backward[d], input_shape, op);
}

Tensor adaptive_avg_pool3d(const Tensor& input, std::vector<int64_t> output_size) {
  const char* op = "adaptive_avg_pool3d";
  check_defined(input, op);
  const Plan3 p = plan_adaptive3(input.shape(), input.dtype(), output_size, op);
  const int d = static_cast<int>(input.dtype());
  return mean3(p, input, K().adaptive_avg_pool2d[d], K().adaptive_avg_pool2d[d], op);
}

Tensor adaptive_avg_pool3d_backward(const Tensor& grad, const Shape& input_shape) {
  const char* op = "adaptive_avg_pool3d_backward";
  check_defined(grad, op);
  if (grad.ndim() != static_cast<int64_t>(input_shape.size()) || grad.ndim() < 3)
    fail<ShapeError>(op, "grad ", shape_str(grad.shape()), " does not match the input ", shape_str(input_shape));
  const std::vector<int64_t> size(grad.shape().end() - 3, grad.shape().end());
  const Plan3 p = plan_adaptive3(input_shape, grad.dtype(), size, op);
  const int d = static_cast<int>(grad.dtype());
  return mean3_backward(p, grad, K().adaptive_avg_pool2d_backward[d], K().adaptive_avg_pool2d_backward[d],
                        input_shape, op);
}

// ---- pad and interpolate ----

namespace {

enum class PadMode { Constant, Reflect, Replicate, Circular };

PadMode pad_mode(const std::string& mode) {
  if (mode == "constant") return PadMode::Constant;
  if (mode == "reflect") return PadMode::Reflect;
  if (mode == "replicate") return PadMode::Replicate;
  if (mode == "circular") return PadMode::Circular;
  fail<ValueError>("pad", "unknown padding mode '", mode, "', expected constant, reflect, replicate or circular");
}

// Source index along one axis of each output position (-1: the fill value).
std::vector<int64_t> pad_map(int64_t size, int64_t left, int64_t right, PadMode mode) {
  std::vector<int64_t> map(static_cast<size_t>(size + left + right));
  for (int64_t i = 0; i < static_cast<int64_t>(map.size()); ++i) {
    int64_t s = i - left;
    switch (mode) {
      case PadMode::Constant: s = s < 0 || s >= size ? -1 : s; break;
      case PadMode::Reflect: s = s < 0 ? -s : (s >= size ? 2 * (size - 1) - s : s); break;
      case PadMode::Replicate: s = std::min(std::max<int64_t>(s, 0), size - 1); break;
      case PadMode::Circular: s = ((s % size) + size) % size; break;
    }
    map[static_cast<size_t>(i)] = s;
  }
  return map;
}

// The geometry of a pad over the last one, two or three dims: input and output as planes (or
// volumes of depth slices).
struct Padded {
  PadMode mode;
  Shape out_shape;
  std::vector<int64_t> rows, cols, depths;
  kernels::RemapGeom geom() const {
    kernels::RemapGeom g{0, 0, 0, static_cast<int64_t>(rows.size()), static_cast<int64_t>(cols.size()), rows.data(),
                         cols.data()};
    if (!depths.empty()) {
      g.out_d = static_cast<int64_t>(depths.size());
      g.depths = depths.data();
    }
    return g;
  }
};

Padded plan_pad(const Shape& shape, const std::vector<int64_t>& pads, const std::string& mode_name) {
  const int64_t ndim = static_cast<int64_t>(shape.size()), npad = static_cast<int64_t>(pads.size());
  if (npad % 2 != 0) fail<ValueError>("pad", "padding length must be divisible by 2, got ", npad);
  if (npad / 2 > ndim)
    fail<ValueError>("pad", "padding length should be at most twice the input dimension, got padding ",
                     shape_str(pads), " for input ", shape_str(shape));
  Padded p{pad_mode(mode_name), shape, {}, {}};
  if (p.mode != PadMode::Constant && !((npad == 2 && (ndim == 2 || ndim == 3)) || (npad == 4 && (ndim == 3 || ndim == 4)) ||
                                       (npad == 6 && (ndim == 4 || ndim == 5))))
    fail<ValueError>("pad", mode_name, " padding supports 2 values for 2-D/3-D input, 4 for 3-D/4-D input or 6 for ",
                     "4-D/5-D input, got ", npad, " values for input ", shape_str(shape));
  for (int64_t i = 0; i < npad / 2; ++i) {
    const int64_t dim = ndim - 1 - i, size = shape[dim], left = pads[2 * i], right = pads[2 * i + 1];
    if (size + left + right < 0 || (p.mode != PadMode::Constant && size + left + right <= 0))
      fail<ValueError>("pad", "padding ", shape_str(pads), " gives an empty or negative output size for input ",
                       shape_str(shape));
    if (p.mode == PadMode::Reflect && (left >= size || right >= size))
      fail<ValueError>("pad", "padding (", left, ", ", right, ") should be smaller than the input size ", size,
                       " of dim ", dim, " in reflect mode, input ", shape_str(shape));
    if (p.mode == PadMode::Circular && (left > size || right > size))
      fail<ValueError>("pad", "padding (", left, ", ", right, ") wraps around more than once for the input size ",
                       size, " of dim ", dim, " in circular mode, input ", shape_str(shape));
    p.out_shape[dim] = size + left + right;
  }
  if (p.mode != PadMode::Constant) {
    const int64_t w = shape[ndim - 1], h = npad >= 4 ? shape[ndim - 2] : 1;
    p.cols = pad_map(w, pads[0], pads[1], p.mode);
    p.rows = npad >= 4 ? pad_map(h, pads[2], pads[3], p.mode) : std::vector<int64_t>{0};
    if (npad == 6) p.depths = pad_map(shape[ndim - 3], pads[4], pads[5], p.mode);
  }
  return p;
}

// The region a constant pad keeps: views of (padded, unpadded) that line up, or undefined when empty.
std::pair<Tensor, Tensor> pad_overlap(const Tensor& padded, const Tensor& unpadded, const std::vector<int64_t>& pads) {
  Tensor a = padded, b = unpadded;
  const int64_t ndim = unpadded.ndim();
  for (size_t i = 0; i < pads.size() / 2; ++i) {
    const int64_t dim = ndim - 1 - static_cast<int64_t>(i), left = pads[2 * i], right = pads[2 * i + 1];
    const int64_t skip_in = std::max<int64_t>(0, -left), len = unpadded.shape()[dim] - skip_in - std::max<int64_t>(0, -right);
    if (len <= 0) return {Tensor(), Tensor()};
    a = narrow(a, dim, std::max<int64_t>(0, left), len);
    b = narrow(b, dim, skip_in, len);
  }
  return {a, b};
}

kernels::RemapGeom plane_geom(const Padded& p, const Shape& in_shape, int64_t npad) {
  kernels::RemapGeom g = p.geom();
  const int64_t ndim = static_cast<int64_t>(in_shape.size());
  g.width = in_shape[ndim - 1];
  g.height = npad >= 4 ? in_shape[ndim - 2] : 1;
  g.depth = npad == 6 ? in_shape[ndim - 3] : 1;
  int64_t numel = 1;
  for (int64_t d : in_shape) numel *= d;
  g.planes = numel / std::max<int64_t>(1, g.depth * g.height * g.width);
  return g;
}

}  // namespace

Tensor pad(const Tensor& input, std::vector<int64_t> pads, const std::string& mode, double value) {
  check_defined(input, "pad");
  const Padded p = plan_pad(input.shape(), pads, mode);
  if (p.mode == PadMode::Constant) {
    Tensor out = full(p.out_shape, value, input.dtype());
    auto [dst, src] = pad_overlap(out, input, pads);
    if (dst.defined() && out.numel() > 0) copy_(dst, src);
    return out;
  }
  if (!is_floating(input.dtype()))
    fail<DTypeError>("pad", mode, " padding expects a floating input, got ", dtype_name(input.dtype()));
  const Tensor x = contiguous(input);
  Tensor out = Tensor::empty(p.out_shape, input.dtype());
  const auto g = plane_geom(p, x.shape(), static_cast<int64_t>(pads.size()));
  if (out.numel() > 0)
    need(K().remap2d[static_cast<int>(x.dtype())], "pad", x.dtype())(static_cast<const char*>(x.data_ptr()),
                                                                      static_cast<char*>(out.data_ptr()), g, 0.0);
  return out;
}

Tensor pad_backward(const Tensor& grad, const Shape& input_shape, std::vector<int64_t> pads, const std::string& mode) {
  check_defined(grad, "pad_backward");
  const Padded p = plan_pad(input_shape, pads, mode);
  if (grad.shape() != p.out_shape)
    fail<ShapeError>("pad_backward", "grad ", shape_str(grad.shape()), " does not match the padded shape ",
                     shape_str(p.out_shape));
  if (p.mode == PadMode::Constant) {
    Tensor gin = zeros(input_shape, grad.dtype());
    auto [src, dst] = pad_overlap(grad, gin, pads);
    if (dst.defined() && gin.numel() > 0) copy_(dst, src);
    return gin;
  }
  const Tensor g = contiguous(grad);
  Tensor gin = Tensor::empty(input_shape, grad.dtype());
  const auto geom = plane_geom(p, input_shape, static_cast<int64_t>(pads.size()));
  if (gin.numel() > 0)
    need(K().remap2d_backward[static_cast<int>(g.dtype())], "pad_backward", g.dtype())(
        static_cast<const char*>(g.data_ptr()), static_cast<char*>(gin.data_ptr()), geom);
  return gin;
}

namespace {

enum class Resize { Nearest, NearestExact, Linear };

struct Resampled {
  Resize mode;
  int64_t spatial;  // 1 (N, C, L), 2 (N, C, H, W) or 3 (N, C, D, H, W)
  kernels::ResizeGeom g;      // the (H, W) planes (every depth slice for volumes)
  kernels::ResizeGeom along;  // trilinear: the depth pass over [planes, D, out_h * out_w]
  std::vector<int64_t> rows, cols, depths;  // nearest modes: source maps
  Shape out_shape;
};

// PyTorch's nearest source index (computed in float, as PyTorch does for every dtype).
std::vector<int64_t> nearest_map(int64_t in, int64_t out, double user_scale, bool exact) {
  const float scale = user_scale > 0 ? static_cast<float>(1.0 / user_scale) : static_cast<float>(in) / static_cast<float>(out);
  std::vector<int64_t> map(static_cast<size_t>(out));
  for (int64_t o = 0; o < out; ++o) {
    int64_t s;
    if (exact) s = static_cast<int64_t>(std::floor((static_cast<double>(o) + 0.5) * scale));
    else if (out == in) s = o;
    else if (out == 2 * in) s = o >> 1;
    else s = static_cast<int64_t>(std::floor(static_cast<float>(o) * scale));
    map[static_cast<size_t>(o)] = std::min(s, in - 1);
  }
  return map;
}

// Trilinear is separable: bilinear over each depth slice, then linear along depth (a bilinear
// pass whose width is left as it is).
Resampled plan_resize(const Shape& shape, DType dt, const std::vector<int64_t>& size, const std::vector<double>& scales,
                      const std::string& mode, bool align_corners, const char* op) {
  const int64_t ndim = static_cast<int64_t>(shape.size());
  if (ndim < 3 || ndim > 5)
    fail<ShapeError>(op, "expected 3-D (N, C, L), 4-D (N, C, H, W) or 5-D (N, C, D, H, W) input, got ",
                     shape_str(shape));
  if (!is_floating(dt)) fail<DTypeError>(op, "expected a floating input, got ", dtype_name(dt));
  Resampled r;
  r.spatial = ndim - 2;
  static const char* const kLinear[] = {"", "linear", "bilinear", "trilinear"};
  if (mode == "nearest") r.mode = Resize::Nearest;
  else if (mode == "nearest-exact") r.mode = Resize::NearestExact;
  else if (mode == kLinear[r.spatial]) r.mode = Resize::Linear;
  else
    fail<ValueError>(op, "mode '", mode, "' is not supported for ", ndim, "-D input (nearest, nearest-exact, ",
                     kLinear[r.spatial], ")");
  if (static_cast<int64_t>(size.size()) != r.spatial || (!scales.empty() && static_cast<int64_t>(scales.size()) != r.spatial))
    fail<ValueError>(op, "expected ", r.spatial, " output sizes (and scales), got size ", shape_str(size), " for input ",
                     shape_str(shape));
  for (int64_t i = 0; i < r.spatial; ++i)
    if (size[i] <= 0 || shape[2 + i] <= 0)
      fail<ValueError>(op, "input ", shape_str(shape), " and output size ", shape_str(size), " must be positive");
  auto scale = [&](int64_t i) { return scales.empty() ? 0.0 : scales[i]; };
  const int64_t d = r.spatial == 3 ? shape[2] : 1, od = r.spatial == 3 ? size[0] : 1;
  const int64_t h = r.spatial >= 2 ? shape[ndim - 2] : 1, w = shape[ndim - 1];
  const int64_t oh = r.spatial >= 2 ? size[r.spatial - 2] : 1, ow = size[r.spatial - 1];
  const double sd = r.spatial == 3 ? scale(0) : 0.0, sh = r.spatial >= 2 ? scale(r.spatial - 2) : 0.0;
  const double sw = scale(r.spatial - 1);
  const int64_t planes = shape[0] * shape[1];
  r.g = {planes * (r.mode == Resize::Linear ? d : 1), h, w, oh, ow, sh, sw, align_corners};
  r.along = {planes, d, oh * ow, od, oh * ow, sd, 0.0, align_corners};
  if (r.mode != Resize::Linear) {
    r.rows = nearest_map(h, oh, sh, r.mode == Resize::NearestExact);
    r.cols = nearest_map(w, ow, sw, r.mode == Resize::NearestExact);
    if (r.spatial == 3) r.depths = nearest_map(d, od, sd, r.mode == Resize::NearestExact);
  }
  r.out_shape = {shape[0], shape[1]};
  for (int64_t v : size) r.out_shape.push_back(v);
  return r;
}

kernels::RemapGeom remap_geom(const Resampled& r) {
  kernels::RemapGeom g{r.g.planes, r.g.height, r.g.width, r.g.out_h, r.g.out_w, r.rows.data(), r.cols.data()};
  if (!r.depths.empty()) {
    g.depth = r.along.height;
    g.out_d = r.along.out_h;
    g.depths = r.depths.data();
  }
  return g;
}

}  // namespace

Tensor interpolate(const Tensor& input, std::vector<int64_t> size, std::vector<double> scales, const std::string& mode,
                   bool align_corners) {
  const char* op = "interpolate";
  check_defined(input, op);
  const Resampled r = plan_resize(input.shape(), input.dtype(), size, scales, mode, align_corners, op);
  const Tensor x = contiguous(input);
  Tensor out = Tensor::empty(r.out_shape, input.dtype());
  if (out.numel() == 0) return out;
  const char* src = static_cast<const char*>(x.data_ptr());
  char* dst = static_cast<char*>(out.data_ptr());
  const DType dt = input.dtype();
  if (r.mode != Resize::Linear) {
    need(K().remap2d[static_cast<int>(dt)], op, dt)(src, dst, remap_geom(r), 0.0);
    return out;
  }
  auto bilinear = need(K().upsample_bilinear2d[static_cast<int>(dt)], op, dt);
  if (r.spatial < 3) {
    bilinear(src, dst, r.g);
    return out;
  }
  const Tensor slices = Tensor::empty({r.g.planes, r.g.out_h, r.g.out_w}, dt);
  bilinear(src, static_cast<char*>(slices.data_ptr()), r.g);
  bilinear(static_cast<const char*>(slices.data_ptr()), dst, r.along);
  return out;
}

Tensor interpolate_backward(const Tensor& grad, const Shape& input_shape, std::vector<double> scales,
                            const std::string& mode, bool align_corners) {
  const char* op = "interpolate_backward";
  check_defined(grad, op);
  const std::vector<int64_t> size(grad.shape().begin() + std::min<int64_t>(2, grad.ndim()), grad.shape().end());
  const Resampled r = plan_resize(input_shape, grad.dtype(), size, scales, mode, align_corners, op);
  if (grad.shape() != r.out_shape)
    fail<ShapeError>(op, "grad ", shape_str(grad.shape()), " does not match the output ", shape_str(r.out_shape));
  const Tensor g = contiguous(grad);
  Tensor gin = Tensor::empty(input_shape, grad.dtype());
  if (gin.numel() == 0) return gin;
  const char* src = static_cast<const char*>(g.data_ptr());
  char* dst = static_cast<char*>(gin.data_ptr());
  const DType dt = grad.dtype();
  if (r.mode != Resize::Linear) {
    need(K().remap2d_backward[static_cast<int>(dt)], op, dt)(src, dst, remap_geom(r));
    return gin;
  }
  auto bilinear = need(K().upsample_bilinear2d_backward[static_cast<int>(dt)], op, dt);
  if (r.spatial < 3) {
    bilinear(src, dst, r.g);
    return gin;
  }
  const Tensor slices = Tensor::empty({r.g.planes, r.g.out_h, r.g.out_w}, dt);
  bilinear(src, static_cast<char*>(slices.data_ptr()), r.along);
  bilinear(static_cast<const char*>(slices.data_ptr()), dst, r.g);
  return gin;
}

}  // namespace tensorforge
