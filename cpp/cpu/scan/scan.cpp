// Scans along the middle axis of a contiguous [outer, n, inner] tensor: cumsum, cumprod,
// logcumsumexp (optionally from the end), cummax / cummin with indices, and cumprod's gradient.
//
// Accumulators are double for float (as PyTorch's CPU scans), int64 for bool / int32 / int64.
// Rows (inner == 1) are scanned four at a time, so four independent dependency chains overlap;
// columns (inner > 1) advance a block of accumulators one row at a time, which vectorises.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "cpu/register.h"
#include "cpu/simd/ctype.h"
#include "tensorforge/parallel.h"

namespace tensorforge::cpu::TF_ISA_NS {
namespace {

constexpr int64_t kGrain = 32768;   // elements per parallel task, at least
constexpr int64_t kColBlock = 256;  // columns advanced together in the column path

template <typename T>
using Acc = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
template <typename T>
using ScanOut = std::conditional_t<std::is_floating_point_v<T>, T, int64_t>;

template <typename T> struct SumOp {
  using A = Acc<T>;
  static A init() { return A(0); }
  static A step(A a, T x) { return a + static_cast<A>(x); }
};
template <typename T> struct ProdOp {
  using A = Acc<T>;
  static A init() { return A(1); }
  static A step(A a, T x) { return a * static_cast<A>(x); }
};
// log(exp(a) + exp(x)); NaN propagates, equal infinities stay put.
template <typename T> struct LogAddExpOp {
  using A = double;
  static A init() { return -std::numeric_limits<double>::infinity(); }
  static A step(A a, T xt) {
    const double x = static_cast<double>(xt);
    const double lo = std::isnan(x) ? x : std::min(a, x);
    const double hi = std::isnan(x) ? x : std::max(a, x);
    if (lo != hi || std::isfinite(lo)) return std::log1p(std::exp(lo - hi)) + hi;
    return a;
  }
};

// One row (stride 1) from its start or its end.
template <typename Op, typename T, typename O>
void scan_row(const T* x, O* o, int64_t n, bool reverse) {
  typename Op::A a = Op::init();
  if (reverse) {
    for (int64_t i = n - 1; i >= 0; --i) o[i] = static_cast<O>(a = Op::step(a, x[i]));
  } else {
    for (int64_t i = 0; i < n; ++i) o[i] = static_cast<O>(a = Op::step(a, x[i]));
  }
}

// Four rows n apart, interleaved.
template <typename Op, typename T, typename O>
void scan_rows4(const T* x, O* o, int64_t n, bool reverse) {
  using A = typename Op::A;
  A a0 = Op::init(), a1 = a0, a2 = a0, a3 = a0;
  const T *x0 = x, *x1 = x + n, *x2 = x + 2 * n, *x3 = x + 3 * n;
  O *o0 = o, *o1 = o + n, *o2 = o + 2 * n, *o3 = o + 3 * n;
  for (int64_t t = 0; t < n; ++t) {
    const int64_t i = reverse ? n - 1 - t : t;
    a0 = Op::step(a0, x0[i]);
    a1 = Op::step(a1, x1[i]);
    a2 = Op::step(a2, x2[i]);
    a3 = Op::step(a3, x3[i]);
    o0[i] = static_cast<O>(a0);
    o1[i] = static_cast<O>(a1);
    o2[i] = static_cast<O>(a2);
    o3[i] = static_cast<O>(a3);
  }
}

template <typename Op, typename T>
void scan_kernel(const char* in, char* out, int64_t outer, int64_t n, int64_t inner, bool reverse) {
  using O = ScanOut<T>;
  using A = typename Op::A;
  const T* x = reinterpret_cast<const T*>(in);
  O* o = reinterpret_cast<O*>(out);
  if (inner == 1) {
    const int64_t groups = (outer + 3) / 4;
    parallel_for(0, groups, std::max<int64_t>(1, kGrain / std::max<int64_t>(4 * n, 1)), [&](int64_t g0, int64_t g1) {
      for (int64_t g = g0; g < g1; ++g) {
        const int64_t r = 4 * g;
        if (r + 4 <= outer) {
          scan_rows4<Op>(x + r * n, o + r * n, n, reverse);
        } else {
          for (int64_t q = r; q < outer; ++q) scan_row<Op>(x + q * n, o + q * n, n, reverse);
        }
      }
    });
    return;
  }
  const int64_t blocks = (inner + kColBlock - 1) / kColBlock;
  const int64_t tasks = outer * blocks;
  parallel_for(0, tasks, std::max<int64_t>(1, kGrain / std::max<int64_t>(n * std::min(inner, kColBlock), 1)),
               [&](int64_t t0, int64_t t1) {
    A acc[kColBlock];
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t ob = t / blocks, c0 = (t % blocks) * kColBlock, w = std::min(kColBlock, inner - c0);
      const T* xb = x + ob * n * inner + c0;
      O* obase = o + ob * n * inner + c0;
      for (int64_t j = 0; j < w; ++j) acc[j] = Op::init();
      for (int64_t s = 0; s < n; ++s) {
        const int64_t i = reverse ? n - 1 - s : s;
        const T* xr = xb + i * inner;
        O* orow = obase + i * inner;
        for (int64_t j = 0; j < w; ++j) {
          acc[j] = Op::step(acc[j], xr[j]);
          orow[j] = static_cast<O>(acc[j]);
        }
      }
    }
  });
}

// ---- cummax / cummin ----------------------------------------------------------------------------
// The running extreme and the index of the element that set it: the latest among equals, and a
// NaN, once seen, stays (the latest NaN's index), as PyTorch.
template <typename T, bool IsMax>
inline bool takes_over(T x, T a) {
  if constexpr (std::is_floating_point_v<T>) {
    if (x != x) return true;
    if (a != a) return false;
  }
  return IsMax ? x >= a : x <= a;
}

template <typename T, bool IsMax>
void cum_extreme_kernel(const char* in, char* values, int64_t* indices, int64_t outer, int64_t n, int64_t inner) {
  const T* x = reinterpret_cast<const T*>(in);
  T* v = reinterpret_cast<T*>(values);
  const int64_t lines = outer * inner;
  parallel_for(0, lines, std::max<int64_t>(1, kGrain / std::max<int64_t>(n, 1)), [&](int64_t l0, int64_t l1) {
    for (int64_t l = l0; l < l1; ++l) {
      const int64_t base = (l / inner) * n * inner + l % inner;
      T a = x[base];
      int64_t idx = 0;
      for (int64_t i = 0; i < n; ++i) {
        const int64_t p = base + i * inner;
        if (takes_over<T, IsMax>(x[p], a)) {
          a = x[p];
          idx = i;
        }
        v[p] = a;
        indices[p] = idx;
      }
    }
  });
}

// ---- cumprod backward ---------------------------------------------------------------------------
// grad_k = sum_{i >= k} g_i prod_{j <= i, j != k} x_j per line. With z the first zero of the line:
// k < z gives (sum_{k <= i < z} g_i out_i) / x_k; k == z sums g_i out_{z-1} prod_{z < j <= i} x_j
// over i >= z; k > z gives 0.
template <typename T>
void cumprod_backward_kernel(const char* grad, const char* in, const char* out, char* grad_in, int64_t outer,
                             int64_t n, int64_t inner) {
  const T* g = reinterpret_cast<const T*>(grad);
  const T* x = reinterpret_cast<const T*>(in);
  const T* y = reinterpret_cast<const T*>(out);
  T* gi = reinterpret_cast<T*>(grad_in);
  const int64_t lines = outer * inner;
  parallel_for(0, lines, std::max<int64_t>(1, kGrain / std::max<int64_t>(n, 1)), [&](int64_t l0, int64_t l1) {
    for (int64_t l = l0; l < l1; ++l) {
      const int64_t base = (l / inner) * n * inner + l % inner;
      auto at = [&](int64_t i) { return base + i * inner; };
      int64_t z = n;
      for (int64_t i = 0; i < n; ++i)
        if (x[at(i)] == T(0)) {
          z = i;
          break;
        }
      double tail = 0.0;
      for (int64_t k = z - 1; k >= 0; --k) {
        tail += static_cast<double>(g[at(k)]) * static_cast<double>(y[at(k)]);
        gi[at(k)] = static_cast<T>(tail / static_cast<double>(x[at(k)]));
      }
      if (z < n) {
        double q = z > 0 ? static_cast<double>(y[at(z - 1)]) : 1.0, sum = 0.0;
        for (int64_t i = z; i < n; ++i) {
          if (i > z) q *= static_cast<double>(x[at(i)]);
          sum += static_cast<double>(g[at(i)]) * q;
        }
        gi[at(z)] = static_cast<T>(sum);
        for (int64_t k = z + 1; k < n; ++k) gi[at(k)] = T(0);
      }
    }
  });
}

}  // namespace

void register_scan(KernelTable& t) {
  for_each_type<bool, int32_t, int64_t, float, double>([&](auto tag) {
    using T = decltype(tag);
    constexpr int d = dtype_index<T>;
    t.cumsum[d] = scan_kernel<SumOp<T>, T>;
    t.cumprod[d] = scan_kernel<ProdOp<T>, T>;
    t.cummax[d] = cum_extreme_kernel<T, true>;
    t.cummin[d] = cum_extreme_kernel<T, false>;
  });
  for_each_type<float, double>([&](auto tag) {
    using T = decltype(tag);
    constexpr int d = dtype_index<T>;
    t.logcumsumexp[d] = scan_kernel<LogAddExpOp<T>, T>;
    t.cumprod_backward[d] = cumprod_backward_kernel<T>;
  });
}

}  // namespace tensorforge::cpu::TF_ISA_NS
