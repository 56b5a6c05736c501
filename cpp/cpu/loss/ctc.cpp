// CTC loss: the forward (alpha) and backward (beta) recursions in log space over the label
// sequence with blanks interleaved, one batch item per task. Each frame's recursion is one
// vectorised pass over the positions (log-sum-exp of up to three predecessors).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "cpu/register.h"
#include "cpu/simd/ctype.h"
#include "cpu/simd/vmath.h"
#include "tensorforge/parallel.h"

namespace tensorforge::cpu::TF_ISA_NS {
namespace {

using kernels::CtcGeom;

template <typename T>
constexpr T kNegInf = -std::numeric_limits<T>::infinity();

template <typename T>
inline T log_add(T a, T b) {
  const T m = std::max(a, b);
  return m == kNegInf<T> ? kNegInf<T> : m + std::log(std::exp(a - m) + std::exp(b - m));
}

// log(exp(a) + exp(b) + exp(c)) + add per lane; -inf where all three are -inf.
template <typename T>
inline Vec<T> log_add3(Vec<T> a, Vec<T> b, Vec<T> c, Vec<T> add) {
  const Vec<T> ninf(kNegInf<T>), m = vmax(vmax(a, b), c);
  const Mask<T> none = cmp_eq(m, ninf);
  const Vec<T> ms = select(none, Vec<T>(T(0)), m);
  const Vec<T> r = ms + vlog(vexp(a - ms) + vexp(b - ms) + vexp(c - ms)) + add;
  return select(none, ninf, r);
}

// One batch item: the extended labels (blank, l0, blank, l1, ..., blank), whether position s may
// be entered from s - 2 (0) or not (-inf), and the frames lp(t, c) = log_probs[(t * N + b) * C + c].
template <typename T>
struct Item {
  const T* lp;
  int64_t stride, frames, S;
  std::vector<int64_t> label;
  std::vector<T> skip, lpl;  // skip[s]: 0 if s may be entered from s - 2; lpl: this frame's lp per label
  T at(int64_t t, int64_t c) const { return lp[t * stride + c]; }

  Item(const T* log_probs, const CtcGeom& g, int64_t b, int64_t padded)
      : lp(log_probs + b * g.C), stride(g.N * g.C), frames(g.input_lengths[b]), S(2 * g.target_lengths[b] + 1) {
    const int64_t* target = g.targets + g.target_offsets[b];
    label.resize(static_cast<size_t>(S));
    for (int64_t s = 0; s < S; ++s) label[static_cast<size_t>(s)] = s % 2 == 0 ? g.blank : target[s / 2];
    skip.assign(static_cast<size_t>(padded + 4), kNegInf<T>);
    for (int64_t s = 3; s < S; s += 2)
      if (label[static_cast<size_t>(s)] != label[static_cast<size_t>(s - 2)]) skip[static_cast<size_t>(s)] = T(0);
    lpl.assign(static_cast<size_t>(padded), T(0));
  }
  void load_frame(int64_t t) {
    for (int64_t s = 0; s < S; ++s) lpl[static_cast<size_t>(s)] = at(t, label[static_cast<size_t>(s)]);
  }
};

template <typename T>
int64_t padded_positions(const CtcGeom& g) {
  constexpr int64_t W = Vec<T>::size;
  return (2 * g.max_target + 1 + W - 1) / W * W;
}

template <typename T>
void ctc_loss(const char* log_probs_, char* nll_, char* log_alpha_, const CtcGeom& g) {
  using V = Vec<T>;
  constexpr int64_t W = V::size;
  const T* log_probs = reinterpret_cast<const T*>(log_probs_);
  T* nll = reinterpret_cast<T*>(nll_);
  T* log_alpha = reinterpret_cast<T*>(log_alpha_);
  const int64_t width = 2 * g.max_target + 1, padded = padded_positions<T>(g);
  parallel_for(0, g.N, 1, [&](int64_t b0, int64_t b1) {
    // alpha rows with two -inf entries in front (the predecessors of s = 0, 1) and -inf past S
    std::vector<T> rows(static_cast<size_t>(2 * (padded + 2)), kNegInf<T>);
    for (int64_t b = b0; b < b1; ++b) {
      Item<T> it(log_probs, g, b, padded);
      T* alpha = log_alpha + b * g.T * width;
      std::fill(alpha, alpha + g.T * width, kNegInf<T>);
      if (it.frames == 0) {
        nll[b] = it.S == 1 ? T(0) : std::numeric_limits<T>::infinity();
        continue;
      }
      T* prev = rows.data() + 2;
      T* cur = rows.data() + padded + 4;
      std::fill(rows.begin(), rows.end(), kNegInf<T>);
      prev[0] = it.at(0, g.blank);
      if (it.S > 1) prev[1] = it.at(0, it.label[1]);
      std::copy(prev, prev + it.S, alpha);
      for (int64_t t = 1; t < it.frames; ++t) {
        it.load_frame(t);
        for (int64_t s = 0; s < it.S; s += W)
          log_add3(V::load(prev + s), V::load(prev + s - 1), V::load(prev + s - 2) + V::load(it.skip.data() + s),
                   V::load(it.lpl.data() + s)).store(cur + s);
        std::fill(cur + it.S, cur + padded, kNegInf<T>);
        std::copy(cur, cur + it.S, alpha + t * width);
        std::swap(prev, cur);
      }
      nll[b] = -(it.S > 1 ? log_add(prev[it.S - 1], prev[it.S - 2]) : prev[0]);
    }
  });
}

template <typename T>
void ctc_loss_backward(const char* grad_out_, const char* log_probs_, const char* nll_, const char* log_alpha_,
                       char* grad_, const CtcGeom& g, bool zero_infinity) {
  using V = Vec<T>;
  constexpr int64_t W = V::size;
  const T* grad_out = reinterpret_cast<const T*>(grad_out_);
  const T* log_probs = reinterpret_cast<const T*>(log_probs_);
  const T* nll = reinterpret_cast<const T*>(nll_);
  const T* log_alpha = reinterpret_cast<const T*>(log_alpha_);
  T* grad = reinterpret_cast<T*>(grad_);
  const int64_t width = 2 * g.max_target + 1, padded = padded_positions<T>(g);
  parallel_for(0, g.N, 1, [&](int64_t b0, int64_t b1) {
    // beta rows with -inf past S (the successors s + 1, s + 2 of the last positions)
    std::vector<T> rows(static_cast<size_t>(2 * (padded + 2)), kNegInf<T>), lcab(static_cast<size_t>(g.C));
    for (int64_t b = b0; b < b1; ++b) {
      Item<T> it(log_probs, g, b, padded);
      T* gb = grad + b * g.C;  // frame t at gb + t * N * C
      const bool zero = zero_infinity && std::isinf(nll[b]);
      for (int64_t t = zero ? 0 : it.frames; t < g.T; ++t) std::fill(gb + t * it.stride, gb + t * it.stride + g.C, T(0));
      if (zero || it.frames == 0) continue;
      const T* alpha = log_alpha + b * g.T * width;
      const T gr = grad_out[b], loss = nll[b];
      std::fill(rows.begin(), rows.end(), kNegInf<T>);
      T* next = rows.data();
      T* cur = rows.data() + padded + 2;
      for (int64_t t = it.frames - 1; t >= 0; --t) {
        it.load_frame(t);
        if (t == it.frames - 1) {
          cur[it.S - 1] = it.lpl[static_cast<size_t>(it.S - 1)];
          if (it.S > 1) cur[it.S - 2] = it.lpl[static_cast<size_t>(it.S - 2)];
        } else {
          // beta_t(s) = lse(beta_{t+1}(s), beta_{t+1}(s + 1), beta_{t+1}(s + 2) if s + 2 may skip) + lp
          for (int64_t s = 0; s < it.S; s += W)
            log_add3(V::load(next + s), V::load(next + s + 1), V::load(next + s + 2) + V::load(it.skip.data() + s + 2),
                     V::load(it.lpl.data() + s)).store(cur + s);
          std::fill(cur + it.S, cur + padded + 2, kNegInf<T>);
        }
        std::fill(lcab.begin(), lcab.end(), kNegInf<T>);
        for (int64_t s = 0; s < it.S; ++s) {
          T& acc = lcab[static_cast<size_t>(it.label[static_cast<size_t>(s)])];
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
