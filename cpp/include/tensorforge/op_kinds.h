// The elementwise and reduction operations the kernels implement, as enums shared by the op
// front end, the dispatch table and the bindings.
#pragma once

#include <cstdint>

namespace tensorforge {

/// One-input elementwise operations. `alpha`/`beta` parameterise the ones that need it.
enum class UnaryOp : uint8_t {
  Neg, Abs, Exp, Log, Sqrt, Rsqrt, Sin, Cos, Tan, Tanh, Sigmoid, Relu, Sign, Floor, Ceil,
  Round, Trunc, Reciprocal, Square, Log1p, Expm1, Log2, Log10, Erf, Asin, Acos, Atan,
  Gelu,        // exact (erf) GELU
  GeluTanh,    // tanh approximation
  Silu,
  Softplus,    // alpha = beta, beta = threshold
  LeakyRelu,   // alpha = negative slope
  Elu,         // alpha
  Clamp,       // alpha = min, beta = max (NaN = unbounded)
  PowScalar,   // x ** alpha
  RPowScalar,  // alpha ** x
  LogicalNot,  // output bool
  IsNan,       // output bool
  IsInf,       // output bool
  IsFinite,    // output bool
  // ---- tensor ops (sinh ... bitwise_not) ----
  Sinh, Cosh, Asinh, Acosh, Atanh, Exp2, Erfinv, Erfc,
  Frac,        // x - trunc(x)
  Logit,       // log(z / (1 - z)), z = x clamped to [alpha, 1 - alpha] (alpha NaN: no clamp)
  BitwiseNot,  // ~x for integers, logical not for bool
  Count
};

/// Two-input elementwise operations (after broadcasting). The *Backward ops compute an
/// activation's input gradient from (grad_out, saved) in one pass; `alpha` as in UnaryOp.
enum class BinaryOp : uint8_t {
  Add,  // a + alpha * b
  Sub,  // a - alpha * b
  Mul, Div, Pow, Maximum, Minimum, Remainder, FloorDivide, Atan2,
  Eq, Ne, Lt, Le, Gt, Ge,                  // output bool
  LogicalAnd, LogicalOr, LogicalXor,       // output bool
  ReluBackward,       // (grad, out)
  SigmoidBackward,    // (grad, out)
  TanhBackward,       // (grad, out)
  GeluBackward,       // (grad, x)
  GeluTanhBackward,   // (grad, x)
  SiluBackward,       // (grad, x)
  SoftplusBackward,   // (grad, x), alpha = beta, beta = threshold
  LeakyReluBackward,  // (grad, x), alpha = slope
  EluBackward,        // (grad, x), alpha
  // ---- tensor ops (fmod ... shifts) ----
  Fmod,               // C's fmod: the result takes the dividend's sign
  Hypot,
  Xlogy,              // a * log(b), 0 where a == 0 (unless b is NaN)
  BitwiseAnd, BitwiseOr, BitwiseXor,  // integers and bool
  LeftShift, RightShift,              // integers; shifts outside [0, bits) give 0 (right: the sign)
  Count
};

/// Reductions along dims.
enum class ReduceOp : uint8_t {
  Sum, Mean, Prod, Max, Min,
  Var,        // param = correction (1 = unbiased)
  LogSumExp,
  All, Any,   // bool in, bool out
  Count
};

/// True for the binary ops whose output is bool.
inline bool binary_outputs_bool(BinaryOp op) {
  return (op >= BinaryOp::Eq && op <= BinaryOp::LogicalXor);
}
/// True for the unary ops whose output is bool.
inline bool unary_outputs_bool(UnaryOp op) { return op >= UnaryOp::LogicalNot && op <= UnaryOp::IsFinite; }

}  // namespace tensorforge
