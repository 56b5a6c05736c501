// Counter-based random numbers (Philox4x32-10): element i of a fill draws from counter
// (offset + i) / 4, so results are the same for any thread count and ISA. Plain scalar code on
// purpose: every ISA build produces bit-identical numbers.
#include <cmath>
#include <cstdint>

#include "cpu/register.h"
#include "cpu/simd/ctype.h"
#include "tensorforge/parallel.h"

namespace tensorforge::cpu::TF_ISA_NS {
namespace {

struct Block {
  uint32_t v[4];
};

inline uint32_t mulhilo(uint32_t a, uint32_t b, uint32_t* hi) {
  const uint64_t p = static_cast<uint64_t>(a) * b;
  *hi = static_cast<uint32_t>(p >> 32);
  return static_cast<uint32_t>(p);
}

// Philox4x32 with 10 rounds: 4 random words per (counter, key).
Block philox(uint64_t counter, uint64_t seed) {
  uint32_t c0 = static_cast<uint32_t>(counter), c1 = static_cast<uint32_t>(counter >> 32), c2 = 0, c3 = 0;
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int r = 0; r < 10; ++r) {
    uint32_t hi0, hi1;
    const uint32_t lo0 = mulhilo(0xD2511F53u, c0, &hi0);
    const uint32_t lo1 = mulhilo(0xCD9E8D57u, c2, &hi1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return {{c0, c1, c2, c3}};
}

// Uniform in [0, 1) from the top bits of one or two words.
inline float unit_float(uint32_t w) { return static_cast<float>(w >> 8) * (1.0f / 16777216.0f); }
inline double unit_double(uint32_t a, uint32_t b) {
  return static_cast<double>((static_cast<uint64_t>(a) << 21) | (b >> 11)) *
         (1.0 / 9007199254740992.0);
}

// Calls fn(i, block) for each group of 4 elements starting at element index i (counter = (offset+i)/4).
template <typename F>
void for_blocks(int64_t n, uint64_t seed, uint64_t offset, const F& fn) {
  const int64_t blocks = (n + 3) / 4;
  parallel_for(0, blocks, 4096, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) fn(b * 4, philox(offset / 4 + static_cast<uint64_t>(b), seed));
  });
}

template <typename T>
void uniform(char* out_, int64_t n, uint64_t seed, uint64_t offset, double low, double high) {
  T* out = reinterpret_cast<T*>(out_);
  const double span = high - low;
  for_blocks(n, seed, offset, [&](int64_t i, const Block& r) {
    for (int k = 0; k < 4 && i + k < n; ++k) {
      double u;
      if constexpr (sizeof(T) == 4) u = unit_float(r.v[k]);
      else u = unit_double(r.v[k], r.v[(k + 1) & 3]);
      T v = static_cast<T>(low + span * u);
      if (v >= static_cast<T>(high) && high > low) v = std::nextafter(static_cast<T>(high), static_cast<T>(low));
      out[i + k] = v;
    }
  });
}

template <typename T>
void normal(char* out_, int64_t n, uint64_t seed, uint64_t offset, double mean, double std) {
  T* out = reinterpret_cast<T*>(out_);
  constexpr double two_pi = 6.283185307179586476925286766559;
  for_blocks(n, seed, offset, [&](int64_t i, const Block& r) {
    // Box-Muller on two pairs of words: 4 normals per block.
    for (int pair = 0; pair < 2; ++pair) {
      const double u1 = (static_cast<double>(r.v[2 * pair]) + 1.0) * (1.0 / 4294967296.0);  // (0, 1]
      const double u2 = static_cast<double>(r.v[2 * pair + 1]) * (1.0 / 4294967296.0);
      const double radius = std::sqrt(-2.0 * std::log(u1));
      const double z0 = radius * std::cos(two_pi * u2), z1 = radius * std::sin(two_pi * u2);
      if (i + 2 * pair < n) out[i + 2 * pair] = static_cast<T>(mean + std * z0);
      if (i + 2 * pair + 1 < n) out[i + 2 * pair + 1] = static_cast<T>(mean + std * z1);
    }
  });
}

}  // namespace

void register_random(KernelTable& t) {
  for_each_type<float, double>([&](auto tag) {
    using T = decltype(tag);
    t.uniform[dtype_index<T>] = uniform<T>;
    t.normal[dtype_index<T>] = normal<T>;
  });
}

}  // namespace tensorforge::cpu::TF_ISA_NS
