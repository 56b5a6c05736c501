// Image augmentation ops on batches with per-image parameters (flip, padded crop, affine, rotate).
#include <pybind11/stl.h>

#include "bindings.h"
#include "tensorforge/tensorforge.h"

namespace py = pybind11;

namespace tensorforge::bindings {

void bind_image(py::module_& m) {
  const auto nogil = py::call_guard<py::gil_scoped_release>();
  m.def("flip_images", &flip_images, py::arg("images"), py::arg("horizontal"), py::arg("vertical"), nogil);
  m.def("crop_images", &crop_images, py::arg("images"), py::arg("top"), py::arg("left"), py::arg("height"),
        py::arg("width"), py::arg("padding"), py::arg("pad_mode"), py::arg("fill"), nogil);
  m.def("affine_images", &affine_images, py::arg("images"), py::arg("matrices"), py::arg("out_h"), py::arg("out_w"),
        py::arg("interpolation"), py::arg("fill"), nogil);
  m.def("rotate_images", &rotate_images, py::arg("images"), py::arg("angles"), py::arg("interpolation"),
        py::arg("fill"), py::arg("center") = std::nullopt, nogil);
}

}  // namespace tensorforge::bindings
