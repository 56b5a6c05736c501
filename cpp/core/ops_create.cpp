// Creation ops and the global random generator.
#include <cmath>
#include <mutex>

#include "core/frontend.h"

namespace tensorforge {

using namespace core;

namespace {

struct Generator {
  std::mutex mutex;
  uint64_t seed = 67280421310721ull;
  uint64_t offset = 0;
};

Generator& generator() {
  static Generator g;
  return g;
}

// Claims `count` counters (rounded up to whole Philox blocks of 4) from the global stream.
std::pair<uint64_t, uint64_t> claim(uint64_t count) {
  Generator& g = generator();
  std::lock_guard<std::mutex> lock(g.mutex);
  const uint64_t start = g.offset;
  g.offset += (count + 3) / 4 * 4;
  return {g.seed, start};
}

void check_floating(DType dt, const char* op) {
  if (!is_floating(dt)) fail<DTypeError>(op, "expected a floating dtype, got ", dtype_name(dt));
}

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

void manual_seed(uint64_t seed) {
  Generator& g = generator();
  std::lock_guard<std::mutex> lock(g.mutex);
  g.seed = seed;
  g.offset = 0;
}

uint64_t reserve_random_offset(uint64_t count) { return claim(count).second; }

RngState get_rng_state() {
  Generator& g = generator();
  std::lock_guard<std::mutex> lock(g.mutex);
  return {g.seed, g.offset};
}

void set_rng_state(const RngState& state) {
  Generator& g = generator();
  std::lock_guard<std::mutex> lock(g.mutex);
  g.seed = state.seed;
  g.offset = state.offset;
}

void uniform_(const Tensor& t, double low, double high) {
  check_defined(t, "uniform_");
  check_floating(t.dtype(), "uniform_");
  if (!(low <= high)) fail<ValueError>("uniform_", "expects low <= high, got low=", low, " high=", high);
  Tensor out = t.is_contiguous() ? t : Tensor::empty(t.shape(), t.dtype());
  auto fn = need(K().uniform[static_cast<int>(t.dtype())], "uniform_", t.dtype());
  auto [seed, off] = claim(static_cast<uint64_t>(t.numel()));
  fn(static_cast<char*>(out.data_ptr()), out.numel(), seed, off, low, high);
  if (out.data_ptr() != t.data_ptr()) copy_(t, out);
  t.bump_version();
}

void normal_(const Tensor& t, double mean, double std) {
  check_defined(t, "normal_");
  check_floating(t.dtype(), "normal_");
  if (!(std >= 0)) fail<ValueError>("normal_", "expects std >= 0.0, got ", std);
  Tensor out = t.is_contiguous() ? t : Tensor::empty(t.shape(), t.dtype());
  auto fn = need(K().normal[static_cast<int>(t.dtype())], "normal_", t.dtype());
  auto [seed, off] = claim(static_cast<uint64_t>(t.numel()));
  fn(static_cast<char*>(out.data_ptr()), out.numel(), seed, off, mean, std);
  if (out.data_ptr() != t.data_ptr()) copy_(t, out);
  t.bump_version();
}

Tensor rand(const Shape& shape, DType dtype) {
  check_floating(dtype, "rand");
  Tensor t = Tensor::empty(shape, dtype);
  uniform_(t, 0.0, 1.0);
  return t;
}

Tensor randn(const Shape& shape, DType dtype) {
  check_floating(dtype, "randn");
  Tensor t = Tensor::empty(shape, dtype);
  normal_(t, 0.0, 1.0);
  return t;
}

Tensor randint(int64_t low, int64_t high, const Shape& shape, DType dtype) {
  if (high <= low) fail<ValueError>("randint", "expects low < high, got low=", low, " high=", high);
  Tensor u = Tensor::empty(shape, DType::Float64);
  uniform_(u, 0.0, 1.0);
  const double span = static_cast<double>(high - low);
  double* p = u.data<double>();
  for (int64_t i = 0; i < u.numel(); ++i)
    p[i] = static_cast<double>(low) + std::min(std::floor(p[i] * span), span - 1.0);
  return to_dtype(u, dtype);
}

Tensor randperm(int64_t n, DType dtype) {
  if (n < 0) fail<ValueError>("randperm", "n must be non-negative, got ", n);
  Tensor u = Tensor::empty({n}, DType::Float64);
  uniform_(u, 0.0, 1.0);
  Tensor perm = Tensor::empty({n}, DType::Int64);
  int64_t* p = perm.data<int64_t>();
  const double* r = u.data<double>();
  for (int64_t i = 0; i < n; ++i) p[i] = i;
  for (int64_t i = n - 1; i > 0; --i) {
    const int64_t j = std::min<int64_t>(static_cast<int64_t>(r[i] * static_cast<double>(i + 1)), i);
    std::swap(p[i], p[j]);
  }
  return to_dtype(perm, dtype);
}

Tensor bernoulli(const Shape& shape, double p, DType dtype) {
  if (!(p >= 0.0 && p <= 1.0)) fail<ValueError>("bernoulli", "expects 0 <= p <= 1, got ", p);
  Tensor u = rand(shape, DType::Float32);
  return to_dtype(binary(BinaryOp::Lt, u, scalar_tensor(p, DType::Float64)), dtype);
}

}  // namespace tensorforge
