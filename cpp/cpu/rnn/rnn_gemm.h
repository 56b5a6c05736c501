// The small GEMM of one recurrent step: C[rows, cols] (+)= A[rows, K] * B[K, cols] with A read
// in place (rows of h or of dG) and B packed once per layer call into NR-wide panels. Its
// register tile, MR rows x 2 vectors, is narrower than the general GEMM's (cpu/gemm): hidden
// sizes split across threads in multiples of 2 vectors then waste no columns, and a batch of 8k
// rows no rows. Included only by rnn.cpp (compiled once per ISA).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "cpu/gemm/gemm_kernel.h"
#include "cpu/simd/vec.h"

namespace tensorforge::cpu::TF_ISA_NS::rnn_detail {

// AVX-512: 8 x 2 zmm = 16 accumulators; AVX2: 6 x 2 ymm = 12; scalar: 4 x 8 values.
template <typename T>
struct StepTile {
  static constexpr int W = Vec<T>::size;
  static constexpr int NV = W == 1 ? 8 : 2;
  static constexpr int NR = NV * W;
  static constexpr int MR = W == 1 ? 4 : (W * sizeof(T) == 64 ? 8 : 6);
};

// One panel: out[k * NR + c] = op(B)[p0 + k][j0 + c] for c < cols, zero for cols <= c < NR,
// where op(B)[p][j] = b[p * ldb + j], or b[j * ldb + p] when trans.
template <typename T>
void pack_step_panel(const T* b, int64_t ldb, bool trans, int64_t p0, int64_t kc, int64_t j0, int cols, T* out) {
  constexpr int NR = StepTile<T>::NR;
  if (cols < NR) std::fill(out, out + kc * NR, T(0));
  if (trans) {
    gemm_detail::transpose_pack(b + j0 * ldb + p0, ldb, cols, kc, out, NR);
  } else {
    for (int64_t k = 0; k < kc; ++k) std::memcpy(out + k * NR, b + (p0 + k) * ldb + j0, cols * sizeof(T));
  }
}

// C[:R, :cols] = (or += when accumulate) A[:R, :kc] * panel; R <= MR, cols <= NR.
template <typename T, int R>
inline void step_kernel(int64_t kc, const T* a, int64_t lda, const T* panel, T* c, int64_t ldc, int cols,
                        bool accumulate) {
  constexpr int NV = StepTile<T>::NV, W = StepTile<T>::W, NR = StepTile<T>::NR;
  using V = Vec<T>;
  V acc[R][NV];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) acc[r][v] = V(T(0));
  const T* ar[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) ar[r] = a + r * lda;
  // An accumulated C tile (the step's input projection) is usually cold: fetch it meanwhile.
  if (accumulate)
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
      for (int v = 0; v < NR * int(sizeof(T)); v += 64) __builtin_prefetch(reinterpret_cast<const char*>(c + r * ldc) + v, 1, 3);
  for (int64_t k = 0; k < kc; ++k) {
    V bv[NV];
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) bv[v] = V::load(panel + k * NR + v * W);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const V av(ar[r][k]);
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) acc[r][v] = fmadd(av, bv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    T* row = c + r * ldc;
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) {
      const int left = cols - v * W;
      if (left >= W) {
        if (accumulate) (acc[r][v] + V::load(row + v * W)).store(row + v * W);
        else acc[r][v].store(row + v * W);
      } else if (left > 0) {
        if (accumulate) (acc[r][v] + V::load_partial(row + v * W, left)).store_partial(row + v * W, left);
        else acc[r][v].store_partial(row + v * W, left);
      }
    }
  }
}

// The same for a run-time row count 1 <= rows <= MR.
template <typename T, int R = StepTile<T>::MR>
inline void step_tile(int rows, int64_t kc, const T* a, int64_t lda, const T* panel, T* c, int64_t ldc, int cols,
                      bool accumulate) {
  if constexpr (R > 1)
    if (rows < R) return step_tile<T, R - 1>(rows, kc, a, lda, panel, c, ldc, cols, accumulate);
  step_kernel<T, R>(kc, a, lda, panel, c, ldc, cols, accumulate);
}

// Rows [0, rows) split into the fewest slivers of at most MR rows, as even as possible: 32 rows
// on AVX2 (MR 6) run as 6+6+5+5+5+5, not 6+6+6+6+6+2 (whose last sliver costs a full one).
template <typename T>
inline void sliver_rows(int64_t rows, int64_t s, int64_t& r0, int& n) {
  constexpr int64_t MR = StepTile<T>::MR;
  const int64_t slivers = (rows + MR - 1) / MR, base = rows / slivers, extra = rows % slivers;
  r0 = s * base + std::min(s, extra);
  n = static_cast<int>(base + (s < extra ? 1 : 0));
}

}  // namespace tensorforge::cpu::TF_ISA_NS::rnn_detail
