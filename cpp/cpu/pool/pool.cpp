// Max / average / adaptive-average pooling over planes, and the resampling kernels behind pad
// and interpolate; forward and backward.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "cpu/register.h"
#include "cpu/simd/ctype.h"
#include "tensorforge/parallel.h"

namespace tensorforge::cpu::TF_ISA_NS {
namespace {

using kernels::PoolGeom;

// Valid window taps along one axis: first index, count, step (dilation).
struct Taps {
  int64_t first, count;
};

inline Taps taps(int64_t o, int64_t stride, int64_t pad, int64_t k, int64_t dil, int64_t size) {
  const int64_t start = o * stride - pad;
  int64_t i0 = 0;
  if (start < 0) i0 = (-start + dil - 1) / dil;  // first tap inside the input
  int64_t i1 = k;
  const int64_t last_ok = size - 1 - start;      // taps must satisfy start + i * dil <= size - 1
  if (last_ok < (k - 1) * dil) i1 = last_ok < 0 ? 0 : last_ok / dil + 1;
  return {start + i0 * dil, std::max<int64_t>(0, i1 - i0)};
}

// Every window inside the image, no dilation: plain loops with no clipping. KH/KW > 0 fix the
// window size at compile time so the compiler vectorises across outputs (2x2 and 3x3 pools).
template <typename T, int KH, int KW>
void max_pool_interior(const T* x, T* out, int64_t* idx, const PoolGeom g, int64_t p0, int64_t p1) {
  const int64_t plane = g.height * g.width, opl = g.out_h * g.out_w;
  const int64_t kh = KH > 0 ? KH : g.kh, kw = KW > 0 ? KW : g.kw;
  for (int64_t p = p0; p < p1; ++p) {
    const T* xp = x + p * plane;
    T* op = out + p * opl;
    int64_t* ip = idx + p * opl;
    for (int64_t oh = 0; oh < g.out_h; ++oh) {
      const int64_t h0 = oh * g.sh;
      for (int64_t ow = 0; ow < g.out_w; ++ow) {
        const int64_t w0 = ow * g.sw;
        int64_t best_i = h0 * g.width + w0;
        T best = xp[best_i];
        for (int64_t i = 0; i < kh; ++i) {
          const int64_t row = (h0 + i) * g.width + w0;
          for (int64_t j = 0; j < kw; ++j) {
            const T v = xp[row + j];
            const bool take = v > best || (v != v && best == best);  // first max; first NaN wins
            best_i = take ? row + j : best_i;
            best = take ? v : best;
          }
        }
        op[oh * g.out_w + ow] = best;
        ip[oh * g.out_w + ow] = best_i;
      }
    }
  }
}

template <typename T>
void max_pool(const char* x_, char* out_, int64_t* idx, const PoolGeom& geom) {
  const PoolGeom g = geom;  // a local copy: stores through int64_t* could alias the struct
  const T* x = reinterpret_cast<const T*>(x_);
  T* out = reinterpret_cast<T*>(out_);
  const int64_t plane = g.height * g.width, opl = g.out_h * g.out_w;
  const bool interior = g.ph == 0 && g.pw == 0 && g.dh == 1 && g.dw == 1 &&
                        (g.out_h - 1) * g.sh + g.kh <= g.height && (g.out_w - 1) * g.sw + g.kw <= g.width;
  if (interior && idx) {
    parallel_for(0, g.planes, 16, [&](int64_t p0, int64_t p1) {
      if (g.kh == 2 && g.kw == 2) max_pool_interior<T, 2, 2>(x, out, idx, g, p0, p1);
      else if (g.kh == 3 && g.kw == 3) max_pool_interior<T, 3, 3>(x, out, idx, g, p0, p1);
      else max_pool_interior<T, 0, 0>(x, out, idx, g, p0, p1);
    });
    return;
  }
  parallel_for(0, g.planes, 16, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const T* xp = x + p * plane;
      for (int64_t oh = 0; oh < g.out_h; ++oh) {
        const Taps th = taps(oh, g.sh, g.ph, g.kh, g.dh, g.height);
        for (int64_t ow = 0; ow < g.out_w; ++ow) {
          const Taps tw = taps(ow, g.sw, g.pw, g.kw, g.dw, g.width);
          T best = -std::numeric_limits<T>::infinity();
          int64_t best_i = -1;
          bool nan = false;
          for (int64_t i = 0, h = th.first; i < th.count && !nan; ++i, h += g.dh) {
            const T* row = xp + h * g.width;
            for (int64_t j = 0, w = tw.first; j < tw.count; ++j, w += g.dw) {
              const T v = row[w];
              // the first maximum wins; the first NaN wins over everything
              if (v > best || best_i < 0 || v != v) {
                best = v;
                best_i = h * g.width + w;
                if (v != v) {
                  nan = true;
                  break;
                }
              }
            }
          }
          out[p * opl + oh * g.out_w + ow] = best;
          if (idx) idx[p * opl + oh * g.out_w + ow] = best_i;
        }
      }
    }
  });
}

template <typename T>
void max_pool_backward(const char* grad_, const int64_t* idx, char* gin_, const PoolGeom& geom) {
  const PoolGeom g = geom;  // a local copy: stores through int64_t* could alias the struct
  const T* grad = reinterpret_cast<const T*>(grad_);
  T* gin = reinterpret_cast<T*>(gin_);
  const int64_t plane = g.height * g.width, opl = g.out_h * g.out_w;
  parallel_for(0, g.planes, 16, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      std::fill(gin + p * plane, gin + (p + 1) * plane, T(0));
      for (int64_t o = 0; o < opl; ++o) {
        const int64_t i = idx[p * opl + o];
        if (i >= 0) gin[p * plane + i] += grad[p * opl + o];
      }
    }
  });
}

// Average-pool window [h0, h1) x [w0, w1) clipped to the image, and its divisor.
struct Window {
  int64_t h0, h1, w0, w1, divisor;
};

Window avg_window(const PoolGeom& g, int64_t oh, int64_t ow) {
  int64_t h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
  int64_t h1 = std::min(h0 + g.kh, g.height + g.ph), w1 = std::min(w0 + g.kw, g.width + g.pw);
  const int64_t padded = (h1 - h0) * (w1 - w0);
  h0 = std::max<int64_t>(h0, 0);
  w0 = std::max<int64_t>(w0, 0);
  h1 = std::min(h1, g.height);
  w1 = std::min(w1, g.width);
  const int64_t div = g.divisor ? g.divisor : (g.count_include_pad ? padded : (h1 - h0) * (w1 - w0));
  return {h0, h1, w0, w1, div};
}

inline int64_t start_index(int64_t i, int64_t in, int64_t out) { return (i * in) / out; }
inline int64_t end_index(int64_t i, int64_t in, int64_t out) { return ((i + 1) * in + out - 1) / out; }

Window adaptive_window(const PoolGeom& g, int64_t oh, int64_t ow) {
  const int64_t h0 = start_index(oh, g.height, g.out_h), h1 = end_index(oh, g.height, g.out_h);
  const int64_t w0 = start_index(ow, g.width, g.out_w), w1 = end_index(ow, g.width, g.out_w);
  return {h0, h1, w0, w1, (h1 - h0) * (w1 - w0)};
}

// Average over each output's window (avg_window or adaptive_window).
template <typename T, Window (*window)(const PoolGeom&, int64_t, int64_t)>
void mean_pool(const char* x_, char* out_, const PoolGeom& g) {
  const T* x = reinterpret_cast<const T*>(x_);
  T* out = reinterpret_cast<T*>(out_);
  const int64_t plane = g.height * g.width, opl = g.out_h * g.out_w;
  parallel_for(0, g.planes, 16, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p)
      for (int64_t oh = 0; oh < g.out_h; ++oh)
        for (int64_t ow = 0; ow < g.out_w; ++ow) {
          const Window win = window(g, oh, ow);
          T s = T(0);
          for (int64_t h = win.h0; h < win.h1; ++h)
            for (int64_t w = win.w0; w < win.w1; ++w) s += x[p * plane + h * g.width + w];
          out[p * opl + oh * g.out_w + ow] = win.divisor > 0 ? s / static_cast<T>(win.divisor) : T(0);
        }
  });
}

// Spreads each output's gradient evenly over its window.
template <typename T, Window (*window)(const PoolGeom&, int64_t, int64_t)>
void mean_pool_backward(const char* grad_, char* gin_, const PoolGeom& g) {
  const T* grad = reinterpret_cast<const T*>(grad_);
  T* gin = reinterpret_cast<T*>(gin_);
  const int64_t plane = g.height * g.width, opl = g.out_h * g.out_w;
  parallel_for(0, g.planes, 16, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      std::fill(gin + p * plane, gin + (p + 1) * plane, T(0));
      for (int64_t oh = 0; oh < g.out_h; ++oh)
        for (int64_t ow = 0; ow < g.out_w; ++ow) {
          const Window win = window(g, oh, ow);
          if (win.divisor <= 0) continue;
          const T v = grad[p * opl + oh * g.out_w + ow] / static_cast<T>(win.divisor);
          for (int64_t h = win.h0; h < win.h1; ++h)
            for (int64_t w = win.w0; w < win.w1; ++w) gin[p * plane + h * g.width + w] += v;
        }
    }
  });
}

// ---- resampling: pad modes and nearest resize (source maps), bilinear resize ----

using kernels::RemapGeom;
using kernels::ResizeGeom;

template <typename T>
void remap2d(const char* x_, char* out_, const RemapGeom& g, double fill) {
  const T* x = reinterpret_cast<const T*>(x_);
  T* out = reinterpret_cast<T*>(out_);
  const int64_t plane = g.height * g.width, opl = g.out_h * g.out_w;
  const T value = static_cast<T>(fill);
  parallel_for(0, g.planes, std::max<int64_t>(1, 4096 / std::max<int64_t>(opl, 1)), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      for (int64_t i = 0; i < g.out_h; ++i) {
        T* dst = out + p * opl + i * g.out_w;
        if (g.rows[i] < 0) {
          std::fill(dst, dst + g.out_w, value);
          continue;
        }
        const T* src = x + p * plane + g.rows[i] * g.width;
        for (int64_t j = 0; j < g.out_w; ++j) dst[j] = g.cols[j] < 0 ? value : src[g.cols[j]];
      }
    }
  });
}

template <typename T>
void remap2d_backward(const char* grad_, char* gin_, const RemapGeom& g) {
  const T* grad = reinterpret_cast<const T*>(grad_);
  T* gin = reinterpret_cast<T*>(gin_);
  const int64_t plane = g.height * g.width, opl = g.out_h * g.out_w;
  parallel_for(0, g.planes, std::max<int64_t>(1, 4096 / std::max<int64_t>(opl, 1)), [&](int64_t p0, int64_t p1) {
    std::fill(gin + p0 * plane, gin + p1 * plane, T(0));
    for (int64_t p = p0; p < p1; ++p) {
      for (int64_t i = 0; i < g.out_h; ++i) {
        if (g.rows[i] < 0) continue;
        const T* src = grad + p * opl + i * g.out_w;
        T* dst = gin + p * plane + g.rows[i] * g.width;
        for (int64_t j = 0; j < g.out_w; ++j)
          if (g.cols[j] >= 0) dst[g.cols[j]] += src[j];
      }
    }
  });
}

// One output coordinate of a linear resize: x[i0] * l0 + x[i1] * l1.
template <typename T>
struct Lerp {
  int64_t i0, i1;
  T l0, l1;
};

// PyTorch's upsample_linear index arithmetic, in T (float for float32), so results match.
template <typename T>
std::vector<Lerp<T>> lerp_table(int64_t in, int64_t out, double user_scale, bool align_corners) {
  T scale;
  if (align_corners) scale = out > 1 ? static_cast<T>(in - 1) / static_cast<T>(out - 1) : T(0);
  else scale = user_scale > 0 ? static_cast<T>(1.0 / user_scale) : static_cast<T>(in) / static_cast<T>(out);
  std::vector<Lerp<T>> table(static_cast<size_t>(out));
  for (int64_t o = 0; o < out; ++o) {
    T real = align_corners ? scale * static_cast<T>(o) : scale * (static_cast<T>(o) + T(0.5)) - T(0.5);
    if (!align_corners && real < T(0)) real = T(0);
    const int64_t i0 = std::min(static_cast<int64_t>(std::floor(real)), in - 1);
    const T l1 = std::min(std::max(real - static_cast<T>(i0), T(0)), T(1));
    table[o] = {i0, i0 + (i0 < in - 1 ? 1 : 0), T(1) - l1, l1};
  }
  return table;
}

template <typename T>
void upsample_bilinear(const char* x_, char* out_, const ResizeGeom& g) {
  const T* x = reinterpret_cast<const T*>(x_);
  T* out = reinterpret_cast<T*>(out_);
  const auto th = lerp_table<T>(g.height, g.out_h, g.scale_h, g.align_corners);
  const auto tw = lerp_table<T>(g.width, g.out_w, g.scale_w, g.align_corners);
  const int64_t plane = g.height * g.width, opl = g.out_h * g.out_w;
  parallel_for(0, g.planes, std::max<int64_t>(1, 4096 / std::max<int64_t>(opl, 1)), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p)
      for (int64_t i = 0; i < g.out_h; ++i) {
        const Lerp<T> h = th[i];
        const T* r0 = x + p * plane + h.i0 * g.width;
        const T* r1 = x + p * plane + h.i1 * g.width;
        T* dst = out + p * opl + i * g.out_w;
        for (int64_t j = 0; j < g.out_w; ++j) {
          const Lerp<T> w = tw[j];
          dst[j] = h.l0 * (w.l0 * r0[w.i0] + w.l1 * r0[w.i1]) + h.l1 * (w.l0 * r1[w.i0] + w.l1 * r1[w.i1]);
        }
      }
  });
}

template <typename T>
void upsample_bilinear_backward(const char* grad_, char* gin_, const ResizeGeom& g) {
  const T* grad = reinterpret_cast<const T*>(grad_);
  T* gin = reinterpret_cast<T*>(gin_);
  const auto th = lerp_table<T>(g.height, g.out_h, g.scale_h, g.align_corners);
  const auto tw = lerp_table<T>(g.width, g.out_w, g.scale_w, g.align_corners);
  const int64_t plane = g.height * g.width, opl = g.out_h * g.out_w;
  parallel_for(0, g.planes, std::max<int64_t>(1, 4096 / std::max<int64_t>(opl, 1)), [&](int64_t p0, int64_t p1) {
    std::fill(gin + p0 * plane, gin + p1 * plane, T(0));
    for (int64_t p = p0; p < p1; ++p)
      for (int64_t i = 0; i < g.out_h; ++i) {
        const Lerp<T> h = th[i];
        T* r0 = gin + p * plane + h.i0 * g.width;
        T* r1 = gin + p * plane + h.i1 * g.width;
        const T* src = grad + p * opl + i * g.out_w;
        for (int64_t j = 0; j < g.out_w; ++j) {
          const Lerp<T> w = tw[j];
          const T top = h.l0 * src[j], bottom = h.l1 * src[j];
          r0[w.i0] += w.l0 * top;
          r0[w.i1] += w.l1 * top;
          r1[w.i0] += w.l0 * bottom;
          r1[w.i1] += w.l1 * bottom;
        }
      }
  });
}

}  // namespace

void register_pool(KernelTable& t) {
  for_each_type<float, double>([&](auto tag) {
    using T = decltype(tag);
    const int d = dtype_index<T>;
    t.max_pool2d[d] = max_pool<T>;
    t.max_pool2d_backward[d] = max_pool_backward<T>;
    t.avg_pool2d[d] = mean_pool<T, avg_window>;
    t.avg_pool2d_backward[d] = mean_pool_backward<T, avg_window>;
    t.adaptive_avg_pool2d[d] = mean_pool<T, adaptive_window>;
    t.adaptive_avg_pool2d_backward[d] = mean_pool_backward<T, adaptive_window>;
    t.remap2d[d] = remap2d<T>;
    t.remap2d_backward[d] = remap2d_backward<T>;
    t.upsample_bilinear2d[d] = upsample_bilinear<T>;
    t.upsample_bilinear2d_backward[d] = upsample_bilinear_backward<T>;
  });
}

}  // namespace tensorforge::cpu::TF_ISA_NS
