// Softmax / log_softmax forward and backward along n of a contiguous [outer, n, inner] tensor.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "cpu/reduce/reduce.h"
#include "cpu/simd/ctype.h"
#include "cpu/simd/vec.h"
#include "cpu/simd/vmath.h"
#include "tensorforge/parallel.h"

namespace tensorforge::cpu::TF_ISA_NS {
namespace {

constexpr int64_t kTileLanes = 256;   // columns per task when inner > 1
constexpr int64_t kGrain = 16384;     // elements per parallel task, at least
constexpr int64_t kTinyElements = 64;
constexpr int64_t kSumBlock = 1024;   // contiguous elements per vector-accumulated partial sum
constexpr int64_t kSumRows = 64;      // rows per partial sum when inner > 1

// Plain reference: one softmax row (stride `inner`) at a time.
template <typename T>
void softmax_reference(const T* x, T* y, int64_t outer, int64_t n, int64_t inner, bool log) {
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j = 0; j < inner; ++j) {
      const T* p = x + o * n * inner + j;
      T* q = y + o * n * inner + j;
      T m = -std::numeric_limits<T>::infinity();
      for (int64_t k = 0; k < n; ++k) m = std::max(m, p[k * inner]);
      T s = 0;
      for (int64_t k = 0; k < n; ++k) s += std::exp(p[k * inner] - m);
      for (int64_t k = 0; k < n; ++k)
        q[k * inner] = log ? p[k * inner] - m - std::log(s) : std::exp(p[k * inner] - m) / s;
    }
  }
}

template <typename T>
void softmax_backward_reference(const T* g, const T* y, T* gi, int64_t outer, int64_t n, int64_t inner,
                                bool log) {
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j = 0; j < inner; ++j) {
      const int64_t b = o * n * inner + j;
      T s = 0;
      for (int64_t k = 0; k < n; ++k) s += log ? g[b + k * inner] : g[b + k * inner] * y[b + k * inner];
      for (int64_t k = 0; k < n; ++k) {
        const int64_t i = b + k * inner;
        gi[i] = log ? g[i] - std::exp(y[i]) * s : y[i] * (g[i] - s);
      }
    }
  }
}

template <typename T>
struct Softmax {
  using V = Vec<T>;
  static constexpr int64_t W = V::size;
  static constexpr int64_t kTileVecs = (kTileLanes + W - 1) / W;

  // Lane-wise log through <cmath>; used once per row / tile, not per element.
  static V log_lanes(V v) {
    T lanes[W];
    v.store(lanes);
    for (int64_t k = 0; k < W; ++k) lanes[k] = std::log(lanes[k]);
    return V::load(lanes);
  }

  // ---- inner == 1: contiguous rows ----
  static T row_max(const T* p, int64_t n) {
    V m0(-std::numeric_limits<T>::infinity()), m1 = m0, m2 = m0, m3 = m0;
    int64_t i = 0;
    for (; i + 4 * W <= n; i += 4 * W) {
      m0 = vmax(V::load(p + i), m0);
      m1 = vmax(V::load(p + i + W), m1);
      m2 = vmax(V::load(p + i + 2 * W), m2);
      m3 = vmax(V::load(p + i + 3 * W), m3);
    }
    for (; i + W <= n; i += W) m0 = vmax(V::load(p + i), m0);
    T m = vmax(vmax(m0, m1), vmax(m2, m3)).reduce_max();
    for (; i < n; ++i) m = std::max(p[i], m);
    return m;
  }

  // Sum of exp(x - m) over one block, storing the exponentials to e when e is not null.
  static T block_exp_sum(const T* x, T* e, int64_t n, T m) {
    const V mv(m);
    V s0(T(0)), s1 = s0, s2 = s0, s3 = s0;
    int64_t i = 0;
    for (; i + 4 * W <= n; i += 4 * W) {
      V e0 = vexp(V::load(x + i) - mv), e1 = vexp(V::load(x + i + W) - mv);
      V e2 = vexp(V::load(x + i + 2 * W) - mv), e3 = vexp(V::load(x + i + 3 * W) - mv);
      if (e) {
        e0.store(e + i);
        e1.store(e + i + W);
        e2.store(e + i + 2 * W);
        e3.store(e + i + 3 * W);
      }
      s0 = s0 + e0;
      s1 = s1 + e1;
      s2 = s2 + e2;
      s3 = s3 + e3;
    }
    for (; i + W <= n; i += W) {
      V e0 = vexp(V::load(x + i) - mv);
      if (e) e0.store(e + i);
      s0 = s0 + e0;
    }
    T s = ((s0 + s1) + (s2 + s3)).reduce_add();
    for (; i < n; ++i) {
      const T v = std::exp(x[i] - m);
      if (e) e[i] = v;
      s += v;
    }
    return s;
  }

  // Vector accumulators only within blocks of kSumBlock, so long rows stay accurate.
  static T row_exp_sum(const T* x, T* e, int64_t n, T m) {
    T total = 0;
    for (int64_t b = 0; b < n; b += kSumBlock)
      total += block_exp_sum(x + b, e ? e + b : nullptr, std::min(kSumBlock, n - b), m);
    return total;
  }

  // sum(g) (log) or sum(g * y) over one block.
  static T block_dot(const T* g, const T* y, int64_t n, bool log) {
    V s0(T(0)), s1 = s0;
    int64_t i = 0;
    if (log) {
      for (; i + 2 * W <= n; i += 2 * W) {
        s0 = s0 + V::load(g + i);
        s1 = s1 + V::load(g + i + W);
      }
    } else {
      for (; i + 2 * W <= n; i += 2 * W) {
        s0 = fmadd(V::load(g + i), V::load(y + i), s0);
        s1 = fmadd(V::load(g + i + W), V::load(y + i + W), s1);
      }
    }
    if (i + W <= n) {
      s0 = log ? s0 + V::load(g + i) : fmadd(V::load(g + i), V::load(y + i), s0);
      i += W;
    }
    T s = (s0 + s1).reduce_add();
    for (; i < n; ++i) s += log ? g[i] : g[i] * y[i];
    return s;
  }

  static void row_forward(const T* x, T* y, int64_t n, bool log) {
    const T m = row_max(x, n);
    if (log) {
      const V shift(m + std::log(row_exp_sum(x, nullptr, n, m)));
      int64_t i = 0;
      for (; i + W <= n; i += W) (V::load(x + i) - shift).store(y + i);
      if (i < n) (V::load_partial(x + i, n - i) - shift).store_partial(y + i, n - i);
    } else {
      const V inv(T(1) / row_exp_sum(x, y, n, m));
      int64_t i = 0;
      for (; i + W <= n; i += W) (V::load(y + i) * inv).store(y + i);
      if (i < n) (V::load_partial(y + i, n - i) * inv).store_partial(y + i, n - i);
    }
  }

  static void row_backward(const T* g, const T* y, T* gi, int64_t n, bool log) {
    T s = 0;
    for (int64_t b = 0; b < n; b += kSumBlock) s += block_dot(g + b, y + b, std::min(kSumBlock, n - b), log);
    int64_t i = 0;
    const V sv(s);
    if (log) {
      for (; i + W <= n; i += W) (V::load(g + i) - vexp(V::load(y + i)) * sv).store(gi + i);
      for (; i < n; ++i) gi[i] = g[i] - std::exp(y[i]) * s;
    } else {
      for (; i + W <= n; i += W) (V::load(y + i) * (V::load(g + i) - sv)).store(gi + i);
      for (; i < n; ++i) gi[i] = y[i] * (g[i] - s);
    }
  }

  // ---- inner > 1: a tile of `width` columns, rows `inner` apart ----
  template <typename Fn>
  static void for_tile(int64_t width, Fn&& fn) {
    const int64_t full = width / W, rem = width - full * W;
    for (int64_t v = 0; v < full; ++v) fn(v, W);
    if (rem) fn(full, rem);
  }
  static V load_n(const T* p, int64_t cnt) { return cnt == W ? V::load(p) : V::load_partial(p, cnt); }
  static void store_n(V v, T* p, int64_t cnt) {
    if (cnt == W) v.store(p);
    else v.store_partial(p, cnt);
  }

  static void tile_forward(const T* x, T* y, int64_t n, int64_t inner, int64_t width, bool log) {
    V m[kTileVecs] = {}, s[kTileVecs] = {}, blk[kTileVecs] = {};
    for_tile(width, [&](int64_t v, int64_t) { m[v] = V(-std::numeric_limits<T>::infinity()); });
    for (int64_t k = 0; k < n; ++k)
      for_tile(width, [&](int64_t v, int64_t c) { m[v] = vmax(load_n(x + k * inner + v * W, c), m[v]); });
    for (int64_t k0 = 0; k0 < n; k0 += kSumRows) {
      for_tile(width, [&](int64_t v, int64_t) { blk[v] = V(T(0)); });
      for (int64_t k = k0; k < std::min(n, k0 + kSumRows); ++k) {
        for_tile(width, [&](int64_t v, int64_t c) {
          V e = vexp(load_n(x + k * inner + v * W, c) - m[v]);
          if (!log) store_n(e, y + k * inner + v * W, c);
          blk[v] = blk[v] + e;
        });
      }
      for_tile(width, [&](int64_t v, int64_t) { s[v] = s[v] + blk[v]; });
    }
    if (log) {
      for_tile(width, [&](int64_t v, int64_t) { s[v] = m[v] + log_lanes(s[v]); });
      for (int64_t k = 0; k < n; ++k)
        for_tile(width, [&](int64_t v, int64_t c) {
          store_n(load_n(x + k * inner + v * W, c) - s[v], y + k * inner + v * W, c);
        });
    } else {
      for_tile(width, [&](int64_t v, int64_t) { s[v] = V(T(1)) / s[v]; });
      for (int64_t k = 0; k < n; ++k)
        for_tile(width, [&](int64_t v, int64_t c) {
          store_n(load_n(y + k * inner + v * W, c) * s[v], y + k * inner + v * W, c);
        });
    }
  }

  static void tile_backward(const T* g, const T* y, T* gi, int64_t n, int64_t inner, int64_t width,
                            bool log) {
    V s[kTileVecs] = {}, blk[kTileVecs] = {};
    for (int64_t k0 = 0; k0 < n; k0 += kSumRows) {
      for_tile(width, [&](int64_t v, int64_t) { blk[v] = V(T(0)); });
      for (int64_t k = k0; k < std::min(n, k0 + kSumRows); ++k)
        for_tile(width, [&](int64_t v, int64_t c) {
          const int64_t off = k * inner + v * W;
          blk[v] = log ? blk[v] + load_n(g + off, c) : fmadd(load_n(g + off, c), load_n(y + off, c), blk[v]);
        });
      for_tile(width, [&](int64_t v, int64_t) { s[v] = s[v] + blk[v]; });
    }
    for (int64_t k = 0; k < n; ++k)
      for_tile(width, [&](int64_t v, int64_t c) {
        const int64_t off = k * inner + v * W;
        const V gv = load_n(g + off, c), yv = load_n(y + off, c);
        store_n(log ? gv - vexp(yv) * s[v] : yv * (gv - s[v]), gi + off, c);
      });
  }

  // Tasks are rows (inner == 1) or (outer slice, column tile) pairs.
  template <typename RowFn, typename TileFn>
  static void run(int64_t outer, int64_t n, int64_t inner, RowFn&& row_fn, TileFn&& tile_fn) {
    if (inner == 1) {
      parallel_for(0, outer, std::max<int64_t>(1, kGrain / n), [&](int64_t b, int64_t e) {
        for (int64_t o = b; o < e; ++o) row_fn(o * n);
      });
      return;
    }
    const int64_t tw = std::min(inner, kTileLanes);
    const int64_t ntiles = (inner + tw - 1) / tw;
    parallel_for(0, outer * ntiles, std::max<int64_t>(1, kGrain / (n * tw)), [&](int64_t b, int64_t e) {
      for (int64_t u = b; u < e; ++u) {
        const int64_t o = u / ntiles, j0 = (u % ntiles) * tw;
        tile_fn(o * n * inner + j0, std::min(tw, inner - j0));
      }
    });
  }
};

template <typename T>
void softmax_kernel(const char* in, char* out, int64_t outer, int64_t n, int64_t inner, bool log) {
  if (outer <= 0 || n <= 0 || inner <= 0) return;
  const T* x = reinterpret_cast<const T*>(in);
  T* y = reinterpret_cast<T*>(out);
  if (outer * n * inner <= kTinyElements) return softmax_reference(x, y, outer, n, inner, log);
  using S = Softmax<T>;
  S::run(
      outer, n, inner, [&](int64_t off) { S::row_forward(x + off, y + off, n, log); },
      [&](int64_t off, int64_t width) { S::tile_forward(x + off, y + off, n, inner, width, log); });
}

template <typename T>
void softmax_backward_kernel(const char* grad, const char* out, char* grad_in, int64_t outer, int64_t n,
                             int64_t inner, bool log) {
  if (outer <= 0 || n <= 0 || inner <= 0) return;
  const T* g = reinterpret_cast<const T*>(grad);
  const T* y = reinterpret_cast<const T*>(out);
  T* gi = reinterpret_cast<T*>(grad_in);
  if (outer * n * inner <= kTinyElements) return softmax_backward_reference(g, y, gi, outer, n, inner, log);
  using S = Softmax<T>;
  S::run(
      outer, n, inner, [&](int64_t off) { S::row_backward(g + off, y + off, gi + off, n, log); },
      [&](int64_t off, int64_t width) { S::tile_backward(g + off, y + off, gi + off, n, inner, width, log); });
}

}  // namespace

void register_softmax(KernelTable& t) {
  for_each_type<float, double>([&](auto tag) {
    using T = decltype(tag);
    t.softmax[dtype_index<T>] = softmax_kernel<T>;
    t.softmax_backward[dtype_index<T>] = softmax_backward_kernel<T>;
  });
}

}  // namespace tensorforge::cpu::TF_ISA_NS
