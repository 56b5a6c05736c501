// Private to cpu/elementwise: the per-file registration entry points and what every loop shares.
//
// An op is a functor over T (the scalar reference, used by the strided path) with an optional
// overload over Vec<T> (the SIMD fast path), returning T, or bool / Mask<T> for predicates.
// Functors with parameters are constructed from the loop's (alpha, beta).
#pragma once

#include <algorithm>
#include <type_traits>

#include "cpu/register.h"
#include "cpu/simd/ctype.h"
#include "cpu/simd/vmath.h"

namespace tensorforge::cpu::TF_ISA_NS {

void register_unary(KernelTable& t);
void register_binary(KernelTable& t);
void register_where_cast(KernelTable& t);

namespace elementwise {

template <typename... Ts> struct Types {};

template <typename F>
F make_functor(double alpha, double beta) {
  if constexpr (std::is_constructible_v<F, double, double>) {
    return F(alpha, beta);
  } else {
    return F{};
  }
}

// Whether F has a SIMD form for operands of type T (multi-lane Vec<T> only).
template <typename F, typename T, int Arity>
constexpr bool vectorised() {
  if constexpr (Vec<T>::size == 1) {
    return false;
  } else if constexpr (Arity == 1) {
    return std::is_invocable_v<const F&, Vec<T>>;
  } else {
    return std::is_invocable_v<const F&, Vec<T>, Vec<T>>;
  }
}

// Loads lanes [i, i + n) of p (n <= size), or broadcasts *p when the operand does not advance.
template <bool Advance, typename T>
inline Vec<T> vload(const T* p, int64_t i, int64_t n) {
  if constexpr (!Advance) {
    return Vec<T>(*p);
  } else {
    return n >= Vec<T>::size ? Vec<T>::load(p + i) : Vec<T>::load_partial(p + i, n);
  }
}

template <typename T>
inline void vstore(T* p, Vec<T> v, int64_t n) {
  n >= Vec<T>::size ? v.store(p) : v.store_partial(p, n);
}
template <typename T>
inline void vstore(bool* p, Mask<T> m, int64_t n) {
  store_bool(p, m, n);
}

// NaN test that is simply false for integer and bool types.
template <typename T>
constexpr bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<T>) {
    return x != x;
  } else {
    return false;
  }
}

// a ** k for integers, wrapping on overflow; k < 0 gives 0 unless |a| == 1 (as PyTorch).
template <typename T>
T int_pow(T a, int64_t k) {
  if (k < 0) return a == 1 ? T(1) : a == -1 ? T(k % 2 ? -1 : 1) : T(0);
  using UT = std::make_unsigned_t<T>;
  UT base = static_cast<UT>(a), r = 1;
  for (; k != 0; k >>= 1, base *= base)
    if (k & 1) r *= base;
  return static_cast<T>(r);
}

}  // namespace elementwise
}  // namespace tensorforge::cpu::TF_ISA_NS
