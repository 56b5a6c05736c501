"""The functional form of every layer: ``tensorforge.nn.functional`` (``F``)."""
from __future__ import annotations

import builtins
import math

from .. import _C
from ..autograd import rules as R
from ..autograd.graph import _grad_enabled, record
from ..autograd import ops as O
from ..tensor import Tensor, _wrap

# ---- activations ----
def _activation(op: str, rule, x: Tensor, alpha: float = 0.0, beta: float = 0.0, inplace: bool = False) -> Tensor:
    out = _wrap(_C.unary(O.U[op], x._c, alpha, beta))
    if _grad_enabled[0] and x._requires_grad:
        record(out, rule, (x,), (x,), (alpha, beta))
    if inplace:
        return O._inplace(x, out) if x._requires_grad and _grad_enabled[0] else O.copy_(x, out)
    return out


_gelu_rule = R.activation("GeluBackward")
_gelu_tanh_rule = R.activation("GeluTanhBackward")
_silu_rule = R.activation("SiluBackward")
_softplus_rule = R.activation("SoftplusBackward")
_leaky_rule = R.activation("LeakyReluBackward")
_elu_rule = R.activation("EluBackward")


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    return O.relu_(input) if inplace else O.relu(input)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    return hardtanh(input, 0.0, 6.0, inplace)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    return O.clamp_(input, min_val, max_val) if inplace else O.clamp(input, min_val, max_val)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    return _activation("LeakyRelu", _leaky_rule, input, negative_slope, 0.0, inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return _activation("Elu", _elu_rule, input, alpha, 0.0, inplace)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    if approximate not in ("none", "tanh"):
        raise ValueError(f"[gelu] approximate must be 'none' or 'tanh', got '{approximate}'")
    if approximate == "tanh":
        return _activation("GeluTanh", _gelu_tanh_rule, input)
    return _activation("Gelu", _gelu_rule, input)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    return _activation("Silu", _silu_rule, input, inplace=inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    return input * O.tanh(softplus(input))


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    return _activation("Softplus", _softplus_rule, input, beta, threshold)


def softsign(input: Tensor) -> Tensor:
    return input / (O.abs(input) + 1)


def sigmoid(input: Tensor) -> Tensor:
    return O.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    return O.tanh(input)


def logsigmoid(input: Tensor) -> Tensor:
    return O.neg(softplus(O.neg(input)))


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    return O.softmax(input, dim, dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    return O.log_softmax(input, dim, dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    return O.softmax(O.neg(input), dim, dtype)


# ---- linear ----
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b as one GEMM. Shapes: input (*, in), weight (out, in), bias (out)."""
    out = _wrap(_C.linear(input._c, weight._c, None if bias is None else bias._c))
    if _grad_enabled[0] and (input._requires_grad or weight._requires_grad or
                             (bias is not None and bias._requires_grad)):
        record(out, R.linear, (input, weight, bias),
               (input if weight._requires_grad else None, weight if input._requires_grad else None))
    return out


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y_k = x1^T W_k x2 + b_k. Shapes: (*, in1), (*, in2), weight (out, in1, in2)."""
    left = O.matmul(O.unsqueeze(O.unsqueeze(input1, -2), -3), weight)  # (*, out, 1, in2)
    out = O.sum(O.mul(O.squeeze(left, -2), O.unsqueeze(input2, -2)), -1)
    return out + bias if bias is not None else out


# ---- convolution and pooling ----

# ---- normalisation and dropout ----
def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes elements with probability p and scales the rest by 1/(1-p) (training only)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"[dropout] dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        out = O.mul(input, 0.0)
    else:
        mask = O.bernoulli_mask(input.shape, 1.0 - p, input.dtype)
        out = O.mul(input, O.mul(mask, 1.0 / (1.0 - p)))
    return O.copy_(input, out) if inplace else out


# ---- embedding and losses ----
def _reduce_loss(loss: Tensor, reduction: str, op: str) -> Tensor:
    if reduction == "mean":
        return O.mean(loss)
    if reduction == "sum":
        return O.sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(f"[{op}] {reduction} is not a valid value for reduction")


def _check_same_shape(input: Tensor, target: Tensor, op: str) -> None:
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"[{op}] target size {list(target.shape)} must be the same as input size {list(input.shape)}")


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices. input (N, C) / (N, C, d1...) / (C,), target (N) / (N, d1...) / ()."""
    if input.ndim < 1:
        raise ValueError("[nll_loss] input must have at least 1 dim")
    if target.dtype.is_floating_point or target.dtype.name == "bool":
        raise RuntimeError(f"[nll_loss] expected target of an integer dtype (class indices), got {target.dtype}")
    unbatched = input.ndim == 1
    if unbatched:
        input, target = O.unsqueeze(input, 0), O.unsqueeze(target, 0)
    n, c = input.shape[0], input.shape[1]
    if target.ndim != input.ndim - 1 or target.shape[0] != n or tuple(target.shape[1:]) != tuple(input.shape[2:]):
        raise ValueError(f"[nll_loss] expected target of shape {[n] + list(input.shape[2:])}, got {list(target.shape)} "
                         f"for input of shape {list(input.shape)}")
    if input.ndim > 2:  # (N, C, d...) -> (N*d..., C)
        input = O.reshape(O.movedim(input, 1, -1), [-1, c])
        target_flat = O.reshape(target, [-1])
    else:
        target_flat = target
    valid = O.ne(target_flat, ignore_index)
    tgt = O.where(valid, target_flat, O.as_operand(0, target_flat))
    if bool(O.any(O.logical_or(O.lt(tgt, 0), O.ge(tgt, c))).item()):
        bad = O.masked_select(target_flat, O.logical_and(valid, O.logical_or(O.lt(tgt, 0), O.ge(tgt, c))))
        raise IndexError(f"[nll_loss] target {int(bad[0].item())} is out of bounds for {c} classes")
    picked = O.neg(O.squeeze(O.gather(input, 1, O.unsqueeze(tgt.long(), 1)), 1))
    w = O.to_dtype_op(valid, input.dtype)
    if weight is not None:
        if weight.ndim != 1 or weight.shape[0] != c:
            raise ValueError(f"[nll_loss] weight should be a 1-D tensor of size {c}, got {list(weight.shape)}")
        w = O.mul(w, O.index_select(weight, 0, tgt.long()))
    loss = O.mul(picked, w)
    if reduction == "mean":
        return O.div(O.sum(loss), O.sum(w))
    if reduction == "none":
        loss = O.reshape(loss, list(target.shape))
        return O.squeeze(loss, 0) if unbatched else loss
    return _reduce_loss(loss, reduction, "nll_loss")


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                  ignore_index: int = -100, reduce=None, reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy with class-index or class-probability targets (PyTorch semantics)."""
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"[cross_entropy] label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    class_dim = 0 if input.ndim == 1 else 1
    logp = O.log_softmax(input, class_dim)
    c = input.shape[class_dim]
    if target.dtype.is_floating_point:  # class probabilities
        _check_same_shape(input, target, "cross_entropy")
        if label_smoothing > 0:
            target = O.add(O.mul(target, 1 - label_smoothing), label_smoothing / c)
        prod = O.mul(logp, target)
        if weight is not None:
            shape = [1] * input.ndim
            shape[class_dim] = c
            prod = O.mul(prod, O.reshape(weight, shape))
        loss = O.neg(O.sum(prod, class_dim))
        if reduction == "mean":
            return O.div(O.sum(loss), float(loss.numel() if loss.ndim else 1))
        return _reduce_loss(loss, reduction, "cross_entropy")
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0.0:
        return nll
    # smoothing term: mean over classes of -log p (weighted), with the same reduction
    valid = O.to_dtype_op(O.ne(target, ignore_index), input.dtype)
    lp = logp if weight is None else O.mul(logp, O.reshape(weight, [c] + [1] * (input.ndim - class_dim - 1)))
    smooth = O.mul(O.neg(O.sum(lp, class_dim)), valid)
    if reduction == "mean":
        denom = O.sum(valid) if weight is None else O.sum(O.mul(valid, O.index_select(
            weight, 0, O.reshape(O.where(O.ne(target, ignore_index), target, O.as_operand(0, target)), [-1]).long()
        ).reshape(list(target.shape))))
        smooth = O.div(O.sum(smooth), denom)
    elif reduction == "sum":
        smooth = O.sum(smooth)
    return O.add(O.mul(nll, 1 - label_smoothing), O.mul(smooth, label_smoothing / c))


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    d = O.sub(input, target)
    return _reduce_loss(O.mul(d, d), reduction, "mse_loss")


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    return _reduce_loss(O.abs(O.sub(input, target)), reduction, "l1_loss")


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    d = O.abs(O.sub(input, target))
    if beta == 0:
        return _reduce_loss(d, reduction, "smooth_l1_loss")
    loss = O.where(O.lt(d, beta), O.div(O.mul(O.mul(d, d), 0.5), beta), O.sub(d, 0.5 * beta))
    return _reduce_loss(loss, reduction, "smooth_l1_loss")


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    d = O.abs(O.sub(input, target))
    loss = O.where(O.lt(d, delta), O.mul(O.mul(d, d), 0.5), O.mul(O.sub(d, 0.5 * delta), delta))
    return _reduce_loss(loss, reduction, "huber_loss")


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    _check_same_shape(input, target, "binary_cross_entropy")
    if bool(O.any(O.logical_or(O.lt(input, 0), O.gt(input, 1))).item()):
        raise RuntimeError("[binary_cross_entropy] all elements of input should be between 0 and 1")
    log_p = O.clamp(O.log(input), min=-100.0)
    log_q = O.clamp(O.log(O.sub(O.as_operand(1.0, input), input)), min=-100.0)
    loss = O.neg(O.add(O.mul(target, log_p), O.mul(O.sub(O.as_operand(1.0, target), target), log_q)))
    if weight is not None:
        loss = O.mul(loss, weight)
    return _reduce_loss(loss, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                                     reduce=None, reduction: str = "mean", pos_weight: Tensor | None = None) -> Tensor:
    _check_same_shape(input, target, "binary_cross_entropy_with_logits")
    # log(1 + exp(-x)) computed stably as softplus(-x)
    sp_neg = softplus(O.neg(input))
    if pos_weight is not None:
        log_weight = O.add(O.mul(O.sub(pos_weight, 1.0), target), 1.0)
        loss = O.add(O.mul(O.sub(O.as_operand(1.0, target), target), input), O.mul(log_weight, sp_neg))
    else:
        loss = O.add(O.mul(O.sub(O.as_operand(1.0, target), target), input), sp_neg)
    if weight is not None:
        loss = O.mul(loss, weight)
    return _reduce_loss(loss, reduction, "binary_cross_entropy_with_logits")


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    if log_target:
        loss = O.mul(O.exp(target), O.sub(target, input))
    else:
        safe = O.where(O.gt(target, 0), target, O.as_operand(1.0, target))
        loss = O.where(O.gt(target, 0), O.mul(target, O.sub(O.log(safe), input)), O.mul(target, 0.0))
    if reduction == "batchmean":
        return O.div(O.sum(loss), float(input.shape[0] if input.ndim else 1))
    return _reduce_loss(loss, reduction, "kl_div")


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm=None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of weight picked by the integer indices in input: output (*input.shape, dim)."""
    if input.dtype.is_floating_point:
        raise RuntimeError(f"[embedding] expected indices of an integer dtype, got {input.dtype}")
    flat = O.reshape(input, [-1])
    out = O.index_select(weight, 0, flat)
    if padding_idx is not None and weight._requires_grad:
        keep = O.unsqueeze(O.to_dtype_op(O.ne(flat, padding_idx), weight.dtype), 1)
        out = O.add(O.mul(out, keep), O.mul(out.detach(), O.sub(O.as_operand(1.0, keep), keep)))  # no grad to padding rows
    return O.reshape(out, list(input.shape) + [weight.shape[1]])


# ---- other (pad, one_hot, normalize, interpolate) ----
