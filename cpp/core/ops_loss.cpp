// Loss front ends: target layouts and validation, then one fused kernel per forward / backward.
#include <algorithm>
#include <vector>

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

// ---- ctc ----

namespace {

// Validated, contiguous operands of ctc_loss and the kernels' geometry (pointing into them).
struct CtcProblem {
  Tensor lp, targets, input_lengths, target_lengths;
  std::vector<int64_t> offsets;
  kernels::CtcGeom g;
};

Tensor lengths_of(const Tensor& t, int64_t n, const char* op, const char* what) {
  check_defined(t, op, what);
  if (is_floating(t.dtype()) || t.dtype() == DType::Bool)
    fail<DTypeError>(op, what, " must be integers, got ", dtype_name(t.dtype()));
  if (t.ndim() != 1 || t.shape()[0] != n)
    fail<ShapeError>(op, "expected ", what, " of shape [", n, "], got ", shape_str(t.shape()));
  return to_dtype(contiguous(t), DType::Int64, true);
}

void prepare_ctc(CtcProblem& p, const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                 const Tensor& target_lengths, int64_t blank, const char* op) {
  check_defined(log_probs, op);
  check_defined(targets, op, "targets");
  if (!is_floating(log_probs.dtype()))
    fail<DTypeError>(op, "expected floating log_probs, got ", dtype_name(log_probs.dtype()));
  if (log_probs.ndim() != 3)
    fail<ShapeError>(op, "expected log_probs of shape (T, N, C), got ", shape_str(log_probs.shape()));
  const int64_t T = log_probs.shape()[0], N = log_probs.shape()[1], C = log_probs.shape()[2];
  if (blank < 0 || blank >= C) fail<ValueError>(op, "blank must be in label range [0, ", C, "), got ", blank);
  if (is_floating(targets.dtype()) || targets.dtype() == DType::Bool)
    fail<DTypeError>(op, "targets must be integers, got ", dtype_name(targets.dtype()));
  if (targets.ndim() != 1 && !(targets.ndim() == 2 && targets.shape()[0] == N))
    fail<ShapeError>(op, "expected targets of shape (N, S) or (sum(target_lengths)), got ", shape_str(targets.shape()),
                     " for ", N, " sequences");
  p.lp = contiguous(log_probs);
  p.targets = to_dtype(contiguous(targets), DType::Int64, true);
  p.input_lengths = lengths_of(input_lengths, N, op, "input_lengths");
  p.target_lengths = lengths_of(target_lengths, N, op, "target_lengths");
  const int64_t* il = p.input_lengths.data<int64_t>();
  const int64_t* tl = p.target_lengths.data<int64_t>();
  const int64_t* tg = p.targets.data<int64_t>();
  const bool padded = targets.ndim() == 2;
  const int64_t width = padded ? targets.shape()[1] : 0;
  int64_t offset = 0, max_target = padded ? width : 0;
  p.offsets.resize(static_cast<size_t>(N));
  for (int64_t b = 0; b < N; ++b) {
    if (il[b] < 0 || il[b] > T)
      fail<ValueError>(op, "expected input_lengths in [0, ", T, "], got ", il[b], " for sequence ", b);
    if (tl[b] < 0 || (padded && tl[b] > width))
      fail<ValueError>(op, "expected target_lengths in [0, ", padded ? width : tl[b], "], got ", tl[b],
                       " for sequence ", b);
    p.offsets[static_cast<size_t>(b)] = padded ? b * width : offset;
    offset += tl[b];
    max_target = std::max(max_target, tl[b]);
  }
  if (!padded && offset > targets.numel())
    fail<ShapeError>(op, "target_lengths sum to ", offset, " but targets holds ", targets.numel(), " labels");
  for (int64_t b = 0; b < N; ++b)
    for (int64_t s = 0; s < tl[b]; ++s) {
      const int64_t v = tg[p.offsets[static_cast<size_t>(b)] + s];
      if (v < 0 || v >= C || v == blank)
        fail<IndexError>(op, "target ", v, " of sequence ", b, " must be a label in [0, ", C, ") other than blank ",
                         blank);
    }
  p.g = {T, N, C, max_target, blank, il, tl, p.offsets.data(), tg};
}

}  // namespace

std::pair<Tensor, Tensor> ctc_loss(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                                   const Tensor& target_lengths, int64_t blank) {
  const char* op = "ctc_loss";
  CtcProblem p;
  prepare_ctc(p, log_probs, targets, input_lengths, target_lengths, blank, op);
  const DType dt = log_probs.dtype();
  Tensor nll = Tensor::empty({p.g.N}, dt);
  Tensor log_alpha = Tensor::empty({p.g.N, p.g.T, 2 * p.g.max_target + 1}, dt);
  if (p.g.N > 0)
    need(K().ctc_loss[static_cast<int>(dt)], op, dt)(static_cast<const char*>(p.lp.data_ptr()), ptr(nll),
                                                     ptr(log_alpha), p.g);
  return {nll, log_alpha};
}

Tensor ctc_loss_backward(const Tensor& grad, const Tensor& log_probs, const Tensor& targets,
                         const Tensor& input_lengths, const Tensor& target_lengths, const Tensor& nll,
                         const Tensor& log_alpha, int64_t blank, bool zero_infinity) {
  const char* op = "ctc_loss_backward";
  CtcProblem p;
  prepare_ctc(p, log_probs, targets, input_lengths, target_lengths, blank, op);
  const DType dt = log_probs.dtype();
  check_defined(grad, op, "grad");
  if (grad.shape() != Shape{p.g.N} || nll.shape() != Shape{p.g.N} ||
      log_alpha.shape() != Shape({p.g.N, p.g.T, 2 * p.g.max_target + 1}))
    fail<ShapeError>(op, "grad ", shape_str(grad.shape()), ", nll ", shape_str(nll.shape()), " and log_alpha ",
                     shape_str(log_alpha.shape()), " do not match log_probs ", shape_str(log_probs.shape()));
  const Tensor g = as_contiguous(grad, dt), n = as_contiguous(nll, dt), a = as_contiguous(log_alpha, dt);
  Tensor out = Tensor::empty(log_probs.shape(), dt);
  if (out.numel() > 0)
    need(K().ctc_loss_backward[static_cast<int>(dt)], op, dt)(ptr(g), static_cast<const char*>(p.lp.data_ptr()),
                                                              ptr(n), ptr(a), ptr(out), p.g, zero_infinity);
  return out;
}

}  // namespace tensorforge
