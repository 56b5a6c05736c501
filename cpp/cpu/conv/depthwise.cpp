// Depthwise convolution (one input channel per group): direct loops over the planes, vectorised
// along output columns, instead of an im2col GEMM whose depth (kh * kw) is too small to pay.
// Each input plane is first copied into a zero-padded buffer, so the loops never test bounds;
// 3x3 windows are unrolled at compile time (weights and accumulators stay in registers).
#include <algorithm>
#include <cstring>
#include <vector>

#include "cpu/register.h"
#include "cpu/simd/ctype.h"
#include "cpu/simd/vec.h"
#include "tensorforge/parallel.h"

namespace tensorforge::cpu::TF_ISA_NS {
namespace {

using kernels::ConvGeom;

// A plane copied into a buffer with `top`/`left` zero rows/columns before it and enough after
// it for rows x cols; ld is the padded row length.
template <typename T>
struct Padded {
  std::vector<T> buf;
  int64_t ld = 0;
  void fill(const T* src, int64_t h, int64_t w, int64_t top, int64_t left, int64_t rows, int64_t cols) {
    ld = cols;
    buf.assign(static_cast<size_t>(rows * cols), T(0));
    for (int64_t r = 0; r < h; ++r) std::memcpy(&buf[(r + top) * ld + left], src + r * w, sizeof(T) * w);
  }
};

// Sizes of the window, fixed at compile time when KH, KW > 0.
template <int KH, int KW>
struct Window {
  int64_t kh, kw;
  explicit Window(const ConvGeom& g) : kh(KH > 0 ? KH : g.kh), kw(KW > 0 ? KW : g.kw) {}
};

// out[oh][ow] (+)= sum over taps t = (i, j) of w[t] * xp[(oh * sh + i * dh) * ld + ow * sw + j * dw]
// on a padded plane: every tap is in bounds.
template <typename T, int KH, int KW>
void correlate(const T* xp, int64_t ld, const T* w, T* out, const ConvGeom& g, bool accumulate) {
  using V = Vec<T>;
  constexpr int64_t L = V::size;
  const Window<KH, KW> k(g);
  const int64_t taps = k.kh * k.kw;
  for (int64_t oh = 0; oh < g.out_h; ++oh) {
    const T* xr = xp + oh * g.sh * ld;
    T* orow = out + oh * g.out_w;
    if (g.sw != 1) {
      for (int64_t ow = 0; ow < g.out_w; ++ow) {
        T s = accumulate ? orow[ow] : T(0);
        for (int64_t i = 0; i < k.kh; ++i)
          for (int64_t j = 0; j < k.kw; ++j) s += w[i * k.kw + j] * xr[i * g.dh * ld + ow * g.sw + j * g.dw];
        orow[ow] = s;
      }
      continue;
    }
    int64_t ow = 0;
    for (; ow + 2 * L <= g.out_w; ow += 2 * L) {
      V a0 = accumulate ? V::load(orow + ow) : V(T(0));
      V a1 = accumulate ? V::load(orow + ow + L) : V(T(0));
      for (int64_t t = 0; t < taps; ++t) {
        const T* p = xr + (t / k.kw) * g.dh * ld + (t % k.kw) * g.dw + ow;
        const V wt(w[t]);
        a0 = fmadd(wt, V::load(p), a0);
        a1 = fmadd(wt, V::load(p + L), a1);
      }
      a0.store(orow + ow);
      a1.store(orow + ow + L);
    }
    for (; ow < g.out_w; ow += L) {
      const int64_t n = std::min(L, g.out_w - ow);
      V a = accumulate ? V::load_partial(orow + ow, n) : V(T(0));
      for (int64_t t = 0; t < taps; ++t)
        a = fmadd(V(w[t]), V::load_partial(xr + (t / k.kw) * g.dh * ld + (t % k.kw) * g.dw + ow, n), a);
      a.store_partial(orow + ow, n);
    }
  }
}

// acc[t] += sum over outputs of grad[oh][ow] * xp[(oh * sh + i * dh) * ld + ow * sw + j * dw]
// (vector lanes in acc_vec for unit stride, plain sums in acc for the rest).
template <typename T, int KH, int KW>
void correlate_weight(const T* xp, int64_t ld, const T* grad, T* acc, Vec<T>* acc_out, const ConvGeom& g) {
  using V = Vec<T>;
  constexpr int64_t L = V::size;
  const Window<KH, KW> k(g);
  const int64_t taps = k.kh * k.kw;
  // a fixed window keeps its accumulators in registers
  V fixed[KH > 0 ? KH * KW : 1];
  V* acc_vec = acc_out;
  if constexpr (KH > 0) {
    for (int64_t t = 0; t < taps; ++t) fixed[t] = acc_out[t];
    acc_vec = fixed;
  }
  for (int64_t oh = 0; oh < g.out_h; ++oh) {
    const T* xr = xp + oh * g.sh * ld;
    const T* grow = grad + oh * g.out_w;
    if (g.sw != 1) {
      for (int64_t t = 0; t < taps; ++t) {
        const T* p = xr + (t / k.kw) * g.dh * ld + (t % k.kw) * g.dw;
        T s = T(0);
        for (int64_t ow = 0; ow < g.out_w; ++ow) s += grow[ow] * p[ow * g.sw];
        acc[t] += s;
      }
      continue;
    }
    for (int64_t ow = 0; ow < g.out_w; ow += L) {
      const int64_t n = std::min(L, g.out_w - ow);
      const V gv = n == L ? V::load(grow + ow) : V::load_partial(grow + ow, n);
      for (int64_t t = 0; t < taps; ++t) {
        const T* p = xr + (t / k.kw) * g.dh * ld + (t % k.kw) * g.dw + ow;
        acc_vec[t] = fmadd(gv, n == L ? V::load(p) : V::load_partial(p, n), acc_vec[t]);
      }
    }
  }
  if constexpr (KH > 0)
    for (int64_t t = 0; t < taps; ++t) acc_out[t] = fixed[t];
}

// The compile-time 3x3 window when it applies.
template <typename F>
inline void with_window(const ConvGeom& g, const F& fn) {
  if (g.kh == 3 && g.kw == 3) fn(std::integral_constant<int, 3>{});
  else fn(std::integral_constant<int, 0>{});
}

// Pads an input plane for the forward / weight-gradient correlations of g.
template <typename T>
void pad_input(Padded<T>& pad, const T* x, const ConvGeom& g) {
  const int64_t rows = std::max(g.height + g.ph, (g.out_h - 1) * g.sh + (g.kh - 1) * g.dh + 1);
  const int64_t cols = std::max(g.width + g.pw, (g.out_w - 1) * g.sw + (g.kw - 1) * g.dw + 1);
  pad.fill(x, g.height, g.width, g.ph, g.pw, rows + g.ph, cols + g.pw);
}

// Scatter form of the input gradient, for geometries the gather form does not cover.
template <typename T>
void scatter_input_grad(const T* grad, const T* w, T* gx, const ConvGeom& g) {
  for (int64_t oh = 0; oh < g.out_h; ++oh)
    for (int64_t i = 0; i < g.kh; ++i) {
      const int64_t h = oh * g.sh - g.ph + i * g.dh;
      if (h < 0 || h >= g.height) continue;
      for (int64_t ow = 0; ow < g.out_w; ++ow)
        for (int64_t j = 0; j < g.kw; ++j) {
          const int64_t c = ow * g.sw - g.pw + j * g.dw;
          if (c >= 0 && c < g.width) gx[h * g.width + c] += w[i * g.kw + j] * grad[oh * g.out_w + ow];
        }
    }
}

// ---- entry points. Planes: x [n, C, H, W], out / grad [n, C * mult, OH, OW] (output channel
// oc reads input channel oc / mult), weight [C * mult, kh, kw].

template <typename T>
void depthwise_forward(const char* x_, const char* w_, char* out_, int64_t n, int64_t mult, const ConvGeom& g,
                       bool accumulate) {
  const T* x = reinterpret_cast<const T*>(x_);
  const T* w = reinterpret_cast<const T*>(w_);
  T* out = reinterpret_cast<T*>(out_);
  const int64_t plane = g.height * g.width, oplane = g.out_h * g.out_w, taps = g.kh * g.kw;
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, mult * oplane * taps));
  with_window(g, [&](auto k) {
    constexpr int KS = decltype(k)::value;
    parallel_for(0, n * g.channels, grain, [&](int64_t p0, int64_t p1) {
      Padded<T> pad;
      for (int64_t p = p0; p < p1; ++p) {
        pad_input(pad, x + p * plane, g);
        const int64_t c = p % g.channels;
        for (int64_t m = 0; m < mult; ++m)
          correlate<T, KS, KS>(pad.buf.data(), pad.ld, w + (c * mult + m) * taps, out + (p * mult + m) * oplane, g,
                               accumulate);
      }
    });
  });
}

// With unit stride the input gradient is a gather: the correlation of the grad plane, padded by
// (k - 1) * d - p, with the flipped window. Other strides (or padding beyond the window) scatter.
template <typename T>
void depthwise_input_grad(const char* grad_, const char* w_, char* gx_, int64_t n, int64_t mult, const ConvGeom& g) {
  const T* grad = reinterpret_cast<const T*>(grad_);
  const T* w = reinterpret_cast<const T*>(w_);
  T* gx = reinterpret_cast<T*>(gx_);
  const int64_t plane = g.height * g.width, oplane = g.out_h * g.out_w, taps = g.kh * g.kw;
  const int64_t qh = (g.kh - 1) * g.dh - g.ph, qw = (g.kw - 1) * g.dw - g.pw;
  const bool gather = g.sh == 1 && g.sw == 1 && qh >= 0 && qw >= 0;
  ConvGeom t = g;  // the gather as a forward: grad plane -> x plane
  t.height = g.out_h;
  t.width = g.out_w;
  t.out_h = g.height;
  t.out_w = g.width;
  t.ph = qh;
  t.pw = qw;
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, mult * oplane * taps));
  with_window(g, [&](auto k) {
    constexpr int KS = decltype(k)::value;
    parallel_for(0, n * g.channels, grain, [&](int64_t p0, int64_t p1) {
      Padded<T> pad;
      std::vector<T> flipped(static_cast<size_t>(taps));
      for (int64_t p = p0; p < p1; ++p) {
        T* xp = gx + p * plane;
        const int64_t c = p % g.channels;
        if (!gather) std::memset(xp, 0, sizeof(T) * plane);
        for (int64_t m = 0; m < mult; ++m) {
          const T* wm = w + (c * mult + m) * taps;
          const T* gp = grad + (p * mult + m) * oplane;
          if (!gather) {
            scatter_input_grad(gp, wm, xp, g);
            continue;
          }
          for (int64_t i = 0; i < taps; ++i) flipped[i] = wm[taps - 1 - i];
          pad_input(pad, gp, t);
          correlate<T, KS, KS>(pad.buf.data(), pad.ld, flipped.data(), xp, t, m > 0);
        }
      }
    });
  });
}

template <typename T>
void depthwise_weight_grad(const char* x_, const char* grad_, char* gw_, int64_t n, int64_t mult, const ConvGeom& g) {
  using V = Vec<T>;
  const T* x = reinterpret_cast<const T*>(x_);
  const T* grad = reinterpret_cast<const T*>(grad_);
  T* gw = reinterpret_cast<T*>(gw_);
  const int64_t plane = g.height * g.width, oplane = g.out_h * g.out_w, taps = g.kh * g.kw;
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n * mult * oplane * taps));
  with_window(g, [&](auto k) {
    constexpr int KS = decltype(k)::value;
    parallel_for(0, g.channels, grain, [&](int64_t c0, int64_t c1) {
      Padded<T> pad;
      std::vector<T> acc(static_cast<size_t>(taps * mult));
      std::vector<V> acc_vec(static_cast<size_t>(taps * mult));
      for (int64_t c = c0; c < c1; ++c) {
        std::fill(acc.begin(), acc.end(), T(0));
        std::fill(acc_vec.begin(), acc_vec.end(), V(T(0)));
        for (int64_t img = 0; img < n; ++img) {
          pad_input(pad, x + (img * g.channels + c) * plane, g);
          for (int64_t m = 0; m < mult; ++m)
            correlate_weight<T, KS, KS>(pad.buf.data(), pad.ld, grad + ((img * g.channels + c) * mult + m) * oplane,
                                        acc.data() + m * taps, acc_vec.data() + m * taps, g);
        }
        for (int64_t i = 0; i < taps * mult; ++i) gw[c * mult * taps + i] = acc_vec[i].reduce_add() + acc[i];
      }
    });
  });
}

}  // namespace

void register_conv_depthwise(KernelTable& t) {
  for_each_type<float, double>([&](auto tag) {
    using T = decltype(tag);
    t.depthwise_forward[dtype_index<T>] = depthwise_forward<T>;
    t.depthwise_input_grad[dtype_index<T>] = depthwise_input_grad<T>;
    t.depthwise_weight_grad[dtype_index<T>] = depthwise_weight_grad<T>;
  });
}

}  // namespace tensorforge::cpu::TF_ISA_NS
