// Counter-based random fills (Philox4x32-10, cpu/random/philox.h). `offset` counts 32-bit words
// and is a whole number of blocks; element i of a fill with K values per block comes from block
// offset / 4 + i / K, lane i % K, so a fill equals the matching slice of any longer fill,
// whatever the thread count. Plain scalar code: every ISA build gives bit-identical output
// (multiply-adds are explicit std::fma so that no build contracts them differently).
#include <cmath>
#include <cstdint>
#include <limits>

#include "cpu/random/philox.h"
#include "cpu/register.h"
#include "cpu/simd/ctype.h"
#include "tensorforge/parallel.h"

namespace tensorforge::cpu::TF_ISA_NS {
namespace {

constexpr int64_t kGrain = 16384;

using philox::Block;

// Per-dtype value mapping: K values per Philox block, value(block, lane).
template <typename T>
struct UniformMap;
template <>
struct UniformMap<float> {
  static constexpr int K = 4;
  static double unit(const Block& b, int lane) { return philox::unit24(b.x[lane]); }
};
template <>
struct UniformMap<double> {
  static constexpr int K = 2;
  static double unit(const Block& b, int lane) { return philox::unit53(b, lane); }
};

// Box-Muller: a pair of uniforms gives a pair of normals. float uses one word per uniform
// (two pairs per block), double two words (one pair per block).
template <typename T>
struct NormalMap;
template <>
struct NormalMap<float> {
  static constexpr int K = 4;
  static double value(const Block& b, int lane) {
    const int pair = lane / 2;
    const double u1 = (static_cast<double>(b.x[2 * pair]) + 1.0) * 0x1p-32;  // (0, 1]
    const double u2 = static_cast<double>(b.x[2 * pair + 1]) * 0x1p-32;       // [0, 1)
    return box_muller(u1, u2, lane & 1);
  }
  static double box_muller(double u1, double u2, int second) {
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double theta = 6.283185307179586 * u2;
    return second ? radius * std::sin(theta) : radius * std::cos(theta);
  }
};
template <>
struct NormalMap<double> {
  static constexpr int K = 2;
  static double value(const Block& b, int lane) {
    const uint64_t w1 = (static_cast<uint64_t>(b.x[0]) << 32) | b.x[1];
    const uint64_t w2 = (static_cast<uint64_t>(b.x[2]) << 32) | b.x[3];
    const double u1 = static_cast<double>((w1 >> 11) + 1) * 0x1p-53;  // (0, 1]
    const double u2 = static_cast<double>(w2 >> 11) * 0x1p-53;        // [0, 1)
    return NormalMap<float>::box_muller(u1, u2, lane);
  }
};

// Calls emit(i, block, lane) for i in [0, n), one Philox evaluation per block, in parallel.
template <int K, typename Emit>
void for_each_value(int64_t n, uint64_t seed, uint64_t offset, const Emit& emit) {
  parallel_for(0, n, kGrain, [&](int64_t b, int64_t e) {
    int64_t i = b;
    while (i < e) {
      const uint64_t g = static_cast<uint64_t>(i);
      const Block blk = philox::block(offset / 4 + g / K, seed);
      for (int lane = static_cast<int>(g % K); lane < K && i < e; ++lane, ++i) emit(i, blk, lane);
    }
  });
}

template <typename T>
void uniform_kernel(char* out, int64_t n, uint64_t seed, uint64_t offset, double low, double high) {
  T* y = reinterpret_cast<T*>(out);
  const T hi = static_cast<T>(high);
  // Rounding can land a value on `high`; those become the largest value below it.
  const T below_hi = std::nextafter(hi, -std::numeric_limits<T>::infinity());
  const bool clamp = low < high;
  const double span = high - low;
  for_each_value<UniformMap<T>::K>(n, seed, offset, [&](int64_t i, const Block& b, int lane) {
    const T v = static_cast<T>(std::fma(span, UniformMap<T>::unit(b, lane), low));
    y[i] = (clamp && v >= hi) ? below_hi : v;
  });
}

template <typename T>
void normal_kernel(char* out, int64_t n, uint64_t seed, uint64_t offset, double mean, double stddev) {
  T* y = reinterpret_cast<T*>(out);
  for_each_value<NormalMap<T>::K>(n, seed, offset, [&](int64_t i, const Block& b, int lane) {
    y[i] = static_cast<T>(std::fma(stddev, NormalMap<T>::value(b, lane), mean));
  });
}

}  // namespace

void register_random(KernelTable& t) {
  for_each_type<float, double>([&](auto tag) {
    using T = decltype(tag);
    t.uniform[dtype_index<T>] = uniform_kernel<T>;
    t.normal[dtype_index<T>] = normal_kernel<T>;
  });
}

}  // namespace tensorforge::cpu::TF_ISA_NS
