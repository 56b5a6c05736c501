// Sampling kernels on the Philox streams of cpu/random/philox.h: categorical (multinomial),
// Bernoulli, exponential, geometric, uniform integers and Poisson. Element (or row) i reads
// its own blocks of the stream, so results do not depend on how the work is split.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "cpu/random/philox.h"
#include "cpu/register.h"
#include "cpu/simd/ctype.h"
#include "tensorforge/parallel.h"

namespace tensorforge::cpu::TF_ISA_NS {
namespace {

constexpr int64_t kGrain = 16384;

using philox::Block;

// The double uniform of element i in a stream of two words per element (two per block).
inline double uniform_at(uint64_t seed, uint64_t block0, int64_t i) {
  const Block b = philox::block(block0 + static_cast<uint64_t>(i) / 2, seed);
  return philox::unit53(b, static_cast<int>(i & 1));
}
inline double open_uniform_at(uint64_t seed, uint64_t block0, int64_t i) {
  const Block b = philox::block(block0 + static_cast<uint64_t>(i) / 2, seed);
  return philox::open_unit53(b, static_cast<int>(i & 1));
}

// Calls fn(i, u) for i < n with u the element's double uniform, one Philox block per pair.
template <bool Open, typename F>
void for_each_uniform(int64_t n, uint64_t seed, uint64_t offset, const F& fn) {
  parallel_for(0, (n + 1) / 2, kGrain / 2, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const Block b = philox::block(offset / 4 + static_cast<uint64_t>(p), seed);
      for (int h = 0; h < 2 && 2 * p + h < n; ++h)
        fn(2 * p + h, Open ? philox::open_unit53(b, h) : philox::unit53(b, h));
    }
  });
}

// ---- multinomial ---------------------------------------------------------------------------------
// Row r of contiguous [rows, n] non-negative weights (each row with a positive sum) draws k
// categories. With replacement (or k == 1): the first category whose running sum exceeds
// u * total, so zero weights are never drawn. Without: the exponential race, the k largest
// w / E with E ~ Exp(1), which is sequential sampling without replacement; ties (zero weights
// left) go to the lower index. Row r uses blocks from offset / 4 + r * blocks_per_row.
template <typename T>
void multinomial_kernel(const char* weights, int64_t* out, int64_t rows, int64_t n, int64_t k, bool replacement,
                        uint64_t seed, uint64_t offset) {
  const T* w = reinterpret_cast<const T*>(weights);
  const bool race = !replacement && k > 1;
  const int64_t words = 2 * (race ? n : k);
  const uint64_t per_row = static_cast<uint64_t>((words + 3) / 4);
  parallel_for(0, rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(n, 1)), [&](int64_t r0, int64_t r1) {
    std::vector<double> cum;
    std::vector<std::pair<double, int64_t>> keys;
    for (int64_t r = r0; r < r1; ++r) {
      const T* row = w + r * n;
      int64_t* o = out + r * k;
      const uint64_t block0 = offset / 4 + static_cast<uint64_t>(r) * per_row;
      if (race) {
        keys.resize(n);
        for (int64_t i = 0; i < n; ++i) {
          const double e = -std::log(open_uniform_at(seed, block0, i));
          keys[i] = {static_cast<double>(row[i]) / e, i};
        }
        auto better = [](const std::pair<double, int64_t>& a, const std::pair<double, int64_t>& b) {
          return a.first > b.first || (a.first == b.first && a.second < b.second);
        };
        std::partial_sort(keys.begin(), keys.begin() + k, keys.end(), better);
        for (int64_t j = 0; j < k; ++j) o[j] = keys[j].second;
        continue;
      }
      int64_t last_positive = 0;
      double total = 0.0;
      for (int64_t i = 0; i < n; ++i) {
        total += static_cast<double>(row[i]);
        if (row[i] > T(0)) last_positive = i;
      }
      if (k == 1) {
        const double target = uniform_at(seed, block0, 0) * total;
        double run = 0.0;
        int64_t pick = last_positive;
        for (int64_t i = 0; i < n; ++i) {
          run += static_cast<double>(row[i]);
          if (run > target) {
            pick = i;
            break;
          }
        }
        o[0] = pick;
        continue;
      }
      cum.resize(n);
      double run = 0.0;
      for (int64_t i = 0; i < n; ++i) cum[i] = run += static_cast<double>(row[i]);
      for (int64_t j = 0; j < k; ++j) {
        const double target = uniform_at(seed, block0, j) * total;
        const int64_t pick = std::upper_bound(cum.begin(), cum.end(), target) - cum.begin();
        o[j] = std::min(pick, last_positive);
      }
    }
  });
}

// ---- elementwise distributions -------------------------------------------------------------------
// out[i] = 1 with probability p (probs[i] when probs is not null), else 0; two words per element.
template <typename T>
void bernoulli_kernel(char* out, const double* probs, double p, int64_t n, uint64_t seed, uint64_t offset) {
  T* y = reinterpret_cast<T*>(out);
  for_each_uniform<false>(n, seed, offset, [&](int64_t i, double u) { y[i] = static_cast<T>(u < (probs ? probs[i] : p)); });
}

// Exponential(lambda): -log(1 - u) / lambda, u in [0, 1) (never infinite).
template <typename T>
void exponential_kernel(char* out, int64_t n, double lambda, uint64_t seed, uint64_t offset) {
  T* y = reinterpret_cast<T*>(out);
  for_each_uniform<false>(n, seed, offset, [&](int64_t i, double u) {
    y[i] = static_cast<T>(-std::log1p(-u) / lambda);
  });
}

// Geometric(p) on {1, 2, ...}: ceil(log(u) / log(1 - p)), u in (0, 1].
template <typename T>
void geometric_kernel(char* out, int64_t n, double p, uint64_t seed, uint64_t offset) {
  T* y = reinterpret_cast<T*>(out);
  const double denom = std::log1p(-p);
  for_each_uniform<true>(n, seed, offset, [&](int64_t i, double u) {
    const double k = p >= 1.0 ? 1.0 : std::max(1.0, std::ceil(std::log(u) / denom));
    y[i] = static_cast<T>(k);
  });
}

// Integers uniform on [low, low + span): one 32-bit word modulo span when span <= 2^32, else a
// 64-bit draw (two words) modulo span, as PyTorch's random_. Two words per element either way.
template <typename T>
void random_int_kernel(char* out, int64_t n, int64_t low, uint64_t span, uint64_t seed, uint64_t offset) {
  T* y = reinterpret_cast<T*>(out);
  const bool wide = span > (uint64_t{1} << 32);
  parallel_for(0, (n + 1) / 2, kGrain / 2, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const Block b = philox::block(offset / 4 + static_cast<uint64_t>(p), seed);
      for (int h = 0; h < 2 && 2 * p + h < n; ++h) {
        const uint64_t bits = wide ? (static_cast<uint64_t>(b.x[2 * h]) << 32) | b.x[2 * h + 1] : b.x[2 * h];
        y[2 * p + h] = static_cast<T>(static_cast<int64_t>(static_cast<uint64_t>(low) + bits % span));
      }
    }
  });
}

// Poisson(rate): multiplication of uniforms for small rates, Hormann's transformed rejection
// (PTRS) from 10 on. Element i draws from blocks (offset / 4 + i, sub) for sub = 0, 1, ...
struct ElementStream {
  uint64_t seed, counter, sub = 0;
  Block b{};
  int used = 4;
  double next() {
    if (used >= 4) {
      b = philox::block(counter, seed, sub++);
      used = 0;
    }
    const int p = used / 2;
    used += 2;
    return philox::unit53(b, p);
  }
};

inline double poisson_sample(double lam, ElementStream& s) {
  if (!(lam > 0.0)) return 0.0;
  if (lam < 10.0) {
    const double limit = std::exp(-lam);
    double prod = 1.0;
    int64_t k = -1;
    do {
      prod *= s.next();
      ++k;
    } while (prod > limit);
    return static_cast<double>(k);
  }
  const double slam = std::sqrt(lam), loglam = std::log(lam);
  const double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
  const double invalpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2.0);
  for (;;) {
    const double u = s.next() - 0.5, v = s.next();
    const double us = 0.5 - std::fabs(u);
    const double k = std::floor((2.0 * a / us + b) * u + lam + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0.0 || (us < 0.013 && v > us)) continue;
    if (std::log(v) + std::log(invalpha) - std::log(a / (us * us) + b) <= -lam + k * loglam - std::lgamma(k + 1.0))
      return k;
  }
}

template <typename T>
void poisson_kernel(const char* rates, char* out, int64_t n, uint64_t seed, uint64_t offset) {
  const T* r = reinterpret_cast<const T*>(rates);
  T* y = reinterpret_cast<T*>(out);
  parallel_for(0, n, kGrain / 16, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      ElementStream s{seed, offset / 4 + static_cast<uint64_t>(i)};
      y[i] = static_cast<T>(poisson_sample(static_cast<double>(r[i]), s));
    }
  });
}

}  // namespace

void register_sampling(KernelTable& t) {
  for_each_type<float, double>([&](auto tag) {
    using T = decltype(tag);
    constexpr int d = dtype_index<T>;
    t.multinomial[d] = multinomial_kernel<T>;
    t.exponential[d] = exponential_kernel<T>;
    t.poisson[d] = poisson_kernel<T>;
  });
  for_each_type<bool, int32_t, int64_t, float, double>([&](auto tag) {
    using T = decltype(tag);
    constexpr int d = dtype_index<T>;
    t.bernoulli[d] = bernoulli_kernel<T>;
  });
  for_each_type<int32_t, int64_t, float, double>([&](auto tag) {
    using T = decltype(tag);
    constexpr int d = dtype_index<T>;
    t.geometric[d] = geometric_kernel<T>;
    t.random_int[d] = random_int_kernel<T>;
  });
}

}  // namespace tensorforge::cpu::TF_ISA_NS
