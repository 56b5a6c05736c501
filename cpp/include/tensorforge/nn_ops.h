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

// ---- normalisation and dropout ----

// ---- losses ----

// ---- optimizer updates ----
// Each updates `param` (and its state buffers) in place from `grad` in one fused pass, with
// torch.optim's update rule. All tensors must be contiguous with the param's shape and dtype
// (float32/float64); optional state may be undefined. Throws ShapeError/DTypeError otherwise.

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
