// CTC loss: the forward (alpha) and backward (beta) recursions in log space over the label
// sequence with blanks interleaved, one batch item per task.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "cpu/register.h"
#include "cpu/simd/ctype.h"
#include "tensorforge/parallel.h"

namespace tensorforge::cpu::TF_ISA_NS {
namespace {

using kernels::CtcGeom;

template <typename T>
inline T log_add(T a, T b) {
  constexpr T kNegInf = -std::numeric_limits<T>::infinity();
  const T m = std::max(a, b);
  return m == kNegInf ? kNegInf : m + std::log(std::exp(a - m) + std::exp(b - m));
}

// Label s of the extended sequence (blank, l0, blank, l1, ..., blank).
inline int64_t label(const int64_t* target, int64_t s, int64_t blank) { return s % 2 == 0 ? blank : target[s / 2]; }

// Item b's frames lp(t, c) = log_probs[(t * N + b) * C + c].
template <typename T>
struct Item {
  const T* lp;
  int64_t stride;  // N * C
  const int64_t* target;
  int64_t frames, labels, blank;
  T at(int64_t t, int64_t c) const { return lp[t * stride + c]; }
  int64_t l(int64_t s) const { return label(target, s, blank); }
  // May position s also be entered from s - 2 (skipping a blank)?
  bool skip(int64_t s) const { return s > 1 && s % 2 == 1 && l(s) != l(s - 2); }
};

template <typename T>
Item<T> item(const T* log_probs, const CtcGeom& g, int64_t b) {
  return {log_probs + b * g.C, g.N * g.C, g.targets + g.target_offsets[b], g.input_lengths[b], g.target_lengths[b],
          g.blank};
}

template <typename T>
void ctc_loss(const char* log_probs_, char* nll_, char* log_alpha_, const CtcGeom& g) {
  constexpr T kNegInf = -std::numeric_limits<T>::infinity();
  const T* log_probs = reinterpret_cast<const T*>(log_probs_);
  T* nll = reinterpret_cast<T*>(nll_);
  T* log_alpha = reinterpret_cast<T*>(log_alpha_);
  const int64_t width = 2 * g.max_target + 1;
  parallel_for(0, g.N, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const Item<T> it = item(log_probs, g, b);
      const int64_t S = 2 * it.labels + 1;
      T* alpha = log_alpha + b * g.T * width;
      std::fill(alpha, alpha + g.T * width, kNegInf);
      if (it.frames == 0) {
        nll[b] = it.labels == 0 ? T(0) : std::numeric_limits<T>::infinity();
        continue;
      }
      alpha[0] = it.at(0, g.blank);
      if (S > 1) alpha[1] = it.at(0, it.l(1));
      for (int64_t t = 1; t < it.frames; ++t) {
        const T* prev = alpha + (t - 1) * width;
        T* cur = alpha + t * width;
        for (int64_t s = 0; s < S; ++s) {
          T a = prev[s];
          if (s > 0) a = log_add(a, prev[s - 1]);
          if (it.skip(s)) a = log_add(a, prev[s - 2]);
          cur[s] = a == kNegInf ? kNegInf : a + it.at(t, it.l(s));
        }
      }
      const T* last = alpha + (it.frames - 1) * width;
      nll[b] = -(S > 1 ? log_add(last[S - 1], last[S - 2]) : last[0]);
    }
  });
}

template <typename T>
void ctc_loss_backward(const char* grad_out_, const char* log_probs_, const char* nll_, const char* log_alpha_,
                       char* grad_, const CtcGeom& g, bool zero_infinity) {
  constexpr T kNegInf = -std::numeric_limits<T>::infinity();
  const T* grad_out = reinterpret_cast<const T*>(grad_out_);
  const T* log_probs = reinterpret_cast<const T*>(log_probs_);
  const T* nll = reinterpret_cast<const T*>(nll_);
  const T* log_alpha = reinterpret_cast<const T*>(log_alpha_);
  T* grad = reinterpret_cast<T*>(grad_);
  const int64_t width = 2 * g.max_target + 1;
  parallel_for(0, g.N, 1, [&](int64_t b0, int64_t b1) {
    std::vector<T> beta(static_cast<size_t>(2 * width)), lcab(static_cast<size_t>(g.C));
    for (int64_t b = b0; b < b1; ++b) {
      const Item<T> it = item(log_probs, g, b);
      const int64_t S = 2 * it.labels + 1;
      T* gb = grad + b * g.C;  // frame t at gb + t * N * C
      const bool zero = zero_infinity && std::isinf(nll[b]);
      for (int64_t t = zero ? 0 : it.frames; t < g.T; ++t) std::fill(gb + t * it.stride, gb + t * it.stride + g.C, T(0));
      if (zero || it.frames == 0) continue;
      const T* alpha = log_alpha + b * g.T * width;
      const T gr = grad_out[b], loss = nll[b];
      T* next = beta.data();
      T* cur = beta.data() + width;
      for (int64_t t = it.frames - 1; t >= 0; --t) {
        // beta_t(s): the log-probability of the rest of the labels from position s at frame t
        for (int64_t s = 0; s < S; ++s) {
          T v;
          if (t == it.frames - 1) {
            v = s >= S - 2 ? it.at(t, it.l(s)) : kNegInf;
          } else {
            v = next[s];
            if (s + 1 < S) v = log_add(v, next[s + 1]);
            if (s + 2 < S && it.skip(s + 2)) v = log_add(v, next[s + 2]);
            v = v == kNegInf ? kNegInf : v + it.at(t, it.l(s));
          }
          cur[s] = v;
        }
        std::fill(lcab.begin(), lcab.end(), kNegInf);
        for (int64_t s = 0; s < S; ++s) {
          T& acc = lcab[static_cast<size_t>(it.l(s))];
          acc = log_add(acc, alpha[t * width + s] + cur[s]);
        }
        T* gt = gb + t * it.stride;
        for (int64_t c = 0; c < g.C; ++c) {
          const T lp = it.at(t, c);
          gt[c] = (std::exp(lp) - std::exp(lcab[static_cast<size_t>(c)] + loss - lp)) * gr;
        }
        std::swap(next, cur);
      }
    }
  });
}

}  // namespace

void register_ctc(KernelTable& t) {
  for_each_type<float, double>([&](auto tag) {
    using T = decltype(tag);
    t.ctc_loss[dtype_index<T>] = ctc_loss<T>;
    t.ctc_loss_backward[dtype_index<T>] = ctc_loss_backward<T>;
  });
}

}  // namespace tensorforge::cpu::TF_ISA_NS
