"""The functional form of every layer: ``tensorforge.nn.functional`` (``F``)."""
from __future__ import annotations

import builtins
import math

from .. import _C
from ..autograd import rules as R
from ..autograd.graph import _grad_enabled, record
from ..autograd.graph import no_grad as _no_grad
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
def _pair(v, n: int = 2) -> list:
    if isinstance(v, (list, tuple)):
        if len(v) != n:
            raise ValueError(f"expected {n} values, got {list(v)}")
        return [int(x) for x in v]
    return [int(v)] * n


def _same_padding(weight: Tensor, dilation, stride, ndim: int = 2):
    """'same' padding: symmetric pads, plus any odd extra as a separate right/bottom pad."""
    if any(s != 1 for s in stride):
        raise ValueError("padding='same' is not supported for strided convolutions")
    k = list(weight.shape[2:])
    total = [d * (kk - 1) for d, kk in zip(dilation, k)]
    sym = [t // 2 for t in total]
    extra = [t - 2 * s for t, s in zip(total, sym)]
    return sym, extra


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """2-D cross-correlation. input (N, C_in, H, W) or (C_in, H, W); weight (C_out, C_in/groups, kH, kW)."""
    stride, dilation = _pair(stride), _pair(dilation)
    if isinstance(padding, str):
        if padding == "valid":
            padding = [0, 0]
        elif padding == "same":
            padding, extra = _same_padding(weight, dilation, stride)
            if any(extra):
                input = pad(input, (0, extra[1], 0, extra[0]))
        else:
            raise ValueError(f"[conv2d] invalid padding string '{padding}', should be 'valid' or 'same'")
    padding = _pair(padding)
    out = _wrap(_C.conv2d(input._c, weight._c, None if bias is None else bias._c, stride, padding, dilation, groups))
    if _grad_enabled[0] and (input._requires_grad or weight._requires_grad or
                             (bias is not None and bias._requires_grad)):
        record(out, R.conv2d, (input, weight, bias), (input, weight), (stride, padding, dilation, groups))
    return out


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """1-D cross-correlation. input (N, C_in, L) or (C_in, L); weight (C_out, C_in/groups, K)."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"[conv1d] expected 2-D (C, L) or 3-D (N, C, L) input, got input of shape {list(input.shape)}")
    if weight.ndim != 3:
        raise RuntimeError(f"[conv1d] expected 3-D weight, got weight of shape {list(weight.shape)}")
    s = _pair(stride, 1)[0]
    d = _pair(dilation, 1)[0]
    p = padding if isinstance(padding, str) else [0, _pair(padding, 1)[0]]
    out = conv2d(O.unsqueeze(input, -2), O.unsqueeze(weight, -2), bias, [1, s], p, [1, d], groups)
    return O.squeeze(out, -2)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """Transposed 2-D convolution. weight (C_in, C_out/groups, kH, kW)."""
    stride, padding, output_padding, dilation = _pair(stride), _pair(padding), _pair(output_padding), _pair(dilation)
    out = _wrap(_C.conv_transpose2d(input._c, weight._c, None if bias is None else bias._c, stride, padding,
                                    output_padding, groups, dilation))
    if _grad_enabled[0] and (input._requires_grad or weight._requires_grad or
                             (bias is not None and bias._requires_grad)):
        record(out, R.conv_transpose2d, (input, weight, bias), (input, weight), (stride, padding, groups, dilation))
    return out


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    out = conv_transpose2d(O.unsqueeze(input, -2), O.unsqueeze(weight, -2), bias, [1, _pair(stride, 1)[0]],
                           [0, _pair(padding, 1)[0]], [0, _pair(output_padding, 1)[0]], groups,
                           [1, _pair(dilation, 1)[0]])
    return O.squeeze(out, -2)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    k = _pair(kernel_size)
    st = _pair(stride) if stride is not None and stride != [] else []
    out_c, idx_c = _C.max_pool2d(input._c, k, st, _pair(padding), _pair(dilation), ceil_mode)
    out, idx = _wrap(out_c), _wrap(idx_c)
    if _grad_enabled[0] and input._requires_grad:
        record(out, R.max_pool2d, (input,), (), (idx, tuple(input.shape)))
    return (out, idx) if return_indices else out


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    st = [1, _pair(stride, 1)[0]] if stride is not None else None
    r = max_pool2d(O.unsqueeze(input, -2), [1, _pair(kernel_size, 1)[0]], st, [0, _pair(padding, 1)[0]],
                   [1, _pair(dilation, 1)[0]], ceil_mode, return_indices)
    if return_indices:
        return O.squeeze(r[0], -2), O.squeeze(r[1], -2)
    return O.squeeze(r, -2)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    args = (_pair(kernel_size), _pair(stride) if stride is not None and stride != [] else [], _pair(padding),
            ceil_mode, count_include_pad, int(divisor_override or 0))
    out = _wrap(_C.avg_pool2d(input._c, *args))
    if _grad_enabled[0] and input._requires_grad:
        record(out, R.avg_pool2d, (input,), (), (tuple(input.shape), args))
    return out


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    st = [1, _pair(stride, 1)[0]] if stride is not None else None
    return O.squeeze(avg_pool2d(O.unsqueeze(input, -2), [1, _pair(kernel_size, 1)[0]], st, [0, _pair(padding, 1)[0]],
                                ceil_mode, count_include_pad), -2)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    size = list(output_size) if isinstance(output_size, (list, tuple)) else [output_size, output_size]
    size = [input.shape[-2 + i] if s is None else int(s) for i, s in enumerate(size)]
    out = _wrap(_C.adaptive_avg_pool2d(input._c, size))
    if _grad_enabled[0] and input._requires_grad:
        record(out, R.adaptive_avg_pool2d, (input,), (), tuple(input.shape))
    return out


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    size = output_size[0] if isinstance(output_size, (list, tuple)) else output_size
    return O.squeeze(adaptive_avg_pool2d(O.unsqueeze(input, -2), [1, size]), -2)


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    size = list(output_size) if isinstance(output_size, (list, tuple)) else [output_size, output_size]
    h, w = input.shape[-2], input.shape[-1]
    oh, ow = [input.shape[-2 + i] if s is None else int(s) for i, s in enumerate(size)]
    if h % oh or w % ow:
        raise NotImplementedError("[adaptive_max_pool2d] only supports output sizes that divide the input")
    return max_pool2d(input, [h // oh, w // ow], return_indices=return_indices)


# ---- normalisation and dropout ----
def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalises each channel (dim 1) over the batch and spatial dims; in training, updates the
    running statistics (unbiased variance) in place."""
    if input.ndim < 2:
        raise ValueError(f"[batch_norm] expected at least 2-D input (N, C, ...), got {list(input.shape)}")
    c = input.shape[1]
    dims = [0] + list(range(2, input.ndim))
    shape = [1, c] + [1] * (input.ndim - 2)
    if training:
        count = input.numel() // c
        if count <= 1:
            raise ValueError(f"[batch_norm] Expected more than 1 value per channel when training, got input size "
                             f"{list(input.shape)}")
        mean = O.mean(input, dims, keepdim=True)
        var = O.var(input, dims, keepdim=True, correction=0)
        if running_mean is not None:
            with _no_grad():
                running_mean.mul_(1 - momentum).add_(O.mul(O.reshape(mean, [c]), momentum))
                running_var.mul_(1 - momentum).add_(O.mul(O.reshape(var, [c]), momentum * count / (count - 1)))
    else:
        if running_mean is None or running_var is None:
            raise ValueError("[batch_norm] running_mean and running_var are needed in eval mode")
        mean, var = O.reshape(running_mean, shape), O.reshape(running_var, shape)
    out = O.mul(O.sub(input, mean), O.rsqrt(O.add(var, eps)))
    if weight is not None:
        out = O.mul(out, O.reshape(weight, shape))
    if bias is not None:
        out = O.add(out, O.reshape(bias, shape))
    return out


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalises over the last len(normalized_shape) dims, then scales and shifts."""
    ns = [normalized_shape] if isinstance(normalized_shape, int) else list(normalized_shape)
    if list(input.shape[input.ndim - len(ns):]) != ns:
        raise ValueError(f"[layer_norm] given normalized_shape={ns}, expected input with shape [*, "
                         f"{', '.join(map(str, ns))}], but got input of size {list(input.shape)}")
    dims = list(range(input.ndim - len(ns), input.ndim))
    mean = O.mean(input, dims, keepdim=True)
    var = O.var(input, dims, keepdim=True, correction=0)
    out = O.mul(O.sub(input, mean), O.rsqrt(O.add(var, eps)))
    if weight is not None:
        out = O.mul(out, weight)
    if bias is not None:
        out = O.add(out, bias)
    return out


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    n, c = input.shape[0], input.shape[1]
    if c % num_groups:
        raise ValueError(f"[group_norm] num_channels {c} must be divisible by num_groups {num_groups}")
    x = O.reshape(input, [n, num_groups, -1])
    mean = O.mean(x, 2, keepdim=True)
    var = O.var(x, 2, keepdim=True, correction=0)
    out = O.reshape(O.mul(O.sub(x, mean), O.rsqrt(O.add(var, eps))), list(input.shape))
    shape = [1, c] + [1] * (input.ndim - 2)
    if weight is not None:
        out = O.mul(out, O.reshape(weight, shape))
    if bias is not None:
        out = O.add(out, O.reshape(bias, shape))
    return out


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


def _difference(input: Tensor, target: Tensor, op: str) -> Tensor:
    try:
        return O.sub(input, target)
    except RuntimeError:
        raise ValueError(f"[{op}] target size {list(target.shape)} can't be broadcast to input size "
                         f"{list(input.shape)}") from None


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    d = _difference(input, target, "mse_loss")
    return _reduce_loss(O.mul(d, d), reduction, "mse_loss")


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    return _reduce_loss(O.abs(_difference(input, target, "l1_loss")), reduction, "l1_loss")


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    d = O.abs(_difference(input, target, "smooth_l1_loss"))
    if beta == 0:
        return _reduce_loss(d, reduction, "smooth_l1_loss")
    loss = O.where(O.lt(d, beta), O.div(O.mul(O.mul(d, d), 0.5), beta), O.sub(d, 0.5 * beta))
    return _reduce_loss(loss, reduction, "smooth_l1_loss")


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    d = O.abs(_difference(input, target, "huber_loss"))
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
def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pads the last len(pad)//2 dims: pad = (left, right, top, bottom, ...), last dim first.
    Negative pads crop. Modes: constant, reflect, replicate, circular."""
    pad = [int(p) for p in pad]
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"[pad] padding length must be even and at most 2 * ndim, got {len(pad)} for {input.ndim}-D input")
    out = input
    for i in range(len(pad) // 2):
        dim = input.ndim - 1 - i
        left, right = pad[2 * i], pad[2 * i + 1]
        if left < 0:
            out = O.narrow(out, dim, -left, out.shape[dim] + left)
            left = 0
        if right < 0:
            out = O.narrow(out, dim, 0, out.shape[dim] + right)
            right = 0
        if not (left or right):
            continue
        size = out.shape[dim]
        if mode == "constant":
            shape_l = list(out.shape)
            parts = []
            if left:
                shape_l[dim] = left
                parts.append(O.to_dtype_op(_wrap(_C.full(shape_l, float(value or 0.0), out.dtype.code)), out.dtype))
            parts.append(out)
            if right:
                shape_r = list(out.shape)
                shape_r[dim] = right
                parts.append(_wrap(_C.full(shape_r, float(value or 0.0), out.dtype.code)))
            out = O.cat(parts, dim)
            continue
        if mode == "reflect":
            if left >= size or right >= size:
                raise ValueError(f"[pad] padding ({left}, {right}) should be smaller than the input size {size} in "
                                 f"reflect mode")
            idx = list(range(left, 0, -1)) + list(range(size)) + list(range(size - 2, size - 2 - right, -1))
        elif mode == "replicate":
            idx = [0] * left + list(range(size)) + [size - 1] * right
        elif mode == "circular":
            if left > size or right > size:
                raise ValueError("[pad] padding value causes wrapping around more than once")
            idx = list(range(size - left, size)) + list(range(size)) + list(range(right))
        else:
            raise NotImplementedError(f"[pad] unknown padding mode '{mode}'")
        from ..tensor import tensor as _tensor
        out = O.index_select(out, dim, _tensor(idx))
    return out


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                recompute_scale_factor=None, antialias: bool = False) -> Tensor:
    """Resizes the last 1 or 2 dims (N, C, [H,] W) with 'nearest' or '(bi)linear' sampling."""
    spatial = input.ndim - 2
    if spatial not in (1, 2):
        raise NotImplementedError(f"[interpolate] expects 3-D or 4-D input, got {input.ndim}-D")
    in_sizes = list(input.shape[2:])
    if (size is None) == (scale_factor is None):
        raise ValueError("[interpolate] exactly one of size or scale_factor must be given")
    if size is not None:
        out_sizes = [int(s) for s in (size if isinstance(size, (list, tuple)) else [size] * spatial)]
        scales = [o / i for o, i in zip(out_sizes, in_sizes)]
    else:
        sf = list(scale_factor) if isinstance(scale_factor, (list, tuple)) else [scale_factor] * spatial
        out_sizes = [int(math.floor(i * f)) for i, f in zip(in_sizes, sf)]
        scales = [float(f) for f in sf] if not recompute_scale_factor else [o / i for o, i in zip(out_sizes, in_sizes)]
    from ..tensor import tensor as _tensor
    out = input
    for k in range(spatial):
        dim = 2 + k
        n_in, n_out = in_sizes[k], out_sizes[k]
        if mode == "nearest":
            idx = [min(int(math.floor(j * (1.0 / scales[k]))), n_in - 1) for j in range(n_out)]
            out = O.index_select(out, dim, _tensor(idx))
        elif mode in ("linear", "bilinear"):
            lo, hi, frac = [], [], []
            for j in range(n_out):
                if align_corners:
                    src = j * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
                else:
                    src = max((j + 0.5) / scales[k] - 0.5, 0.0)
                i0 = min(int(math.floor(src)), n_in - 1)
                i1 = min(i0 + 1, n_in - 1)
                lo.append(i0)
                hi.append(i1)
                frac.append(src - i0)
            shape = [1] * out.ndim
            shape[dim] = n_out
            w = O.reshape(_tensor(frac, dtype=input.dtype), shape)
            a, b = O.index_select(out, dim, _tensor(lo)), O.index_select(out, dim, _tensor(hi))
            out = O.add(a, O.mul(O.sub(b, a), w))
        else:
            raise NotImplementedError(f"[interpolate] mode '{mode}' is not supported (nearest, linear, bilinear)")
    return out



def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Integer class indices (*) -> int64 (*, num_classes) with a 1 at each index."""
    if tensor.dtype.is_floating_point:
        raise RuntimeError("[one_hot] is only applicable to index tensor")
    if num_classes == -1:
        num_classes = int(O.amax(tensor).item()) + 1 if tensor.numel() else 0
    if tensor.numel() and (int(O.amin(tensor).item()) < 0 or int(O.amax(tensor).item()) >= num_classes):
        raise RuntimeError(f"[one_hot] Class values must be in [0, {num_classes})")
    from ..tensor import arange
    return O.to_dtype_op(O.eq(O.unsqueeze(tensor, -1), arange(num_classes)), "int64")


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """x / max(||x||_p along dim, eps)."""
    return O.div(input, O.clamp(O.norm(input, p, dim, keepdim=True), min=eps))


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    n1 = O.clamp(O.norm(x1, 2, dim, keepdim=True), min=eps)
    n2 = O.clamp(O.norm(x2, 2, dim, keepdim=True), min=eps)
    return O.sum(O.mul(O.div(x1, n1), O.div(x2, n2)), dim)
