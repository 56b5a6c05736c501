// Binary elementwise kernels: one functor per op, applied by one loop with SIMD fast paths for
// contiguous operands and for one operand broadcast from a single element.
#include <cmath>
#include <limits>

#include "cpu/elementwise/elementwise.h"

namespace tensorforge::cpu::TF_ISA_NS {
namespace {

using namespace elementwise;
template <typename T> using V = Vec<T>;
constexpr double kInvSqrt2 = 0.7071067811865476;
constexpr double kInvSqrt2Pi = 0.3989422804014327;
constexpr double kSqrt2OverPi = 0.7978845608028654;
constexpr double kKappa = 0.044715;

// Out is contiguous; an operand with Advance = false is the single element at its pointer.
template <bool AdvanceA, bool AdvanceB, typename T, typename Out, typename F>
void binary_contiguous(Out* o, const T* a, const T* b, int64_t n, const F& f) {
  if constexpr (vectorised<F, T, 2>()) {
    constexpr int W = V<T>::size;
    int64_t i = 0;
    for (; i + 2 * W <= n; i += 2 * W) {
      vstore(o + i, f(vload<AdvanceA>(a, i, W), vload<AdvanceB>(b, i, W)), W);
      vstore(o + i + W, f(vload<AdvanceA>(a, i + W, W), vload<AdvanceB>(b, i + W, W)), W);
    }
    for (; i < n; i += W) {
      const int64_t m = std::min<int64_t>(W, n - i);
      vstore(o + i, f(vload<AdvanceA>(a, i, m), vload<AdvanceB>(b, i, m)), m);
    }
  } else {
    for (int64_t i = 0; i < n; ++i) o[i] = f(a[AdvanceA ? i : 0], b[AdvanceB ? i : 0]);
  }
}

template <typename T, typename F>
void binary_loop(char* out, const char* a, const char* b, int64_t n, int64_t s_out, int64_t s_a,
                 int64_t s_b, double alpha, double beta) {
  const F f = make_functor<F>(alpha, beta);
  using Out = decltype(f(T{}, T{}));
  constexpr int64_t s = sizeof(T);
  Out* o = reinterpret_cast<Out*>(out);
  const T* pa = reinterpret_cast<const T*>(a);
  const T* pb = reinterpret_cast<const T*>(b);
  if (s_out == sizeof(Out)) {
    if (s_a == s && s_b == s) return binary_contiguous<true, true>(o, pa, pb, n, f);
    if (s_a == 0 && s_b == s) return binary_contiguous<false, true>(o, pa, pb, n, f);
    if (s_a == s && s_b == 0) return binary_contiguous<true, false>(o, pa, pb, n, f);
  }
  for (int64_t i = 0; i < n; ++i) {
    *reinterpret_cast<Out*>(out + i * s_out) =
        f(*reinterpret_cast<const T*>(a + i * s_a), *reinterpret_cast<const T*>(b + i * s_b));
  }
}

// a + alpha * b (bool: or).
template <typename T> struct Add {
  T alpha;
  Add(double al, double) : alpha(static_cast<T>(al)) {}
  T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) return a || b;
    else return static_cast<T>(a + alpha * b);
  }
  V<T> operator()(V<T> a, V<T> b) const { return fmadd(b, V<T>(alpha), a); }
};
template <typename T> struct Sub {
  T alpha;
  Sub(double al, double) : alpha(static_cast<T>(al)) {}
  T operator()(T a, T b) const { return static_cast<T>(a - alpha * b); }
  V<T> operator()(V<T> a, V<T> b) const { return fmadd(b, V<T>(-alpha), a); }
};
template <typename T> struct Mul {
  T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) return a && b;
    else return static_cast<T>(a * b);
  }
  V<T> operator()(V<T> a, V<T> b) const { return a * b; }
};
template <typename T> struct Div {
  T operator()(T a, T b) const { return a / b; }
  V<T> operator()(V<T> a, V<T> b) const { return a / b; }
};
template <typename T> struct Pow {
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) return std::pow(a, b);
    else return int_pow(a, static_cast<int64_t>(b));
  }
};
// NaN-propagating max / min (bool: or / and).
template <typename T> struct Maximum {
  T operator()(T a, T b) const { return is_nan(a) || a > b ? a : b; }
  V<T> operator()(V<T> a, V<T> b) const { return select(visnan(a), a, vmax(a, b)); }
};
template <typename T> struct Minimum {
  T operator()(T a, T b) const { return is_nan(a) || a < b ? a : b; }
  V<T> operator()(V<T> a, V<T> b) const { return select(visnan(a), a, vmin(a, b)); }
};
// Python's modulo: the result takes the divisor's sign.
template <typename T> struct Remainder {
  T operator()(T a, T b) const {
    T m;
    if constexpr (std::is_floating_point_v<T>) {
      m = std::fmod(a, b);
    } else {
      if (b == -1) return 0;
      m = static_cast<T>(a % b);
    }
    return m != 0 && ((b < 0) != (m < 0)) ? static_cast<T>(m + b) : m;
  }
};
// Python's floor division (PyTorch's algorithm for floats: exact via fmod, then rounded).
template <typename T> struct FloorDivide {
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (b == 0) return a / b;
      const T m = std::fmod(a, b);
      T div = (a - m) / b;
      if (m != 0 && ((b < 0) != (m < 0))) div -= T(1);
      if (div == 0) return std::copysign(T(0), a / b);
      const T fl = std::floor(div);
      return div - fl > T(0.5) ? fl + T(1) : fl;
    } else {
      using UT = std::make_unsigned_t<T>;
      if (b == -1) return static_cast<T>(UT(0) - static_cast<UT>(a));
      const T q = static_cast<T>(a / b);
      return (a % b != 0 && ((a < 0) != (b < 0))) ? static_cast<T>(q - 1) : q;
    }
  }
};
template <typename T> struct Atan2 {
  T operator()(T a, T b) const { return std::atan2(a, b); }
};
template <typename T> struct Eq {
  bool operator()(T a, T b) const { return a == b; }
  Mask<T> operator()(V<T> a, V<T> b) const { return cmp_eq(a, b); }
};
template <typename T> struct Ne {
  bool operator()(T a, T b) const { return a != b; }
  Mask<T> operator()(V<T> a, V<T> b) const { return cmp_ne(a, b); }
};
template <typename T> struct Lt {
  bool operator()(T a, T b) const { return a < b; }
  Mask<T> operator()(V<T> a, V<T> b) const { return cmp_lt(a, b); }
};
template <typename T> struct Le {
  bool operator()(T a, T b) const { return a <= b; }
  Mask<T> operator()(V<T> a, V<T> b) const { return cmp_le(a, b); }
};
template <typename T> struct Gt {
  bool operator()(T a, T b) const { return a > b; }
  Mask<T> operator()(V<T> a, V<T> b) const { return cmp_gt(a, b); }
};
template <typename T> struct Ge {
  bool operator()(T a, T b) const { return a >= b; }
  Mask<T> operator()(V<T> a, V<T> b) const { return cmp_ge(a, b); }
};
template <typename T> struct LogicalAnd {
  bool operator()(T a, T b) const { return a != T(0) && b != T(0); }
  Mask<T> operator()(V<T> a, V<T> b) const { return cmp_ne(a, V<T>(T(0))) & cmp_ne(b, V<T>(T(0))); }
};
template <typename T> struct LogicalOr {
  bool operator()(T a, T b) const { return a != T(0) || b != T(0); }
  Mask<T> operator()(V<T> a, V<T> b) const { return cmp_ne(a, V<T>(T(0))) | cmp_ne(b, V<T>(T(0))); }
};
template <typename T> struct LogicalXor {
  bool operator()(T a, T b) const { return (a != T(0)) != (b != T(0)); }
  Mask<T> operator()(V<T> a, V<T> b) const { return cmp_ne(a, V<T>(T(0))) ^ cmp_ne(b, V<T>(T(0))); }
};

// Activation gradients: (grad, saved) -> input gradient, as PyTorch's backward kernels.
template <typename T> struct ReluBackward {
  T operator()(T g, T y) const { return y <= 0 ? T(0) : g; }
  V<T> operator()(V<T> g, V<T> y) const { return select(cmp_le(y, V<T>(T(0))), V<T>(T(0)), g); }
};
template <typename T> struct SigmoidBackward {
  T operator()(T g, T y) const { return g * (T(1) - y) * y; }
  V<T> operator()(V<T> g, V<T> y) const { return g * (V<T>(T(1)) - y) * y; }
};
template <typename T> struct TanhBackward {
  T operator()(T g, T y) const { return g * (T(1) - y * y); }
  V<T> operator()(V<T> g, V<T> y) const { return g * fmadd(y, V<T>(T(0)) - y, V<T>(T(1))); }
};
// d/dx x Phi(x) = Phi(x) + x phi(x).
template <typename T> struct GeluBackward {
  T operator()(T g, T x) const {
    const T cdf = T(0.5) * std::erfc(x * T(-kInvSqrt2));
    return g * (cdf + x * T(kInvSqrt2Pi) * std::exp(T(-0.5) * x * x));
  }
  V<T> operator()(V<T> g, V<T> x) const {
    V<T> cdf = vnormcdf(x);
    V<T> pdf = V<T>(T(kInvSqrt2Pi)) * vexp(V<T>(T(-0.5)) * x * x);
    return g * fmadd(x, pdf, cdf);
  }
};
// With s = sigmoid(2u) = (1 + tanh u) / 2: d/dx = s (1 + 2 x u'(x) (1 - s)).
template <typename T> struct GeluTanhBackward {
  static constexpr T c1 = T(2 * kSqrt2OverPi), c3 = T(2 * kSqrt2OverPi * kKappa);
  T operator()(T g, T x) const {
    const T s = T(1) / (T(1) + std::exp(-x * (c1 + c3 * x * x)));
    const T du2 = c1 + T(3) * c3 * x * x;
    return g * s * (T(1) + x * du2 * (T(1) - s));
  }
  V<T> operator()(V<T> g, V<T> x) const {
    const V<T> one(T(1));
    V<T> x2 = x * x;
    V<T> s = one / (one + vexp(x * fmadd(x2, V<T>(-c3), V<T>(-c1))));
    V<T> du2 = fmadd(x2, V<T>(T(3) * c3), V<T>(c1));
    return g * s * fmadd(x * du2, one - s, one);
  }
};
template <typename T> struct SiluBackward {
  T operator()(T g, T x) const {
    const T s = T(1) / (T(1) + std::exp(-x));
    return g * s * (T(1) + x * (T(1) - s));
  }
  V<T> operator()(V<T> g, V<T> x) const {
    const V<T> one(T(1));
    V<T> s = vsigmoid(x);
    return g * s * fmadd(x, one - s, one);
  }
};
template <typename T> struct SoftplusBackward {
  T beta, threshold;
  SoftplusBackward(double b, double th) : beta(T(b)), threshold(T(th)) {}
  T operator()(T g, T x) const {
    const T z = std::exp(x * beta);
    return x * beta > threshold ? g : g * z / (z + T(1));
  }
  V<T> operator()(V<T> g, V<T> x) const {
    V<T> bx = x * V<T>(beta);
    return select(cmp_gt(bx, V<T>(threshold)), g, g * vsigmoid(bx));
  }
};
template <typename T> struct LeakyReluBackward {
  T slope;
  LeakyReluBackward(double a, double) : slope(T(a)) {}
  T operator()(T g, T x) const { return x > 0 ? g : g * slope; }
  V<T> operator()(V<T> g, V<T> x) const { return select(cmp_gt(x, V<T>(T(0))), g, g * V<T>(slope)); }
};
template <typename T> struct EluBackward {
  T alpha;
  EluBackward(double a, double) : alpha(T(a)) {}
  T operator()(T g, T x) const { return x > 0 ? g : g * alpha * std::exp(x); }
  V<T> operator()(V<T> g, V<T> x) const { return select(cmp_gt(x, V<T>(T(0))), g, g * V<T>(alpha) * vexp(x)); }
};

// ---- tensor ops (fmod ... shifts) ----
template <typename T> struct Fmod {
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) return std::fmod(a, b);
    else return b == -1 ? T(0) : static_cast<T>(a % b);
  }
};
template <typename T> struct Hypot {
  T operator()(T a, T b) const { return std::hypot(a, b); }
};
template <typename T> struct Xlogy {
  T operator()(T a, T b) const {
    if (b != b) return b;
    return a == T(0) ? T(0) : a * std::log(b);
  }
};
template <typename T> struct BitwiseAnd {
  T operator()(T a, T b) const { return static_cast<T>(a & b); }
};
template <typename T> struct BitwiseOr {
  T operator()(T a, T b) const { return static_cast<T>(a | b); }
};
template <typename T> struct BitwiseXor {
  T operator()(T a, T b) const { return static_cast<T>(a ^ b); }
};
template <typename T> struct LeftShift {
  T operator()(T a, T b) const {
    using UT = std::make_unsigned_t<T>;
    constexpr T bits = static_cast<T>(sizeof(T) * 8);
    return (b < 0 || b >= bits) ? T(0) : static_cast<T>(static_cast<UT>(a) << b);
  }
};
template <typename T> struct RightShift {
  T operator()(T a, T b) const {
    constexpr T bits = static_cast<T>(sizeof(T) * 8);
    return (b < 0 || b >= bits) ? static_cast<T>(a >> (bits - 1)) : static_cast<T>(a >> b);
  }
};

using Floats = Types<float, double>;
using Numbers = Types<int32_t, int64_t, float, double>;
using All = Types<bool, int32_t, int64_t, float, double>;

template <template <typename> class F, typename... Ts>
void set(KernelTable& t, BinaryOp op, Types<Ts...>) {
  ((t.binary[static_cast<int>(op)][dtype_index<Ts>] = &binary_loop<Ts, F<Ts>>), ...);
}

}  // namespace

void register_binary(KernelTable& t) {
  using B = BinaryOp;
  set<Add>(t, B::Add, All{});
  set<Sub>(t, B::Sub, Numbers{});
  set<Mul>(t, B::Mul, All{});
  set<Div>(t, B::Div, Floats{});
  set<Pow>(t, B::Pow, Numbers{});
  set<Maximum>(t, B::Maximum, All{});
  set<Minimum>(t, B::Minimum, All{});
  set<Remainder>(t, B::Remainder, Numbers{});
  set<FloorDivide>(t, B::FloorDivide, Numbers{});
  set<Atan2>(t, B::Atan2, Floats{});
  set<Eq>(t, B::Eq, All{});
  set<Ne>(t, B::Ne, All{});
  set<Lt>(t, B::Lt, All{});
  set<Le>(t, B::Le, All{});
  set<Gt>(t, B::Gt, All{});
  set<Ge>(t, B::Ge, All{});
  set<LogicalAnd>(t, B::LogicalAnd, All{});
  set<LogicalOr>(t, B::LogicalOr, All{});
  set<LogicalXor>(t, B::LogicalXor, All{});
  set<ReluBackward>(t, B::ReluBackward, Floats{});
  set<SigmoidBackward>(t, B::SigmoidBackward, Floats{});
  set<TanhBackward>(t, B::TanhBackward, Floats{});
  set<GeluBackward>(t, B::GeluBackward, Floats{});
  set<GeluTanhBackward>(t, B::GeluTanhBackward, Floats{});
  set<SiluBackward>(t, B::SiluBackward, Floats{});
  set<SoftplusBackward>(t, B::SoftplusBackward, Floats{});
  set<LeakyReluBackward>(t, B::LeakyReluBackward, Floats{});
  set<EluBackward>(t, B::EluBackward, Floats{});
  // ---- tensor ops (fmod ... shifts) ----
  set<Fmod>(t, B::Fmod, Numbers{});
  set<Hypot>(t, B::Hypot, Floats{});
  set<Xlogy>(t, B::Xlogy, Floats{});
  set<BitwiseAnd>(t, B::BitwiseAnd, Types<bool, int32_t, int64_t>{});
  set<BitwiseOr>(t, B::BitwiseOr, Types<bool, int32_t, int64_t>{});
  set<BitwiseXor>(t, B::BitwiseXor, Types<bool, int32_t, int64_t>{});
  set<LeftShift>(t, B::LeftShift, Types<int32_t, int64_t>{});
  set<RightShift>(t, B::RightShift, Types<int32_t, int64_t>{});
}

}  // namespace tensorforge::cpu::TF_ISA_NS
