// Image augmentation kernels over batches, each image with its own parameters: a separable
// remap (flips, crops with padding) and an affine warp (rotation), nearest or bilinear.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "cpu/register.h"
#include "cpu/simd/ctype.h"
#include "tensorforge/parallel.h"

namespace tensorforge::cpu::TF_ISA_NS {
namespace {

using kernels::ImageGeom;

constexpr int64_t kGrain = 8192;       // output elements per parallel task, at least
constexpr int64_t kTinyElements = 64;  // below this the reference loop is used

inline int64_t task_grain(int64_t per_item) { return std::max<int64_t>(1, kGrain / std::max<int64_t>(per_item, 1)); }

// How one image's column map reads a source row: a forward run (memcpy), a reversed run
// (horizontal flip) or a general gather (padding, fill).
struct ColumnPlan {
  enum Kind { Forward, Reverse, Gather } kind;
  int64_t first;
};

ColumnPlan plan_columns(const int64_t* cols, int64_t n) {
  bool fwd = cols[0] >= 0, rev = cols[0] >= 0;
  for (int64_t j = 1; j < n && (fwd || rev); ++j) {
    fwd = fwd && cols[j] == cols[0] + j;
    rev = rev && cols[j] == cols[0] - j;
  }
  if (fwd) return {ColumnPlan::Forward, cols[0]};
  if (rev && n > 1) return {ColumnPlan::Reverse, cols[0]};
  return {ColumnPlan::Gather, 0};
}

// Reference: every output element through the maps, no plans.
template <typename T>
void image_remap_reference(const T* x, T* out, const ImageGeom& g, const int64_t* rows, const int64_t* cols,
                           const double* fill) {
  for (int64_t n = 0; n < g.images; ++n)
    for (int64_t c = 0; c < g.channels; ++c)
      for (int64_t i = 0; i < g.out_h; ++i)
        for (int64_t j = 0; j < g.out_w; ++j) {
          const int64_t r = rows[n * g.out_h + i], s = cols[n * g.out_w + j];
          out[((n * g.channels + c) * g.out_h + i) * g.out_w + j] =
              r < 0 || s < 0 ? static_cast<T>(fill[c]) : x[((n * g.channels + c) * g.height + r) * g.width + s];
        }
}

template <typename T>
void image_remap(const char* x_, char* out_, const ImageGeom& g, const int64_t* rows, const int64_t* cols,
                 const double* fill) {
  const T* x = reinterpret_cast<const T*>(x_);
  T* out = reinterpret_cast<T*>(out_);
  const int64_t plane = g.height * g.width, opl = g.out_h * g.out_w;
  if (g.images * g.channels * opl <= kTinyElements) return image_remap_reference(x, out, g, rows, cols, fill);
  parallel_for(0, g.images * g.channels, task_grain(opl), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t n = p / g.channels, c = p % g.channels;
      const int64_t* rmap = rows + n * g.out_h;
      const int64_t* cmap = cols + n * g.out_w;
      const ColumnPlan plan = plan_columns(cmap, g.out_w);
      const T value = static_cast<T>(fill[c]);
      for (int64_t i = 0; i < g.out_h; ++i) {
        T* dst = out + p * opl + i * g.out_w;
        if (rmap[i] < 0) {
          std::fill(dst, dst + g.out_w, value);
          continue;
        }
        const T* src = x + p * plane + rmap[i] * g.width;
        switch (plan.kind) {
          case ColumnPlan::Forward: std::memcpy(dst, src + plan.first, sizeof(T) * g.out_w); break;
          case ColumnPlan::Reverse:
            for (int64_t j = 0; j < g.out_w; ++j) dst[j] = src[plan.first - j];
            break;
          case ColumnPlan::Gather:
            for (int64_t j = 0; j < g.out_w; ++j) dst[j] = cmap[j] < 0 ? value : src[cmap[j]];
            break;
        }
      }
    }
  });
}

// One output pixel of the affine warp, all channels: the source taps are found once and read
// from every channel plane (planes `plane` apart in x, `opl` apart in out).
template <typename T>
inline void sample_nearest(const T* img, T* o, const ImageGeom& g, int64_t plane, int64_t opl, double sx, double sy,
                           const T* fill) {
  const double rx = std::nearbyint(sx), ry = std::nearbyint(sy);
  if (!(rx >= 0 && ry >= 0 && rx < static_cast<double>(g.width) && ry < static_cast<double>(g.height))) {
    for (int64_t c = 0; c < g.channels; ++c) o[c * opl] = fill ? fill[c] : T(0);
    return;
  }
  const int64_t at = static_cast<int64_t>(ry) * g.width + static_cast<int64_t>(rx);
  for (int64_t c = 0; c < g.channels; ++c) o[c * opl] = img[c * plane + at];
}

// Bilinear: S = sum of the weights times the taps inside the image. With a fill, the result
// blends toward it by the weight m of the taps inside, m * S + (1 - m) * fill, as torchvision
// does (it samples a ones-channel to get m); without one it is S (zeros padding).
template <typename T>
inline void sample_bilinear(const T* img, T* o, const ImageGeom& g, int64_t plane, int64_t opl, double sx, double sy,
                            const T* fill) {
  const double w = static_cast<double>(g.width), h = static_cast<double>(g.height);
  if (!(sx > -1.0 && sy > -1.0 && sx < w && sy < h)) {  // no tap inside (or NaN)
    for (int64_t c = 0; c < g.channels; ++c) o[c * opl] = fill ? fill[c] : T(0);
    return;
  }
  const double fx = std::floor(sx), fy = std::floor(sy);
  const int64_t x0 = static_cast<int64_t>(fx), y0 = static_cast<int64_t>(fy);
  const T ax = static_cast<T>(sx - fx), ay = static_cast<T>(sy - fy);
  T w00 = (T(1) - ax) * (T(1) - ay), w01 = ax * (T(1) - ay), w10 = (T(1) - ax) * ay, w11 = ax * ay;
  if (x0 >= 0 && y0 >= 0 && x0 + 1 < g.width && y0 + 1 < g.height) {
    const int64_t at = y0 * g.width + x0;
    for (int64_t c = 0; c < g.channels; ++c) {
      const T* p = img + c * plane + at;
      o[c * opl] = w00 * p[0] + w01 * p[1] + w10 * p[g.width] + w11 * p[g.width + 1];
    }
    return;
  }
  // x0 <= W - 1 and y0 <= H - 1 here; only the low side and the +1 taps can fall outside.
  const bool left = x0 >= 0, right = x0 + 1 < g.width, top = y0 >= 0, bottom = y0 + 1 < g.height;
  if (!(top && left)) w00 = T(0);
  if (!(top && right)) w01 = T(0);
  if (!(bottom && left)) w10 = T(0);
  if (!(bottom && right)) w11 = T(0);
  const T inside = w00 + w01 + w10 + w11;
  const int64_t at = y0 * g.width + x0;
  for (int64_t c = 0; c < g.channels; ++c) {
    const T* p = img + c * plane + at;
    T v = T(0);
    if (w00 != T(0)) v += w00 * p[0];
    if (w01 != T(0)) v += w01 * p[1];
    if (w10 != T(0)) v += w10 * p[g.width];
    if (w11 != T(0)) v += w11 * p[g.width + 1];
    o[c * opl] = fill ? inside * v + (T(1) - inside) * fill[c] : v;
  }
}

// Gathers dominate this loop (no SIMD gathers in Vec<T>): the win is computing each pixel's taps
// once for all channels, and one image per task.
template <typename T>
void image_affine(const char* x_, char* out_, const ImageGeom& g, const double* matrices, const double* fill_,
                  bool bilinear) {
  const T* x = reinterpret_cast<const T*>(x_);
  T* out = reinterpret_cast<T*>(out_);
  const int64_t plane = g.height * g.width, opl = g.out_h * g.out_w;
  std::vector<T> fill_values;
  if (fill_) fill_values.assign(fill_, fill_ + g.channels);
  const T* fill = fill_ ? fill_values.data() : nullptr;
  parallel_for(0, g.images, task_grain(opl * g.channels), [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) {
      const double* m = matrices + 6 * n;
      const T* img = x + n * g.channels * plane;
      T* o = out + n * g.channels * opl;
      for (int64_t i = 0; i < g.out_h; ++i) {
        const double bx = m[1] * static_cast<double>(i) + m[2], by = m[4] * static_cast<double>(i) + m[5];
        T* row = o + i * g.out_w;
        if (bilinear)
          for (int64_t j = 0; j < g.out_w; ++j)
            sample_bilinear(img, row + j, g, plane, opl, m[0] * static_cast<double>(j) + bx,
                            m[3] * static_cast<double>(j) + by, fill);
        else
          for (int64_t j = 0; j < g.out_w; ++j)
            sample_nearest(img, row + j, g, plane, opl, m[0] * static_cast<double>(j) + bx,
                           m[3] * static_cast<double>(j) + by, fill);
      }
    }
  });
}

}  // namespace

void register_image(KernelTable& t) {
  for_each_type<float, double, int32_t, int64_t, bool>([&](auto tag) {
    using T = decltype(tag);
    t.image_remap[dtype_index<T>] = image_remap<T>;
  });
  for_each_type<float, double>([&](auto tag) {
    using T = decltype(tag);
    t.image_affine[dtype_index<T>] = image_affine<T>;
  });
}

}  // namespace tensorforge::cpu::TF_ISA_NS
