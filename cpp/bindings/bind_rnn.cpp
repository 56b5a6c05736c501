// Recurrent layers and cells, forward and backward. The weights of a direction travel as a list
// [w_ih, w_hh, b_ih, b_hh, w_hr] with None where the layer has none; undefined results are None.
#include <pybind11/stl.h>

#include <optional>

#include "bindings.h"
#include "tensorforge/tensorforge.h"

namespace py = pybind11;

namespace tensorforge::bindings {

namespace {
using Opt = std::optional<Tensor>;
using WeightList = std::vector<Opt>;
Tensor opt(const Opt& t) { return t ? *t : Tensor(); }
Opt some(const Tensor& t) { return t.defined() ? Opt(t) : std::nullopt; }

RnnWeights to_weights(const WeightList& w) {
  if (w.size() != 5) fail<ValueError>("rnn", "expected [w_ih, w_hh, b_ih, b_hh, w_hr] per direction, got ", w.size(), " entries");
  return {opt(w[0]), opt(w[1]), opt(w[2]), opt(w[3]), opt(w[4])};
}
std::vector<RnnWeights> to_weights(const std::vector<WeightList>& dirs) {
  std::vector<RnnWeights> out;
  for (const WeightList& w : dirs) out.push_back(to_weights(w));
  return out;
}
std::vector<WeightList> from_weights(const std::vector<RnnWeights>& dirs) {
  std::vector<WeightList> out;
  for (const RnnWeights& w : dirs) out.push_back({some(w.w_ih), some(w.w_hh), some(w.b_ih), some(w.b_hh), some(w.w_hr)});
  return out;
}
}  // namespace

void bind_rnn(py::module_& m) {
  py::enum_<RnnMode>(m, "RnnMode")
      .value("Tanh", RnnMode::Tanh)
      .value("Relu", RnnMode::Relu)
      .value("Lstm", RnnMode::Lstm)
      .value("Gru", RnnMode::Gru);

  m.def("rnn_layer", [](RnnMode mode, const Tensor& x, const std::vector<int64_t>& batch_sizes, const Opt& hx,
                        const Opt& cx, const std::vector<WeightList>& weights) {
    const std::vector<RnnWeights> w = to_weights(weights);
    py::gil_scoped_release release;
    RnnLayerOutput r = rnn_layer(mode, x, batch_sizes, opt(hx), opt(cx), w);
    return std::make_tuple(r.output, r.h_n, some(r.c_n), r.reserve);
  });
  m.def("rnn_layer_backward", [](RnnMode mode, const Opt& grad_out, const Opt& grad_hn, const Opt& grad_cn,
                                 const Tensor& x, const std::vector<int64_t>& batch_sizes, const Opt& hx, const Opt& cx,
                                 const std::vector<WeightList>& weights, const Tensor& output, const Tensor& reserve,
                                 bool need_input, bool need_hidden, bool need_weights) {
    const std::vector<RnnWeights> w = to_weights(weights);
    py::gil_scoped_release release;
    RnnLayerGrads g = rnn_layer_backward(mode, opt(grad_out), opt(grad_hn), opt(grad_cn), x, batch_sizes, opt(hx),
                                         opt(cx), w, output, reserve, need_input, need_hidden, need_weights);
    return std::make_tuple(some(g.input), some(g.hx), some(g.cx), from_weights(g.weights));
  });
  m.def("rnn_cell", [](RnnMode mode, const Tensor& x, const Opt& hx, const Opt& cx, const WeightList& weights) {
    const RnnWeights w = to_weights(weights);
    py::gil_scoped_release release;
    auto [h, c, reserve] = rnn_cell(mode, x, opt(hx), opt(cx), w);
    return std::make_tuple(h, some(c), reserve);
  });
  m.def("rnn_cell_backward", [](RnnMode mode, const Opt& grad_h, const Opt& grad_c, const Tensor& x, const Opt& hx,
                                const Opt& cx, const WeightList& weights, const Tensor& h, const Tensor& reserve,
                                bool need_input, bool need_hidden, bool need_weights) {
    const RnnWeights w = to_weights(weights);
    py::gil_scoped_release release;
    RnnLayerGrads g = rnn_cell_backward(mode, opt(grad_h), opt(grad_c), x, opt(hx), opt(cx), w, h, reserve,
                                        need_input, need_hidden, need_weights);
    return std::make_tuple(some(g.input), some(g.hx), some(g.cx), from_weights(g.weights));
  });
}

}  // namespace tensorforge::bindings
