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

// ---- pooling ----

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
