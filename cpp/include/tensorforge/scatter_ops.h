// Scatter along a dim, and counting into bins. Index tensors are int64 (int32 accepted) with
// values in [0, size of the target dim); an index out of range raises IndexError naming the
// op, the index and the dim, before anything is written.
#pragma once

#include <cstdint>
#include <string>

#include "tensorforge/tensor.h"

namespace tensorforge {

/// How scatter combines an update with its target.
enum class ScatterReduce : uint8_t { None, Sum, Prod, Mean, Amax, Amin };

/// In place, along dim: self[..., index[p], ...] = src[p] for every position p of index
/// (reduce None; with duplicate targets the last update wins), or combined with the reduction.
/// include_self = false leaves the old values of the targets out of the reduction (targets no
/// update reaches keep them). Mean divides by the number of contributions (floor division for
/// integers). index has self's number of dims and is no larger than src in any dim, nor than
/// self outside dim; src has self's dtype. Throws ShapeError / DTypeError / IndexError.
void scatter_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
              ScatterReduce reduce = ScatterReduce::None, bool include_self = true);
/// The same with one value (converted to self's dtype) for every position of index.
void scatter_value_(const Tensor& self, int64_t dim, const Tensor& index, double value,
                    ScatterReduce reduce = ScatterReduce::None);
/// Out-of-place forms: a copy of self with the scatter applied (for a contiguous self the copy
/// happens inside the scatter's own pass).
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
               ScatterReduce reduce = ScatterReduce::None, bool include_self = true);
Tensor scatter_value(const Tensor& self, int64_t dim, const Tensor& index, double value,
                     ScatterReduce reduce = ScatterReduce::None);
/// Parses PyTorch's reduce names: "sum", "prod", "mean", "amax", "amin", and the legacy
/// scatter_ names "add", "multiply". Throws ValueError naming op otherwise.
ScatterReduce scatter_reduce_from_name(const std::string& name, const char* op);

/// Occurrences of each value of x (1-D, non-negative integers) in max(x) + 1 (at least
/// minlength) bins, int64; with weights (x's length), the weights summed per bin instead
/// (float32 weights give float32, other weights float64).
Tensor bincount(const Tensor& x, const Tensor& weights = Tensor(), int64_t minlength = 0);
/// Histogram of x (floating) in `bins` equal bins over [min, max]; min == max takes the data's
/// range. Elements outside the range are ignored. Result has x's dtype.
Tensor histc(const Tensor& x, int64_t bins = 100, double min = 0.0, double max = 0.0);

}  // namespace tensorforge
