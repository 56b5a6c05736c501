// Front end of the fused optimizer updates: shape/dtype/layout checks, then one kernel call.
// Everything is validated before any version is bumped, so a failed call changes nothing.
#include <cmath>
#include <initializer_list>

#include "core/frontend.h"
#include "tensorforge/nn_ops.h"

namespace tensorforge {

using namespace core;

namespace {

struct Named {
  const Tensor* tensor;
  const char* name;
};

// Checks param and grad; returns grad as a contiguous tensor.
Tensor check_param(const Tensor& param, const Tensor& grad, const char* op) {
  check_defined(param, op, "param");
  check_defined(grad, op, "grad");
  if (!is_floating(param.dtype()))
    fail<DTypeError>(op, "parameters must be float32 or float64, got ", dtype_name(param.dtype()));
  if (!param.is_contiguous()) fail<ShapeError>(op, "parameter of shape ", shape_str(param.shape()), " is not contiguous");
  if (grad.shape() != param.shape())
    fail<ShapeError>(op, "grad shape ", shape_str(grad.shape()), " does not match param shape ", shape_str(param.shape()));
  if (grad.dtype() != param.dtype())
    fail<DTypeError>(op, "grad dtype ", dtype_name(grad.dtype()), " does not match param dtype ", dtype_name(param.dtype()));
  return contiguous(grad);
}

// Checks each defined state tensor against the param (same shape and dtype, contiguous).
void check_state(const Tensor& param, const char* op, std::initializer_list<Named> states) {
  for (const Named& s : states) {
    const Tensor& t = *s.tensor;
    if (!t.defined()) continue;
    if (t.shape() != param.shape())
      fail<ShapeError>(op, s.name, " shape ", shape_str(t.shape()), " does not match param shape ", shape_str(param.shape()));
    if (t.dtype() != param.dtype())
      fail<DTypeError>(op, s.name, " dtype ", dtype_name(t.dtype()), " does not match param dtype ", dtype_name(param.dtype()));
    if (!t.is_contiguous()) fail<ShapeError>(op, s.name, " of shape ", shape_str(t.shape()), " is not contiguous");
  }
}

void require(const Tensor& t, const char* op, const char* name, const char* why) {
  if (!t.defined()) fail<ValueError>(op, name, " is required", why);
}

// Marks the written tensors modified; returns the data pointer of t (null when undefined).
char* written(const Tensor& t) {
  if (!t.defined()) return nullptr;
  t.bump_version();
  return static_cast<char*>(t.data_ptr());
}

const char* data(const Tensor& t) { return static_cast<const char*>(t.data_ptr()); }

}  // namespace

void sgd_step(const Tensor& param, const Tensor& grad_in, const Tensor& momentum_buf, double lr, double momentum,
              double dampening, double weight_decay, bool nesterov, bool maximize, bool first_step) {
  const char* op = "sgd";
  const Tensor grad = check_param(param, grad_in, op);
  check_state(param, op, {{&momentum_buf, "momentum_buffer"}});
  if (momentum != 0.0) require(momentum_buf, op, "momentum_buffer", " when momentum != 0");
  auto kernel = need(K().sgd[static_cast<int>(param.dtype())], op, param.dtype());
  kernel(written(param), data(grad), momentum != 0.0 ? written(momentum_buf) : nullptr, param.numel(), lr, momentum,
         dampening, weight_decay, nesterov, maximize, first_step);
}

void adam_step(const Tensor& param, const Tensor& grad_in, const Tensor& exp_avg, const Tensor& exp_avg_sq,
               const Tensor& max_exp_avg_sq, int64_t step, double lr, double beta1, double beta2, double eps,
               double weight_decay, bool decoupled_decay, bool maximize) {
  const char* op = decoupled_decay ? "adamw" : "adam";
  const Tensor grad = check_param(param, grad_in, op);
  check_state(param, op, {{&exp_avg, "exp_avg"}, {&exp_avg_sq, "exp_avg_sq"}, {&max_exp_avg_sq, "max_exp_avg_sq"}});
  require(exp_avg, op, "exp_avg", "");
  require(exp_avg_sq, op, "exp_avg_sq", "");
  if (step < 1) fail<ValueError>(op, "step must be >= 1, got ", step);
  const double bc1 = 1.0 - std::pow(beta1, static_cast<double>(step));
  const double bc2 = 1.0 - std::pow(beta2, static_cast<double>(step));
  auto kernel = need(K().adam[static_cast<int>(param.dtype())], op, param.dtype());
  kernel(written(param), data(grad), written(exp_avg), written(exp_avg_sq), written(max_exp_avg_sq), param.numel(), lr,
         beta1, beta2, eps, weight_decay, bc1, bc2, decoupled_decay, maximize);
}

void rmsprop_step(const Tensor& param, const Tensor& grad_in, const Tensor& square_avg, const Tensor& grad_avg,
                  const Tensor& momentum_buf, double lr, double alpha, double eps, double weight_decay,
                  double momentum, bool maximize) {
  const char* op = "rmsprop";
  const Tensor grad = check_param(param, grad_in, op);
  check_state(param, op,
              {{&square_avg, "square_avg"}, {&grad_avg, "grad_avg"}, {&momentum_buf, "momentum_buffer"}});
  require(square_avg, op, "square_avg", "");
  if (momentum > 0.0) require(momentum_buf, op, "momentum_buffer", " when momentum > 0");
  auto kernel = need(K().rmsprop[static_cast<int>(param.dtype())], op, param.dtype());
  kernel(written(param), data(grad), written(square_avg), written(grad_avg),
         momentum > 0.0 ? written(momentum_buf) : nullptr, param.numel(), lr, alpha, eps, weight_decay, momentum,
         maximize);
}

void adagrad_step(const Tensor& param, const Tensor& grad_in, const Tensor& state_sum, int64_t step, double lr,
                  double lr_decay, double weight_decay, double eps, bool maximize) {
  const char* op = "adagrad";
  const Tensor grad = check_param(param, grad_in, op);
  check_state(param, op, {{&state_sum, "sum"}});
  require(state_sum, op, "sum", "");
  if (step < 1) fail<ValueError>(op, "step must be >= 1, got ", step);
  const double clr = lr / (1.0 + static_cast<double>(step - 1) * lr_decay);
  auto kernel = need(K().adagrad[static_cast<int>(param.dtype())], op, param.dtype());
  kernel(written(param), data(grad), written(state_sum), param.numel(), clr, weight_decay, eps, maximize);
}

}  // namespace tensorforge
