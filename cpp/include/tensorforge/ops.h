// The tensor operations. Every function validates its arguments and throws the typed errors
// of error.h with the op's name; kernels behind them trust their inputs. Results are new
// contiguous tensors unless the doc says "view" (shares storage) or "in place".
// Dims may be negative (counted from the end). Broadcasting and type promotion follow PyTorch.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "tensorforge/op_kinds.h"
#include "tensorforge/tensor.h"

namespace tensorforge {

// ---- creation ------------------------------------------------------------------------------
Tensor zeros(const Shape& shape, DType dtype = DType::Float32);
Tensor ones(const Shape& shape, DType dtype = DType::Float32);
/// Every element set to `value` (converted to dtype).
Tensor full(const Shape& shape, double value, DType dtype = DType::Float32);
/// Values start, start+step, ... below end (above end for a negative step). step != 0.
Tensor arange(double start, double end, double step = 1.0, DType dtype = DType::Int64);
/// `steps` evenly spaced values from start to end inclusive; steps >= 0.
Tensor linspace(double start, double end, int64_t steps, DType dtype = DType::Float32);
/// n x m identity (m = n when m < 0).
Tensor eye(int64_t n, int64_t m = -1, DType dtype = DType::Float32);
/// A 0-dim tensor holding value.
Tensor scalar_tensor(double value, DType dtype);

// ---- random numbers (counter-based generators, random_ops.h; same seed -> same numbers) -----
// `gen` null means the global generator (default_generator()).
class Generator;
/// Seeds the global generator (and resets its stream).
void manual_seed(uint64_t seed);
/// Claims `count` words of the global generator's stream (for custom streams); returns the first.
uint64_t reserve_random_offset(uint64_t count);
/// The global generator's position: its seed and how many counter values it has handed out.
struct RngState {
  uint64_t seed;
  uint64_t offset;
};
/// A snapshot of the global generator; set_rng_state(snapshot) replays the numbers drawn since.
RngState get_rng_state();
void set_rng_state(const RngState& state);
/// Uniform on [0, 1). Floating dtypes only.
Tensor rand(const Shape& shape, DType dtype = DType::Float32, Generator* gen = nullptr);
/// Standard normal. Floating dtypes only.
Tensor randn(const Shape& shape, DType dtype = DType::Float32, Generator* gen = nullptr);
/// Integers uniform on [low, high); high > low.
Tensor randint(int64_t low, int64_t high, const Shape& shape, DType dtype = DType::Int64, Generator* gen = nullptr);
/// A random permutation of 0..n-1.
Tensor randperm(int64_t n, DType dtype = DType::Int64, Generator* gen = nullptr);
/// In place: fill with uniform [low, high) / normal(mean, std) values. Floating dtypes only.
void uniform_(const Tensor& t, double low, double high, Generator* gen = nullptr);
void normal_(const Tensor& t, double mean, double std, Generator* gen = nullptr);
/// 0/1 values of dtype, each 1 with probability p (0 <= p <= 1).
Tensor bernoulli(const Shape& shape, double p, DType dtype = DType::Float32, Generator* gen = nullptr);

// ---- views (share storage) -------------------------------------------------------------------
/// View with a new shape (one -1 is inferred). Throws ShapeError when the sizes disagree or
/// the strides cannot express the new shape without a copy.
Tensor view(const Tensor& x, const Shape& shape);
/// Like view, but copies when the layout requires it.
Tensor reshape(const Tensor& x, const Shape& shape);
Tensor permute(const Tensor& x, const std::vector<int64_t>& dims);
Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1);
Tensor unsqueeze(const Tensor& x, int64_t dim);
/// Removes the given dims of size 1 (all size-1 dims when `dims` is empty).
Tensor squeeze(const Tensor& x, const std::vector<int64_t>& dims = {});
Tensor flatten(const Tensor& x, int64_t start_dim = 0, int64_t end_dim = -1);
/// Broadcast view; -1 keeps a size. New leading dims may be added.
Tensor expand(const Tensor& x, const Shape& shape);
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);
/// Python-style slice start:end:step along dim (bounds clamped; step > 0).
Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step = 1);
/// Drops dim by picking one index (negative counts from the end).
Tensor select(const Tensor& x, int64_t dim, int64_t index);

// ---- copies -------------------------------------------------------------------------------
Tensor contiguous(const Tensor& x);
Tensor clone(const Tensor& x);
/// Converted copy (the same tensor when dtype already matches and copy is false).
Tensor to_dtype(const Tensor& x, DType dtype, bool copy = false);
/// In place: dst = src, broadcasting src to dst's shape and converting its dtype.
void copy_(const Tensor& dst, const Tensor& src);
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);

// ---- elementwise ------------------------------------------------------------------------------
/// The dtype PyTorch gives a binary op of a and b (0-dim tensors count as scalars).
DType result_type(const Tensor& a, const Tensor& b);
Tensor unary(UnaryOp op, const Tensor& x, double alpha = 0.0, double beta = 0.0);
/// In place: x = op(x). The result dtype must equal x's.
void unary_(UnaryOp op, const Tensor& x, double alpha = 0.0, double beta = 0.0);
Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b, double alpha = 1.0, double beta = 0.0);
/// In place: a = op(a, b); b broadcasts to a's shape; the result dtype must cast to a's.
void binary_(BinaryOp op, const Tensor& a, const Tensor& b, double alpha = 1.0, double beta = 0.0);
/// cond ? a : b with broadcasting; cond must be bool.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
/// In place: x[mask] = value (value is a 0-dim tensor or broadcastable to x).
void masked_fill_(const Tensor& x, const Tensor& mask, const Tensor& value);
void fill_(const Tensor& x, double value);

inline Tensor add(const Tensor& a, const Tensor& b, double alpha = 1.0) { return binary(BinaryOp::Add, a, b, alpha); }
inline Tensor sub(const Tensor& a, const Tensor& b, double alpha = 1.0) { return binary(BinaryOp::Sub, a, b, alpha); }
inline Tensor mul(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Mul, a, b); }
inline Tensor div(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Div, a, b); }
inline Tensor maximum(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Maximum, a, b); }
inline Tensor minimum(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Minimum, a, b); }
inline Tensor exp(const Tensor& x) { return unary(UnaryOp::Exp, x); }
inline Tensor log(const Tensor& x) { return unary(UnaryOp::Log, x); }
inline Tensor tanh(const Tensor& x) { return unary(UnaryOp::Tanh, x); }
inline Tensor sigmoid(const Tensor& x) { return unary(UnaryOp::Sigmoid, x); }
inline Tensor relu(const Tensor& x) { return unary(UnaryOp::Relu, x); }

// ---- reductions ----------------------------------------------------------------------------
/// Reduces over `dims` (all dims when empty). Sum/Prod of bool/int give int64; Mean, Var and
/// LogSumExp need a floating dtype; All/Any give bool.
Tensor reduce(ReduceOp op, const Tensor& x, const std::vector<int64_t>& dims = {},
              bool keepdim = false, double param = 0.0);
/// Values and int64 indices of the max / min along dim.
std::pair<Tensor, Tensor> max_dim(const Tensor& x, int64_t dim, bool keepdim = false);
std::pair<Tensor, Tensor> min_dim(const Tensor& x, int64_t dim, bool keepdim = false);
/// Index of the max / min (over the flattened tensor when dim is empty).
Tensor argmax(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
Tensor argmin(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
/// softmax (log = false) or log_softmax along dim; floating dtypes.
Tensor softmax(const Tensor& x, int64_t dim, bool log = false);
/// Input gradient of softmax/log_softmax given grad_out and the forward output.
Tensor softmax_backward(const Tensor& grad, const Tensor& out, int64_t dim, bool log = false);

inline Tensor sum(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false) {
  return reduce(ReduceOp::Sum, x, dims, keepdim);
}
inline Tensor mean(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false) {
  return reduce(ReduceOp::Mean, x, dims, keepdim);
}

// ---- linear algebra ------------------------------------------------------------------------
/// numpy/PyTorch matmul: 1-D and N-D operands, batch dims broadcast.
Tensor matmul(const Tensor& a, const Tensor& b);
/// [n,k] x [k,m].
Tensor mm(const Tensor& a, const Tensor& b);
/// [b,n,k] x [b,k,m].
Tensor bmm(const Tensor& a, const Tensor& b);
/// Dense layer: x [..., in] times weight [out, in] transposed, plus bias [out] (may be
/// undefined), as one GEMM whose output starts from the bias.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

// ---- indexing ------------------------------------------------------------------------------
/// PyTorch advanced indexing x[i0, i1, ...]: one entry per leading dim, an undefined Tensor
/// meaning ":"; defined entries are int64/int32 index tensors broadcast together (negative
/// indices wrap). Throws IndexError for an index out of range.
Tensor index(const Tensor& x, const std::vector<Tensor>& indices);
/// In place: x[indices] = values (or += when accumulate; duplicates then all add up).
void index_put_(const Tensor& x, const std::vector<Tensor>& indices, const Tensor& values,
                bool accumulate = false);
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
/// out[..i.., j, ..k..] = x[..i.., index[..i.., j, ..k..], ..k..] along dim.
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
/// A copy of x with src[..] added at positions index[..] along dim (duplicates accumulate).
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
/// Coordinates of the nonzero elements: int64 [count, ndim].
Tensor nonzero(const Tensor& x);
/// Elements of x where mask (broadcast to x) is true, as a 1-D tensor.
Tensor masked_select(const Tensor& x, const Tensor& mask);

}  // namespace tensorforge
