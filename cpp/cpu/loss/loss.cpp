// Fused softmax cross-entropy / nll and elementwise loss kernels (forward and backward).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "cpu/register.h"
#include "cpu/simd/ctype.h"
#include "cpu/simd/vec.h"
#include "cpu/simd/vmath.h"
#include "tensorforge/nn_ops.h"
#include "tensorforge/parallel.h"

namespace tensorforge::cpu::TF_ISA_NS {
namespace {

using kernels::CrossEntropyGeom;
using kernels::PointwiseLossGeom;

constexpr int64_t kGrain = 16384;  // elements per parallel task, at least

// ---- cross-entropy ----------------------------------------------------------------------------
// A sample's classes sit `inner` apart. Contiguous rows (inner == 1) take the vector path.

template <typename T>
struct Row {
  using V = Vec<T>;
  static constexpr int64_t W = V::size;

  static T max(const T* x, int64_t n, int64_t st) {
    T m = -std::numeric_limits<T>::infinity();
    int64_t k = 0;
    if (st == 1) {
      V m0(m), m1(m);
      for (; k + 2 * W <= n; k += 2 * W) {
        m0 = vmax(V::load(x + k), m0);
        m1 = vmax(V::load(x + k + W), m1);
      }
      m = vmax(m0, m1).reduce_max();
    }
    for (; k < n; ++k) m = std::max(m, x[k * st]);
    return m;
  }

  // sum(exp(x - m))
  static T exp_sum(const T* x, int64_t n, int64_t st, T m) {
    T s = 0;
    int64_t k = 0;
    if (st == 1) {
      const V mv(m);
      V s0(T(0)), s1(T(0));
      for (; k + 2 * W <= n; k += 2 * W) {
        s0 = s0 + vexp(V::load(x + k) - mv);
        s1 = s1 + vexp(V::load(x + k + W) - mv);
      }
      s = (s0 + s1).reduce_add();
    }
    for (; k < n; ++k) s += std::exp(x[k * st] - m);
    return s;
  }

  // sum(a[k] * b[k] * x[k]) with a / b null meaning 1.
  static T dot3(const T* x, const T* a, const T* b, int64_t n, int64_t st) {
    T s = 0;
    int64_t k = 0;
    if (st == 1) {
      V s0(T(0));
      for (; k + W <= n; k += W) {
        V v = V::load(x + k);
        if (a) v = v * V::load(a + k);
        if (b) v = v * V::load(b + k);
        s0 = s0 + v;
      }
      s = s0.reduce_add();
    }
    for (; k < n; ++k) s += x[k * st] * (a ? a[k] : T(1)) * (b ? b[k * st] : T(1));
    return s;
  }
};

template <typename T>
void cross_entropy_kernel(const char* logits_, const char* target_, const char* weight_, char* loss_, char* lse_,
                          char* sw_, const CrossEntropyGeom& g) {
  const T* x = reinterpret_cast<const T*>(logits_);
  const T* w = reinterpret_cast<const T*>(weight_);
  T* loss = reinterpret_cast<T*>(loss_);
  T* lse_out = reinterpret_cast<T*>(lse_);
  T* sw = reinterpret_cast<T*>(sw_);
  const int64_t c = g.classes, inner = g.inner, samples = g.outer * inner;
  const T eps = static_cast<T>(g.label_smoothing), on = T(1) - eps, off = eps / static_cast<T>(c);
  parallel_for(0, samples, std::max<int64_t>(1, kGrain / std::max<int64_t>(c, 1)), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const int64_t o = i / inner, j = i % inner;
      const T* xs = x + o * c * inner + j;
      T lse = 0;
      if (g.from_logits) {
        const T m = Row<T>::max(xs, c, inner);
        lse = std::isinf(m) ? m : m + std::log(Row<T>::exp_sum(xs, c, inner, m));
      }
      if (lse_out) lse_out[i] = lse;
      if (g.prob_target) {
        const T* q = reinterpret_cast<const T*>(target_) + o * c * inner + j;
        // -sum_k w_k q'_k (x_k - lse), q' = on * q + off
        T wq_x = on * Row<T>::dot3(xs, w, q, c, inner), wq = on * Row<T>::dot3(q, w, nullptr, c, inner);
        if (off != T(0)) {
          wq_x += off * Row<T>::dot3(xs, w, nullptr, c, inner);
          T wsum = static_cast<T>(c);
          if (w) wsum = Row<T>::dot3(w, nullptr, nullptr, c, 1);
          wq += off * wsum;
        }
        loss[i] = -(wq_x - lse * wq);
        sw[i] = T(1);
        continue;
      }
      const int64_t t = reinterpret_cast<const int64_t*>(target_)[i];
      if (t == g.ignore_index) {
        loss[i] = T(0);
        sw[i] = T(0);
        continue;
      }
      const T wt = w ? w[t] : T(1);
      T l = -wt * (xs[t * inner] - lse);
      if (off != T(0)) {
        const T wsum = w ? Row<T>::dot3(w, nullptr, nullptr, c, 1) : static_cast<T>(c);
        const T smooth = -(Row<T>::dot3(xs, w, nullptr, c, inner) - lse * wsum);
        l = on * l + off * smooth;
      }
      loss[i] = l;
      sw[i] = wt;
    }
  });
}

template <typename T>
void cross_entropy_backward_kernel(const char* grad_, int64_t grad_stride, double scale, const char* logits_,
                                   const char* target_, const char* weight_, const char* lse_, char* gx_, char* gt_,
                                   const CrossEntropyGeom& g) {
  const T* grad = reinterpret_cast<const T*>(grad_);
  const T* x = reinterpret_cast<const T*>(logits_);
  const T* w = reinterpret_cast<const T*>(weight_);
  const T* lse_in = reinterpret_cast<const T*>(lse_);
  T* gx = reinterpret_cast<T*>(gx_);
  T* gt = reinterpret_cast<T*>(gt_);
  const int64_t c = g.classes, inner = g.inner, samples = g.outer * inner;
  const T eps = static_cast<T>(g.label_smoothing), on = T(1) - eps, off = eps / static_cast<T>(c);
  T wsum = static_cast<T>(c);
  if (w) {
    wsum = 0;
    for (int64_t k = 0; k < c; ++k) wsum += w[k];
  }
  using V = Vec<T>;
  constexpr int64_t W = V::size;
  parallel_for(0, samples, std::max<int64_t>(1, kGrain / std::max<int64_t>(c, 1)), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const int64_t o = i / inner, j = i % inner, base = o * c * inner + j;
      const T* xs = x + base;
      T* gs = gx + base;
      const T gi = static_cast<T>(grad[i * grad_stride] * scale);
      if (!g.from_logits) {
        for (int64_t k = 0; k < c; ++k) gs[k * inner] = T(0);
        const int64_t t = reinterpret_cast<const int64_t*>(target_)[i];
        if (t != g.ignore_index) gs[t * inner] = -gi * (w ? w[t] : T(1));
        continue;
      }
      const T lse = lse_in[i];
      if (g.prob_target) {
        // gx_k = gi (p_k A - w_k q'_k), A = sum_k w_k q'_k; gt_k = -gi on w_k (x_k - lse)
        const T* q = reinterpret_cast<const T*>(target_) + base;
        const T a = on * Row<T>::dot3(q, w, nullptr, c, inner) + off * wsum;
        T* gts = gt ? gt + base : nullptr;
        for (int64_t k = 0; k < c; ++k) {
          const T wk = w ? w[k] : T(1), lp = xs[k * inner] - lse;
          gs[k * inner] = gi * (std::exp(lp) * a - wk * (on * q[k * inner] + off));
          if (gts) gts[k * inner] = -gi * on * wk * lp;
        }
        continue;
      }
      const int64_t t = reinterpret_cast<const int64_t*>(target_)[i];
      if (t == g.ignore_index) {
        for (int64_t k = 0; k < c; ++k) gs[k * inner] = T(0);
        continue;
      }
      // gx_k = gi (p_k coef - on w_t [k == t] - off w_k), coef = on w_t + off W
      const T wt = w ? w[t] : T(1);
      const T coef = gi * (on * wt + off * wsum);
      const T goff = gi * off;
      int64_t k = 0;
      if (inner == 1) {
        const V lv(lse), cv(coef), ov(goff);
        for (; k + W <= c; k += W) {
          V r = vexp(V::load(xs + k) - lv) * cv;
          r = r - (w ? V::load(w + k) * ov : ov);
          r.store(gs + k);
        }
      }
      for (; k < c; ++k) gs[k * inner] = std::exp(xs[k * inner] - lse) * coef - goff * (w ? w[k] : T(1));
      gs[t * inner] -= gi * on * wt;
    }
  });
}

// ---- elementwise losses -----------------------------------------------------------------------
// One vector functor per loss kind (value and both derivatives); the loops dispatch on the kind
// once, outside the element loop. Partial vectors run the same code on zero-filled lanes.

template <typename T>
struct Lanes {
  using V = Vec<T>;
  static V sign(V d) { return select(cmp_gt(d, V(T(0))), V(T(1)), select(cmp_lt(d, V(T(0))), V(T(-1)), V(T(0)))); }
  static V softplus_neg(V x) {  // log(1 + exp(-x)), stable
    return vmax(V(T(0)) - x, V(T(0))) + vlog1p(vexp(V(T(0)) - vabs(x)));
  }
};

template <typename T, PointwiseLoss K>
struct LossFn {
  using V = Vec<T>;
  using L = Lanes<T>;
  static V value(V x, V y, V pw, V p) {
    const V d = x - y, half(T(0.5)), one(T(1));
    if constexpr (K == PointwiseLoss::Mse) return d * d;
    if constexpr (K == PointwiseLoss::L1) return vabs(d);
    if constexpr (K == PointwiseLoss::SmoothL1) {
      const V a = vabs(d);
      return select(cmp_lt(a, p), half * d * d / p, a - half * p);
    }
    if constexpr (K == PointwiseLoss::Huber) {
      const V a = vabs(d);
      return select(cmp_lt(a, p), half * d * d, p * (a - half * p));
    }
    if constexpr (K == PointwiseLoss::Bce) {
      const V lo(T(-100));
      return V(T(0)) - (y * vmax(vlog(x), lo) + (one - y) * vmax(vlog1p(V(T(0)) - x), lo));
    }
    if constexpr (K == PointwiseLoss::BceWithLogits) return (one - y) * x + (one + (pw - one) * y) * L::softplus_neg(x);
    if constexpr (K == PointwiseLoss::KlDiv) return select(cmp_eq(y, V(T(0))), V(T(0)), y * vlog(y)) - y * x;
    if constexpr (K == PointwiseLoss::KlDivLogTarget) return vexp(y) * (y - x);
    return d;
  }
  static V grad_input(V x, V y, V pw, V p) {
    const V d = x - y, one(T(1));
    if constexpr (K == PointwiseLoss::Mse) return d + d;
    if constexpr (K == PointwiseLoss::L1) return L::sign(d);
    if constexpr (K == PointwiseLoss::SmoothL1) return select(cmp_lt(vabs(d), p), d / p, L::sign(d));
    if constexpr (K == PointwiseLoss::Huber) return select(cmp_lt(vabs(d), p), d, p * L::sign(d));
    if constexpr (K == PointwiseLoss::Bce) return d / vmax((one - x) * x, V(T(1e-12)));
    if constexpr (K == PointwiseLoss::BceWithLogits) {
      const V sig = one / (one + vexp(V(T(0)) - x)), t = pw * y;
      return (t + one - y) * sig - t;
    }
    if constexpr (K == PointwiseLoss::KlDiv) return V(T(0)) - y;
    if constexpr (K == PointwiseLoss::KlDivLogTarget) return V(T(0)) - vexp(y);
    return d;
  }
  static V grad_target(V x, V y, V pw, V p) {
    const V one(T(1));
    if constexpr (K == PointwiseLoss::Bce) return vlog1p(V(T(0)) - x) - vlog(x);
    if constexpr (K == PointwiseLoss::BceWithLogits) return (pw - one) * L::softplus_neg(x) - x;
    if constexpr (K == PointwiseLoss::KlDiv) return vlog(y) + one - x;
    if constexpr (K == PointwiseLoss::KlDivLogTarget) return vexp(y) * (y - x + one);
    return V(T(0)) - grad_input(x, y, pw, p);  // functions of x - y
  }
};

// Calls fn(LossFn<T, kind>{}) with the kind fixed at compile time.
template <typename T, typename Fn>
void with_kind(int kind, Fn&& fn) {
  switch (static_cast<PointwiseLoss>(kind)) {
    case PointwiseLoss::Mse: return fn(LossFn<T, PointwiseLoss::Mse>{});
    case PointwiseLoss::L1: return fn(LossFn<T, PointwiseLoss::L1>{});
    case PointwiseLoss::SmoothL1: return fn(LossFn<T, PointwiseLoss::SmoothL1>{});
    case PointwiseLoss::Huber: return fn(LossFn<T, PointwiseLoss::Huber>{});
    case PointwiseLoss::Bce: return fn(LossFn<T, PointwiseLoss::Bce>{});
    case PointwiseLoss::BceWithLogits: return fn(LossFn<T, PointwiseLoss::BceWithLogits>{});
    case PointwiseLoss::KlDiv: return fn(LossFn<T, PointwiseLoss::KlDiv>{});
    case PointwiseLoss::KlDivLogTarget: return fn(LossFn<T, PointwiseLoss::KlDivLogTarget>{});
  }
}

template <typename T>
inline Vec<T> load_or(const T* p, int64_t i, int64_t cnt, T fallback) {
  if (!p) return Vec<T>(fallback);
  return cnt >= Vec<T>::size ? Vec<T>::load(p + i) : Vec<T>::load_partial(p + i, cnt);
}
template <typename T>
inline void store_cnt(Vec<T> v, T* p, int64_t cnt) {
  if (cnt >= Vec<T>::size) v.store(p);
  else v.store_partial(p, cnt);
}

template <typename T>
void pointwise_loss_kernel(const char* in_, const char* tg_, char* loss_, const PointwiseLossGeom& g) {
  const T* x = reinterpret_cast<const T*>(in_);
  const T* y = reinterpret_cast<const T*>(tg_);
  const T* w = reinterpret_cast<const T*>(g.weight);
  const T* pw = reinterpret_cast<const T*>(g.pos_weight);
  T* loss = reinterpret_cast<T*>(loss_);
  constexpr int64_t W = Vec<T>::size;
  const Vec<T> p(static_cast<T>(g.param));
  with_kind<T>(g.kind, [&](auto fn) {
    using Fn = decltype(fn);
    parallel_for(0, (g.n + W - 1) / W, kGrain / W, [&](int64_t b, int64_t e) {
      for (int64_t v = b; v < e; ++v) {
        const int64_t i = v * W, cnt = std::min(W, g.n - i);
        Vec<T> l = Fn::value(load_or(x, i, cnt, T(0)), load_or(y, i, cnt, T(0)), load_or(pw, i, cnt, T(1)), p);
        if (w) l = l * load_or(w, i, cnt, T(1));
        store_cnt(l, loss + i, cnt);
      }
    });
  });
}

template <typename T>
void pointwise_loss_backward_kernel(const char* grad_, int64_t grad_stride, double scale, const char* in_,
                                    const char* tg_, char* gx_, char* gy_, const PointwiseLossGeom& g) {
  const T* grad = reinterpret_cast<const T*>(grad_);
  const T* x = reinterpret_cast<const T*>(in_);
  const T* y = reinterpret_cast<const T*>(tg_);
  const T* w = reinterpret_cast<const T*>(g.weight);
  const T* pw = reinterpret_cast<const T*>(g.pos_weight);
  T* gx = reinterpret_cast<T*>(gx_);
  T* gy = reinterpret_cast<T*>(gy_);
  constexpr int64_t W = Vec<T>::size;
  const Vec<T> p(static_cast<T>(g.param)), sc(static_cast<T>(scale));
  with_kind<T>(g.kind, [&](auto fn) {
    using Fn = decltype(fn);
    parallel_for(0, (g.n + W - 1) / W, kGrain / W, [&](int64_t b, int64_t e) {
      for (int64_t v = b; v < e; ++v) {
        const int64_t i = v * W, cnt = std::min(W, g.n - i);
        const Vec<T> xv = load_or(x, i, cnt, T(0)), yv = load_or(y, i, cnt, T(0)), pv = load_or(pw, i, cnt, T(1));
        Vec<T> gi = grad_stride ? load_or(grad, i, cnt, T(0)) * sc : Vec<T>(static_cast<T>(grad[0] * scale));
        if (w) gi = gi * load_or(w, i, cnt, T(1));
        if (gx) store_cnt(gi * Fn::grad_input(xv, yv, pv, p), gx + i, cnt);
        if (gy) store_cnt(gi * Fn::grad_target(xv, yv, pv, p), gy + i, cnt);
      }
    });
  });
}

}  // namespace

void register_loss(KernelTable& t) {
  for_each_type<float, double>([&](auto tag) {
    using T = decltype(tag);
    constexpr int d = dtype_index<T>;
    t.cross_entropy[d] = cross_entropy_kernel<T>;
    t.cross_entropy_backward[d] = cross_entropy_backward_kernel<T>;
    t.pointwise_loss[d] = pointwise_loss_kernel<T>;
    t.pointwise_loss_backward[d] = pointwise_loss_backward_kernel<T>;
  });
}

}  // namespace tensorforge::cpu::TF_ISA_NS
