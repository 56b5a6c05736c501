// Image augmentation ops on batches with per-image parameters (flip, padded crop, affine, rotate).
#include <pybind11/stl.h>

#include "bindings.h"
#include "tensorforge/tensorforge.h"

namespace py = pybind11;

namespace tensorforge::bindings {

void bind_image(py::module_& m) {
  const auto nogil = py::call_guard<py::gil_scoped_release>();
  m.def("flip_images", &flip_images, nogil);
  m.def("crop_images", &crop_images, nogil);
  m.def("affine_images", &affine_images, nogil);
  m.def("rotate_images", &rotate_images, py::arg("images"), py::arg("angles"), py::arg("interpolation"),
        py::arg("fill"), py::arg("center") = std::nullopt, nogil);
}

}  // namespace tensorforge::bindings
