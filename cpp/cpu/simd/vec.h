// Vec<T>: the one SIMD vector type every kernel is written against.
//
// This header is compiled once per ISA (scalar, AVX2+FMA, AVX-512); the build defines
// TF_ISA_NS (scalar / avx2 / avx512) and the matching -m flags, and everything here lives in
// namespace tensorforge::cpu::TF_ISA_NS so no inline copy of one ISA can leak into another.
// Vec<float> and Vec<double> are vectorised; any other T gets a one-lane scalar Vec.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <algorithm>

#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

#ifndef TF_ISA_NS
#error "TF_ISA_NS must be defined (scalar, avx2 or avx512) when compiling kernels"
#endif

namespace tensorforge::cpu::TF_ISA_NS {

// Generic one-lane vector: the scalar build and the non-float dtypes use this.
template <typename T>
struct Vec {
  static constexpr int size = 1;
  T v;
  Vec() = default;
  Vec(T x) : v(x) {}
  static Vec load(const T* p) { return Vec(*p); }
  static Vec load_stream(const T* p) { return Vec(*p); }
  static Vec load_partial(const T* p, int64_t n) { return n > 0 ? Vec(*p) : Vec(T(0)); }
  void store(T* p) const { *p = v; }
  void store_partial(T* p, int64_t n) const { if (n > 0) *p = v; }
  T reduce_add() const { return v; }
  T reduce_max() const { return v; }
  T reduce_min() const { return v; }
  friend Vec operator+(Vec a, Vec b) { return Vec(a.v + b.v); }
  friend Vec operator-(Vec a, Vec b) { return Vec(a.v - b.v); }
  friend Vec operator*(Vec a, Vec b) { return Vec(a.v * b.v); }
  friend Vec operator/(Vec a, Vec b) { return Vec(a.v / b.v); }
};

template <typename T> inline Vec<T> fmadd(Vec<T> a, Vec<T> b, Vec<T> c) { return Vec<T>(a.v * b.v + c.v); }
template <typename T> inline Vec<T> vmax(Vec<T> a, Vec<T> b) { return Vec<T>(a.v > b.v ? a.v : b.v); }
template <typename T> inline Vec<T> vmin(Vec<T> a, Vec<T> b) { return Vec<T>(a.v < b.v ? a.v : b.v); }
template <typename T> inline Vec<T> vsqrt(Vec<T> a) { return Vec<T>(std::sqrt(a.v)); }
template <typename T> inline Vec<T> vabs(Vec<T> a) { return Vec<T>(a.v < T(0) ? -a.v : a.v); }
// select(mask_source_a < b, x, y) helpers: lanes where a < b take x, others y.
template <typename T> inline Vec<T> select_lt(Vec<T> a, Vec<T> b, Vec<T> x, Vec<T> y) { return a.v < b.v ? x : y; }
template <typename T> inline Vec<T> select_gt(Vec<T> a, Vec<T> b, Vec<T> x, Vec<T> y) { return a.v > b.v ? x : y; }
template <typename T> inline Vec<T> vround(Vec<T> a) { return Vec<T>(std::nearbyint(a.v)); }
// Lanes where x is NaN take a, the others b.
template <typename T> inline Vec<T> select_nan(Vec<T> x, Vec<T> a, Vec<T> b) { return x.v != x.v ? a : b; }
template <typename T> inline Vec<T> vfloor(Vec<T> a) { return Vec<T>(std::floor(a.v)); }
template <typename T> inline Vec<T> vceil(Vec<T> a) { return Vec<T>(std::ceil(a.v)); }
template <typename T> inline Vec<T> vtrunc(Vec<T> a) { return Vec<T>(std::trunc(a.v)); }
// |mag| with the sign of sgn; and v with its sign flipped where sgn's sign bit is set.
template <typename T> inline Vec<T> vcopysign(Vec<T> mag, Vec<T> sgn) { return Vec<T>(std::copysign(mag.v, sgn.v)); }
template <typename T> inline Vec<T> vmulsign(Vec<T> v, Vec<T> sgn) { return std::signbit(sgn.v) ? Vec<T>(-v.v) : v; }

// Mask<T>: one predicate per lane of Vec<T>, from the cmp_* functions (ordered compares, so a
// NaN lane is false except for cmp_ne). select(m, a, b) takes a where m is set.
template <typename T>
struct Mask {
  bool m;
};
template <typename T> inline Mask<T> cmp_eq(Vec<T> a, Vec<T> b) { return {a.v == b.v}; }
template <typename T> inline Mask<T> cmp_ne(Vec<T> a, Vec<T> b) { return {a.v != b.v}; }
template <typename T> inline Mask<T> cmp_lt(Vec<T> a, Vec<T> b) { return {a.v < b.v}; }
template <typename T> inline Mask<T> cmp_le(Vec<T> a, Vec<T> b) { return {a.v <= b.v}; }
template <typename T> inline Mask<T> cmp_gt(Vec<T> a, Vec<T> b) { return {a.v > b.v}; }
template <typename T> inline Mask<T> cmp_ge(Vec<T> a, Vec<T> b) { return {a.v >= b.v}; }
template <typename T> inline Mask<T> visnan(Vec<T> a) { return {a.v != a.v}; }
template <typename T> inline Mask<T> operator&(Mask<T> a, Mask<T> b) { return {a.m && b.m}; }
template <typename T> inline Mask<T> operator|(Mask<T> a, Mask<T> b) { return {a.m || b.m}; }
template <typename T> inline Mask<T> operator^(Mask<T> a, Mask<T> b) { return {a.m != b.m}; }
template <typename T> inline Mask<T> operator~(Mask<T> a) { return {!a.m}; }
template <typename T> inline bool any(Mask<T> a) { return a.m; }
// The lanes of a mask as bits (lane i -> bit i), to visit only the set lanes.
template <typename T> inline uint32_t bits(Mask<T> a) { return a.m ? 1u : 0u; }
template <typename T> inline Vec<T> select(Mask<T> m, Vec<T> a, Vec<T> b) { return m.m ? a : b; }
// Writes the first n (<= size) lanes as bools (0/1 bytes).
template <typename T> inline void store_bool(bool* p, Mask<T> m, int64_t n) { if (n > 0) *p = m.m; }

#if defined(__AVX512F__)

template <>
struct Vec<float> {
  static constexpr int size = 16;
  __m512 v;
  Vec() = default;
  Vec(__m512 x) : v(x) {}
  Vec(float x) : v(_mm512_set1_ps(x)) {}
  static Vec load(const float* p) { return _mm512_loadu_ps(p); }
  // A load for streaming (memory-bound) loops: as two 256-bit halves, which measure about 20%
  // faster than one 512-bit load when reading from L3 / DRAM on Zen 4.
  static Vec load_stream(const float* p) {
    return _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_loadu_ps(p)), _mm256_loadu_ps(p + 8), 1);
  }
  static Vec load_partial(const float* p, int64_t n) {
    return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1u), p);
  }
  void store(float* p) const { _mm512_storeu_ps(p, v); }
  void store_partial(float* p, int64_t n) const {
    _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1u), v);
  }
  float reduce_add() const { return _mm512_reduce_add_ps(v); }
  float reduce_max() const { return _mm512_reduce_max_ps(v); }
  float reduce_min() const { return _mm512_reduce_min_ps(v); }
  friend Vec operator+(Vec a, Vec b) { return _mm512_add_ps(a.v, b.v); }
  friend Vec operator-(Vec a, Vec b) { return _mm512_sub_ps(a.v, b.v); }
  friend Vec operator*(Vec a, Vec b) { return _mm512_mul_ps(a.v, b.v); }
  friend Vec operator/(Vec a, Vec b) { return _mm512_div_ps(a.v, b.v); }
};
template <> inline Vec<float> fmadd(Vec<float> a, Vec<float> b, Vec<float> c) { return _mm512_fmadd_ps(a.v, b.v, c.v); }
template <> inline Vec<float> vmax(Vec<float> a, Vec<float> b) { return _mm512_max_ps(a.v, b.v); }
template <> inline Vec<float> vmin(Vec<float> a, Vec<float> b) { return _mm512_min_ps(a.v, b.v); }
template <> inline Vec<float> vsqrt(Vec<float> a) { return _mm512_sqrt_ps(a.v); }
template <> inline Vec<float> vabs(Vec<float> a) { return _mm512_abs_ps(a.v); }
template <> inline Vec<float> select_lt(Vec<float> a, Vec<float> b, Vec<float> x, Vec<float> y) {
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a.v, b.v, _CMP_LT_OQ), y.v, x.v);
}
template <> inline Vec<float> select_gt(Vec<float> a, Vec<float> b, Vec<float> x, Vec<float> y) {
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a.v, b.v, _CMP_GT_OQ), y.v, x.v);
}
template <> inline Vec<float> vround(Vec<float> a) {
  return _mm512_roundscale_ps(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
template <> inline Vec<float> select_nan(Vec<float> x, Vec<float> a, Vec<float> b) {
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x.v, x.v, _CMP_UNORD_Q), b.v, a.v);
}

template <>
struct Vec<double> {
  static constexpr int size = 8;
  __m512d v;
  Vec() = default;
  Vec(__m512d x) : v(x) {}
  Vec(double x) : v(_mm512_set1_pd(x)) {}
  static Vec load(const double* p) { return _mm512_loadu_pd(p); }
  static Vec load_stream(const double* p) {
    return _mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_loadu_pd(p)), _mm256_loadu_pd(p + 4), 1);
  }
  static Vec load_partial(const double* p, int64_t n) {
    return _mm512_maskz_loadu_pd(static_cast<__mmask8>((1u << n) - 1u), p);
  }
  void store(double* p) const { _mm512_storeu_pd(p, v); }
  void store_partial(double* p, int64_t n) const {
    _mm512_mask_storeu_pd(p, static_cast<__mmask8>((1u << n) - 1u), v);
  }
  double reduce_add() const { return _mm512_reduce_add_pd(v); }
  double reduce_max() const { return _mm512_reduce_max_pd(v); }
  double reduce_min() const { return _mm512_reduce_min_pd(v); }
  friend Vec operator+(Vec a, Vec b) { return _mm512_add_pd(a.v, b.v); }
  friend Vec operator-(Vec a, Vec b) { return _mm512_sub_pd(a.v, b.v); }
  friend Vec operator*(Vec a, Vec b) { return _mm512_mul_pd(a.v, b.v); }
  friend Vec operator/(Vec a, Vec b) { return _mm512_div_pd(a.v, b.v); }
};
template <> inline Vec<double> fmadd(Vec<double> a, Vec<double> b, Vec<double> c) { return _mm512_fmadd_pd(a.v, b.v, c.v); }
template <> inline Vec<double> vmax(Vec<double> a, Vec<double> b) { return _mm512_max_pd(a.v, b.v); }
template <> inline Vec<double> vmin(Vec<double> a, Vec<double> b) { return _mm512_min_pd(a.v, b.v); }
template <> inline Vec<double> vsqrt(Vec<double> a) { return _mm512_sqrt_pd(a.v); }
template <> inline Vec<double> vabs(Vec<double> a) { return _mm512_abs_pd(a.v); }
template <> inline Vec<double> select_lt(Vec<double> a, Vec<double> b, Vec<double> x, Vec<double> y) {
  return _mm512_mask_blend_pd(_mm512_cmp_pd_mask(a.v, b.v, _CMP_LT_OQ), y.v, x.v);
}
template <> inline Vec<double> select_gt(Vec<double> a, Vec<double> b, Vec<double> x, Vec<double> y) {
  return _mm512_mask_blend_pd(_mm512_cmp_pd_mask(a.v, b.v, _CMP_GT_OQ), y.v, x.v);
}
template <> inline Vec<double> vround(Vec<double> a) {
  return _mm512_roundscale_pd(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
template <> inline Vec<double> select_nan(Vec<double> x, Vec<double> a, Vec<double> b) {
  return _mm512_mask_blend_pd(_mm512_cmp_pd_mask(x.v, x.v, _CMP_UNORD_Q), b.v, a.v);
}

template <> inline Vec<float> vfloor(Vec<float> a) { return _mm512_roundscale_ps(a.v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
template <> inline Vec<float> vceil(Vec<float> a) { return _mm512_roundscale_ps(a.v, _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC); }
template <> inline Vec<float> vtrunc(Vec<float> a) { return _mm512_roundscale_ps(a.v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC); }
template <> inline Vec<float> vcopysign(Vec<float> mag, Vec<float> sgn) {
  return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(_mm512_castps_si512(mag.v), _mm512_castps_si512(sgn.v),
                                                      _mm512_set1_epi32(INT32_MIN), 0xd8));
}
template <> inline Vec<float> vmulsign(Vec<float> v, Vec<float> sgn) {
  return _mm512_xor_ps(v.v, _mm512_and_ps(sgn.v, _mm512_set1_ps(-0.0f)));
}
template <> struct Mask<float> { __mmask16 m; };
template <> inline Mask<float> cmp_eq(Vec<float> a, Vec<float> b) { return {_mm512_cmp_ps_mask(a.v, b.v, _CMP_EQ_OQ)}; }
template <> inline Mask<float> cmp_ne(Vec<float> a, Vec<float> b) { return {_mm512_cmp_ps_mask(a.v, b.v, _CMP_NEQ_UQ)}; }
template <> inline Mask<float> cmp_lt(Vec<float> a, Vec<float> b) { return {_mm512_cmp_ps_mask(a.v, b.v, _CMP_LT_OQ)}; }
template <> inline Mask<float> cmp_le(Vec<float> a, Vec<float> b) { return {_mm512_cmp_ps_mask(a.v, b.v, _CMP_LE_OQ)}; }
template <> inline Mask<float> cmp_gt(Vec<float> a, Vec<float> b) { return {_mm512_cmp_ps_mask(a.v, b.v, _CMP_GT_OQ)}; }
template <> inline Mask<float> cmp_ge(Vec<float> a, Vec<float> b) { return {_mm512_cmp_ps_mask(a.v, b.v, _CMP_GE_OQ)}; }
template <> inline Mask<float> visnan(Vec<float> a) { return {_mm512_cmp_ps_mask(a.v, a.v, _CMP_UNORD_Q)}; }
template <> inline Vec<float> select(Mask<float> m, Vec<float> a, Vec<float> b) { return _mm512_mask_blend_ps(m.m, b.v, a.v); }
template <> inline void store_bool(bool* p, Mask<float> m, int64_t n) {
  _mm_mask_storeu_epi8(p, static_cast<__mmask16>((1u << n) - 1u), _mm_maskz_set1_epi8(m.m, 1));
}

template <> inline Vec<double> vfloor(Vec<double> a) { return _mm512_roundscale_pd(a.v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
template <> inline Vec<double> vceil(Vec<double> a) { return _mm512_roundscale_pd(a.v, _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC); }
template <> inline Vec<double> vtrunc(Vec<double> a) { return _mm512_roundscale_pd(a.v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC); }
template <> inline Vec<double> vcopysign(Vec<double> mag, Vec<double> sgn) {
  return _mm512_castsi512_pd(_mm512_ternarylogic_epi64(_mm512_castpd_si512(mag.v), _mm512_castpd_si512(sgn.v),
                                                      _mm512_set1_epi64(INT64_MIN), 0xd8));
}
template <> inline Vec<double> vmulsign(Vec<double> v, Vec<double> sgn) {
  return _mm512_xor_pd(v.v, _mm512_and_pd(sgn.v, _mm512_set1_pd(-0.0)));
}
template <> struct Mask<double> { __mmask8 m; };
template <> inline Mask<double> cmp_eq(Vec<double> a, Vec<double> b) { return {_mm512_cmp_pd_mask(a.v, b.v, _CMP_EQ_OQ)}; }
template <> inline Mask<double> cmp_ne(Vec<double> a, Vec<double> b) { return {_mm512_cmp_pd_mask(a.v, b.v, _CMP_NEQ_UQ)}; }
template <> inline Mask<double> cmp_lt(Vec<double> a, Vec<double> b) { return {_mm512_cmp_pd_mask(a.v, b.v, _CMP_LT_OQ)}; }
template <> inline Mask<double> cmp_le(Vec<double> a, Vec<double> b) { return {_mm512_cmp_pd_mask(a.v, b.v, _CMP_LE_OQ)}; }
template <> inline Mask<double> cmp_gt(Vec<double> a, Vec<double> b) { return {_mm512_cmp_pd_mask(a.v, b.v, _CMP_GT_OQ)}; }
template <> inline Mask<double> cmp_ge(Vec<double> a, Vec<double> b) { return {_mm512_cmp_pd_mask(a.v, b.v, _CMP_GE_OQ)}; }
template <> inline Mask<double> visnan(Vec<double> a) { return {_mm512_cmp_pd_mask(a.v, a.v, _CMP_UNORD_Q)}; }
template <> inline Vec<double> select(Mask<double> m, Vec<double> a, Vec<double> b) { return _mm512_mask_blend_pd(m.m, b.v, a.v); }
template <> inline void store_bool(bool* p, Mask<double> m, int64_t n) {
  _mm_mask_storeu_epi8(p, static_cast<__mmask16>((1u << n) - 1u), _mm_maskz_set1_epi8(m.m, 1));
}
// AVX-512 masks are plain bit sets.
template <> inline Mask<float> operator&(Mask<float> a, Mask<float> b) { return {static_cast<__mmask16>(a.m & b.m)}; }
template <> inline Mask<float> operator|(Mask<float> a, Mask<float> b) { return {static_cast<__mmask16>(a.m | b.m)}; }
template <> inline Mask<float> operator^(Mask<float> a, Mask<float> b) { return {static_cast<__mmask16>(a.m ^ b.m)}; }
template <> inline Mask<float> operator~(Mask<float> a) { return {static_cast<__mmask16>(~a.m)}; }
template <> inline bool any(Mask<float> a) { return a.m != 0; }
template <> inline uint32_t bits(Mask<float> a) { return a.m; }
template <> inline Mask<double> operator&(Mask<double> a, Mask<double> b) { return {static_cast<__mmask8>(a.m & b.m)}; }
template <> inline Mask<double> operator|(Mask<double> a, Mask<double> b) { return {static_cast<__mmask8>(a.m | b.m)}; }
template <> inline Mask<double> operator^(Mask<double> a, Mask<double> b) { return {static_cast<__mmask8>(a.m ^ b.m)}; }
template <> inline Mask<double> operator~(Mask<double> a) { return {static_cast<__mmask8>(~a.m)}; }
template <> inline bool any(Mask<double> a) { return a.m != 0; }
template <> inline uint32_t bits(Mask<double> a) { return a.m; }

#elif defined(__AVX2__)

namespace detail {
inline __m256i tail_mask32(int64_t n) {
  alignas(32) static const int32_t m[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(m + 8 - n));
}
inline __m256i tail_mask64(int64_t n) {
  alignas(32) static const int64_t m[8] = {-1, -1, -1, -1, 0, 0, 0, 0};
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(m + 4 - n));
}
// Bit i of an 8-bit movemask -> byte i (0 or 1), little-endian.
inline uint64_t bits_to_bytes(unsigned bits) {
  const uint64_t lo = ((bits & 15u) * 0x204081u) & 0x01010101u;
  const uint64_t hi = (((bits >> 4) & 15u) * 0x204081u) & 0x01010101u;
  return lo | hi << 32;
}
}  // namespace detail

template <>
struct Vec<float> {
  static constexpr int size = 8;
  __m256 v;
  Vec() = default;
  Vec(__m256 x) : v(x) {}
  Vec(float x) : v(_mm256_set1_ps(x)) {}
  static Vec load(const float* p) { return _mm256_loadu_ps(p); }
  static Vec load_stream(const float* p) { return load(p); }
  static Vec load_partial(const float* p, int64_t n) { return _mm256_maskload_ps(p, detail::tail_mask32(n)); }
  void store(float* p) const { _mm256_storeu_ps(p, v); }
  void store_partial(float* p, int64_t n) const { _mm256_maskstore_ps(p, detail::tail_mask32(n), v); }
  float reduce_add() const {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  float reduce_max() const {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  float reduce_min() const {
    __m128 s = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_min_ps(s, _mm_movehl_ps(s, s));
    s = _mm_min_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  friend Vec operator+(Vec a, Vec b) { return _mm256_add_ps(a.v, b.v); }
  friend Vec operator-(Vec a, Vec b) { return _mm256_sub_ps(a.v, b.v); }
  friend Vec operator*(Vec a, Vec b) { return _mm256_mul_ps(a.v, b.v); }
  friend Vec operator/(Vec a, Vec b) { return _mm256_div_ps(a.v, b.v); }
};
template <> inline Vec<float> fmadd(Vec<float> a, Vec<float> b, Vec<float> c) { return _mm256_fmadd_ps(a.v, b.v, c.v); }
template <> inline Vec<float> vmax(Vec<float> a, Vec<float> b) { return _mm256_max_ps(a.v, b.v); }
template <> inline Vec<float> vmin(Vec<float> a, Vec<float> b) { return _mm256_min_ps(a.v, b.v); }
template <> inline Vec<float> vsqrt(Vec<float> a) { return _mm256_sqrt_ps(a.v); }
template <> inline Vec<float> vabs(Vec<float> a) {
  return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a.v);
}
template <> inline Vec<float> select_lt(Vec<float> a, Vec<float> b, Vec<float> x, Vec<float> y) {
  return _mm256_blendv_ps(y.v, x.v, _mm256_cmp_ps(a.v, b.v, _CMP_LT_OQ));
}
template <> inline Vec<float> select_gt(Vec<float> a, Vec<float> b, Vec<float> x, Vec<float> y) {
  return _mm256_blendv_ps(y.v, x.v, _mm256_cmp_ps(a.v, b.v, _CMP_GT_OQ));
}
template <> inline Vec<float> vround(Vec<float> a) {
  return _mm256_round_ps(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
template <> inline Vec<float> select_nan(Vec<float> x, Vec<float> a, Vec<float> b) {
  return _mm256_blendv_ps(b.v, a.v, _mm256_cmp_ps(x.v, x.v, _CMP_UNORD_Q));
}

template <> inline Vec<float> vfloor(Vec<float> a) { return _mm256_round_ps(a.v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
template <> inline Vec<float> vceil(Vec<float> a) { return _mm256_round_ps(a.v, _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC); }
template <> inline Vec<float> vtrunc(Vec<float> a) { return _mm256_round_ps(a.v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC); }
template <> inline Vec<float> vcopysign(Vec<float> mag, Vec<float> sgn) {
  const __m256 s = _mm256_set1_ps(-0.0f);
  return _mm256_or_ps(_mm256_andnot_ps(s, mag.v), _mm256_and_ps(s, sgn.v));
}
template <> inline Vec<float> vmulsign(Vec<float> v, Vec<float> sgn) {
  return _mm256_xor_ps(v.v, _mm256_and_ps(sgn.v, _mm256_set1_ps(-0.0f)));
}
template <> struct Mask<float> { __m256 m; };
template <> inline Mask<float> cmp_eq(Vec<float> a, Vec<float> b) { return {_mm256_cmp_ps(a.v, b.v, _CMP_EQ_OQ)}; }
template <> inline Mask<float> cmp_ne(Vec<float> a, Vec<float> b) { return {_mm256_cmp_ps(a.v, b.v, _CMP_NEQ_UQ)}; }
template <> inline Mask<float> cmp_lt(Vec<float> a, Vec<float> b) { return {_mm256_cmp_ps(a.v, b.v, _CMP_LT_OQ)}; }
template <> inline Mask<float> cmp_le(Vec<float> a, Vec<float> b) { return {_mm256_cmp_ps(a.v, b.v, _CMP_LE_OQ)}; }
template <> inline Mask<float> cmp_gt(Vec<float> a, Vec<float> b) { return {_mm256_cmp_ps(a.v, b.v, _CMP_GT_OQ)}; }
template <> inline Mask<float> cmp_ge(Vec<float> a, Vec<float> b) { return {_mm256_cmp_ps(a.v, b.v, _CMP_GE_OQ)}; }
template <> inline Mask<float> visnan(Vec<float> a) { return {_mm256_cmp_ps(a.v, a.v, _CMP_UNORD_Q)}; }
template <> inline Mask<float> operator&(Mask<float> a, Mask<float> b) { return {_mm256_and_ps(a.m, b.m)}; }
template <> inline Mask<float> operator|(Mask<float> a, Mask<float> b) { return {_mm256_or_ps(a.m, b.m)}; }
template <> inline Mask<float> operator^(Mask<float> a, Mask<float> b) { return {_mm256_xor_ps(a.m, b.m)}; }
template <> inline Mask<float> operator~(Mask<float> a) { return {_mm256_xor_ps(a.m, _mm256_castsi256_ps(_mm256_set1_epi32(-1)))}; }
template <> inline bool any(Mask<float> a) { return _mm256_movemask_ps(a.m) != 0; }
template <> inline uint32_t bits(Mask<float> a) { return static_cast<uint32_t>(_mm256_movemask_ps(a.m)); }
template <> inline Vec<float> select(Mask<float> m, Vec<float> a, Vec<float> b) { return _mm256_blendv_ps(b.v, a.v, m.m); }
template <> inline void store_bool(bool* p, Mask<float> m, int64_t n) {
  const uint64_t bytes = detail::bits_to_bytes(static_cast<unsigned>(_mm256_movemask_ps(m.m)));
  std::memcpy(p, &bytes, static_cast<size_t>(n));
}

template <>
struct Vec<double> {
  static constexpr int size = 4;
  __m256d v;
  Vec() = default;
  Vec(__m256d x) : v(x) {}
  Vec(double x) : v(_mm256_set1_pd(x)) {}
  static Vec load(const double* p) { return _mm256_loadu_pd(p); }
  static Vec load_stream(const double* p) { return load(p); }
  static Vec load_partial(const double* p, int64_t n) { return _mm256_maskload_pd(p, detail::tail_mask64(n)); }
  void store(double* p) const { _mm256_storeu_pd(p, v); }
  void store_partial(double* p, int64_t n) const { _mm256_maskstore_pd(p, detail::tail_mask64(n), v); }
  double reduce_add() const {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
  }
  double reduce_max() const {
    __m128d s = _mm_max_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_max_sd(s, _mm_unpackhi_pd(s, s)));
  }
  double reduce_min() const {
    __m128d s = _mm_min_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_min_sd(s, _mm_unpackhi_pd(s, s)));
  }
  friend Vec operator+(Vec a, Vec b) { return _mm256_add_pd(a.v, b.v); }
  friend Vec operator-(Vec a, Vec b) { return _mm256_sub_pd(a.v, b.v); }
  friend Vec operator*(Vec a, Vec b) { return _mm256_mul_pd(a.v, b.v); }
  friend Vec operator/(Vec a, Vec b) { return _mm256_div_pd(a.v, b.v); }
};
template <> inline Vec<double> fmadd(Vec<double> a, Vec<double> b, Vec<double> c) { return _mm256_fmadd_pd(a.v, b.v, c.v); }
template <> inline Vec<double> vmax(Vec<double> a, Vec<double> b) { return _mm256_max_pd(a.v, b.v); }
template <> inline Vec<double> vmin(Vec<double> a, Vec<double> b) { return _mm256_min_pd(a.v, b.v); }
template <> inline Vec<double> vsqrt(Vec<double> a) { return _mm256_sqrt_pd(a.v); }
template <> inline Vec<double> vabs(Vec<double> a) {
  return _mm256_andnot_pd(_mm256_set1_pd(-0.0), a.v);
}
template <> inline Vec<double> select_lt(Vec<double> a, Vec<double> b, Vec<double> x, Vec<double> y) {
  return _mm256_blendv_pd(y.v, x.v, _mm256_cmp_pd(a.v, b.v, _CMP_LT_OQ));
}
template <> inline Vec<double> select_gt(Vec<double> a, Vec<double> b, Vec<double> x, Vec<double> y) {
  return _mm256_blendv_pd(y.v, x.v, _mm256_cmp_pd(a.v, b.v, _CMP_GT_OQ));
}
template <> inline Vec<double> vround(Vec<double> a) {
  return _mm256_round_pd(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
template <> inline Vec<double> select_nan(Vec<double> x, Vec<double> a, Vec<double> b) {
  return _mm256_blendv_pd(b.v, a.v, _mm256_cmp_pd(x.v, x.v, _CMP_UNORD_Q));
}

template <> inline Vec<double> vfloor(Vec<double> a) { return _mm256_round_pd(a.v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
template <> inline Vec<double> vceil(Vec<double> a) { return _mm256_round_pd(a.v, _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC); }
template <> inline Vec<double> vtrunc(Vec<double> a) { return _mm256_round_pd(a.v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC); }
template <> inline Vec<double> vcopysign(Vec<double> mag, Vec<double> sgn) {
  const __m256d s = _mm256_set1_pd(-0.0);
  return _mm256_or_pd(_mm256_andnot_pd(s, mag.v), _mm256_and_pd(s, sgn.v));
}
template <> inline Vec<double> vmulsign(Vec<double> v, Vec<double> sgn) {
  return _mm256_xor_pd(v.v, _mm256_and_pd(sgn.v, _mm256_set1_pd(-0.0)));
}
template <> struct Mask<double> { __m256d m; };
template <> inline Mask<double> cmp_eq(Vec<double> a, Vec<double> b) { return {_mm256_cmp_pd(a.v, b.v, _CMP_EQ_OQ)}; }
template <> inline Mask<double> cmp_ne(Vec<double> a, Vec<double> b) { return {_mm256_cmp_pd(a.v, b.v, _CMP_NEQ_UQ)}; }
template <> inline Mask<double> cmp_lt(Vec<double> a, Vec<double> b) { return {_mm256_cmp_pd(a.v, b.v, _CMP_LT_OQ)}; }
template <> inline Mask<double> cmp_le(Vec<double> a, Vec<double> b) { return {_mm256_cmp_pd(a.v, b.v, _CMP_LE_OQ)}; }
template <> inline Mask<double> cmp_gt(Vec<double> a, Vec<double> b) { return {_mm256_cmp_pd(a.v, b.v, _CMP_GT_OQ)}; }
template <> inline Mask<double> cmp_ge(Vec<double> a, Vec<double> b) { return {_mm256_cmp_pd(a.v, b.v, _CMP_GE_OQ)}; }
template <> inline Mask<double> visnan(Vec<double> a) { return {_mm256_cmp_pd(a.v, a.v, _CMP_UNORD_Q)}; }
template <> inline Mask<double> operator&(Mask<double> a, Mask<double> b) { return {_mm256_and_pd(a.m, b.m)}; }
template <> inline Mask<double> operator|(Mask<double> a, Mask<double> b) { return {_mm256_or_pd(a.m, b.m)}; }
template <> inline Mask<double> operator^(Mask<double> a, Mask<double> b) { return {_mm256_xor_pd(a.m, b.m)}; }
template <> inline Mask<double> operator~(Mask<double> a) { return {_mm256_xor_pd(a.m, _mm256_castsi256_pd(_mm256_set1_epi32(-1)))}; }
template <> inline bool any(Mask<double> a) { return _mm256_movemask_pd(a.m) != 0; }
template <> inline uint32_t bits(Mask<double> a) { return static_cast<uint32_t>(_mm256_movemask_pd(a.m)); }
template <> inline Vec<double> select(Mask<double> m, Vec<double> a, Vec<double> b) { return _mm256_blendv_pd(b.v, a.v, m.m); }
template <> inline void store_bool(bool* p, Mask<double> m, int64_t n) {
  const uint64_t bytes = detail::bits_to_bytes(static_cast<unsigned>(_mm256_movemask_pd(m.m)));
  std::memcpy(p, &bytes, static_cast<size_t>(n));
}

#endif

// Name of the ISA this translation unit was compiled for.
#if defined(__AVX512F__)
inline constexpr const char* kIsaName = "avx512";
#elif defined(__AVX2__)
inline constexpr const char* kIsaName = "avx2";
#else
inline constexpr const char* kIsaName = "scalar";
#endif

}  // namespace tensorforge::cpu::TF_ISA_NS
