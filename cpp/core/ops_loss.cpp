// Loss front ends: target layouts and validation, then one fused kernel per forward / backward.
#include "core/frontend.h"
#include "tensorforge/nn_ops.h"

namespace tensorforge {

using namespace core;

namespace {

char* ptr(const Tensor& t) { return t.defined() ? static_cast<char*>(t.data_ptr()) : nullptr; }

double as_double(const Tensor& t) { return *to_dtype(contiguous(t), DType::Float64).data<double>(); }

void check_reduction(Reduction r, const char* op) {
  if (r != Reduction::None && r != Reduction::Mean && r != Reduction::Sum)
    fail<ValueError>(op, static_cast<int>(r), " is not a valid value for reduction");
}

// Validated operands of a cross-entropy / nll call, in the kernels' [outer, c, inner] layout.
struct ClassProblem {
  Tensor x, target, weight;
  Shape loss_shape;  // per-sample shape (reduction='none')
  kernels::CrossEntropyGeom g;
};

ClassProblem classes(const char* op, const Tensor& input, const Tensor& target, const Tensor& weight,
                     Reduction reduction, int64_t ignore_index, double label_smoothing, bool from_logits) {
  check_defined(input, op);
  check_defined(target, op, "target");
  check_reduction(reduction, op);
  if (!is_floating(input.dtype())) fail<DTypeError>(op, "expected a floating input, got ", dtype_name(input.dtype()));
  if (input.ndim() < 1) fail<ShapeError>(op, "expected input with at least 1 dim (C) or (N, C, ...), got a scalar");
  if (!(label_smoothing >= 0.0 && label_smoothing <= 1.0))
    fail<ValueError>(op, "label_smoothing must be between 0.0 and 1.0, got ", label_smoothing);
  const DType dt = input.dtype();
  const bool unbatched = input.ndim() == 1;
  const int64_t c = input.shape()[unbatched ? 0 : 1];
  ClassProblem p;
  p.g = {unbatched ? 1 : input.shape()[0], c, 1, ignore_index, label_smoothing, false, from_logits};
  for (int64_t d = 2; d < input.ndim(); ++d) p.g.inner *= input.shape()[d];
  if (!unbatched) {
    p.loss_shape.push_back(input.shape()[0]);
    p.loss_shape.insert(p.loss_shape.end(), input.shape().begin() + 2, input.shape().end());
  }
  const DType tt = target.dtype();
  if (is_floating(tt)) {
    if (!from_logits)
      fail<DTypeError>(op, "expected target of an integer dtype (class indices), got ", dtype_name(tt));
    if (target.shape() != input.shape())
      fail<ShapeError>(op, "probability target of shape ", shape_str(target.shape()),
                       " must have the input's shape ", shape_str(input.shape()));
    if (ignore_index >= 0) fail<ValueError>(op, "ignore_index is not supported for floating point target");
    p.g.prob_target = true;
    p.target = as_contiguous(target, dt);
  } else {
    if (tt != DType::Int64 && tt != DType::Int32)
      fail<DTypeError>(op, "expected target of class indices (int64) or class probabilities (float), got ",
                       dtype_name(tt));
    if (target.shape() != p.loss_shape)
      fail<ShapeError>(op, "expected target of shape ", shape_str(p.loss_shape), " for input of shape ",
                       shape_str(input.shape()), ", got ", shape_str(target.shape()));
    p.target = as_contiguous(target, DType::Int64);
    const int64_t* t = p.target.data<int64_t>();
    for (int64_t i = 0; i < p.target.numel(); ++i)
      if (t[i] != ignore_index && (t[i] < 0 || t[i] >= c))
        fail<IndexError>(op, "target ", t[i], " is out of bounds for ", c, " classes");
  }
  if (weight.defined()) {
    if (weight.ndim() != 1 || weight.shape()[0] != c)
      fail<ShapeError>(op, "weight should be a 1-D tensor of size ", c, " (one per class), got ",
                       shape_str(weight.shape()));
    p.weight = as_contiguous(weight, dt);
  }
  p.x = contiguous(input);
  return p;
}

// Runs the forward kernel; returns {reduced or per-sample loss, lse, total weight}.
std::tuple<Tensor, Tensor, Tensor> class_forward(const char* op, ClassProblem& p, Reduction reduction) {
  const DType dt = p.x.dtype();
  const int64_t samples = p.g.outer * p.g.inner;
  Tensor loss = Tensor::empty(p.loss_shape, dt), sw = Tensor::empty({samples}, dt);
  Tensor lse = p.g.from_logits ? Tensor::empty({samples}, dt) : Tensor();
  need(K().cross_entropy[static_cast<int>(dt)], op, dt)(ptr(p.x), ptr(p.target), ptr(p.weight), ptr(loss), ptr(lse),
                                                        ptr(sw), p.g);
  // The per-sample values are few (one per sample, not per class): summed here in double.
  double total = 0, weight_sum = 0;
  for (int64_t i = 0; i < samples; ++i) {
    total += dt == DType::Float32 ? loss.data<float>()[i] : loss.data<double>()[i];
    weight_sum += dt == DType::Float32 ? sw.data<float>()[i] : sw.data<double>()[i];
  }
  if (p.g.prob_target) weight_sum = static_cast<double>(samples);
  Tensor total_weight = scalar_tensor(weight_sum, dt);
  if (reduction == Reduction::Sum) return {scalar_tensor(total, dt), lse, total_weight};
  if (reduction == Reduction::Mean) return {scalar_tensor(total / weight_sum, dt), lse, total_weight};
  return {loss, lse, total_weight};
}

// grad layout for a reduction: {contiguous grad, element stride, scale}.
struct Upstream {
  Tensor grad;
  int64_t stride;
  double scale;
};

Upstream upstream(const char* op, const Tensor& grad, const Shape& per_sample, Reduction reduction, DType dt,
                  double mean_divisor) {
  check_defined(grad, op, "grad");
  if (reduction == Reduction::None) {
    if (grad.shape() != per_sample)
      fail<ShapeError>(op, "grad ", shape_str(grad.shape()), " does not match the loss ", shape_str(per_sample));
    return {as_contiguous(grad, dt), 1, 1.0};
  }
  if (grad.numel() != 1) fail<ShapeError>(op, "expected a scalar grad, got ", shape_str(grad.shape()));
  return {as_contiguous(grad, dt), 0, reduction == Reduction::Mean ? 1.0 / mean_divisor : 1.0};
}

}  // namespace

std::tuple<Tensor, Tensor, Tensor> cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight,
                                                 Reduction reduction, int64_t ignore_index, double label_smoothing) {
  ClassProblem p = classes("cross_entropy", input, target, weight, reduction, ignore_index, label_smoothing, true);
  return class_forward("cross_entropy", p, reduction);
}

std::pair<Tensor, Tensor> cross_entropy_backward(const Tensor& grad, const Tensor& input, const Tensor& target,
                                                 const Tensor& weight, const Tensor& lse, const Tensor& total_weight,
                                                 Reduction reduction, int64_t ignore_index, double label_smoothing,
                                                 bool need_target) {
  const char* op = "cross_entropy_backward";
  ClassProblem p = classes(op, input, target, weight, reduction, ignore_index, label_smoothing, true);
  const DType dt = p.x.dtype();
  check_defined(lse, op, "lse");
  check_defined(total_weight, op, "total_weight");
  if (lse.numel() != p.g.outer * p.g.inner) fail<ShapeError>(op, "lse must hold one value per sample");
  const Upstream up = upstream(op, grad, p.loss_shape, reduction, dt, as_double(total_weight));
  const Tensor l = as_contiguous(lse, dt);
  Tensor gx = Tensor::empty(input.shape(), dt);
  Tensor gt = need_target && p.g.prob_target ? Tensor::empty(input.shape(), dt) : Tensor();
  need(K().cross_entropy_backward[static_cast<int>(dt)], op, dt)(ptr(up.grad), up.stride, up.scale, ptr(p.x),
                                                                 ptr(p.target), ptr(p.weight), ptr(l), ptr(gx),
                                                                 ptr(gt), p.g);
  return {gx, gt};
}

std::pair<Tensor, Tensor> nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight,
                                   Reduction reduction, int64_t ignore_index) {
  ClassProblem p = classes("nll_loss", input, target, weight, reduction, ignore_index, 0.0, false);
  auto [loss, lse, total_weight] = class_forward("nll_loss", p, reduction);
  return {loss, total_weight};
}

Tensor nll_loss_backward(const Tensor& grad, const Tensor& input, const Tensor& target, const Tensor& weight,
                         const Tensor& total_weight, Reduction reduction, int64_t ignore_index) {
  const char* op = "nll_loss_backward";
  ClassProblem p = classes(op, input, target, weight, reduction, ignore_index, 0.0, false);
  const DType dt = p.x.dtype();
  check_defined(total_weight, op, "total_weight");
  const Upstream up = upstream(op, grad, p.loss_shape, reduction, dt, as_double(total_weight));
  Tensor gx = Tensor::empty(input.shape(), dt);
  need(K().cross_entropy_backward[static_cast<int>(dt)], op, dt)(ptr(up.grad), up.stride, up.scale, ptr(p.x),
                                                                 ptr(p.target), ptr(p.weight), nullptr, ptr(gx),
                                                                 nullptr, p.g);
  return gx;
}

namespace {

const char* loss_name(PointwiseLoss kind) {
  switch (kind) {
    case PointwiseLoss::Mse: return "mse_loss";
    case PointwiseLoss::L1: return "l1_loss";
    case PointwiseLoss::SmoothL1: return "smooth_l1_loss";
    case PointwiseLoss::Huber: return "huber_loss";
    case PointwiseLoss::Bce: return "binary_cross_entropy";
    case PointwiseLoss::BceWithLogits: return "binary_cross_entropy_with_logits";
    case PointwiseLoss::KlDiv:
    case PointwiseLoss::KlDivLogTarget: return "kl_div";
  }
  fail<ValueError>("pointwise_loss", "unknown loss kind ", static_cast<int>(kind));
}

// Operands broadcast to one shape and made contiguous, ready for the kernels.
struct Pointwise {
  Tensor x, y, weight, pos_weight;
  Shape shape;
  kernels::PointwiseLossGeom g;
};

Tensor spread(const Tensor& t, const Shape& shape, DType dt, const char* op, const char* what) {
  if (!t.defined()) return t;
  if (broadcast_shapes(t.shape(), shape, op) != shape)
    fail<ShapeError>(op, what, " of shape ", shape_str(t.shape()), " cannot be broadcast to ", shape_str(shape));
  return as_contiguous(expand(t, shape), dt);
}

Pointwise pointwise(PointwiseLoss kind, const Tensor& input, const Tensor& target, const Tensor& weight,
                    const Tensor& pos_weight, double param, Reduction reduction) {
  const char* op = loss_name(kind);
  check_defined(input, op);
  check_defined(target, op, "target");
  check_reduction(reduction, op);
  if (!is_floating(input.dtype())) fail<DTypeError>(op, "expected a floating input, got ", dtype_name(input.dtype()));
  const bool binary = kind == PointwiseLoss::Bce || kind == PointwiseLoss::BceWithLogits;
  if (binary && target.shape() != input.shape())
    fail<ShapeError>(op, "target size ", shape_str(target.shape()), " must be the same as input size ",
                     shape_str(input.shape()));
  if (!is_floating(target.dtype()) && kind != PointwiseLoss::Mse && kind != PointwiseLoss::L1)
    fail<DTypeError>(op, "expected a floating target, got ", dtype_name(target.dtype()));
  if (kind == PointwiseLoss::SmoothL1 && param < 0)
    fail<ValueError>(op, "smooth_l1_loss does not support negative values for beta, got ", param);
  if (kind == PointwiseLoss::Huber && !(param > 0))
    fail<ValueError>(op, "huber_loss does not support non-positive values for delta, got ", param);
  const DType dt = input.dtype();
  Pointwise p;
  Shape shape;
  try {
    shape = broadcast_shapes(input.shape(), target.shape(), op);
  } catch (const ShapeError&) {
    fail<ShapeError>(op, "target size ", shape_str(target.shape()), " can't be broadcast to input size ",
                     shape_str(input.shape()));
  }
  p.shape = shape;
  p.x = as_contiguous(expand(input, shape), dt);
  p.y = as_contiguous(expand(target, shape), dt);
  p.weight = spread(weight, shape, dt, op, "weight");
  p.pos_weight = kind == PointwiseLoss::BceWithLogits ? spread(pos_weight, shape, dt, op, "pos_weight") : Tensor();
  if (kind == PointwiseLoss::Bce) {
    for (int64_t i = 0; i < p.x.numel(); ++i) {
      const double v = dt == DType::Float32 ? p.x.data<float>()[i] : p.x.data<double>()[i];
      if (!(v >= 0.0 && v <= 1.0)) fail<ValueError>(op, "all elements of input should be between 0 and 1");
    }
  }
  int64_t n = 1;
  for (int64_t v : shape) n *= v;
  p.g = {n, static_cast<int>(kind), param, ptr(p.weight), ptr(p.pos_weight)};
  return p;
}

}  // namespace

Tensor pointwise_loss(PointwiseLoss kind, const Tensor& input, const Tensor& target, const Tensor& weight,
                      const Tensor& pos_weight, double param, Reduction reduction) {
  Pointwise p = pointwise(kind, input, target, weight, pos_weight, param, reduction);
  const DType dt = p.x.dtype();
  Tensor loss = Tensor::empty(p.shape, dt);
  need(K().pointwise_loss[static_cast<int>(dt)], loss_name(kind), dt)(ptr(p.x), ptr(p.y), ptr(loss), p.g);
  if (reduction == Reduction::Sum) return sum(loss);
  if (reduction == Reduction::Mean) return mean(loss);
  return loss;
}

std::pair<Tensor, Tensor> pointwise_loss_backward(PointwiseLoss kind, const Tensor& grad, const Tensor& input,
                                                  const Tensor& target, const Tensor& weight,
                                                  const Tensor& pos_weight, double param, Reduction reduction,
                                                  bool need_input, bool need_target) {
  Pointwise p = pointwise(kind, input, target, weight, pos_weight, param, reduction);
  const DType dt = p.x.dtype();
  const char* op = loss_name(kind);
  const Upstream up = upstream(op, grad, p.shape, reduction, dt, static_cast<double>(p.g.n));
  Tensor gx = need_input ? Tensor::empty(p.shape, dt) : Tensor();
  Tensor gy = need_target ? Tensor::empty(p.shape, dt) : Tensor();
  if (need_input || need_target)
    need(K().pointwise_loss_backward[static_cast<int>(dt)], op, dt)(ptr(up.grad), up.stride, up.scale, ptr(p.x),
                                                                    ptr(p.y), ptr(gx), ptr(gy), p.g);
  return {gx, gy};
}

}  // namespace tensorforge
