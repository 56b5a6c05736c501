// Views: new shapes and strides over the same storage.
#include <algorithm>
#include <optional>

#include "core/frontend.h"

namespace tensorforge {

using namespace core;

namespace {

Shape infer_shape(const Shape& shape, int64_t numel, const char* op) {
  Shape out = shape;
  int64_t known = 1;
  int infer = -1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      if (infer >= 0) fail<ShapeError>(op, "only one dimension can be inferred in ", shape_str(shape));
      infer = static_cast<int>(i);
    } else if (out[i] < 0) {
      fail<ShapeError>(op, "invalid shape dimension ", out[i], " in ", shape_str(shape));
    } else {
      known *= out[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || numel % known != 0)
      fail<ShapeError>(op, "shape ", shape_str(shape), " is invalid for input of size ", numel);
    out[infer] = numel / known;
  } else if (known != numel) {
    fail<ShapeError>(op, "shape ", shape_str(shape), " is invalid for input of size ", numel);
  }
  return out;
}

// Strides that give `shape` over x's memory without copying, if any exist.
std::optional<Shape> view_strides(const Tensor& x, const Shape& shape) {
  if (x.is_contiguous() || x.numel() == 0) return contiguous_strides(shape);
  const Shape& os = x.shape();
  const Shape& ost = x.strides();
  Shape st(shape.size());
  int64_t view_d = static_cast<int64_t>(shape.size()) - 1;
  int64_t chunk_stride = ost.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t d = static_cast<int64_t>(os.size()) - 1; d >= 0; --d) {
    tensor_numel *= os[d];
    // A chunk ends where the next-outer dim is not laid out right after this one.
    if (d == 0 || (os[d - 1] != 1 && ost[d - 1] != tensor_numel * chunk_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        st[view_d] = view_numel * chunk_stride;
        view_numel *= shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        chunk_stride = ost[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return st;
}

}  // namespace

Tensor view(const Tensor& x, const Shape& shape) {
  check_defined(x, "view");
  const Shape s = infer_shape(shape, x.numel(), "view");
  auto st = view_strides(x, s);
  if (!st)
    fail<ShapeError>("view", "size ", shape_str(s), " is not compatible with the input's size ",
                     shape_str(x.shape()), " and strides ", shape_str(x.strides()),
                     " (at least one dim spans two contiguous subspaces); use reshape instead");
  return x.as_strided(s, *st, x.offset());
}

Tensor reshape(const Tensor& x, const Shape& shape) {
  check_defined(x, "reshape");
  const Shape s = infer_shape(shape, x.numel(), "reshape");
  if (auto st = view_strides(x, s)) return x.as_strided(s, *st, x.offset());
  Tensor c = contiguous(x);
  return c.as_strided(s, contiguous_strides(s), c.offset());
}

Tensor permute(const Tensor& x, const std::vector<int64_t>& dims) {
  check_defined(x, "permute");
  const int64_t nd = x.ndim();
  if (static_cast<int64_t>(dims.size()) != nd)
    fail<ShapeError>("permute", "number of dims ", dims.size(), " does not match the input's ", nd,
                     " dims (shape ", shape_str(x.shape()), ")");
  Shape shape(nd), strides(nd);
  std::vector<bool> seen(nd, false);
  for (int64_t i = 0; i < nd; ++i) {
    const int64_t d = wrap_dim(dims[i], nd, "permute");
    if (seen[d]) fail<ShapeError>("permute", "dim ", d, " repeats in ", shape_str(dims));
    seen[d] = true;
    shape[i] = x.shape()[d];
    strides[i] = x.strides()[d];
  }
  return x.as_strided(shape, strides, x.offset());
}

Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1) {
  check_defined(x, "transpose");
  if (x.ndim() == 0) {
    wrap_dim(dim0, 0, "transpose");
    wrap_dim(dim1, 0, "transpose");
    return x;
  }
  const int64_t a = wrap_dim(dim0, x.ndim(), "transpose"), b = wrap_dim(dim1, x.ndim(), "transpose");
  Shape shape = x.shape(), strides = x.strides();
  std::swap(shape[a], shape[b]);
  std::swap(strides[a], strides[b]);
  return x.as_strided(shape, strides, x.offset());
}

Tensor unsqueeze(const Tensor& x, int64_t dim) {
  check_defined(x, "unsqueeze");
  const int64_t d = wrap_dim(dim, x.ndim() + 1, "unsqueeze");
  Shape shape = x.shape(), strides = x.strides();
  const int64_t st = d < x.ndim() ? shape[d] * strides[d] : 1;
  shape.insert(shape.begin() + d, 1);
  strides.insert(strides.begin() + d, st);
  return x.as_strided(shape, strides, x.offset());
}

Tensor squeeze(const Tensor& x, const std::vector<int64_t>& dims) {
  check_defined(x, "squeeze");
  std::vector<bool> drop(x.ndim(), false);
  if (dims.empty()) {
    for (int64_t d = 0; d < x.ndim(); ++d) drop[d] = x.shape()[d] == 1;
  } else {
    for (int64_t dim : dims) {
      if (x.ndim() == 0) {
        wrap_dim(dim, 0, "squeeze");
        continue;
      }
      const int64_t d = wrap_dim(dim, x.ndim(), "squeeze");
      drop[d] = x.shape()[d] == 1;
    }
  }
  Shape shape, strides;
  for (int64_t d = 0; d < x.ndim(); ++d) {
    if (drop[d]) continue;
    shape.push_back(x.shape()[d]);
    strides.push_back(x.strides()[d]);
  }
  return x.as_strided(shape, strides, x.offset());
}

Tensor flatten(const Tensor& x, int64_t start_dim, int64_t end_dim) {
  check_defined(x, "flatten");
  if (x.ndim() == 0) return reshape(x, {1});
  const int64_t s = wrap_dim(start_dim, x.ndim(), "flatten"), e = wrap_dim(end_dim, x.ndim(), "flatten");
  if (s > e) fail<ValueError>("flatten", "start_dim ", start_dim, " comes after end_dim ", end_dim);
  Shape shape(x.shape().begin(), x.shape().begin() + s);
  int64_t n = 1;
  for (int64_t d = s; d <= e; ++d) n *= x.shape()[d];
  shape.push_back(n);
  shape.insert(shape.end(), x.shape().begin() + e + 1, x.shape().end());
  return reshape(x, shape);
}

Tensor expand(const Tensor& x, const Shape& shape) {
  check_defined(x, "expand");
  const int64_t nd = static_cast<int64_t>(shape.size()), xd = x.ndim();
  if (nd < xd)
    fail<ShapeError>("expand", "the number of sizes provided (", nd, ") must be greater or equal to the number of dims (",
                     xd, ") of shape ", shape_str(x.shape()));
  Shape out(nd), strides(nd);
  for (int64_t i = nd - 1; i >= 0; --i) {
    const int64_t j = i - (nd - xd);
    if (j >= 0) {
      const int64_t xs = x.shape()[j];
      int64_t s = shape[i] == -1 ? xs : shape[i];
      if (xs != s && xs != 1)
        fail<ShapeError>("expand", "the expanded size ", s, " must match the existing size ", xs,
                         " at non-singleton dim ", i, " (shape ", shape_str(x.shape()), " to ", shape_str(shape), ")");
      if (s < 0) fail<ShapeError>("expand", "invalid size ", s, " in ", shape_str(shape));
      out[i] = s;
      strides[i] = xs == s ? x.strides()[j] : 0;
    } else {
      if (shape[i] < 0) fail<ShapeError>("expand", "-1 is not allowed for a new leading dim in ", shape_str(shape));
      out[i] = shape[i];
      strides[i] = 0;
    }
  }
  return x.as_strided(out, strides, x.offset());
}

Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step) {
  check_defined(x, "slice");
  if (x.ndim() == 0) fail<IndexError>("slice", "cannot slice a 0-dim tensor");
  const int64_t d = wrap_dim(dim, x.ndim(), "slice");
  if (step <= 0) fail<ValueError>("slice", "step must be positive, got ", step);
  const int64_t size = x.shape()[d];
  auto clampi = [&](int64_t v) {
    if (v < 0) v += size;
    return std::min(std::max<int64_t>(v, 0), size);
  };
  const int64_t s = clampi(start), e = std::max(clampi(end), s);
  Shape shape = x.shape(), strides = x.strides();
  shape[d] = (e - s + step - 1) / step;
  strides[d] *= step;
  return x.as_strided(shape, strides, x.offset() + (shape[d] ? s * x.strides()[d] : 0));
}

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  check_defined(x, "narrow");
  if (x.ndim() == 0) fail<IndexError>("narrow", "cannot narrow a 0-dim tensor");
  const int64_t d = wrap_dim(dim, x.ndim(), "narrow");
  const int64_t size = x.shape()[d];
  if (start < -size || start > size)
    fail<IndexError>("narrow", "start ", start, " out of range for dim ", d, " of size ", size);
  if (start < 0) start += size;
  if (length < 0 || start + length > size)
    fail<IndexError>("narrow", "start (", start, ") + length (", length, ") exceeds dimension size (", size, ")");
  Shape shape = x.shape();
  shape[d] = length;
  return x.as_strided(shape, x.strides(), x.offset() + start * x.strides()[d]);
}

Tensor select(const Tensor& x, int64_t dim, int64_t index) {
  check_defined(x, "select");
  if (x.ndim() == 0) fail<IndexError>("select", "invalid index of a 0-dim tensor");
  const int64_t d = wrap_dim(dim, x.ndim(), "select");
  const int64_t size = x.shape()[d];
  if (index < -size || index >= size)
    fail<IndexError>("select", "index ", index, " is out of bounds for dimension ", d, " with size ", size);
  if (index < 0) index += size;
  Shape shape = x.shape(), strides = x.strides();
  const int64_t off = x.offset() + index * strides[d];
  shape.erase(shape.begin() + d);
  strides.erase(strides.begin() + d);
  return x.as_strided(shape, strides, off);
}

}  // namespace tensorforge
