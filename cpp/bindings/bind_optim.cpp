// Fused optimizer updates (in place). Optional state tensors are passed as None.
#include <pybind11/stl.h>

#include "bindings.h"
#include "tensorforge/tensorforge.h"

namespace py = pybind11;

namespace tensorforge::bindings {

namespace {
Tensor opt(const std::optional<Tensor>& t) { return t ? *t : Tensor(); }
}  // namespace

void bind_optim(py::module_& m) {
  m.def("sgd_step", [](const Tensor& p, const Tensor& g, const std::optional<Tensor>& buf, double lr, double momentum,
                       double dampening, double wd, bool nesterov, bool maximize, bool first) {
    const Tensor b = opt(buf);
    py::gil_scoped_release release;
    sgd_step(p, g, b, lr, momentum, dampening, wd, nesterov, maximize, first);
  });
  m.def("adam_step", [](const Tensor& p, const Tensor& g, const Tensor& m1, const Tensor& m2,
                        const std::optional<Tensor>& vmax, int64_t step, double lr, double b1, double b2, double eps,
                        double wd, bool decoupled, bool maximize) {
    const Tensor vm = opt(vmax);
    py::gil_scoped_release release;
    adam_step(p, g, m1, m2, vm, step, lr, b1, b2, eps, wd, decoupled, maximize);
  });
  m.def("rmsprop_step", [](const Tensor& p, const Tensor& g, const Tensor& sq, const std::optional<Tensor>& gavg,
                           const std::optional<Tensor>& buf, double lr, double alpha, double eps, double wd,
                           double momentum, bool maximize) {
    const Tensor ga = opt(gavg), b = opt(buf);
    py::gil_scoped_release release;
    rmsprop_step(p, g, sq, ga, b, lr, alpha, eps, wd, momentum, maximize);
  });
  m.def("adagrad_step", [](const Tensor& p, const Tensor& g, const Tensor& sum, int64_t step, double lr,
                           double lr_decay, double wd, double eps, bool maximize) {
    py::gil_scoped_release release;
    adagrad_step(p, g, sum, step, lr, lr_decay, wd, eps, maximize);
  });
}

}  // namespace tensorforge::bindings
