// Max / average / adaptive pooling over planes (3-D pooling adds a pass along depth), and the
// resampling kernels behind pad and interpolate; forward and backward.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "cpu/register.h"
#include "cpu/simd/ctype.h"
#include "cpu/simd/vec.h"
#include "tensorforge/parallel.h"

namespace tensorforge::cpu::TF_ISA_NS {
namespace {

using kernels::DepthPoolGeom;
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

// Outputs [lo, hi) along one axis whose windows lie wholly inside the input (no clipping).
struct Span {
  int64_t lo, hi;
};

inline Span inside(int64_t out, int64_t stride, int64_t pad, int64_t k, int64_t dil, int64_t size) {
  const int64_t lo = std::min(out, (pad + stride - 1) / stride);
  const int64_t last = size - 1 + pad - (k - 1) * dil;  // o * stride <= last
  const int64_t hi = last < 0 ? 0 : std::min(out, last / stride + 1);
  return {lo, std::max(lo, hi)};
}

// Runs border(oh, ow) on every output outside the interior rectangle of plane geometry g and
// interior(oh, ow0, ow1) on each interior row segment.
template <typename Border, typename Interior>
inline void split_plane(const PoolGeom& g, const Border& border, const Interior& interior) {
  const Span sh = inside(g.out_h, g.sh, g.ph, g.kh, g.dh, g.height);
  const Span sw = inside(g.out_w, g.sw, g.pw, g.kw, g.dw, g.width);
  for (int64_t oh = 0; oh < g.out_h; ++oh) {
    if (oh < sh.lo || oh >= sh.hi || sw.lo >= sw.hi) {
      for (int64_t ow = 0; ow < g.out_w; ++ow) border(oh, ow);
      continue;
    }
    for (int64_t ow = 0; ow < sw.lo; ++ow) border(oh, ow);
    interior(oh, sw.lo, sw.hi);
    for (int64_t ow = sw.hi; ow < g.out_w; ++ow) border(oh, ow);
  }
}

// Calls fn.template operator()<KH, KW>() with the window fixed at compile time for the common
// 2x2 and 3x3 undilated windows (so loops across outputs vectorise), <0, 0> otherwise.
template <typename F>
inline void with_window(const PoolGeom& g, const F& fn) {
  const bool plain = g.dh == 1 && g.dw == 1;
  if (plain && g.kh == 2 && g.kw == 2) fn(std::integral_constant<int, 2>{});
  else if (plain && g.kh == 3 && g.kw == 3) fn(std::integral_constant<int, 3>{});
  else fn(std::integral_constant<int, 0>{});
}

// Interior max over one output row segment; K > 0 fixes a K x K undilated window. The
// geometry is a copy: stores through int64_t* could otherwise alias its fields.
template <typename T, int K>
void max_row(const T* xp, T* op, int64_t* ip, const PoolGeom g, int64_t oh, int64_t ow0, int64_t ow1) {
  const int64_t kh = K > 0 ? K : g.kh, kw = K > 0 ? K : g.kw;
  const int64_t dh = K > 0 ? 1 : g.dh, dw = K > 0 ? 1 : g.dw;
  const int64_t h0 = oh * g.sh - g.ph;
  for (int64_t ow = ow0; ow < ow1; ++ow) {
    const int64_t w0 = ow * g.sw - g.pw;
    int64_t best_i = h0 * g.width + w0;
    T best = xp[best_i];
    for (int64_t i = 0; i < kh; ++i) {
      const int64_t row = (h0 + i * dh) * g.width + w0;
      for (int64_t j = 0; j < kw; ++j) {
        const T v = xp[row + j * dw];
        const bool take = v > best || (v != v && best == best);  // first max; first NaN wins
        best_i = take ? row + j * dw : best_i;
        best = take ? v : best;
      }
    }
    op[oh * g.out_w + ow] = best;
    ip[oh * g.out_w + ow] = best_i;
  }
}

// Max over a window clipped to the image.
template <typename T>
void max_at(const T* xp, T* op, int64_t* ip, const PoolGeom g, int64_t oh, int64_t ow) {
  const Taps th = taps(oh, g.sh, g.ph, g.kh, g.dh, g.height);
  const Taps tw = taps(ow, g.sw, g.pw, g.kw, g.dw, g.width);
  T best = -std::numeric_limits<T>::infinity();
  int64_t best_i = -1;
  for (int64_t i = 0, h = th.first; i < th.count; ++i, h += g.dh) {
    const T* row = xp + h * g.width;
    for (int64_t j = 0, w = tw.first; j < tw.count; ++j, w += g.dw) {
      const T v = row[w];
      if (v > best || best_i < 0 || (v != v && best == best)) {  // first max; first NaN wins
        best = v;
        best_i = h * g.width + w;
      }
    }
  }
  op[oh * g.out_w + ow] = best;
  ip[oh * g.out_w + ow] = best_i;
}

template <typename T>
void max_pool(const char* x_, char* out_, int64_t* idx, const PoolGeom& geom) {
  const PoolGeom g = geom;  // a local copy: stores through int64_t* could alias the struct
  const T* x = reinterpret_cast<const T*>(x_);
  T* out = reinterpret_cast<T*>(out_);
  const int64_t plane = g.height * g.width, opl = g.out_h * g.out_w;
  with_window(g, [&](auto k) {
    constexpr int K = decltype(k)::value;
    parallel_for(0, g.planes, std::max<int64_t>(1, 8192 / std::max<int64_t>(opl * g.kh * g.kw, 1)),
                 [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        const T* xp = x + p * plane;
        T* op = out + p * opl;
        int64_t* ip = idx + p * opl;
        split_plane(
            g, [&](int64_t oh, int64_t ow) { max_at(xp, op, ip, g, oh, ow); },
            [&](int64_t oh, int64_t ow0, int64_t ow1) { max_row<T, K>(xp, op, ip, g, oh, ow0, ow1); });
      }
    });
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

// Sum of p[0, n): vector accumulators for long runs, plain adds for short ones.
template <typename T>
inline T run_sum(const T* p, int64_t n) {
  using V = Vec<T>;
  constexpr int64_t W = V::size;
  T s = T(0);
  int64_t i = 0;
  if (n >= 2 * W) {
    V a0(T(0)), a1(T(0));
    for (; i + 2 * W <= n; i += 2 * W) {
      a0 = a0 + V::load(p + i);
      a1 = a1 + V::load(p + i + W);
    }
    s = (a0 + a1).reduce_add();
  }
  for (; i < n; ++i) s += p[i];
  return s;
}

template <typename T>
inline T window_sum(const T* xp, const PoolGeom& g, const Window& win) {
  if (win.w0 == 0 && win.w1 == g.width)  // whole rows: one contiguous run
    return run_sum(xp + win.h0 * g.width, (win.h1 - win.h0) * g.width);
  T s = T(0);
  for (int64_t h = win.h0; h < win.h1; ++h) s += run_sum(xp + h * g.width + win.w0, win.w1 - win.w0);
  return s;
}

// Interior average over one output row segment of avg_pool2d (K as in max_row; no dilation).
template <typename T, int K>
void avg_row(const T* xp, T* op, const PoolGeom& g, int64_t oh, int64_t ow0, int64_t ow1) {
  const int64_t kh = K > 0 ? K : g.kh, kw = K > 0 ? K : g.kw;
  const T div = static_cast<T>(g.divisor ? g.divisor : kh * kw);
  const int64_t h0 = oh * g.sh - g.ph;
  for (int64_t ow = ow0; ow < ow1; ++ow) {
    const int64_t w0 = ow * g.sw - g.pw;
    T s = T(0);
    for (int64_t i = 0; i < kh; ++i)
      for (int64_t j = 0; j < kw; ++j) s += xp[(h0 + i) * g.width + w0 + j];
    op[oh * g.out_w + ow] = s / div;
  }
}

template <typename T, int K>
void avg_row_backward(const T* gp, T* gin, const PoolGeom& g, int64_t oh, int64_t ow0, int64_t ow1) {
  const int64_t kh = K > 0 ? K : g.kh, kw = K > 0 ? K : g.kw;
  const T div = static_cast<T>(g.divisor ? g.divisor : kh * kw);
  const int64_t h0 = oh * g.sh - g.ph;
  for (int64_t ow = ow0; ow < ow1; ++ow) {
    const int64_t w0 = ow * g.sw - g.pw;
    const T v = gp[oh * g.out_w + ow] / div;
    for (int64_t i = 0; i < kh; ++i)
      for (int64_t j = 0; j < kw; ++j) gin[(h0 + i) * g.width + w0 + j] += v;
  }
}

template <typename T, Window (*window)(const PoolGeom&, int64_t, int64_t)>
inline void mean_at(const T* xp, T* op, const PoolGeom& g, int64_t oh, int64_t ow) {
  const Window win = window(g, oh, ow);
  op[oh * g.out_w + ow] = win.divisor > 0 ? window_sum(xp, g, win) / static_cast<T>(win.divisor) : T(0);
}

template <typename T, Window (*window)(const PoolGeom&, int64_t, int64_t)>
inline void mean_at_backward(const T* gp, T* gin, const PoolGeom& g, int64_t oh, int64_t ow) {
  const Window win = window(g, oh, ow);
  if (win.divisor <= 0) return;
  const T v = gp[oh * g.out_w + ow] / static_cast<T>(win.divisor);
  for (int64_t h = win.h0; h < win.h1; ++h)
    for (int64_t w = win.w0; w < win.w1; ++w) gin[h * g.width + w] += v;
}

inline int64_t plane_grain(const PoolGeom& g) {
  return std::max<int64_t>(1, 8192 / std::max<int64_t>(g.height * g.width + g.out_h * g.out_w, 1));
}

template <typename T>
void avg_pool(const char* x_, char* out_, const PoolGeom& g) {
  const T* x = reinterpret_cast<const T*>(x_);
  T* out = reinterpret_cast<T*>(out_);
  const int64_t plane = g.height * g.width, opl = g.out_h * g.out_w;
  with_window(g, [&](auto k) {
    constexpr int K = decltype(k)::value;
    parallel_for(0, g.planes, plane_grain(g), [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        const T* xp = x + p * plane;
        T* op = out + p * opl;
        split_plane(
            g, [&](int64_t oh, int64_t ow) { mean_at<T, avg_window>(xp, op, g, oh, ow); },
            [&](int64_t oh, int64_t ow0, int64_t ow1) { avg_row<T, K>(xp, op, g, oh, ow0, ow1); });
      }
    });
  });
}

template <typename T>
void avg_pool_backward(const char* grad_, char* gin_, const PoolGeom& g) {
  const T* grad = reinterpret_cast<const T*>(grad_);
  T* gin = reinterpret_cast<T*>(gin_);
  const int64_t plane = g.height * g.width, opl = g.out_h * g.out_w;
  with_window(g, [&](auto k) {
    constexpr int K = decltype(k)::value;
    parallel_for(0, g.planes, plane_grain(g), [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        const T* gp = grad + p * opl;
        T* gi = gin + p * plane;
        std::fill(gi, gi + plane, T(0));
        split_plane(
            g, [&](int64_t oh, int64_t ow) { mean_at_backward<T, avg_window>(gp, gi, g, oh, ow); },
            [&](int64_t oh, int64_t ow0, int64_t ow1) { avg_row_backward<T, K>(gp, gi, g, oh, ow0, ow1); });
      }
    });
  });
}

template <typename T>
void adaptive_avg_pool(const char* x_, char* out_, const PoolGeom& g) {
  const T* x = reinterpret_cast<const T*>(x_);
  T* out = reinterpret_cast<T*>(out_);
  const int64_t plane = g.height * g.width, opl = g.out_h * g.out_w;
  parallel_for(0, g.planes, plane_grain(g), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p)
      for (int64_t oh = 0; oh < g.out_h; ++oh)
        for (int64_t ow = 0; ow < g.out_w; ++ow) mean_at<T, adaptive_window>(x + p * plane, out + p * opl, g, oh, ow);
  });
}

template <typename T>
void adaptive_avg_pool_backward(const char* grad_, char* gin_, const PoolGeom& g) {
  const T* grad = reinterpret_cast<const T*>(grad_);
  T* gin = reinterpret_cast<T*>(gin_);
  const int64_t plane = g.height * g.width, opl = g.out_h * g.out_w;
  parallel_for(0, g.planes, plane_grain(g), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      T* gi = gin + p * plane;
      std::fill(gi, gi + plane, T(0));
      for (int64_t oh = 0; oh < g.out_h; ++oh)
        for (int64_t ow = 0; ow < g.out_w; ++ow)
          mean_at_backward<T, adaptive_window>(grad + p * opl, gi, g, oh, ow);
    }
  });
}

template <typename T>
void adaptive_max_pool(const char* x_, char* out_, int64_t* idx, const PoolGeom& geom) {
  const PoolGeom g = geom;  // a local copy: stores through int64_t* could alias the struct
  const T* x = reinterpret_cast<const T*>(x_);
  T* out = reinterpret_cast<T*>(out_);
  const int64_t plane = g.height * g.width, opl = g.out_h * g.out_w;
  parallel_for(0, g.planes, plane_grain(g), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const T* xp = x + p * plane;
      for (int64_t oh = 0; oh < g.out_h; ++oh)
        for (int64_t ow = 0; ow < g.out_w; ++ow) {
          const Window win = adaptive_window(g, oh, ow);
          int64_t best_i = win.h0 * g.width + win.w0;
          T best = xp[best_i];
          for (int64_t h = win.h0; h < win.h1; ++h)
            for (int64_t w = win.w0; w < win.w1; ++w) {
              const T v = xp[h * g.width + w];
              const bool take = v > best || (v != v && best == best);  // first max; first NaN wins
              best_i = take ? h * g.width + w : best_i;
              best = take ? v : best;
            }
          out[p * opl + oh * g.out_w + ow] = best;
          idx[p * opl + oh * g.out_w + ow] = best_i;
        }
    }
  });
}

template <typename T>
void max_pool_depth(const char* x_, const int64_t* x_idx, char* out_, int64_t* idx, const DepthPoolGeom& geom) {
  const DepthPoolGeom g = geom;  // a local copy: stores through int64_t* could alias the struct
  const T* x = reinterpret_cast<const T*>(x_);
  T* out = reinterpret_cast<T*>(out_);
  const int64_t rows = g.planes * g.out_d;
  parallel_for(0, rows, std::max<int64_t>(1, 8192 / std::max<int64_t>(g.inner, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t p = r / g.out_d, od = r - p * g.out_d;
      T* best = out + r * g.inner;
      int64_t* best_i = idx + r * g.inner;
      const int64_t d0 = g.first[od];
      const T* src = x + (p * g.depth + d0) * g.inner;
      const int64_t* src_i = x_idx + (p * g.depth + d0) * g.inner;
      for (int64_t j = 0; j < g.inner; ++j) {
        best[j] = src[j];
        best_i[j] = d0 * g.slice + src_i[j];
      }
      for (int64_t t = 1; t < g.count[od]; ++t) {
        const int64_t d = d0 + t * g.step;
        src = x + (p * g.depth + d) * g.inner;
        src_i = x_idx + (p * g.depth + d) * g.inner;
        for (int64_t j = 0; j < g.inner; ++j) {
          const T v = src[j];
          if (v > best[j] || (v != v && best[j] == best[j])) {
            best[j] = v;
            best_i[j] = d * g.slice + src_i[j];
          }
        }
      }
    }
  });
}

// ---- resampling: pad modes and nearest resize (source maps), bilinear resize ----

using kernels::RemapGeom;
using kernels::ResizeGeom;

// Source slice of output slice k of a volume (0 for planes), or -1 for the fill value.
inline int64_t source_slice(const RemapGeom& g, int64_t k) { return g.depths ? g.depths[k] : 0; }

template <typename T>
void remap2d(const char* x_, char* out_, const RemapGeom& g, double fill) {
  const T* x = reinterpret_cast<const T*>(x_);
  T* out = reinterpret_cast<T*>(out_);
  const int64_t plane = g.height * g.width, opl = g.out_h * g.out_w;
  const T value = static_cast<T>(fill);
  const int64_t slices = g.planes * g.out_d;  // output planes
  parallel_for(0, slices, std::max<int64_t>(1, 4096 / std::max<int64_t>(opl, 1)), [&](int64_t s0, int64_t s1) {
    for (int64_t s = s0; s < s1; ++s) {
      const int64_t p = s / g.out_d, d = source_slice(g, s - p * g.out_d);
      T* dst_plane = out + s * opl;
      if (d < 0) {
        std::fill(dst_plane, dst_plane + opl, value);
        continue;
      }
      const T* src_plane = x + (p * g.depth + d) * plane;
      for (int64_t i = 0; i < g.out_h; ++i) {
        T* dst = dst_plane + i * g.out_w;
        if (g.rows[i] < 0) {
          std::fill(dst, dst + g.out_w, value);
          continue;
        }
        const T* src = src_plane + g.rows[i] * g.width;
        for (int64_t j = 0; j < g.out_w; ++j) dst[j] = g.cols[j] < 0 ? value : src[g.cols[j]];
      }
    }
  });
}

// Parallel over the input volumes (a volume's output slices may all feed one input slice).
template <typename T>
void remap2d_backward(const char* grad_, char* gin_, const RemapGeom& g) {
  const T* grad = reinterpret_cast<const T*>(grad_);
  T* gin = reinterpret_cast<T*>(gin_);
  const int64_t plane = g.height * g.width, opl = g.out_h * g.out_w, volume = g.depth * plane;
  parallel_for(0, g.planes, std::max<int64_t>(1, 4096 / std::max<int64_t>(opl * g.out_d, 1)),
               [&](int64_t p0, int64_t p1) {
    std::fill(gin + p0 * volume, gin + p1 * volume, T(0));
    for (int64_t p = p0; p < p1; ++p) {
      for (int64_t k = 0; k < g.out_d; ++k) {
        const int64_t d = source_slice(g, k);
        if (d < 0) continue;
        for (int64_t i = 0; i < g.out_h; ++i) {
          if (g.rows[i] < 0) continue;
          const T* src = grad + ((p * g.out_d + k) * g.out_h + i) * g.out_w;
          T* dst = gin + p * volume + d * plane + g.rows[i] * g.width;
          for (int64_t j = 0; j < g.out_w; ++j)
            if (g.cols[j] >= 0) dst[g.cols[j]] += src[j];
        }
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
    t.avg_pool2d[d] = avg_pool<T>;
    t.avg_pool2d_backward[d] = avg_pool_backward<T>;
    t.adaptive_avg_pool2d[d] = adaptive_avg_pool<T>;
    t.adaptive_avg_pool2d_backward[d] = adaptive_avg_pool_backward<T>;
    t.adaptive_max_pool2d[d] = adaptive_max_pool<T>;
    t.max_pool_depth[d] = max_pool_depth<T>;
    t.remap2d[d] = remap2d<T>;
    t.remap2d_backward[d] = remap2d_backward<T>;
    t.upsample_bilinear2d[d] = upsample_bilinear<T>;
    t.upsample_bilinear2d_backward[d] = upsample_bilinear_backward<T>;
  });
}

}  // namespace tensorforge::cpu::TF_ISA_NS
