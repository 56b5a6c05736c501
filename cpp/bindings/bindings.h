// tensorforge._C: glue between Python and the C++ core. Each bind_<area> registers one area.
#pragma once

#include <pybind11/pybind11.h>

namespace tensorforge::bindings {
void bind_errors(pybind11::module_& m);
void bind_tensor(pybind11::module_& m);
void bind_ops(pybind11::module_& m);
void bind_conv(pybind11::module_& m);   // convolution and pooling
void bind_norm(pybind11::module_& m);   // normalisation, dropout, losses
void bind_optim(pybind11::module_& m);  // fused optimizer updates
void bind_io(pybind11::module_& m);     // safetensors files
void bind_rnn(pybind11::module_& m);    // recurrent layers and cells
}  // namespace tensorforge::bindings
