// Creation ops (random ones live in ops_random.cpp).
#include <cmath>

#include "core/frontend.h"

namespace tensorforge {

using namespace core;

namespace {

template <typename F>
void fill_double(const Tensor& out, F&& value_at) {
  // Small creation ops: compute in double on a float64 buffer, then convert once.
  Tensor tmp = Tensor::empty(out.shape(), DType::Float64);
  double* p = tmp.data<double>();
  for (int64_t i = 0; i < tmp.numel(); ++i) p[i] = value_at(i);
  copy_(out, tmp);
}

}  // namespace

Tensor scalar_tensor(double value, DType dtype) {
  Tensor t = Tensor::empty({}, dtype);
  switch (dtype) {
    case DType::Bool: *t.data<bool>() = value != 0.0; break;
    case DType::Int32: *t.data<int32_t>() = static_cast<int32_t>(value); break;
    case DType::Int64: *t.data<int64_t>() = static_cast<int64_t>(value); break;
    case DType::Float32: *t.data<float>() = static_cast<float>(value); break;
    case DType::Float64: *t.data<double>() = value; break;
  }
  return t;
}

Tensor full(const Shape& shape, double value, DType dtype) {
  Tensor t = Tensor::empty(shape, dtype);
  copy_(t, scalar_tensor(value, dtype));
  return t;
}
Tensor zeros(const Shape& shape, DType dtype) { return full(shape, 0.0, dtype); }
Tensor ones(const Shape& shape, DType dtype) { return full(shape, 1.0, dtype); }

Tensor arange(double start, double end, double step, DType dtype) {
  if (step == 0.0) fail<ValueError>("arange", "step must be nonzero");
  if (!std::isfinite(start) || !std::isfinite(end))
    fail<ValueError>("arange", "unsupported range: ", start, " -> ", end);
  if ((end - start) / step < 0)
    fail<ValueError>("arange", "upper bound and larger bound inconsistent with step sign (start ", start,
                     ", end ", end, ", step ", step, ")");
  const double count = std::ceil((end - start) / step);
  if (count > 1e12) fail<ValueError>("arange", "the range ", start, " -> ", end, " is too large");
  Tensor t = Tensor::empty({static_cast<int64_t>(count)}, dtype);
  fill_double(t, [&](int64_t i) { return start + static_cast<double>(i) * step; });
  return t;
}

Tensor linspace(double start, double end, int64_t steps, DType dtype) {
  if (steps < 0) fail<ValueError>("linspace", "number of steps must be non-negative, got ", steps);
  Tensor t = Tensor::empty({steps}, dtype);
  const double step = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
  const int64_t half = steps / 2;
  // Symmetric evaluation (from both ends) as PyTorch does, so both endpoints are exact.
  fill_double(t, [&](int64_t i) {
    return i < half ? start + step * static_cast<double>(i) : end - step * static_cast<double>(steps - 1 - i);
  });
  return t;
}

Tensor eye(int64_t n, int64_t m, DType dtype) {
  if (m < 0) m = n;
  if (n < 0) fail<ValueError>("eye", "n must be non-negative, got ", n);
  Tensor t = zeros({n, m}, dtype);
  const int64_t k = std::min(n, m);
  if (k > 0) {
    Tensor diag = t.as_strided({k}, {m + 1}, 0);
    copy_(diag, scalar_tensor(1.0, dtype));
  }
  return t;
}

}  // namespace tensorforge
