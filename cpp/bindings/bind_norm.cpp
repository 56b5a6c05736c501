#include "bindings.h"
#include "tensorforge/tensorforge.h"

namespace py = pybind11;

namespace tensorforge::bindings {

void bind_norm(py::module_& m) { (void)m; }

}  // namespace tensorforge::bindings
