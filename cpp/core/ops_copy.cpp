// Copies, dtype conversion, concatenation and fills.
#include <cstdlib>

#include "core/frontend.h"

namespace tensorforge {
namespace core {

void check_defined(const Tensor& t, const char* op, const char* what) {
  if (!t.defined()) fail<ValueError>(op, what, " is an undefined tensor");
}

Tensor as_contiguous(const Tensor& x, DType dt) {
  if (x.dtype() == dt && x.is_contiguous()) return x;
  Tensor out = Tensor::empty(x.shape(), dt);
  copy_(out, x);
  return out;
}

}  // namespace core

using namespace core;

namespace {
bool overlaps(const Tensor& a, const Tensor& b) {
  if (a.storage() != b.storage() || a.numel() == 0 || b.numel() == 0) return false;
  return !(a.data_ptr() == b.data_ptr() && a.strides() == b.strides() && a.shape() == b.shape());
}
// A copy whose two innermost dims are swapped between source and destination (a transpose)
// walks 32 x 32 tiles, so both sides stay in cache instead of striding through memory.
bool copy_transposed(const ElemIter& it, kernels::CastLoop loop) {
  const int nd = it.ndim;
  if (nd < 2) return false;
  const int64_t ds1 = it.strides[0][nd - 1], ss1 = it.strides[1][nd - 1];
  const int64_t ds0 = it.strides[0][nd - 2], ss0 = it.strides[1][nd - 2];
  const int64_t rows = it.shape[nd - 2], cols = it.shape[nd - 1];
  if (rows < 32 || cols < 32 || std::abs(ss1) <= std::abs(ss0) || it.numel < 4096) return false;
  int64_t outer = 1;
  for (int d = 0; d < nd - 2; ++d) outer *= it.shape[d];
  constexpr int64_t B = 32;
  const int64_t row_tiles = (rows + B - 1) / B;
  parallel_for(0, outer * row_tiles, 4, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      int64_t o = t / row_tiles, rem = o;
      char* dbase = it.ptrs[0];
      const char* sbase = it.ptrs[1];
      for (int d = nd - 3; d >= 0; --d) {
        const int64_t idx = rem % it.shape[d];
        rem /= it.shape[d];
        dbase += idx * it.strides[0][d];
        sbase += idx * it.strides[1][d];
      }
      const int64_t i0 = (t % row_tiles) * B, i1 = std::min(rows, i0 + B);
      for (int64_t j0 = 0; j0 < cols; j0 += B) {
        const int64_t n = std::min(B, cols - j0);
        for (int64_t i = i0; i < i1; ++i) loop(dbase + i * ds0 + j0 * ds1, sbase + i * ss0 + j0 * ss1, n, ds1, ss1);
      }
    }
  });
  return true;
}

}  // namespace

void copy_(const Tensor& dst, const Tensor& src_in) {
  check_defined(dst, "copy_", "destination");
  check_defined(src_in, "copy_", "source");
  const Shape bshape = broadcast_shapes(dst.shape(), src_in.shape(), "copy_");
  if (bshape != dst.shape())
    fail<ShapeError>("copy_", "source of shape ", shape_str(src_in.shape()),
                     " cannot be broadcast to the destination shape ", shape_str(dst.shape()));
  const Tensor src = overlaps(dst, src_in) ? clone(src_in) : src_in;
  auto loop = need(K().cast[static_cast<int>(dst.dtype())][static_cast<int>(src.dtype())], "copy_", src.dtype());
  ElemIter it = make_iter({&dst, &src}, dst.shape());
  if (!copy_transposed(it, loop)) {
    for_each_segment(it, kElementwiseGrain, [&](char** p, const int64_t* s, int64_t n) {
      loop(p[0], p[1], n, s[0], s[1]);
    });
  }
  dst.bump_version();
}

Tensor contiguous(const Tensor& x) {
  check_defined(x, "contiguous");
  return as_contiguous(x, x.dtype());
}

Tensor clone(const Tensor& x) {
  check_defined(x, "clone");
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  copy_(out, x);
  return out;
}

Tensor to_dtype(const Tensor& x, DType dtype, bool copy) {
  check_defined(x, "to");
  if (x.dtype() == dtype && !copy) return x;
  Tensor out = Tensor::empty(x.shape(), dtype);
  copy_(out, x);
  return out;
}

void fill_(const Tensor& x, double value) {
  check_defined(x, "fill_");
  copy_(x, scalar_tensor(value, x.dtype()));
}

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  if (tensors.empty()) fail<ValueError>("cat", "expected a non-empty list of tensors");
  const Tensor& first = tensors[0];
  check_defined(first, "cat");
  if (first.ndim() == 0) fail<ShapeError>("cat", "zero-dimensional tensor (at position 0) cannot be concatenated");
  const int64_t d = wrap_dim(dim, first.ndim(), "cat");
  Shape out_shape = first.shape();
  DType dt = first.dtype();
  out_shape[d] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    check_defined(t, "cat");
    if (t.ndim() != first.ndim())
      fail<ShapeError>("cat", "tensors must have the same number of dims: got ", shape_str(first.shape()),
                       " and ", shape_str(t.shape()), " at position ", i);
    for (int64_t k = 0; k < t.ndim(); ++k)
      if (k != d && t.shape()[k] != first.shape()[k])
        fail<ShapeError>("cat", "sizes of tensors must match except in dim ", d, ": got ",
                         shape_str(first.shape()), " and ", shape_str(t.shape()), " at position ", i);
    out_shape[d] += t.shape()[d];
    dt = promote_types(dt, t.dtype());
  }
  Tensor out = Tensor::empty(out_shape, dt);
  int64_t offset = 0;
  for (const Tensor& t : tensors) {
    copy_(narrow(out, d, offset, t.shape()[d]), t);
    offset += t.shape()[d];
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  if (tensors.empty()) fail<ValueError>("stack", "expected a non-empty list of tensors");
  check_defined(tensors[0], "stack");
  const int64_t d = wrap_dim(dim, tensors[0].ndim() + 1, "stack");
  std::vector<Tensor> parts;
  for (size_t i = 0; i < tensors.size(); ++i) {
    check_defined(tensors[i], "stack");
    if (tensors[i].shape() != tensors[0].shape())
      fail<ShapeError>("stack", "expects each tensor to be equal size, but got ", shape_str(tensors[0].shape()),
                       " at entry 0 and ", shape_str(tensors[i].shape()), " at entry ", i);
    parts.push_back(unsqueeze(tensors[i], d));
  }
  return cat(parts, d);
}

}  // namespace tensorforge
