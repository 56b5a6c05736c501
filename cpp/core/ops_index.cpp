// Advanced indexing front end. Every indexing op becomes one plan: the element offset of each
// index position (broadcast index tensors) plus the strided block of the non-indexed dims.
#include <algorithm>

#include "core/frontend.h"

namespace tensorforge {

using namespace core;

namespace {

struct IndexPlan {
  std::vector<int64_t> offsets;  // one per broadcast index position, in elements
  Shape index_shape;             // broadcast shape of the index tensors
  Shape rest_shape, rest_strides;
  Shape result_shape;            // PyTorch's result shape
  std::vector<int64_t> to_result;  // permutation from (index dims, rest dims) to result order
};

// Bool masks become one int64 index per masked dim (their nonzero coordinates).
std::vector<Tensor> expand_masks(const Tensor& x, const std::vector<Tensor>& indices, const char* op) {
  std::vector<Tensor> out;
  for (const Tensor& idx : indices) {
    if (idx.defined() && idx.dtype() == DType::Bool) {
      const int64_t start = static_cast<int64_t>(out.size());
      if (start + idx.ndim() > x.ndim())
        fail<IndexError>(op, "too many indices for tensor of dimension ", x.ndim(), " (mask of shape ",
                         shape_str(idx.shape()), ")");
      for (int64_t d = 0; d < idx.ndim(); ++d)
        if (idx.shape()[d] != x.shape()[start + d])
          fail<IndexError>(op, "the shape of the mask ", shape_str(idx.shape()), " at index ", d,
                           " does not match the shape of the indexed tensor ", shape_str(x.shape()));
      Tensor nz = nonzero(idx);
      for (int64_t d = 0; d < idx.ndim(); ++d) out.push_back(select(nz, 1, d));
    } else {
      out.push_back(idx);
    }
  }
  return out;
}

IndexPlan plan_index(const Tensor& x, const std::vector<Tensor>& raw, const char* op) {
  if (static_cast<int64_t>(raw.size()) > x.ndim())
    fail<IndexError>(op, "too many indices for tensor of dimension ", x.ndim(), " (got ", raw.size(), ")");
  const std::vector<Tensor> indices = expand_masks(x, raw, op);
  IndexPlan p;
  std::vector<int64_t> indexed_dims;
  for (size_t d = 0; d < indices.size(); ++d) {
    if (!indices[d].defined()) continue;
    const DType dt = indices[d].dtype();
    if (dt != DType::Int64 && dt != DType::Int32)
      fail<DTypeError>(op, "tensors used as indices must be long, int or bool tensors, got ", dtype_name(dt));
    p.index_shape = indexed_dims.empty() ? indices[d].shape() : broadcast_shapes(p.index_shape, indices[d].shape(), op);
    indexed_dims.push_back(static_cast<int64_t>(d));
  }
  if (indexed_dims.empty()) fail<IndexError>(op, "expected at least one index tensor");
  const int64_t nb = shape_numel(p.index_shape);
  p.offsets.assign(nb, x.offset());
  for (int64_t d : indexed_dims) {
    const Tensor idx = as_contiguous(expand(indices[d], p.index_shape), DType::Int64);
    const int64_t* v = idx.data<int64_t>();
    const int64_t size = x.shape()[d], stride = x.strides()[d];
    for (int64_t b = 0; b < nb; ++b) {
      int64_t i = v[b];
      if (i < -size || i >= size)
        fail<IndexError>(op, "index ", i, " is out of bounds for dimension ", d, " with size ", size);
      if (i < 0) i += size;
      p.offsets[b] += i * stride;
    }
  }
  std::vector<int64_t> rest_dims;
  for (int64_t d = 0; d < x.ndim(); ++d)
    if (std::find(indexed_dims.begin(), indexed_dims.end(), d) == indexed_dims.end()) rest_dims.push_back(d);
  for (int64_t d : rest_dims) {
    p.rest_shape.push_back(x.shape()[d]);
    p.rest_strides.push_back(x.strides()[d]);
  }
  // Adjacent index tensors keep their place in the result; separated ones go first (PyTorch/numpy).
  const bool adjacent = indexed_dims.back() - indexed_dims.front() + 1 == static_cast<int64_t>(indexed_dims.size());
  const int64_t before = adjacent ? indexed_dims.front() : 0;
  const int64_t nidx = static_cast<int64_t>(p.index_shape.size());
  const int64_t nrest = static_cast<int64_t>(rest_dims.size());
  for (int64_t i = 0; i < before; ++i) p.to_result.push_back(nidx + i);
  for (int64_t i = 0; i < nidx; ++i) p.to_result.push_back(i);
  for (int64_t i = before; i < nrest; ++i) p.to_result.push_back(nidx + i);
  Shape natural = p.index_shape;
  natural.insert(natural.end(), p.rest_shape.begin(), p.rest_shape.end());
  for (int64_t j : p.to_result) p.result_shape.push_back(natural[j]);
  return p;
}

Shape natural_shape(const IndexPlan& p) {
  Shape s = p.index_shape;
  s.insert(s.end(), p.rest_shape.begin(), p.rest_shape.end());
  return s;
}

Tensor index_as(const Tensor& x, const std::vector<Tensor>& indices, const char* op) {
  check_defined(x, op);
  const IndexPlan p = plan_index(x, indices, op);
  Tensor natural = Tensor::empty(natural_shape(p), x.dtype());
  if (natural.numel() > 0)
    K().index_gather(static_cast<char*>(natural.data_ptr()), static_cast<const char*>(x.storage()->data()),
                     p.offsets.data(), static_cast<int64_t>(p.offsets.size()), p.rest_shape.data(),
                     p.rest_strides.data(), static_cast<int>(p.rest_shape.size()), x.itemsize());
  return contiguous(permute(natural, p.to_result));
}

void index_put_as(const Tensor& x, const std::vector<Tensor>& indices, const Tensor& values, bool accumulate,
                  const char* op) {
  check_defined(x, op);
  check_defined(values, op, "values");
  const IndexPlan p = plan_index(x, indices, op);
  if (broadcast_shapes(p.result_shape, values.shape(), op) != p.result_shape)
    fail<ShapeError>(op, "shape mismatch: value tensor of shape ", shape_str(values.shape()),
                     " cannot be broadcast to indexing result of shape ", shape_str(p.result_shape));
  // Bring the values into (index dims, rest dims) order, contiguous, in x's dtype.
  std::vector<int64_t> inverse(p.to_result.size());
  for (size_t i = 0; i < p.to_result.size(); ++i) inverse[p.to_result[i]] = static_cast<int64_t>(i);
  const Tensor v = as_contiguous(permute(expand(values, p.result_shape), inverse), x.dtype());
  auto fn = need(K().index_put[static_cast<int>(x.dtype())], op, x.dtype());
  if (v.numel() > 0)
    fn(static_cast<char*>(x.storage()->data()), static_cast<const char*>(v.data_ptr()), p.offsets.data(),
       static_cast<int64_t>(p.offsets.size()), p.rest_shape.data(), p.rest_strides.data(),
       static_cast<int>(p.rest_shape.size()), accumulate);
  x.bump_version();
}

}  // namespace

Tensor index(const Tensor& x, const std::vector<Tensor>& indices) { return index_as(x, indices, "index"); }

void index_put_(const Tensor& x, const std::vector<Tensor>& indices, const Tensor& values, bool accumulate) {
  index_put_as(x, indices, values, accumulate, "index_put_");
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& idx) {
  check_defined(x, "index_select");
  check_defined(idx, "index_select", "index");
  if (idx.ndim() > 1)
    fail<ShapeError>("index_select", "index must be 0-D or 1-D, got shape ", shape_str(idx.shape()));
  if (idx.dtype() != DType::Int64 && idx.dtype() != DType::Int32)
    fail<DTypeError>("index_select", "index must be an int64 or int32 tensor, got ", dtype_name(idx.dtype()));
  if (x.ndim() == 0) {
    wrap_dim(dim, 0, "index_select");
    return index(reshape(x, {1}), {reshape(idx, {-1})}).as_strided({}, {}, 0);
  }
  const int64_t d = wrap_dim(dim, x.ndim(), "index_select");
  std::vector<Tensor> list(d);
  list.push_back(reshape(idx, {-1}));
  return index(x, list);
}

namespace {
// gather index lists: arange along every dim except `dim`, which takes `idx`.
std::vector<Tensor> gather_indices(const Tensor& x, int64_t d, const Tensor& idx, const char* op) {
  if (idx.dtype() != DType::Int64)
    fail<DTypeError>(op, "expected index to be an int64 tensor, got ", dtype_name(idx.dtype()));
  if (idx.ndim() != x.ndim())
    fail<ShapeError>(op, "index tensor must have the same number of dims as input: index ",
                     shape_str(idx.shape()), " vs input ", shape_str(x.shape()));
  std::vector<Tensor> list;
  for (int64_t k = 0; k < x.ndim(); ++k) {
    if (k == d) {
      list.push_back(idx);
      continue;
    }
    if (idx.shape()[k] > x.shape()[k])
      fail<ShapeError>(op, "size of index ", shape_str(idx.shape()), " exceeds the input ", shape_str(x.shape()),
                       " at dim ", k);
    Shape view_shape(x.ndim(), 1);
    view_shape[k] = idx.shape()[k];
    list.push_back(reshape(arange(0, static_cast<double>(idx.shape()[k]), 1, DType::Int64), view_shape));
  }
  return list;
}
}  // namespace

Tensor gather(const Tensor& x, int64_t dim, const Tensor& idx) {
  check_defined(x, "gather");
  check_defined(idx, "gather", "index");
  if (x.ndim() == 0) return index_select(x, dim, idx);
  const int64_t d = wrap_dim(dim, x.ndim(), "gather");
  if (idx.numel() == 0) return Tensor::empty(idx.shape(), x.dtype());
  return index_as(x, gather_indices(x, d, idx, "gather"), "gather");
}

Tensor nonzero(const Tensor& x) {
  check_defined(x, "nonzero");
  const Tensor b = as_contiguous(x, DType::Bool);
  const bool* p = b.data<bool>();
  const int64_t n = b.numel(), nd = x.ndim();
  int64_t count = 0;
  for (int64_t i = 0; i < n; ++i) count += p[i];
  Tensor out = Tensor::empty({count, nd}, DType::Int64);
  int64_t* o = out.data<int64_t>();
  const Shape& shape = x.shape();
  for (int64_t i = 0; i < n; ++i) {
    if (!p[i]) continue;
    int64_t rem = i;
    for (int64_t d = nd - 1; d >= 0; --d) {
      o[d] = rem % shape[d];
      rem /= shape[d];
    }
    o += nd;
  }
  return out;
}

Tensor masked_select(const Tensor& x, const Tensor& mask) {
  check_defined(x, "masked_select");
  check_defined(mask, "masked_select", "mask");
  if (mask.dtype() != DType::Bool)
    fail<DTypeError>("masked_select", "expected mask to be a bool tensor, got ", dtype_name(mask.dtype()));
  const Shape shape = broadcast_shapes(x.shape(), mask.shape(), "masked_select");
  if (shape.empty()) return reshape(index(reshape(x, {1}), {reshape(mask, {1})}), {-1});
  return index(expand(x, shape), {expand(mask, shape)});
}

}  // namespace tensorforge
