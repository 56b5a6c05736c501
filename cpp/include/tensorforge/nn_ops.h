// Neural-network ops: convolution, pooling, normalisation, losses and fused optimizer updates.
// Same conventions as ops.h: validated front ends that throw typed errors naming the op.
#pragma once

#include <cstdint>
#include <optional>
#include <tuple>
#include <vector>

#include "tensorforge/tensor.h"

namespace tensorforge {

// ---- convolution ----
// Sizes are {height, width}. Shapes: input [N, C_in, H, W], weight [C_out, C_in / groups, kH, kW]
// (conv_transpose2d: [C_in, C_out / groups, kH, kW]), bias [C_out] or undefined.
// Throws ShapeError naming the op for wrong dims, channel counts, groups or empty outputs.

/// 2-D convolution (cross-correlation) as im2col + GEMM per image.
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, std::vector<int64_t> stride,
              std::vector<int64_t> padding, std::vector<int64_t> dilation, int64_t groups);
/// Gradients of conv2d w.r.t. input, weight and bias (each computed when its flag is set).
std::tuple<Tensor, Tensor, Tensor> conv2d_backward(const Tensor& grad, const Tensor& input, const Tensor& weight,
                                                   std::vector<int64_t> stride, std::vector<int64_t> padding,
                                                   std::vector<int64_t> dilation, int64_t groups,
                                                   bool need_input, bool need_weight, bool need_bias);
/// Transposed 2-D convolution (the gradient of conv2d w.r.t. its input, plus bias).
Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias, std::vector<int64_t> stride,
                        std::vector<int64_t> padding, std::vector<int64_t> output_padding, int64_t groups,
                        std::vector<int64_t> dilation);
/// Gradients of conv_transpose2d w.r.t. input, weight and bias.
std::tuple<Tensor, Tensor, Tensor> conv_transpose2d_backward(const Tensor& grad, const Tensor& input,
                                                             const Tensor& weight, std::vector<int64_t> stride,
                                                             std::vector<int64_t> padding, int64_t groups,
                                                             std::vector<int64_t> dilation, bool need_input,
                                                             bool need_weight, bool need_bias);

// ---- 3-D convolution, unfold / fold (the same im2col lowering) ----
// Sizes are {depth, height, width} (one value: all three). Shapes: input [N, C_in, D, H, W] or
// [C_in, D, H, W], weight [C_out, C_in / groups, kD, kH, kW] (conv_transpose3d: [C_in,
// C_out / groups, kD, kH, kW]), bias [C_out] or undefined. Errors as for conv2d.

/// 3-D convolution (cross-correlation) as vol2col + GEMM per image.
Tensor conv3d(const Tensor& input, const Tensor& weight, const Tensor& bias, std::vector<int64_t> stride,
              std::vector<int64_t> padding, std::vector<int64_t> dilation, int64_t groups);
/// Gradients of conv3d w.r.t. input, weight and bias (each computed when its flag is set).
std::tuple<Tensor, Tensor, Tensor> conv3d_backward(const Tensor& grad, const Tensor& input, const Tensor& weight,
                                                   std::vector<int64_t> stride, std::vector<int64_t> padding,
                                                   std::vector<int64_t> dilation, int64_t groups,
                                                   bool need_input, bool need_weight, bool need_bias);
/// Transposed 3-D convolution (the gradient of conv3d w.r.t. its input, plus bias).
Tensor conv_transpose3d(const Tensor& input, const Tensor& weight, const Tensor& bias, std::vector<int64_t> stride,
                        std::vector<int64_t> padding, std::vector<int64_t> output_padding, int64_t groups,
                        std::vector<int64_t> dilation);
/// Gradients of conv_transpose3d w.r.t. input, weight and bias.
std::tuple<Tensor, Tensor, Tensor> conv_transpose3d_backward(const Tensor& grad, const Tensor& input,
                                                             const Tensor& weight, std::vector<int64_t> stride,
                                                             std::vector<int64_t> padding, int64_t groups,
                                                             std::vector<int64_t> dilation, bool need_input,
                                                             bool need_weight, bool need_bias);
/// Sliding blocks of [N, C, H, W] (or [C, H, W]) input as columns: [N, C * kH * kW, L] with
/// L = out_h * out_w, row (c * kH + i) * kW + j (torch.nn.functional.unfold). Sizes {h, w}.
/// ShapeError for other dims or a kernel larger than the padded input.
Tensor unfold(const Tensor& input, std::vector<int64_t> kernel_size, std::vector<int64_t> dilation,
              std::vector<int64_t> padding, std::vector<int64_t> stride);
/// The adjoint of unfold: sums columns [N, C * kH * kW, L] (or unbatched) into [N, C, H, W]
/// with {H, W} = output_size. ShapeError when dim 1 is not a multiple of kH * kW or L is not
/// the number of blocks the sizes give.
Tensor fold(const Tensor& input, std::vector<int64_t> output_size, std::vector<int64_t> kernel_size,
            std::vector<int64_t> dilation, std::vector<int64_t> padding, std::vector<int64_t> stride);

// ---- pooling ----
// Input [N, C, H, W] (or [C, H, W]); sizes {height, width}; stride empty = kernel size.

/// Max pooling: values and the flat (h * W + w) index of each window's maximum.
std::pair<Tensor, Tensor> max_pool2d(const Tensor& input, std::vector<int64_t> kernel, std::vector<int64_t> stride,
                                     std::vector<int64_t> padding, std::vector<int64_t> dilation, bool ceil_mode);
/// Scatters grad to the recorded maxima; input_shape is the forward input's shape.
Tensor max_pool2d_backward(const Tensor& grad, const Tensor& indices, const Shape& input_shape);
/// Average pooling (count_include_pad, divisor_override = 0 for the window size).
Tensor avg_pool2d(const Tensor& input, std::vector<int64_t> kernel, std::vector<int64_t> stride,
                  std::vector<int64_t> padding, bool ceil_mode, bool count_include_pad, int64_t divisor_override);
Tensor avg_pool2d_backward(const Tensor& grad, const Shape& input_shape, std::vector<int64_t> kernel,
                           std::vector<int64_t> stride, std::vector<int64_t> padding, bool ceil_mode,
                           bool count_include_pad, int64_t divisor_override);
/// Adaptive average pooling to {out_h, out_w}.
Tensor adaptive_avg_pool2d(const Tensor& input, std::vector<int64_t> output_size);
Tensor adaptive_avg_pool2d_backward(const Tensor& grad, const Shape& input_shape);

/// Adaptive max pooling of [N, C, H, W] (or [C, H, W]) to {out_h, out_w}: values and flat
/// indices as max_pool2d records them (its backward applies).
std::pair<Tensor, Tensor> adaptive_max_pool2d(const Tensor& input, std::vector<int64_t> output_size);

// ---- 3-D pooling ----
// Input [N, C, D, H, W] (or [C, D, H, W]); sizes {depth, height, width} (one value: all three);
// stride empty = kernel size. Same rules and errors as the 2-D ops, named for the 3-D ones.

/// Max pooling: values and the flat (d * H * W + h * W + w) index of each window's maximum.
std::pair<Tensor, Tensor> max_pool3d(const Tensor& input, std::vector<int64_t> kernel, std::vector<int64_t> stride,
                                     std::vector<int64_t> padding, std::vector<int64_t> dilation, bool ceil_mode);
/// Scatters grad to the recorded maxima (of max_pool3d or adaptive_max_pool3d).
Tensor max_pool3d_backward(const Tensor& grad, const Tensor& indices, const Shape& input_shape);
/// Average pooling (count_include_pad, divisor_override = 0 for the window size).
Tensor avg_pool3d(const Tensor& input, std::vector<int64_t> kernel, std::vector<int64_t> stride,
                  std::vector<int64_t> padding, bool ceil_mode, bool count_include_pad, int64_t divisor_override);
Tensor avg_pool3d_backward(const Tensor& grad, const Shape& input_shape, std::vector<int64_t> kernel,
                           std::vector<int64_t> stride, std::vector<int64_t> padding, bool ceil_mode,
                           bool count_include_pad, int64_t divisor_override);
/// Adaptive average / max pooling to {out_d, out_h, out_w}.
Tensor adaptive_avg_pool3d(const Tensor& input, std::vector<int64_t> output_size);
Tensor adaptive_avg_pool3d_backward(const Tensor& grad, const Shape& input_shape);
std::pair<Tensor, Tensor> adaptive_max_pool3d(const Tensor& input, std::vector<int64_t> output_size);

/// Pads the last pads.size() / 2 dims; pads = {left, right, top, bottom, ...}, last dim first;
/// negative pads crop. mode "constant" (any dims, filled with value), or "reflect",
/// "replicate", "circular" (2 values for 2-D/3-D input, 4 for 3-D/4-D, 6 for 4-D/5-D;
/// floating dtypes).
/// Throws ValueError for an odd or too long pads list, an unknown mode, an empty output, or
/// reflect pads >= the size (circular: > the size).
Tensor pad(const Tensor& input, std::vector<int64_t> pads, const std::string& mode, double value);
/// Gradient of pad w.r.t. its input of shape input_shape.
Tensor pad_backward(const Tensor& grad, const Shape& input_shape, std::vector<int64_t> pads, const std::string& mode);
/// Resizes [N, C, L], [N, C, H, W] or [N, C, D, H, W] to `size` (one entry per spatial dim) with
/// mode "nearest", "nearest-exact", "linear" (3-D), "bilinear" (4-D) or "trilinear" (5-D). scales: the user's scale factors, one
/// per spatial dim, or empty; they set the source coordinates as in PyTorch. Throws
/// ShapeError/ValueError/DTypeError for other dims, modes, sizes or non-floating input.
Tensor interpolate(const Tensor& input, std::vector<int64_t> size, std::vector<double> scales, const std::string& mode,
                   bool align_corners);
/// Gradient of interpolate w.r.t. its input of shape input_shape (the size is grad's).
Tensor interpolate_backward(const Tensor& grad, const Shape& input_shape, std::vector<double> scales,
                            const std::string& mode, bool align_corners);

// ---- normalisation and dropout ----
// float32 / float64. Optional tensors (weight, bias, running stats) may be undefined.

/// Batch norm over dim 1 of input [N, C, *]: batch statistics when `training` (then the defined
/// running_mean / running_var [C] are updated in place with `momentum`, the variance unbiased),
/// the running statistics otherwise. Returns {out, save_mean, save_invstd} ([C] each) for the
/// backward. Throws ShapeError for fewer than 2 dims, a [C] mismatch, or one value per channel
/// in training; ValueError when eval mode lacks running stats.
std::tuple<Tensor, Tensor, Tensor> batch_norm(const Tensor& input, const Tensor& weight, const Tensor& bias,
                                              const Tensor& running_mean, const Tensor& running_var, bool training,
                                              double momentum, double eps);
/// Gradients of batch_norm w.r.t. input, weight and bias (each computed when its flag is set).
std::tuple<Tensor, Tensor, Tensor> batch_norm_backward(const Tensor& grad, const Tensor& input, const Tensor& weight,
                                                       const Tensor& save_mean, const Tensor& save_invstd,
                                                       bool training, bool need_input, bool need_weight,
                                                       bool need_bias);
/// Layer norm over the trailing `normalized_shape` dims; weight / bias have that shape.
/// Returns {out, mean, rstd} (mean / rstd shaped [*, 1, ..., 1]). ShapeError on a mismatch.
std::tuple<Tensor, Tensor, Tensor> layer_norm(const Tensor& input, const Shape& normalized_shape,
                                              const Tensor& weight, const Tensor& bias, double eps);
/// Gradients of layer_norm w.r.t. input, weight and bias (each computed when its flag is set).
std::tuple<Tensor, Tensor, Tensor> layer_norm_backward(const Tensor& grad, const Tensor& input,
                                                       const Shape& normalized_shape, const Tensor& weight,
                                                       const Tensor& mean, const Tensor& rstd, bool need_input,
                                                       bool need_weight, bool need_bias);
/// Dropout with the global generator: zeroes each element with probability p and scales the
/// rest by 1 / (1 - p). Returns {out, keep mask (bool)}. ValueError unless 0 <= p <= 1.
std::pair<Tensor, Tensor> dropout(const Tensor& input, double p);
/// grad * mask / (1 - p).
Tensor dropout_backward(const Tensor& grad, const Tensor& mask, double p);
/// Rows of weight [num, dim] picked by integer indices (any shape): out [*indices, dim].
/// IndexError naming the op for an index out of range.
Tensor embedding(const Tensor& weight, const Tensor& indices);
/// Gradient of embedding w.r.t. weight: grad rows summed into their index's row; the
/// padding_idx row (if >= 0) gets none.
Tensor embedding_backward(const Tensor& grad, const Tensor& indices, int64_t num_weights, int64_t padding_idx);

// ---- losses ----
// Reduction as in PyTorch: None keeps the per-sample losses, Mean / Sum reduce to a scalar.
enum class Reduction : int { None = 0, Mean = 1, Sum = 2 };

/// Softmax cross-entropy in one pass. input [N, C, *] or [C]; target class indices (int64,
/// [N, *] or []) or class probabilities (input's shape and dtype); weight [C] or undefined.
/// Mean divides by the summed weight of the non-ignored targets (by the sample count for
/// probabilities). Returns {loss, logsumexp per sample, total weight} (the last two for the
/// backward). ShapeError for mismatched shapes, DTypeError for a wrong target dtype,
/// IndexError "[cross_entropy] target 12 is out of bounds for 10 classes".
std::tuple<Tensor, Tensor, Tensor> cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight,
                                                 Reduction reduction, int64_t ignore_index, double label_smoothing);
/// Gradients of cross_entropy w.r.t. input and (probability targets, when need_target) target.
std::pair<Tensor, Tensor> cross_entropy_backward(const Tensor& grad, const Tensor& input, const Tensor& target,
                                                 const Tensor& weight, const Tensor& lse, const Tensor& total_weight,
                                                 Reduction reduction, int64_t ignore_index, double label_smoothing,
                                                 bool need_target);
/// Negative log-likelihood of class indices over log-probabilities (same layouts and errors as
/// cross_entropy, named nll_loss). Returns {loss, total weight}.
std::pair<Tensor, Tensor> nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight,
                                   Reduction reduction, int64_t ignore_index);
/// Gradient of nll_loss w.r.t. input.
Tensor nll_loss_backward(const Tensor& grad, const Tensor& input, const Tensor& target, const Tensor& weight,
                         const Tensor& total_weight, Reduction reduction, int64_t ignore_index);

/// Elementwise losses: mse, l1, smooth_l1 (param = beta), huber (param = delta),
/// binary_cross_entropy (input in [0, 1], log clamped at -100), binary_cross_entropy_with_logits
/// (pos_weight), kl_div (input log-probabilities; target probabilities or log-probabilities).
enum class PointwiseLoss : int { Mse, L1, SmoothL1, Huber, Bce, BceWithLogits, KlDiv, KlDivLogTarget };
/// input and target broadcast together (Bce / BceWithLogits need equal shapes); weight and
/// pos_weight (optional) broadcast to that shape. ShapeError naming the loss otherwise.
Tensor pointwise_loss(PointwiseLoss kind, const Tensor& input, const Tensor& target, const Tensor& weight,
                      const Tensor& pos_weight, double param, Reduction reduction);
/// Gradients w.r.t. input and target, shaped like the broadcast of the two (callers sum them
/// back to their operands' shapes).
std::pair<Tensor, Tensor> pointwise_loss_backward(PointwiseLoss kind, const Tensor& grad, const Tensor& input,
                                                  const Tensor& target, const Tensor& weight,
                                                  const Tensor& pos_weight, double param, Reduction reduction,
                                                  bool need_input, bool need_target);

/// CTC loss of log_probs [T, N, C] (floating, log-probabilities over C labels) against targets
/// ([N, S] padded, or 1-D concatenated), with input_lengths / target_lengths [N] (integers).
/// Returns {nll [N] (inf when no alignment exists), log_alpha [N, T, 2 * max_target + 1]} (the
/// forward variables, for the backward). ShapeError / ValueError for wrong shapes or lengths,
/// IndexError for a target outside [0, C) or equal to blank.
std::pair<Tensor, Tensor> ctc_loss(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                                   const Tensor& target_lengths, int64_t blank);
/// Gradient of ctc_loss's nll w.r.t. log_probs, weighted by grad [N], as PyTorch computes it
/// (exp(lp) minus the label occupancy: the logits' gradient when log_probs is a log_softmax).
/// zero_infinity zeroes the gradient of items whose nll is inf.
Tensor ctc_loss_backward(const Tensor& grad, const Tensor& log_probs, const Tensor& targets,
                         const Tensor& input_lengths, const Tensor& target_lengths, const Tensor& nll,
                         const Tensor& log_alpha, int64_t blank, bool zero_infinity);

// ---- optimizer updates ----
// Each updates `param` (and its state buffers) in place from `grad` in one fused pass, with
// torch.optim's update rule. All tensors must be contiguous with the param's shape and dtype
// (float32/float64); optional state may be undefined. Throws ShapeError/DTypeError otherwise,
// ValueError for a missing required state or step < 1; a failed call modifies nothing.
// Every tensor written (param and state) has its version bumped.

/// SGD with momentum/dampening/nesterov/weight decay. On the first step the momentum buffer is
/// set to the (decayed) gradient.
void sgd_step(const Tensor& param, const Tensor& grad, const Tensor& momentum_buf, double lr, double momentum,
              double dampening, double weight_decay, bool nesterov, bool maximize, bool first_step);
/// Adam / AdamW (decoupled_decay) with optional AMSGrad state; `step` counts from 1.
void adam_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
               const Tensor& max_exp_avg_sq, int64_t step, double lr, double beta1, double beta2, double eps,
               double weight_decay, bool decoupled_decay, bool maximize);
/// RMSprop; grad_avg defined = centered, momentum_buf defined = momentum.
void rmsprop_step(const Tensor& param, const Tensor& grad, const Tensor& square_avg, const Tensor& grad_avg,
                  const Tensor& momentum_buf, double lr, double alpha, double eps, double weight_decay,
                  double momentum, bool maximize);
/// Adagrad with learning-rate decay; `step` counts from 1.
void adagrad_step(const Tensor& param, const Tensor& grad, const Tensor& state_sum, int64_t step, double lr,
                  double lr_decay, double weight_decay, double eps, bool maximize);

}  // namespace tensorforge
