// Vectorised transcendental functions over Vec<T> (float and double), accurate to a few ulp.
// Compiled per ISA like vec.h. One-lane Vec<T> (scalar build, other dtypes) falls back to <cmath>.
#pragma once

#include <cmath>
#include <limits>

#include "cpu/simd/vec.h"

namespace tensorforge::cpu::TF_ISA_NS {

// x * 2^n for integral-valued n.
template <typename T> inline Vec<T> vscale2(Vec<T> x, Vec<T> n) { return Vec<T>(std::ldexp(x.v, static_cast<int>(n.v))); }
#if defined(__AVX512F__)
template <> inline Vec<float> vscale2(Vec<float> x, Vec<float> n) { return _mm512_scalef_ps(x.v, n.v); }
template <> inline Vec<double> vscale2(Vec<double> x, Vec<double> n) { return _mm512_scalef_pd(x.v, n.v); }
#elif defined(__AVX2__)
template <> inline Vec<float> vscale2(Vec<float> x, Vec<float> n) {
  // Split 2^n into two factors so exponents down to -252 and up to 254 stay representable.
  __m256i ni = _mm256_cvtps_epi32(n.v);
  __m256i half = _mm256_srai_epi32(ni, 1);
  __m256i rest = _mm256_sub_epi32(ni, half);
  __m256 f1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(half, _mm256_set1_epi32(127)), 23));
  __m256 f2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(rest, _mm256_set1_epi32(127)), 23));
  return _mm256_mul_ps(_mm256_mul_ps(x.v, f1), f2);
}
template <> inline Vec<double> vscale2(Vec<double> x, Vec<double> n) {
  __m128i ni = _mm256_cvtpd_epi32(n.v);
  __m128i half = _mm_srai_epi32(ni, 1);
  __m128i rest = _mm_sub_epi32(ni, half);
  __m256i h64 = _mm256_cvtepi32_epi64(_mm_add_epi32(half, _mm_set1_epi32(1023)));
  __m256i r64 = _mm256_cvtepi32_epi64(_mm_add_epi32(rest, _mm_set1_epi32(1023)));
  __m256d f1 = _mm256_castsi256_pd(_mm256_slli_epi64(h64, 52));
  __m256d f2 = _mm256_castsi256_pd(_mm256_slli_epi64(r64, 52));
  return _mm256_mul_pd(_mm256_mul_pd(x.v, f1), f2);
}
#endif

// For finite x > 0 (normal): x = m * 2^e with m in [1, 2); e as a float-valued Vec.
template <typename T> inline Vec<T> vgetexp(Vec<T> x) { return Vec<T>(static_cast<T>(std::ilogb(x.v))); }
template <typename T> inline Vec<T> vgetmant(Vec<T> x) { return Vec<T>(std::scalbn(x.v, -std::ilogb(x.v))); }
#if defined(__AVX512F__)
template <> inline Vec<float> vgetexp(Vec<float> x) { return _mm512_getexp_ps(x.v); }
template <> inline Vec<double> vgetexp(Vec<double> x) { return _mm512_getexp_pd(x.v); }
template <> inline Vec<float> vgetmant(Vec<float> x) { return _mm512_getmant_ps(x.v, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_src); }
template <> inline Vec<double> vgetmant(Vec<double> x) { return _mm512_getmant_pd(x.v, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_src); }
#elif defined(__AVX2__)
template <> inline Vec<float> vgetexp(Vec<float> x) {
  __m256i biased = _mm256_srli_epi32(_mm256_castps_si256(x.v), 23);
  return _mm256_cvtepi32_ps(_mm256_sub_epi32(biased, _mm256_set1_epi32(127)));
}
template <> inline Vec<double> vgetexp(Vec<double> x) {
  // The biased exponent placed in the mantissa of 2^52 gives 2^52 + biased exactly.
  const __m256d two52 = _mm256_set1_pd(0x1p52);
  __m256i biased = _mm256_srli_epi64(_mm256_castpd_si256(x.v), 52);
  __m256d v = _mm256_castsi256_pd(_mm256_or_si256(biased, _mm256_castpd_si256(two52)));
  return _mm256_sub_pd(v, _mm256_set1_pd(0x1p52 + 1023.0));
}
template <> inline Vec<float> vgetmant(Vec<float> x) {
  __m256i bits = _mm256_and_si256(_mm256_castps_si256(x.v), _mm256_set1_epi32(0x007fffff));
  return _mm256_castsi256_ps(_mm256_or_si256(bits, _mm256_set1_epi32(0x3f800000)));
}
template <> inline Vec<double> vgetmant(Vec<double> x) {
  __m256i bits = _mm256_and_si256(_mm256_castpd_si256(x.v), _mm256_set1_epi64x(0x000fffffffffffffLL));
  return _mm256_castsi256_pd(_mm256_or_si256(bits, _mm256_set1_epi64x(0x3ff0000000000000LL)));
}
#endif

// c0 + x * (c1 + x * (c2 + ...)), the coefficients rounded to T.
template <typename T> inline Vec<T> vpoly(Vec<T>, double c0) { return Vec<T>(static_cast<T>(c0)); }
template <typename T, typename... C>
inline Vec<T> vpoly(Vec<T> x, double c0, C... c) {
  return fmadd(vpoly(x, c...), x, Vec<T>(static_cast<T>(c0)));
}

// f applied lane by lane (for rare lanes a vector kernel does not cover).
template <typename T, typename F>
inline Vec<T> vmap(Vec<T> x, F f) {
  alignas(64) T buf[Vec<T>::size];
  x.store(buf);
  for (T& v : buf) v = f(v);
  return Vec<T>::load(buf);
}

// exp(x): Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2, then a minimax-style polynomial.
template <typename T>
inline Vec<T> vexp(Vec<T> x) {
  if constexpr (Vec<T>::size == 1) {
    return Vec<T>(std::exp(x.v));
  } else if constexpr (sizeof(T) == 4) {
    const Vec<T> hi(88.72283935546875f), lo(-103.972084045410f);
    Vec<T> xc = vmin(vmax(x, lo), hi);
    Vec<T> n = vround(xc * Vec<T>(1.44269504088896341f));
    Vec<T> r = fmadd(n, Vec<T>(-0.693359375f), xc);
    r = fmadd(n, Vec<T>(2.12194440e-4f), r);
    Vec<T> p(1.9875691500e-4f);
    p = fmadd(p, r, Vec<T>(1.3981999507e-3f));
    p = fmadd(p, r, Vec<T>(8.3334519073e-3f));
    p = fmadd(p, r, Vec<T>(4.1665795894e-2f));
    p = fmadd(p, r, Vec<T>(1.6666665459e-1f));
    p = fmadd(p, r, Vec<T>(5.0000001201e-1f));
    p = fmadd(p, r * r, r + Vec<T>(1.0f));
    Vec<T> res = vscale2(p, n);
    // Keep +inf for overflow and NaN for NaN input (min/max above dropped them).
    res = select_gt(x, hi, Vec<T>(std::numeric_limits<float>::infinity()), res);
    return select_nan(x, x, res);
  } else {
    const Vec<T> hi(709.78), lo(-745.2);
    Vec<T> xc = vmin(vmax(x, lo), hi);
    Vec<T> n = vround(xc * Vec<T>(1.4426950408889634));
    Vec<T> r = fmadd(n, Vec<T>(-6.93145751953125e-1), xc);
    r = fmadd(n, Vec<T>(-1.42860682030941723212e-6), r);
    // Taylor to degree 13 is accurate to ~1 ulp on |r| <= ln2/2.
    Vec<T> p(1.0 / 6227020800.0);
    p = fmadd(p, r, Vec<T>(1.0 / 479001600.0));
    p = fmadd(p, r, Vec<T>(1.0 / 39916800.0));
    p = fmadd(p, r, Vec<T>(1.0 / 3628800.0));
    p = fmadd(p, r, Vec<T>(1.0 / 362880.0));
    p = fmadd(p, r, Vec<T>(1.0 / 40320.0));
    p = fmadd(p, r, Vec<T>(1.0 / 5040.0));
    p = fmadd(p, r, Vec<T>(1.0 / 720.0));
    p = fmadd(p, r, Vec<T>(1.0 / 120.0));
    p = fmadd(p, r, Vec<T>(1.0 / 24.0));
    p = fmadd(p, r, Vec<T>(1.0 / 6.0));
    p = fmadd(p, r, Vec<T>(0.5));
    p = fmadd(p, r * r, r + Vec<T>(1.0));
    Vec<T> res = vscale2(p, n);
    res = select_gt(x, hi, Vec<T>(std::numeric_limits<double>::infinity()), res);
    return select_nan(x, x, res);
  }
}

// expm1(x) = 2^n (p(r) + 1 - 2^-n) with x = n ln2 + r and p(r) = expm1(r) by Taylor series.
template <typename T>
inline Vec<T> vexpm1(Vec<T> x) {
  if constexpr (Vec<T>::size == 1) {
    return Vec<T>(std::expm1(x.v));
  } else {
    constexpr bool f32 = sizeof(T) == 4;
    const Vec<T> hi(f32 ? T(88.72283935546875) : T(709.782712893384)), lo(f32 ? -30 : -60), one(1);
    Vec<T> xc = vmin(vmax(x, lo), hi);
    Vec<T> n = vround(xc * Vec<T>(T(1.4426950408889634)));
    Vec<T> r = fmadd(n, Vec<T>(f32 ? T(-0.693359375) : T(-6.93145751953125e-1)), xc);
    r = fmadd(n, Vec<T>(f32 ? T(2.12194440e-4) : T(-1.42860682030941723212e-6)), r);
    Vec<T> q;
    if constexpr (f32) {
      q = vpoly(r, 1 / 2.0, 1 / 6.0, 1 / 24.0, 1 / 120.0, 1 / 720.0, 1 / 5040.0, 1 / 40320.0);
    } else {
      q = vpoly(r, 1 / 2.0, 1 / 6.0, 1 / 24.0, 1 / 120.0, 1 / 720.0, 1 / 5040.0, 1 / 40320.0,
                1 / 362880.0, 1 / 3628800.0, 1 / 39916800.0, 1 / 479001600.0, 1 / 6227020800.0,
                1 / 87178291200.0);
    }
    Vec<T> p = fmadd(r * r, q, r);
    Vec<T> res = vscale2(p + (one - vscale2(one, Vec<T>(0) - n)), n);
    res = select(cmp_gt(x, hi), Vec<T>(std::numeric_limits<T>::infinity()), res);
    return select(cmp_eq(x, Vec<T>(0)) | visnan(x), x, res);  // keeps -0 and NaN
  }
}

namespace detail {
// For x > 0 (subnormals included, not inf): x = 2^e (1 + f) with f in [sqrt(1/2) - 1, sqrt(2) - 1).
template <typename T>
inline Vec<T> log_reduce(Vec<T> x, Vec<T>& e) {
  constexpr bool f32 = sizeof(T) == 4;
  Mask<T> sub = cmp_lt(x, Vec<T>(std::numeric_limits<T>::min()));
  x = select(sub, x * Vec<T>(f32 ? T(0x1p25) : T(0x1p54)), x);
  Vec<T> m = vgetmant(x);
  e = vgetexp(x) - select(sub, Vec<T>(f32 ? 25 : 54), Vec<T>(0));
  Mask<T> big = cmp_gt(m, Vec<T>(T(1.4142135623730951)));
  e = select(big, e + Vec<T>(1), e);
  return select(big, m * Vec<T>(T(0.5)), m) - Vec<T>(1);
}
// log(1 + f) - f for a reduced f, as hfsq - s (hfsq + R(s^2)) with s = f / (2 + f) (fdlibm's split).
template <typename T>
inline Vec<T> log1p_minus_f(Vec<T> f) {
  Vec<T> s = f / (Vec<T>(2) + f);
  Vec<T> z = s * s, hfsq = Vec<T>(T(0.5)) * f * f, r;
  if constexpr (sizeof(T) == 4) {
    r = z * vpoly(z, 2 / 3.0, 2 / 5.0, 2 / 7.0, 2 / 9.0, 2 / 11.0);
  } else {
    r = z * vpoly(z, 2 / 3.0, 2 / 5.0, 2 / 7.0, 2 / 9.0, 2 / 11.0, 2 / 13.0, 2 / 15.0, 2 / 17.0,
                  2 / 19.0, 2 / 21.0, 2 / 23.0);
  }
  return s * (hfsq + r) - hfsq;
}
// res where x is positive and finite; log's special values elsewhere.
template <typename T>
inline Vec<T> log_special(Vec<T> x, Vec<T> res) {
  const Vec<T> zero(0), inf(std::numeric_limits<T>::infinity());
  Vec<T> special = select(cmp_lt(x, zero), Vec<T>(std::numeric_limits<T>::quiet_NaN()), x);
  special = select(cmp_eq(x, zero), Vec<T>(-std::numeric_limits<T>::infinity()), special);
  return select(cmp_gt(x, zero) & cmp_lt(x, inf), res, special);
}
}  // namespace detail

template <typename T>
inline Vec<T> vlog(Vec<T> x) {
  if constexpr (Vec<T>::size == 1) {
    return Vec<T>(std::log(x.v));
  } else {
    constexpr bool f32 = sizeof(T) == 4;
    Vec<T> e, f = detail::log_reduce(x, e);
    Vec<T> lo = fmadd(e, Vec<T>(f32 ? T(-2.12194440e-4) : T(1.90821492927058770002e-10)), detail::log1p_minus_f(f));
    Vec<T> res = fmadd(e, Vec<T>(f32 ? T(0.693359375) : T(6.93147180369123816490e-01)), lo + f);
    return detail::log_special(x, res);
  }
}

template <typename T>
inline Vec<T> vlog2(Vec<T> x) {
  if constexpr (Vec<T>::size == 1) {
    return Vec<T>(std::log2(x.v));
  } else {
    Vec<T> e, f = detail::log_reduce(x, e);
    return detail::log_special(x, fmadd(f + detail::log1p_minus_f(f), Vec<T>(T(1.4426950408889634)), e));
  }
}

template <typename T>
inline Vec<T> vlog10(Vec<T> x) {
  if constexpr (Vec<T>::size == 1) {
    return Vec<T>(std::log10(x.v));
  } else {
    Vec<T> e, f = detail::log_reduce(x, e);
    Vec<T> lm = (f + detail::log1p_minus_f(f)) * Vec<T>(T(0.4342944819032518));
    return detail::log_special(x, fmadd(e, Vec<T>(T(0.3010299956639812)), lm));
  }
}

// log1p(x) = log(u) + (x - (u - 1)) / u with u = 1 + x rounded.
template <typename T>
inline Vec<T> vlog1p(Vec<T> x) {
  if constexpr (Vec<T>::size == 1) {
    return Vec<T>(std::log1p(x.v));
  } else {
    const Vec<T> one(1), zero(0);
    Vec<T> u = one + x, lu = vlog(u);
    Mask<T> finite = cmp_gt(u, zero) & cmp_lt(u, Vec<T>(std::numeric_limits<T>::infinity()));
    Vec<T> res = select(finite, lu + (x - (u - one)) / u, lu);
    return select(cmp_eq(x, zero), x, res);  // keeps -0
  }
}

// tanh(|x|) = t / (t + 2) with t = expm1(2|x|); saturated where tanh rounds to 1.
template <typename T>
inline Vec<T> vtanh(Vec<T> x) {
  if constexpr (Vec<T>::size == 1) {
    return Vec<T>(std::tanh(x.v));
  } else {
    Vec<T> a = vmin(Vec<T>(sizeof(T) == 4 ? 10 : 20), vabs(x));
    Vec<T> t = vexpm1(a + a);
    return vcopysign(t / (t + Vec<T>(2)), x);
  }
}

// 1 / (1 + e^-x), as e^x / (1 + e^x) for x < 0 so that tiny results keep their precision.
template <typename T>
inline Vec<T> vsigmoid(Vec<T> x) {
  if constexpr (Vec<T>::size == 1) {
    return Vec<T>(T(1) / (T(1) + std::exp(-x.v)));
  } else {
    const Vec<T> one(1);
    Vec<T> e = vexp(Vec<T>(0) - vabs(x));
    return select(cmp_lt(x, Vec<T>(0)), e, one) / (one + e);
  }
}

namespace detail {
// sin and cos of r = a - n pi/2 (a >= 0) and the quadrant q = n mod 4, for a below kTrigLimit.
template <typename T> inline constexpr T kTrigLimit = T(1e5);
template <typename T>
struct SinCos {
  Vec<T> s, c, q;
};
template <typename T>
inline SinCos<T> sincos_reduced(Vec<T> a) {
  constexpr bool f32 = sizeof(T) == 4;
  Vec<T> n = vround(a * Vec<T>(T(0.6366197723675814)));
  Vec<T> r = fmadd(n, Vec<T>(f32 ? T(-1.5707964f) : T(-1.5707963267948966)), a);
  r = fmadd(n, Vec<T>(f32 ? T(4.371139e-08f) : T(-6.123233995736766e-17)), r);
  r = fmadd(n, Vec<T>(f32 ? T(1.7151245e-15f) : T(1.4973849048591698e-33)), r);
  Vec<T> r2 = r * r, ps, pc;
  if constexpr (f32) {
    ps = vpoly(r2, -1 / 6.0, 1 / 120.0, -1 / 5040.0, 1 / 362880.0);
    pc = vpoly(r2, -1 / 2.0, 1 / 24.0, -1 / 720.0, 1 / 40320.0, -1 / 3628800.0);
  } else {
    ps = vpoly(r2, -1 / 6.0, 1 / 120.0, -1 / 5040.0, 1 / 362880.0, -1 / 39916800.0,
               1 / 6227020800.0, -1 / 1307674368000.0, 1 / 355687428096000.0);
    pc = vpoly(r2, -1 / 2.0, 1 / 24.0, -1 / 720.0, 1 / 40320.0, -1 / 3628800.0, 1 / 479001600.0,
               -1 / 87178291200.0, 1 / 20922789888000.0);
  }
  Vec<T> q = n - Vec<T>(4) * vfloor(n * Vec<T>(T(0.25)));
  return {fmadd(r * r2, ps, r), fmadd(r2, pc, Vec<T>(1)), q};
}
// Lanes past the reduction's range (and inf) take the libm result.
template <typename T, typename F>
inline Vec<T> trig_far(Vec<T> x, Vec<T> a, Vec<T> res, F f) {
  Mask<T> far = cmp_gt(a, Vec<T>(kTrigLimit<T>));
  return any(far) ? select(far, vmap(x, f), res) : res;
}
}  // namespace detail

template <typename T>
inline Vec<T> vsin(Vec<T> x) {
  if constexpr (Vec<T>::size == 1) {
    return Vec<T>(std::sin(x.v));
  } else {
    Vec<T> a = vabs(x);
    detail::SinCos<T> sc = detail::sincos_reduced(a);
    Vec<T> res = select(cmp_eq(sc.q, Vec<T>(1)) | cmp_eq(sc.q, Vec<T>(3)), sc.c, sc.s);
    res = vmulsign(res, select(cmp_ge(sc.q, Vec<T>(2)), Vec<T>(-1), Vec<T>(1)));
    return detail::trig_far(x, a, vmulsign(res, x), [](T v) { return std::sin(v); });
  }
}

template <typename T>
inline Vec<T> vcos(Vec<T> x) {
  if constexpr (Vec<T>::size == 1) {
    return Vec<T>(std::cos(x.v));
  } else {
    Vec<T> a = vabs(x);
    detail::SinCos<T> sc = detail::sincos_reduced(a);
    Mask<T> odd = cmp_eq(sc.q, Vec<T>(1)) | cmp_eq(sc.q, Vec<T>(3));
    Vec<T> res = select(odd, sc.s, sc.c);
    res = vmulsign(res, select(cmp_eq(sc.q, Vec<T>(1)) | cmp_eq(sc.q, Vec<T>(2)), Vec<T>(-1), Vec<T>(1)));
    return detail::trig_far(x, a, res, [](T v) { return std::cos(v); });
  }
}

template <typename T>
inline Vec<T> vtan(Vec<T> x) {
  if constexpr (Vec<T>::size == 1) {
    return Vec<T>(std::tan(x.v));
  } else {
    Vec<T> a = vabs(x);
    detail::SinCos<T> sc = detail::sincos_reduced(a);
    Mask<T> odd = cmp_eq(sc.q, Vec<T>(1)) | cmp_eq(sc.q, Vec<T>(3));
    Vec<T> res = select(odd, Vec<T>(-1) * sc.c / sc.s, sc.s / sc.c);
    return detail::trig_far(x, a, vmulsign(res, x), [](T v) { return std::tan(v); });
  }
}

namespace detail {
// erfc(a) = exp(-a^2) Q(1/a) for float a in [1, 10] (least-squares fit of Q in 1/a - 0.55); the
// caller passes a^2 as hi + lo, exact, so that the exponential keeps full relative accuracy.
inline Vec<float> erfc_tail(Vec<float> a, Vec<float> sq_hi, Vec<float> sq_lo) {
  Vec<float> u = Vec<float>(1.0f) / vmin(Vec<float>(10.0f), vmax(Vec<float>(1.0f), a)) - Vec<float>(0.55f);
  Vec<float> q = vpoly(u, 0.27629438f, 0.40883413f, -0.1812356f, 0.033729106f, 0.04501967f,
                       -0.06943421f, 0.055912107f, -0.024308724f, -0.009551684f, 0.056572508f,
                       -0.09027948f, 0.010776239f, 0.065899864f);
  Vec<float> res = vexp(Vec<float>(0.0f) - sq_hi) * (Vec<float>(1.0f) - sq_lo) * q;
  return select(cmp_gt(a, Vec<float>(10.0f)), Vec<float>(0.0f), res);
}
inline Vec<float> erfc_tail(Vec<float> a) {
  Vec<float> hi = a * a;
  return erfc_tail(a, hi, fmadd(a, a, Vec<float>(0.0f) - hi));
}
// erf(a) / a for float |a| <= 1, as a polynomial in a^2.
inline Vec<float> erf_small(Vec<float> a) {
  return vpoly(a * a, 1.1283791f, -0.3761232f, 0.112801306f, -0.02670995f, 0.0049160235f, -0.0005625396f);
}
}  // namespace detail

template <typename T>
inline Vec<T> verf(Vec<T> x) {
  if constexpr (Vec<T>::size == 1 || sizeof(T) == 8) {
    return vmap(x, [](T v) { return std::erf(v); });
  } else {
    Vec<T> a = vabs(x);
    Vec<T> res = select(cmp_lt(a, Vec<T>(1)), a * detail::erf_small(a), Vec<T>(1) - detail::erfc_tail(a));
    return vcopysign(res, x);
  }
}

template <typename T>
inline Vec<T> verfc(Vec<T> x) {
  if constexpr (Vec<T>::size == 1 || sizeof(T) == 8) {
    return vmap(x, [](T v) { return std::erfc(v); });
  } else {
    Vec<T> a = vabs(x), tail = detail::erfc_tail(a);
    Vec<T> res = select(cmp_lt(x, Vec<T>(0)), Vec<T>(2) - tail, tail);
    return select(cmp_lt(a, Vec<T>(1)), Vec<T>(1) - x * detail::erf_small(a), res);
  }
}

// Standard normal CDF, erfc(-x / sqrt 2) / 2, with the tail's exponent x^2 / 2 formed exactly.
template <typename T>
inline Vec<T> vnormcdf(Vec<T> x) {
  if constexpr (Vec<T>::size == 1 || sizeof(T) == 8) {
    return vmap(x, [](T v) { return T(0.5) * std::erfc(v * T(-0.7071067811865476)); });
  } else {
    const Vec<T> half(0.5f);
    Vec<T> z = x * Vec<T>(0.70710678f), a = vabs(z), hi = x * x;
    Vec<T> tail = half * detail::erfc_tail(a, half * hi, half * fmadd(x, x, Vec<T>(0.0f) - hi));
    Vec<T> res = select(cmp_gt(x, Vec<T>(0)), Vec<T>(1) - tail, tail);
    return select(cmp_lt(a, Vec<T>(1)), fmadd(z, half * detail::erf_small(a), half), res);
  }
}

}  // namespace tensorforge::cpu::TF_ISA_NS
