// Image augmentation front end: validates the batch and the per-image parameters, turns flips
// and padded crops into per-image row/column source maps and rotations into affine matrices,
// then runs the image kernels.
#include <cmath>
#include <string>

#include "core/frontend.h"
#include "tensorforge/image_ops.h"

namespace tensorforge {

using namespace core;

namespace {

// A (C, H, W) image or (N, C, H, W) batch as a contiguous [N, C, H, W] tensor.
struct Batch {
  Tensor x;
  bool single;
  int64_t n, c, h, w;
};

Batch batch_of(const Tensor& images, const char* op) {
  check_defined(images, op, "images");
  if (images.ndim() != 3 && images.ndim() != 4)
    fail<ShapeError>(op, "expected a (C, H, W) image or an (N, C, H, W) batch, got shape ", shape_str(images.shape()));
  const bool single = images.ndim() == 3;
  const Tensor x = contiguous(single ? unsqueeze(images, 0) : images);
  const Shape& s = x.shape();
  if (s[1] <= 0 || s[2] <= 0 || s[3] <= 0)
    fail<ShapeError>(op, "images of shape ", shape_str(images.shape()), " are empty (C, H and W must be positive)");
  return {x, single, s[0], s[1], s[2], s[3]};
}

Tensor finish(const Tensor& out, const Batch& b) { return b.single ? squeeze(out, {0}) : out; }

// One value per image, as a contiguous tensor of dtype dt.
Tensor per_image(const Tensor& t, const Batch& b, DType dt, const char* op, const char* what, bool integral) {
  check_defined(t, op, what);
  if (t.ndim() != 1 || t.shape()[0] != b.n)
    fail<ShapeError>(op, what, " must hold one value per image ([", b.n, "]), got shape ", shape_str(t.shape()));
  if (integral && is_floating(t.dtype()))
    fail<DTypeError>(op, what, " must be bool or integer, got ", dtype_name(t.dtype()));
  return as_contiguous(t, dt);
}

std::vector<double> channel_fill(std::vector<double> fill, int64_t channels, const char* op) {
  if (fill.empty()) fill = {0.0};
  if (fill.size() == 1) return std::vector<double>(static_cast<size_t>(channels), fill[0]);
  if (static_cast<int64_t>(fill.size()) != channels)
    fail<ValueError>(op, "fill must have 1 value or one per channel (", channels, "), got ", fill.size());
  return fill;
}

Tensor run_remap(const Batch& b, const std::vector<int64_t>& rows, const std::vector<int64_t>& cols, int64_t out_h,
                 int64_t out_w, const std::vector<double>& fill, const char* op) {
  Tensor out = Tensor::empty({b.n, b.c, out_h, out_w}, b.x.dtype());
  const kernels::ImageGeom g{b.n, b.c, b.h, b.w, out_h, out_w};
  if (out.numel() > 0)
    need(K().image_remap[static_cast<int>(b.x.dtype())], op, b.x.dtype())(
        static_cast<const char*>(b.x.data_ptr()), static_cast<char*>(out.data_ptr()), g, rows.data(), cols.data(),
        fill.data());
  return finish(out, b);
}

enum class PadMode { Constant, Edge, Reflect, Symmetric };

PadMode pad_mode(const std::string& mode, const char* op) {
  if (mode == "constant") return PadMode::Constant;
  if (mode == "edge") return PadMode::Edge;
  if (mode == "reflect") return PadMode::Reflect;
  if (mode == "symmetric") return PadMode::Symmetric;
  fail<ValueError>(op, "unknown padding mode '", mode, "', expected constant, edge, reflect or symmetric");
}

// The source index of padded position s (s already shifted so that 0 is the first real pixel);
// -1 for the fill value. The front end has checked that one reflection suffices.
int64_t pad_source(int64_t s, int64_t size, PadMode mode) {
  if (s >= 0 && s < size) return s;
  switch (mode) {
    case PadMode::Constant: return -1;
    case PadMode::Edge: return s < 0 ? 0 : size - 1;
    case PadMode::Reflect: return s < 0 ? -s : 2 * (size - 1) - s;
    case PadMode::Symmetric: return s < 0 ? -s - 1 : 2 * size - 1 - s;
  }
  return -1;
}

bool interpolation_is_bilinear(const std::string& mode, const char* op) {
  if (mode == "bilinear") return true;
  if (mode == "nearest") return false;
  fail<ValueError>(op, "unknown interpolation '", mode, "', expected nearest or bilinear");
}

// The affine kernel over a validated batch; m: contiguous float64 [N, 2, 3].
Tensor warp(const Batch& b, const Tensor& m, int64_t out_h, int64_t out_w, const std::string& interpolation,
            std::vector<double> fill, const char* op) {
  const bool bilinear = interpolation_is_bilinear(interpolation, op);
  if (!is_floating(b.x.dtype())) fail<DTypeError>(op, "expected floating images, got ", dtype_name(b.x.dtype()));
  if (out_h <= 0 || out_w <= 0) fail<ValueError>(op, "output size must be positive, got (", out_h, ", ", out_w, ")");
  const std::vector<double> f = fill.empty() ? fill : channel_fill(std::move(fill), b.c, op);
  Tensor out = Tensor::empty({b.n, b.c, out_h, out_w}, b.x.dtype());
  const kernels::ImageGeom g{b.n, b.c, b.h, b.w, out_h, out_w};
  if (out.numel() > 0)
    need(K().image_affine[static_cast<int>(b.x.dtype())], op, b.x.dtype())(
        static_cast<const char*>(b.x.data_ptr()), static_cast<char*>(out.data_ptr()), g, m.data<double>(),
        f.empty() ? nullptr : f.data(), bilinear);
  return finish(out, b);
}

}  // namespace

Tensor flip_images(const Tensor& images, const Tensor& horizontal, const Tensor& vertical) {
  const char* op = "flip_images";
  const Batch b = batch_of(images, op);
  const Tensor hf = per_image(horizontal, b, DType::Int64, op, "horizontal", true);
  const Tensor vf = per_image(vertical, b, DType::Int64, op, "vertical", true);
  std::vector<int64_t> rows(static_cast<size_t>(b.n * b.h)), cols(static_cast<size_t>(b.n * b.w));
  for (int64_t n = 0; n < b.n; ++n) {
    const bool flip_h = hf.data<int64_t>()[n] != 0, flip_v = vf.data<int64_t>()[n] != 0;
    for (int64_t i = 0; i < b.h; ++i) rows[n * b.h + i] = flip_v ? b.h - 1 - i : i;
    for (int64_t j = 0; j < b.w; ++j) cols[n * b.w + j] = flip_h ? b.w - 1 - j : j;
  }
  return run_remap(b, rows, cols, b.h, b.w, std::vector<double>(static_cast<size_t>(b.c), 0.0), op);
}

Tensor crop_images(const Tensor& images, const Tensor& top, const Tensor& left, int64_t height, int64_t width,
                   std::vector<int64_t> padding, const std::string& pad_mode_name, std::vector<double> fill) {
  const char* op = "crop_images";
  const Batch b = batch_of(images, op);
  const PadMode mode = pad_mode(pad_mode_name, op);
  if (height <= 0 || width <= 0) fail<ValueError>(op, "crop size must be positive, got (", height, ", ", width, ")");
  if (padding.size() != 4)
    fail<ValueError>(op, "padding must have 4 values (left, top, right, bottom), got ", shape_str(padding));
  const int64_t pl = padding[0], pt = padding[1], pr = padding[2], pb = padding[3];
  if (pl < 0 || pt < 0 || pr < 0 || pb < 0)
    fail<ValueError>(op, "padding must be non-negative, got ", shape_str(padding));
  if (mode == PadMode::Reflect && (std::max(pl, pr) >= b.w || std::max(pt, pb) >= b.h))
    fail<ValueError>(op, "reflect padding ", shape_str(padding), " must be smaller than the image size (", b.h, ", ",
                     b.w, ")");
  if (mode == PadMode::Symmetric && (std::max(pl, pr) > b.w || std::max(pt, pb) > b.h))
    fail<ValueError>(op, "symmetric padding ", shape_str(padding), " must be at most the image size (", b.h, ", ",
                     b.w, ")");
  const int64_t padded_h = b.h + pt + pb, padded_w = b.w + pl + pr;
  if (height > padded_h || width > padded_w)
    fail<ValueError>(op, "crop size (", height, ", ", width, ") is larger than the padded image (", padded_h, ", ",
                     padded_w, ")");
  const Tensor tops = per_image(top, b, DType::Int64, op, "top", true);
  const Tensor lefts = per_image(left, b, DType::Int64, op, "left", true);
  std::vector<int64_t> rows(static_cast<size_t>(b.n * height)), cols(static_cast<size_t>(b.n * width));
  for (int64_t n = 0; n < b.n; ++n) {
    const int64_t t0 = tops.data<int64_t>()[n], l0 = lefts.data<int64_t>()[n];
    if (t0 < 0 || l0 < 0 || t0 + height > padded_h || l0 + width > padded_w)
      fail<ValueError>(op, "the (", height, ", ", width, ") window at (top, left) = (", t0, ", ", l0, ") of image ",
                       n, " does not fit the padded image (", padded_h, ", ", padded_w, ")");
    for (int64_t i = 0; i < height; ++i) rows[n * height + i] = pad_source(t0 + i - pt, b.h, mode);
    for (int64_t j = 0; j < width; ++j) cols[n * width + j] = pad_source(l0 + j - pl, b.w, mode);
  }
  return run_remap(b, rows, cols, height, width, channel_fill(std::move(fill), b.c, op), op);
}

Tensor affine_images(const Tensor& images, const Tensor& matrices, int64_t out_h, int64_t out_w,
                     const std::string& interpolation, std::vector<double> fill) {
  const char* op = "affine_images";
  const Batch b = batch_of(images, op);
  check_defined(matrices, op, "matrices");
  if (matrices.shape() != Shape({b.n, 2, 3}))
    fail<ShapeError>(op, "matrices must have shape [", b.n, ", 2, 3] (one 2x3 matrix per image), got ",
                     shape_str(matrices.shape()));
  if (matrices.dtype() == DType::Bool) fail<DTypeError>(op, "matrices must be real numbers, got bool");
  return warp(b, as_contiguous(matrices, DType::Float64), out_h, out_w, interpolation, std::move(fill), op);
}

Tensor rotate_images(const Tensor& images, const Tensor& angles, const std::string& interpolation,
                     std::vector<double> fill, std::optional<std::pair<double, double>> center) {
  const char* op = "rotate_images";
  const Batch b = batch_of(images, op);
  check_defined(angles, op, "angles");
  if (angles.ndim() != 1 || angles.shape()[0] != b.n)
    fail<ShapeError>(op, "angles must hold one value per image ([", b.n, "]), got shape ", shape_str(angles.shape()));
  if (angles.dtype() == DType::Bool) fail<DTypeError>(op, "angles must be real numbers, got bool");
  const Tensor deg = as_contiguous(angles, DType::Float64);
  // Pivot in pixel-index coordinates (pixel j's centre is j + 0.5 in torchvision's frame).
  const double px = (center ? center->first : 0.5 * static_cast<double>(b.w)) - 0.5;
  const double py = (center ? center->second : 0.5 * static_cast<double>(b.h)) - 0.5;
  if (!std::isfinite(px) || !std::isfinite(py)) fail<ValueError>(op, "center must be finite");
  Tensor m = Tensor::empty({b.n, 2, 3}, DType::Float64);
  double* mp = m.data<double>();
  for (int64_t n = 0; n < b.n; ++n) {
    const double a = deg.data<double>()[n];
    if (!std::isfinite(a)) fail<ValueError>(op, "the angle of image ", n, " is not finite (", a, ")");
    double turn = std::fmod(a, 360.0);
    if (turn < 0) turn += 360.0;
    double c, s;
    if (turn == 0.0) c = 1.0, s = 0.0;
    else if (turn == 90.0) c = 0.0, s = 1.0;
    else if (turn == 180.0) c = -1.0, s = 0.0;
    else if (turn == 270.0) c = 0.0, s = -1.0;
    else c = std::cos(turn * M_PI / 180.0), s = std::sin(turn * M_PI / 180.0);
    // Output pixel (x, y) samples the source at R(theta) (x - p, y - p) + p, y pointing down.
    double* r = mp + 6 * n;
    r[0] = c, r[1] = -s, r[2] = px - c * px + s * py;
    r[3] = s, r[4] = c, r[5] = py - s * px - c * py;
  }
  return warp(b, m, b.h, b.w, interpolation, std::move(fill), op);
}

}  // namespace tensorforge
