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
def _activation(op: str, rule, x: Tensor, alpha: float = 0.0, beta: float = 0.0, inplace: bool = False,
                name: str = "") -> Tensor:
    """One fused C++ unary kernel forward and one fused backward kernel (the rule)."""
    if not inplace:
        out = _wrap(_C.unary(O.U[op], x._c, alpha, beta))
        if _grad_enabled[0] and x._requires_grad:
            record(out, rule, (x,), (x,), (alpha, beta))
        return out
    O._check_inplace(x, name or op.lower() + "_")
    if not (_grad_enabled[0] and x._requires_grad):
        _C.unary_(O.U[op], x._c, alpha, beta)
        return x
    # The backward needs the input, which the in-place write destroys: keep a copy.
    saved = _wrap(_C.clone(x._c))
    out = _wrap(_C.unary(O.U[op], x._c, alpha, beta))
    record(out, rule, (O._old_alias(x),), (saved,), (alpha, beta))
    return O._inplace(x, out)


_gelu_rule = R.activation("GeluBackward")
_gelu_tanh_rule = R.activation("GeluTanhBackward")
_silu_rule = R.activation("SiluBackward")
_softplus_rule = R.activation("SoftplusBackward")
_leaky_rule = R.activation("LeakyReluBackward")
_elu_rule = R.activation("EluBackward")


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0)."""
    return O.relu_(input) if inplace else O.relu(input)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """x clamped to [min_val, max_val]."""
    if min_val > max_val:
        raise ValueError("[hardtanh] min_val cannot be greater than max_val")
    if not inplace:
        return O.clamp(input, min_val, max_val)
    if _grad_enabled[0] and input._requires_grad:  # clamp's backward needs the pre-write input
        O._check_inplace(input, "hardtanh_")
        return O._inplace(input, O.clamp(O.clone(O._old_alias(input)), min_val, max_val))
    return O.clamp_(input, min_val, max_val)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope * x."""
    return _activation("LeakyRelu", _leaky_rule, input, float(negative_slope), 0.0, inplace, "leaky_relu_")


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else alpha * (exp(x) - 1)."""
    return _activation("Elu", _elu_rule, input, float(alpha), 0.0, inplace, "elu_")


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) (approximate='none', with erf) or its tanh approximation (approximate='tanh')."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"[gelu] approximate must be 'none' or 'tanh', got '{approximate}'")
    if approximate == "tanh":
        return _activation("GeluTanh", _gelu_tanh_rule, input)
    return _activation("Gelu", _gelu_rule, input)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x)."""
    return _activation("Silu", _silu_rule, input, inplace=inplace, name="silu_")


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    src = O.clone(O._old_alias(input)) if inplace and _grad_enabled[0] and input._requires_grad else input
    out = O.mul(src, O.tanh(softplus(src)))
    return O._inplace(input, out) if inplace else out


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta, linear where beta * x > threshold."""
    return _activation("Softplus", _softplus_rule, input, float(beta), float(threshold))


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    return O.div(input, O.add(O.abs(input), 1.0))


def sigmoid(input: Tensor) -> Tensor:
    return O.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    return O.tanh(input)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x)."""
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
def _opt_c(t: Tensor | None):
    return None if t is None else t._c


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalises each channel (dim 1) over the batch and spatial dims, then scales and shifts.

    In training the batch statistics are used and the running statistics (when given) are
    updated in place: ``running = (1 - momentum) * running + momentum * batch_stat`` with the
    unbiased variance. In eval the running statistics are used. One fused C++ kernel each way.

    Shape: input (N, C, *), running stats / weight / bias (C).
    """
    out, mean, invstd = _C.batch_norm(input._c, _opt_c(weight), _opt_c(bias), _opt_c(running_mean),
                                      _opt_c(running_var), bool(training), float(momentum), float(eps))
    out = _wrap(out)
    if _grad_enabled[0] and (input._requires_grad or (weight is not None and weight._requires_grad) or
                             (bias is not None and bias._requires_grad)):
        record(out, R.batch_norm, (input, weight, bias), (input, weight), (mean, invstd, bool(training)))
    return out


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalises over the last len(normalized_shape) dims, then scales and shifts (fused kernel).

    Shape: input (*, *normalized_shape), weight / bias (normalized_shape).
    """
    ns = [int(normalized_shape)] if isinstance(normalized_shape, int) else [int(v) for v in normalized_shape]
    out, mean, rstd = _C.layer_norm(input._c, ns, _opt_c(weight), _opt_c(bias), float(eps))
    out = _wrap(out)
    if _grad_enabled[0] and (input._requires_grad or (weight is not None and weight._requires_grad) or
                             (bias is not None and bias._requires_grad)):
        record(out, R.layer_norm, (input, weight, bias), (input, weight), (ns, mean, rstd))
    return out


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalises each group of num_groups channel groups over its channels and spatial dims
    (the layer-norm kernel on (N, G, rest)), then applies the per-channel affine."""
    if input.ndim < 2:
        raise ValueError(f"[group_norm] expected at least 2-D input (N, C, ...), got {list(input.shape)}")
    n, c = input.shape[0], input.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise ValueError(f"[group_norm] num_channels {c} must be divisible by num_groups {num_groups}")
    rest = input.numel() // max(n * num_groups, 1)
    out = O.reshape(layer_norm(O.reshape(input, [n, num_groups, rest]), [rest], eps=eps), list(input.shape))
    shape = [1, c] + [1] * (input.ndim - 2)
    if weight is not None:
        out = O.mul(out, O.reshape(weight, shape))
    if bias is not None:
        out = O.add(out, O.reshape(bias, shape))
    return out


def instance_norm(input: Tensor, running_mean=None, running_var=None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True, momentum: float = 0.1,
                  eps: float = 1e-5) -> Tensor:
    """Per-sample, per-channel normalisation (group norm with one channel per group)."""
    if not use_input_stats:
        raise NotImplementedError("[instance_norm] only use_input_stats=True is supported")
    return group_norm(input, input.shape[1], weight, bias, eps)


def _check_p(p: float, op: str) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"[{op}] dropout probability has to be between 0 and 1, but got {p}")


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes elements with probability p (global generator) and scales the rest by 1/(1-p),
    in one fused kernel; identity when not training."""
    _check_p(p, "dropout")
    if not training:
        return input
    if inplace:
        O._check_inplace(input, "dropout_")
    out_c, mask = _C.dropout(input._c, float(p))
    out = _wrap(out_c)
    grad = _grad_enabled[0] and input._requires_grad
    if grad:
        record(out, R.dropout, (O._old_alias(input) if inplace else input,), (), (mask, float(p)))
    if inplace:
        if grad:
            return O._inplace(input, out)
        _C.copy_(input._c, out_c)
        return input
    return out


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes whole channels (dim 1 of (N, C, H, W) or dim 0 of (C, H, W)) with probability p."""
    _check_p(p, "dropout2d")
    if not training or p == 0.0:
        return input
    lead = 2 if input.ndim == 4 else 1
    shape = list(input.shape[:lead]) + [1] * (input.ndim - lead)
    keep = O.bernoulli_mask(shape, 1.0 - p, input.dtype)
    src = _inplace_source(input, inplace, "dropout2d_")
    out = O.mul(src, O.mul(keep, 1.0 / (1.0 - p)) if p < 1.0 else O.mul(keep, 0.0))
    return O._inplace(input, out) if inplace else out


def _inplace_source(input: Tensor, inplace: bool, op: str) -> Tensor:
    """What an in-place composite computes from: a graph-safe copy of input when it needs grad."""
    if not inplace:
        return input
    O._check_inplace(input, op)
    return O.clone(O._old_alias(input)) if _grad_enabled[0] and input._requires_grad else input


dropout1d = dropout2d


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Dropout that keeps the mean and variance of SELU activations."""
    _check_p(p, "alpha_dropout")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return O.mul(input, 0.0)
    alpha_p = -1.7580993408473766  # -scale * alpha of SELU
    a = 1.0 / math.sqrt((alpha_p * alpha_p * p + 1) * (1 - p))
    keep = O.bernoulli_mask(input.shape, 1.0 - p, input.dtype)
    input_ = _inplace_source(input, inplace, "alpha_dropout_")
    out = O.add(O.mul(O.add(O.mul(input_, keep), O.mul(O.sub(O.as_operand(1.0, keep), keep), alpha_p)), a),
                -a * alpha_p * p)
    return O._inplace(input, out) if inplace else out


# ---- embedding and losses ----
def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of weight picked by the integer indices in input: output (*input.shape, dim). The
    backward sums gradient rows into their index's row (one kernel); padding_idx gets none.
    With max_norm, the referenced rows are first renormalised in place to at most max_norm."""
    if input.dtype.is_floating_point or input.dtype.name == "bool":
        raise RuntimeError(f"[embedding] expected indices of an integer dtype, got {input.dtype}")
    num = weight.shape[0] if weight.ndim else 0
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(f"[embedding] padding_idx must be within num_embeddings ({num}), got {padding_idx}")
        padding_idx %= num
    if max_norm is not None:
        _embedding_renorm_(weight, input, float(max_norm), float(norm_type))
    out = _wrap(_C.embedding(weight._c, input._c))
    if _grad_enabled[0] and weight._requires_grad:
        record(out, R.embedding, (weight,), (), (input, num, -1 if padding_idx is None else padding_idx))
    return out


def _embedding_renorm_(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    from ..tensor import tensor as _tensor
    rows = sorted({int(v) for v in O.reshape(input, [-1]).tolist()})
    if not rows:
        return
    with _no_grad():
        idx = _tensor(rows)
        picked = O.index_select(weight, 0, idx)
        norms = O.norm(picked, norm_type, 1, keepdim=True)
        scale = O.where(O.gt(norms, max_norm), O.div(O.as_operand(max_norm, norms), O.add(norms, 1e-7)),
                        O.as_operand(1.0, norms))
        weight[idx] = O.mul(picked, scale)


_REDUCTIONS = {"none": 0, "mean": 1, "sum": 2}


def _reduction(reduction: str, op: str, size_average=None, reduce=None) -> int:
    """PyTorch's reduction code; the legacy size_average / reduce flags override reduction."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "mean" if size_average and reduce else ("sum" if reduce else "none")
    code = _REDUCTIONS.get(reduction)
    if code is None:
        raise ValueError(f"[{op}] {reduction} is not a valid value for reduction")
    return code


def _needs(*ts) -> bool:
    return _grad_enabled[0] and any(t is not None and t._requires_grad for t in ts)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices (one fused kernel each way).

    Shape: input (N, C) / (N, C, d1, ...) / (C); target (N) / (N, d1, ...) / () of int64.
    Mean divides by the summed weight of the non-ignored targets.
    """
    r = _reduction(reduction, "nll_loss", size_average, reduce)
    loss, total_weight = _C.nll_loss(input._c, target._c, _opt_c(weight), r, int(ignore_index))
    out = _wrap(loss)
    if _needs(input):
        record(out, R.nll_loss, (input,), (input,), (target, weight, total_weight, r, int(ignore_index)))
    return out


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                  ignore_index: int = -100, reduce=None, reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy in one fused kernel each way (PyTorch semantics).

    Shape: input (N, C) / (N, C, d1, ...) / (C); target class indices (N) / (N, d1, ...) / ()
    (int64), or class probabilities of the input's shape. weight (C) rescales each class;
    ignore_index targets contribute nothing; label_smoothing mixes in the uniform distribution.
    """
    r = _reduction(reduction, "cross_entropy", size_average, reduce)
    loss, lse, total_weight = _C.cross_entropy(input._c, target._c, _opt_c(weight), r, int(ignore_index),
                                               float(label_smoothing))
    out = _wrap(loss)
    if _needs(input, target):
        record(out, R.cross_entropy, (input, target), (input, target),
               (weight, lse, total_weight, r, int(ignore_index), float(label_smoothing)))
    return out


_K = {k: v for k, v in _C.PointwiseLoss.__members__.items()}


def _pointwise_loss(kind: str, input: Tensor, target: Tensor, reduction: int, param: float = 0.0,
                    weight: Tensor | None = None, pos_weight: Tensor | None = None) -> Tensor:
    k = _K[kind]
    out = _wrap(_C.pointwise_loss(k, input._c, target._c, _opt_c(weight), _opt_c(pos_weight), float(param), reduction))
    if _needs(input, target):
        record(out, R.pointwise_loss, (input, target), (input, target), (k, weight, pos_weight, float(param), reduction))
    return out


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """(input - target)^2, reduced."""
    return _pointwise_loss("Mse", input, target, _reduction(reduction, "mse_loss", size_average, reduce))


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """|input - target|, reduced."""
    return _pointwise_loss("L1", input, target, _reduction(reduction, "l1_loss", size_average, reduce))


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target)."""
    return _pointwise_loss("SmoothL1", input, target, _reduction(reduction, "smooth_l1_loss", size_average, reduce),
                           beta)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta)."""
    return _pointwise_loss("Huber", input, target, _reduction(reduction, "huber_loss"), delta)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """-w (t log p + (1 - t) log(1 - p)) with the logs clamped at -100. input in [0, 1]."""
    return _pointwise_loss("Bce", input, target, _reduction(reduction, "binary_cross_entropy", size_average, reduce),
                           weight=weight)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                                     reduce=None, reduction: str = "mean", pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid + binary cross-entropy, computed stably from the logits; pos_weight scales the
    positive term (broadcast along the last dim)."""
    r = _reduction(reduction, "binary_cross_entropy_with_logits", size_average, reduce)
    return _pointwise_loss("BceWithLogits", input, target, r, weight=weight, pos_weight=pos_weight)


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """KL(target || exp(input)) pointwise: target (log target - input); input holds
    log-probabilities. reduction='batchmean' divides the sum by the batch size."""
    batchmean = reduction == "batchmean"
    r = _reduction("sum" if batchmean else reduction, "kl_div", size_average, reduce)
    out = _pointwise_loss("KlDivLogTarget" if log_target else "KlDiv", input, target, r)
    if batchmean and input.ndim:
        out = O.div(out, float(input.shape[0]))
    return out


# ---- other (pad, one_hot, normalize, interpolate) ----
def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pads the last ``len(pad) // 2`` dims; ``pad = (left, right, top, bottom, ...)``, last dim first.

    Negative pads crop. Modes: ``constant`` (any dims), ``reflect``, ``replicate``, ``circular``
    (the last dim of 2-D/3-D input or the last two of 3-D/4-D input).

    Example:
        >>> F.pad(x, (1, 1, 2, 0), mode="reflect")
    """
    pads = [int(p) for p in pad]
    if mode != "constant" and value not in (None, 0, 0.0):
        raise ValueError(f'[pad] padding mode "{mode}" doesn\'t take in value argument')
    out = _wrap(_C.pad(input._c, pads, mode, float(value or 0.0)))
    if _grad_enabled[0] and input._requires_grad:
        record(out, R.pad, (input,), (), (tuple(input.shape), pads, mode))
    return out


_INTERPOLATING = ("linear", "bilinear", "bicubic", "trilinear")


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                recompute_scale_factor=None, antialias: bool = False) -> Tensor:
    """Resizes the spatial dims of (N, C, L) or (N, C, H, W) input.

    Modes: ``nearest``, ``nearest-exact``, ``linear`` (3-D), ``bilinear`` (4-D), ``area``
    (adaptive average pooling). Exactly one of ``size`` and ``scale_factor`` is given.

    Example:
        >>> F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    """
    spatial = input.ndim - 2
    if spatial not in (1, 2):
        raise NotImplementedError(f"[interpolate] expects 3-D (N, C, L) or 4-D (N, C, H, W) input, got "
                                  f"{list(input.shape)}")
    if align_corners is not None and mode not in _INTERPOLATING:
        raise ValueError("[interpolate] align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if antialias:
        raise NotImplementedError("[interpolate] antialias is not supported")
    if (size is None) == (scale_factor is None):
        raise ValueError("[interpolate] exactly one of size or scale_factor should be defined")
    in_sizes = list(input.shape[2:])
    scales: list = []
    if size is not None:
        out_sizes = [int(s) for s in (size if isinstance(size, (list, tuple)) else [size] * spatial)]
        if len(out_sizes) != spatial:
            raise ValueError(f"[interpolate] input has {spatial} spatial dims but size has {len(out_sizes)} values")
    else:
        factors = list(scale_factor) if isinstance(scale_factor, (list, tuple)) else [scale_factor] * spatial
        if len(factors) != spatial:
            raise ValueError(f"[interpolate] input has {spatial} spatial dims but scale_factor has {len(factors)} values")
        out_sizes = [int(math.floor(float(i) * float(f))) for i, f in zip(in_sizes, factors)]
        if not recompute_scale_factor:
            scales = [float(f) for f in factors]
    if mode == "area":
        return adaptive_avg_pool2d(input, out_sizes) if spatial == 2 else adaptive_avg_pool1d(input, out_sizes)
    corners = bool(align_corners)
    out = _wrap(_C.interpolate(input._c, out_sizes, scales, mode, corners))
    if _grad_enabled[0] and input._requires_grad:
        record(out, R.interpolate, (input,), (), (tuple(input.shape), scales, mode, corners))
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


# ---- attention (fused scaled dot-product attention; multi-head attention) ----
def _check_dropout(p: float, op: str) -> float:
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"[{op}] dropout probability has to be between 0 and 1, but got {p}")
    return p


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(query key^T * scale + mask) value, in one fused C++ kernel each way.

    The forward is tiled flash-style (online softmax over blocks of keys) and saves only the
    output and each row's logsumexp; the backward recomputes the scores block by block, so the
    (L, S) attention matrix is never materialised. With ``dropout_p > 0`` the weights are
    materialised and dropped out (the composite math path, as PyTorch's CPU math backend).

    Args:
        attn_mask: bool (True = the key takes part) or floating (added to the scores),
            broadcastable to (..., L, S). Not allowed together with ``is_causal``.
        is_causal: query i sees keys j <= i (top-left aligned causal mask).
        scale: defaults to 1 / sqrt(E).
        enable_gqa: key / value may have fewer heads (dim -3) than the query; each serves a
            group of consecutive query heads.

    Shape:
        query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev); the batch dims
        broadcast. Rows that see no key give zeros (as PyTorch).

    Example:
        >>> out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    """
    dropout_p = _check_dropout(dropout_p, "scaled_dot_product_attention")
    if dropout_p > 0.0:
        return _sdpa_math(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa)
    sc = None if scale is None else float(scale)
    out_c, lse = _C.scaled_dot_product_attention(query._c, key._c, value._c, _opt_c(attn_mask), bool(is_causal), sc,
                                                 bool(enable_gqa))
    out = _wrap(out_c)
    if _needs(query, key, value, attn_mask):
        record(out, R.scaled_dot_product_attention, (query, key, value, attn_mask), (query, key, value, attn_mask),
               (lse, bool(is_causal), sc, bool(enable_gqa)), save_output=True)
    return out


def _repeat_heads(x: Tensor, heads: int) -> Tensor:
    """x (..., H, S, D) with each head repeated heads // H times in place (repeat_interleave)."""
    h = x.shape[-3]
    if h == heads:
        return x
    if h == 0 or heads % h:
        raise RuntimeError(f"[scaled_dot_product_attention] number of heads in key/value ({h}) must divide the "
                           f"number of heads in query ({heads})")
    shape = list(x.shape)
    grouped = O.expand(O.unsqueeze(x, -3), shape[:-2] + [heads // h] + shape[-2:])
    return O.reshape(grouped, shape[:-3] + [heads] + shape[-2:])


def _sdpa_math(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None, dropout_p: float = 0.0,
               is_causal: bool = False, scale: float | None = None, enable_gqa: bool = False) -> Tensor:
    """Attention from basic ops (matmul, softmax, dropout, matmul): the path taken for dropout
    and the reference the fused kernel is tested against. Materialises the (L, S) weights."""
    from ..tensor import arange

    L, S, E = query.shape[-2], key.shape[-2], query.shape[-1]
    factor = (1.0 / math.sqrt(E) if E else 1.0) if scale is None else float(scale)
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("[scaled_dot_product_attention] explicit attn_mask should not be set when "
                               "is_causal=True")
        attn_mask = O.le(O.unsqueeze(arange(S), 0), O.unsqueeze(arange(L), 1))
    if enable_gqa and min(query.ndim, key.ndim, value.ndim) >= 3:
        key, value = _repeat_heads(key, query.shape[-3]), _repeat_heads(value, query.shape[-3])
    scores = O.mul(O.matmul(query, O.transpose(key, -2, -1)), factor)
    if attn_mask is not None:
        if attn_mask.dtype.name == "bool":
            scores = O.masked_fill(scores, O.logical_not(attn_mask), float("-inf"))
        else:
            scores = O.add(scores, attn_mask)
    weights = O.softmax(scores, -1)
    # A row that sees no key gives zeros, not NaN (PyTorch's safe softmax).
    hidden = O.all(O.eq(scores, float("-inf")), -1, keepdim=True)
    weights = O.where(hidden, 0.0, weights)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p)
    return O.matmul(weights, value)


def _canonical_mask(mask: Tensor | None, name: str, dtype, op: str) -> Tensor | None:
    """A bool mask (True = hidden) as a float mask with -inf where hidden; float masks pass."""
    if mask is None:
        return None
    if mask.dtype.name == "bool":
        from ..tensor import zeros
        return O.masked_fill(zeros(list(mask.shape), dtype=dtype), mask, float("-inf"))
    if not mask.dtype.is_floating_point:
        raise _C.DTypeError(f"[{op}] only bool and floating types of {name} are supported, got {mask.dtype}")
    return mask


def _mha_check_shapes(query, key, value, key_padding_mask, attn_mask, num_heads, op) -> bool:
    """PyTorch's shape rules for multi-head attention inputs; returns whether they are batched."""
    def fail(msg):
        raise _C.ShapeError(f"[{op}] {msg}")

    if query.ndim == 3:
        if key.ndim != 3 or value.ndim != 3:
            fail(f"for batched (3-D) query {list(query.shape)}, expected 3-D key and value, got key "
                 f"{list(key.shape)} and value {list(value.shape)}")
        if key_padding_mask is not None and key_padding_mask.ndim != 2:
            fail(f"for batched (3-D) query, expected key_padding_mask to be None or 2-D, got "
                 f"{list(key_padding_mask.shape)}")
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            fail(f"for batched (3-D) query, expected attn_mask to be None, 2-D or 3-D, got {list(attn_mask.shape)}")
        return True
    if query.ndim == 2:
        if key.ndim != 2 or value.ndim != 2:
            fail(f"for unbatched (2-D) query {list(query.shape)}, expected 2-D key and value, got key "
                 f"{list(key.shape)} and value {list(value.shape)}")
        if key_padding_mask is not None and key_padding_mask.ndim != 1:
            fail(f"for unbatched (2-D) query, expected key_padding_mask to be None or 1-D, got "
                 f"{list(key_padding_mask.shape)}")
        if attn_mask is not None:
            if attn_mask.ndim not in (2, 3):
                fail(f"for unbatched (2-D) query, expected attn_mask to be None, 2-D or 3-D, got "
                     f"{list(attn_mask.shape)}")
            if attn_mask.ndim == 3 and tuple(attn_mask.shape) != (num_heads, query.shape[0], key.shape[0]):
                fail(f"expected attn_mask of shape {[num_heads, query.shape[0], key.shape[0]]}, got "
                     f"{list(attn_mask.shape)}")
        return False
    fail(f"query should be unbatched 2-D or batched 3-D, got {list(query.shape)}")


def multi_head_attention_forward(query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
                                 in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
                                 bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float,
                                 out_proj_weight: Tensor, out_proj_bias: Tensor | None, training: bool = True,
                                 key_padding_mask: Tensor | None = None, need_weights: bool = True,
                                 attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False,
                                 q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
                                 v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
                                 static_v: Tensor | None = None, average_attn_weights: bool = True,
                                 is_causal: bool = False, batch_first: bool = False):
    """Multi-head attention (PyTorch's functional form): projections, attention per head, output
    projection. Without ``need_weights`` the heads run through the fused SDPA kernel; with it the
    (L, S) weights are materialised and returned (averaged over heads or per head).

    Shape:
        query (L, N, E) (``batch_first``: (N, L, E)) or unbatched (L, E); key / value (S, N, kdim /
        vdim) likewise; key_padding_mask (N, S) or (S); attn_mask (L, S) or (N * num_heads, L, S).
        Bool masks hide the positions that are True; float masks are added to the scores.
        Returns (attn_output like query, weights (N, L, S) / (N, num_heads, L, S) or None).
    """
    op = "multi_head_attention_forward"
    batched = _mha_check_shapes(query, key, value, key_padding_mask, attn_mask, num_heads, op)
    if not batched:
        query, key, value = O.unsqueeze(query, 0), O.unsqueeze(key, 0), O.unsqueeze(value, 0)
        if key_padding_mask is not None:
            key_padding_mask = O.unsqueeze(key_padding_mask, 0)
        batch_first = True
    bdim, sdim = (0, 1) if batch_first else (1, 0)
    n, tgt_len, embed_dim = query.shape[bdim], query.shape[sdim], query.shape[2]
    src_len = key.shape[sdim]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", query.dtype, op)
    if is_causal and attn_mask is None:
        raise RuntimeError(f"[{op}] need attn_mask if specifying the is_causal hint (you may use "
                           "nn.Transformer.generate_square_subsequent_mask to create it)")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the fused kernel applies the causal mask itself
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", query.dtype, op)
        if key_padding_mask is not None:
            is_causal = False  # the merged mask is no longer causal
    if embed_dim != embed_dim_to_check:
        raise _C.ShapeError(f"[{op}] was expecting embedding dimension of {embed_dim_to_check}, but got "
                            f"{embed_dim} (query {list(query.shape)})")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise _C.ShapeError(f"[{op}] embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if key.shape[:2] != value.shape[:2]:
            raise _C.ShapeError(f"[{op}] key's sequence and batch dims {list(key.shape[:2])} do not match value's "
                                f"{list(value.shape[:2])}")
        weights = (q_proj_weight, k_proj_weight, v_proj_weight)
    else:
        if key.shape != value.shape:
            raise _C.ShapeError(f"[{op}] key shape {list(key.shape)} does not match value shape {list(value.shape)}")
        weights = tuple(O.narrow(in_proj_weight, 0, i * embed_dim, embed_dim) for i in range(3))
    biases = (None,) * 3 if in_proj_bias is None else \
        tuple(O.narrow(in_proj_bias, 0, i * embed_dim, embed_dim) for i in range(3))
    if key.shape[-1] != weights[1].shape[-1] or value.shape[-1] != weights[2].shape[-1]:
        raise _C.ShapeError(f"[{op}] key {list(key.shape)} / value {list(value.shape)} do not match the projection "
                            f"weights {list(weights[1].shape)} / {list(weights[2].shape)}")

    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise _C.ShapeError(f"[{op}] the shape of the 2D attn_mask is {list(attn_mask.shape)}, but should be "
                                    f"{[tgt_len, src_len]}")
        elif tuple(attn_mask.shape) != (n * num_heads, tgt_len, src_len):
            raise _C.ShapeError(f"[{op}] the shape of the 3D attn_mask is {list(attn_mask.shape)}, but should be "
                                f"{[n * num_heads, tgt_len, src_len]}")
        else:
            attn_mask = O.reshape(attn_mask, [n, num_heads, tgt_len, src_len])

    def heads(x, w, b):
        """Projection, split into heads: (N, H, T, D) (a view of the projection)."""
        t = x.shape[sdim]
        y = linear(x, w, b)
        if batch_first:
            return O.permute(O.reshape(y, [n, t, num_heads, head_dim]), [0, 2, 1, 3])
        return O.permute(O.reshape(y, [t, n, num_heads, head_dim]), [1, 2, 0, 3])

    q = heads(query, weights[0], biases[0])
    k = v = None
    for which, static, x, i in (("k", static_k, key, 1), ("v", static_v, value, 2)):
        if static is not None:
            if bias_k is not None:
                raise RuntimeError(f"[{op}] bias cannot be added to static {'key' if i == 1 else 'value'}")
            if static.shape[0] != n * num_heads or static.shape[2] != head_dim:
                raise _C.ShapeError(f"[{op}] expecting static_{which} of shape [{n * num_heads}, S, {head_dim}], "
                                    f"got {list(static.shape)}")
            t = O.reshape(static, [n, num_heads, static.shape[1], head_dim])
        else:
            t = heads(x, weights[i], biases[i])
        if which == "k":
            k = t
        else:
            v = t
    extra = []
    if (bias_k is None) != (bias_v is None):
        raise ValueError(f"[{op}] bias_k and bias_v must both be given or both be None")
    if bias_k is not None:
        extra.append((O.expand(O.reshape(bias_k, [1, num_heads, 1, head_dim]), [n, num_heads, 1, head_dim]),
                      O.expand(O.reshape(bias_v, [1, num_heads, 1, head_dim]), [n, num_heads, 1, head_dim])))
    if add_zero_attn:
        from ..tensor import zeros
        z = zeros([n, num_heads, 1, head_dim], dtype=q.dtype)
        extra.append((z, z))
    for ek, ev in extra:
        k, v = O.cat([k, ek], 2), O.cat([v, ev], 2)
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    src_len = k.shape[2]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (n, src_len):
            raise _C.ShapeError(f"[{op}] expected key_padding_mask of shape {[n, src_len]}, got "
                                f"{list(key_padding_mask.shape)}")
        kpm = O.reshape(key_padding_mask, [n, 1, 1, src_len])
        attn_mask = kpm if attn_mask is None else O.add(attn_mask, kpm)
    if not training:
        dropout_p = 0.0

    if need_weights:
        scores = O.matmul(O.mul(q, 1.0 / math.sqrt(head_dim)), O.transpose(k, -2, -1))
        if attn_mask is not None:
            scores = O.add(scores, attn_mask)
        attn = O.softmax(scores, -1)
        if dropout_p > 0.0:
            attn = dropout(attn, dropout_p)
        out = O.matmul(attn, v)
        attn_weights = O.mean(attn, 1) if average_attn_weights else attn
    else:
        out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
        attn_weights = None
    out = O.reshape(O.permute(out, [0, 2, 1, 3]), [n, tgt_len, embed_dim])
    out = linear(out, out_proj_weight, out_proj_bias)
    if not batched:
        out = O.squeeze(out, 0)
        if attn_weights is not None:
            attn_weights = O.squeeze(attn_weights, 0)
    elif not batch_first:
        out = O.transpose(out, 0, 1)
    return out, attn_weights
# ---- recurrent layers (cpu/rnn) ----
from ..autograd.graph import record_multi as _record_multi  # noqa: E402

_RNN_MODES = {"RNN_TANH": _C.RnnMode.Tanh, "RNN_RELU": _C.RnnMode.Relu, "LSTM": _C.RnnMode.Lstm,
              "GRU": _C.RnnMode.Gru}
_RNN_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
_dropout = dropout  # rnn() takes a `dropout` probability


def _rnn_layer(code, input: Tensor, batch_sizes: list, h0, c0, weights: list):
    """One recurrent layer (1 or 2 directions) as one fused C++ call and one graph node.
    weights: per direction [w_ih, w_hh, b_ih, b_hh, w_hr] (None where the layer has none)."""
    out_c, hn_c, cn_c, reserve = _C.rnn_layer(code, input._c, batch_sizes, _opt_c(h0), _opt_c(c0),
                                              [[_opt_c(w) for w in ws] for ws in weights])
    out, hn = _wrap(out_c), _wrap(hn_c)
    cn = None if cn_c is None else _wrap(cn_c)
    flat = [w for ws in weights for w in ws]
    if _needs(input, h0, c0, *flat):
        _record_multi((out, hn, cn), R.rnn_layer, (input, h0, c0, *flat), (input, h0, c0, *flat, out.detach()),
                      (code, batch_sizes, reserve, len(weights)))
    return out, hn, cn


def _layer_state(t, layer: int, dirs: int, num_layers: int):
    """The (dirs, batch, size) slice of a stacked (num_layers * dirs, batch, size) state."""
    return t if t is None or num_layers == 1 else O.narrow(t, 0, layer * dirs, dirs)


def rnn(mode: str, input: Tensor, hx, weights: list, num_layers: int = 1, dropout: float = 0.0,
        training: bool = False, bidirectional: bool = False, batch_sizes: list | None = None):
    """Stacked recurrent layers, each one fused C++ op (forward and backward through time).

    Args:
        mode: ``"RNN_TANH"``, ``"RNN_RELU"``, ``"LSTM"`` or ``"GRU"``.
        input: time-major ``(seq, batch, input_size)``, or the packed rows ``(N, input_size)`` of
            a PackedSequence with its ``batch_sizes`` (a list of ints).
        hx: the initial hidden state ``(num_layers * D, batch, P)`` (LSTM: a tuple ``(h0, c0)``,
            c0 of size hidden_size), or None for zeros; P is proj_size or hidden_size.
        weights: per layer, per direction ``[w_ih, w_hh, b_ih, b_hh, w_hr]`` in PyTorch's layout
            (None for missing biases / projection).
        dropout: dropout probability on the outputs of every layer but the last, when training.

    Returns ``(output, h_n, c_n)``: output ``(seq, batch, D * P)`` (or packed rows), h_n like h0,
    c_n like c0 (None except for LSTM).
    """
    code = _RNN_MODES.get(mode)
    if code is None:
        raise ValueError(f"Unrecognized RNN mode: {mode}")
    name = mode.lower()
    dirs = 2 if bidirectional else 1
    if len(weights) != num_layers or any(len(ws) != dirs for ws in weights):
        raise ValueError(f"[{name}] expected weights for {num_layers} layers x {dirs} directions")
    want = 2 if batch_sizes is not None else 3
    if input.ndim != want:
        raise RuntimeError(f"[{name}] input must have {want} dimensions, got {input.ndim}")
    lstm = mode == "LSTM"
    h0, c0 = hx if lstm and hx is not None else (hx, None)
    w_ih, w_hh = weights[0][0][0], weights[0][0][1]
    hidden = w_ih.shape[0] // _RNN_GATES[mode]
    batch = batch_sizes[0] if batch_sizes is not None else input.shape[1]
    for t, size, what in ((h0, w_hh.shape[1], "hidden[0] size" if lstm else "hidden size"),
                          (c0, hidden, "hidden[1] size")):
        expected = (num_layers * dirs, batch, size)
        if t is not None and tuple(t.shape) != expected:
            raise RuntimeError(f"[{name}] Expected {what} {expected}, got {list(t.shape)}")
    batch_sizes = [] if batch_sizes is None else [int(b) for b in batch_sizes]
    x, hs, cs = input, [], []
    for layer in range(num_layers):
        x, hn, cn = _rnn_layer(code, x, batch_sizes, _layer_state(h0, layer, dirs, num_layers),
                               _layer_state(c0, layer, dirs, num_layers), weights[layer])
        hs.append(hn)
        cs.append(cn)
        if training and dropout > 0 and layer + 1 < num_layers:
            x = _dropout(x, dropout, True)
    h_n = hs[0] if num_layers == 1 else O.cat(hs, 0)
    c_n = None if not lstm else (cs[0] if num_layers == 1 else O.cat(cs, 0))
    return x, h_n, c_n


def _rnn_cell(mode: str, input: Tensor, hx, cx, w_ih, w_hh, b_ih, b_hh):
    """One time step as one fused C++ call and one graph node; returns (h', c' or None)."""
    weights = [w_ih, w_hh, b_ih, b_hh, None]
    h_c, c_c, reserve = _C.rnn_cell(_RNN_MODES[mode], input._c, _opt_c(hx), _opt_c(cx), [_opt_c(w) for w in weights])
    h = _wrap(h_c)
    c = None if c_c is None else _wrap(c_c)
    if _needs(input, hx, cx, *weights[:4]):
        _record_multi((h, c), R.rnn_cell, (input, hx, cx, *weights), (input, hx, cx, *weights, h.detach()),
                      (_RNN_MODES[mode], reserve))
    return h, c


def lstm_cell(input: Tensor, hx, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
              b_hh: Tensor | None = None):
    """One LSTM step: input (batch, input_size), hx = (h, c) (batch, hidden_size) or None.
    Returns (h', c')."""
    h, c = hx if hx is not None else (None, None)
    return _rnn_cell("LSTM", input, h, c, w_ih, w_hh, b_ih, b_hh)


def gru_cell(input: Tensor, hx, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
             b_hh: Tensor | None = None) -> Tensor:
    """One GRU step: input (batch, input_size), hx (batch, hidden_size) or None. Returns h'."""
    return _rnn_cell("GRU", input, hx, None, w_ih, w_hh, b_ih, b_hh)[0]


def rnn_tanh_cell(input: Tensor, hx, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
                  b_hh: Tensor | None = None) -> Tensor:
    """One Elman step, h' = tanh(W_ih x + b_ih + W_hh h + b_hh). Returns h'."""
    return _rnn_cell("RNN_TANH", input, hx, None, w_ih, w_hh, b_ih, b_hh)[0]


def rnn_relu_cell(input: Tensor, hx, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
                  b_hh: Tensor | None = None) -> Tensor:
    """One Elman step with ReLU, h' = relu(W_ih x + b_ih + W_hh h + b_hh). Returns h'."""
    return _rnn_cell("RNN_RELU", input, hx, None, w_ih, w_hh, b_ih, b_hh)[0]
