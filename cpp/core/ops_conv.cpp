// Convolution front end. Every convolution op is one of three per-image lowerings around the
// GEMM kernel: forward (W . im2col(x)), input gradient (col2im(W^T . dy)) and weight gradient
// (sum over images of dy . im2col(x)^T). conv_transpose2d swaps the roles of x and dy.
#include <algorithm>
#include <cstring>
#include <mutex>

#include "core/frontend.h"
#include "tensorforge/nn_ops.h"

namespace tensorforge {

using namespace core;

namespace {

struct Pair {
  int64_t h, w;
};

Pair pair_arg(const std::vector<int64_t>& v, const char* op, const char* what, int64_t min_value) {
  if (v.size() != 1 && v.size() != 2) fail<ValueError>(op, what, " must have 1 or 2 values, got ", v.size());
  const Pair p{v[0], v.size() == 2 ? v[1] : v[0]};
  if (p.h < min_value || p.w < min_value)
    fail<ValueError>(op, what, " must be >= ", min_value, ", got ", shape_str(v));
  return p;
}

// The geometry shared by a convolution and its gradients: image (in_h, in_w) <-> columns (out_h, out_w).
struct Conv {
  int64_t n, image_c, in_h, in_w;  // the im2col side
  int64_t col_c, out_h, out_w;     // the GEMM-output side
  int64_t groups, kh, kw;
  Pair stride, pad, dil;
  kernels::ConvGeom geom() const {
    return {image_c / groups, in_h, in_w, kh, kw, stride.h, stride.w, pad.h, pad.w, dil.h, dil.w, out_h, out_w};
  }
  int64_t k() const { return image_c / groups * kh * kw; }
  int64_t p() const { return out_h * out_w; }
  bool is_pointwise() const {
    return kh == 1 && kw == 1 && stride.h == 1 && stride.w == 1 && pad.h == 0 && pad.w == 0;
  }
  // One image channel per group: direct kernels beat a GEMM of depth kh * kw.
  bool is_depthwise(DType dt) const {
    return groups == image_c && !is_pointwise() && K().depthwise_forward[static_cast<int>(dt)] != nullptr;
  }
  int64_t mult() const { return col_c / groups; }
  kernels::ConvGeom depthwise_geom() const {
    kernels::ConvGeom g = geom();
    g.channels = image_c;
    return g;
  }
};

// Column buffers are sized to stay in L2 (about 1 MB) next to the GEMM's packed panels.
constexpr int64_t kColumnBytes = int64_t{1} << 20;

// Work is split into items (image x group x block of output rows, or of image channels) and
// the items are shared out across the threads in one parallel region; the GEMMs inside run
// on their thread. One image with few rows still yields enough items to keep threads busy.
struct Items {
  int64_t per_image, blocks, block;  // items per image = groups * blocks; `block` rows/channels
  int64_t total;
};

Items split(const Conv& c, int64_t extent, int64_t bytes_per_unit) {
  const int64_t block = std::max<int64_t>(1, std::min(extent, kColumnBytes / std::max<int64_t>(1, bytes_per_unit)));
  const int64_t blocks = (extent + block - 1) / block;
  return {c.groups * blocks, blocks, block, c.n * c.groups * blocks};
}

// Threads pay off from about a million multiply-adds (a fork/join costs microseconds).
template <typename F>
void for_items(const Conv& c, const Items& it, const F& fn) {
  const int64_t macs = c.n * c.col_c * c.p() * c.k();
  parallel_for(0, it.total, macs < (int64_t{1} << 20) ? it.total : 1, fn);
}

// The fused kernel's blocks of output rows: about 1 MB of packed columns per depth block.
void fused_forward(const Conv& c, const Tensor& img, const Tensor& w, const Tensor& out, bool accumulate, DType dt) {
  auto kernel = K().conv2d_forward[static_cast<int>(dt)];
  const int64_t isz = itemsize(dt), P = c.p(), cg = c.col_c / c.groups, ig = c.image_c / c.groups;
  const auto geom = c.geom();
  const Items it = split(c, c.out_h, std::min<int64_t>(c.k(), 256) * c.out_w * isz);
  const char* x = static_cast<const char*>(img.data_ptr());
  const char* wp = static_cast<const char*>(w.data_ptr());
  char* o = static_cast<char*>(out.data_ptr());
  for_items(c, it, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t n = i / it.per_image, g = i % it.per_image / it.blocks, blk = i % it.blocks;
      const int64_t oh0 = blk * it.block, oh1 = std::min(c.out_h, oh0 + it.block);
      kernel(wp + g * cg * c.k() * isz, x + (n * c.image_c + g * ig) * c.in_h * c.in_w * isz,
             o + (n * c.col_c + g * cg) * P * isz, cg, geom, oh0 * c.out_w, oh1 * c.out_w, accumulate);
    }
  });
}

// out[n] (col_c x P) = W (col_c x K) . im2col(img[n]) (+ out[n] when accumulate), in blocks
// of output rows.
void lower_forward(const Conv& c, const Tensor& img, const Tensor& w, const Tensor& out, bool accumulate, DType dt) {
  if (c.is_depthwise(dt)) {
    K().depthwise_forward[static_cast<int>(dt)](static_cast<const char*>(img.data_ptr()),
                                                static_cast<const char*>(w.data_ptr()),
                                                static_cast<char*>(out.data_ptr()), c.n, c.mult(), c.depthwise_geom(), accumulate);
    return;
  }
  if (!c.is_pointwise() && K().conv2d_forward[static_cast<int>(dt)]) {
    fused_forward(c, img, w, out, accumulate, dt);
    return;
  }
  auto gemm = need(K().gemm[static_cast<int>(dt)], "conv2d", dt);
  auto im2col = need(K().im2col[static_cast<int>(dt)], "conv2d", dt);
  const int64_t isz = itemsize(dt), K_ = c.k(), P = c.p(), cg = c.col_c / c.groups, ig = c.image_c / c.groups;
  const auto geom = c.geom();
  const bool direct = c.is_pointwise();
  const Items it = split(c, c.out_h, K_ * c.out_w * isz);
  const char* x = static_cast<const char*>(img.data_ptr());
  const char* wp = static_cast<const char*>(w.data_ptr());
  char* o = static_cast<char*>(out.data_ptr());
  for_items(c, it, [&](int64_t i0, int64_t i1) {
    Tensor cols = direct ? Tensor() : Tensor::empty({K_ * it.block * c.out_w}, dt);
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t n = i / it.per_image, g = i % it.per_image / it.blocks, blk = i % it.blocks;
      const int64_t oh0 = blk * it.block, oh1 = std::min(c.out_h, oh0 + it.block), cols_n = (oh1 - oh0) * c.out_w;
      const char* xg = x + (n * c.image_c + g * ig) * c.in_h * c.in_w * isz;
      const char* b = xg + oh0 * c.out_w * isz;
      int64_t ldb = P;
      if (!direct) {
        im2col(xg, static_cast<char*>(cols.data_ptr()), geom, oh0, oh1);
        b = static_cast<const char*>(cols.data_ptr());
        ldb = cols_n;
      }
      gemm(false, false, cg, cols_n, K_, wp + g * cg * K_ * isz, K_, b, ldb,
           o + ((n * c.col_c + g * cg) * P + oh0 * c.out_w) * isz, P, accumulate ? 1.0 : 0.0);
    }
  });
}

// img[n] = col2im(W^T (K x col_c) . src[n] (col_c x P)), in blocks of image channels (their
// columns never overlap in the image, so the blocks run in parallel).
void lower_input_grad(const Conv& c, const Tensor& src, const Tensor& w, const Tensor& img, DType dt) {
  if (c.is_depthwise(dt)) {
    K().depthwise_input_grad[static_cast<int>(dt)](static_cast<const char*>(src.data_ptr()),
                                                   static_cast<const char*>(w.data_ptr()),
                                                   static_cast<char*>(img.data_ptr()), c.n, c.mult(), c.depthwise_geom());
    return;
  }
  auto gemm = need(K().gemm[static_cast<int>(dt)], "conv2d_backward", dt);
  auto col2im = need(K().col2im[static_cast<int>(dt)], "conv2d_backward", dt);
  const int64_t isz = itemsize(dt), K_ = c.k(), P = c.p(), cg = c.col_c / c.groups, ig = c.image_c / c.groups;
  const int64_t taps = c.kh * c.kw, plane = c.in_h * c.in_w;
  const bool direct = c.is_pointwise();
  const Items it = split(c, ig, taps * P * isz);
  const char* s = static_cast<const char*>(src.data_ptr());
  const char* wp = static_cast<const char*>(w.data_ptr());
  char* x = static_cast<char*>(img.data_ptr());
  for_items(c, it, [&](int64_t i0, int64_t i1) {
    Tensor cols = direct ? Tensor() : Tensor::empty({it.block * taps * P}, dt);
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t n = i / it.per_image, g = i % it.per_image / it.blocks, blk = i % it.blocks;
      const int64_t c0 = blk * it.block, cb = std::min(ig, c0 + it.block) - c0;
      char* xb = x + (n * c.image_c + g * ig + c0) * plane * isz;
      const char* sg = s + (n * c.col_c + g * cg) * P * isz;
      const char* wa = wp + (g * cg * K_ + c0 * taps) * isz;  // columns c0*taps.. of W_g
      if (direct) {
        gemm(true, false, cb, P, cg, wa, K_, sg, P, xb, P, 0.0);
        continue;
      }
      gemm(true, false, cb * taps, P, cg, wa, K_, sg, P, static_cast<char*>(cols.data_ptr()), P, 0.0);
      std::memset(xb, 0, static_cast<size_t>(cb * plane * isz));
      auto geom = c.geom();
      geom.channels = cb;
      col2im(static_cast<const char*>(cols.data_ptr()), xb, geom);
    }
  });
}

// dw (col_c x K) = sum over images and row blocks of src[n] (col_c x Pb) . im2col(img[n])^T.
// Each thread accumulates its share into a private dw (beta = 1); the shares are added last.
void lower_weight_grad(const Conv& c, const Tensor& img, const Tensor& src, const Tensor& dw, DType dt) {
  if (c.is_depthwise(dt)) {
    K().depthwise_weight_grad[static_cast<int>(dt)](static_cast<const char*>(img.data_ptr()),
                                                    static_cast<const char*>(src.data_ptr()),
                                                    static_cast<char*>(dw.data_ptr()), c.n, c.mult(), c.depthwise_geom());
    return;
  }
  auto gemm = need(K().gemm[static_cast<int>(dt)], "conv2d_backward", dt);
  auto im2col = need(K().im2col[static_cast<int>(dt)], "conv2d_backward", dt);
  const int64_t isz = itemsize(dt), K_ = c.k(), P = c.p(), cg = c.col_c / c.groups, ig = c.image_c / c.groups;
  const auto geom = c.geom();
  const bool direct = c.is_pointwise();
  const Items it = split(c, c.out_h, K_ * c.out_w * isz);
  const char* x = static_cast<const char*>(img.data_ptr());
  const char* s = static_cast<const char*>(src.data_ptr());
  fill_(dw, 0.0);
  std::mutex mutex;
  for_items(c, it, [&](int64_t i0, int64_t i1) {
    const bool alone = i0 == 0 && i1 == it.total;  // one share: accumulate straight into dw
    Tensor local = alone ? dw : zeros(dw.shape(), dt);
    Tensor cols = direct ? Tensor() : Tensor::empty({K_ * it.block * c.out_w}, dt);
    char* lw = static_cast<char*>(local.data_ptr());
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t n = i / it.per_image, g = i % it.per_image / it.blocks, blk = i % it.blocks;
      const int64_t oh0 = blk * it.block, oh1 = std::min(c.out_h, oh0 + it.block), cols_n = (oh1 - oh0) * c.out_w;
      const char* xg = x + (n * c.image_c + g * ig) * c.in_h * c.in_w * isz;
      const char* b = xg + oh0 * c.out_w * isz;
      int64_t ldb = P;
      if (!direct) {
        im2col(xg, static_cast<char*>(cols.data_ptr()), geom, oh0, oh1);
        b = static_cast<const char*>(cols.data_ptr());
        ldb = cols_n;
      }
      gemm(false, true, cg, K_, cols_n, s + ((n * c.col_c + g * cg) * P + oh0 * c.out_w) * isz, P, b, ldb,
           lw + g * cg * K_ * isz, K_, 1.0);
    }
    if (!alone) {
      std::lock_guard<std::mutex> lock(mutex);
      binary_(BinaryOp::Add, dw, local);
    }
  });
}

struct Checked {
  Tensor input, weight;
  bool unbatched;
};

// Validates and returns contiguous [N, C, H, W] input and contiguous weight.
Checked check_conv(const Tensor& input, const Tensor& weight, const Tensor& bias, int64_t groups, bool transposed,
                   const char* op) {
  check_defined(input, op);
  check_defined(weight, op, "weight");
  if (input.ndim() != 3 && input.ndim() != 4)
    fail<ShapeError>(op, "expected 3-D (C, H, W) or 4-D (N, C, H, W) input, got input of shape ",
                     shape_str(input.shape()));
  if (weight.ndim() != 4)
    fail<ShapeError>(op, "expected 4-D weight, got weight of shape ", shape_str(weight.shape()));
  if (!is_floating(input.dtype()))
    fail<DTypeError>(op, "expected a floating input, got ", dtype_name(input.dtype()));
  if (input.dtype() != weight.dtype())
    fail<DTypeError>(op, "input (", dtype_name(input.dtype()), ") and weight (", dtype_name(weight.dtype()),
                     ") must have the same dtype");
  if (groups < 1) fail<ValueError>(op, "groups must be a positive integer, got ", groups);
  const bool unbatched = input.ndim() == 3;
  const Tensor x = unbatched ? unsqueeze(input, 0) : input;
  const int64_t cin = x.shape()[1];
  const int64_t expected_in = transposed ? weight.shape()[0] : weight.shape()[1] * groups;
  const int64_t cout = transposed ? weight.shape()[1] * groups : weight.shape()[0];
  if (cin != expected_in)
    fail<ShapeError>(op, "expected input with ", expected_in, " channels (weight ", shape_str(weight.shape()),
                     ", groups ", groups, "), got input of shape ", shape_str(input.shape()));
  if ((transposed ? weight.shape()[0] : weight.shape()[0]) % groups != 0)
    fail<ShapeError>(op, "groups ", groups, " must divide the channels of weight ", shape_str(weight.shape()));
  if (bias.defined() && (bias.ndim() != 1 || bias.shape()[0] != cout))
    fail<ShapeError>(op, "expected bias of shape [", cout, "], got ", shape_str(bias.shape()));
  if (bias.defined() && bias.dtype() != input.dtype())
    fail<DTypeError>(op, "bias dtype ", dtype_name(bias.dtype()), " differs from input dtype ", dtype_name(input.dtype()));
  return {contiguous(x), contiguous(weight), unbatched};
}

int64_t conv_out(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d) { return (in + 2 * p - d * (k - 1) - 1) / s + 1; }

Conv conv_geometry(const Tensor& x, const Tensor& w, int64_t groups, Pair stride, Pair pad, Pair dil, const char* op) {
  Conv c{x.shape()[0], x.shape()[1], x.shape()[2], x.shape()[3], w.shape()[0], 0, 0, groups,
         w.shape()[2], w.shape()[3], stride, pad, dil};
  const int64_t eh = c.in_h + 2 * pad.h, ew = c.in_w + 2 * pad.w;
  if (eh < dil.h * (c.kh - 1) + 1 || ew < dil.w * (c.kw - 1) + 1)
    fail<ShapeError>(op, "kernel size (", c.kh, ", ", c.kw, ") with dilation (", dil.h, ", ", dil.w,
                     ") can't be greater than the padded input size (", eh, ", ", ew, "), input ", shape_str(x.shape()));
  c.out_h = conv_out(c.in_h, c.kh, stride.h, pad.h, dil.h);
  c.out_w = conv_out(c.in_w, c.kw, stride.w, pad.w, dil.w);
  return c;
}

Tensor finish(const Tensor& out, bool unbatched) { return unbatched ? squeeze(out, {0}) : out; }

Tensor bias_grad(const Tensor& grad) { return reduce(ReduceOp::Sum, grad, {0, 2, 3}); }

}  // namespace

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, std::vector<int64_t> stride,
              std::vector<int64_t> padding, std::vector<int64_t> dilation, int64_t groups) {
  const Checked ch = check_conv(input, weight, bias, groups, false, "conv2d");
  const Conv c = conv_geometry(ch.input, ch.weight, groups, pair_arg(stride, "conv2d", "stride", 1),
                               pair_arg(padding, "conv2d", "padding", 0), pair_arg(dilation, "conv2d", "dilation", 1),
                               "conv2d");
  Tensor out = Tensor::empty({c.n, c.col_c, c.out_h, c.out_w}, input.dtype());
  if (out.numel() == 0) return finish(out, ch.unbatched);
  if (bias.defined()) copy_(out, reshape(bias, {1, c.col_c, 1, 1}));
  lower_forward(c, ch.input, ch.weight, out, bias.defined(), input.dtype());
  return finish(out, ch.unbatched);
}

std::tuple<Tensor, Tensor, Tensor> conv2d_backward(const Tensor& grad_in, const Tensor& input, const Tensor& weight,
                                                   std::vector<int64_t> stride, std::vector<int64_t> padding,
                                                   std::vector<int64_t> dilation, int64_t groups, bool need_input,
                                                   bool need_weight, bool need_bias) {
  const Checked ch = check_conv(input, weight, Tensor(), groups, false, "conv2d_backward");
  const Conv c = conv_geometry(ch.input, ch.weight, groups, pair_arg(stride, "conv2d", "stride", 1),
                               pair_arg(padding, "conv2d", "padding", 0), pair_arg(dilation, "conv2d", "dilation", 1),
                               "conv2d_backward");
  const Tensor grad = as_contiguous(ch.unbatched ? unsqueeze(grad_in, 0) : grad_in, input.dtype());
  if (grad.shape() != Shape({c.n, c.col_c, c.out_h, c.out_w}))
    fail<ShapeError>("conv2d_backward", "grad of shape ", shape_str(grad_in.shape()), " does not match the output");
  Tensor gx, gw, gb;
  if (need_input) {
    gx = Tensor::empty(ch.input.shape(), input.dtype());
    lower_input_grad(c, grad, ch.weight, gx, input.dtype());
    gx = finish(gx, ch.unbatched);
  }
  if (need_weight) {
    gw = Tensor::empty(weight.shape(), weight.dtype());
    lower_weight_grad(c, ch.input, grad, gw, input.dtype());
  }
  if (need_bias) gb = bias_grad(grad);
  return {gx, gw, gb};
}

Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias, std::vector<int64_t> stride_v,
                        std::vector<int64_t> padding_v, std::vector<int64_t> output_padding_v, int64_t groups,
                        std::vector<int64_t> dilation_v) {
  const char* op = "conv_transpose2d";
  const Checked ch = check_conv(input, weight, bias, groups, true, op);
  const Pair stride = pair_arg(stride_v, op, "stride", 1), pad = pair_arg(padding_v, op, "padding", 0);
  const Pair opad = pair_arg(output_padding_v, op, "output_padding", 0), dil = pair_arg(dilation_v, op, "dilation", 1);
  if (opad.h >= std::max(stride.h, dil.h) || opad.w >= std::max(stride.w, dil.w))
    fail<ValueError>(op, "output padding must be smaller than either stride or dilation, got ", shape_str(output_padding_v));
  const Tensor& x = ch.input;
  const int64_t n = x.shape()[0], cin = x.shape()[1], h = x.shape()[2], w = x.shape()[3];
  const int64_t kh = weight.shape()[2], kw = weight.shape()[3], cout = weight.shape()[1] * groups;
  const int64_t oh = (h - 1) * stride.h - 2 * pad.h + dil.h * (kh - 1) + opad.h + 1;
  const int64_t ow = (w - 1) * stride.w - 2 * pad.w + dil.w * (kw - 1) + opad.w + 1;
  if (oh <= 0 || ow <= 0)
    fail<ShapeError>(op, "output size (", oh, ", ", ow, ") is empty for input ", shape_str(input.shape()));
  // As the input gradient of a conv2d from [n, cout, oh, ow] to [n, cin, h, w].
  const Conv c{n, cout, oh, ow, cin, h, w, groups, kh, kw, stride, pad, dil};
  Tensor out = Tensor::empty({n, cout, oh, ow}, input.dtype());
  lower_input_grad(c, x, ch.weight, out, input.dtype());
  if (bias.defined()) binary_(BinaryOp::Add, out, reshape(bias, {1, cout, 1, 1}));
  return finish(out, ch.unbatched);
}

std::tuple<Tensor, Tensor, Tensor> conv_transpose2d_backward(const Tensor& grad_in, const Tensor& input,
                                                             const Tensor& weight, std::vector<int64_t> stride_v,
                                                             std::vector<int64_t> padding_v, int64_t groups,
                                                             std::vector<int64_t> dilation_v, bool need_input,
                                                             bool need_weight, bool need_bias) {
  const char* op = "conv_transpose2d_backward";
  const Checked ch = check_conv(input, weight, Tensor(), groups, true, op);
  const Pair stride = pair_arg(stride_v, op, "stride", 1), pad = pair_arg(padding_v, op, "padding", 0);
  const Pair dil = pair_arg(dilation_v, op, "dilation", 1);
  const Tensor grad = as_contiguous(ch.unbatched ? unsqueeze(grad_in, 0) : grad_in, input.dtype());
  if (grad.ndim() != 4) fail<ShapeError>(op, "grad must be 4-D, got ", shape_str(grad_in.shape()));
  const Tensor& x = ch.input;
  const int64_t kh = weight.shape()[2], kw = weight.shape()[3], cout = weight.shape()[1] * groups;
  const Conv c{x.shape()[0], cout, grad.shape()[2], grad.shape()[3], x.shape()[1], x.shape()[2], x.shape()[3],
               groups, kh, kw, stride, pad, dil};
  Tensor gx, gw, gb;
  if (need_input) {  // a conv2d of grad with the same weight
    gx = Tensor::empty(x.shape(), input.dtype());
    lower_forward(c, grad, ch.weight, gx, false, input.dtype());
    gx = finish(gx, ch.unbatched);
  }
  if (need_weight) {
    gw = Tensor::empty(weight.shape(), weight.dtype());
    lower_weight_grad(c, grad, x, gw, input.dtype());
  }
  if (need_bias) gb = bias_grad(grad);
  return {gx, gw, gb};
}

}  // namespace tensorforge
