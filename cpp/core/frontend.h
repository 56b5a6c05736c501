// Helpers shared by the op front ends (ops_*.cpp): the active kernel table, argument checks.
#pragma once

#include "core/dispatch.h"
#include "core/iter.h"
#include "tensorforge/ops.h"

namespace tensorforge::core {

inline const kernels::KernelTable& K() { return kernels::table(); }

/// Throws a ValueError naming the op when t is undefined.
void check_defined(const Tensor& t, const char* op, const char* what = "input");

/// Throws DTypeError "[op] not implemented for dtype X" when fn is null.
template <typename Fn>
Fn need(Fn fn, const char* op, DType dt) {
  if (!fn) fail<DTypeError>(op, "not implemented for dtype ", dtype_name(dt));
  return fn;
}

/// Empty tensor with x's shape.
inline Tensor empty_like(const Tensor& x, DType dt) { return Tensor::empty(x.shape(), dt); }

/// Copies x into a new contiguous tensor of dtype dt (x itself when already so).
Tensor as_contiguous(const Tensor& x, DType dt);

}  // namespace tensorforge::core
