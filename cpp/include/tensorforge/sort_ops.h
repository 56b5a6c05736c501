// Sorting, selection and scans. Orders are PyTorch's: NaN sorts above +inf, -0 equals +0, and
// equal elements keep their input order (every sort is stable, whatever `stable` a caller asks
// for). A 0-dim input acts as one element along dim 0 (or -1) and gives 0-dim results.
// Errors: IndexError for a dim or k out of range, DTypeError for an unsupported dtype,
// ShapeError for mismatched shapes; each message names the op.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>

#include "tensorforge/tensor.h"

namespace tensorforge {

// ---- sorting and selection -------------------------------------------------------------------
/// Values sorted along dim and the int64 indices they came from (both x's shape).
std::pair<Tensor, Tensor> sort(const Tensor& x, int64_t dim = -1, bool descending = false);
/// The indices of sort(x, dim, descending).
Tensor argsort(const Tensor& x, int64_t dim = -1, bool descending = false);
/// The k largest (smallest unless largest) elements along dim, best first, and their indices;
/// dim's size becomes k. Ties: the lower index first. IndexError unless 0 <= k <= size.
std::pair<Tensor, Tensor> topk(const Tensor& x, int64_t k, int64_t dim = -1, bool largest = true);
/// The k-th smallest (1-based) element along dim and its index. IndexError unless 1 <= k <= size.
std::pair<Tensor, Tensor> kthvalue(const Tensor& x, int64_t k, int64_t dim = -1, bool keepdim = false);
/// The lower median along dim and its index. A slice holding a NaN gives NaN (its first NaN)
/// unless ignore_nan (nanmedian), which takes the median of the other values.
std::pair<Tensor, Tensor> median_dim(const Tensor& x, int64_t dim, bool keepdim = false, bool ignore_nan = false);
/// The lower median of all elements (0-dim; NaN for an empty tensor).
Tensor median(const Tensor& x, bool ignore_nan = false);
/// The most frequent value along dim (the smallest of equally frequent ones) and its last index.
std::pair<Tensor, Tensor> mode(const Tensor& x, int64_t dim = -1, bool keepdim = false);

/// Results of unique / unique_consecutive; inverse and counts are undefined unless asked for.
struct UniqueResult {
  Tensor values, inverse, counts;
};
/// Sorted distinct elements (of the flattened tensor, or distinct slices along dim), with the
/// index of each input element's (slice's) entry (int64, x's shape or [size of dim]) and the
/// number of times each occurs. NaNs are all distinct, -0 equals +0.
UniqueResult unique(const Tensor& x, bool return_inverse = false, bool return_counts = false,
                    std::optional<int64_t> dim = std::nullopt);
/// Like unique, but only runs of equal consecutive elements (slices) collapse; no sorting.
UniqueResult unique_consecutive(const Tensor& x, bool return_inverse = false, bool return_counts = false,
                                std::optional<int64_t> dim = std::nullopt);

/// Indices where `values` would be inserted into the innermost dim of `sorted` (1-D, or the
/// same leading dims as values) to keep it sorted: after equal entries when right. sorter (may
/// be undefined): int64 indices that sort `sorted` along its last dim. Operands are promoted
/// to a common dtype. int64 result of values' shape (int32 when out_int32).
Tensor searchsorted(const Tensor& sorted, const Tensor& values, bool out_int32 = false, bool right = false,
                    const Tensor& sorter = Tensor());
/// searchsorted(boundaries, x, out_int32, right) for 1-D boundaries.
Tensor bucketize(const Tensor& x, const Tensor& boundaries, bool out_int32 = false, bool right = false);

// ---- scans ---------------------------------------------------------------------------------------
/// Running sum along dim (in dtype when given). bool / int inputs give int64. reverse sums from
/// the end (a tensorforge extension, used by backward rules).
Tensor cumsum(const Tensor& x, int64_t dim, std::optional<DType> dtype = std::nullopt, bool reverse = false);
/// Running product along dim; bool / int inputs give int64.
Tensor cumprod(const Tensor& x, int64_t dim, std::optional<DType> dtype = std::nullopt);
/// log(cumsum(exp(x))) along dim, computed stably; floating dtypes only.
Tensor logcumsumexp(const Tensor& x, int64_t dim, bool reverse = false);
/// Running max / min along dim and the index of the element that set it (the latest among
/// equal values; once a NaN appears it stays).
std::pair<Tensor, Tensor> cummax(const Tensor& x, int64_t dim);
std::pair<Tensor, Tensor> cummin(const Tensor& x, int64_t dim);
/// Gradient of out = cumprod(x, dim) given grad_out (exact where x holds zeros).
Tensor cumprod_backward(const Tensor& grad, const Tensor& x, const Tensor& out, int64_t dim);

}  // namespace tensorforge
