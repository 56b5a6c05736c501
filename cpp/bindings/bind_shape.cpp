// Data movement (shape_ops.h), forwarded as is with the GIL released.
#include <pybind11/stl.h>

#include "bindings.h"
#include "tensorforge/tensorforge.h"

namespace py = pybind11;

namespace tensorforge::bindings {

void bind_shape(py::module_& m) {
  const auto nogil = py::call_guard<py::gil_scoped_release>();
  m.def("flip", &flip, py::arg("x"), py::arg("dims"), nogil);
  m.def("roll", &roll, py::arg("x"), py::arg("shifts"), py::arg("dims"), nogil);
  m.def("repeat", &repeat, py::arg("x"), py::arg("repeats"), nogil);
  m.def("repeat_interleave_index", &repeat_interleave_index, py::arg("repeats"), py::arg("output_size"), nogil);
  m.def("tril", &tril, py::arg("x"), py::arg("diagonal"), nogil);
  m.def("triu", &triu, py::arg("x"), py::arg("diagonal"), nogil);
  m.def("tril_indices", [](int64_t r, int64_t c, int64_t off, int d) {
    return tril_indices(r, c, off, static_cast<DType>(d)); }, py::arg("row"), py::arg("col"), py::arg("offset"),
    py::arg("dtype"), nogil);
  m.def("triu_indices", [](int64_t r, int64_t c, int64_t off, int d) {
    return triu_indices(r, c, off, static_cast<DType>(d)); }, py::arg("row"), py::arg("col"), py::arg("offset"),
    py::arg("dtype"), nogil);
  m.def("diagonal", &diagonal, py::arg("x"), py::arg("offset"), py::arg("dim1"), py::arg("dim2"));
  m.def("diag_embed", &diag_embed, py::arg("x"), py::arg("offset"), py::arg("dim1"), py::arg("dim2"), nogil);
}

}  // namespace tensorforge::bindings
