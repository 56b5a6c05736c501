// Normalisation, dropout and embedding front ends: validation, layouts, then the fused kernels.
#include <cmath>

#include "core/frontend.h"
#include "tensorforge/nn_ops.h"

namespace tensorforge {

using namespace core;

namespace {

char* ptr(const Tensor& t) { return t.defined() ? static_cast<char*>(t.data_ptr()) : nullptr; }

void check_float(const Tensor& x, const char* op) {
  if (!is_floating(x.dtype())) fail<DTypeError>(op, "expected a floating input, got ", dtype_name(x.dtype()));
}

// Contiguous copy of an optional per-channel tensor in the input's dtype, checked to be [c].
Tensor per_channel(const Tensor& t, int64_t c, DType dt, const char* op, const char* what) {
  if (!t.defined()) return t;
  if (t.ndim() != 1 || t.shape()[0] != c)
    fail<ShapeError>(op, "expected ", what, " of shape [", c, "], got ", shape_str(t.shape()));
  return as_contiguous(t, dt);
}

// A running-stat buffer written in place: must be a contiguous [c] tensor of the input dtype.
void check_running(const Tensor& t, int64_t c, DType dt, const char* op, const char* what) {
  if (!t.defined()) return;
  if (t.ndim() != 1 || t.shape()[0] != c)
    fail<ShapeError>(op, "expected ", what, " of shape [", c, "], got ", shape_str(t.shape()));
  if (t.dtype() != dt)
    fail<DTypeError>(op, what, " has dtype ", dtype_name(t.dtype()), ", expected ", dtype_name(dt));
  if (!t.is_contiguous()) fail<ValueError>(op, what, " must be contiguous");
}

struct Channels {
  int64_t n, c, s;
};

Channels channels(const Tensor& x, const char* op) {
  if (x.ndim() < 2) fail<ShapeError>(op, "expected at least 2-D input (N, C, ...), got ", shape_str(x.shape()));
  Channels g{x.shape()[0], x.shape()[1], 1};
  for (int64_t d = 2; d < x.ndim(); ++d) g.s *= x.shape()[d];
  return g;
}

// rows x cols split of a layer-norm input with the trailing normalized_shape.
std::pair<int64_t, int64_t> rows_cols(const Tensor& x, const Shape& ns, const char* op) {
  const int64_t k = static_cast<int64_t>(ns.size());
  bool ok = k >= 1 && x.ndim() >= k;
  for (int64_t i = 0; ok && i < k; ++i) ok = x.shape()[x.ndim() - k + i] == ns[i];
  if (!ok)
    fail<ShapeError>(op, "given normalized_shape=", shape_str(ns), ", expected input with shape [*, ",
                     shape_str(ns).substr(1), ", but got input of size ", shape_str(x.shape()));
  int64_t cols = 1;
  for (int64_t v : ns) cols *= v;
  return {cols ? x.numel() / cols : 0, cols};
}

Tensor affine_param(const Tensor& t, const Shape& ns, DType dt, const char* op, const char* what) {
  if (!t.defined()) return t;
  if (t.shape() != ns)
    fail<ShapeError>(op, "expected ", what, " of shape ", shape_str(ns), ", got ", shape_str(t.shape()));
  return as_contiguous(t, dt);
}

Shape stat_shape(const Tensor& x, int64_t k) {
  Shape s(x.shape().begin(), x.shape().end());
  for (int64_t i = x.ndim() - k; i < x.ndim(); ++i) s[i] = 1;
  return s;
}

}  // namespace

std::tuple<Tensor, Tensor, Tensor> batch_norm(const Tensor& input, const Tensor& weight, const Tensor& bias,
                                              const Tensor& running_mean, const Tensor& running_var, bool training,
                                              double momentum, double eps) {
  const char* op = "batch_norm";
  check_defined(input, op);
  check_float(input, op);
  const Channels g = channels(input, op);
  const DType dt = input.dtype();
  const Tensor w = per_channel(weight, g.c, dt, op, "weight"), b = per_channel(bias, g.c, dt, op, "bias");
  check_running(running_mean, g.c, dt, op, "running_mean");
  check_running(running_var, g.c, dt, op, "running_var");
  if (running_mean.defined() != running_var.defined())
    fail<ValueError>(op, "running_mean and running_var must both be given or both be None");
  if (training && g.n * g.s <= 1)
    fail<ShapeError>(op, "Expected more than 1 value per channel when training, got input size ",
                     shape_str(input.shape()));
  if (!training && !running_mean.defined())
    fail<ValueError>(op, "running_mean and running_var are needed in eval mode");
  const Tensor x = contiguous(input);
  Tensor out = Tensor::empty(input.shape(), dt);
  Tensor save_mean = Tensor::empty({g.c}, dt), save_invstd = Tensor::empty({g.c}, dt);
  need(K().batch_norm[static_cast<int>(dt)], op, dt)(ptr(x), ptr(w), ptr(b), ptr(running_mean), ptr(running_var),
                                                     ptr(out), ptr(save_mean), ptr(save_invstd), g.n, g.c, g.s,
                                                     training, momentum, eps);
  if (training && running_mean.defined()) {
    running_mean.bump_version();
    running_var.bump_version();
  }
  return {out, save_mean, save_invstd};
}

std::tuple<Tensor, Tensor, Tensor> batch_norm_backward(const Tensor& grad, const Tensor& input, const Tensor& weight,
                                                       const Tensor& save_mean, const Tensor& save_invstd,
                                                       bool training, bool need_input, bool need_weight,
                                                       bool need_bias) {
  const char* op = "batch_norm_backward";
  check_defined(grad, op, "grad");
  check_defined(input, op);
  check_float(input, op);
  const Channels g = channels(input, op);
  const DType dt = input.dtype();
  if (grad.shape() != input.shape())
    fail<ShapeError>(op, "grad ", shape_str(grad.shape()), " does not match the input ", shape_str(input.shape()));
  const Tensor w = per_channel(weight, g.c, dt, op, "weight");
  const Tensor m = per_channel(save_mean, g.c, dt, op, "save_mean");
  const Tensor is = per_channel(save_invstd, g.c, dt, op, "save_invstd");
  if (!m.defined() || !is.defined()) fail<ValueError>(op, "save_mean and save_invstd are required");
  const Tensor x = contiguous(input), gr = as_contiguous(grad, dt);
  Tensor gx = need_input ? Tensor::empty(input.shape(), dt) : Tensor();
  Tensor gw = need_weight ? Tensor::empty({g.c}, dt) : Tensor();
  Tensor gb = need_bias ? Tensor::empty({g.c}, dt) : Tensor();
  if (need_input || need_weight || need_bias)
    need(K().batch_norm_backward[static_cast<int>(dt)], op, dt)(ptr(gr), ptr(x), ptr(w), ptr(m), ptr(is), ptr(gx),
                                                                ptr(gw), ptr(gb), g.n, g.c, g.s, training);
  return {gx, gw, gb};
}

std::tuple<Tensor, Tensor, Tensor> layer_norm(const Tensor& input, const Shape& normalized_shape,
                                              const Tensor& weight, const Tensor& bias, double eps) {
  const char* op = "layer_norm";
  check_defined(input, op);
  check_float(input, op);
  const auto [rows, cols] = rows_cols(input, normalized_shape, op);
  const DType dt = input.dtype();
  const Tensor w = affine_param(weight, normalized_shape, dt, op, "weight");
  const Tensor b = affine_param(bias, normalized_shape, dt, op, "bias");
  const Tensor x = contiguous(input);
  const Shape ss = stat_shape(input, static_cast<int64_t>(normalized_shape.size()));
  Tensor out = Tensor::empty(input.shape(), dt), mean = Tensor::empty(ss, dt), rstd = Tensor::empty(ss, dt);
  need(K().layer_norm[static_cast<int>(dt)], op, dt)(ptr(x), ptr(w), ptr(b), ptr(out), ptr(mean), ptr(rstd), rows,
                                                     cols, eps);
  return {out, mean, rstd};
}

std::tuple<Tensor, Tensor, Tensor> layer_norm_backward(const Tensor& grad, const Tensor& input,
                                                       const Shape& normalized_shape, const Tensor& weight,
                                                       const Tensor& mean, const Tensor& rstd, bool need_input,
                                                       bool need_weight, bool need_bias) {
  const char* op = "layer_norm_backward";
  check_defined(grad, op, "grad");
  check_defined(input, op);
  check_float(input, op);
  const auto [rows, cols] = rows_cols(input, normalized_shape, op);
  const DType dt = input.dtype();
  if (grad.shape() != input.shape())
    fail<ShapeError>(op, "grad ", shape_str(grad.shape()), " does not match the input ", shape_str(input.shape()));
  check_defined(mean, op, "mean");
  check_defined(rstd, op, "rstd");
  if (mean.numel() != rows || rstd.numel() != rows)
    fail<ShapeError>(op, "mean / rstd must hold ", rows, " values, got ", mean.numel(), " and ", rstd.numel());
  const Tensor w = affine_param(weight, normalized_shape, dt, op, "weight");
  const Tensor x = contiguous(input), gr = as_contiguous(grad, dt);
  const Tensor m = as_contiguous(mean, dt), r = as_contiguous(rstd, dt);
  Tensor gx = need_input ? Tensor::empty(input.shape(), dt) : Tensor();
  Tensor gw = need_weight ? Tensor::empty(normalized_shape, dt) : Tensor();
  Tensor gb = need_bias ? Tensor::empty(normalized_shape, dt) : Tensor();
  if (need_input || need_weight || need_bias)
    need(K().layer_norm_backward[static_cast<int>(dt)], op, dt)(ptr(gr), ptr(x), ptr(w), ptr(m), ptr(r), ptr(gx),
                                                                ptr(gw), ptr(gb), rows, cols);
  return {gx, gw, gb};
}

std::pair<Tensor, Tensor> dropout(const Tensor& input, double p) {
  const char* op = "dropout";
  check_defined(input, op);
  check_float(input, op);
  if (!(p >= 0.0 && p <= 1.0)) fail<ValueError>(op, "dropout probability has to be between 0 and 1, but got ", p);
  const DType dt = input.dtype();
  const Tensor x = contiguous(input);
  Tensor out = Tensor::empty(input.shape(), dt);
  Tensor mask = Tensor::empty(input.shape(), DType::Bool);
  auto fn = need(K().dropout[static_cast<int>(dt)], op, dt);
  uniform_(out, 0.0, 1.0);
  fn(ptr(x), ptr(out), mask.data<bool>(), x.numel(), 1.0 - p, p < 1.0 ? 1.0 / (1.0 - p) : 0.0);
  return {out, mask};
}

Tensor dropout_backward(const Tensor& grad, const Tensor& mask, double p) {
  const char* op = "dropout_backward";
  check_defined(grad, op, "grad");
  check_defined(mask, op, "mask");
  check_float(grad, op);
  if (mask.shape() != grad.shape() || mask.dtype() != DType::Bool)
    fail<ShapeError>(op, "mask ", shape_str(mask.shape()), " does not match grad ", shape_str(grad.shape()));
  const DType dt = grad.dtype();
  const Tensor g = contiguous(grad), m = contiguous(mask);
  Tensor out = Tensor::empty(grad.shape(), dt);
  need(K().dropout_backward[static_cast<int>(dt)], op, dt)(ptr(g), m.data<bool>(), ptr(out), g.numel(),
                                                           p < 1.0 ? 1.0 / (1.0 - p) : 0.0);
  return out;
}

namespace {

Tensor checked_indices(const Tensor& indices, int64_t num, const char* op) {
  check_defined(indices, op, "indices");
  if (indices.dtype() != DType::Int64 && indices.dtype() != DType::Int32)
    fail<DTypeError>(op, "expected indices of an integer dtype (int64 or int32), got ", dtype_name(indices.dtype()));
  const Tensor idx = as_contiguous(indices, DType::Int64);
  const int64_t* p = idx.data<int64_t>();
  for (int64_t i = 0; i < idx.numel(); ++i)
    if (p[i] < 0 || p[i] >= num) fail<IndexError>(op, "index ", p[i], " is out of range for ", num, " rows");
  return idx;
}

}  // namespace

Tensor embedding(const Tensor& weight, const Tensor& indices) {
  const char* op = "embedding";
  check_defined(weight, op, "weight");
  check_float(weight, op);
  if (weight.ndim() != 2) fail<ShapeError>(op, "expected a 2-D weight, got ", shape_str(weight.shape()));
  const int64_t num = weight.shape()[0], dim = weight.shape()[1];
  const Tensor idx = checked_indices(indices, num, op);
  const DType dt = weight.dtype();
  const Tensor w = contiguous(weight);
  Shape shape(indices.shape().begin(), indices.shape().end());
  shape.push_back(dim);
  Tensor out = Tensor::empty(shape, dt);
  need(K().embedding[static_cast<int>(dt)], op, dt)(ptr(w), idx.data<int64_t>(), ptr(out), idx.numel(), dim);
  return out;
}

Tensor embedding_backward(const Tensor& grad, const Tensor& indices, int64_t num_weights, int64_t padding_idx) {
  const char* op = "embedding_backward";
  check_defined(grad, op, "grad");
  check_float(grad, op);
  if (num_weights < 0) fail<ValueError>(op, "num_weights must be non-negative, got ", num_weights);
  const Tensor idx = checked_indices(indices, num_weights, op);
  if (grad.ndim() != indices.ndim() + 1 || !std::equal(indices.shape().begin(), indices.shape().end(),
                                                       grad.shape().begin()))
    fail<ShapeError>(op, "grad ", shape_str(grad.shape()), " does not match indices ", shape_str(indices.shape()));
  const int64_t dim = grad.shape()[grad.ndim() - 1];
  const DType dt = grad.dtype();
  const Tensor g = contiguous(grad);
  Tensor out = Tensor::empty({num_weights, dim}, dt);
  need(K().embedding_backward[static_cast<int>(dt)], op, dt)(ptr(g), idx.data<int64_t>(), ptr(out), idx.numel(),
                                                             num_weights, dim, padding_idx);
  return out;
}

}  // namespace tensorforge
