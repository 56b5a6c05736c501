// tensorforge._C: glue between Python and the C++ core. Each bind_<area> registers one area.
#pragma once

#include <pybind11/pybind11.h>

namespace tensorforge::bindings {
void bind_errors(pybind11::module_& m);
void bind_tensor(pybind11::module_& m);
void bind_ops(pybind11::module_& m);
}  // namespace tensorforge::bindings
