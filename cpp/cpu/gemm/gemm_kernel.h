// GEMM building blocks for one ISA: register-tile shapes, the micro-kernel over Vec<T>, and
// the packing routines. Included only by gemm.cpp (compiled once per ISA).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "cpu/simd/vec.h"

namespace tensorforge::cpu::TF_ISA_NS::gemm_detail {

// Register tile: MR rows x NV vectors (NR = NV * W columns). MR*NV accumulators + NV B vectors
// + 1 broadcast must fit the register file.
//   AVX-512 (32 zmm): 8 x 3 vectors = 24 accumulators; 3 B loads + 8 broadcasts per 24 FMAs.
//   AVX2 (16 ymm):    6 x 2 vectors = 12 accumulators; 2 B loads + 6 broadcasts per 12 FMAs.
//   scalar:           4 x 8 columns; the compiler maps the 8 columns onto SSE2 registers.
template <typename T>
struct Tile {
  static constexpr int W = Vec<T>::size;
  static constexpr bool kZmm = W * sizeof(T) == 64;
  static constexpr bool kYmm = W * sizeof(T) == 32;
  static constexpr int MR = kZmm ? 8 : (kYmm ? 6 : 4);
  static constexpr int NV = kZmm ? 3 : (kYmm ? 2 : 8);
  static constexpr int NR = NV * W;
};

// Cache blocks. The packed MR x KC sliver of A stays in L1 (8 KB for float on AVX-512) while
// the micro-kernel sweeps the KC x NC block of B, which is sized to sit in the 2 MB L2
// (about 1 MB, leaving room for C and the other operand). KC long enough that loading and
// storing the C tile is noise against the KC-deep FMA chain.
template <typename T>
struct Blocks {
  static constexpr int64_t KC = sizeof(T) == 4 ? 256 : 192;
  static constexpr int64_t NC = ((int64_t{1} << 20) / (KC * int64_t(sizeof(T)))) / Tile<T>::NR * Tile<T>::NR;
};

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

// A grow-only, 64-byte aligned scratch buffer (kept thread_local by its users).
template <typename T>
class AlignedBuffer {
 public:
  T* get(size_t n) {
    if (n > cap_) {
      const size_t bytes = (n * sizeof(T) + 63) / 64 * 64;
      ptr_.reset(static_cast<T*>(std::aligned_alloc(64, bytes)));
      cap_ = n;
    }
    return ptr_.get();
  }

 private:
  std::unique_ptr<T, FreeDeleter> ptr_;
  size_t cap_ = 0;
};

// acc(MR x NR) = A(MR x kc) * B(kc x NR); then C[:rows, :cols] = acc (+ C when accumulate).
// Packed A: ap[k * MR + r]. Direct A (small problems): a[r * a_rs + k * a_ks], rows past
// `rows` re-read row 0 (their results are dropped). B: b[k * b_ks + j], always NR readable
// columns (a packed panel, or a full-width row of an unpacked B).
template <typename T, bool kDirectA>
inline void micro_kernel(int64_t kc, const T* a, int64_t a_rs, int64_t a_ks, const T* b, int64_t b_ks, T* c,
                         int64_t ldc, int rows, int cols, bool accumulate) {
  constexpr int MR = Tile<T>::MR;
  constexpr int NV = Tile<T>::NV;
  constexpr int W = Tile<T>::W;
  using V = Vec<T>;
  V acc[MR][NV];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) acc[r][v] = V(T(0));
  // The C tile is only touched after the k loop: fetch it (for writing) meanwhile, one row per
  // depth step or two, so the misses do not all wait for fill buffers at once.
  auto prefetch_c_row = [&](int r) {
#pragma GCC unroll 8
    for (int v = 0; v < NV * W * int(sizeof(T)); v += 64) __builtin_prefetch(reinterpret_cast<char*>(c + r * ldc) + v, 1);
  };

  if constexpr (kDirectA) {
    int64_t off[MR];
    for (int r = 0; r < MR; ++r) off[r] = (r < rows ? r : 0) * a_rs;
    for (int r = 0; r < MR; ++r) prefetch_c_row(r);
    for (int64_t k = 0; k < kc; ++k) {
      V bv[NV];
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) bv[v] = V::load(b + v * W);
      const T* ak = a + k * a_ks;
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) {
        const V av(ak[off[r]]);
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) acc[r][v] = fmadd(av, bv[v], acc[r][v]);
      }
      b += b_ks;
    }
  } else {
    // Packed: A advances MR and B advances NR per depth step. Unrolled by two by hand: GCC's
    // own unrolling keeps per-step pointer updates and register copies (measured ~5% slower).
    auto step = [&](const T* ak, const T* bk) {
      V bv[NV];
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) bv[v] = V::load(bk + v * W);
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) {
        const V av(ak[r]);
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) acc[r][v] = fmadd(av, bv[v], acc[r][v]);
      }
    };
    constexpr int NR = NV * W;
    int64_t k = 0;
    for (int r = 0; r < MR; ++r, k += 2, a += 2 * MR, b += 2 * NR) {
      prefetch_c_row(r);
      if (k + 2 > kc) break;
      step(a, b);
      step(a + MR, b + NR);
    }
    for (; k + 2 <= kc; k += 2, a += 2 * MR, b += 2 * NR) {
      step(a, b);
      step(a + MR, b + NR);
    }
    if (k < kc) step(a, b);
  }

  const bool full = rows == MR && cols == NV * W;
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
    if (!full && r >= rows) break;
    T* row = c + r * ldc;
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) {
      const int left = cols - v * W;
      if (full || left >= W) {
        if (accumulate) (acc[r][v] + V::load(row + v * W)).store(row + v * W);
        else acc[r][v].store(row + v * W);
      } else if (left > 0) {
        if (accumulate) (acc[r][v] + V::load_partial(row + v * W, left)).store_partial(row + v * W, left);
        else acc[r][v].store_partial(row + v * W, left);
      }
    }
  }
}

// One MR x kc sliver of op(A) (rows i0.., depth p0..), k-major, rows past `rows` zeroed.
template <typename T>
void pack_a(const T* a, int64_t lda, bool trans, int64_t i0, int rows, int64_t p0, int64_t kc, T* out) {
  constexpr int MR = Tile<T>::MR;
  if (trans) {
    // op(A)[i][p] = a[p * lda + i]: each depth step is MR contiguous values.
    const T* src = a + p0 * lda + i0;
    if (rows == MR) {
      for (int64_t k = 0; k < kc; ++k, src += lda)
#pragma GCC unroll 16
        for (int r = 0; r < MR; ++r) out[k * MR + r] = src[r];
    } else {
      for (int64_t k = 0; k < kc; ++k, src += lda)
        for (int r = 0; r < MR; ++r) out[k * MR + r] = r < rows ? src[r] : T(0);
    }
  } else {
    // op(A)[i][p] = a[i * lda + p]: MR rows read side by side, a few depth steps at a time.
    const T* src = a + i0 * lda + p0;
    if (rows < MR) std::fill(out, out + kc * MR, T(0));
    for (int r = 0; r < rows; ++r) {
      const T* s = src + r * lda;
      for (int64_t k = 0; k < kc; ++k) out[k * MR + r] = s[k];
    }
  }
}

// One NR-wide panel of op(B) (depth p0.., columns j0.. of which `cols` are real), k-major,
// columns past `cols` zeroed.
template <typename T>
void pack_b(const T* b, int64_t ldb, bool trans, int64_t p0, int64_t kc, int64_t j0, int cols, T* out) {
  constexpr int NR = Tile<T>::NR;
  constexpr int W = Tile<T>::W;
  using V = Vec<T>;
  if (!trans) {
    const T* src = b + p0 * ldb + j0;
    if (cols == NR) {
      for (int64_t k = 0; k < kc; ++k, src += ldb)
#pragma GCC unroll 8
        for (int v = 0; v < NR; v += W) V::load(src + v).store(out + k * NR + v);
    } else {
      for (int64_t k = 0; k < kc; ++k, src += ldb)
        for (int v = 0; v < NR; v += W) V::load_partial(src + v, std::clamp(cols - v, 0, W)).store(out + k * NR + v);
    }
  } else {
    // op(B)[p][j] = b[j * ldb + p]: NR rows of b read side by side, in depth chunks so the
    // written part of the panel stays in L1.
    const T* src = b + j0 * ldb + p0;
    if (cols < NR) std::fill(out, out + kc * NR, T(0));
    constexpr int64_t kChunk = 16;
    for (int64_t k0 = 0; k0 < kc; k0 += kChunk) {
      const int64_t k1 = std::min(kc, k0 + kChunk);
      for (int q = 0; q < cols; ++q) {
        const T* s = src + q * ldb;
        for (int64_t k = k0; k < k1; ++k) out[k * NR + q] = s[k];
      }
    }
  }
}

}  // namespace tensorforge::cpu::TF_ISA_NS::gemm_detail
