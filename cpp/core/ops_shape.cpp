// Data movement front end: flips (a negative-stride view copied out), rolls and repeats as
// strided copies through copy_, triangles as one `where` over a [rows, cols] mask, and
// diagonals as strided views.
#include <algorithm>

#include "core/frontend.h"
#include "tensorforge/shape_ops.h"

namespace tensorforge {

using namespace core;

Tensor flip(const Tensor& x, const std::vector<int64_t>& dims) {
  check_defined(x, "flip");
  const int64_t nd = x.ndim();
  Shape strides = x.strides();
  int64_t offset = x.offset();
  std::vector<bool> seen(std::max<int64_t>(nd, 1), false);
  for (int64_t dim : dims) {
    const int64_t d = wrap_dim(dim, nd, "flip");
    if (seen[d]) fail<ValueError>("flip", "dim ", d, " appears multiple times in the list of dims");
    seen[d] = true;
    if (nd == 0 || x.shape()[d] <= 1) continue;
    offset += (x.shape()[d] - 1) * strides[d];
    strides[d] = -strides[d];
  }
  return clone(x.as_strided(x.shape(), strides, offset));
}

namespace {
// One dim: the last `s` elements move to the front.
Tensor roll_dim(const Tensor& x, int64_t shift, int64_t d) {
  const int64_t n = x.shape()[d];
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  if (n == 0 || x.numel() == 0) return out;
  const int64_t s = ((shift % n) + n) % n;
  copy_(narrow(out, d, 0, s), narrow(x, d, n - s, s));
  copy_(narrow(out, d, s, n - s), narrow(x, d, 0, n - s));
  return out;
}
}  // namespace

Tensor roll(const Tensor& x, const std::vector<int64_t>& shifts, const std::vector<int64_t>& dims) {
  check_defined(x, "roll");
  if (dims.empty()) {
    if (shifts.size() != 1)
      fail<ShapeError>("roll", "shifts and dimensions must align: got ", shifts.size(), " shifts and no dims");
    return reshape(roll_dim(reshape(x, {-1}), shifts[0], 0), x.shape());
  }
  if (shifts.size() != dims.size())
    fail<ShapeError>("roll", "shifts and dimensions must align: got ", shifts.size(), " shifts and ", dims.size(),
                     " dims");
  Tensor out = x;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (x.ndim() == 0) {
      wrap_dim(dims[i], 0, "roll");
      out = clone(x);
      continue;
    }
    out = roll_dim(out, shifts[i], wrap_dim(dims[i], x.ndim(), "roll"));
  }
  return out;
}

Tensor repeat(const Tensor& x, const std::vector<int64_t>& repeats) {
  check_defined(x, "repeat");
  const int64_t nd = x.ndim(), nr = static_cast<int64_t>(repeats.size());
  if (nr < nd)
    fail<ShapeError>("repeat", "number of dimensions of repeat dims (", nr,
                     ") can not be smaller than number of dimensions of tensor (", nd, ", shape ",
                     shape_str(x.shape()), ")");
  for (int64_t r : repeats)
    if (r < 0) fail<ValueError>("repeat", "repeats must be non-negative, got ", shape_str(repeats));
  // x with leading size-1 dims, seen through a [r0, s0, r1, s1, ...] view with stride 0 on the r's.
  Shape view_shape, view_strides, out_shape;
  for (int64_t i = 0; i < nr; ++i) {
    const int64_t j = i - (nr - nd);
    const int64_t size = j >= 0 ? x.shape()[j] : 1, stride = j >= 0 ? x.strides()[j] : 0;
    view_shape.insert(view_shape.end(), {repeats[i], size});
    view_strides.insert(view_strides.end(), {0, stride});
    out_shape.push_back(repeats[i] * size);
  }
  Tensor out = Tensor::empty(view_shape, x.dtype());
  if (out.numel() > 0) copy_(out, x.as_strided(view_shape, view_strides, x.offset()));
  return reshape(out, out_shape);
}

Tensor repeat_interleave_index(const Tensor& repeats, int64_t output_size) {
  const char* op = "repeat_interleave";
  check_defined(repeats, op, "repeats");
  if (repeats.ndim() > 1)
    fail<ShapeError>(op, "repeats must be 0-dim or 1-dim tensor, got shape ", shape_str(repeats.shape()));
  if (!is_integral(repeats.dtype()))
    fail<DTypeError>(op, "repeats has to be a Long or Int tensor, got ", dtype_name(repeats.dtype()));
  const Tensor r = as_contiguous(repeats, DType::Int64);
  const int64_t* p = r.data<int64_t>();
  int64_t total = 0;
  for (int64_t i = 0; i < r.numel(); ++i) {
    if (p[i] < 0) fail<ValueError>(op, "repeats can not be negative (got ", p[i], " at position ", i, ")");
    total += p[i];
  }
  if (output_size >= 0 && output_size != total)
    fail<ValueError>(op, "output_size (", output_size, ") does not match the sum of repeats (", total, ")");
  Tensor out = Tensor::empty({total}, DType::Int64);
  int64_t* o = out.data<int64_t>();
  for (int64_t i = 0; i < r.numel(); ++i) o = std::fill_n(o, p[i], i);
  return out;
}

namespace {
Tensor triangle(const Tensor& x, int64_t diagonal, bool lower, const char* op) {
  check_defined(x, op);
  if (x.ndim() < 2)
    fail<ShapeError>(op, "input tensor must have at least 2 dimensions, got shape ", shape_str(x.shape()));
  const int64_t rows = x.shape()[x.ndim() - 2], cols = x.shape()[x.ndim() - 1];
  Tensor mask = Tensor::empty({rows, cols}, DType::Bool);
  bool* m = mask.data<bool>();
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) m[i * cols + j] = lower ? j - i <= diagonal : j - i >= diagonal;
  return where(mask, x, scalar_tensor(0.0, x.dtype()));
}

Tensor triangle_indices(int64_t row, int64_t col, int64_t offset, DType dtype, bool lower, const char* op) {
  if (row < 0 || col < 0) fail<ValueError>(op, "row and col must be non-negative, got ", row, " and ", col);
  if (!is_integral(dtype)) fail<DTypeError>(op, "dtype must be int64 or int32, got ", dtype_name(dtype));
  std::vector<int64_t> rs, cs;
  for (int64_t i = 0; i < row; ++i) {
    const int64_t j0 = lower ? 0 : std::clamp<int64_t>(i + offset, 0, col);
    const int64_t j1 = lower ? std::clamp<int64_t>(i + offset + 1, 0, col) : col;
    for (int64_t j = j0; j < j1; ++j) {
      rs.push_back(i);
      cs.push_back(j);
    }
  }
  const int64_t n = static_cast<int64_t>(rs.size());
  Tensor out = Tensor::empty({2, n}, DType::Int64);
  std::copy(rs.begin(), rs.end(), out.data<int64_t>());
  std::copy(cs.begin(), cs.end(), out.data<int64_t>() + n);
  return to_dtype(out, dtype);
}
}  // namespace

Tensor tril(const Tensor& x, int64_t diagonal) { return triangle(x, diagonal, true, "tril"); }
Tensor triu(const Tensor& x, int64_t diagonal) { return triangle(x, diagonal, false, "triu"); }

Tensor tril_indices(int64_t row, int64_t col, int64_t offset, DType dtype) {
  return triangle_indices(row, col, offset, dtype, true, "tril_indices");
}
Tensor triu_indices(int64_t row, int64_t col, int64_t offset, DType dtype) {
  return triangle_indices(row, col, offset, dtype, false, "triu_indices");
}

namespace {
std::pair<int64_t, int64_t> diagonal_dims(int64_t nd, int64_t dim1, int64_t dim2, const char* op) {
  if (nd < 2) fail<ShapeError>(op, "expected a tensor of at least 2 dims, got ", nd);
  const int64_t a = wrap_dim(dim1, nd, op), b = wrap_dim(dim2, nd, op);
  if (a == b) fail<ValueError>(op, "diagonal dimensions cannot be identical ", dim1, ", ", dim2);
  return {a, b};
}
}  // namespace

Tensor diagonal(const Tensor& x, int64_t offset, int64_t dim1, int64_t dim2) {
  check_defined(x, "diagonal");
  const auto [a, b] = diagonal_dims(x.ndim(), dim1, dim2, "diagonal");
  const int64_t sa = x.shape()[a], sb = x.shape()[b];
  const int64_t size = std::max<int64_t>(offset >= 0 ? std::min(sa, sb - offset) : std::min(sa + offset, sb), 0);
  int64_t start = x.offset();
  if (size > 0) start += offset >= 0 ? offset * x.strides()[b] : -offset * x.strides()[a];
  Shape shape, strides;
  for (int64_t d = 0; d < x.ndim(); ++d) {
    if (d == a || d == b) continue;
    shape.push_back(x.shape()[d]);
    strides.push_back(x.strides()[d]);
  }
  shape.push_back(size);
  strides.push_back(x.strides()[a] + x.strides()[b]);
  return x.as_strided(shape, strides, start);
}

Tensor diag_embed(const Tensor& x, int64_t offset, int64_t dim1, int64_t dim2) {
  check_defined(x, "diag_embed");
  if (x.ndim() == 0) fail<ShapeError>("diag_embed", "expected a tensor of at least 1 dim, got a 0-dim tensor");
  const int64_t nd = x.ndim() + 1;
  const auto [a, b] = diagonal_dims(nd, dim1, dim2, "diag_embed");
  const int64_t size = x.shape().back() + (offset < 0 ? -offset : offset);
  Shape shape;
  for (int64_t d = 0, j = 0; d < nd; ++d) shape.push_back(d == a || d == b ? size : x.shape()[j++]);
  Tensor out = zeros(shape, x.dtype());
  if (x.numel() > 0) copy_(diagonal(out, offset, a, b), x);
  return out;
}

}  // namespace tensorforge
