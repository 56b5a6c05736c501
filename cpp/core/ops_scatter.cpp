// Scatter front end: checks index shapes, dtypes and ranges, then runs the cpu/index scatter
// kernel with self's and src's own strides (no copies of self). Reductions without the old
// values first overwrite the targets; mean divides by a count tensor scattered the same way.
#include <cmath>
#include <limits>
#include <string>

#include "core/frontend.h"
#include "tensorforge/scatter_ops.h"

namespace tensorforge {

using namespace core;

namespace {

const char* reduce_op_name(ScatterReduce r) {
  switch (r) {
    case ScatterReduce::None: return "scatter";
    default: return "scatter_reduce";
  }
}

// The checked index, contiguous int64, and self / src seen with at least one dim.
struct ScatterArgs {
  Tensor self, index, src;
  int64_t dim = 0;
};

ScatterArgs check_scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor* src, const char* op) {
  check_defined(self, op);
  check_defined(index, op, "index");
  if (!is_integral(index.dtype()))
    fail<DTypeError>(op, "expected index to be an int64 tensor, got ", dtype_name(index.dtype()));
  if (src) {
    check_defined(*src, op, "src");
    if (src->dtype() != self.dtype())
      fail<DTypeError>(op, "expected self.dtype to be equal to src.dtype, got ", dtype_name(self.dtype()), " and ",
                       dtype_name(src->dtype()));
  }
  ScatterArgs a;
  if (self.ndim() == 0) {
    wrap_dim(dim, 0, op);
    if (index.numel() > 1 || index.ndim() > 1)
      fail<ShapeError>(op, "index ", shape_str(index.shape()), " is too large for a 0-dim self");
    a.self = self.as_strided({1}, {1}, self.offset());
    a.index = reshape(index, {index.numel()});
    if (src) {
      if (src->numel() < index.numel())
        fail<ShapeError>(op, "src ", shape_str(src->shape()), " is smaller than index ", shape_str(index.shape()));
      a.src = reshape(*src, {-1});
    }
  } else {
    a.dim = wrap_dim(dim, self.ndim(), op);
    if (index.ndim() != self.ndim())
      fail<ShapeError>(op, "index tensor must have the same number of dimensions as self tensor: index ",
                       shape_str(index.shape()), ", self ", shape_str(self.shape()));
    if (src && src->ndim() != index.ndim())
      fail<ShapeError>(op, "index tensor must have the same number of dimensions as src tensor: index ",
                       shape_str(index.shape()), ", src ", shape_str(src->shape()));
    for (int64_t k = 0; k < index.ndim(); ++k) {
      const bool over_self = k != a.dim && index.shape()[k] > self.shape()[k];
      const bool over_src = src && index.shape()[k] > src->shape()[k];
      if (over_self || over_src)
        fail<ShapeError>(op, "expected index ", shape_str(index.shape()), " to be no larger than self ",
                         shape_str(self.shape()), " apart from dimension ", a.dim, src ? " and to be no larger than src " : "",
                         src ? shape_str(src->shape()) : "");
    }
    a.self = self;
    a.index = index;
    if (src) a.src = *src;
  }
  a.index = as_contiguous(a.index, DType::Int64);
  if (a.index.storage() == self.storage()) a.index = clone(a.index);
  const int64_t size = a.self.shape()[a.dim];
  const int64_t* p = a.index.data<int64_t>();
  for (int64_t i = 0; i < a.index.numel(); ++i)
    if (static_cast<uint64_t>(p[i]) >= static_cast<uint64_t>(size))
      fail<IndexError>(op, "index ", p[i], " is out of bounds for dimension ", a.dim, " with size ", size);
  if (src && a.src.storage() == self.storage()) a.src = clone(a.src);
  return a;
}

// base (may be null): the contiguous tensor self is filled from first (see ScatterGeom).
void run_scatter(const ScatterArgs& a, const Tensor& src, bool broadcast, kernels::ScatterOp op, const char* name,
                 const Tensor* base = nullptr) {
  auto fn = need(K().scatter[static_cast<int>(a.self.dtype())], name, a.self.dtype());
  const int nd = static_cast<int>(a.index.ndim());
  const Shape zeros_strides(nd, 0);
  const kernels::ScatterGeom g{nd, static_cast<int>(a.dim), a.index.shape().data(), a.self.strides().data(),
                               broadcast ? zeros_strides.data() : src.strides().data(), a.self.shape()[a.dim],
                               base ? static_cast<const char*>(base->data_ptr()) : nullptr, base ? base->numel() : 0};
  fn(static_cast<char*>(a.self.data_ptr()), a.index.data<int64_t>(), static_cast<const char*>(src.data_ptr()), g, op);
}

kernels::ScatterOp kernel_op(ScatterReduce r) {
  switch (r) {
    case ScatterReduce::None: return kernels::ScatterOp::Assign;
    case ScatterReduce::Prod: return kernels::ScatterOp::Prod;
    case ScatterReduce::Amax: return kernels::ScatterOp::Amax;
    case ScatterReduce::Amin: return kernels::ScatterOp::Amin;
    default: return kernels::ScatterOp::Sum;
  }
}

void scatter_any(const Tensor& self, int64_t dim, const Tensor& index, const Tensor* src, double value,
                 ScatterReduce reduce, bool include_self, const char* name) {
  const ScatterArgs a = check_scatter(self, dim, index, src, name);
  if (a.index.numel() == 0) return;
  const DType dt = a.self.dtype();
  const Tensor val = src ? a.src : scalar_tensor(value, dt);
  if (reduce != ScatterReduce::None && !include_self) {
    // Drop the old values of the targets: the identity for sum / mean / prod; for amax / amin
    // any one of the target's own updates (the reduction then covers the rest).
    if (reduce == ScatterReduce::Amax || reduce == ScatterReduce::Amin)
      run_scatter(a, val, !src, kernels::ScatterOp::Assign, name);
    else
      run_scatter(a, scalar_tensor(reduce == ScatterReduce::Prod ? 1.0 : 0.0, dt), true, kernels::ScatterOp::Assign, name);
  }
  if (reduce == ScatterReduce::Mean) {
    Tensor count = full(a.self.shape(), include_self ? 1.0 : 0.0, dt == DType::Bool ? DType::Int64 : dt);
    ScatterArgs c = a;
    c.self = count;
    run_scatter(c, scalar_tensor(1.0, count.dtype()), true, kernels::ScatterOp::Sum, name);
    run_scatter(a, val, !src, kernels::ScatterOp::Sum, name);
    const Tensor denom = unary(UnaryOp::Clamp, count, 1.0, std::numeric_limits<double>::quiet_NaN());
    binary_(is_floating(dt) ? BinaryOp::Div : BinaryOp::FloorDivide, a.self, to_dtype(denom, dt));
  } else {
    run_scatter(a, val, !src, kernel_op(reduce), name);
  }
  self.bump_version();
}

// A copy of x with the scatter applied. The one-pass forms hand the copy to the kernel.
Tensor scatter_copy(const Tensor& x, int64_t dim, const Tensor& index, const Tensor* src, double value,
                    ScatterReduce reduce, bool include_self, const char* name) {
  check_defined(x, name);
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  const bool one_pass = x.is_contiguous() && reduce != ScatterReduce::Mean && (include_self || reduce == ScatterReduce::None);
  if (!one_pass) {
    copy_(out, x);
    scatter_any(out, dim, index, src, value, reduce, include_self, name);
    return out;
  }
  const ScatterArgs a = check_scatter(out, dim, index, src, name);
  if (a.index.numel() == 0) {
    copy_(out, x);
    return out;
  }
  const Tensor val = src ? a.src : scalar_tensor(value, x.dtype());
  run_scatter(a, val, !src, kernel_op(reduce), name, &x);
  return out;
}

}  // namespace

Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, ScatterReduce reduce,
               bool include_self) {
  return scatter_copy(self, dim, index, &src, 0.0, reduce, include_self, reduce_op_name(reduce));
}

Tensor scatter_value(const Tensor& self, int64_t dim, const Tensor& index, double value, ScatterReduce reduce) {
  return scatter_copy(self, dim, index, nullptr, value, reduce, true, reduce_op_name(reduce));
}

ScatterReduce scatter_reduce_from_name(const std::string& name, const char* op) {
  if (name == "sum" || name == "add") return ScatterReduce::Sum;
  if (name == "prod" || name == "multiply") return ScatterReduce::Prod;
  if (name == "mean") return ScatterReduce::Mean;
  if (name == "amax" || name == "max") return ScatterReduce::Amax;
  if (name == "amin" || name == "min") return ScatterReduce::Amin;
  fail<ValueError>(op, "reduce argument must be either sum, prod, mean, amax or amin (or add / multiply for "
                       "scatter_), got '", name, "'");
}

void scatter_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, ScatterReduce reduce,
              bool include_self) {
  scatter_any(self, dim, index, &src, 0.0, reduce, include_self, reduce_op_name(reduce));
}

void scatter_value_(const Tensor& self, int64_t dim, const Tensor& index, double value, ScatterReduce reduce) {
  scatter_any(self, dim, index, nullptr, value, reduce, true, reduce_op_name(reduce));
}

Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& idx, const Tensor& src) {
  return scatter_copy(x, dim, idx, &src, 0.0, ScatterReduce::Sum, true, "scatter_add");
}

Tensor bincount(const Tensor& x, const Tensor& weights, int64_t minlength) {
  check_defined(x, "bincount");
  if (x.ndim() != 1 || !is_integral(x.dtype()))
    fail<ValueError>("bincount", "bincount only supports 1-d non-negative integral inputs, got ",
                     dtype_name(x.dtype()), " of shape ", shape_str(x.shape()));
  if (minlength < 0) fail<ValueError>("bincount", "minlength should be >= 0, got ", minlength);
  if (weights.defined() && (weights.ndim() != 1 || weights.shape()[0] != x.shape()[0]))
    fail<ShapeError>("bincount", "weights should be 1-d and have the same length as input: weights ",
                     shape_str(weights.shape()), ", input ", shape_str(x.shape()));
  const Tensor idx = as_contiguous(x, DType::Int64);
  const int64_t* p = idx.data<int64_t>();
  int64_t top = -1;
  for (int64_t i = 0; i < idx.numel(); ++i) {
    if (p[i] < 0) fail<ValueError>("bincount", "bincount only supports 1-d non-negative integral inputs, got ", p[i]);
    top = std::max(top, p[i]);
  }
  const int64_t size = std::max(top + 1, minlength);
  if (!weights.defined()) {
    Tensor out = zeros({size}, DType::Int64);
    if (idx.numel() > 0) scatter_any(out, 0, idx, nullptr, 1.0, ScatterReduce::Sum, true, "bincount");
    return out;
  }
  const DType dt = weights.dtype() == DType::Float32 ? DType::Float32 : DType::Float64;
  Tensor out = zeros({size}, dt);
  const Tensor w = to_dtype(weights, dt);
  if (idx.numel() > 0) scatter_any(out, 0, idx, &w, 0.0, ScatterReduce::Sum, true, "bincount");
  return out;
}

Tensor histc(const Tensor& x, int64_t bins, double min, double max) {
  check_defined(x, "histc");
  if (!is_floating(x.dtype()))
    fail<DTypeError>("histc", "not implemented for dtype ", dtype_name(x.dtype()), " (expected a floating tensor)");
  if (bins <= 0) fail<ValueError>("histc", "bins must be > 0, got ", bins);
  if (min > max) fail<ValueError>("histc", "max must be larger than min, got min=", min, " max=", max);
  double lo = min, hi = max;
  if (lo == hi && x.numel() > 0) {
    lo = *to_dtype(reduce(ReduceOp::Min, x), DType::Float64).data<double>();
    hi = *to_dtype(reduce(ReduceOp::Max, x), DType::Float64).data<double>();
  }
  if (lo == hi) {
    lo -= 1;
    hi += 1;
  }
  if (!std::isfinite(lo) || !std::isfinite(hi))
    fail<ValueError>("histc", "range of [", lo, ", ", hi, "] is not finite");
  auto fn = need(K().histc[static_cast<int>(x.dtype())], "histc", x.dtype());
  const Tensor in = contiguous(x);
  Tensor out = Tensor::empty({bins}, x.dtype());
  fn(static_cast<const char*>(in.data_ptr()), in.numel(), static_cast<char*>(out.data_ptr()), bins, lo, hi);
  return out;
}

}  // namespace tensorforge
