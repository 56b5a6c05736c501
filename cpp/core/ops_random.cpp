// Random front end: generators, fills and sampling. Each op claims the words its kernel reads
// from the generator's stream (documented per kernel in dispatch.h), then runs the kernel on a
// contiguous buffer (copied into a strided destination afterwards).
#include <cmath>
#include <limits>

#include "core/frontend.h"
#include "tensorforge/random_ops.h"

namespace tensorforge {

using namespace core;

void Generator::manual_seed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(mutex_);
  seed_ = seed;
  offset_ = 0;
}
uint64_t Generator::seed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return seed_;
}
uint64_t Generator::offset() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return offset_;
}
void Generator::set_state(uint64_t seed, uint64_t offset) {
  std::lock_guard<std::mutex> lock(mutex_);
  seed_ = seed;
  offset_ = (offset + 3) / 4 * 4;
}
std::pair<uint64_t, uint64_t> Generator::claim(uint64_t words) {
  std::lock_guard<std::mutex> lock(mutex_);
  const uint64_t start = offset_;
  offset_ += (words + 3) / 4 * 4;
  return {seed_, start};
}

Generator& default_generator() {
  static Generator g;
  return g;
}

namespace {

Generator& gen_or_default(Generator* gen) { return gen ? *gen : default_generator(); }

void check_floating(DType dt, const char* op) {
  if (!is_floating(dt)) fail<DTypeError>(op, "expected a floating dtype, got ", dtype_name(dt));
}

// Runs fill(out) on t itself when contiguous, else on a buffer copied into t.
template <typename Fill>
void fill_contiguous(const Tensor& t, const Fill& fill) {
  Tensor out = t.is_contiguous() ? t : Tensor::empty(t.shape(), t.dtype());
  if (out.numel() > 0) fill(out);
  if (out.data_ptr() != t.data_ptr()) copy_(t, out);
  t.bump_version();
}

uint64_t words_per_value(DType dt) { return dt == DType::Float64 ? 2 : 1; }

}  // namespace

void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

uint64_t reserve_random_offset(uint64_t count) { return default_generator().claim(count).second; }

RngState get_rng_state() {
  const Generator& g = default_generator();
  return {g.seed(), g.offset()};
}

void set_rng_state(const RngState& state) { default_generator().set_state(state.seed, state.offset); }

void uniform_(const Tensor& t, double low, double high, Generator* gen) {
  check_defined(t, "uniform_");
  check_floating(t.dtype(), "uniform_");
  if (!(low <= high)) fail<ValueError>("uniform_", "expects low <= high, got low=", low, " high=", high);
  auto fn = need(K().uniform[static_cast<int>(t.dtype())], "uniform_", t.dtype());
  fill_contiguous(t, [&](const Tensor& out) {
    auto [seed, off] = gen_or_default(gen).claim(static_cast<uint64_t>(out.numel()) * words_per_value(out.dtype()));
    fn(static_cast<char*>(out.data_ptr()), out.numel(), seed, off, low, high);
  });
}

void normal_(const Tensor& t, double mean, double std, Generator* gen) {
  check_defined(t, "normal_");
  check_floating(t.dtype(), "normal_");
  if (!(std >= 0)) fail<ValueError>("normal_", "expects std >= 0.0, got ", std);
  auto fn = need(K().normal[static_cast<int>(t.dtype())], "normal_", t.dtype());
  fill_contiguous(t, [&](const Tensor& out) {
    auto [seed, off] = gen_or_default(gen).claim(static_cast<uint64_t>(out.numel()) * words_per_value(out.dtype()));
    fn(static_cast<char*>(out.data_ptr()), out.numel(), seed, off, mean, std);
  });
}

Tensor rand(const Shape& shape, DType dtype, Generator* gen) {
  check_floating(dtype, "rand");
  Tensor t = Tensor::empty(shape, dtype);
  uniform_(t, 0.0, 1.0, gen);
  return t;
}

Tensor randn(const Shape& shape, DType dtype, Generator* gen) {
  check_floating(dtype, "randn");
  Tensor t = Tensor::empty(shape, dtype);
  normal_(t, 0.0, 1.0, gen);
  return t;
}

Tensor randint(int64_t low, int64_t high, const Shape& shape, DType dtype, Generator* gen) {
  if (high <= low) fail<ValueError>("randint", "expects low < high, got low=", low, " high=", high);
  Tensor u = Tensor::empty(shape, DType::Float64);
  uniform_(u, 0.0, 1.0, gen);
  const double span = static_cast<double>(high - low);
  double* p = u.data<double>();
  for (int64_t i = 0; i < u.numel(); ++i)
    p[i] = static_cast<double>(low) + std::min(std::floor(p[i] * span), span - 1.0);
  return to_dtype(u, dtype);
}

Tensor randperm(int64_t n, DType dtype, Generator* gen) {
  if (n < 0) fail<ValueError>("randperm", "n must be non-negative, got ", n);
  Tensor u = Tensor::empty({n}, DType::Float64);
  uniform_(u, 0.0, 1.0, gen);
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

Tensor bernoulli(const Shape& shape, double p, DType dtype, Generator* gen) {
  if (!(p >= 0.0 && p <= 1.0)) fail<ValueError>("bernoulli", "expects 0 <= p <= 1, got ", p);
  Tensor u = rand(shape, DType::Float32, gen);
  return to_dtype(binary(BinaryOp::Lt, u, scalar_tensor(p, DType::Float64)), dtype);
}

// ---- sampling --------------------------------------------------------------------------------
Tensor multinomial(const Tensor& probs, int64_t num_samples, bool replacement, Generator* gen) {
  const char* op = "multinomial";
  check_defined(probs, op, "probs");
  if (probs.ndim() < 1 || probs.ndim() > 2)
    fail<ShapeError>(op, "prob_dist must be 1 or 2 dim, got shape ", shape_str(probs.shape()));
  if (!is_floating(probs.dtype()))
    fail<DTypeError>(op, "only supports floating-point dtypes for input, got ", dtype_name(probs.dtype()));
  if (num_samples <= 0) fail<ValueError>(op, "cannot sample n_sample <= 0 samples, got ", num_samples);
  const int64_t n = probs.shape().back();
  const int64_t rows = probs.ndim() == 2 ? probs.shape()[0] : 1;
  if (n == 0) fail<ValueError>(op, "number of categories cannot be zero (input shape ", shape_str(probs.shape()), ")");
  if (!replacement && num_samples > n)
    fail<ValueError>(op, "cannot sample n_sample > prob_dist.size(-1) samples without replacement (", num_samples,
                     " > ", n, ")");
  const Tensor w = contiguous(probs);
  // Validation in double over the whole tensor: non-negative, finite, a positive sum per row.
  const Tensor wd = to_dtype(w, DType::Float64);
  const double* p = wd.data<double>();
  for (int64_t r = 0; r < rows; ++r) {
    double total = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      const double v = p[r * n + i];
      if (!(v >= 0.0) || !std::isfinite(v))
        fail<ValueError>(op, "probability tensor contains either `inf`, `nan` or element < 0 (row ", r, ")");
      total += v;
    }
    if (!(total > 0.0)) fail<ValueError>(op, "invalid multinomial distribution (sum of probabilities <= 0) in row ", r);
  }
  auto fn = need(K().multinomial[static_cast<int>(w.dtype())], op, w.dtype());
  const bool race = !replacement && num_samples > 1;
  const uint64_t per_row = static_cast<uint64_t>((2 * (race ? n : num_samples) + 3) / 4);
  auto [seed, off] = gen_or_default(gen).claim(static_cast<uint64_t>(rows) * per_row * 4);
  Tensor out = Tensor::empty(probs.ndim() == 2 ? Shape{rows, num_samples} : Shape{num_samples}, DType::Int64);
  fn(static_cast<const char*>(w.data_ptr()), out.data<int64_t>(), rows, n, num_samples, replacement, seed, off);
  return out;
}

void bernoulli_(const Tensor& t, const Tensor& p, Generator* gen) {
  check_defined(t, "bernoulli_");
  check_defined(p, "bernoulli_", "p");
  if (!is_floating(p.dtype()))
    fail<DTypeError>("bernoulli_", "expected p to be a floating point tensor, got ", dtype_name(p.dtype()));
  if (broadcast_shapes(t.shape(), p.shape(), "bernoulli_") != t.shape())
    fail<ShapeError>("bernoulli_", "p of shape ", shape_str(p.shape()), " cannot be broadcast to ", shape_str(t.shape()));
  Tensor probs = Tensor::empty(t.shape(), DType::Float64);
  copy_(probs, p);
  const double* pp = probs.data<double>();
  for (int64_t i = 0; i < probs.numel(); ++i)
    if (!(pp[i] >= 0.0 && pp[i] <= 1.0))
      fail<ValueError>("bernoulli_", "expected all probabilities in [0, 1], got ", pp[i]);
  auto fn = need(K().bernoulli[static_cast<int>(t.dtype())], "bernoulli_", t.dtype());
  fill_contiguous(t, [&](const Tensor& out) {
    auto [seed, off] = gen_or_default(gen).claim(2 * static_cast<uint64_t>(out.numel()));
    fn(static_cast<char*>(out.data_ptr()), pp, 0.0, out.numel(), seed, off);
  });
}

void bernoulli_(const Tensor& t, double p, Generator* gen) {
  check_defined(t, "bernoulli_");
  if (!(p >= 0.0 && p <= 1.0)) fail<ValueError>("bernoulli_", "expects 0 <= p <= 1, got ", p);
  auto fn = need(K().bernoulli[static_cast<int>(t.dtype())], "bernoulli_", t.dtype());
  fill_contiguous(t, [&](const Tensor& out) {
    auto [seed, off] = gen_or_default(gen).claim(2 * static_cast<uint64_t>(out.numel()));
    fn(static_cast<char*>(out.data_ptr()), nullptr, p, out.numel(), seed, off);
  });
}

void exponential_(const Tensor& t, double lambd, Generator* gen) {
  check_defined(t, "exponential_");
  check_floating(t.dtype(), "exponential_");
  if (!(lambd > 0.0)) fail<ValueError>("exponential_", "expects lambda > 0.0, but found lambda=", lambd);
  auto fn = need(K().exponential[static_cast<int>(t.dtype())], "exponential_", t.dtype());
  fill_contiguous(t, [&](const Tensor& out) {
    auto [seed, off] = gen_or_default(gen).claim(2 * static_cast<uint64_t>(out.numel()));
    fn(static_cast<char*>(out.data_ptr()), out.numel(), lambd, seed, off);
  });
}

void geometric_(const Tensor& t, double p, Generator* gen) {
  check_defined(t, "geometric_");
  if (!(p > 0.0 && p <= 1.0)) fail<ValueError>("geometric_", "expects p to be in (0, 1], but got p=", p);
  auto fn = need(K().geometric[static_cast<int>(t.dtype())], "geometric_", t.dtype());
  fill_contiguous(t, [&](const Tensor& out) {
    auto [seed, off] = gen_or_default(gen).claim(2 * static_cast<uint64_t>(out.numel()));
    fn(static_cast<char*>(out.data_ptr()), out.numel(), p, seed, off);
  });
}

void random_(const Tensor& t, int64_t from, std::optional<int64_t> to, Generator* gen) {
  const char* op = "random_";
  check_defined(t, op);
  if (t.dtype() == DType::Bool) {
    if (from != 0 || (to && *to != 2))
      fail<ValueError>(op, "bool tensors take values in [0, 2), got from=", from, " to=", to ? *to : 2);
    bernoulli_(t, 0.5, gen);
    return;
  }
  // The largest integer a dtype holds exactly (and its lowest).
  double top = 0.0;
  switch (t.dtype()) {
    case DType::Float32: top = 0x1p24; break;
    case DType::Float64: top = 0x1p53; break;
    case DType::Int32: top = 2147483647.0; break;
    default: top = 9223372036854775807.0; break;
  }
  uint64_t span;
  if (to) {
    if (from >= *to) fail<ValueError>(op, "expects 'from' to be less than 'to', but got from=", from, " >= to=", *to);
    if (static_cast<double>(from) < -top || static_cast<double>(*to - 1) > top)
      fail<ValueError>(op, "range [", from, ", ", *to, ") is outside the integers ", dtype_name(t.dtype()),
                       " holds exactly");
    span = static_cast<uint64_t>(*to) - static_cast<uint64_t>(from);
  } else {
    if (static_cast<double>(from) > top) fail<ValueError>(op, "'from' ", from, " is above ", dtype_name(t.dtype()), "'s range");
    span = t.dtype() == DType::Int64 ? (uint64_t{1} << 63) - static_cast<uint64_t>(from)
                                     : static_cast<uint64_t>(top) + 1 - static_cast<uint64_t>(from);
  }
  auto fn = need(K().random_int[static_cast<int>(t.dtype())], op, t.dtype());
  fill_contiguous(t, [&](const Tensor& out) {
    auto [seed, off] = gen_or_default(gen).claim(2 * static_cast<uint64_t>(out.numel()));
    fn(static_cast<char*>(out.data_ptr()), out.numel(), from, span, seed, off);
  });
}

Tensor poisson(const Tensor& rates, Generator* gen) {
  check_defined(rates, "poisson", "rates");
  check_floating(rates.dtype(), "poisson");
  const Tensor r = contiguous(rates);
  const Tensor rd = to_dtype(r, DType::Float64);
  const double* p = rd.data<double>();
  for (int64_t i = 0; i < rd.numel(); ++i)
    if (!(p[i] >= 0.0) || std::isinf(p[i])) fail<ValueError>("poisson", "expects finite rates >= 0, got ", p[i]);
  auto fn = need(K().poisson[static_cast<int>(r.dtype())], "poisson", r.dtype());
  Tensor out = Tensor::empty(r.shape(), r.dtype());
  if (r.numel() > 0) {
    auto [seed, off] = gen_or_default(gen).claim(4 * static_cast<uint64_t>(r.numel()));
    fn(static_cast<const char*>(r.data_ptr()), static_cast<char*>(out.data_ptr()), r.numel(), seed, off);
  }
  return out;
}

}  // namespace tensorforge
