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
void bind_image(pybind11::module_& m);  // image augmentation (per-image flips, crops, warps)
void bind_attention(pybind11::module_& m);  // scaled dot-product attention
void bind_sort(pybind11::module_& m);   // sorting, selection, scans
void bind_shape(pybind11::module_& m);  // flips, rolls, repeats, triangles, diagonals
void bind_scatter(pybind11::module_& m);  // scatter along a dim, bincount, histc
void bind_random(pybind11::module_& m);  // generators, random fills and sampling
void bind_rnn(pybind11::module_& m);    // recurrent layers and cells
}  // namespace tensorforge::bindings
