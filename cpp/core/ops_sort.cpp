// Sorting and selection front end: moves the working dim last (contiguous [rows, n]), checks k
// and dtypes, runs the cpu/sort kernels, and moves the results back.
#include <algorithm>
#include <limits>
#include <numeric>

#include "core/frontend.h"
#include "tensorforge/sort_ops.h"

namespace tensorforge {

using namespace core;

namespace {

// x with dim moved last, as a contiguous [rows, n] block.
struct LastDim {
  Tensor input;
  int64_t d = 0, rows = 1, n = 1;
  Shape moved;  // x's shape with dim last
};

LastDim to_last(const Tensor& x, int64_t dim, const char* op) {
  check_defined(x, op);
  LastDim l;
  if (x.ndim() == 0) {
    wrap_dim(dim, 0, op);
    l.input = reshape(x, {1});
    return l;
  }
  l.d = wrap_dim(dim, x.ndim(), op);
  std::vector<int64_t> perm;
  for (int64_t i = 0; i < x.ndim(); ++i)
    if (i != l.d) perm.push_back(i);
  perm.push_back(l.d);
  for (int64_t i : perm) l.moved.push_back(x.shape()[i]);
  l.input = contiguous(l.d == x.ndim() - 1 ? x : permute(x, perm));
  l.n = x.shape()[l.d];
  l.rows = l.n ? x.numel() / l.n : shape_numel(Shape(l.moved.begin(), l.moved.end() - 1));
  if (l.n > static_cast<int64_t>(std::numeric_limits<uint32_t>::max()))
    fail<ValueError>(op, "dim ", l.d, " of size ", l.n, " is longer than the 2^32 - 1 elements supported");
  return l;
}

// A result laid out with the working dim last back in x's dim order (contiguous), or with the
// dim dropped / kept as 1 for one-per-row results.
Tensor from_last(const Tensor& t, const Tensor& x, const LastDim& l) {
  if (x.ndim() == 0) return reshape(t, {});
  if (l.d == x.ndim() - 1) return t;
  std::vector<int64_t> inv(x.ndim());
  for (int64_t i = 0, j = 0; i < x.ndim(); ++i)
    if (i != l.d) inv[i] = j++;
  inv[l.d] = x.ndim() - 1;
  return contiguous(permute(t, inv));
}

Shape reduced_shape(const Tensor& x, const LastDim& l, bool keepdim) {
  Shape s = x.shape();
  if (x.ndim() == 0) return s;
  if (keepdim) s[l.d] = 1;
  else s.erase(s.begin() + l.d);
  return s;
}

template <typename Fn>
Fn kernel(Fn const (&table)[kNumDTypes], DType dt, const char* op) {
  return need(table[static_cast<int>(dt)], op, dt);
}

// One element per row (k-th value, median, mode) through `run(in, values, indices, rows, n)`.
template <typename Run>
std::pair<Tensor, Tensor> per_row(const Tensor& x, const LastDim& l, bool keepdim, const Run& run) {
  const Shape out_shape = reduced_shape(x, l, keepdim);
  Tensor values = Tensor::empty(out_shape, x.dtype());
  Tensor indices = Tensor::empty(out_shape, DType::Int64);
  if (l.rows > 0) run(static_cast<const char*>(l.input.data_ptr()), static_cast<char*>(values.data_ptr()),
                      indices.data<int64_t>(), l.rows, l.n);
  return {values, indices};
}

void check_nonempty_dim(const Tensor& x, const LastDim& l, const char* op) {
  if (l.n == 0 && x.ndim() > 0)
    fail<IndexError>(op, "cannot compute ", op, " over dim ", l.d, " of size 0 (input shape ",
                     shape_str(x.shape()), ")");
}

}  // namespace

std::pair<Tensor, Tensor> sort(const Tensor& x, int64_t dim, bool descending) {
  const LastDim l = to_last(x, dim, "sort");
  auto fn = kernel(K().sort, x.dtype(), "sort");
  Tensor values = Tensor::empty(l.input.shape(), x.dtype());
  Tensor indices = Tensor::empty(l.input.shape(), DType::Int64);
  if (x.numel() > 0)
    fn(static_cast<const char*>(l.input.data_ptr()), static_cast<char*>(values.data_ptr()), indices.data<int64_t>(),
       l.rows, l.n, descending);
  return {from_last(values, x, l), from_last(indices, x, l)};
}

Tensor argsort(const Tensor& x, int64_t dim, bool descending) {
  const LastDim l = to_last(x, dim, "argsort");
  auto fn = kernel(K().sort, x.dtype(), "argsort");
  Tensor indices = Tensor::empty(l.input.shape(), DType::Int64);
  if (x.numel() > 0)
    fn(static_cast<const char*>(l.input.data_ptr()), nullptr, indices.data<int64_t>(), l.rows, l.n, descending);
  return from_last(indices, x, l);
}

std::pair<Tensor, Tensor> topk(const Tensor& x, int64_t k, int64_t dim, bool largest) {
  const LastDim l = to_last(x, dim, "topk");
  if (k < 0 || k > l.n)
    fail<IndexError>("topk", "k (", k, ") is out of range for dim ", l.d, " of size ", l.n, " (input shape ",
                     shape_str(x.shape()), ")");
  auto fn = kernel(K().topk, x.dtype(), "topk");
  Shape out_shape = l.input.shape();
  out_shape.back() = k;
  Tensor values = Tensor::empty(out_shape, x.dtype());
  Tensor indices = Tensor::empty(out_shape, DType::Int64);
  if (k > 0 && l.rows > 0)
    fn(static_cast<const char*>(l.input.data_ptr()), static_cast<char*>(values.data_ptr()), indices.data<int64_t>(),
       l.rows, l.n, k, largest);
  return {from_last(values, x, l), from_last(indices, x, l)};
}

std::pair<Tensor, Tensor> kthvalue(const Tensor& x, int64_t k, int64_t dim, bool keepdim) {
  const LastDim l = to_last(x, dim, "kthvalue");
  if (k < 1 || k > l.n)
    fail<IndexError>("kthvalue", "k (", k, ") is out of range for dim ", l.d, " of size ", l.n, " (input shape ",
                     shape_str(x.shape()), ")");
  auto fn = kernel(K().kthvalue, x.dtype(), "kthvalue");
  return per_row(x, l, keepdim, [&](const char* in, char* v, int64_t* i, int64_t rows, int64_t n) {
    fn(in, v, i, rows, n, k - 1, 0);
  });
}

std::pair<Tensor, Tensor> median_dim(const Tensor& x, int64_t dim, bool keepdim, bool ignore_nan) {
  const char* op = ignore_nan ? "nanmedian" : "median";
  const LastDim l = to_last(x, dim, op);
  check_nonempty_dim(x, l, op);
  auto fn = kernel(K().kthvalue, x.dtype(), op);
  return per_row(x, l, keepdim, [&](const char* in, char* v, int64_t* i, int64_t rows, int64_t n) {
    fn(in, v, i, rows, n, 0, ignore_nan ? 2 : 1);
  });
}

Tensor median(const Tensor& x, bool ignore_nan) {
  const char* op = ignore_nan ? "nanmedian" : "median";
  check_defined(x, op);
  if (x.numel() == 0) {
    if (!is_floating(x.dtype())) fail<IndexError>(op, "cannot compute the median of an empty ", dtype_name(x.dtype()), " tensor");
    return scalar_tensor(std::numeric_limits<double>::quiet_NaN(), x.dtype());
  }
  return median_dim(reshape(x, {-1}), 0, false, ignore_nan).first;
}

std::pair<Tensor, Tensor> mode(const Tensor& x, int64_t dim, bool keepdim) {
  const LastDim l = to_last(x, dim, "mode");
  check_nonempty_dim(x, l, "mode");
  auto fn = kernel(K().mode, x.dtype(), "mode");
  return per_row(x, l, keepdim, fn);
}

// ---- unique ----------------------------------------------------------------------------------
namespace {

// Runs of a sequence whose neighbours differ where `differs` (length n - 1) is true: the start of
// each run, and each element's run number.
struct Runs {
  std::vector<int64_t> starts;
  Tensor run_of;  // int64 [n]
};

Runs find_runs(const Tensor& differs, int64_t n) {
  Runs r;
  r.run_of = Tensor::empty({n}, DType::Int64);
  int64_t* id = r.run_of.data<int64_t>();
  if (n == 0) return r;
  const Tensor d = as_contiguous(differs, DType::Bool);
  const bool* p = d.data<bool>();
  r.starts.push_back(0);
  id[0] = 0;
  for (int64_t i = 1; i < n; ++i) {
    if (p[i - 1]) r.starts.push_back(i);
    id[i] = static_cast<int64_t>(r.starts.size()) - 1;
  }
  return r;
}

Tensor int64_tensor(const std::vector<int64_t>& v) {
  Tensor t = Tensor::empty({static_cast<int64_t>(v.size())}, DType::Int64);
  std::copy(v.begin(), v.end(), t.data<int64_t>());
  return t;
}

Tensor run_counts(const Runs& r, int64_t n) {
  std::vector<int64_t> c(r.starts.size());
  for (size_t i = 0; i < r.starts.size(); ++i)
    c[i] = (i + 1 < r.starts.size() ? r.starts[i + 1] : n) - r.starts[i];
  return int64_tensor(c);
}

// Whether consecutive slices (rows of a [n, m] tensor) differ: any element != along the row.
Tensor rows_differ(const Tensor& rows) {
  const int64_t n = rows.shape()[0];
  if (n < 2) return Tensor::empty({0}, DType::Bool);
  Tensor ne = binary(BinaryOp::Ne, slice(rows, 0, 1, n), slice(rows, 0, 0, n - 1));
  if (rows.ndim() == 1) return ne;
  return reduce(ReduceOp::Any, ne, {1});
}

// The shared tail of unique / unique_consecutive: `seq` ([n] or [n, m] slices) is in run order,
// `order[i]` is the input position of seq's row i (null: the identity).
UniqueResult collect_runs(const Tensor& seq, const Tensor* order, bool return_inverse, bool return_counts) {
  const int64_t n = seq.shape()[0];
  const Runs r = find_runs(rows_differ(seq), n);
  UniqueResult out;
  out.values = n == 0 ? seq : index(seq, {int64_tensor(r.starts)});
  if (return_counts) out.counts = run_counts(r, n);
  if (return_inverse) {
    if (order) {
      out.inverse = Tensor::empty({n}, DType::Int64);
      const Tensor o = as_contiguous(*order, DType::Int64);
      const int64_t* op = o.data<int64_t>();
      const int64_t* id = r.run_of.data<int64_t>();
      int64_t* inv = out.inverse.data<int64_t>();
      for (int64_t i = 0; i < n; ++i) inv[op[i]] = id[i];
    } else {
      out.inverse = r.run_of;
    }
  }
  return out;
}

// Slices along d as the rows of a contiguous [n, m] tensor, and back.
Tensor slices_as_rows(const Tensor& x, int64_t d) {
  std::vector<int64_t> perm{d};
  for (int64_t i = 0; i < x.ndim(); ++i)
    if (i != d) perm.push_back(i);
  return reshape(contiguous(permute(x, perm)), {x.shape()[d], -1});
}

Tensor rows_as_slices(const Tensor& rows, const Tensor& x, int64_t d) {
  Shape s{rows.shape()[0]};
  for (int64_t i = 0; i < x.ndim(); ++i)
    if (i != d) s.push_back(x.shape()[i]);
  std::vector<int64_t> inv(x.ndim());
  for (int64_t i = 0, j = 1; i < x.ndim(); ++i) inv[i] = i == d ? 0 : j++;
  return contiguous(permute(reshape(rows, s), inv));
}

UniqueResult unique_impl(const Tensor& x, bool return_inverse, bool return_counts, std::optional<int64_t> dim,
                         bool consecutive, const char* op) {
  check_defined(x, op);
  need(K().sort[static_cast<int>(x.dtype())], op, x.dtype());
  if (!dim) {
    const Tensor flat = reshape(x, {-1});
    UniqueResult r;
    if (consecutive) {
      r = collect_runs(flat, nullptr, return_inverse, return_counts);
    } else {
      auto [sorted, perm] = sort(flat, 0, false);
      r = collect_runs(sorted, &perm, return_inverse, return_counts);
    }
    if (return_inverse) r.inverse = reshape(r.inverse, x.shape());
    return r;
  }
  if (x.ndim() == 0) fail<IndexError>(op, "dim ", *dim, " out of range for a 0-dim tensor");
  const int64_t d = wrap_dim(*dim, x.ndim(), op);
  if (x.shape()[d] == 0 && x.numel() == 0) {
    UniqueResult r;
    r.values = x;
    if (return_inverse) r.inverse = Tensor::empty({0}, DType::Int64);
    if (return_counts) r.counts = Tensor::empty({0}, DType::Int64);
    return r;
  }
  if (x.numel() == 0)
    fail<ValueError>(op, "number of columns (slices along dim ", d, ") cannot be empty for a tensor of shape ",
                     shape_str(x.shape()));
  const Tensor rows = slices_as_rows(x, d);
  UniqueResult r;
  if (consecutive) {
    r = collect_runs(rows, nullptr, return_inverse, return_counts);
  } else {
    // Lexicographic order of the rows: stable sorts by each column, the last column first.
    const int64_t n = rows.shape()[0], m = rows.shape()[1];
    Tensor order = arange(0, static_cast<double>(n), 1, DType::Int64);
    for (int64_t c = m - 1; c >= 0; --c) {
      const Tensor col = index(select(rows, 1, c), {order});
      order = index(order, {argsort(col, 0, false)});
    }
    r = collect_runs(index(rows, {order}), &order, return_inverse, return_counts);
  }
  r.values = rows_as_slices(r.values, x, d);
  return r;
}

}  // namespace

UniqueResult unique(const Tensor& x, bool return_inverse, bool return_counts, std::optional<int64_t> dim) {
  return unique_impl(x, return_inverse, return_counts, dim, false, "unique");
}

UniqueResult unique_consecutive(const Tensor& x, bool return_inverse, bool return_counts,
                                std::optional<int64_t> dim) {
  return unique_impl(x, return_inverse, return_counts, dim, true, "unique_consecutive");
}

// ---- binary search ---------------------------------------------------------------------------
Tensor searchsorted(const Tensor& sorted, const Tensor& values, bool out_int32, bool right, const Tensor& sorter) {
  const char* op = "searchsorted";
  check_defined(sorted, op, "sorted_sequence");
  check_defined(values, op, "input");
  if (sorted.ndim() == 0)
    fail<ShapeError>(op, "boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries tensor "
                         "and input value tensor must match, but got a 0-dim boundaries tensor");
  const bool shared = sorted.ndim() == 1;
  if (!shared) {
    const bool match = values.ndim() == sorted.ndim() &&
                       std::equal(sorted.shape().begin(), sorted.shape().end() - 1, values.shape().begin());
    if (!match)
      fail<ShapeError>(op, "boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries tensor "
                           "and input value tensor must match, but we got boundaries tensor ",
                       shape_str(sorted.shape()), " and input value tensor ", shape_str(values.shape()));
  }
  if (sorter.defined()) {
    if (sorter.dtype() != DType::Int64)
      fail<DTypeError>(op, "sorter must be a tensor of long dtype, got ", dtype_name(sorter.dtype()));
    if (sorter.shape() != sorted.shape())
      fail<ShapeError>(op, "boundary and sorter must have the same size, but got boundary ", shape_str(sorted.shape()),
                       " and sorter ", shape_str(sorter.shape()));
  }
  const DType dt = promote_types(sorted.dtype(), values.dtype());
  auto fn = kernel(K().searchsorted, dt, op);
  const int64_t n = sorted.shape().back();
  const Tensor s = as_contiguous(sorted, dt), v = as_contiguous(values, dt);
  Tensor srt;
  if (sorter.defined()) {
    srt = contiguous(sorter);
    const int64_t* p = srt.data<int64_t>();
    for (int64_t i = 0; i < srt.numel(); ++i)
      if (p[i] < 0 || p[i] >= n)
        fail<IndexError>(op, "sorter index out of range: ", p[i], " for a last dim of size ", n);
  }
  Tensor out = Tensor::empty(values.shape(), out_int32 ? DType::Int32 : DType::Int64);
  const int64_t m = values.ndim() == 0 ? 1 : values.shape().back();
  const int64_t rows = m ? values.numel() / m : 0;
  if (values.numel() > 0)
    fn(static_cast<const char*>(s.data_ptr()), srt.defined() ? srt.data<int64_t>() : nullptr, shared ? 0 : n,
       static_cast<const char*>(v.data_ptr()), static_cast<char*>(out.data_ptr()), out_int32, rows, n, m, right);
  return out;
}

Tensor bucketize(const Tensor& x, const Tensor& boundaries, bool out_int32, bool right) {
  check_defined(boundaries, "bucketize", "boundaries");
  if (boundaries.ndim() != 1)
    fail<ShapeError>("bucketize", "boundaries tensor must be 1 dimension, but got shape ",
                     shape_str(boundaries.shape()));
  return searchsorted(boundaries, x, out_int32, right);
}

}  // namespace tensorforge
