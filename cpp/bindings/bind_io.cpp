// safetensors files: tensors by name plus string metadata.
#include <pybind11/stl.h>

#include "bindings.h"
#include "tensorforge/tensorforge.h"

namespace py = pybind11;

namespace tensorforge::bindings {

void bind_io(py::module_& m) {
  m.def("save_safetensors", [](const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                               const std::map<std::string, std::string>& metadata) {
    TensorFile f{tensors, metadata};
    py::gil_scoped_release release;
    save_safetensors(path, f);
  });
  m.def("load_safetensors", [](const std::string& path) {
    TensorFile f;
    {
      py::gil_scoped_release release;
      f = load_safetensors(path);
    }
    return std::make_pair(f.tensors, f.metadata);
  });
}

}  // namespace tensorforge::bindings
