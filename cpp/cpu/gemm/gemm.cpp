// GEMM: C = op(A) op(B) + beta C, row-major with leading dims. Floating point: packed panels,
// a register-tiled micro-kernel over Vec<T> (gemm_kernel.h), cache blocking, and a split of
// each block's rows (or columns) across threads. Integers: plain loops.
#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "cpu/gemm/gemm_kernel.h"
#include "cpu/register.h"
#include "cpu/simd/ctype.h"
#include "tensorforge/parallel.h"

namespace tensorforge::cpu::TF_ISA_NS {
namespace {

using gemm_detail::AlignedBuffer;
using gemm_detail::Blocks;
using gemm_detail::Tile;

template <typename T>
struct GemmArgs {
  bool ta, tb;
  int64_t m, n, k;
  const T* a;
  int64_t lda;
  const T* b;
  int64_t ldb;
  T* c;
  int64_t ldc;
  bool accumulate;
};

// Reference: i-p-j loops (the inner loop runs along rows of B and C). Used for the integer
// dtypes, and as the ground truth the fast path is tested against.
template <typename T>
void gemm_reference(const GemmArgs<T>& g) {
  for (int64_t i = 0; i < g.m; ++i) {
    T* crow = g.c + i * g.ldc;
    if (!g.accumulate) std::fill(crow, crow + g.n, T(0));
    for (int64_t p = 0; p < g.k; ++p) {
      const T av = g.ta ? g.a[p * g.lda + i] : g.a[i * g.lda + p];
      if (!g.tb) {
        const T* brow = g.b + p * g.ldb;
        for (int64_t j = 0; j < g.n; ++j) crow[j] += av * brow[j];
      } else {
        for (int64_t j = 0; j < g.n; ++j) crow[j] += av * g.b[j * g.ldb + p];
      }
    }
  }
}

// Splits [0, total) into equal steps of at most `block`, rounded up to a multiple of `unit`.
inline int64_t even_step(int64_t total, int64_t block, int64_t unit) {
  const int64_t parts = (total + block - 1) / block;
  const int64_t step = (total + parts - 1) / parts;
  return (step + unit - 1) / unit * unit;
}

// Small products: no packing of A (the micro-kernel reads it in place) and none of B unless it
// is transposed or the panel is a ragged edge; always on the calling thread.
template <typename T>
void gemm_direct(const GemmArgs<T>& g) {
  constexpr int MR = Tile<T>::MR;
  constexpr int NR = Tile<T>::NR;
  static thread_local AlignedBuffer<T> b_buf;
  const int64_t kc_step = even_step(g.k, Blocks<T>::KC, 1);
  T* bp = b_buf.get(static_cast<size_t>(kc_step * NR));
  const int64_t a_rs = g.ta ? 1 : g.lda, a_ks = g.ta ? g.lda : 1;
  for (int64_t pc = 0; pc < g.k; pc += kc_step) {
    const int64_t kc = std::min(kc_step, g.k - pc);
    const bool acc = g.accumulate || pc > 0;
    for (int64_t jr = 0; jr < g.n; jr += NR) {
      const int cols = static_cast<int>(std::min<int64_t>(NR, g.n - jr));
      const T* panel;
      int64_t b_ks;
      if (g.tb || cols < NR) {
        gemm_detail::pack_b(g.b, g.ldb, g.tb, pc, kc, jr, cols, bp);
        panel = bp;
        b_ks = NR;
      } else {
        panel = g.b + pc * g.ldb + jr;
        b_ks = g.ldb;
      }
      for (int64_t ir = 0; ir < g.m; ir += MR) {
        const int rows = static_cast<int>(std::min<int64_t>(MR, g.m - ir));
        gemm_detail::micro_kernel<T, true>(kc, g.a + ir * a_rs + pc * a_ks, a_rs, a_ks, panel, b_ks,
                                           g.c + ir * g.ldc + jr, g.ldc, rows, cols, acc);
      }
    }
  }
}

// Large products, BLIS-style: for each KC x NC block of op(B), the threads pack its NR-wide
// panels together, then each takes a share of the MR-row slivers of op(A) (or, when there are
// too few slivers to balance, of slivers x column chunks), packs them MC rows at a time and
// runs each sliver against every panel of the block.
template <typename T>
void gemm_packed(const GemmArgs<T>& g, bool threaded) {
  constexpr int MR = Tile<T>::MR;
  constexpr int NR = Tile<T>::NR;
  static thread_local AlignedBuffer<T> b_buf;
  const int64_t kc_step = even_step(g.k, Blocks<T>::KC, 1);
  const int64_t nc_step = even_step(g.n, Blocks<T>::NC, NR);
  T* bp = b_buf.get(static_cast<size_t>(kc_step * nc_step));
  const int threads = threaded ? get_num_threads() : 1;
  const int64_t slivers = (g.m + MR - 1) / MR;

  for (int64_t jc = 0; jc < g.n; jc += nc_step) {
    const int64_t nc = std::min(nc_step, g.n - jc);
    const int64_t panels = (nc + NR - 1) / NR;
    // Whole slivers per thread unless that leaves the threads unevenly loaded.
    const int64_t n_chunks =
        (slivers >= 8 * threads || slivers % threads == 0) ? 1 : std::min<int64_t>(panels, threads);
    const int64_t items = slivers * n_chunks;
    for (int64_t pc = 0; pc < g.k; pc += kc_step) {
      const int64_t kc = std::min(kc_step, g.k - pc);
      const bool acc = g.accumulate || pc > 0;
      parallel_for(0, panels, threaded ? 2 : panels, [&](int64_t p0, int64_t p1) {
        for (int64_t p = p0; p < p1; ++p) {
          const int cols = static_cast<int>(std::min<int64_t>(NR, nc - p * NR));
          gemm_detail::pack_b(g.b, g.ldb, g.tb, pc, kc, jc + p * NR, cols, bp + p * NR * kc);
        }
      });
      parallel_for(0, items, threaded ? 1 : items, [&](int64_t w0, int64_t w1) {
        static thread_local AlignedBuffer<T> a_buf;
        T* ap = a_buf.get(static_cast<size_t>(Blocks<T>::MC * kc_step));
        for (int64_t w = w0; w < w1;) {
          // Slivers [s0, s1) in one column chunk: up to MC rows packed together when the items
          // are whole slivers, one sliver per item otherwise.
          const int64_t chunk = w % n_chunks, s0 = w / n_chunks;
          const int64_t s1 = n_chunks == 1 ? std::min(w1, s0 + Blocks<T>::MC / MR) : s0 + 1;
          w = n_chunks == 1 ? s1 : w + 1;
          const int64_t i0 = s0 * MR, mrows = std::min(s1 * MR, g.m) - i0;
          gemm_detail::pack_a(g.a, g.lda, g.ta, i0, mrows, pc, kc, ap);
          const int64_t q0 = panels * chunk / n_chunks, q1 = panels * (chunk + 1) / n_chunks;
          for (int64_t s = s0; s < s1; ++s) {
            const int64_t ir = s * MR;
            const int rows = static_cast<int>(std::min<int64_t>(MR, g.m - ir));
            T* crow = g.c + ir * g.ldc + jc;
            for (int64_t q = q0; q < q1; ++q) {
              const int cols = static_cast<int>(std::min<int64_t>(NR, nc - q * NR));
              gemm_detail::micro_kernel<T, false>(kc, ap + (s - s0) * MR * kc, 0, 0, bp + q * NR * kc, NR,
                                                  crow + q * NR, g.ldc, rows, cols, acc);
            }
          }
        }
      });
    }
  }
}

// Few rows (op(A) packed whole fits in L2): A is packed once, shared, and the threads split the
// columns; each packs its own B panels one at a time and runs every sliver of A against each.
// B is then read from memory exactly once, by the thread that uses it.
template <typename T>
void gemm_wide(const GemmArgs<T>& g, bool threaded) {
  constexpr int MR = Tile<T>::MR;
  constexpr int NR = Tile<T>::NR;
  static thread_local AlignedBuffer<T> a_buf;
  const int64_t kc_step = even_step(g.k, Blocks<T>::KC_WIDE, 1);
  const int64_t slivers = (g.m + MR - 1) / MR, mp = slivers * MR;
  const int64_t panels = (g.n + NR - 1) / NR;
  T* ap = a_buf.get(static_cast<size_t>(mp * g.k));  // depth block pc starts at ap + pc * mp
  parallel_for(0, slivers, threaded ? 2 : slivers, [&](int64_t s0, int64_t s1) {
    const int64_t i0 = s0 * MR, mrows = std::min(s1 * MR, g.m) - i0;
    for (int64_t pc = 0; pc < g.k; pc += kc_step) {
      const int64_t kc = std::min(kc_step, g.k - pc);
      gemm_detail::pack_a(g.a, g.lda, g.ta, i0, mrows, pc, kc, ap + pc * mp + s0 * MR * kc);
    }
  });
  parallel_for(0, panels, threaded ? 1 : panels, [&](int64_t q0, int64_t q1) {
    static thread_local AlignedBuffer<T> b_buf;
    T* bp = b_buf.get(static_cast<size_t>(kc_step * NR));
    for (int64_t q = q0; q < q1; ++q) {
      const int cols = static_cast<int>(std::min<int64_t>(NR, g.n - q * NR));
      for (int64_t pc = 0; pc < g.k; pc += kc_step) {
        const int64_t kc = std::min(kc_step, g.k - pc);
        const bool acc = g.accumulate || pc > 0;
        gemm_detail::pack_b(g.b, g.ldb, g.tb, pc, kc, q * NR, cols, bp);
        for (int64_t s = 0; s < slivers; ++s) {
          const int rows = static_cast<int>(std::min<int64_t>(MR, g.m - s * MR));
          gemm_detail::micro_kernel<T, false>(kc, ap + pc * mp + s * MR * kc, 0, 0, bp, NR,
                                              g.c + s * MR * g.ldc + q * NR, g.ldc, rows, cols, acc);
        }
      }
    }
  });
}

template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const void* a, int64_t lda, const void* b,
          int64_t ldb, void* c, int64_t ldc, double beta) {
  const GemmArgs<T> g{trans_a, trans_b, m, n, k, static_cast<const T*>(a), lda, static_cast<const T*>(b), ldb,
                      static_cast<T*>(c), ldc, beta != 0.0};
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!g.accumulate)
      for (int64_t i = 0; i < m; ++i) std::fill(g.c + i * ldc, g.c + i * ldc + n, T(0));
    return;
  }
  if constexpr (std::is_floating_point_v<T>) {
    const int64_t work = m * n * k;
    // Below ~32^3 multiply-adds packing costs more than it saves.
    if (work <= 32 * 32 * 32) {
      gemm_direct(g);
      return;
    }
    // Threads only pay off for ~100 us of work or more.
    const bool threaded = work >= (int64_t{1} << 23) && !in_parallel_region() && get_num_threads() > 1;
    // op(A) packed whole within ~half of L2, and at least two B panels to share out.
    if (m * k * int64_t(sizeof(T)) <= (int64_t{1} << 19) && n >= 2 * Tile<T>::NR)
      gemm_wide(g, threaded);
    else
      gemm_packed(g, threaded);
  } else {
    gemm_reference(g);
  }
}

}  // namespace

void register_gemm(KernelTable& t) {
  for_each_type<int32_t, int64_t, float, double>([&](auto tag) {
    using T = decltype(tag);
    t.gemm[dtype_index<T>] = gemm<T>;
  });
}

}  // namespace tensorforge::cpu::TF_ISA_NS
