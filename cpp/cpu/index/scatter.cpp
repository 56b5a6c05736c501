// Scatter along one dim (assign / sum / prod / amax / amin), and histograms.
//
// A scatter visits the index tensor line by line: a line fixes every coordinate but `dim`, and
// all its updates land on one line of the output, so different lines run in parallel and each
// line applies its updates in index order (deterministic, whatever the thread count). A single
// line (a 1-D scatter) runs serially: splitting it by target range measured slower on two cores
// (bucketing passes, or every task scanning every update, cost more than the updates they split);
// what does pay is copying an out-of-place scatter's output on the same thread (base).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "cpu/register.h"
#include "cpu/simd/ctype.h"
#include "tensorforge/parallel.h"

namespace tensorforge::cpu::TF_ISA_NS {
namespace {

constexpr int64_t kGrain = 32768;        // updates per parallel task, at least

using kernels::ScatterGeom;
using kernels::ScatterOp;

template <typename T, ScatterOp Op>
inline void update(T& dst, T v) {
  if constexpr (Op == ScatterOp::Assign) {
    dst = v;
  } else if constexpr (Op == ScatterOp::Sum) {
    if constexpr (std::is_same_v<T, bool>) dst = dst || v;
    else dst = static_cast<T>(dst + v);
  } else if constexpr (Op == ScatterOp::Prod) {
    if constexpr (std::is_same_v<T, bool>) dst = dst && v;
    else dst = static_cast<T>(dst * v);
  } else {
    constexpr bool kMax = Op == ScatterOp::Amax;
    if constexpr (std::is_floating_point_v<T>) {
      if (v != v || dst != dst) {
        dst = dst != dst ? dst : v;  // NaN wins
        return;
      }
    }
    if (kMax ? v > dst : v < dst) dst = v;
  }
}

// The lines of the index tensor: all dims but g.dim, walked in row-major order.
struct Lines {
  int nd = 0;
  int64_t shape[64], out_st[64], src_st[64], idx_st[64];
  int64_t count = 1;
};

Lines lines_of(const ScatterGeom& g) {
  Lines l;
  int64_t idx_stride = 1;
  int64_t idx_strides[64];
  for (int d = g.ndim - 1; d >= 0; --d) {
    idx_strides[d] = idx_stride;
    idx_stride *= g.shape[d];
  }
  for (int d = 0; d < g.ndim; ++d) {
    if (d == g.dim) continue;
    l.shape[l.nd] = g.shape[d];
    l.out_st[l.nd] = g.out_strides[d];
    l.src_st[l.nd] = g.src_strides[d];
    l.idx_st[l.nd] = idx_strides[d];
    l.count *= g.shape[d];
    ++l.nd;
  }
  return l;
}

template <typename T, ScatterOp Op>
void scatter_lines(T* out, const int64_t* index, const T* src, const ScatterGeom& g) {
  const Lines l = lines_of(g);
  const int64_t len = g.shape[g.dim];
  int64_t idx_along = 1;
  for (int d = g.dim + 1; d < g.ndim; ++d) idx_along *= g.shape[d];
  const int64_t out_along = g.out_strides[g.dim], src_along = g.src_strides[g.dim];
  parallel_for(0, l.count, std::max<int64_t>(1, kGrain / std::max<int64_t>(len, 1)), [&](int64_t l0, int64_t l1) {
    int64_t coord[64];
    int64_t o = 0, s = 0, ix = 0, rem = l0;
    for (int d = l.nd - 1; d >= 0; --d) {
      coord[d] = rem % l.shape[d];
      rem /= l.shape[d];
      o += coord[d] * l.out_st[d];
      s += coord[d] * l.src_st[d];
      ix += coord[d] * l.idx_st[d];
    }
    for (int64_t line = l0; line < l1; ++line) {
      for (int64_t i = 0; i < len; ++i)
        update<T, Op>(out[o + index[ix + i * idx_along] * out_along], src[s + i * src_along]);
      for (int d = l.nd - 1; d >= 0; --d) {
        o += l.out_st[d];
        s += l.src_st[d];
        ix += l.idx_st[d];
        if (++coord[d] < l.shape[d]) break;
        o -= l.out_st[d] * l.shape[d];
        s -= l.src_st[d] * l.shape[d];
        ix -= l.idx_st[d] * l.shape[d];
        coord[d] = 0;
      }
    }
  });
}

template <typename T, ScatterOp Op>
void scatter_typed(char* out_raw, const int64_t* index, const char* src_raw, const ScatterGeom& g) {
  T* out = reinterpret_cast<T*>(out_raw);
  const T* src = reinterpret_cast<const T*>(src_raw);
  int64_t lines = 1;
  for (int d = 0; d < g.ndim; ++d)
    if (d != g.dim) lines *= g.shape[d];
  if (g.base) {
    // A single line scatters on this thread: copy here too, so the output is in this core's cache.
    const T* base = reinterpret_cast<const T*>(g.base);
    const int64_t grain = lines == 1 ? g.base_numel : kGrain;
    parallel_for(0, g.base_numel, grain, [&](int64_t b, int64_t e) { std::memcpy(out + b, base + b, sizeof(T) * (e - b)); });
  }
  if (g.ndim == 0) {
    update<T, Op>(out[0], src[0]);
    return;
  }
  scatter_lines<T, Op>(out, index, src, g);
}

template <typename T>
void scatter_kernel(char* out, const int64_t* index, const char* src, const ScatterGeom& g, ScatterOp op) {
  switch (op) {
    case ScatterOp::Assign: return scatter_typed<T, ScatterOp::Assign>(out, index, src, g);
    case ScatterOp::Sum: return scatter_typed<T, ScatterOp::Sum>(out, index, src, g);
    case ScatterOp::Prod: return scatter_typed<T, ScatterOp::Prod>(out, index, src, g);
    case ScatterOp::Amax: return scatter_typed<T, ScatterOp::Amax>(out, index, src, g);
    case ScatterOp::Amin: return scatter_typed<T, ScatterOp::Amin>(out, index, src, g);
  }
}

// Counts of n contiguous values in `bins` equal bins over [lo, hi] (hi falls in the last bin);
// values outside and NaN are skipped. out (bins elements, T) is overwritten.
template <typename T>
void histc_kernel(const char* in, int64_t n, char* out_raw, int64_t bins, double lo, double hi) {
  const T* x = reinterpret_cast<const T*>(in);
  T* out = reinterpret_cast<T*>(out_raw);
  std::fill(out, out + bins, T(0));
  const double scale = static_cast<double>(bins) / (hi - lo);
  for (int64_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(x[i]);
    if (!(v >= lo && v <= hi)) continue;
    const int64_t b = std::min<int64_t>(static_cast<int64_t>((v - lo) * scale), bins - 1);
    out[b] += T(1);
  }
}

}  // namespace

void register_scatter(KernelTable& t) {
  for_each_type<bool, int32_t, int64_t, float, double>([&](auto tag) {
    using T = decltype(tag);
    t.scatter[dtype_index<T>] = scatter_kernel<T>;
  });
  for_each_type<float, double>([&](auto tag) {
    using T = decltype(tag);
    t.histc[dtype_index<T>] = histc_kernel<T>;
  });
}

}  // namespace tensorforge::cpu::TF_ISA_NS
