// where (select by a bool condition) and dtype casts. Plain loops: the compiler vectorises the
// contiguous forms for every element type.
#include "cpu/elementwise/elementwise.h"

namespace tensorforge::cpu::TF_ISA_NS {
namespace {

// Output and condition contiguous; an operand with Advance = false is the single element at its
// pointer (masked_fill).
template <bool AdvanceA, bool AdvanceB, typename T>
void where_contiguous(T* o, const bool* c, const T* a, const T* b, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const T x = a[AdvanceA ? i : 0], y = b[AdvanceB ? i : 0];
    o[i] = c[i] ? x : y;
  }
}

template <typename T>
void where_loop(char* out, const char* cond, const char* a, const char* b, int64_t n, int64_t s_out,
                int64_t s_cond, int64_t s_a, int64_t s_b) {
  constexpr int64_t s = sizeof(T);
  T* o = reinterpret_cast<T*>(out);
  const bool* c = reinterpret_cast<const bool*>(cond);
  const T* pa = reinterpret_cast<const T*>(a);
  const T* pb = reinterpret_cast<const T*>(b);
  if (s_out == s && s_cond == 1) {
    if (s_a == s && s_b == s) return where_contiguous<true, true>(o, c, pa, pb, n);
    if (s_a == 0 && s_b == s) return where_contiguous<false, true>(o, c, pa, pb, n);
    if (s_a == s && s_b == 0) return where_contiguous<true, false>(o, c, pa, pb, n);
  }
  for (int64_t i = 0; i < n; ++i) {
    *reinterpret_cast<T*>(out + i * s_out) = *reinterpret_cast<const bool*>(cond + i * s_cond)
                                                 ? *reinterpret_cast<const T*>(a + i * s_a)
                                                 : *reinterpret_cast<const T*>(b + i * s_b);
  }
}

// To bool is x != 0 (NaN is true); float to int truncates (x86 gives INT_MIN out of range).
template <typename D, typename S>
void cast_loop(char* out, const char* in, int64_t n, int64_t s_out, int64_t s_in) {
  if (s_out == sizeof(D) && s_in == sizeof(S)) {
    D* o = reinterpret_cast<D*>(out);
    const S* x = reinterpret_cast<const S*>(in);
    for (int64_t i = 0; i < n; ++i) o[i] = static_cast<D>(x[i]);
    return;
  }
  if (s_out == sizeof(D) && s_in == 0) {  // a broadcast source (contiguous() of an expand)
    D* o = reinterpret_cast<D*>(out);
    const D v = static_cast<D>(*reinterpret_cast<const S*>(in));
    for (int64_t i = 0; i < n; ++i) o[i] = v;
    return;
  }
  for (int64_t i = 0; i < n; ++i)
    *reinterpret_cast<D*>(out + i * s_out) = static_cast<D>(*reinterpret_cast<const S*>(in + i * s_in));
}

}  // namespace

void register_where_cast(KernelTable& t) {
  for_each_type<bool, int32_t, int64_t, float, double>([&](auto dst) {
    using D = decltype(dst);
    t.where[dtype_index<D>] = &where_loop<D>;
    for_each_type<bool, int32_t, int64_t, float, double>([&](auto src) {
      using S = decltype(src);
      t.cast[dtype_index<D>][dtype_index<S>] = &cast_loop<D, S>;
    });
  });
}

}  // namespace tensorforge::cpu::TF_ISA_NS
