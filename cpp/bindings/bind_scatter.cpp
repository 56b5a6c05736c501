// Scatter along a dim and counting into bins (scatter_ops.h), with the GIL released.
#include <pybind11/stl.h>

#include <optional>
#include <string>

#include "bindings.h"
#include "tensorforge/tensorforge.h"

namespace py = pybind11;

namespace tensorforge::bindings {

namespace {
// None means plain assignment; otherwise one of scatter_reduce_from_name's names.
ScatterReduce reduce_of(const std::optional<std::string>& name, const char* op) {
  return name ? scatter_reduce_from_name(*name, op) : ScatterReduce::None;
}
}  // namespace

void bind_scatter(py::module_& m) {
  const auto nogil = py::call_guard<py::gil_scoped_release>();
  m.def("scatter_", [](const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                       const std::optional<std::string>& reduce, bool include_self) {
    const ScatterReduce r = reduce_of(reduce, "scatter_reduce");
    py::gil_scoped_release release;
    scatter_(self, dim, index, src, r, include_self);
  }, py::arg("self"), py::arg("dim"), py::arg("index"), py::arg("src"), py::arg("reduce"), py::arg("include_self"));
  m.def("scatter_value_", [](const Tensor& self, int64_t dim, const Tensor& index, double value,
                             const std::optional<std::string>& reduce) {
    const ScatterReduce r = reduce_of(reduce, "scatter_");
    py::gil_scoped_release release;
    scatter_value_(self, dim, index, value, r);
  }, py::arg("self"), py::arg("dim"), py::arg("index"), py::arg("value"), py::arg("reduce"));
  m.def("scatter", [](const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                      const std::optional<std::string>& reduce, bool include_self) {
    const ScatterReduce r = reduce_of(reduce, "scatter_reduce");
    py::gil_scoped_release release;
    return scatter(self, dim, index, src, r, include_self);
  }, py::arg("self"), py::arg("dim"), py::arg("index"), py::arg("src"), py::arg("reduce"), py::arg("include_self"));
  m.def("scatter_value", [](const Tensor& self, int64_t dim, const Tensor& index, double value,
                            const std::optional<std::string>& reduce) {
    const ScatterReduce r = reduce_of(reduce, "scatter_");
    py::gil_scoped_release release;
    return scatter_value(self, dim, index, value, r);
  }, py::arg("self"), py::arg("dim"), py::arg("index"), py::arg("value"), py::arg("reduce"));
  m.def("bincount", [](const Tensor& x, const std::optional<Tensor>& w, int64_t minlength) {
    py::gil_scoped_release release;
    return bincount(x, w ? *w : Tensor(), minlength);
  }, py::arg("x"), py::arg("weights"), py::arg("minlength"));
  m.def("histc", &histc, py::arg("x"), py::arg("bins"), py::arg("min"), py::arg("max"), nogil);
}

}  // namespace tensorforge::bindings
