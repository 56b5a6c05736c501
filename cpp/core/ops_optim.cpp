// Front end of the fused optimizer updates: shape/dtype/layout checks, then one kernel call.
#include <cmath>

#include "core/frontend.h"
#include "tensorforge/nn_ops.h"

namespace tensorforge {

using namespace core;

namespace {

// Checks a state tensor (when defined) against the param; returns its data or null.
char* state_ptr(const Tensor& t, const Tensor& param, const char* op, const char* what) {
  if (!t.defined()) return nullptr;
  if (t.shape() != param.shape() || t.dtype() != param.dtype() || !t.is_contiguous())
    fail<ShapeError>(op, what, " must be a contiguous ", dtype_name(param.dtype()), " tensor of shape ",
                     shape_str(param.shape()), ", got ", dtype_name(t.dtype()), " ", shape_str(t.shape()),
                     t.is_contiguous() ? "" : " (non-contiguous)");
  t.bump_version();
  return static_cast<char*>(t.data_ptr());
}

void check_param(const Tensor& param, const Tensor& grad, const char* op) {
  check_defined(param, op, "param");
  check_defined(grad, op, "grad");
  if (!is_floating(param.dtype()))
    fail<DTypeError>(op, "parameters must be floating point, got ", dtype_name(param.dtype()));
  if (!param.is_contiguous()) fail<ShapeError>(op, "parameter of shape ", shape_str(param.shape()), " is not contiguous");
  if (grad.shape() != param.shape())
    fail<ShapeError>(op, "grad shape ", shape_str(grad.shape()), " does not match param shape ", shape_str(param.shape()));
  if (grad.dtype() != param.dtype())
    fail<DTypeError>(op, "grad dtype ", dtype_name(grad.dtype()), " does not match param dtype ", dtype_name(param.dtype()));
  param.bump_version();
}

}  // namespace

void sgd_step(const Tensor& param, const Tensor& grad_in, const Tensor& momentum_buf, double lr, double momentum,
              double dampening, double weight_decay, bool nesterov, bool maximize, bool first_step) {
  check_param(param, grad_in, "sgd");
  const Tensor grad = contiguous(grad_in);
  char* buf = state_ptr(momentum_buf, param, "sgd", "momentum_buffer");
  if (momentum != 0.0 && !buf) fail<ValueError>("sgd", "momentum > 0 needs a momentum buffer");
  need(K().sgd[static_cast<int>(param.dtype())], "sgd", param.dtype())(
      static_cast<char*>(param.data_ptr()), static_cast<const char*>(grad.data_ptr()), buf, param.numel(), lr, momentum,
      dampening, weight_decay, nesterov, maximize, first_step);
}

void adam_step(const Tensor& param, const Tensor& grad_in, const Tensor& exp_avg, const Tensor& exp_avg_sq,
               const Tensor& max_exp_avg_sq, int64_t step, double lr, double beta1, double beta2, double eps,
               double weight_decay, bool decoupled_decay, bool maximize) {
  const char* op = decoupled_decay ? "adamw" : "adam";
  check_param(param, grad_in, op);
  if (step < 1) fail<ValueError>(op, "step must be >= 1, got ", step);
  const Tensor grad = contiguous(grad_in);
  char* m = state_ptr(exp_avg, param, op, "exp_avg");
  char* v = state_ptr(exp_avg_sq, param, op, "exp_avg_sq");
  if (!m || !v) fail<ValueError>(op, "exp_avg and exp_avg_sq are required");
  char* vhat = state_ptr(max_exp_avg_sq, param, op, "max_exp_avg_sq");
  const double bc1 = 1.0 - std::pow(beta1, static_cast<double>(step));
  const double bc2 = 1.0 - std::pow(beta2, static_cast<double>(step));
  need(K().adam[static_cast<int>(param.dtype())], op, param.dtype())(
      static_cast<char*>(param.data_ptr()), static_cast<const char*>(grad.data_ptr()), m, v, vhat, param.numel(), lr,
      beta1, beta2, eps, weight_decay, bc1, bc2, decoupled_decay, maximize);
}

void rmsprop_step(const Tensor& param, const Tensor& grad_in, const Tensor& square_avg, const Tensor& grad_avg,
                  const Tensor& momentum_buf, double lr, double alpha, double eps, double weight_decay,
                  double momentum, bool maximize) {
  check_param(param, grad_in, "rmsprop");
  const Tensor grad = contiguous(grad_in);
  char* sq = state_ptr(square_avg, param, "rmsprop", "square_avg");
  if (!sq) fail<ValueError>("rmsprop", "square_avg is required");
  need(K().rmsprop[static_cast<int>(param.dtype())], "rmsprop", param.dtype())(
      static_cast<char*>(param.data_ptr()), static_cast<const char*>(grad.data_ptr()), sq,
      state_ptr(grad_avg, param, "rmsprop", "grad_avg"), state_ptr(momentum_buf, param, "rmsprop", "momentum_buffer"),
      param.numel(), lr, alpha, eps, weight_decay, momentum, maximize);
}

void adagrad_step(const Tensor& param, const Tensor& grad_in, const Tensor& state_sum, int64_t step, double lr,
                  double lr_decay, double weight_decay, double eps, bool maximize) {
  check_param(param, grad_in, "adagrad");
  const Tensor grad = contiguous(grad_in);
  char* sum = state_ptr(state_sum, param, "adagrad", "sum");
  if (!sum) fail<ValueError>("adagrad", "the sum state is required");
  const double clr = lr / (1.0 + static_cast<double>(step - 1) * lr_decay);
  need(K().adagrad[static_cast<int>(param.dtype())], "adagrad", param.dtype())(
      static_cast<char*>(param.data_ptr()), static_cast<const char*>(grad.data_ptr()), sum, param.numel(), clr,
      weight_decay, eps, maximize);
}

}  // namespace tensorforge
