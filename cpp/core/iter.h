// Shared front-end machinery: dim wrapping, broadcasting, and the strided iterator that feeds
// elementwise loops with contiguous-or-strided 1-D segments, in parallel chunks.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "tensorforge/error.h"
#include "tensorforge/parallel.h"
#include "tensorforge/tensor.h"

namespace tensorforge::core {

constexpr int kMaxOperands = 4;
constexpr int64_t kElementwiseGrain = 32768;

/// Wraps a possibly negative dim into [0, ndim); IndexError names the op otherwise.
int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op);
/// Broadcast shape of a and b; ShapeError names the op and both shapes otherwise.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);
/// Element strides of x viewed as broadcast to `shape` (0 where broadcast).
Shape broadcast_strides(const Tensor& x, const Shape& shape);

/// x (contiguous) seen as [outer, n, inner] around dim; a 0-dim x is [1, 1, 1]. IndexError
/// names the op for a dim out of range.
struct DimLayout {
  int64_t outer = 1, n = 1, inner = 1;
};
DimLayout dim_layout(const Tensor& x, int64_t dim, const char* op);

/// Geometry of an elementwise loop over `shape` with up to kMaxOperands operands (operand 0
/// is usually the output); dims are coalesced, the innermost last; strides in bytes.
struct ElemIter {
  int ndim = 0;
  int nops = 0;
  int64_t numel = 0;
  std::vector<int64_t> shape;
  std::vector<int64_t> strides[kMaxOperands];
  char* ptrs[kMaxOperands] = {};
};

/// Builds the iterator: each operand is broadcast to `shape`.
ElemIter make_iter(const std::vector<const Tensor*>& operands, const Shape& shape);

/// Calls fn(ptrs, inner_strides, n) on 1-D segments covering the iteration space, in
/// parallel chunks of at least `grain` elements.
template <typename F>
void for_each_segment(const ElemIter& it, int64_t grain, const F& fn) {
  if (it.numel == 0) return;
  const int nd = it.ndim;
  const int nops = it.nops;
  const int64_t inner = nd ? it.shape[nd - 1] : 1;
  int64_t inner_strides[kMaxOperands];
  for (int k = 0; k < nops; ++k) inner_strides[k] = nd ? it.strides[k][nd - 1] : 0;
  parallel_for(0, it.numel, grain, [&](int64_t begin, int64_t end) {
    std::vector<int64_t> idx(nd > 0 ? nd : 1, 0);
    char* ptrs[kMaxOperands];
    int64_t rem = begin;
    for (int k = 0; k < nops; ++k) ptrs[k] = it.ptrs[k];
    for (int d = nd - 1; d >= 0; --d) {
      idx[d] = rem % it.shape[d];
      rem /= it.shape[d];
      for (int k = 0; k < nops; ++k) ptrs[k] += idx[d] * it.strides[k][d];
    }
    int64_t pos = begin;
    while (pos < end) {
      const int64_t start = nd ? idx[nd - 1] : 0;
      const int64_t n = std::min(inner - start, end - pos);
      fn(ptrs, inner_strides, n);
      pos += n;
      if (pos >= end) break;
      // advance to the start of the next inner row
      for (int k = 0; k < nops; ++k) ptrs[k] += (n) * inner_strides[k];
      if (nd) idx[nd - 1] = start + n;
      for (int d = nd - 1; d > 0 && idx[d] == it.shape[d]; --d) {
        for (int k = 0; k < nops; ++k) ptrs[k] -= it.shape[d] * it.strides[k][d] - it.strides[k][d - 1];
        idx[d] = 0;
        ++idx[d - 1];
      }
    }
  });
}

}  // namespace tensorforge::core
