// Unary elementwise kernels: one functor per op, applied by one loop.
#include <cmath>
#include <limits>

#include "cpu/elementwise/elementwise.h"

namespace tensorforge::cpu::TF_ISA_NS {
namespace {

using namespace elementwise;
template <typename T> using V = Vec<T>;
constexpr double kInvSqrt2 = 0.7071067811865476;
constexpr double kSqrt2OverPi = 0.7978845608028654;

template <typename T, typename F>
void apply_unary(char* out, const char* in, int64_t n, int64_t s_out, int64_t s_in, const F& f) {
  using Out = decltype(f(T{}));
  const T* x = reinterpret_cast<const T*>(in);
  Out* o = reinterpret_cast<Out*>(out);
  if (s_out == sizeof(Out) && s_in == sizeof(T)) {
    if constexpr (vectorised<F, T, 1>()) {
      constexpr int W = V<T>::size;
      int64_t i = 0;
      for (; i + 2 * W <= n; i += 2 * W) {
        vstore(o + i, f(V<T>::load(x + i)), W);
        vstore(o + i + W, f(V<T>::load(x + i + W)), W);
      }
      for (; i < n; i += W) {
        const int64_t m = std::min<int64_t>(W, n - i);
        vstore(o + i, f(vload<true>(x, i, m)), m);
      }
    } else {
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i]);
    }
    return;
  }
  for (int64_t i = 0; i < n; ++i)
    *reinterpret_cast<Out*>(out + i * s_out) = f(*reinterpret_cast<const T*>(in + i * s_in));
}

template <typename T, typename F>
void unary_loop(char* out, const char* in, int64_t n, int64_t s_out, int64_t s_in, double alpha, double beta) {
  apply_unary<T>(out, in, n, s_out, s_in, make_functor<F>(alpha, beta));
}

template <typename T> struct Identity {
  T operator()(T x) const { return x; }
  V<T> operator()(V<T> x) const { return x; }
};
template <typename T> struct Neg {
  T operator()(T x) const { return static_cast<T>(-x); }
  V<T> operator()(V<T> x) const { return V<T>(T(-1)) * x; }
};
template <typename T> struct Abs {
  T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) return std::fabs(x);
    else return x < 0 ? static_cast<T>(-x) : x;
  }
  V<T> operator()(V<T> x) const { return vabs(x); }
};
template <typename T> struct Exp {
  T operator()(T x) const { return std::exp(x); }
  V<T> operator()(V<T> x) const { return vexp(x); }
};
template <typename T> struct Log {
  T operator()(T x) const { return std::log(x); }
  V<T> operator()(V<T> x) const { return vlog(x); }
};
template <typename T> struct Sqrt {
  T operator()(T x) const { return std::sqrt(x); }
  V<T> operator()(V<T> x) const { return vsqrt(x); }
};
template <typename T> struct Rsqrt {
  T operator()(T x) const { return T(1) / std::sqrt(x); }
  V<T> operator()(V<T> x) const { return V<T>(T(1)) / vsqrt(x); }
};
template <typename T> struct Sin {
  T operator()(T x) const { return std::sin(x); }
  V<T> operator()(V<T> x) const { return vsin(x); }
};
template <typename T> struct Cos {
  T operator()(T x) const { return std::cos(x); }
  V<T> operator()(V<T> x) const { return vcos(x); }
};
template <typename T> struct Tan {
  T operator()(T x) const { return std::tan(x); }
  V<T> operator()(V<T> x) const { return vtan(x); }
};
template <typename T> struct Tanh {
  T operator()(T x) const { return std::tanh(x); }
  V<T> operator()(V<T> x) const { return vtanh(x); }
};
template <typename T> struct Sigmoid {
  T operator()(T x) const { return T(1) / (T(1) + std::exp(-x)); }
  V<T> operator()(V<T> x) const { return vsigmoid(x); }
};
template <typename T> struct Relu {
  T operator()(T x) const { return x < 0 ? T(0) : x; }
  V<T> operator()(V<T> x) const { return select(cmp_lt(x, V<T>(T(0))), V<T>(T(0)), x); }
};
template <typename T> struct Sign {
  T operator()(T x) const { return static_cast<T>((T(0) < x) - (x < T(0))); }
  V<T> operator()(V<T> x) const {
    const V<T> zero(T(0));
    return select(cmp_gt(x, zero), V<T>(T(1)), select(cmp_lt(x, zero), V<T>(T(-1)), zero));
  }
};
template <typename T> struct Floor {
  T operator()(T x) const { if constexpr (std::is_floating_point_v<T>) return std::floor(x); else return x; }
  V<T> operator()(V<T> x) const { return vfloor(x); }
};
template <typename T> struct Ceil {
  T operator()(T x) const { if constexpr (std::is_floating_point_v<T>) return std::ceil(x); else return x; }
  V<T> operator()(V<T> x) const { return vceil(x); }
};
template <typename T> struct Round {
  T operator()(T x) const { if constexpr (std::is_floating_point_v<T>) return std::nearbyint(x); else return x; }
  V<T> operator()(V<T> x) const { return vround(x); }
};
template <typename T> struct Trunc {
  T operator()(T x) const { if constexpr (std::is_floating_point_v<T>) return std::trunc(x); else return x; }
  V<T> operator()(V<T> x) const { return vtrunc(x); }
};
template <typename T> struct Reciprocal {
  T operator()(T x) const { return T(1) / x; }
  V<T> operator()(V<T> x) const { return V<T>(T(1)) / x; }
};
template <typename T> struct Square {
  T operator()(T x) const { return static_cast<T>(x * x); }
  V<T> operator()(V<T> x) const { return x * x; }
};
template <typename T> struct Cube {
  T operator()(T x) const { return static_cast<T>(x * x * x); }
  V<T> operator()(V<T> x) const { return x * x * x; }
};
template <typename T> struct Log1p {
  T operator()(T x) const { return std::log1p(x); }
  V<T> operator()(V<T> x) const { return vlog1p(x); }
};
template <typename T> struct Expm1 {
  T operator()(T x) const { return std::expm1(x); }
  V<T> operator()(V<T> x) const { return vexpm1(x); }
};
template <typename T> struct Log2 {
  T operator()(T x) const { return std::log2(x); }
  V<T> operator()(V<T> x) const { return vlog2(x); }
};
template <typename T> struct Log10 {
  T operator()(T x) const { return std::log10(x); }
  V<T> operator()(V<T> x) const { return vlog10(x); }
};
template <typename T> struct Erf {
  T operator()(T x) const { return std::erf(x); }
  V<T> operator()(V<T> x) const { return verf(x); }
};
template <typename T> struct Asin {
  T operator()(T x) const { return std::asin(x); }
};
template <typename T> struct Acos {
  T operator()(T x) const { return std::acos(x); }
};
template <typename T> struct Atan {
  T operator()(T x) const { return std::atan(x); }
};
// x * Phi(x) = x/2 * erfc(-x / sqrt 2): no cancellation for negative x.
template <typename T> struct Gelu {
  T operator()(T x) const { return T(0.5 * x * std::erfc(x * -kInvSqrt2)); }
  V<T> operator()(V<T> x) const { return x * vnormcdf(x); }
};
// x/2 (1 + tanh u) = x * sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3).
template <typename T> struct GeluTanh {
  static constexpr T c1 = T(2 * kSqrt2OverPi), c3 = T(2 * kSqrt2OverPi * 0.044715);
  T operator()(T x) const { return T(x / (1 + std::exp(-x * (2 * kSqrt2OverPi) * (1 + 0.044715 * x * x)))); }
  V<T> operator()(V<T> x) const {
    V<T> minus_2u = x * fmadd(x * x, V<T>(-c3), V<T>(-c1));
    return x / (V<T>(T(1)) + vexp(minus_2u));
  }
};
template <typename T> struct Silu {
  T operator()(T x) const { return x / (T(1) + std::exp(-x)); }
  V<T> operator()(V<T> x) const { return x / (V<T>(T(1)) + vexp(V<T>(T(0)) - x)); }
};
template <typename T> struct Softplus {
  T beta, threshold;
  Softplus(double b, double th) : beta(T(b)), threshold(T(th)) {}
  T operator()(T x) const { return x * beta > threshold ? x : std::log1p(std::exp(x * beta)) / beta; }
  V<T> operator()(V<T> x) const {
    V<T> bx = x * V<T>(beta);
    return select(cmp_gt(bx, V<T>(threshold)), x, vlog1p(vexp(bx)) / V<T>(beta));
  }
};
template <typename T> struct LeakyRelu {
  T slope;
  LeakyRelu(double a, double) : slope(T(a)) {}
  T operator()(T x) const { return x > 0 ? x : x * slope; }
  V<T> operator()(V<T> x) const { return select(cmp_gt(x, V<T>(T(0))), x, x * V<T>(slope)); }
};
template <typename T> struct Elu {
  T alpha;
  Elu(double a, double) : alpha(T(a)) {}
  T operator()(T x) const { return x <= 0 ? alpha * std::expm1(x) : x; }
  V<T> operator()(V<T> x) const { return select(cmp_le(x, V<T>(T(0))), V<T>(alpha) * vexpm1(x), x); }
};
// A NaN bound leaves that side open; a NaN input stays NaN.
template <typename T> struct Clamp {
  T lo, hi;
  static T bound(double v, T open) {
    if (std::isnan(v)) return open;
    if constexpr (std::is_integral_v<T>) {
      v = std::clamp(v, double(std::numeric_limits<T>::lowest()), double(std::numeric_limits<T>::max()));
    }
    return static_cast<T>(v);
  }
  Clamp(double a, double b)
      : lo(bound(a, std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity()
                                                          : std::numeric_limits<T>::lowest())),
        hi(bound(b, std::numeric_limits<T>::has_infinity ? std::numeric_limits<T>::infinity()
                                                         : std::numeric_limits<T>::max())) {}
  T operator()(T x) const {
    T r = x < lo ? lo : x;
    return r > hi ? hi : r;
  }
  V<T> operator()(V<T> x) const {
    V<T> r = select(cmp_lt(x, V<T>(lo)), V<T>(lo), x);
    return select(cmp_gt(r, V<T>(hi)), V<T>(hi), r);
  }
};
template <typename T> struct PowBy {
  T e;
  T operator()(T x) const { return std::pow(x, e); }
};
template <typename T> struct IntPowBy {
  int64_t e;
  T operator()(T x) const { return int_pow(x, e); }
};
template <typename T> struct RPow {
  T base;
  RPow(double a, double) : base(T(a)) {}
  T operator()(T x) const { return std::pow(base, x); }
};
template <typename T> struct LogicalNot {
  bool operator()(T x) const { return !x; }
  Mask<T> operator()(V<T> x) const { return cmp_eq(x, V<T>(T(0))); }
};
template <typename T> struct IsNan {
  bool operator()(T x) const { return is_nan(x); }
  Mask<T> operator()(V<T> x) const { return visnan(x); }
};
template <typename T> struct IsInf {
  bool operator()(T x) const { if constexpr (std::is_floating_point_v<T>) return std::isinf(x); else return false; }
  Mask<T> operator()(V<T> x) const { return cmp_eq(vabs(x), V<T>(std::numeric_limits<T>::infinity())); }
};
template <typename T> struct IsFinite {
  bool operator()(T x) const { if constexpr (std::is_floating_point_v<T>) return std::isfinite(x); else return true; }
  Mask<T> operator()(V<T> x) const { return cmp_lt(vabs(x), V<T>(std::numeric_limits<T>::infinity())); }
};

// ---- tensor ops (sinh ... bitwise_not) ----
template <typename T> struct Sinh {
  T operator()(T x) const { return std::sinh(x); }
};
template <typename T> struct Cosh {
  T operator()(T x) const { return std::cosh(x); }
};
template <typename T> struct Asinh {
  T operator()(T x) const { return std::asinh(x); }
};
template <typename T> struct Acosh {
  T operator()(T x) const { return std::acosh(x); }
};
template <typename T> struct Atanh {
  T operator()(T x) const { return std::atanh(x); }
};
template <typename T> struct Exp2 {
  T operator()(T x) const { return std::exp2(x); }
};
// Inverse error function: a rational first guess (central / tail regions), then two Newton
// steps on erf in double, which converge to double precision.
inline double erfinv_double(double y) {
  if (!(y > -1.0 && y < 1.0)) {
    if (y == 1.0) return std::numeric_limits<double>::infinity();
    if (y == -1.0) return -std::numeric_limits<double>::infinity();
    return std::numeric_limits<double>::quiet_NaN();
  }
  const double w = -std::log((1.0 - y) * (1.0 + y));
  double x;
  if (w < 5.0) {
    const double t = w - 2.5;
    double p = 2.81022636e-08;
    p = 3.43273939e-07 + p * t;
    p = -3.5233877e-06 + p * t;
    p = -4.39150654e-06 + p * t;
    p = 0.00021858087 + p * t;
    p = -0.00125372503 + p * t;
    p = -0.00417768164 + p * t;
    p = 0.246640727 + p * t;
    p = 1.50140941 + p * t;
    x = p * y;
  } else {
    const double t = std::sqrt(w) - 3.0;
    double p = -0.000200214257;
    p = 0.000100950558 + p * t;
    p = 0.00134934322 + p * t;
    p = -0.00367342844 + p * t;
    p = 0.00573950773 + p * t;
    p = -0.0076224613 + p * t;
    p = 0.00943887047 + p * t;
    p = 1.00167406 + p * t;
    p = 2.83297682 + p * t;
    x = p * y;
  }
  for (int i = 0; i < 2; ++i) x -= (std::erf(x) - y) / (1.1283791670955126 * std::exp(-x * x));
  return x;
}
template <typename T> struct Erfinv {
  T operator()(T x) const { return static_cast<T>(erfinv_double(static_cast<double>(x))); }
};
template <typename T> struct Erfc {
  T operator()(T x) const { return std::erfc(x); }
};
template <typename T> struct Frac {
  T operator()(T x) const { return x - std::trunc(x); }
};
template <typename T> struct Logit {
  T lo, hi;
  bool clamp;
  Logit(double eps, double) : lo(T(eps)), hi(T(1.0 - eps)), clamp(!std::isnan(eps)) {}
  T operator()(T x) const {
    const T z = clamp ? (x < lo ? lo : (x > hi ? hi : x)) : x;
    return std::log(z / (T(1) - z));
  }
};
template <typename T> struct BitwiseNot {
  T operator()(T x) const {
    if constexpr (std::is_same_v<T, bool>) return !x;
    else return static_cast<T>(~x);
  }
};

// x ** e with PyTorch's fast paths for the common exponents.
template <typename T>
void pow_scalar_loop(char* out, const char* in, int64_t n, int64_t s_out, int64_t s_in, double e, double) {
  auto run = [&](auto f) { apply_unary<T>(out, in, n, s_out, s_in, f); };
  if constexpr (std::is_floating_point_v<T>) {
    if (e == 1) return run(Identity<T>{});
    if (e == 2) return run(Square<T>{});
    if (e == 3) return run(Cube<T>{});
    if (e == 0.5) return run(Sqrt<T>{});
    if (e == -0.5) return run(Rsqrt<T>{});
    if (e == -1) return run(Reciprocal<T>{});
    run(PowBy<T>{T(e)});
  } else {
    if (e == 2) return run(Square<T>{});
    run(IntPowBy<T>{static_cast<int64_t>(e)});
  }
}

using Floats = Types<float, double>;
using Numbers = Types<int32_t, int64_t, float, double>;
using All = Types<bool, int32_t, int64_t, float, double>;

template <template <typename> class F, typename... Ts>
void set(KernelTable& t, UnaryOp op, Types<Ts...>) {
  ((t.unary[static_cast<int>(op)][dtype_index<Ts>] = &unary_loop<Ts, F<Ts>>), ...);
}

}  // namespace

void register_unary(KernelTable& t) {
  using U = UnaryOp;
  set<Neg>(t, U::Neg, Numbers{});
  set<Abs>(t, U::Abs, Numbers{});
  set<Exp>(t, U::Exp, Floats{});
  set<Log>(t, U::Log, Floats{});
  set<Sqrt>(t, U::Sqrt, Floats{});
  set<Rsqrt>(t, U::Rsqrt, Floats{});
  set<Sin>(t, U::Sin, Floats{});
  set<Cos>(t, U::Cos, Floats{});
  set<Tan>(t, U::Tan, Floats{});
  set<Tanh>(t, U::Tanh, Floats{});
  set<Sigmoid>(t, U::Sigmoid, Floats{});
  set<Relu>(t, U::Relu, Numbers{});
  set<Sign>(t, U::Sign, All{});
  set<Floor>(t, U::Floor, Numbers{});
  set<Ceil>(t, U::Ceil, Numbers{});
  set<Round>(t, U::Round, Numbers{});
  set<Trunc>(t, U::Trunc, Numbers{});
  set<Reciprocal>(t, U::Reciprocal, Floats{});
  set<Square>(t, U::Square, Numbers{});
  set<Log1p>(t, U::Log1p, Floats{});
  set<Expm1>(t, U::Expm1, Floats{});
  set<Log2>(t, U::Log2, Floats{});
  set<Log10>(t, U::Log10, Floats{});
  set<Erf>(t, U::Erf, Floats{});
  set<Asin>(t, U::Asin, Floats{});
  set<Acos>(t, U::Acos, Floats{});
  set<Atan>(t, U::Atan, Floats{});
  set<Gelu>(t, U::Gelu, Floats{});
  set<GeluTanh>(t, U::GeluTanh, Floats{});
  set<Silu>(t, U::Silu, Floats{});
  set<Softplus>(t, U::Softplus, Floats{});
  set<LeakyRelu>(t, U::LeakyRelu, Floats{});
  set<Elu>(t, U::Elu, Floats{});
  set<Clamp>(t, U::Clamp, Numbers{});
  set<RPow>(t, U::RPowScalar, Floats{});
  set<LogicalNot>(t, U::LogicalNot, All{});
  set<IsNan>(t, U::IsNan, All{});
  set<IsInf>(t, U::IsInf, All{});
  set<IsFinite>(t, U::IsFinite, All{});
  for_each_type<int32_t, int64_t, float, double>([&](auto tag) {
    using T = decltype(tag);
    t.unary[static_cast<int>(U::PowScalar)][dtype_index<T>] = &pow_scalar_loop<T>;
  });
  // ---- tensor ops (sinh ... bitwise_not) ----
  set<Sinh>(t, U::Sinh, Floats{});
  set<Cosh>(t, U::Cosh, Floats{});
  set<Asinh>(t, U::Asinh, Floats{});
  set<Acosh>(t, U::Acosh, Floats{});
  set<Atanh>(t, U::Atanh, Floats{});
  set<Exp2>(t, U::Exp2, Floats{});
  set<Erfinv>(t, U::Erfinv, Floats{});
  set<Erfc>(t, U::Erfc, Floats{});
  set<Frac>(t, U::Frac, Floats{});
  set<Logit>(t, U::Logit, Floats{});
  set<BitwiseNot>(t, U::BitwiseNot, Types<bool, int32_t, int64_t>{});
}

}  // namespace tensorforge::cpu::TF_ISA_NS
