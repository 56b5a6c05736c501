// Random number generators and sampling. Every random op draws from a Generator: a counter-
// based Philox4x32-10 stream (seed, offset) that gives the same numbers for the same seed
// whatever the thread count or ISA. Ops take a Generator* (null: the global one).
// Errors: ValueError for a parameter out of its domain, DTypeError for an unsupported dtype,
// ShapeError for bad shapes; each message names the op.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <utility>

#include "tensorforge/tensor.h"

namespace tensorforge {

/// A seedable random stream. The offset counts the 32-bit words drawn so far; ops claim whole
/// Philox blocks (4 words), so consecutive draws never share numbers. Thread-safe.
class Generator {
 public:
  static constexpr uint64_t kDefaultSeed = 67280421310721ull;
  explicit Generator(uint64_t seed = kDefaultSeed) : seed_(seed) {}
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  /// Restarts the stream from `seed`.
  void manual_seed(uint64_t seed);
  uint64_t seed() const;
  uint64_t offset() const;
  /// Resumes a stream saved as (seed, offset); offset is rounded up to whole blocks.
  void set_state(uint64_t seed, uint64_t offset);
  /// Claims `words` words (rounded up to whole blocks): returns (seed, first word).
  std::pair<uint64_t, uint64_t> claim(uint64_t words);

 private:
  mutable std::mutex mutex_;
  uint64_t seed_;
  uint64_t offset_ = 0;
};

/// The global generator that manual_seed seeds and every op uses by default.
Generator& default_generator();

/// num_samples category indices per row of probs (1-D [n] or 2-D [rows, n]; non-negative,
/// finite, weights need not sum to 1): int64 [num_samples] or [rows, num_samples]. Without
/// replacement a category is drawn at most once (num_samples <= n), as sequential sampling
/// proportional to the remaining weights.
Tensor multinomial(const Tensor& probs, int64_t num_samples, bool replacement = false, Generator* gen = nullptr);
/// In place: each element set to 1 with probability p (a tensor broadcast to t, values in
/// [0, 1]), else 0.
void bernoulli_(const Tensor& t, const Tensor& p, Generator* gen = nullptr);
/// In place: each element 1 with probability p (0 <= p <= 1), else 0.
void bernoulli_(const Tensor& t, double p, Generator* gen = nullptr);
/// In place: Exponential(lambd) samples (lambd > 0). Floating dtypes.
void exponential_(const Tensor& t, double lambd = 1.0, Generator* gen = nullptr);
/// In place: Geometric(p) samples on {1, 2, ...} (0 < p <= 1).
void geometric_(const Tensor& t, double p, Generator* gen = nullptr);
/// In place: integers uniform on [from, to); without `to`, on [0, the dtype's largest integer
/// exactly representable] (2^24 for float32, 2^53 for float64, the max for integer dtypes).
void random_(const Tensor& t, int64_t from = 0, std::optional<int64_t> to = std::nullopt, Generator* gen = nullptr);
/// Poisson(rates) samples, of rates' dtype (floating; rates >= 0).
Tensor poisson(const Tensor& rates, Generator* gen = nullptr);

}  // namespace tensorforge
