// Scaled dot-product attention, forward and backward. Optional tensors are None.
#include <pybind11/stl.h>

#include "bindings.h"
#include "tensorforge/tensorforge.h"

namespace py = pybind11;

namespace tensorforge::bindings {

namespace {
using Opt = std::optional<Tensor>;
Tensor opt(const Opt& t) { return t ? *t : Tensor(); }
Opt some(const Tensor& t) { return t.defined() ? Opt(t) : std::nullopt; }
}  // namespace

void bind_attention(py::module_& m) {
  m.def("scaled_dot_product_attention", [](const Tensor& q, const Tensor& k, const Tensor& v, const Opt& mask,
                                           bool is_causal, std::optional<double> scale, bool enable_gqa) {
    const Tensor tm = opt(mask);
    py::gil_scoped_release release;
    return scaled_dot_product_attention(q, k, v, tm, is_causal, scale, enable_gqa);
  });
  m.def("scaled_dot_product_attention_backward",
        [](const Tensor& g, const Tensor& q, const Tensor& k, const Tensor& v, const Opt& mask, const Tensor& out,
           const Tensor& lse, bool is_causal, std::optional<double> scale, bool enable_gqa, bool nq, bool nk, bool nv,
           bool nm) {
          const Tensor tm = opt(mask);
          std::tuple<Tensor, Tensor, Tensor, Tensor> r;
          {
            py::gil_scoped_release release;
            r = scaled_dot_product_attention_backward(g, q, k, v, tm, out, lse, is_causal, scale, enable_gqa, nq, nk,
                                                      nv, nm);
          }
          return std::make_tuple(some(std::get<0>(r)), some(std::get<1>(r)), some(std::get<2>(r)),
                                 some(std::get<3>(r)));
        });
}

}  // namespace tensorforge::bindings
