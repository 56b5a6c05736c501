// Fused optimizer updates (in place). Optional state tensors are passed as None.
#include <pybind11/stl.h>

#include "bindings.h"
#include "tensorforge/tensorforge.h"

namespace py = pybind11;
using namespace pybind11::literals;

namespace tensorforge::bindings {

namespace {
Tensor opt(const std::optional<Tensor>& t) { return t ? *t : Tensor(); }
}  // namespace

void bind_optim(py::module_& m) {
  m.def(
      "sgd_step",
      [](const Tensor& p, const Tensor& g, const std::optional<Tensor>& buf, double lr, double momentum,
         double dampening, double wd, bool nesterov, bool maximize, bool first) {
        const Tensor b = opt(buf);
        py::gil_scoped_release release;
        sgd_step(p, g, b, lr, momentum, dampening, wd, nesterov, maximize, first);
      },
      "param"_a, "grad"_a, "momentum_buffer"_a, "lr"_a, "momentum"_a, "dampening"_a, "weight_decay"_a, "nesterov"_a,
      "maximize"_a, "first_step"_a);
  m.def(
      "adam_step",
      [](const Tensor& p, const Tensor& g, const Tensor& m1, const Tensor& m2, const std::optional<Tensor>& vmax,
         int64_t step, double lr, double b1, double b2, double eps, double wd, bool decoupled, bool maximize) {
        const Tensor vm = opt(vmax);
        py::gil_scoped_release release;
        adam_step(p, g, m1, m2, vm, step, lr, b1, b2, eps, wd, decoupled, maximize);
      },
      "param"_a, "grad"_a, "exp_avg"_a, "exp_avg_sq"_a, "max_exp_avg_sq"_a, "step"_a, "lr"_a, "beta1"_a, "beta2"_a,
      "eps"_a, "weight_decay"_a, "decoupled_decay"_a, "maximize"_a);
  m.def(
      "rmsprop_step",
      [](const Tensor& p, const Tensor& g, const Tensor& sq, const std::optional<Tensor>& gavg,
         const std::optional<Tensor>& buf, double lr, double alpha, double eps, double wd, double momentum,
         bool maximize) {
        const Tensor ga = opt(gavg), b = opt(buf);
        py::gil_scoped_release release;
        rmsprop_step(p, g, sq, ga, b, lr, alpha, eps, wd, momentum, maximize);
      },
      "param"_a, "grad"_a, "square_avg"_a, "grad_avg"_a, "momentum_buffer"_a, "lr"_a, "alpha"_a, "eps"_a,
      "weight_decay"_a, "momentum"_a, "maximize"_a);
  m.def(
      "adagrad_step",
      [](const Tensor& p, const Tensor& g, const Tensor& sum, int64_t step, double lr, double lr_decay, double wd,
         double eps, bool maximize) {
        py::gil_scoped_release release;
        adagrad_step(p, g, sum, step, lr, lr_decay, wd, eps, maximize);
      },
      "param"_a, "grad"_a, "state_sum"_a, "step"_a, "lr"_a, "lr_decay"_a, "weight_decay"_a, "eps"_a, "maximize"_a);
}

}  // namespace tensorforge::bindings
