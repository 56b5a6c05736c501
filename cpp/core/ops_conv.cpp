// Convolution front end. Every convolution op is one of three per-image lowerings around the
// GEMM kernel: forward (W . im2col(x)), input gradient (col2im(W^T . dy)) and weight gradient
// (sum over images of dy . im2col(x)^T). The transposed convolutions swap the roles of x and
// dy. 2-D and 3-D share the lowering (a 2-D image is a 3-D one of depth 1); unfold and fold
// are im2col and col2im themselves.
#include <algorithm>
#include <cstring>
#include <mutex>
#include <string>

#include "core/frontend.h"
#include "tensorforge/nn_ops.h"

namespace tensorforge {

using namespace core;

namespace {

// Spatial sizes {depth, height, width}; 2-D convolutions have depth 1 (stride/dilation 1, pad 0).
struct Dims {
  int64_t d, h, w;
  int64_t volume() const { return d * h * w; }
};

// One value for every spatial dim or one per dim (`spatial` of them: 2 or 3).
Dims dims_arg(const std::vector<int64_t>& v, int64_t spatial, const char* op, const char* what, int64_t min_value) {
  const int64_t n = static_cast<int64_t>(v.size());
  if (n != 1 && n != spatial) fail<ValueError>(op, what, " must have 1 or ", spatial, " values, got ", n);
  for (int64_t x : v)
    if (x < min_value) fail<ValueError>(op, what, " must be >= ", min_value, ", got ", shape_str(v));
  const int64_t h = n == 1 ? v[0] : v[n - 2], w = n == 1 ? v[0] : v[n - 1];
  const int64_t d = spatial == 3 ? v[0] : (min_value > 0 ? 1 : 0);
  return {d, h, w};
}

// The geometry shared by a convolution and its gradients: image `in` <-> columns `out`.
struct Conv {
  int64_t n, image_c;  // the im2col side
  Dims in;
  int64_t col_c;       // the GEMM-output side
  Dims out;
  int64_t groups;
  Dims kernel, stride, pad, dil;
  kernels::ConvGeom geom() const {
    kernels::ConvGeom g{image_c / groups, in.h, in.w, kernel.h, kernel.w, stride.h, stride.w, pad.h, pad.w,
                        dil.h, dil.w, out.h, out.w};
    g.depth = in.d;
    g.kd = kernel.d;
    g.sd = stride.d;
    g.pd = pad.d;
    g.dd = dil.d;
    g.out_d = out.d;
    return g;
  }
  int64_t taps() const { return kernel.volume(); }
  int64_t k() const { return image_c / groups * taps(); }
  int64_t p() const { return out.volume(); }
  int64_t rows() const { return out.d * out.h; }  // output rows of out.w positions
  int64_t plane() const { return in.volume(); }
  bool is_pointwise() const {
    return taps() == 1 && stride.d == 1 && stride.h == 1 && stride.w == 1 && pad.d == 0 && pad.h == 0 && pad.w == 0;
  }
  // One image channel per group: direct kernels beat a GEMM of depth kh * kw (2-D only).
  bool is_depthwise(DType dt) const {
    return groups == image_c && !is_pointwise() && in.d == 1 && kernel.d == 1 && pad.d == 0 &&
           K().depthwise_forward[static_cast<int>(dt)] != nullptr;
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

// Items of at most max_block rows, enough of them (four a thread) to balance the threads.
Items split_rows(const Conv& c, int64_t max_block) {
  const int64_t images = c.n * c.groups, want = 4 * get_num_threads();
  const int64_t per_image = std::max<int64_t>(1, (want + images - 1) / images);
  const int64_t block = std::max<int64_t>(1, std::min(max_block, (c.rows() + per_image - 1) / per_image));
  const int64_t blocks = (c.rows() + block - 1) / block;
  return {c.groups * blocks, blocks, block, images * blocks};
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
  const Items it = split(c, c.rows(), std::min<int64_t>(c.k(), 256) * c.out.w * isz);
  const char* x = static_cast<const char*>(img.data_ptr());
  const char* wp = static_cast<const char*>(w.data_ptr());
  char* o = static_cast<char*>(out.data_ptr());
  for_items(c, it, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t n = i / it.per_image, g = i % it.per_image / it.blocks, blk = i % it.blocks;
      const int64_t r0 = blk * it.block, r1 = std::min(c.rows(), r0 + it.block);
      kernel(wp + g * cg * c.k() * isz, x + (n * c.image_c + g * ig) * c.plane() * isz,
             o + (n * c.col_c + g * cg) * P * isz, cg, geom, r0 * c.out.w, r1 * c.out.w, accumulate);
    }
  });
}

// Convolutions read their tap rows in place from a phase-split zero-padded copy of the image
// when the padding columns computed alongside stay few (at most half the outputs again).
constexpr int64_t kPaddedSlack = 64;  // elements readable past the padded copy (a GEMM panel)

// The phase volumes of that copy (see ConvPaddedForwardKernel).
Dims phase_dims(const Conv& c) {
  const auto up = [](int64_t v, int64_t s) { return (v + s - 1) / s; };
  return {up(c.in.d + 2 * c.pad.d, c.stride.d), up(c.in.h + 2 * c.pad.h, c.stride.h), up(c.in.w + 2 * c.pad.w, c.stride.w)};
}

int64_t phase_count(const Conv& c) { return c.stride.d * c.stride.h * c.stride.w; }

bool use_padded(const Conv& c, DType dt) {
  if (!K().conv_padded_forward[static_cast<int>(dt)] || !K().conv_pad[static_cast<int>(dt)] || c.is_pointwise())
    return false;
  const int64_t span = (c.out.h - 1) * phase_dims(c).w + c.out.w;  // per output plane
  return 2 * span <= 3 * c.out.h * c.out.w;
}

// [n, image_c, phases, phase volume] copy of img, flat, with zeroed slack after it.
Tensor padded_copy(const Conv& c, const Tensor& img, DType dt) {
  const int64_t planes = c.n * c.image_c, total = planes * phase_count(c) * phase_dims(c).volume();
  Tensor flat = Tensor::empty({total + kPaddedSlack}, dt);
  fill_(narrow(flat, 0, total, kPaddedSlack), 0.0);
  auto geom = c.geom();
  need(K().conv_pad[static_cast<int>(dt)], "conv", dt)(static_cast<const char*>(img.data_ptr()),
                                                       static_cast<char*>(flat.data_ptr()), planes, geom);
  return flat;
}

void padded_forward(const Conv& c, const Tensor& img, const Tensor& w, const Tensor& out, bool accumulate, DType dt) {
  auto kernel = K().conv_padded_forward[static_cast<int>(dt)];
  const int64_t isz = itemsize(dt), P = c.p(), cg = c.col_c / c.groups, ig = c.image_c / c.groups;
  const int64_t vol = phase_count(c) * phase_dims(c).volume();  // per channel
  const Tensor xp = padded_copy(c, img, dt);
  const auto geom = c.geom();
  // scratch tiles of about 256 KB: cg rows of the span
  const Items it = split(c, c.rows(), 4 * cg * phase_dims(c).w * isz);
  const char* x = static_cast<const char*>(xp.data_ptr());
  const char* wp = static_cast<const char*>(w.data_ptr());
  char* o = static_cast<char*>(out.data_ptr());
  for_items(c, it, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t n = i / it.per_image, g = i % it.per_image / it.blocks, blk = i % it.blocks;
      const int64_t r0 = blk * it.block, r1 = std::min(c.rows(), r0 + it.block);
      kernel(wp + g * cg * c.k() * isz, x + (n * c.image_c + g * ig) * vol * isz, o + (n * c.col_c + g * cg) * P * isz,
             cg, geom, r0, r1, accumulate);
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
  if (use_padded(c, dt)) {
    padded_forward(c, img, w, out, accumulate, dt);
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
  const Items it = split(c, c.rows(), K_ * c.out.w * isz);
  const char* x = static_cast<const char*>(img.data_ptr());
  const char* wp = static_cast<const char*>(w.data_ptr());
  char* o = static_cast<char*>(out.data_ptr());
  for_items(c, it, [&](int64_t i0, int64_t i1) {
    Tensor cols = direct ? Tensor() : Tensor::empty({K_ * it.block * c.out.w}, dt);
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t n = i / it.per_image, g = i % it.per_image / it.blocks, blk = i % it.blocks;
      const int64_t r0 = blk * it.block, r1 = std::min(c.rows(), r0 + it.block), cols_n = (r1 - r0) * c.out.w;
      const char* xg = x + (n * c.image_c + g * ig) * c.plane() * isz;
      const char* b = xg + r0 * c.out.w * isz;
      int64_t ldb = P;
      if (!direct) {
        im2col(xg, static_cast<char*>(cols.data_ptr()), geom, r0, r1);
        b = static_cast<const char*>(cols.data_ptr());
        ldb = cols_n;
      }
      gemm(false, false, cg, cols_n, K_, wp + g * cg * K_ * isz, K_, b, ldb,
           o + ((n * c.col_c + g * cg) * P + r0 * c.out.w) * isz, P, accumulate ? 1.0 : 0.0);
    }
  });
}

// With stride 1 the input gradient is itself a convolution: of src, padded by dil * (k - 1) -
// pad, with the weight's taps reversed and its channel axes swapped (per group).
bool grad_is_convolution(const Conv& c) {
  const auto fits = [](int64_t k, int64_t p, int64_t d) { return d * (k - 1) >= p; };
  return !c.is_pointwise() && c.stride.d == 1 && c.stride.h == 1 && c.stride.w == 1 &&
         fits(c.kernel.d, c.pad.d, c.dil.d) && fits(c.kernel.h, c.pad.h, c.dil.h) && fits(c.kernel.w, c.pad.w, c.dil.w);
}

Tensor flipped_weight(const Conv& c, const Tensor& w) {
  const int64_t g = c.groups, cg = c.col_c / g, ig = c.image_c / g, taps = c.taps();
  const Tensor swapped = permute(reshape(w, {g, cg, ig, taps}), {0, 2, 1, 3});
  return contiguous(index_select(swapped, 3, arange(static_cast<double>(taps - 1), -1.0, -1.0, DType::Int64)));
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
  if (grad_is_convolution(c)) {
    const auto back = [](int64_t k, int64_t p, int64_t d) { return d * (k - 1) - p; };
    const Dims pad{back(c.kernel.d, c.pad.d, c.dil.d), back(c.kernel.h, c.pad.h, c.dil.h),
                   back(c.kernel.w, c.pad.w, c.dil.w)};
    const Conv t{c.n, c.col_c, c.out, c.image_c, c.in, c.groups, c.kernel, c.stride, pad, c.dil};
    lower_forward(t, src, flipped_weight(c, w), img, false, dt);
    return;
  }
  auto gemm = need(K().gemm[static_cast<int>(dt)], "conv2d_backward", dt);
  auto col2im = need(K().col2im[static_cast<int>(dt)], "conv2d_backward", dt);
  const int64_t isz = itemsize(dt), K_ = c.k(), P = c.p(), cg = c.col_c / c.groups, ig = c.image_c / c.groups;
  const int64_t taps = c.taps(), plane = c.plane();
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
void padded_weight_grad(const Conv& c, const Tensor& img, const Tensor& src, const Tensor& dw, DType dt) {
  auto kernel = K().conv_padded_weight_grad[static_cast<int>(dt)];
  const int64_t isz = itemsize(dt), P = c.p(), cg = c.col_c / c.groups, ig = c.image_c / c.groups, K_ = c.k();
  const int64_t vol = phase_count(c) * phase_dims(c).volume();  // per channel
  const Tensor xp = padded_copy(c, img, dt);
  const auto geom = c.geom();
  const Items it = split_rows(c, 128);  // long items: the kernel's set-up (a dw^T scratch) amortised
  const char* x = static_cast<const char*>(xp.data_ptr());
  const char* s = static_cast<const char*>(src.data_ptr());
  fill_(dw, 0.0);
  std::mutex mutex;
  for_items(c, it, [&](int64_t i0, int64_t i1) {
    const bool alone = i0 == 0 && i1 == it.total;  // one share: accumulate straight into dw
    Tensor local = alone ? dw : zeros(dw.shape(), dt);
    char* lw = static_cast<char*>(local.data_ptr());
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t n = i / it.per_image, g = i % it.per_image / it.blocks, blk = i % it.blocks;
      const int64_t r0 = blk * it.block, r1 = std::min(c.rows(), r0 + it.block);
      kernel(x + (n * c.image_c + g * ig) * vol * isz, s + (n * c.col_c + g * cg) * P * isz, lw + g * cg * K_ * isz, cg,
             geom, r0, r1);
    }
    if (!alone) {
      std::lock_guard<std::mutex> lock(mutex);
      binary_(BinaryOp::Add, dw, local);
    }
  });
}

void lower_weight_grad(const Conv& c, const Tensor& img, const Tensor& src, const Tensor& dw, DType dt) {
  if (c.is_depthwise(dt)) {
    K().depthwise_weight_grad[static_cast<int>(dt)](static_cast<const char*>(img.data_ptr()),
                                                    static_cast<const char*>(src.data_ptr()),
                                                    static_cast<char*>(dw.data_ptr()), c.n, c.mult(), c.depthwise_geom());
    return;
  }
  if (use_padded(c, dt) && K().conv_padded_weight_grad[static_cast<int>(dt)]) {
    padded_weight_grad(c, img, src, dw, dt);
    return;
  }
  auto gemm = need(K().gemm[static_cast<int>(dt)], "conv2d_backward", dt);
  auto im2col = need(K().im2col[static_cast<int>(dt)], "conv2d_backward", dt);
  const int64_t isz = itemsize(dt), K_ = c.k(), P = c.p(), cg = c.col_c / c.groups, ig = c.image_c / c.groups;
  const auto geom = c.geom();
  const bool direct = c.is_pointwise();
  const Items it = split(c, c.rows(), K_ * c.out.w * isz);
  const char* x = static_cast<const char*>(img.data_ptr());
  const char* s = static_cast<const char*>(src.data_ptr());
  fill_(dw, 0.0);
  std::mutex mutex;
  for_items(c, it, [&](int64_t i0, int64_t i1) {
    const bool alone = i0 == 0 && i1 == it.total;  // one share: accumulate straight into dw
    Tensor local = alone ? dw : zeros(dw.shape(), dt);
    Tensor cols = direct ? Tensor() : Tensor::empty({K_ * it.block * c.out.w}, dt);
    char* lw = static_cast<char*>(local.data_ptr());
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t n = i / it.per_image, g = i % it.per_image / it.blocks, blk = i % it.blocks;
      const int64_t r0 = blk * it.block, r1 = std::min(c.rows(), r0 + it.block), cols_n = (r1 - r0) * c.out.w;
      const char* xg = x + (n * c.image_c + g * ig) * c.plane() * isz;
      const char* b = xg + r0 * c.out.w * isz;
      int64_t ldb = P;
      if (!direct) {
        im2col(xg, static_cast<char*>(cols.data_ptr()), geom, r0, r1);
        b = static_cast<const char*>(cols.data_ptr());
        ldb = cols_n;
      }
      gemm(false, true, cg, K_, cols_n, s + ((n * c.col_c + g * cg) * P + r0 * c.out.w) * isz, P, b, ldb,
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

const char* input_layout(int64_t spatial, bool batched) {
  if (spatial == 3) return batched ? "5-D (N, C, D, H, W)" : "4-D (C, D, H, W)";
  return batched ? "4-D (N, C, H, W)" : "3-D (C, H, W)";
}

// Validates and returns contiguous [N, C, (D,) H, W] input and contiguous weight.
Checked check_conv(const Tensor& input, const Tensor& weight, const Tensor& bias, int64_t groups, bool transposed,
                   int64_t spatial, const char* op) {
  check_defined(input, op);
  check_defined(weight, op, "weight");
  if (input.ndim() != spatial + 1 && input.ndim() != spatial + 2)
    fail<ShapeError>(op, "expected ", input_layout(spatial, false), " or ", input_layout(spatial, true),
                     " input, got input of shape ", shape_str(input.shape()));
  if (weight.ndim() != spatial + 2)
    fail<ShapeError>(op, "expected ", spatial + 2, "-D weight, got weight of shape ", shape_str(weight.shape()));
  if (!is_floating(input.dtype()))
    fail<DTypeError>(op, "expected a floating input, got ", dtype_name(input.dtype()));
  if (input.dtype() != weight.dtype())
    fail<DTypeError>(op, "input (", dtype_name(input.dtype()), ") and weight (", dtype_name(weight.dtype()),
                     ") must have the same dtype");
  if (groups < 1) fail<ValueError>(op, "groups must be a positive integer, got ", groups);
  const bool unbatched = input.ndim() == spatial + 1;
  const Tensor x = unbatched ? unsqueeze(input, 0) : input;
  const int64_t cin = x.shape()[1];
  const int64_t expected_in = transposed ? weight.shape()[0] : weight.shape()[1] * groups;
  const int64_t cout = transposed ? weight.shape()[1] * groups : weight.shape()[0];
  if (cin != expected_in)
    fail<ShapeError>(op, "expected input with ", expected_in, " channels (weight ", shape_str(weight.shape()),
                     ", groups ", groups, "), got input of shape ", shape_str(input.shape()));
  if (weight.shape()[0] % groups != 0)
    fail<ShapeError>(op, "groups ", groups, " must divide the channels of weight ", shape_str(weight.shape()));
  if (bias.defined() && (bias.ndim() != 1 || bias.shape()[0] != cout))
    fail<ShapeError>(op, "expected bias of shape [", cout, "], got ", shape_str(bias.shape()));
  if (bias.defined() && bias.dtype() != input.dtype())
    fail<DTypeError>(op, "bias dtype ", dtype_name(bias.dtype()), " differs from input dtype ", dtype_name(input.dtype()));
  return {contiguous(x), contiguous(weight), unbatched};
}

int64_t conv_out(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d) { return (in + 2 * p - d * (k - 1) - 1) / s + 1; }

std::string dims_str(const Dims& v, int64_t spatial) {
  return spatial == 3 ? shape_str({v.d, v.h, v.w}) : shape_str({v.h, v.w});
}

// The spatial dims of a [N, C, (D,) H, W] shape.
Dims spatial_dims(const Shape& s, int64_t spatial) { return {spatial == 3 ? s[2] : 1, s[spatial], s[spatial + 1]}; }

Shape with_spatial(int64_t n, int64_t c, const Dims& v, int64_t spatial) {
  return spatial == 3 ? Shape{n, c, v.d, v.h, v.w} : Shape{n, c, v.h, v.w};
}

Dims kernel_dims(const Tensor& w, int64_t spatial) { return spatial_dims(w.shape(), spatial); }

// The geometry of a sliding window over the image x (im2col side) producing col_c channels.
Conv conv_geometry(const Shape& x, int64_t col_c, int64_t groups, const Dims& kernel, const Dims& stride,
                   const Dims& pad, const Dims& dil, int64_t spatial, const char* op) {
  const Dims in = spatial_dims(x, spatial);
  const Dims padded{in.d + 2 * pad.d, in.h + 2 * pad.h, in.w + 2 * pad.w};
  if (padded.d < dil.d * (kernel.d - 1) + 1 || padded.h < dil.h * (kernel.h - 1) + 1 ||
      padded.w < dil.w * (kernel.w - 1) + 1)
    fail<ShapeError>(op, "kernel size ", dims_str(kernel, spatial), " with dilation ", dims_str(dil, spatial),
                     " can't be greater than the padded input size ", dims_str(padded, spatial), ", input ",
                     shape_str(x));
  const Dims out{conv_out(in.d, kernel.d, stride.d, pad.d, dil.d), conv_out(in.h, kernel.h, stride.h, pad.h, dil.h),
                 conv_out(in.w, kernel.w, stride.w, pad.w, dil.w)};
  return {x[0], x[1], in, col_c, out, groups, kernel, stride, pad, dil};
}

struct Args {
  Dims stride, pad, dil;
};

Args conv_args(const std::vector<int64_t>& stride, const std::vector<int64_t>& padding,
               const std::vector<int64_t>& dilation, int64_t spatial, const char* op) {
  return {dims_arg(stride, spatial, op, "stride", 1), dims_arg(padding, spatial, op, "padding", 0),
          dims_arg(dilation, spatial, op, "dilation", 1)};
}

Tensor finish(const Tensor& out, bool unbatched) { return unbatched ? squeeze(out, {0}) : out; }

Tensor bias_grad(const Tensor& grad, int64_t spatial) {
  return spatial == 3 ? reduce(ReduceOp::Sum, grad, {0, 2, 3, 4}) : reduce(ReduceOp::Sum, grad, {0, 2, 3});
}

void add_bias(const Tensor& out, const Tensor& bias, int64_t spatial, bool assign) {
  const Tensor b = reshape(bias, spatial == 3 ? Shape{1, bias.numel(), 1, 1, 1} : Shape{1, bias.numel(), 1, 1});
  if (assign) copy_(out, b);
  else binary_(BinaryOp::Add, out, b);
}

Tensor conv_nd(const Tensor& input, const Tensor& weight, const Tensor& bias, const std::vector<int64_t>& stride,
               const std::vector<int64_t>& padding, const std::vector<int64_t>& dilation, int64_t groups,
               int64_t spatial, const char* op) {
  const Checked ch = check_conv(input, weight, bias, groups, false, spatial, op);
  const Args a = conv_args(stride, padding, dilation, spatial, op);
  const Conv c = conv_geometry(ch.input.shape(), ch.weight.shape()[0], groups, kernel_dims(ch.weight, spatial), a.stride,
                               a.pad, a.dil, spatial, op);
  Tensor out = Tensor::empty(with_spatial(c.n, c.col_c, c.out, spatial), input.dtype());
  if (out.numel() == 0) return finish(out, ch.unbatched);
  if (bias.defined()) add_bias(out, bias, spatial, true);
  lower_forward(c, ch.input, ch.weight, out, bias.defined(), input.dtype());
  return finish(out, ch.unbatched);
}

std::tuple<Tensor, Tensor, Tensor> conv_nd_backward(const Tensor& grad_in, const Tensor& input, const Tensor& weight,
                                                    const std::vector<int64_t>& stride,
                                                    const std::vector<int64_t>& padding,
                                                    const std::vector<int64_t>& dilation, int64_t groups,
                                                    bool need_input, bool need_weight, bool need_bias, int64_t spatial,
                                                    const char* op) {
  const Checked ch = check_conv(input, weight, Tensor(), groups, false, spatial, op);
  const Args a = conv_args(stride, padding, dilation, spatial, op);
  const Conv c = conv_geometry(ch.input.shape(), ch.weight.shape()[0], groups, kernel_dims(ch.weight, spatial), a.stride,
                               a.pad, a.dil, spatial, op);
  check_defined(grad_in, op, "grad");
  const Tensor grad = as_contiguous(ch.unbatched ? unsqueeze(grad_in, 0) : grad_in, input.dtype());
  if (grad.shape() != with_spatial(c.n, c.col_c, c.out, spatial))
    fail<ShapeError>(op, "grad of shape ", shape_str(grad_in.shape()), " does not match the output");
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
  if (need_bias) gb = bias_grad(grad, spatial);
  return {gx, gw, gb};
}

// A transposed convolution is the input gradient of the convolution from its output back to
// its input: the GEMM-output side is the transposed convolution's input x.
Tensor conv_transpose_nd(const Tensor& input, const Tensor& weight, const Tensor& bias,
                         const std::vector<int64_t>& stride_v, const std::vector<int64_t>& padding_v,
                         const std::vector<int64_t>& output_padding_v, int64_t groups,
                         const std::vector<int64_t>& dilation_v, int64_t spatial, const char* op) {
  const Checked ch = check_conv(input, weight, bias, groups, true, spatial, op);
  const Args a = conv_args(stride_v, padding_v, dilation_v, spatial, op);
  const Dims opad = dims_arg(output_padding_v, spatial, op, "output_padding", 0);
  if (opad.d >= std::max(a.stride.d, a.dil.d) || opad.h >= std::max(a.stride.h, a.dil.h) ||
      opad.w >= std::max(a.stride.w, a.dil.w))
    fail<ValueError>(op, "output padding must be smaller than either stride or dilation, got ",
                     shape_str(output_padding_v));
  const Tensor& x = ch.input;
  const Dims in = spatial_dims(x.shape(), spatial), k = kernel_dims(weight, spatial);
  const int64_t n = x.shape()[0], cin = x.shape()[1], cout = weight.shape()[1] * groups;
  auto size = [](int64_t i, int64_t kk, int64_t s, int64_t p, int64_t d, int64_t op_) {
    return (i - 1) * s - 2 * p + d * (kk - 1) + op_ + 1;
  };
  const Dims out{size(in.d, k.d, a.stride.d, a.pad.d, a.dil.d, opad.d), size(in.h, k.h, a.stride.h, a.pad.h, a.dil.h, opad.h),
                 size(in.w, k.w, a.stride.w, a.pad.w, a.dil.w, opad.w)};
  if (out.d <= 0 || out.h <= 0 || out.w <= 0)
    fail<ShapeError>(op, "output size ", dims_str(out, spatial), " is empty for input ", shape_str(input.shape()));
  const Conv c{n, cout, out, cin, in, groups, k, a.stride, a.pad, a.dil};
  Tensor result = Tensor::empty(with_spatial(n, cout, out, spatial), input.dtype());
  if (result.numel() == 0) return finish(result, ch.unbatched);
  if (x.numel() == 0) fill_(result, 0.0);
  else lower_input_grad(c, x, ch.weight, result, input.dtype());
  if (bias.defined()) add_bias(result, bias, spatial, false);
  return finish(result, ch.unbatched);
}

std::tuple<Tensor, Tensor, Tensor> conv_transpose_nd_backward(const Tensor& grad_in, const Tensor& input,
                                                              const Tensor& weight,
                                                              const std::vector<int64_t>& stride_v,
                                                              const std::vector<int64_t>& padding_v, int64_t groups,
                                                              const std::vector<int64_t>& dilation_v, bool need_input,
                                                              bool need_weight, bool need_bias, int64_t spatial,
                                                              const char* op) {
  const Checked ch = check_conv(input, weight, Tensor(), groups, true, spatial, op);
  const Args a = conv_args(stride_v, padding_v, dilation_v, spatial, op);
  check_defined(grad_in, op, "grad");
  const Tensor grad = as_contiguous(ch.unbatched ? unsqueeze(grad_in, 0) : grad_in, input.dtype());
  const Tensor& x = ch.input;
  const int64_t cout = weight.shape()[1] * groups;
  if (grad.ndim() != spatial + 2 || grad.shape()[0] != x.shape()[0] || grad.shape()[1] != cout)
    fail<ShapeError>(op, "grad of shape ", shape_str(grad_in.shape()), " does not match the output");
  const Dims k = kernel_dims(weight, spatial);
  const Conv c = conv_geometry(grad.shape(), x.shape()[1], groups, k, a.stride, a.pad, a.dil, spatial, op);
  if (c.out.d != spatial_dims(x.shape(), spatial).d || c.out.h != x.shape()[spatial] ||
      c.out.w != x.shape()[spatial + 1])
    fail<ShapeError>(op, "grad of shape ", shape_str(grad_in.shape()), " does not match the output");
  Tensor gx, gw, gb;
  if (need_input) {  // a convolution of grad with the same weight
    gx = Tensor::empty(x.shape(), input.dtype());
    lower_forward(c, grad, ch.weight, gx, false, input.dtype());
    gx = finish(gx, ch.unbatched);
  }
  if (need_weight) {
    gw = Tensor::empty(weight.shape(), weight.dtype());
    lower_weight_grad(c, grad, x, gw, input.dtype());
  }
  if (need_bias) gb = bias_grad(grad, spatial);
  return {gx, gw, gb};
}

// unfold / fold: im2col / col2im of each image channel, the channels of all images in parallel.
struct Sliding {
  Conv c;
  kernels::ConvGeom geom;  // one channel
  int64_t planes;          // images x channels
};

Sliding sliding(const Shape& image, int64_t channels, const std::vector<int64_t>& kernel_size,
                const std::vector<int64_t>& dilation, const std::vector<int64_t>& padding,
                const std::vector<int64_t>& stride, const char* op) {
  const Dims k = dims_arg(kernel_size, 2, op, "kernel_size", 1);
  const Args a = conv_args(stride, padding, dilation, 2, op);
  Sliding s{conv_geometry(image, channels * k.volume(), 1, k, a.stride, a.pad, a.dil, 2, op), {}, 0};
  s.geom = s.c.geom();
  s.geom.channels = 1;
  s.planes = s.c.n * s.c.image_c;
  return s;
}

template <typename F>
void for_planes(const Sliding& s, const F& fn) {
  const int64_t work = s.c.taps() * std::max<int64_t>(s.c.p(), 1);
  parallel_for(0, s.planes, std::max<int64_t>(1, 32768 / work), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) fn(p);
  });
}

}  // namespace

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, std::vector<int64_t> stride,
              std::vector<int64_t> padding, std::vector<int64_t> dilation, int64_t groups) {
  return conv_nd(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d");
}

std::tuple<Tensor, Tensor, Tensor> conv2d_backward(const Tensor& grad, const Tensor& input, const Tensor& weight,
                                                   std::vector<int64_t> stride, std::vector<int64_t> padding,
                                                   std::vector<int64_t> dilation, int64_t groups, bool need_input,
                                                   bool need_weight, bool need_bias) {
  return conv_nd_backward(grad, input, weight, stride, padding, dilation, groups, need_input, need_weight, need_bias,
                          2, "conv2d_backward");
}

Tensor conv3d(const Tensor& input, const Tensor& weight, const Tensor& bias, std::vector<int64_t> stride,
              std::vector<int64_t> padding, std::vector<int64_t> dilation, int64_t groups) {
  return conv_nd(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d");
}

std::tuple<Tensor, Tensor, Tensor> conv3d_backward(const Tensor& grad, const Tensor& input, const Tensor& weight,
                                                   std::vector<int64_t> stride, std::vector<int64_t> padding,
                                                   std::vector<int64_t> dilation, int64_t groups, bool need_input,
                                                   bool need_weight, bool need_bias) {
  return conv_nd_backward(grad, input, weight, stride, padding, dilation, groups, need_input, need_weight, need_bias,
                          3, "conv3d_backward");
}

Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias, std::vector<int64_t> stride,
                        std::vector<int64_t> padding, std::vector<int64_t> output_padding, int64_t groups,
                        std::vector<int64_t> dilation) {
  return conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                           "conv_transpose2d");
}

std::tuple<Tensor, Tensor, Tensor> conv_transpose2d_backward(const Tensor& grad, const Tensor& input,
                                                             const Tensor& weight, std::vector<int64_t> stride,
                                                             std::vector<int64_t> padding, int64_t groups,
                                                             std::vector<int64_t> dilation, bool need_input,
                                                             bool need_weight, bool need_bias) {
  return conv_transpose_nd_backward(grad, input, weight, stride, padding, groups, dilation, need_input, need_weight,
                                    need_bias, 2, "conv_transpose2d_backward");
}

Tensor conv_transpose3d(const Tensor& input, const Tensor& weight, const Tensor& bias, std::vector<int64_t> stride,
                        std::vector<int64_t> padding, std::vector<int64_t> output_padding, int64_t groups,
                        std::vector<int64_t> dilation) {
  return conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups, dilation, 3,
                           "conv_transpose3d");
}

std::tuple<Tensor, Tensor, Tensor> conv_transpose3d_backward(const Tensor& grad, const Tensor& input,
                                                             const Tensor& weight, std::vector<int64_t> stride,
                                                             std::vector<int64_t> padding, int64_t groups,
                                                             std::vector<int64_t> dilation, bool need_input,
                                                             bool need_weight, bool need_bias) {
  return conv_transpose_nd_backward(grad, input, weight, stride, padding, groups, dilation, need_input, need_weight,
                                    need_bias, 3, "conv_transpose3d_backward");
}

Tensor unfold(const Tensor& input, std::vector<int64_t> kernel_size, std::vector<int64_t> dilation,
              std::vector<int64_t> padding, std::vector<int64_t> stride) {
  const char* op = "unfold";
  check_defined(input, op);
  if (input.ndim() != 3 && input.ndim() != 4)
    fail<ShapeError>(op, "expected 3-D (C, H, W) or 4-D (N, C, H, W) input, got input of shape ",
                     shape_str(input.shape()));
  if (!is_floating(input.dtype())) fail<DTypeError>(op, "expected a floating input, got ", dtype_name(input.dtype()));
  const bool unbatched = input.ndim() == 3;
  const Tensor x = contiguous(unbatched ? unsqueeze(input, 0) : input);
  const Sliding s = sliding(x.shape(), x.shape()[1], kernel_size, dilation, padding, stride, op);
  const DType dt = input.dtype();
  Tensor out = Tensor::empty({s.c.n, s.c.col_c, s.c.p()}, dt);
  if (out.numel() > 0) {
    auto im2col = need(K().im2col[static_cast<int>(dt)], op, dt);
    const int64_t isz = itemsize(dt), plane = s.c.plane(), cols = s.c.taps() * s.c.p();
    const char* src = static_cast<const char*>(x.data_ptr());
    char* dst = static_cast<char*>(out.data_ptr());
    for_planes(s, [&](int64_t p) { im2col(src + p * plane * isz, dst + p * cols * isz, s.geom, 0, s.c.rows()); });
  }
  return finish(out, unbatched);
}

Tensor fold(const Tensor& input, std::vector<int64_t> output_size, std::vector<int64_t> kernel_size,
            std::vector<int64_t> dilation, std::vector<int64_t> padding, std::vector<int64_t> stride) {
  const char* op = "fold";
  check_defined(input, op);
  if (input.ndim() != 2 && input.ndim() != 3)
    fail<ShapeError>(op, "expected 2-D (C * prod(kernel_size), L) or 3-D (N, C * prod(kernel_size), L) input, got "
                     "input of shape ", shape_str(input.shape()));
  if (!is_floating(input.dtype())) fail<DTypeError>(op, "expected a floating input, got ", dtype_name(input.dtype()));
  const bool unbatched = input.ndim() == 2;
  const Tensor cols = contiguous(unbatched ? unsqueeze(input, 0) : input);
  const Dims size = dims_arg(output_size, 2, op, "output_size", 1);
  const Dims k = dims_arg(kernel_size, 2, op, "kernel_size", 1);
  const int64_t n = cols.shape()[0], rows = cols.shape()[1], blocks = cols.shape()[2];
  if (rows % k.volume() != 0)
    fail<ShapeError>(op, "expected size of input's dimension 1 to be divisible by the product of kernel_size ",
                     dims_str(k, 2), ", but got input of shape ", shape_str(input.shape()));
  const int64_t channels = rows / k.volume();
  const Shape image{n, channels, size.h, size.w};
  const Sliding s = sliding(image, channels, kernel_size, dilation, padding, stride, op);
  if (s.c.p() != blocks)
    fail<ShapeError>(op, "given output_size ", dims_str(size, 2), " and kernel_size ", dims_str(k, 2),
                     ", expected size of input's dimension 2 to match the calculated number of sliding blocks ",
                     s.c.out.h, " * ", s.c.out.w, " = ", s.c.p(), ", but got input of shape ", shape_str(input.shape()));
  const DType dt = input.dtype();
  Tensor out = zeros(image, dt);
  if (out.numel() > 0 && cols.numel() > 0) {
    auto col2im = need(K().col2im[static_cast<int>(dt)], op, dt);
    const int64_t isz = itemsize(dt), plane = s.c.plane(), per_plane = s.c.taps() * s.c.p();
    const char* src = static_cast<const char*>(cols.data_ptr());
    char* dst = static_cast<char*>(out.data_ptr());
    for_planes(s, [&](int64_t p) { col2im(src + p * per_plane * isz, dst + p * plane * isz, s.geom); });
  }
  return finish(out, unbatched);
}

}  // namespace tensorforge
