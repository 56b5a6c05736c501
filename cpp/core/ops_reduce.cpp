// Reduction front end: normalises dims, lays the input out as [outer, r, inner], picks the kernel.
#include <algorithm>

#include "core/frontend.h"

namespace tensorforge {

using namespace core;

namespace {

const char* reduce_name(ReduceOp op) {
  static const char* names[] = {"sum", "mean", "prod", "amax", "amin", "var", "logsumexp", "all", "any"};
  static_assert(sizeof(names) / sizeof(names[0]) == static_cast<int>(ReduceOp::Count));
  return names[static_cast<int>(op)];
}

// The input as a contiguous [outer, r, inner] block, and the output shape.
struct Layout {
  Tensor input;
  int64_t outer = 1, r = 1, inner = 1;
  Shape out_shape;
};

Layout layout_for(const Tensor& x, const std::vector<int64_t>& dims_in, bool keepdim, const char* op) {
  const int64_t nd = x.ndim();
  std::vector<bool> reduced(std::max<int64_t>(nd, 1), dims_in.empty());
  std::vector<bool> seen(reduced.size(), false);
  for (int64_t d : dims_in) {
    const int64_t w = wrap_dim(d, nd, op);
    if (seen[w]) fail<ValueError>(op, "dim ", w, " appears multiple times in the list of dims");
    seen[w] = reduced[w] = true;
  }
  Layout l;
  for (int64_t d = 0; d < nd; ++d) {
    if (!reduced[d]) l.out_shape.push_back(x.shape()[d]);
    else if (keepdim) l.out_shape.push_back(1);
  }
  // Reduced dims forming one block of a contiguous tensor need no copy.
  int64_t first = -1, last = -1;
  for (int64_t d = 0; d < nd; ++d)
    if (reduced[d]) {
      if (first < 0) first = d;
      last = d;
    }
  bool block = first >= 0;
  for (int64_t d = first; block && d <= last; ++d) block = reduced[d];
  if (nd == 0 || first < 0) {
    l.input = contiguous(x);
    return l;
  }
  if (block && x.is_contiguous()) {
    l.input = x;
    for (int64_t d = 0; d < first; ++d) l.outer *= x.shape()[d];
    for (int64_t d = first; d <= last; ++d) l.r *= x.shape()[d];
    for (int64_t d = last + 1; d < nd; ++d) l.inner *= x.shape()[d];
    return l;
  }
  std::vector<int64_t> perm;
  for (int64_t d = 0; d < nd; ++d)
    if (!reduced[d]) {
      perm.push_back(d);
      l.outer *= x.shape()[d];
    }
  for (int64_t d = 0; d < nd; ++d)
    if (reduced[d]) {
      perm.push_back(d);
      l.r *= x.shape()[d];
    }
  l.input = contiguous(permute(x, perm));
  return l;
}

DType reduce_out_dtype(ReduceOp op, DType in) {
  switch (op) {
    case ReduceOp::Sum: case ReduceOp::Prod:
      return is_floating(in) ? in : DType::Int64;
    case ReduceOp::All: case ReduceOp::Any:
      return DType::Bool;
    default:
      return in;
  }
}

std::pair<Tensor, Tensor> arg_reduce(const Tensor& x, std::optional<int64_t> dim, bool keepdim, bool is_max,
                                     bool want_values, const char* op) {
  check_defined(x, op);
  if (x.dtype() == DType::Bool) fail<DTypeError>(op, "not implemented for dtype bool");
  Layout l;
  if (dim) {
    l = layout_for(x, {*dim}, keepdim, op);
  } else {
    l.input = contiguous(x);
    l.r = x.numel();
    if (keepdim) l.out_shape.assign(x.ndim(), 1);
  }
  if (l.r == 0)
    fail<IndexError>(op, "cannot reduce over a zero-size dimension (input shape ", shape_str(x.shape()), ")");
  auto fn = need(is_max ? K().argmax[static_cast<int>(x.dtype())] : K().argmin[static_cast<int>(x.dtype())], op, x.dtype());
  Tensor values = want_values ? Tensor::empty(l.out_shape, x.dtype()) : Tensor();
  Tensor idx = Tensor::empty(l.out_shape, DType::Int64);
  fn(static_cast<const char*>(l.input.data_ptr()), want_values ? static_cast<char*>(values.data_ptr()) : nullptr,
     idx.data<int64_t>(), l.outer, l.r, l.inner);
  return {values, idx};
}

}  // namespace

Tensor reduce(ReduceOp op, const Tensor& x, const std::vector<int64_t>& dims, bool keepdim, double param) {
  const char* name = reduce_name(op);
  check_defined(x, name);
  Tensor in = x;
  if (op == ReduceOp::All || op == ReduceOp::Any) {
    in = to_dtype(x, DType::Bool);
  } else if ((op == ReduceOp::Mean || op == ReduceOp::Var) && !is_floating(x.dtype())) {
    fail<DTypeError>(name, "could not infer output dtype: input dtype must be floating point, got ",
                     dtype_name(x.dtype()));
  } else if (op == ReduceOp::LogSumExp && !is_floating(x.dtype())) {
    in = to_dtype(x, DType::Float32);
  }
  Layout l = layout_for(in, dims, keepdim, name);
  if (l.r == 0 && (op == ReduceOp::Max || op == ReduceOp::Min))
    fail<IndexError>(name, "cannot reduce over a zero-size dimension (input shape ", shape_str(x.shape()),
                     "); specify a non-empty dim");
  auto fn = need(K().reduce[static_cast<int>(op)][static_cast<int>(in.dtype())], name, in.dtype());
  Tensor out = Tensor::empty(l.out_shape, reduce_out_dtype(op, in.dtype()));
  if (out.numel() > 0)
    fn(static_cast<const char*>(l.input.data_ptr()), static_cast<char*>(out.data_ptr()), l.outer, l.r, l.inner, param);
  return out;
}

std::pair<Tensor, Tensor> max_dim(const Tensor& x, int64_t dim, bool keepdim) {
  return arg_reduce(x, dim, keepdim, true, true, "max");
}
std::pair<Tensor, Tensor> min_dim(const Tensor& x, int64_t dim, bool keepdim) {
  return arg_reduce(x, dim, keepdim, false, true, "min");
}
Tensor argmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  return arg_reduce(x, dim, keepdim, true, false, "argmax").second;
}
Tensor argmin(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  return arg_reduce(x, dim, keepdim, false, false, "argmin").second;
}

Tensor softmax(const Tensor& x, int64_t dim, bool log) {
  const char* op = log ? "log_softmax" : "softmax";
  check_defined(x, op);
  if (!is_floating(x.dtype())) fail<DTypeError>(op, "not implemented for dtype ", dtype_name(x.dtype()));
  const DimLayout l = dim_layout(x, dim, op);
  const Tensor in = contiguous(x);
  auto fn = need(K().softmax[static_cast<int>(x.dtype())], op, x.dtype());
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  if (x.numel() > 0)
    fn(static_cast<const char*>(in.data_ptr()), static_cast<char*>(out.data_ptr()), l.outer, l.n, l.inner, log);
  return out;
}

Tensor softmax_backward(const Tensor& grad, const Tensor& out, int64_t dim, bool log) {
  const char* op = log ? "log_softmax_backward" : "softmax_backward";
  check_defined(grad, op);
  check_defined(out, op);
  if (grad.shape() != out.shape())
    fail<ShapeError>(op, "grad shape ", shape_str(grad.shape()), " differs from output shape ", shape_str(out.shape()));
  const DimLayout l = dim_layout(out, dim, op);
  const Tensor g = as_contiguous(grad, out.dtype()), o = contiguous(out);
  auto fn = need(K().softmax_backward[static_cast<int>(out.dtype())], op, out.dtype());
  Tensor gin = Tensor::empty(out.shape(), out.dtype());
  if (out.numel() > 0)
    fn(static_cast<const char*>(g.data_ptr()), static_cast<const char*>(o.data_ptr()),
       static_cast<char*>(gin.data_ptr()), l.outer, l.n, l.inner, log);
  return gin;
}

}  // namespace tensorforge
