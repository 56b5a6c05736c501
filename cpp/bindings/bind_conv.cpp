// Convolution, pooling, pad and interpolate, forward and backward.
#include <pybind11/stl.h>

#include "bindings.h"
#include "tensorforge/tensorforge.h"

namespace py = pybind11;

namespace tensorforge::bindings {

namespace {
Tensor opt(const std::optional<Tensor>& t) { return t ? *t : Tensor(); }
}  // namespace

void bind_conv(py::module_& m) {
  const auto nogil = py::call_guard<py::gil_scoped_release>();
  m.def("conv2d", [](const Tensor& x, const Tensor& w, const std::optional<Tensor>& b, std::vector<int64_t> s,
                     std::vector<int64_t> p, std::vector<int64_t> d, int64_t groups) {
    const Tensor bias = opt(b);
    py::gil_scoped_release release;
    return conv2d(x, w, bias, s, p, d, groups);
  });
  m.def("conv2d_backward", &conv2d_backward, nogil);
  m.def("conv_transpose2d", [](const Tensor& x, const Tensor& w, const std::optional<Tensor>& b, std::vector<int64_t> s,
                               std::vector<int64_t> p, std::vector<int64_t> op, int64_t groups, std::vector<int64_t> d) {
    const Tensor bias = opt(b);
    py::gil_scoped_release release;
    return conv_transpose2d(x, w, bias, s, p, op, groups, d);
  });
  m.def("conv_transpose2d_backward", &conv_transpose2d_backward, nogil);
  // ---- 3-D convolution, unfold / fold ----
  m.def("conv3d", [](const Tensor& x, const Tensor& w, const std::optional<Tensor>& b, std::vector<int64_t> s,
                     std::vector<int64_t> p, std::vector<int64_t> d, int64_t groups) {
    const Tensor bias = opt(b);
    py::gil_scoped_release release;
    return conv3d(x, w, bias, s, p, d, groups);
  });
  m.def("conv3d_backward", &conv3d_backward, nogil);
  m.def("conv_transpose3d", [](const Tensor& x, const Tensor& w, const std::optional<Tensor>& b, std::vector<int64_t> s,
                               std::vector<int64_t> p, std::vector<int64_t> op, int64_t groups, std::vector<int64_t> d) {
    const Tensor bias = opt(b);
    py::gil_scoped_release release;
    return conv_transpose3d(x, w, bias, s, p, op, groups, d);
  });
  m.def("conv_transpose3d_backward", &conv_transpose3d_backward, nogil);
  m.def("unfold", &unfold, nogil);
  m.def("fold", &fold, nogil);
  m.def("max_pool2d", &max_pool2d, nogil);
  m.def("max_pool2d_backward", &max_pool2d_backward, nogil);
  m.def("avg_pool2d", &avg_pool2d, nogil);
  m.def("avg_pool2d_backward", &avg_pool2d_backward, nogil);
  m.def("adaptive_avg_pool2d", &adaptive_avg_pool2d, nogil);
  m.def("adaptive_avg_pool2d_backward", &adaptive_avg_pool2d_backward, nogil);
  // ---- adaptive max and 3-D pooling ----
  m.def("adaptive_max_pool2d", &adaptive_max_pool2d, nogil);
  m.def("max_pool3d", &max_pool3d, nogil);
  m.def("max_pool3d_backward", &max_pool3d_backward, nogil);
  m.def("avg_pool3d", &avg_pool3d, nogil);
  m.def("avg_pool3d_backward", &avg_pool3d_backward, nogil);
  m.def("adaptive_avg_pool3d", &adaptive_avg_pool3d, nogil);
  m.def("adaptive_avg_pool3d_backward", &adaptive_avg_pool3d_backward, nogil);
  m.def("adaptive_max_pool3d", &adaptive_max_pool3d, nogil);
  m.def("pad", &pad, nogil);
  m.def("pad_backward", &pad_backward, nogil);
  m.def("interpolate", &interpolate, nogil);
  m.def("interpolate_backward", &interpolate_backward, nogil);
}

}  // namespace tensorforge::bindings
