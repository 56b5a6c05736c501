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
//   scalar:           3 x 16 floats / 3 x 12 doubles; GCC vectorises each row's columns onto
//                     SSE2 registers (measured 4x / 1.6x faster than a 4 x 8 tile).
template <typename T>
struct Tile {
  static constexpr int W = Vec<T>::size;
  static constexpr bool kZmm = W * sizeof(T) == 64;
  static constexpr bool kYmm = W * sizeof(T) == 32;
  static constexpr int MR = kZmm ? 8 : (kYmm ? 6 : 3);
  static constexpr int NV = kZmm ? 3 : (kYmm ? 2 : (sizeof(T) == 4 ? 16 : 12));
  static constexpr int NR = NV * W;
};

// Cache blocks. The micro-kernel runs one packed MR x KC sliver of A (8 KB for float on
// AVX-512) against every NR-wide panel of a KC x NC block of B, which is sized to sit in the
// 2 MB L2 (about 1 MB, leaving room for C and the packed A). KC long enough that loading and
// storing the C tile is noise against the KC-deep FMA chain. A is packed MC rows at a time so
// a transposed A is read in runs of several cache lines per depth step (8 slivers: on a 512 KB-L2
// Zen 3, (256x4096)^T @ 256x64 ran 1.7 -> 1.3 ms against 4 slivers; no loss elsewhere).
template <typename T>
struct Blocks {
  static constexpr int64_t KC = sizeof(T) == 4 ? 256 : 192;
  static constexpr int64_t MC = Tile<T>::MR * 8;
  // Few-row products run each B panel against all of A from L2: a shallower panel (36 KB for
  // float) stays in L1 while the slivers of A stream past it.
  static constexpr int64_t KC_WIDE = 192;
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

// out[t * ld + r] = rows[r][t] for r < n, t < len: rows that run along the depth gathered into
// a depth-major panel (GEMM packing, and conv tap rows). With AVX2, 8x8 (float) or 4x4 (double)
// blocks are transposed in registers; the ragged rest is copied one value at a time.
#if defined(__AVX2__)
inline void transpose_rows(const float* const* rows, int64_t t, float* out, int64_t ld) {
  __m256 r[8], u[8], s[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(rows[i] + t);
  for (int i = 0; i < 8; i += 2) {
    u[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    u[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    s[i] = _mm256_shuffle_ps(u[i], u[i + 2], 0x44);
    s[i + 1] = _mm256_shuffle_ps(u[i], u[i + 2], 0xEE);
    s[i + 2] = _mm256_shuffle_ps(u[i + 1], u[i + 3], 0x44);
    s[i + 3] = _mm256_shuffle_ps(u[i + 1], u[i + 3], 0xEE);
  }
  for (int i = 0; i < 4; ++i) {
    _mm256_storeu_ps(out + i * ld, _mm256_permute2f128_ps(s[i], s[i + 4], 0x20));
    _mm256_storeu_ps(out + (i + 4) * ld, _mm256_permute2f128_ps(s[i], s[i + 4], 0x31));
  }
}
inline void transpose_rows(const double* const* rows, int64_t t, double* out, int64_t ld) {
  __m256d r[4];
  for (int i = 0; i < 4; ++i) r[i] = _mm256_loadu_pd(rows[i] + t);
  const __m256d u0 = _mm256_unpacklo_pd(r[0], r[1]), u1 = _mm256_unpackhi_pd(r[0], r[1]);
  const __m256d u2 = _mm256_unpacklo_pd(r[2], r[3]), u3 = _mm256_unpackhi_pd(r[2], r[3]);
  _mm256_storeu_pd(out, _mm256_permute2f128_pd(u0, u2, 0x20));
  _mm256_storeu_pd(out + ld, _mm256_permute2f128_pd(u1, u3, 0x20));
  _mm256_storeu_pd(out + 2 * ld, _mm256_permute2f128_pd(u0, u2, 0x31));
  _mm256_storeu_pd(out + 3 * ld, _mm256_permute2f128_pd(u1, u3, 0x31));
}
template <typename T>
inline constexpr int kTransposeBlock = 32 / sizeof(T);
#else
template <typename T>
inline constexpr int kTransposeBlock = 0;
#endif

template <typename T>
void gather_rows(const T* const* rows, int n, int64_t len, T* out, int64_t ld) {
  int r0 = 0;
  if constexpr (kTransposeBlock<T> > 0) {
    constexpr int B = kTransposeBlock<T>;
    for (; r0 + B <= n; r0 += B) {
      int64_t t = 0;
      for (; t + B <= len; t += B) transpose_rows(rows + r0, t, out + t * ld + r0, ld);
      for (; t < len; ++t)
        for (int r = r0; r < r0 + B; ++r) out[t * ld + r] = rows[r][t];
    }
  }
  for (int64_t t = 0; t < len; ++t)
    for (int r = r0; r < n; ++r) out[t * ld + r] = rows[r][t];
}

// The same for rows ld_src apart: out[k * ld_out + r] = src[r * ld_src + k], rows <= 64.
template <typename T>
void transpose_pack(const T* src, int64_t ld_src, int rows, int64_t kc, T* out, int64_t ld_out) {
  const T* ptrs[64];
  for (int r = 0; r < rows; ++r) ptrs[r] = src + r * ld_src;
  gather_rows(ptrs, rows, kc, out, ld_out);
}

// Rows [i0, i0 + mrows) x depth [p0, p0 + kc) of op(A) as consecutive MR x kc slivers, each
// k-major (sliver s at out + s * MR * kc); rows past mrows in the last sliver are zeroed.
template <typename T>
void pack_a(const T* a, int64_t lda, bool trans, int64_t i0, int64_t mrows, int64_t p0, int64_t kc, T* out) {
  constexpr int MR = Tile<T>::MR;
  const int64_t full = mrows / MR;
  const int tail = static_cast<int>(mrows - full * MR);
  T* tail_out = out + full * MR * kc;
  if (tail) std::fill(tail_out, tail_out + kc * MR, T(0));
  if (trans) {
    // op(A)[i][p] = a[p * lda + i]: each depth step is one contiguous run across all slivers.
    // The rows of A are far apart (often a multiple of 4 KB, so they alias in the caches and
    // the hardware prefetcher does not follow): fetch a few depth steps ahead.
    constexpr int64_t kAhead = 8;
    const T* src = a + p0 * lda + i0;
    const int64_t run_bytes = mrows * int64_t(sizeof(T));
    for (int64_t k = 0; k < kc; ++k, src += lda) {
      if (k + kAhead < kc)
        for (int64_t b = 0; b < run_bytes; b += 64) __builtin_prefetch(reinterpret_cast<const char*>(src + kAhead * lda) + b);
      for (int64_t s = 0; s < full; ++s)
#pragma GCC unroll 16
        for (int r = 0; r < MR; ++r) out[(s * kc + k) * MR + r] = src[s * MR + r];
      for (int r = 0; r < tail; ++r) tail_out[k * MR + r] = src[full * MR + r];
    }
  } else {
    // op(A)[i][p] = a[i * lda + p]: a transpose of each sliver's rows.
    for (int64_t s = 0; s < full; ++s) transpose_pack(a + (i0 + s * MR) * lda + p0, lda, MR, kc, out + s * MR * kc, MR);
    if (tail) transpose_pack(a + (i0 + full * MR) * lda + p0, lda, tail, kc, tail_out, MR);
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
      // Rows of B are far apart: fetch a few rows ahead, the hardware prefetcher will not.
      constexpr int64_t kAhead = 8;
      for (int64_t k = 0; k < kc; ++k, src += ldb) {
        if (k + kAhead < kc)
#pragma GCC unroll 8
          for (int v = 0; v < NR * int(sizeof(T)); v += 64) __builtin_prefetch(reinterpret_cast<const char*>(src + kAhead * ldb) + v);
#pragma GCC unroll 8
        for (int v = 0; v < NR; v += W) V::load(src + v).store(out + k * NR + v);
      }
    } else {
      for (int64_t k = 0; k < kc; ++k, src += ldb)
        for (int v = 0; v < NR; v += W) V::load_partial(src + v, std::clamp(cols - v, 0, W)).store(out + k * NR + v);
    }
  } else {
    // op(B)[p][j] = b[j * ldb + p]: a transpose of cols x kc.
    if (cols < NR) std::fill(out, out + kc * NR, T(0));
    transpose_pack(b + j0 * ldb + p0, ldb, cols, kc, out, NR);
  }
}

}  // namespace tensorforge::cpu::TF_ISA_NS::gemm_detail
