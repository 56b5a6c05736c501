// Batch norm, layer norm, dropout and embedding kernels (forward and backward).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "cpu/register.h"
#include "cpu/simd/ctype.h"
#include "cpu/simd/vec.h"
#include "tensorforge/parallel.h"

namespace tensorforge::cpu::TF_ISA_NS {
namespace {

constexpr int64_t kGrain = 16384;  // elements per parallel task, at least

template <typename T>
inline Vec<T> load_n(const T* p, int64_t cnt) {
  return cnt >= Vec<T>::size ? Vec<T>::load(p) : Vec<T>::load_partial(p, cnt);
}
template <typename T>
inline void store_n(Vec<T> v, T* p, int64_t cnt) {
  if (cnt >= Vec<T>::size) v.store(p);
  else v.store_partial(p, cnt);
}

// out[i] = x[i] * a + b over n contiguous elements.
template <typename T>
void scale_shift(const T* x, T* out, int64_t n, T a, T b) {
  constexpr int64_t W = Vec<T>::size;
  const Vec<T> av(a), bv(b);
  int64_t i = 0;
  for (; i + W <= n; i += W) fmadd(Vec<T>::load(x + i), av, bv).store(out + i);
  if (i < n) fmadd(Vec<T>::load_partial(x + i, n - i), av, bv).store_partial(out + i, n - i);
}

// Adds the sums of (x - k) and (x - k)^2 over n contiguous elements (shifted for accuracy).
template <typename T>
void shifted_sums(const T* x, int64_t n, T k, double& s1, double& s2) {
  constexpr int64_t W = Vec<T>::size;
  const Vec<T> kv(k);
  Vec<T> a0(T(0)), a1(T(0)), q0(T(0)), q1(T(0));
  int64_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    const Vec<T> d0 = Vec<T>::load(x + i) - kv, d1 = Vec<T>::load(x + i + W) - kv;
    a0 = a0 + d0;
    a1 = a1 + d1;
    q0 = fmadd(d0, d0, q0);
    q1 = fmadd(d1, d1, q1);
  }
  T t1 = (a0 + a1).reduce_add(), t2 = (q0 + q1).reduce_add();
  for (; i < n; ++i) {
    const T d = x[i] - k;
    t1 += d;
    t2 += d * d;
  }
  s1 += static_cast<double>(t1);
  s2 += static_cast<double>(t2);
}

// Adds sum(g) and sum(g * (x - m)) over n contiguous elements.
template <typename T>
void grad_sums(const T* g, const T* x, int64_t n, T m, double& sg, double& sgx) {
  constexpr int64_t W = Vec<T>::size;
  const Vec<T> mv(m);
  Vec<T> a0(T(0)), a1(T(0)), b0(T(0)), b1(T(0));
  int64_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    const Vec<T> g0 = Vec<T>::load(g + i), g1 = Vec<T>::load(g + i + W);
    a0 = a0 + g0;
    a1 = a1 + g1;
    b0 = fmadd(g0, Vec<T>::load(x + i) - mv, b0);
    b1 = fmadd(g1, Vec<T>::load(x + i + W) - mv, b1);
  }
  T t1 = (a0 + a1).reduce_add(), t2 = (b0 + b1).reduce_add();
  for (; i < n; ++i) {
    t1 += g[i];
    t2 += g[i] * (x[i] - m);
  }
  sg += static_cast<double>(t1);
  sgx += static_cast<double>(t2);
}

// ---- batch norm -----------------------------------------------------------------------------
// Per channel: statistics (or the running ones), then out = x * a + b. For s == 1 ([n, c]
// input) channels are contiguous, so a tile of channels is processed one vector at a time.

template <typename T>
struct BatchNorm {
  static constexpr int64_t W = Vec<T>::size;

  // Channel statistics and the affine coefficients a = w * invstd, b = bias - mean * a.
  static void finish_channel(int64_t ch, double mean, double var, int64_t count, const T* weight, const T* bias,
                             T* rm, T* rv, T* save_mean, T* save_invstd, bool training, double momentum, double eps,
                             T& a, T& b) {
    if (training) {
      if (rm) rm[ch] = static_cast<T>((1 - momentum) * rm[ch] + momentum * mean);
      if (rv) {
        const double unbiased = count > 1 ? var * count / (count - 1) : var;
        rv[ch] = static_cast<T>((1 - momentum) * rv[ch] + momentum * unbiased);
      }
    } else {
      mean = rm[ch];
      var = rv[ch];
    }
    const double invstd = 1.0 / std::sqrt(var + eps);
    save_mean[ch] = static_cast<T>(mean);
    save_invstd[ch] = static_cast<T>(invstd);
    const double w = weight ? weight[ch] : 1.0;
    a = static_cast<T>(w * invstd);
    b = static_cast<T>((bias ? bias[ch] : 0.0) - mean * w * invstd);
  }

  static void forward(const T* x, const T* weight, const T* bias, T* rm, T* rv, T* out, T* save_mean,
                      T* save_invstd, int64_t n, int64_t c, int64_t s, bool training, double momentum, double eps) {
    const int64_t count = n * s;
    if (s == 1) return forward_rows(x, weight, bias, rm, rv, out, save_mean, save_invstd, n, c, training, momentum, eps);
    parallel_for(0, c, std::max<int64_t>(1, kGrain / std::max<int64_t>(count, 1)), [&](int64_t c0, int64_t c1) {
      for (int64_t ch = c0; ch < c1; ++ch) {
        double mean = 0, var = 0;
        if (training) {
          const T k = x[ch * s];
          double s1 = 0, s2 = 0;
          for (int64_t i = 0; i < n; ++i) shifted_sums(x + (i * c + ch) * s, s, k, s1, s2);
          const double d = s1 / count;
          mean = k + d;
          var = std::max(s2 / count - d * d, 0.0);
        }
        T a, b;
        finish_channel(ch, mean, var, count, weight, bias, rm, rv, save_mean, save_invstd, training, momentum, eps,
                       a, b);
        for (int64_t i = 0; i < n; ++i) scale_shift(x + (i * c + ch) * s, out + (i * c + ch) * s, s, a, b);
      }
    });
  }

  // [n, c] input: tiles of W channels, rows walked with one vector load each.
  static void forward_rows(const T* x, const T* weight, const T* bias, T* rm, T* rv, T* out, T* save_mean,
                           T* save_invstd, int64_t n, int64_t c, bool training, double momentum, double eps) {
    const int64_t tiles = (c + W - 1) / W;
    parallel_for(0, tiles, std::max<int64_t>(1, kGrain / std::max<int64_t>(n * W, 1)), [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t c0 = t * W, cnt = std::min(W, c - c0);
        T mean_l[W], var_l[W], a_l[W], b_l[W];
        if (training) {
          const Vec<T> k = load_n(x + c0, cnt);
          Vec<T> s1(T(0)), s2(T(0));
          for (int64_t i = 0; i < n; ++i) {
            const Vec<T> d = load_n(x + i * c + c0, cnt) - k;
            s1 = s1 + d;
            s2 = fmadd(d, d, s2);
          }
          T k_l[W], s1_l[W], s2_l[W];
          k.store(k_l);
          s1.store(s1_l);
          s2.store(s2_l);
          for (int64_t j = 0; j < cnt; ++j) {
            const double d = static_cast<double>(s1_l[j]) / n;
            mean_l[j] = static_cast<T>(k_l[j] + d);
            var_l[j] = static_cast<T>(std::max(static_cast<double>(s2_l[j]) / n - d * d, 0.0));
          }
        }
        for (int64_t j = 0; j < cnt; ++j)
          finish_channel(c0 + j, training ? mean_l[j] : 0.0, training ? var_l[j] : 0.0, n, weight, bias, rm, rv,
                         save_mean, save_invstd, training, momentum, eps, a_l[j], b_l[j]);
        for (int64_t j = cnt; j < W; ++j) a_l[j] = b_l[j] = T(0);
        const Vec<T> av = Vec<T>::load(a_l), bv = Vec<T>::load(b_l);
        for (int64_t i = 0; i < n; ++i) store_n(fmadd(load_n(x + i * c + c0, cnt), av, bv), out + i * c + c0, cnt);
      }
    });
  }

  // Per channel: gb = sum(g), gw = sum(g * xhat); training gx = k1 * g + k2 * x + k3.
  static void coefficients(int64_t ch, double sg, double sgx, int64_t count, const T* weight, const T* mean,
                           const T* invstd, T* gw, T* gb, bool training, T& k1, T& k2, T& k3) {
    const double is = invstd[ch], m = mean[ch], w = weight ? weight[ch] : 1.0;
    if (gw) gw[ch] = static_cast<T>(sgx * is);
    if (gb) gb[ch] = static_cast<T>(sg);
    k1 = static_cast<T>(w * is);
    if (training) {
      const double c2 = -w * is * is * is * sgx / count;
      k2 = static_cast<T>(c2);
      k3 = static_cast<T>(-w * is * sg / count - m * c2);
    } else {
      k2 = k3 = T(0);
    }
  }

  static void backward(const T* g, const T* x, const T* weight, const T* mean, const T* invstd, T* gx, T* gw, T* gb,
                       int64_t n, int64_t c, int64_t s, bool training) {
    const int64_t count = n * s;
    const bool need_sums = training || gw || gb;
    if (s == 1) return backward_rows(g, x, weight, mean, invstd, gx, gw, gb, n, c, training);
    parallel_for(0, c, std::max<int64_t>(1, kGrain / std::max<int64_t>(count, 1)), [&](int64_t c0, int64_t c1) {
      for (int64_t ch = c0; ch < c1; ++ch) {
        double sg = 0, sgx = 0;
        if (need_sums)
          for (int64_t i = 0; i < n; ++i) {
            const int64_t off = (i * c + ch) * s;
            grad_sums(g + off, x + off, s, mean[ch], sg, sgx);
          }
        T k1, k2, k3;
        coefficients(ch, sg, sgx, count, weight, mean, invstd, gw, gb, training, k1, k2, k3);
        if (!gx) continue;
        const Vec<T> v1(k1), v2(k2), v3(k3);
        for (int64_t i = 0; i < n; ++i) {
          const int64_t off = (i * c + ch) * s;
          int64_t j = 0;
          for (; j + W <= s; j += W)
            fmadd(Vec<T>::load(g + off + j), v1, fmadd(Vec<T>::load(x + off + j), v2, v3)).store(gx + off + j);
          for (; j < s; ++j) gx[off + j] = g[off + j] * k1 + x[off + j] * k2 + k3;
        }
      }
    });
  }

  static void backward_rows(const T* g, const T* x, const T* weight, const T* mean, const T* invstd, T* gx, T* gw,
                            T* gb, int64_t n, int64_t c, bool training) {
    const int64_t tiles = (c + W - 1) / W;
    parallel_for(0, tiles, std::max<int64_t>(1, kGrain / std::max<int64_t>(n * W, 1)), [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t c0 = t * W, cnt = std::min(W, c - c0);
        const Vec<T> m = load_n(mean + c0, cnt);
        Vec<T> sg(T(0)), sgx(T(0));
        for (int64_t i = 0; i < n; ++i) {
          const Vec<T> gv = load_n(g + i * c + c0, cnt);
          sg = sg + gv;
          sgx = fmadd(gv, load_n(x + i * c + c0, cnt) - m, sgx);
        }
        T sg_l[W], sgx_l[W], k1[W], k2[W], k3[W];
        sg.store(sg_l);
        sgx.store(sgx_l);
        for (int64_t j = 0; j < cnt; ++j)
          coefficients(c0 + j, sg_l[j], sgx_l[j], n, weight, mean, invstd, gw, gb, training, k1[j], k2[j], k3[j]);
        if (!gx) continue;
        for (int64_t j = cnt; j < W; ++j) k1[j] = k2[j] = k3[j] = T(0);
        const Vec<T> v1 = Vec<T>::load(k1), v2 = Vec<T>::load(k2), v3 = Vec<T>::load(k3);
        for (int64_t i = 0; i < n; ++i)
          store_n(fmadd(load_n(g + i * c + c0, cnt), v1, fmadd(load_n(x + i * c + c0, cnt), v2, v3)), gx + i * c + c0,
                  cnt);
      }
    });
  }
};

template <typename T>
void batch_norm_kernel(const char* x, const char* weight, const char* bias, char* running_mean, char* running_var,
                       char* out, char* save_mean, char* save_invstd, int64_t n, int64_t c, int64_t s, bool training,
                       double momentum, double eps) {
  BatchNorm<T>::forward(reinterpret_cast<const T*>(x), reinterpret_cast<const T*>(weight),
                        reinterpret_cast<const T*>(bias), reinterpret_cast<T*>(running_mean),
                        reinterpret_cast<T*>(running_var), reinterpret_cast<T*>(out), reinterpret_cast<T*>(save_mean),
                        reinterpret_cast<T*>(save_invstd), n, c, s, training, momentum, eps);
}

template <typename T>
void batch_norm_backward_kernel(const char* grad, const char* x, const char* weight, const char* save_mean,
                                const char* save_invstd, char* grad_in, char* grad_weight, char* grad_bias, int64_t n,
                                int64_t c, int64_t s, bool training) {
  BatchNorm<T>::backward(reinterpret_cast<const T*>(grad), reinterpret_cast<const T*>(x),
                         reinterpret_cast<const T*>(weight), reinterpret_cast<const T*>(save_mean),
                         reinterpret_cast<const T*>(save_invstd), reinterpret_cast<T*>(grad_in),
                         reinterpret_cast<T*>(grad_weight), reinterpret_cast<T*>(grad_bias), n, c, s, training);
}

// ---- layer norm -----------------------------------------------------------------------------
template <typename T>
T row_sum(const T* x, int64_t n) {
  constexpr int64_t W = Vec<T>::size;
  Vec<T> a0(T(0)), a1(T(0));
  int64_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    a0 = a0 + Vec<T>::load(x + i);
    a1 = a1 + Vec<T>::load(x + i + W);
  }
  T s = (a0 + a1).reduce_add();
  for (; i < n; ++i) s += x[i];
  return s;
}

template <typename T>
void layer_norm_kernel(const char* x_, const char* w_, const char* b_, char* out_, char* mean_, char* rstd_,
                       int64_t rows, int64_t cols, double eps) {
  const T* x = reinterpret_cast<const T*>(x_);
  const T* w = reinterpret_cast<const T*>(w_);
  const T* b = reinterpret_cast<const T*>(b_);
  T* out = reinterpret_cast<T*>(out_);
  T* mean = reinterpret_cast<T*>(mean_);
  T* rstd = reinterpret_cast<T*>(rstd_);
  constexpr int64_t W = Vec<T>::size;
  parallel_for(0, rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(cols, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T* xr = x + r * cols;
      T* yr = out + r * cols;
      const T m = row_sum(xr, cols) / static_cast<T>(cols);
      const Vec<T> mv(m);
      Vec<T> q0(T(0)), q1(T(0));
      int64_t i = 0;
      for (; i + 2 * W <= cols; i += 2 * W) {
        const Vec<T> d0 = Vec<T>::load(xr + i) - mv, d1 = Vec<T>::load(xr + i + W) - mv;
        q0 = fmadd(d0, d0, q0);
        q1 = fmadd(d1, d1, q1);
      }
      T q = (q0 + q1).reduce_add();
      for (; i < cols; ++i) q += (xr[i] - m) * (xr[i] - m);
      const T rs = static_cast<T>(1.0 / std::sqrt(static_cast<double>(q) / cols + eps));
      mean[r] = m;
      rstd[r] = rs;
      const Vec<T> rv(rs), nm(-m * rs);
      if (!w && !b) {
        scale_shift(xr, yr, cols, rs, -m * rs);
        continue;
      }
      i = 0;
      for (; i < cols; i += W) {
        const int64_t cnt = std::min(W, cols - i);
        Vec<T> y = fmadd(load_n(xr + i, cnt), rv, nm);
        if (w) y = y * load_n(w + i, cnt);
        if (b) y = y + load_n(b + i, cnt);
        store_n(y, yr + i, cnt);
      }
    }
  });
}

// One pass over the rows: gx = rstd * (wg - mean(wg) - xhat * mean(wg * xhat)) with wg = g * w,
// and the weight / bias gradients sum(g * xhat), sum(g) accumulated per chunk of rows into its
// own slice of `partial`, added up at the end (the same order for a given thread count).
template <typename T>
void layer_norm_backward_kernel(const char* g_, const char* x_, const char* w_, const char* mean_, const char* rstd_,
                                char* gx_, char* gw_, char* gb_, int64_t rows, int64_t cols) {
  const T* g = reinterpret_cast<const T*>(g_);
  const T* x = reinterpret_cast<const T*>(x_);
  const T* w = reinterpret_cast<const T*>(w_);
  const T* mean = reinterpret_cast<const T*>(mean_);
  const T* rstd = reinterpret_cast<const T*>(rstd_);
  T* gx = reinterpret_cast<T*>(gx_);
  T* gw = reinterpret_cast<T*>(gw_);
  T* gb = reinterpret_cast<T*>(gb_);
  constexpr int64_t W = Vec<T>::size;
  const bool params = gw || gb;
  const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(cols, 1));
  const int64_t threads = in_parallel_region() ? 1 : get_num_threads();
  const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>(threads, (rows + grain - 1) / grain));
  // Slices a cache line apart at least, so the chunks' threads never write to one line.
  const int64_t slice = (2 * cols + 2 * W + 15) / 16 * 16;
  std::vector<T> partial(params ? static_cast<size_t>(chunks * slice) : 0, T(0));
  const T inv_n = T(1) / static_cast<T>(std::max<int64_t>(cols, 1));
  parallel_for(0, chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      T* pw = params ? partial.data() + c * slice : nullptr;
      T* pb = params ? pw + cols : nullptr;
      for (int64_t r = rows * c / chunks; r < rows * (c + 1) / chunks; ++r) {
        const T* gr = g + r * cols;
        const T* xr = x + r * cols;
        const Vec<T> mv(mean[r]), rv(rstd[r]);
        Vec<T> s1(T(0)), s2(T(0));
        for (int64_t i = 0; i < cols; i += W) {
          const int64_t cnt = std::min(W, cols - i);
          const Vec<T> gv = load_n(gr + i, cnt);
          const Vec<T> xh = (load_n(xr + i, cnt) - mv) * rv;
          const Vec<T> wg = w ? gv * load_n(w + i, cnt) : gv;
          s1 = s1 + wg;
          s2 = fmadd(wg, xh, s2);
          if (params) {
            store_n(fmadd(gv, xh, load_n(pw + i, cnt)), pw + i, cnt);
            store_n(gv + load_n(pb + i, cnt), pb + i, cnt);
          }
        }
        if (!gx) continue;
        T* out = gx + r * cols;
        const Vec<T> a(s1.reduce_add() * inv_n), bq(s2.reduce_add() * inv_n);
        for (int64_t i = 0; i < cols; i += W) {
          const int64_t cnt = std::min(W, cols - i);
          Vec<T> wg = load_n(gr + i, cnt);
          if (w) wg = wg * load_n(w + i, cnt);
          const Vec<T> xh = (load_n(xr + i, cnt) - mv) * rv;
          store_n(rv * (wg - a - xh * bq), out + i, cnt);
        }
      }
    }
  });
  if (!params) return;
  for (int64_t i = 0; i < cols; i += W) {
    const int64_t cnt = std::min(W, cols - i);
    Vec<T> sw = load_n(partial.data() + i, cnt), sb = load_n(partial.data() + cols + i, cnt);
    for (int64_t c = 1; c < chunks; ++c) {
      sw = sw + load_n(partial.data() + c * slice + i, cnt);
      sb = sb + load_n(partial.data() + c * slice + cols + i, cnt);
    }
    if (gw) store_n(sw, gw + i, cnt);
    if (gb) store_n(sb, gb + i, cnt);
  }
}

// ---- dropout ----------------------------------------------------------------------------------
template <typename T>
void dropout_kernel(const char* x_, char* out_, bool* mask, int64_t n, double keep, double scale) {
  const T* x = reinterpret_cast<const T*>(x_);
  T* out = reinterpret_cast<T*>(out_);
  constexpr int64_t W = Vec<T>::size;
  const Vec<T> kv(static_cast<T>(keep)), sv(static_cast<T>(scale)), zero(T(0));
  parallel_for(0, (n + W - 1) / W, kGrain / W, [&](int64_t b, int64_t e) {
    for (int64_t v = b; v < e; ++v) {
      const int64_t i = v * W, cnt = std::min(W, n - i);
      const Mask<T> m = cmp_lt(load_n(out + i, cnt), kv);
      store_n(select(m, load_n(x + i, cnt) * sv, zero), out + i, cnt);
      store_bool(mask + i, m, cnt);
    }
  });
}

template <typename T>
void dropout_backward_kernel(const char* g_, const bool* mask, char* gi_, int64_t n, double scale) {
  const T* g = reinterpret_cast<const T*>(g_);
  T* gi = reinterpret_cast<T*>(gi_);
  const T s = static_cast<T>(scale);
  parallel_for(0, n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) gi[i] = mask[i] ? g[i] * s : T(0);
  });
}

// ---- embedding --------------------------------------------------------------------------------
template <typename T>
void embedding_kernel(const char* weight, const int64_t* index, char* out, int64_t n, int64_t dim) {
  const int64_t bytes = dim * static_cast<int64_t>(sizeof(T));
  parallel_for(0, n, std::max<int64_t>(1, kGrain / std::max<int64_t>(dim, 1)), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) std::memcpy(out + i * bytes, weight + index[i] * bytes, bytes);
  });
}

// Tasks own disjoint ranges of weight rows and each scans all indices: no races, and every
// row's sum is taken in index order whatever the thread count.
template <typename T>
void embedding_backward_kernel(const char* g_, const int64_t* index, char* gw_, int64_t n, int64_t rows, int64_t dim,
                               int64_t padding_idx) {
  const T* g = reinterpret_cast<const T*>(g_);
  T* gw = reinterpret_cast<T*>(gw_);
  constexpr int64_t W = Vec<T>::size;
  const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(dim, 1));
  parallel_for(0, rows, grain, [&](int64_t r0, int64_t r1) {
    std::memset(gw + r0 * dim, 0, static_cast<size_t>((r1 - r0) * dim) * sizeof(T));
    for (int64_t i = 0; i < n; ++i) {
      const int64_t r = index[i];
      if (r < r0 || r >= r1 || r == padding_idx) continue;
      T* dst = gw + r * dim;
      const T* src = g + i * dim;
      int64_t j = 0;
      for (; j + W <= dim; j += W) (Vec<T>::load(dst + j) + Vec<T>::load(src + j)).store(dst + j);
      for (; j < dim; ++j) dst[j] += src[j];
    }
  });
}

}  // namespace

void register_norm(KernelTable& t) {
  for_each_type<float, double>([&](auto tag) {
    using T = decltype(tag);
    constexpr int d = dtype_index<T>;
    t.batch_norm[d] = batch_norm_kernel<T>;
    t.batch_norm_backward[d] = batch_norm_backward_kernel<T>;
    t.layer_norm[d] = layer_norm_kernel<T>;
    t.layer_norm_backward[d] = layer_norm_backward_kernel<T>;
    t.dropout[d] = dropout_kernel<T>;
    t.dropout_backward[d] = dropout_backward_kernel<T>;
    t.embedding[d] = embedding_kernel<T>;
    t.embedding_backward[d] = embedding_backward_kernel<T>;
  });
}

}  // namespace tensorforge::cpu::TF_ISA_NS
