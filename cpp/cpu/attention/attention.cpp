// Fused scaled dot-product attention. The forward is flash-style: per (batch, head) and block
// of BR query rows it walks blocks of BC keys with an online softmax (running max and sum per
// row, output rescaled and accumulated in place), keeping only the output and each row's
// logsumexp. The backward walks key blocks, recomputing each [BR, BC] score block from Q, K
// and the logsumexp. Neither ever holds more than one score block. Block products run on the
// GEMM micro-kernel against NR-wide panels of K, V, Q and dO packed once per (batch, head).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "cpu/gemm/gemm_kernel.h"
#include "cpu/register.h"
#include "cpu/simd/ctype.h"
#include "cpu/simd/vec.h"
#include "cpu/simd/vmath.h"
#include "tensorforge/parallel.h"

namespace tensorforge::cpu::TF_ISA_NS {
namespace {

using gemm_detail::AlignedBuffer;
using gemm_detail::Tile;
using kernels::SdpaGeom;

// BR query rows (whole register tiles) x BC keys (whole panels) per score block: one block,
// the Q rows and one packed panel stay within L1/L2 while the products run.
template <typename T>
struct Blocks {
  static constexpr int MR = Tile<T>::MR;
  static constexpr int NR = Tile<T>::NR;
  static constexpr int64_t BR = (64 + MR - 1) / MR * MR;
  static constexpr int64_t BC = (128 + NR - 1) / NR * NR;
};

template <typename T>
constexpr T kNegInf = -std::numeric_limits<T>::infinity();

// Lanes [0, n) of a vector: the comparison mask for a row's ragged end.
template <typename T>
inline Mask<T> first_lanes(int64_t n) {
  alignas(64) static const T iota[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  return cmp_lt(Vec<T>::load(iota), Vec<T>(static_cast<T>(n)));
}

// NR-wide panels of a [rows, cols] matrix m (row stride ld) for the micro-kernel's B operand.
// by_cols: panels over m's columns, each [rows][NR], panel p at out + p * rows * NR.
// Otherwise panels over m's rows (B = m^T), each [cols][NR], panel p at out + p * cols * NR.
template <typename T>
void pack_panels(const T* m, int64_t ld, int64_t rows, int64_t cols, bool by_cols, T* out) {
  constexpr int NR = Tile<T>::NR;
  if (by_cols) {
    for (int64_t j = 0; j < cols; j += NR)
      gemm_detail::pack_b(m, ld, false, 0, rows, j, static_cast<int>(std::min<int64_t>(NR, cols - j)),
                          out + (j / NR) * rows * NR);
  } else {
    for (int64_t i = 0; i < rows; i += NR)
      gemm_detail::pack_b(m, ld, true, 0, cols, i, static_cast<int>(std::min<int64_t>(NR, rows - i)),
                          out + (i / NR) * cols * NR);
  }
}

inline int64_t panels_of(int64_t n, int nr) { return (n + nr - 1) / nr; }

// C[rows, cols] (+)= A[rows, depth] B. A is read in place at a[r * a_rs + k * a_ks]; B is given as
// NR-wide panels [depth][NR], panel_stride apart; C is row-major with leading dim ldc.
template <typename T>
void block_product(int64_t rows, int64_t cols, int64_t depth, const T* a, int64_t a_rs, int64_t a_ks, const T* panels,
                   int64_t panel_stride, T* c, int64_t ldc, bool accumulate) {
  constexpr int MR = Tile<T>::MR;
  constexpr int NR = Tile<T>::NR;
  for (int64_t j = 0; j < cols; j += NR) {
    const T* b = panels + (j / NR) * panel_stride;
    const int nc = static_cast<int>(std::min<int64_t>(NR, cols - j));
    for (int64_t i = 0; i < rows; i += MR)
      gemm_detail::micro_kernel<T, true>(depth, a + i * a_rs, a_rs, a_ks, b, NR, c + i * ldc + j, ldc,
                                         static_cast<int>(std::min<int64_t>(MR, rows - i)), nc, accumulate);
  }
}

// One row of a score block: x = s * scale + mask over the `cols` real keys, -inf from `valid`
// on (keys hidden by the causal mask) up to the vector-rounded width `width`. Returns max(x).
template <typename T>
T scores_row(T* s, int64_t width, int64_t cols, int64_t valid, T scale, const T* mask) {
  using V = Vec<T>;
  constexpr int W = V::size;
  const V sc(scale), ninf(kNegInf<T>);
  V mx = ninf;
  for (int64_t c = 0; c < width; c += W) {
    if (c >= valid) {
      ninf.store(s + c);
      continue;
    }
    V x = V::load(s + c) * sc;
    if (mask) x = x + (c + W <= cols ? V::load(mask + c) : V::load_partial(mask + c, cols - c));
    if (c + W > valid) x = select(first_lanes<T>(valid - c), x, ninf);
    x.store(s + c);
    mx = vmax(mx, x);
  }
  return mx.reduce_max();
}

// s = exp(s - m) over width elements; returns the sum.
template <typename T>
T exp_row(T* s, int64_t width, T m) {
  using V = Vec<T>;
  constexpr int W = V::size;
  const V mv(m);
  V acc(T(0));
  for (int64_t c = 0; c < width; c += W) {
    const V p = vexp(V::load(s + c) - mv);
    p.store(s + c);
    acc = acc + p;
  }
  return acc.reduce_add();
}

template <typename T>
void scale_row(T* x, int64_t n, T a) {
  using V = Vec<T>;
  constexpr int W = V::size;
  const V av(a);
  int64_t i = 0;
  for (; i + W <= n; i += W) (V::load(x + i) * av).store(x + i);
  if (i < n) (V::load_partial(x + i, n - i) * av).store_partial(x + i, n - i);
}

template <typename T>
T dot_row(const T* a, const T* b, int64_t n) {
  using V = Vec<T>;
  constexpr int W = V::size;
  V acc(T(0));
  int64_t i = 0;
  for (; i + W <= n; i += W) acc = fmadd(V::load(a + i), V::load(b + i), acc);
  T s = acc.reduce_add();
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

// Keys [0, count) visible to query row i of a block starting at key j0 (cols keys in it).
inline int64_t visible(bool causal, int64_t i, int64_t j0, int64_t cols) {
  return causal ? std::clamp<int64_t>(i - j0 + 1, 0, cols) : cols;
}

// Roughly the multiply-adds of one item, to decide whether threads pay off.
inline int64_t grain_for(int64_t items, int64_t work_per_item) {
  return work_per_item * items < (int64_t{1} << 17) ? items : 1;
}

template <typename T>
struct ForwardScratch {
  AlignedBuffer<T> kt, vp, s, m, l;
};

template <typename T>
void sdpa_forward_kernel(const char* q_, const char* k_, const char* v_, const char* mask_, char* out_, char* lse_,
                         const SdpaGeom& g) {
  using B = Blocks<T>;
  constexpr int W = Vec<T>::size;
  constexpr int NR = B::NR;
  const T* q = reinterpret_cast<const T*>(q_);
  const T* k = reinterpret_cast<const T*>(k_);
  const T* v = reinterpret_cast<const T*>(v_);
  const T* mask = reinterpret_cast<const T*>(mask_);
  T* out = reinterpret_cast<T*>(out_);
  T* lse = reinterpret_cast<T*>(lse_);
  const int64_t L = g.q_len, S = g.kv_len, E = g.head_dim, Ev = g.v_dim;
  const int64_t nqb = (L + B::BR - 1) / B::BR;
  const int64_t items = g.units * nqb;
  const T scale = static_cast<T>(g.scale);
  const int64_t kt_stride = E * NR, vp_stride = S * NR;

  parallel_for(0, items, grain_for(items, B::BR * S * (E + Ev)), [&](int64_t t0, int64_t t1) {
    static thread_local ForwardScratch<T> sc;
    T* kt = sc.kt.get(static_cast<size_t>(panels_of(S, NR) * kt_stride));
    T* vp = sc.vp.get(static_cast<size_t>(panels_of(Ev, NR) * vp_stride));
    T* s = sc.s.get(static_cast<size_t>(B::BR * B::BC));
    T* m = sc.m.get(B::BR);
    T* l = sc.l.get(B::BR);
    int64_t packed = -1;
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t u = t / nqb, idx = t % nqb;
      // Causal blocks grow with the row: pair cheap with expensive ones so contiguous ranges
      // of items cost the same.
      const int64_t qb = g.causal ? (idx % 2 == 0 ? idx / 2 : nqb - 1 - idx / 2) : idx;
      const T* qu = q + g.q_off[u];
      const T* mu = mask ? mask + g.mask_off[u] : nullptr;
      T* ou = out + g.o_off[u];
      if (packed != u) {
        pack_panels(k + g.k_off[u], g.k_rs, S, E, false, kt);
        pack_panels(v + g.v_off[u], g.v_rs, S, Ev, true, vp);
        packed = u;
      }
      const int64_t i0 = qb * B::BR, rows = std::min(B::BR, L - i0);
      const int64_t kend = g.causal ? std::min(S, i0 + rows) : S;
      for (int64_t r = 0; r < rows; ++r) {
        m[r] = kNegInf<T>;
        l[r] = T(0);
      }
      bool first = true;
      for (int64_t j0 = 0; j0 < kend; j0 += B::BC) {
        const int64_t cols = std::min(B::BC, kend - j0);
        const int64_t width = (cols + W - 1) / W * W;
        block_product(rows, cols, E, qu + i0 * g.q_rs, g.q_rs, int64_t{1}, kt + (j0 / NR) * kt_stride, kt_stride, s,
                      B::BC, false);
        for (int64_t r = 0; r < rows; ++r) {
          T* sr = s + r * B::BC;
          const int64_t valid = visible(g.causal, i0 + r, j0, cols);
          const T mx = scores_row(sr, width, cols, valid, scale, mu ? mu + (i0 + r) * g.mask_rs + j0 : nullptr);
          const T m_new = std::max(m[r], mx);
          if (m_new == kNegInf<T>) {  // nothing visible yet: P = 0, state unchanged
            std::fill(sr, sr + width, T(0));
            continue;
          }
          const T alpha = std::exp(m[r] - m_new);
          l[r] = l[r] * alpha + exp_row(sr, width, m_new);
          m[r] = m_new;
          if (!first && alpha != T(1)) scale_row(ou + (i0 + r) * g.o_rs, Ev, alpha);
        }
        block_product(rows, Ev, cols, s, B::BC, int64_t{1}, vp + j0 * NR, vp_stride, ou + i0 * g.o_rs, g.o_rs, !first);
        first = false;
      }
      for (int64_t r = 0; r < rows; ++r) {
        T* orow = ou + (i0 + r) * g.o_rs;
        if (first) std::fill(orow, orow + Ev, T(0));
        else scale_row(orow, Ev, l[r] > T(0) ? T(1) / l[r] : T(0));
        lse[u * L + i0 + r] = l[r] > T(0) ? m[r] + std::log(l[r]) : std::numeric_limits<T>::infinity();
      }
    }
  });
}

template <typename T>
struct BackwardScratch {
  AlignedBuffer<T> kt, kp, vt, qp, gp, p, ds, d;
};

template <typename T>
void sdpa_backward_kernel(const char* go_, const char* q_, const char* k_, const char* v_, const char* mask_,
                          const char* out_, const char* lse_, char* gq_, char* gk_, char* gv_, char* gmask_,
                          const SdpaGeom& g) {
  using B = Blocks<T>;
  using V = Vec<T>;
  constexpr int W = V::size;
  constexpr int NR = B::NR;
  const T* go = reinterpret_cast<const T*>(go_);
  const T* q = reinterpret_cast<const T*>(q_);
  const T* k = reinterpret_cast<const T*>(k_);
  const T* v = reinterpret_cast<const T*>(v_);
  const T* mask = reinterpret_cast<const T*>(mask_);
  const T* out = reinterpret_cast<const T*>(out_);
  const T* lse = reinterpret_cast<const T*>(lse_);
  T* gq = reinterpret_cast<T*>(gq_);
  T* gk = reinterpret_cast<T*>(gk_);
  T* gv = reinterpret_cast<T*>(gv_);
  T* gmask = reinterpret_cast<T*>(gmask_);
  const int64_t L = g.q_len, S = g.kv_len, E = g.head_dim, Ev = g.v_dim;
  const T scale = static_cast<T>(g.scale);
  const int64_t kt_stride = E * NR, kp_stride = S * NR, vt_stride = Ev * NR, qp_stride = L * NR;

  // Few units for the threads: each unit's key blocks are shared out as well (dealt back and
  // forth, so causal chunks cost alike); chunk c > 0 sums its dQ into a partial buffer.
  if (g.units == 0) return;
  const int64_t nkb = (S + B::BC - 1) / B::BC;
  const int threads = in_parallel_region() ? 1 : get_num_threads();
  const int64_t chunks = g.units >= threads ? 1 : std::max<int64_t>(1, std::min<int64_t>((threads + g.units - 1) / g.units, nkb));
  AlignedBuffer<T> partial_buf;
  T* partial = chunks > 1 ? partial_buf.get(static_cast<size_t>(g.units * (chunks - 1) * L * E)) : nullptr;
  const int64_t hg = g.grad_heads, items = g.units * chunks;

  parallel_for(0, items, grain_for(items, L * S * (E + Ev) / chunks), [&](int64_t t0, int64_t t1) {
    static thread_local BackwardScratch<T> sc;
    T* kt = sc.kt.get(static_cast<size_t>(panels_of(S, NR) * kt_stride));
    T* kp = sc.kp.get(static_cast<size_t>(panels_of(E, NR) * kp_stride));
    T* vt = sc.vt.get(static_cast<size_t>(panels_of(S, NR) * vt_stride));
    T* qp = sc.qp.get(static_cast<size_t>(panels_of(E, NR) * qp_stride));
    T* gp = sc.gp.get(static_cast<size_t>(panels_of(Ev, NR) * qp_stride));
    T* p = sc.p.get(static_cast<size_t>(B::BR * B::BC));
    T* ds = sc.ds.get(static_cast<size_t>(B::BR * B::BC));
    T* d = sc.d.get(static_cast<size_t>(std::max<int64_t>(L, 1)));
    int64_t packed = -1;
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t u = t / chunks, chunk = t % chunks;
      const T* qu = q + g.q_off[u];
      const T* ku = k + g.k_off[u];
      const T* vu = v + g.v_off[u];
      const T* gou = go + g.go_off[u];
      const T* ou = out + g.o_off[u];
      const T* mu = mask ? mask + g.mask_off[u] : nullptr;
      const T* lu = lse + u * L;
      const int64_t h = u % hg, outer = u / hg;
      T* gqu = chunk == 0 ? gq + (outer * L * hg + h) * E : partial + ((u * (chunks - 1) + chunk - 1) * L) * E;
      const int64_t gq_rs = chunk == 0 ? hg * E : E;
      T* gku = gk + (outer * S * hg + h) * E;
      T* gvu = gv + (outer * S * hg + h) * Ev;
      T* gmu = gmask ? gmask + u * L * S : nullptr;
      if (packed != u) {
        pack_panels(ku, g.k_rs, S, E, false, kt);
        pack_panels(ku, g.k_rs, S, E, true, kp);
        pack_panels(vu, g.v_rs, S, Ev, false, vt);
        pack_panels(qu, g.q_rs, L, E, true, qp);
        pack_panels(gou, g.go_rs, L, Ev, true, gp);
        for (int64_t i = 0; i < L; ++i) d[i] = dot_row(gou + i * g.go_rs, ou + i * g.o_rs, Ev);
        packed = u;
      }
      for (int64_t i = 0; i < L; ++i) std::fill(gqu + i * gq_rs, gqu + i * gq_rs + E, T(0));
      for (int64_t kb = 0; kb < nkb; ++kb) {
        const int64_t turn = kb % (2 * chunks);
        if ((turn < chunks ? turn : 2 * chunks - 1 - turn) != chunk) continue;
        const int64_t j0 = kb * B::BC;
        const int64_t cols = std::min(B::BC, S - j0);
        const int64_t width = (cols + W - 1) / W * W;
        for (int64_t j = j0; j < j0 + cols; ++j) {
          std::fill(gku + j * hg * E, gku + j * hg * E + E, T(0));
          std::fill(gvu + j * hg * Ev, gvu + j * hg * Ev + Ev, T(0));
        }
        if (gmu)
          for (int64_t i = 0; i < L; ++i) std::fill(gmu + i * S + j0, gmu + i * S + j0 + cols, T(0));
        const int64_t istart = g.causal ? j0 / B::BR * B::BR : 0;
        for (int64_t i0 = istart; i0 < L; i0 += B::BR) {
          const int64_t rows = std::min(B::BR, L - i0);
          block_product(rows, cols, E, qu + i0 * g.q_rs, g.q_rs, int64_t{1}, kt + (j0 / NR) * kt_stride, kt_stride, p,
                        B::BC, false);
          block_product(rows, cols, Ev, gou + i0 * g.go_rs, g.go_rs, int64_t{1}, vt + (j0 / NR) * vt_stride,
                        vt_stride, ds, B::BC, false);
          for (int64_t r = 0; r < rows; ++r) {
            const int64_t i = i0 + r;
            T* pr = p + r * B::BC;
            T* dr = ds + r * B::BC;
            const int64_t valid = visible(g.causal, i, j0, cols);
            const T* mrow = mu ? mu + i * g.mask_rs + j0 : nullptr;
            T* gmrow = gmu ? gmu + i * S + j0 : nullptr;
            const V sv(scale), lv(lu[i]), dv(d[i]), zero(T(0));
            for (int64_t c = 0; c < width; c += W) {
              if (c >= valid) {
                zero.store(pr + c);
                zero.store(dr + c);
                continue;
              }
              V x = V::load(pr + c) * sv;
              if (mrow) x = x + (c + W <= cols ? V::load(mrow + c) : V::load_partial(mrow + c, cols - c));
              V pv = vexp(x - lv);
              if (c + W > valid) pv = select(first_lanes<T>(valid - c), pv, zero);
              const V dsv = pv * (V::load(dr + c) - dv);
              pv.store(pr + c);
              if (gmrow) {
                if (c + W <= cols) dsv.store(gmrow + c);
                else dsv.store_partial(gmrow + c, cols - c);
              }
              (dsv * sv).store(dr + c);
            }
          }
          // dV += P^T dO, dQ += dS K, dK += dS^T Q (dS already scaled).
          block_product(cols, Ev, rows, p, int64_t{1}, B::BC, gp + i0 * NR, qp_stride, gvu + j0 * hg * Ev, hg * Ev,
                        true);
          block_product(rows, E, cols, ds, B::BC, int64_t{1}, kp + j0 * NR, kp_stride, gqu + i0 * gq_rs, gq_rs, true);
          block_product(cols, E, rows, ds, int64_t{1}, B::BC, qp + i0 * NR, qp_stride, gku + j0 * hg * E, hg * E,
                        true);
        }
      }
    }
  });
  if (chunks == 1) return;
  parallel_for(0, g.units * L, grain_for(g.units * L, E * chunks), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t u = r / L, i = r % L;
      T* dst = gq + ((u / hg * L + i) * hg + u % hg) * E;
      for (int64_t c = 1; c < chunks; ++c) {
        const T* src = partial + ((u * (chunks - 1) + c - 1) * L + i) * E;
        for (int64_t e = 0; e < E; ++e) dst[e] += src[e];
      }
    }
  });
}

}  // namespace

void register_attention(KernelTable& t) {
  for_each_type<float, double>([&](auto tag) {
    using T = decltype(tag);
    constexpr int d = dtype_index<T>;
    t.sdpa_forward[d] = sdpa_forward_kernel<T>;
    t.sdpa_backward[d] = sdpa_backward_kernel<T>;
  });
}

}  // namespace tensorforge::cpu::TF_ISA_NS
