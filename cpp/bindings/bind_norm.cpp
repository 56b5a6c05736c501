// Normalisation, dropout, embedding and losses, forward and backward. Optional tensors are None;
// reductions are ints (0 none, 1 mean, 2 sum) and elementwise loss kinds the PointwiseLoss enum.
#include <pybind11/stl.h>

#include "bindings.h"
#include "tensorforge/tensorforge.h"

namespace py = pybind11;

namespace tensorforge::bindings {

namespace {
using Opt = std::optional<Tensor>;
Tensor opt(const Opt& t) { return t ? *t : Tensor(); }
Reduction red(int r) { return static_cast<Reduction>(r); }
}  // namespace

void bind_norm(py::module_& m) {
  const auto nogil = py::call_guard<py::gil_scoped_release>();
  py::enum_<PointwiseLoss>(m, "PointwiseLoss")
      .value("Mse", PointwiseLoss::Mse)
      .value("L1", PointwiseLoss::L1)
      .value("SmoothL1", PointwiseLoss::SmoothL1)
      .value("Huber", PointwiseLoss::Huber)
      .value("Bce", PointwiseLoss::Bce)
      .value("BceWithLogits", PointwiseLoss::BceWithLogits)
      .value("KlDiv", PointwiseLoss::KlDiv)
      .value("KlDivLogTarget", PointwiseLoss::KlDivLogTarget);

  m.def("batch_norm", [](const Tensor& x, const Opt& w, const Opt& b, const Opt& rm, const Opt& rv, bool training,
                         double momentum, double eps) {
    const Tensor tw = opt(w), tb = opt(b), trm = opt(rm), trv = opt(rv);
    py::gil_scoped_release release;
    return batch_norm(x, tw, tb, trm, trv, training, momentum, eps);
  });
  m.def("batch_norm_backward", [](const Tensor& g, const Tensor& x, const Opt& w, const Tensor& mean,
                                  const Tensor& invstd, bool training, bool ni, bool nw, bool nb) {
    const Tensor tw = opt(w);
    py::gil_scoped_release release;
    return batch_norm_backward(g, x, tw, mean, invstd, training, ni, nw, nb);
  });
  m.def("layer_norm", [](const Tensor& x, const Shape& ns, const Opt& w, const Opt& b, double eps) {
    const Tensor tw = opt(w), tb = opt(b);
    py::gil_scoped_release release;
    return layer_norm(x, ns, tw, tb, eps);
  });
  m.def("layer_norm_backward", [](const Tensor& g, const Tensor& x, const Shape& ns, const Opt& w,
                                  const Tensor& mean, const Tensor& rstd, bool ni, bool nw, bool nb) {
    const Tensor tw = opt(w);
    py::gil_scoped_release release;
    return layer_norm_backward(g, x, ns, tw, mean, rstd, ni, nw, nb);
  });
  m.def("dropout", &dropout, nogil);
  m.def("dropout_backward", &dropout_backward, nogil);
  m.def("embedding", &embedding, nogil);
  m.def("embedding_backward", &embedding_backward, nogil);

  m.def("cross_entropy", [](const Tensor& x, const Tensor& t, const Opt& w, int reduction, int64_t ignore_index,
                            double smoothing) {
    const Tensor tw = opt(w);
    py::gil_scoped_release release;
    return cross_entropy(x, t, tw, red(reduction), ignore_index, smoothing);
  });
  m.def("cross_entropy_backward", [](const Tensor& g, const Tensor& x, const Tensor& t, const Opt& w,
                                     const Tensor& lse, const Tensor& total_weight, int reduction,
                                     int64_t ignore_index, double smoothing, bool need_target) {
    const Tensor tw = opt(w);
    py::gil_scoped_release release;
    auto [gx, gt] = cross_entropy_backward(g, x, t, tw, lse, total_weight, red(reduction), ignore_index, smoothing,
                                           need_target);
    return std::make_pair(gx, gt.defined() ? std::optional<Tensor>(gt) : std::nullopt);
  });
  m.def("nll_loss", [](const Tensor& x, const Tensor& t, const Opt& w, int reduction, int64_t ignore_index) {
    const Tensor tw = opt(w);
    py::gil_scoped_release release;
    return nll_loss(x, t, tw, red(reduction), ignore_index);
  });
  m.def("nll_loss_backward", [](const Tensor& g, const Tensor& x, const Tensor& t, const Opt& w,
                                const Tensor& total_weight, int reduction, int64_t ignore_index) {
    const Tensor tw = opt(w);
    py::gil_scoped_release release;
    return nll_loss_backward(g, x, t, tw, total_weight, red(reduction), ignore_index);
  });
  m.def("pointwise_loss", [](PointwiseLoss kind, const Tensor& x, const Tensor& t, const Opt& w, const Opt& pw,
                             double param, int reduction) {
    const Tensor tw = opt(w), tpw = opt(pw);
    py::gil_scoped_release release;
    return pointwise_loss(kind, x, t, tw, tpw, param, red(reduction));
  });
  m.def("pointwise_loss_backward", [](PointwiseLoss kind, const Tensor& g, const Tensor& x, const Tensor& t,
                                      const Opt& w, const Opt& pw, double param, int reduction, bool ni, bool nt) {
    const Tensor tw = opt(w), tpw = opt(pw);
    py::gil_scoped_release release;
    auto [gx, gt] = pointwise_loss_backward(kind, g, x, t, tw, tpw, param, red(reduction), ni, nt);
    auto some = [](const Tensor& v) { return v.defined() ? std::optional<Tensor>(v) : std::nullopt; };
    return std::make_pair(some(gx), some(gt));
  });
  // ---- ctc ----
  m.def("ctc_loss", &ctc_loss, nogil);
  m.def("ctc_loss_backward", &ctc_loss_backward, nogil);
}

}  // namespace tensorforge::bindings
