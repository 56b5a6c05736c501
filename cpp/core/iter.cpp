#include "core/iter.h"

#include <algorithm>

namespace tensorforge::core {

int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op) {
  const int64_t n = std::max<int64_t>(ndim, 1);
  if (dim < -n || dim >= n)
    fail<IndexError>(op, "dim ", dim, " out of range for a tensor of ", ndim, " dims (expected in [",
                     -n, ", ", n - 1, "])");
  return dim < 0 ? dim + n : dim;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const size_t nd = std::max(a.size(), b.size());
  Shape out(nd);
  for (size_t i = 0; i < nd; ++i) {
    const int64_t sa = i < nd - a.size() ? 1 : a[i - (nd - a.size())];
    const int64_t sb = i < nd - b.size() ? 1 : b[i - (nd - b.size())];
    if (sa != sb && sa != 1 && sb != 1)
      fail<ShapeError>(op, "shapes ", shape_str(a), " and ", shape_str(b),
                       " cannot be broadcast together (dim ", i, ": ", sa, " vs ", sb, ")");
    out[i] = sa == 1 ? sb : sa;
  }
  return out;
}

Shape broadcast_strides(const Tensor& x, const Shape& shape) {
  const size_t nd = shape.size();
  const size_t xd = x.shape().size();
  Shape st(nd, 0);
  for (size_t i = 0; i < xd; ++i) {
    const size_t j = nd - xd + i;
    st[j] = x.shape()[i] == 1 ? 0 : x.strides()[i];
  }
  return st;
}

DimLayout dim_layout(const Tensor& x, int64_t dim, const char* op) {
  DimLayout l;
  if (x.ndim() == 0) {
    wrap_dim(dim, 0, op);
    return l;
  }
  const int64_t d = wrap_dim(dim, x.ndim(), op);
  for (int64_t i = 0; i < d; ++i) l.outer *= x.shape()[i];
  l.n = x.shape()[d];
  for (int64_t i = d + 1; i < x.ndim(); ++i) l.inner *= x.shape()[i];
  return l;
}

ElemIter make_iter(const std::vector<const Tensor*>& operands, const Shape& shape) {
  ElemIter it;
  it.nops = static_cast<int>(operands.size());
  it.numel = shape_numel(shape);
  std::vector<int64_t> sh;
  std::vector<int64_t> st[kMaxOperands];
  for (int k = 0; k < it.nops; ++k) {
    it.ptrs[k] = static_cast<char*>(operands[k]->data_ptr());
    st[k] = broadcast_strides(*operands[k], shape);
    for (auto& s : st[k]) s *= operands[k]->itemsize();
  }
  // Drop size-1 dims, then merge dim d into d-1 when every operand is contiguous across them.
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    if (!sh.empty()) {
      bool merge = true;
      for (int k = 0; k < it.nops; ++k)
        if (st[k][d] * shape[d] != it.strides[k].back()) merge = false;
      if (merge) {
        sh.back() *= shape[d];
        for (int k = 0; k < it.nops; ++k) it.strides[k].back() = st[k][d];
        continue;
      }
    }
    sh.push_back(shape[d]);
    for (int k = 0; k < it.nops; ++k) it.strides[k].push_back(st[k][d]);
  }
  it.shape = sh;
  it.ndim = static_cast<int>(sh.size());
  return it;
}

}  // namespace tensorforge::core
