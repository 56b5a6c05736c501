// Fused optimizer updates: one pass over param, grad and state per step, over Vec<T>.
#include <cmath>

#include "cpu/register.h"
#include "cpu/simd/ctype.h"
#include "cpu/simd/vec.h"
#include "tensorforge/parallel.h"

namespace tensorforge::cpu::TF_ISA_NS {
namespace {

constexpr int64_t kGrain = 1 << 16;  // elements per parallel task: smaller params run on one thread

// Applies body(i, width) over [0, n) in SIMD steps with a masked tail, in parallel chunks.
// body loads/stores with load_n/store_n so the same code serves full vectors and the tail.
template <typename T, typename Body>
void for_vectors(int64_t n, const Body& body) {
  constexpr int W = Vec<T>::size;
  parallel_for(0, n, kGrain, [&](int64_t b, int64_t e) {
    int64_t i = b;
    for (; i + W <= e; i += W) body(i, W);
    if (i < e) body(i, e - i);
  });
}

template <typename T>
inline Vec<T> load_n(const T* p, int64_t w) {
  return w == Vec<T>::size ? Vec<T>::load(p) : Vec<T>::load_partial(p, w);
}
template <typename T>
inline void store_n(Vec<T> v, T* p, int64_t w) {
  if (w == Vec<T>::size) v.store(p);
  else v.store_partial(p, w);
}

template <typename T>
void sgd(char* param_, const char* grad_, char* buf_, int64_t n, double lr, double momentum, double dampening,
         double weight_decay, bool nesterov, bool maximize, bool first_step) {
  using V = Vec<T>;
  T* param = reinterpret_cast<T*>(param_);
  const T* grad = reinterpret_cast<const T*>(grad_);
  T* buf = reinterpret_cast<T*>(buf_);
  const V vlr(static_cast<T>(lr)), vmom(static_cast<T>(momentum)), vdamp(static_cast<T>(1.0 - dampening)),
      vwd(static_cast<T>(weight_decay));
  for_vectors<T>(n, [&](int64_t i, int64_t w) {
    V p = load_n(param + i, w), d = load_n(grad + i, w);
    if (maximize) d = V(T(0)) - d;
    if (weight_decay != 0.0) d = fmadd(vwd, p, d);
    if (momentum != 0.0) {
      V b = first_step ? d : fmadd(vmom, load_n(buf + i, w), vdamp * d);
      store_n(b, buf + i, w);
      d = nesterov ? fmadd(vmom, b, d) : b;
    }
    store_n(p - vlr * d, param + i, w);
  });
}

template <typename T>
void adam(char* param_, const char* grad_, char* m_, char* v_, char* vhat_, int64_t n, double lr, double beta1,
          double beta2, double eps, double weight_decay, double bc1, double bc2, bool decoupled, bool maximize) {
  using V = Vec<T>;
  T* param = reinterpret_cast<T*>(param_);
  const T* grad = reinterpret_cast<const T*>(grad_);
  T* m = reinterpret_cast<T*>(m_);
  T* v = reinterpret_cast<T*>(v_);
  T* vhat = reinterpret_cast<T*>(vhat_);
  const V one_m_b1(static_cast<T>(1.0 - beta1)), vb2(static_cast<T>(beta2)), one_m_b2(static_cast<T>(1.0 - beta2));
  const V step_size(static_cast<T>(lr / bc1)), inv_bc2_sqrt(static_cast<T>(1.0 / std::sqrt(bc2))),
      veps(static_cast<T>(eps)), vwd(static_cast<T>(weight_decay)), decay(static_cast<T>(1.0 - lr * weight_decay));
  for_vectors<T>(n, [&](int64_t i, int64_t w) {
    V p = load_n(param + i, w), g = load_n(grad + i, w);
    if (maximize) g = V(T(0)) - g;
    if (weight_decay != 0.0) {
      if (decoupled) p = p * decay;
      else g = fmadd(vwd, p, g);
    }
    V mi = load_n(m + i, w);
    mi = fmadd(one_m_b1, g - mi, mi);
    V vi = fmadd(vb2, load_n(v + i, w), one_m_b2 * g * g);
    store_n(mi, m + i, w);
    store_n(vi, v + i, w);
    if (vhat) {
      vi = vmax(load_n(vhat + i, w), vi);
      store_n(vi, vhat + i, w);
    }
    const V denom = vsqrt(vi) * inv_bc2_sqrt + veps;
    store_n(p - step_size * (mi / denom), param + i, w);
  });
}

template <typename T>
void rmsprop(char* param_, const char* grad_, char* sq_, char* gavg_, char* buf_, int64_t n, double lr, double alpha,
             double eps, double weight_decay, double momentum, bool maximize) {
  using V = Vec<T>;
  T* param = reinterpret_cast<T*>(param_);
  const T* grad = reinterpret_cast<const T*>(grad_);
  T* sq = reinterpret_cast<T*>(sq_);
  T* gavg = reinterpret_cast<T*>(gavg_);
  T* buf = reinterpret_cast<T*>(buf_);
  const V valpha(static_cast<T>(alpha)), one_m_alpha(static_cast<T>(1.0 - alpha)), veps(static_cast<T>(eps)),
      vwd(static_cast<T>(weight_decay)), vlr(static_cast<T>(lr)), vmom(static_cast<T>(momentum));
  for_vectors<T>(n, [&](int64_t i, int64_t w) {
    V p = load_n(param + i, w), g = load_n(grad + i, w);
    if (maximize) g = V(T(0)) - g;
    if (weight_decay != 0.0) g = fmadd(vwd, p, g);
    const V s = fmadd(valpha, load_n(sq + i, w), one_m_alpha * g * g);
    store_n(s, sq + i, w);
    V avg;
    if (gavg) {
      V ga = load_n(gavg + i, w);
      ga = fmadd(one_m_alpha, g - ga, ga);
      store_n(ga, gavg + i, w);
      avg = vsqrt(s - ga * ga) + veps;
    } else {
      avg = vsqrt(s) + veps;
    }
    if (buf) {
      const V b = fmadd(vmom, load_n(buf + i, w), g / avg);
      store_n(b, buf + i, w);
      store_n(p - vlr * b, param + i, w);
    } else {
      store_n(p - vlr * (g / avg), param + i, w);
    }
  });
}

template <typename T>
void adagrad(char* param_, const char* grad_, char* sum_, int64_t n, double clr, double weight_decay, double eps,
             bool maximize) {
  using V = Vec<T>;
  T* param = reinterpret_cast<T*>(param_);
  const T* grad = reinterpret_cast<const T*>(grad_);
  T* sum = reinterpret_cast<T*>(sum_);
  const V vclr(static_cast<T>(clr)), veps(static_cast<T>(eps)), vwd(static_cast<T>(weight_decay));
  for_vectors<T>(n, [&](int64_t i, int64_t w) {
    V p = load_n(param + i, w), g = load_n(grad + i, w);
    if (maximize) g = V(T(0)) - g;
    if (weight_decay != 0.0) g = fmadd(vwd, p, g);
    const V s = fmadd(g, g, load_n(sum + i, w));
    store_n(s, sum + i, w);
    store_n(p - vclr * (g / (vsqrt(s) + veps)), param + i, w);
  });
}

}  // namespace

void register_optim(KernelTable& t) {
  for_each_type<float, double>([&](auto tag) {
    using T = decltype(tag);
    t.sgd[dtype_index<T>] = sgd<T>;
    t.adam[dtype_index<T>] = adam<T>;
    t.rmsprop[dtype_index<T>] = rmsprop<T>;
    t.adagrad[dtype_index<T>] = adagrad<T>;
  });
}

}  // namespace tensorforge::cpu::TF_ISA_NS
