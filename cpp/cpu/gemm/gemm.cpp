// GEMM: C = op(A) op(B) + beta C, row-major. Packed panels, a register-tiled micro-kernel
// over Vec<T>, cache blocking, and a 2-D split of the work across threads.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "cpu/register.h"
#include "cpu/simd/ctype.h"
#include "cpu/simd/vec.h"
#include "tensorforge/parallel.h"

namespace tensorforge::cpu::TF_ISA_NS {
namespace {

// Register tile: MR rows x NR = NV vectors of columns. MR*NV accumulators + NV B vectors + 1
// broadcast must fit the register file (32 zmm on AVX-512, 16 ymm on AVX2).
// AVX-512: 8 x 3 vectors (24 accumulators, 11 loads per 24 FMAs); AVX2: 6 x 2 vectors.
template <typename T>
struct Tile {
  static constexpr int W = Vec<T>::size;
  static constexpr int NV = W * sizeof(T) == 64 ? 3 : 2;
  static constexpr int NR = NV * W;
  static constexpr int MR = W * sizeof(T) == 64 ? 8 : (W * sizeof(T) == 32 ? 6 : 4);
  static constexpr int64_t kPrefetch = 16;  // B rows ahead, streaming from L2
};

// Cache blocks: an MR x KC micro-panel of A stays in L1 across the B panels, the KC x NC
// block of B (1 MB for float) in each core's L2, the MC x KC block of A in L2/L3.
template <typename T>
struct Blocks {
  static constexpr int64_t KC = sizeof(T) == 4 ? 256 : 192;
  static constexpr int64_t MC = Tile<T>::MR * (sizeof(T) == 4 ? 16 : 12);
  static constexpr int64_t NC = 1024;
};

struct AlignedFree {
  void operator()(void* p) const { std::free(p); }
};

template <typename T>
T* scratch(std::unique_ptr<T, AlignedFree>& buf, size_t& cap, size_t n) {
  if (n > cap) {
    const size_t bytes = (n * sizeof(T) + 63) / 64 * 64;
    buf.reset(static_cast<T*>(std::aligned_alloc(64, bytes)));
    cap = n;
  }
  return buf.get();
}

// Packs rows [i0, i0+mc) x cols [p0, p0+kc) of op(A) into MR-row panels, k-major, zero padded.
template <typename T>
void pack_a(const T* a, int64_t lda, bool trans, int64_t i0, int64_t mc, int64_t p0, int64_t kc, T* out) {
  constexpr int MR = Tile<T>::MR;
  for (int64_t ir = 0; ir < mc; ir += MR) {
    const int64_t rows = std::min<int64_t>(MR, mc - ir);
    T* panel = out + ir * kc;
    if (rows < MR) std::fill(panel, panel + kc * MR, T(0));
    // Read along the contiguous direction of A; the writes stay inside one L1-sized panel.
    if (trans) {
      for (int64_t k = 0; k < kc; ++k) {
        const T* src = a + (p0 + k) * lda + i0 + ir;
        for (int64_t r = 0; r < rows; ++r) panel[k * MR + r] = src[r];
      }
    } else {
      for (int64_t r = 0; r < rows; ++r) {
        const T* src = a + (i0 + ir + r) * lda + p0;
        for (int64_t k = 0; k < kc; ++k) panel[k * MR + r] = src[k];
      }
    }
  }
}

// Packs panels [jp0, jp1) (NR columns each) of rows [p0, p0+kc) x cols [j0, j0+nc) of op(B).
template <typename T>
void pack_b(const T* b, int64_t ldb, bool trans, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int64_t jp0,
            int64_t jp1, T* out) {
  constexpr int NR = Tile<T>::NR;
  for (int64_t jp = jp0; jp < jp1; ++jp) {
    const int64_t jr = jp * NR;
    const int64_t cols = std::min<int64_t>(NR, nc - jr);
    T* panel = out + jr * kc;
    if (cols < NR) std::fill(panel, panel + kc * NR, T(0));
    if (trans) {
      for (int64_t q = 0; q < cols; ++q) {
        const T* src = b + (j0 + jr + q) * ldb + p0;
        for (int64_t k = 0; k < kc; ++k) panel[k * NR + q] = src[k];
      }
    } else {
      for (int64_t k = 0; k < kc; ++k) std::memcpy(panel + k * NR, b + (p0 + k) * ldb + j0 + jr, sizeof(T) * cols);
    }
  }
}

// acc(MR x NR) = Ap(MR x kc) * Bp(kc x NR); then C = acc (+ C when accumulate).
// bp rows are ldbp apart: NR for a packed panel, ldb when reading a row-major B in place.
template <typename T>
inline void micro_kernel(int64_t kc, const T* ap, const T* bp, int64_t ldbp, T* c, int64_t ldc, bool accumulate) {
  constexpr int MR = Tile<T>::MR;
  constexpr int NV = Tile<T>::NV;
  constexpr int W = Tile<T>::W;
  constexpr int64_t PF = Tile<T>::kPrefetch;
  using V = Vec<T>;
  V acc[MR][NV];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[r][v] = V(T(0));
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) __builtin_prefetch(c + r * ldc, 1);
  for (int64_t k = 0; k < kc; ++k) {
    __builtin_prefetch(bp + (k + PF) * ldbp);
    V b[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) b[v] = V::load(bp + k * ldbp + v * W);
    const T* a = ap + k * MR;
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const V av(a[r]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] = fmadd(av, b[v], acc[r][v]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
    T* row = c + r * ldc;
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      if (accumulate) (acc[r][v] + V::load(row + v * W)).store(row + v * W);
      else acc[r][v].store(row + v * W);
    }
  }
}

// Runs the micro-kernel over an mc x (panels [jp0, jp1)) block; edge tiles go through a
// scratch tile so the kernel itself never needs masks.
// With b_direct (row-major B, ld b_ld), full panels are read in place and only the ragged
// last panel comes from the packed buffer bp.
template <typename T>
void macro_kernel(int64_t mc, int64_t nc, int64_t kc, int64_t jp0, int64_t jp1, const T* ap, const T* bp, T* c,
                  int64_t ldc, bool accumulate, const T* b_direct = nullptr, int64_t b_ld = 0) {
  constexpr int MR = Tile<T>::MR;
  constexpr int NR = Tile<T>::NR;
  alignas(64) T tile[MR * NR];
  // A micro-panel (MR x kc) stays in L1 across the B panels, which stream from L2.
  for (int64_t ir = 0; ir < mc; ir += MR) {
    const int64_t rows = std::min<int64_t>(MR, mc - ir);
    for (int64_t jp = jp0; jp < jp1; ++jp) {
      const int64_t jr = jp * NR;
      const int64_t cols = std::min<int64_t>(NR, nc - jr);
      T* cdst = c + ir * ldc + jr;
      const bool direct = b_direct && cols == NR;
      const T* panel = direct ? b_direct + jr : bp + jr * kc;
      const int64_t ldbp = direct ? b_ld : NR;
      if (rows == MR && cols == NR) {
        micro_kernel<T>(kc, ap + ir * kc, panel, ldbp, cdst, ldc, accumulate);
        continue;
      }
      micro_kernel<T>(kc, ap + ir * kc, panel, ldbp, tile, NR, false);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t q = 0; q < cols; ++q)
          cdst[r * ldc + q] = accumulate ? cdst[r * ldc + q] + tile[r * NR + q] : tile[r * NR + q];
    }
  }
}

// Plain loops for small products, where packing costs more than it saves.
template <typename T>
void gemm_small(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, const T* b,
                int64_t ldb, T* c, int64_t ldc, bool accumulate) {
  for (int64_t i = 0; i < m; ++i) {
    T* crow = c + i * ldc;
    if (!accumulate)
      for (int64_t j = 0; j < n; ++j) crow[j] = T(0);
    for (int64_t p = 0; p < k; ++p) {
      const T av = ta ? a[p * lda + i] : a[i * lda + p];
      if (!tb) {
        const T* brow = b + p * ldb;
        for (int64_t j = 0; j < n; ++j) crow[j] += av * brow[j];
      } else {
        for (int64_t j = 0; j < n; ++j) crow[j] += av * b[j * ldb + p];
      }
    }
  }
}

template <typename T>
void gemm_packed(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, const T* b,
                 int64_t ldb, T* c, int64_t ldc, bool accumulate) {
  constexpr int MR = Tile<T>::MR;
  constexpr int NR = Tile<T>::NR;
  constexpr int64_t KC = Blocks<T>::KC, MC = Blocks<T>::MC, NC = Blocks<T>::NC;
  static thread_local std::unique_ptr<T, AlignedFree> b_buf, a_buf;
  static thread_local size_t b_cap = 0, a_cap = 0;
  T* bp = scratch(b_buf, b_cap, static_cast<size_t>(KC * ((std::min(NC, n) + NR - 1) / NR * NR)));
  const int threads = in_parallel_region() ? 1 : get_num_threads();
  for (int64_t jc = 0; jc < n; jc += NC) {
    const int64_t nc = std::min(NC, n - jc);
    const int64_t panels = (nc + NR - 1) / NR;
    for (int64_t pc = 0; pc < k; pc += KC) {
      const int64_t kc = std::min(KC, k - pc);
      const bool acc = accumulate || pc > 0;
      // A row-major B is read in place when few rows of A reuse each packed panel: packing
      // would cost about as much as the multiply. Only a ragged last panel is packed then.
      const bool direct = !tb && m <= 4 * MR;
      const T* b_direct = direct ? b + pc * ldb + jc : nullptr;
      const int64_t pack_from = direct ? nc / NR : 0;
      parallel_for(pack_from, panels, 8, [&](int64_t p0, int64_t p1) { pack_b(b, ldb, tb, pc, kc, jc, nc, p0, p1, bp); });
      // Work items: M blocks, and N panel chunks when there are fewer M blocks than threads.
      const int64_t m_blocks = (m + MC - 1) / MC;
      const int64_t n_chunks = m_blocks >= threads ? 1 : std::min<int64_t>(panels, (threads + m_blocks - 1) / m_blocks);
      const int64_t items = m_blocks * n_chunks;
      const int64_t work_per_item = std::min(MC, m) * nc * kc / n_chunks;
      parallel_for(0, items, work_per_item > 20000 ? 1 : items, [&](int64_t w0, int64_t w1) {
        T* ap = scratch(a_buf, a_cap, static_cast<size_t>(((MC + MR - 1) / MR * MR) * KC));
        int64_t packed_block = -1;
        for (int64_t w = w0; w < w1; ++w) {
          const int64_t mb = w / n_chunks, chunk = w % n_chunks;
          const int64_t ic = mb * MC, mc = std::min(MC, m - ic);
          const int64_t jp0 = panels * chunk / n_chunks, jp1 = panels * (chunk + 1) / n_chunks;
          if (packed_block != mb) {
            pack_a(a, lda, ta, ic, mc, pc, kc, ap);
            packed_block = mb;
          }
          macro_kernel(mc, nc, kc, jp0, jp1, ap, bp, c + ic * ldc + jc, ldc, acc, b_direct, ldb);
        }
      });
    }
  }
}

template <typename T>
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const void* a_, int64_t lda, const void* b_,
          int64_t ldb, void* c_, int64_t ldc, double beta) {
  const T* a = static_cast<const T*>(a_);
  const T* b = static_cast<const T*>(b_);
  T* c = static_cast<T*>(c_);
  const bool accumulate = beta != 0.0;
  if (m == 0 || n == 0) return;
  if (k == 0) {
    if (!accumulate)
      for (int64_t i = 0; i < m; ++i) std::fill(c + i * ldc, c + i * ldc + n, T(0));
    return;
  }
  if constexpr (std::is_floating_point_v<T>) {
    if (m * n * k >= 24 * 24 * 24 && n >= 8) {
      gemm_packed(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
      return;
    }
  }
  gemm_small(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
}

}  // namespace

void register_gemm(KernelTable& t) {
  for_each_type<int32_t, int64_t, float, double>([&](auto tag) {
    using T = decltype(tag);
    t.gemm[dtype_index<T>] = gemm<T>;
  });
}

}  // namespace tensorforge::cpu::TF_ISA_NS
