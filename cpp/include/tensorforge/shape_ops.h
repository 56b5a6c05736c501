// Data movement with PyTorch's semantics: flips, rolls, repeats, triangles and diagonals.
// Results are new contiguous tensors except diagonal (a view). Dims may be negative.
// Errors: IndexError for a dim out of range, ShapeError / ValueError for bad sizes; each
// message names the op and the shapes.
#pragma once

#include <cstdint>
#include <vector>

#include "tensorforge/tensor.h"

namespace tensorforge {

/// x reversed along each of `dims` (distinct dims).
Tensor flip(const Tensor& x, const std::vector<int64_t>& dims);
/// x shifted cyclically by shifts[i] along dims[i] (elements leaving one end re-enter at the
/// other); with no dims, the flattened tensor is rolled by shifts[0] and reshaped back.
Tensor roll(const Tensor& x, const std::vector<int64_t>& shifts, const std::vector<int64_t>& dims);
/// Tensor.repeat: x tiled repeats[i] times along dim i; repeats has at least x.ndim() entries
/// (extra leading entries add dims). Repeats must be >= 0.
Tensor repeat(const Tensor& x, const std::vector<int64_t>& repeats);
/// repeat_interleave(repeats): 0..n-1 each repeated repeats[i] times (repeats: 1-D int64 >= 0).
/// output_size (when >= 0) must equal the sum of repeats.
Tensor repeat_interleave_index(const Tensor& repeats, int64_t output_size = -1);
/// The lower (upper) triangle of the last two dims: elements with j - i <= diagonal (>= diagonal)
/// kept, the others zero. x needs at least 2 dims.
Tensor tril(const Tensor& x, int64_t diagonal = 0);
Tensor triu(const Tensor& x, int64_t diagonal = 0);
/// Coordinates [2, count] of the lower (upper) triangle of a row x col matrix, row-major order.
Tensor tril_indices(int64_t row, int64_t col, int64_t offset = 0, DType dtype = DType::Int64);
Tensor triu_indices(int64_t row, int64_t col, int64_t offset = 0, DType dtype = DType::Int64);
/// View of the diagonal (offset > 0 above the main one) of the dim1 x dim2 planes: those dims
/// are removed and the diagonal becomes the last dim.
Tensor diagonal(const Tensor& x, int64_t offset = 0, int64_t dim1 = 0, int64_t dim2 = 1);
/// A tensor whose dim1 x dim2 planes hold the last dim of x on their `offset` diagonal, zeros
/// elsewhere (the inverse of diagonal).
Tensor diag_embed(const Tensor& x, int64_t offset = 0, int64_t dim1 = -2, int64_t dim2 = -1);

}  // namespace tensorforge
