// Attention ops: fused scaled dot-product attention, forward and backward. Same conventions
// as ops.h: validated front ends that throw typed errors naming the op.
#pragma once

#include <optional>
#include <tuple>
#include <utility>

#include "tensorforge/tensor.h"

namespace tensorforge {

/// softmax(query key^T * scale + mask) value, as torch.nn.functional.scaled_dot_product_attention
/// without dropout, in one tiled pass that never forms the [L, S] score matrix.
///
/// Shapes: query [*, L, E], key [*, S, E], value [*, S, Ev]; the leading (batch) dims broadcast
/// together. attn_mask (may be undefined) broadcasts to [*, L, S]: bool (true = the key takes
/// part) or the query's dtype (added to the scores). is_causal hides key j from query i when
/// j > i (top-left aligned). scale defaults to 1 / sqrt(E). enable_gqa lets key and value have
/// fewer heads (dim -3) than the query, each shared by a group of query heads (as
/// repeat_interleave). A query row that sees no key gets zeros.
///
/// Returns {out [*, L, Ev] (a view whose rows are laid out [*, L, heads, Ev]), logsumexp [*, L]}.
/// Throws ShapeError for fewer than 2 dims, mismatched E / S, batch dims that do not broadcast,
/// a head count that does not divide the query's, or a mask that does not broadcast; DTypeError
/// for non-floating or mixed dtypes or a mask of another dtype; ValueError when both attn_mask
/// and is_causal are given.
std::pair<Tensor, Tensor> scaled_dot_product_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                                                       const Tensor& attn_mask, bool is_causal,
                                                       std::optional<double> scale, bool enable_gqa);

/// Gradients of scaled_dot_product_attention w.r.t. query, key, value and a floating attn_mask,
/// from grad (shaped like out), the forward's out and logsumexp, and the same arguments.
/// Recomputes the scores block by block. Each gradient is returned (shaped like its input)
/// when its flag is set, undefined otherwise; the mask's only for a floating mask. Same errors
/// as the forward, plus ShapeError when grad / out / logsumexp do not match.
std::tuple<Tensor, Tensor, Tensor, Tensor> scaled_dot_product_attention_backward(
    const Tensor& grad, const Tensor& query, const Tensor& key, const Tensor& value, const Tensor& attn_mask,
    const Tensor& out, const Tensor& logsumexp, bool is_causal, std::optional<double> scale, bool enable_gqa,
    bool need_query, bool need_key, bool need_value, bool need_mask);

}  // namespace tensorforge
