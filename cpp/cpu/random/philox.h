// Private to cpu/random: the Philox4x32-10 counter-based generator and the maps from its
// 32-bit words to uniforms. A stream is (seed, first block); word w of the stream is lane w % 4
// of block w / 4, so any slice of a stream can be computed on its own (thread-count independent).
// Plain scalar code: every ISA build gives bit-identical output.
#pragma once

#include <cstdint>

#ifndef TF_ISA_NS
#error "TF_ISA_NS must be defined when compiling kernels"
#endif

namespace tensorforge::cpu::TF_ISA_NS::philox {

struct Block {
  uint32_t x[4];
};

inline void mulhilo(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) {
  const uint64_t p = static_cast<uint64_t>(a) * b;
  hi = static_cast<uint32_t>(p >> 32);
  lo = static_cast<uint32_t>(p);
}

// Philox4x32 with 10 rounds; counter = (block, sub), key = seed. `sub` numbers extra blocks an
// element may draw beyond its own (rejection samplers); it is 0 for every plain fill.
inline Block block(uint64_t counter, uint64_t seed, uint64_t sub = 0) {
  uint32_t c0 = static_cast<uint32_t>(counter), c1 = static_cast<uint32_t>(counter >> 32);
  uint32_t c2 = static_cast<uint32_t>(sub), c3 = static_cast<uint32_t>(sub >> 32);
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, lo0, hi1, lo1;
    mulhilo(0xD2511F53u, c0, hi0, lo0);
    mulhilo(0xCD9E8D57u, c2, hi1, lo1);
    const uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return {{c0, c1, c2, c3}};
}

// 24 random bits of one word: [0, 1) in steps of 2^-24.
inline double unit24(uint32_t w) { return static_cast<double>(w >> 8) * 0x1p-24; }
// 53 random bits of two words: [0, 1) in steps of 2^-53.
inline double unit53(uint32_t hi, uint32_t lo) {
  return static_cast<double>(((static_cast<uint64_t>(hi) << 32) | lo) >> 11) * 0x1p-53;
}
// Pair p (0 or 1) of a block as a double uniform in [0, 1), or in (0, 1].
inline double unit53(const Block& b, int p) { return unit53(b.x[2 * p], b.x[2 * p + 1]); }
inline double open_unit53(const Block& b, int p) {
  return static_cast<double>((((static_cast<uint64_t>(b.x[2 * p]) << 32) | b.x[2 * p + 1]) >> 11) + 1) * 0x1p-53;
}

}  // namespace tensorforge::cpu::TF_ISA_NS::philox
