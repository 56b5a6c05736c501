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
    """Adaptive max pooling of (N, C, H, W) / (C, H, W) input to output_size (None keeps a size)."""
    size = _adaptive_size(input, output_size, 2, "adaptive_max_pool2d")
    out_c, idx_c = _C.adaptive_max_pool2d(input._c, size)
    out, idx = _wrap(out_c), _wrap(idx_c)
    if _grad_enabled[0] and input._requires_grad:
        record(out, R.max_pool2d, (input,), (), (idx, tuple(input.shape)))
    return (out, idx) if return_indices else out


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


def instance_norm(input: Tensor, running_mean: Tensor | None = None, running_var: Tensor | None = None,
                  weight: Tensor | None = None, bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalises each (sample, channel) plane of (N, C, *) input over its spatial dims.

    Runs the fused batch-norm kernels on the input viewed as (1, N * C, prod(*)), with weight,
    bias and running statistics repeated per sample; the running statistics (when given) are
    updated with the mean over the samples. ``use_input_stats=False`` normalises with them.
    """
    if input.ndim < 3:
        raise ValueError(f"[instance_norm] expected input of at least 3 dims (N, C, *), got {list(input.shape)}")
    n, c = input.shape[0], input.shape[1]
    spatial = input.numel() // max(n * c, 1)
    if use_input_stats and spatial <= 1:
        raise ValueError(f"[instance_norm] expected more than 1 spatial element when training, got input size "
                         f"{list(input.shape)}")
    for t, what in ((weight, "weight"), (bias, "bias"), (running_mean, "running_mean"), (running_var, "running_var")):
        if t is not None and tuple(t.shape) != (c,):
            raise ValueError(f"[instance_norm] expected {what} of shape [{c}], got {list(t.shape)}")
    if (running_mean is None) != (running_var is None):
        raise ValueError("[instance_norm] running_mean and running_var must both be given or both be None")
    if not use_input_stats and running_mean is None:
        raise ValueError("[instance_norm] expected running_mean and running_var when use_input_stats=False")
    rm, rv = _repeat_per_sample(running_mean, n), _repeat_per_sample(running_var, n)
    x = O.reshape(input, [1, n * c, spatial])
    out, mean, invstd = _C.batch_norm(x._c, _opt_c(_repeat_per_sample(weight, n)),
                                      _opt_c(_repeat_per_sample(bias, n)), _opt_c(rm), _opt_c(rv),
                                      bool(use_input_stats), float(momentum), float(eps))
    if use_input_stats and running_mean is not None:
        with _no_grad():
            running_mean.copy_(O.mean(O.reshape(rm, [n, c]), 0))
            running_var.copy_(O.mean(O.reshape(rv, [n, c]), 0))
    out = O.reshape(_wrap(out), list(input.shape))
    if _needs(input, weight, bias):
        record(out, R.instance_norm, (input, weight, bias), (input, weight), (mean, invstd, bool(use_input_stats)))
    return out


def _repeat_per_sample(t: Tensor | None, n: int) -> Tensor | None:
    """t (C) repeated n times as a new (n * C) tensor outside the graph."""
    if t is None:
        return None
    with _no_grad():
        return O.reshape(O.expand(O.unsqueeze(t.detach(), 0), [n, t.shape[0]]), [-1]).contiguous().clone()


def _check_p(p: float, op: str) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"[{op}] dropout probability has to be between 0 and 1, but got {p}")


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes elements with probability p (global generator) and scales the rest by 1/(1-p),
    in one fused kernel; identity (the input itself, no random numbers drawn) when not
    training or p is 0, as in PyTorch."""
    _check_p(p, "dropout")
    if not training or p == 0.0:
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
    (the last dim of 2-D/3-D input, the last two of 3-D/4-D input or the last three of 4-D/5-D
    input).

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
    """Resizes the spatial dims of (N, C, L), (N, C, H, W) or (N, C, D, H, W) input.

    Modes: ``nearest``, ``nearest-exact``, ``linear`` (3-D), ``bilinear`` (4-D), ``trilinear``
    (5-D), ``area`` (adaptive average pooling). Exactly one of ``size`` and ``scale_factor`` is
    given.

    Example:
        >>> F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    """
    spatial = input.ndim - 2
    if spatial not in (1, 2, 3):
        raise NotImplementedError(f"[interpolate] expects 3-D (N, C, L), 4-D (N, C, H, W) or 5-D (N, C, D, H, W) "
                                  f"input, got {list(input.shape)}")
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
        return (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[spatial - 1](input, out_sizes)
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
# ---- nn extras (nnx): activations, 3-D conv and pooling, unfold / fold, distances, pixel ops,
#      norms, losses and embedding_bag ----
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _elementwise(input: Tensor, forward, derivative, inplace: bool = False, op: str = "") -> Tensor:
    """An elementwise op as one graph node: ``forward(x)`` computed without a graph, and the
    backward ``grad * derivative(x)`` (both tensor expressions, so double backward works)."""
    src = _inplace_source(input, inplace, op + "_")
    with _no_grad():
        out = forward(src)
    if _needs(src):
        record(out, R.local_derivative, (src,), (src,), derivative)
    return O._inplace(input, out) if inplace else out


def _mask(cond: Tensor, like: Tensor) -> Tensor:
    return O.to_dtype_op(cond, like.dtype)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else value."""
    th, v = float(threshold), float(value)
    return _elementwise(input, lambda x: O.masked_fill(x, O.le(x, th), v),
                        lambda x: _mask(O.gt(x, th), x), inplace, "threshold")


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0."""
    lam = float(lambd)
    return _elementwise(input, lambda x: O.masked_fill(x, O.le(O.abs(x), lam), 0.0),
                        lambda x: _mask(O.logical_not(O.le(O.abs(x), lam)), x))


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd where x > lambd, x + lambd where x < -lambd, else 0."""
    if lambd < 0:
        raise ValueError(f"[softshrink] lambda must be greater or equal to 0, but found to be {lambd}")
    lam = float(lambd)
    return _elementwise(input, lambda x: O.sub(x, O.clamp(x, -lam, lam)),
                        lambda x: _mask(O.logical_not(O.le(O.abs(x), lam)), x))


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)."""
    return O.sub(input, O.tanh(input))


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6."""
    return _elementwise(input, lambda x: O.div(O.clamp(O.add(x, 3.0), 0.0, 6.0), 6.0),
                        lambda x: O.div(_mask(O.logical_and(O.gt(x, -3.0), O.lt(x, 3.0)), x), 6.0),
                        inplace, "hardsigmoid")


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6."""
    def derivative(x):
        inside = O.add(O.div(x, 3.0), 0.5)
        return O.where(O.le(x, -3.0), O.mul(x, 0.0), O.where(O.lt(x, 3.0), inside, O.add(O.mul(x, 0.0), 1.0)))

    return _elementwise(input, lambda x: O.div(O.mul(x, O.clamp(O.add(x, 3.0), 0.0, 6.0)), 6.0), derivative,
                        inplace, "hardswish")


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with the self-normalising constants."""
    src = _inplace_source(input, inplace, "selu_")
    out = O.mul(elu(src, _SELU_ALPHA), _SELU_SCALE)
    return O._inplace(input, out) if inplace else out


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    if alpha == 0:
        raise ValueError("[celu] alpha cannot be 0 (ZeroDivisionError)")
    src = _inplace_source(input, inplace, "celu_")
    out = elu(src) if alpha == 1.0 else O.mul(elu(O.div(src, float(alpha))), float(alpha))
    return O._inplace(input, out) if inplace else out


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b) for the two halves a, b of input along dim."""
    if input.ndim == 0:
        raise RuntimeError("[glu] glu does not support scalars because halving size must be even")
    d = dim % input.ndim
    if input.shape[d] % 2:
        raise RuntimeError(f"[glu] Halving dimension must be even, but dimension {d} is size {input.shape[d]}")
    a, b = O.chunk(input, 2, d)
    return O.mul(a, O.sigmoid(b))


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x where x > 0, else weight * x; weight has one value or one per channel (dim 1)."""
    num = weight.numel()
    if num != 1:
        channels = input.shape[1] if input.ndim > 1 else 1
        if channels != num:
            raise RuntimeError(f"[prelu] Mismatch of parameter numbers and input channel size. Found parameter "
                               f"numbers = {num} and channel size = {channels}.")
        w = O.reshape(weight, [1, num] + [1] * (input.ndim - 2))
    else:
        w = O.reshape(weight, [1] * input.ndim) if input.ndim else O.reshape(weight, [])
    return O.where(O.gt(input, 0.0), input, O.mul(w, input))


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """Randomized leaky ReLU: in training each negative element gets a slope drawn from
    U(lower, upper) (the global generator); in eval the slope is (lower + upper) / 2."""
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    src = _inplace_source(input, inplace, "rrelu_")
    with _no_grad():
        slopes = O.uniform_(_wrap(_C.full(list(input.shape), 0.0, input.dtype.code)), lower, upper)
        noise = O.where(O.le(src, 0.0), slopes, O.add(O.mul(slopes, 0.0), 1.0))
    out = O.mul(src, noise)
    return O._inplace(input, out) if inplace else out


def relu_(input: Tensor) -> Tensor:
    return relu(input, inplace=True)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def selu_(input: Tensor) -> Tensor:
    return selu(input, inplace=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return celu(input, alpha, inplace=True)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:
    return rrelu(input, lower, upper, training, inplace=True)


def threshold_(input: Tensor, threshold_value: float, value: float) -> Tensor:
    return threshold(input, threshold_value, value, inplace=True)


# ---- 3-D convolution, unfold / fold ----
def _has_grad(input: Tensor, weight: Tensor, bias: Tensor | None) -> bool:
    return _grad_enabled[0] and (input._requires_grad or weight._requires_grad or
                                 (bias is not None and bias._requires_grad))


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """3-D cross-correlation (vol2col + GEMM in C++).

    Shape: input (N, C_in, D, H, W) or (C_in, D, H, W); weight (C_out, C_in / groups, kD, kH, kW).
    """
    stride, dilation = _ints(stride), _ints(dilation)
    if isinstance(padding, str):
        if padding == "valid":
            padding = [0]
        elif padding == "same":
            padding, extra = _same_padding(weight, dilation * (3 // len(dilation)), stride, 3)
            if any(extra):
                input = pad(input, (0, extra[2], 0, extra[1], 0, extra[0]))
        else:
            raise ValueError(f"[conv3d] invalid padding string '{padding}', should be 'valid' or 'same'")
    padding = _ints(padding)
    out = _wrap(_C.conv3d(input._c, weight._c, _opt_c(bias), stride, padding, dilation, groups))
    if _has_grad(input, weight, bias):
        record(out, R.conv3d, (input, weight, bias), (input, weight), (stride, padding, dilation, groups))
    return out


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """Transposed 3-D convolution. weight (C_in, C_out / groups, kD, kH, kW)."""
    stride, padding, output_padding, dilation = _ints(stride), _ints(padding), _ints(output_padding), _ints(dilation)
    out = _wrap(_C.conv_transpose3d(input._c, weight._c, _opt_c(bias), stride, padding, output_padding, groups,
                                    dilation))
    if _has_grad(input, weight, bias):
        record(out, R.conv_transpose3d, (input, weight, bias), (input, weight), (stride, padding, groups, dilation))
    return out


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sliding blocks of (N, C, H, W) input as columns (N, C * kH * kW, L) (im2col).

    Example:
        >>> F.unfold(torch.randn(2, 3, 8, 8), kernel_size=3, padding=1).shape  # (2, 27, 64)
    """
    args = (_ints(kernel_size), _ints(dilation), _ints(padding), _ints(stride))
    out = _wrap(_C.unfold(input._c, *args))
    if _grad_enabled[0] and input._requires_grad:
        record(out, R.unfold, (input,), (), (list(input.shape[-2:]), args))
    return out


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sums columns (N, C * kH * kW, L) back into (N, C, *output_size) (col2im, unfold's adjoint)."""
    size = _ints(output_size)
    args = (_ints(kernel_size), _ints(dilation), _ints(padding), _ints(stride))
    out = _wrap(_C.fold(input._c, size, *args))
    if _grad_enabled[0] and input._requires_grad:
        record(out, R.fold, (input,), (), args)
    return out


# ---- 3-D and adaptive max pooling, unpooling, power-average pooling ----
def _adaptive_size(input: Tensor, output_size, n: int, op: str) -> list:
    if input.ndim < n + 1:
        raise ValueError(f"[{op}] expected input of at least {n + 1} dims, got {list(input.shape)}")
    size = list(output_size) if isinstance(output_size, (list, tuple)) else [output_size] * n
    if len(size) != n:
        raise ValueError(f"[{op}] output_size must have {n} values, got {output_size}")
    return [input.shape[-n + i] if v is None else int(v) for i, v in enumerate(size)]


def _ints(v) -> list:
    """Sizes as a list of ints (one value stands for every dim); the C++ front end checks the count."""
    return [int(x) for x in v] if isinstance(v, (list, tuple)) else [int(v)]


def _stride_arg(stride) -> list:
    return _ints(stride) if stride is not None and stride != [] and stride != () else []


def max_pool3d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """3-D max pooling of (N, C, D, H, W) / (C, D, H, W); indices are flat over (D, H, W)."""
    out_c, idx_c = _C.max_pool3d(input._c, _ints(kernel_size), _stride_arg(stride), _ints(padding), _ints(dilation),
                                 ceil_mode)
    out, idx = _wrap(out_c), _wrap(idx_c)
    if _grad_enabled[0] and input._requires_grad:
        record(out, R.max_pool3d, (input,), (), (idx, tuple(input.shape)))
    return (out, idx) if return_indices else out


def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """3-D average pooling of (N, C, D, H, W) / (C, D, H, W)."""
    args = (_ints(kernel_size), _stride_arg(stride), _ints(padding), ceil_mode, count_include_pad,
            int(divisor_override or 0))
    out = _wrap(_C.avg_pool3d(input._c, *args))
    if _grad_enabled[0] and input._requires_grad:
        record(out, R.avg_pool3d, (input,), (), (tuple(input.shape), args))
    return out


def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    size = _adaptive_size(input, output_size, 3, "adaptive_avg_pool3d")
    out = _wrap(_C.adaptive_avg_pool3d(input._c, size))
    if _grad_enabled[0] and input._requires_grad:
        record(out, R.adaptive_avg_pool3d, (input,), (), tuple(input.shape))
    return out


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    if input.ndim not in (2, 3):
        raise ValueError(f"[adaptive_max_pool1d] expected 2-D or 3-D input, got {list(input.shape)}")
    size = output_size[0] if isinstance(output_size, (list, tuple)) else output_size
    r = adaptive_max_pool2d(O.unsqueeze(input, -2), [1, size], return_indices)
    if return_indices:
        return O.squeeze(r[0], -2), O.squeeze(r[1], -2)
    return O.squeeze(r, -2)


def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False):
    size = _adaptive_size(input, output_size, 3, "adaptive_max_pool3d")
    out_c, idx_c = _C.adaptive_max_pool3d(input._c, size)
    out, idx = _wrap(out_c), _wrap(idx_c)
    if _grad_enabled[0] and input._requires_grad:
        record(out, R.max_pool3d, (input,), (), (idx, tuple(input.shape)))
    return (out, idx) if return_indices else out


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool3d(input, output_size, True)


def _unpool_size(input: Tensor, kernel, stride, padding, output_size, n: int, op: str) -> list:
    default = [(input.shape[-n + d] - 1) * stride[d] + kernel[d] - 2 * padding[d] for d in range(n)]
    if output_size is None:
        return default
    size = list(output_size)
    if len(size) == n + 2:
        size = size[2:]
    if len(size) != n:
        raise ValueError(f"[{op}] output_size should be a sequence containing {n} or {n + 2} elements, but it has a "
                         f"length of '{len(size)}'")
    for d in range(n):
        lo, hi = default[d] - stride[d], default[d] + stride[d]
        if not lo < size[d] < hi:
            raise ValueError(f'[{op}] invalid output_size "{list(output_size)}" (dim {d} must be between {lo} and {hi})')
    return [int(v) for v in size]


def _max_unpool(input: Tensor, indices: Tensor, kernel_size, stride, padding, output_size, n: int, op: str) -> Tensor:
    kernel = _pair(kernel_size, n)
    stride = kernel if stride is None else _pair(stride, n)
    size = _unpool_size(input, kernel, stride, _pair(padding, n), output_size, n, op)
    if input.ndim not in (n + 1, n + 2):
        raise ValueError(f"[{op}] expected {n + 1}-D or {n + 2}-D input, got {list(input.shape)}")
    if tuple(indices.shape) != tuple(input.shape) or indices.dtype.is_floating_point:
        raise ValueError(f"[{op}] expected integer indices of the input's shape {list(input.shape)}, got "
                         f"{indices.dtype} {list(indices.shape)}")
    lead = list(input.shape[:-n])
    planes, volume = math.prod(lead), math.prod(size)
    flat_idx = O.reshape(O.to_dtype_op(indices, "int64"), [planes, -1])
    if flat_idx.numel():
        lo, hi = int(O.amin(flat_idx).item()), int(O.amax(flat_idx).item())
        if lo < 0 or hi >= volume:
            raise IndexError(f"[{op}] found an invalid max index {hi if hi >= volume else lo} (output volumes are of "
                             f"size {'x'.join(str(v) for v in size)})")
    out = _wrap(_C.full([planes, volume], 0.0, input.dtype.code))
    rows = O.unsqueeze(_arange(planes), 1)
    flat_x = O.reshape(input, [planes, -1])
    _C.index_put_(out._c, [rows._c, flat_idx._c], flat_x._c, False)
    if _needs(input):
        record(out, R.max_unpool, (input,), (flat_idx,), tuple(input.shape))
    return O.reshape(out, lead + size)


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """The partial inverse of max_pool1d: input values at their indices, zeros elsewhere."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1, "max_unpool1d")


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """The partial inverse of max_pool2d: input values at their indices, zeros elsewhere."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2, "max_unpool2d")


def max_unpool3d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """The partial inverse of max_pool3d: input values at their indices, zeros elsewhere."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 3, "max_unpool3d")


def _lp_pool(input: Tensor, norm_type: float, kernel_size, stride, ceil_mode: bool, n: int) -> Tensor:
    """(sum over each window of x^p)^(1/p), as avg_pool(x^p) times the window size."""
    max_pool = (max_pool1d, max_pool2d, max_pool3d)[n - 1]
    avg_pool = (avg_pool1d, avg_pool2d, avg_pool3d)[n - 1]
    if norm_type == float("inf"):
        return max_pool(O.abs(input), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -float("inf"):
        return O.neg(max_pool(O.neg(O.abs(input)), kernel_size, stride, 0, 1, ceil_mode))
    window = math.prod(_pair(kernel_size, n))
    out = avg_pool(O.pow(input, norm_type), kernel_size, stride, 0, ceil_mode)
    return O.pow(O.mul(O.mul(O.sign(out), O.relu(O.abs(out))), float(window)), 1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1)


def lp_pool2d(input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2)


def lp_pool3d(input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes whole channels (dim 1 of (N, C, D, H, W) or dim 0 of (C, D, H, W)) with probability p."""
    _check_p(p, "dropout3d")
    if input.ndim not in (4, 5):
        raise ValueError(f"[dropout3d] expected 4-D (C, D, H, W) or 5-D (N, C, D, H, W) input, got "
                         f"{list(input.shape)}")
    if not training or p == 0.0:
        return input
    lead = 2 if input.ndim == 5 else 1
    keep = O.bernoulli_mask(list(input.shape[:lead]) + [1] * (input.ndim - lead), 1.0 - p, input.dtype)
    src = _inplace_source(input, inplace, "dropout3d_")
    out = O.mul(src, O.mul(keep, 1.0 / (1.0 - p)) if p < 1.0 else O.mul(keep, 0.0))
    return O._inplace(input, out) if inplace else out


# ---- distances ----
def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p along the last dim (inputs broadcast)."""
    nd = max(x1.ndim, x2.ndim)
    diff = O.add(O.sub(x1, x2), eps)
    if nd == 0:
        return O.abs(diff)
    if p == 0:
        return O.sum(_mask(O.ne(diff, 0.0), diff), nd - 1, keepdim)
    return O.norm(diff, p, nd - 1, keepdim)


def pdist(input: Tensor, p: float = 2.0) -> Tensor:
    """||x_i - x_j||_p for every pair of rows i < j of (N, M) input, in row-major order."""
    if input.ndim != 2:
        raise RuntimeError(f"[pdist] pdist only supports 2D tensors, got: {input.ndim}D")
    import numpy as np
    from ..tensor import tensor as _tensor
    i, j = np.triu_indices(input.shape[0], 1)
    if i.size == 0:
        return _wrap(_C.full([0], 0.0, input.dtype.code))
    d = O.sub(O.index_select(input, 0, _tensor(i)), O.index_select(input, 0, _tensor(j)))
    if p == 0:
        return O.sum(_mask(O.ne(d, 0.0), d), 1)
    return O.norm(d, p, 1)


# ---- pixel and channel shuffles, upsampling aliases ----
def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C * r^2, H, W) -> (*, C, H * r, W * r)."""
    r = int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"[pixel_shuffle] expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"[pixel_shuffle] expects a positive upscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"[pixel_shuffle] expects its input's 'channel' dimension to be divisible by the square "
                           f"of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    k = len(lead)
    x = O.reshape(input, lead + [c // (r * r), r, r, h, w])
    x = O.permute(x, list(range(k)) + [k, k + 3, k + 1, k + 4, k + 2])
    return O.reshape(x, lead + [c // (r * r), h * r, w * r])


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H * r, W * r) -> (*, C * r^2, H, W)."""
    r = int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"[pixel_unshuffle] expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"[pixel_unshuffle] expects a positive downscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError(f"[pixel_unshuffle] expects height {h} and width {w} to be divisible by "
                           f"downscale_factor {r}")
    k = len(lead)
    x = O.reshape(input, lead + [c, h // r, r, w // r, r])
    x = O.permute(x, list(range(k)) + [k, k + 2, k + 4, k + 1, k + 3])
    return O.reshape(x, lead + [c * r * r, h // r, w // r])


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """(N, C, *) with channels (g, C / g) reordered to (C / g, g)."""
    if input.ndim < 3:
        raise RuntimeError(f"[channel_shuffle] expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    g = int(groups)
    c = input.shape[1]
    if g <= 0:
        raise RuntimeError(f"[channel_shuffle] Number of groups to divide channels in must be positive. Value of "
                           f"groups:{g}")
    if c % g:
        raise RuntimeError(f"[channel_shuffle] Number of channels must be divisible by groups. Got {c} channels and "
                           f"{g} groups.")
    n, rest = input.shape[0], list(input.shape[2:])
    x = O.transpose(O.reshape(input, [n, g, c // g] + rest), 1, 2)
    return O.reshape(O.contiguous(x), list(input.shape))


native_channel_shuffle = channel_shuffle


def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None) -> Tensor:
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---- norms ----
def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Tensor:
    """x / (k + alpha * mean of x^2 over `size` neighbouring channels)^beta."""
    if input.ndim < 3:
        raise ValueError(f"[local_response_norm] Expected 3D or higher dimensionality input (got {input.ndim} "
                         f"dimensions)")
    if input.numel() == 0:
        return input
    div = O.mul(input, input)
    if input.ndim == 3:
        div = pad(O.unsqueeze(div, 1), (0, 0, size // 2, (size - 1) // 2))
        div = O.squeeze(avg_pool2d(div, (size, 1), stride=1), 1)
    else:
        sizes = list(input.shape)
        div = O.reshape(div, [sizes[0], 1, sizes[1], sizes[2], -1])
        div = pad(div, (0, 0, 0, 0, size // 2, (size - 1) // 2))
        div = O.reshape(O.squeeze(avg_pool3d(div, (size, 1, 1), stride=1), 1), sizes)
    div = O.pow(O.add(O.mul(div, alpha), k), beta)
    return O.div(input, div)


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, eps: float | None = None) -> Tensor:
    """x / sqrt(mean(x^2 over the trailing normalized_shape dims) + eps) * weight; eps=None uses
    the dtype's machine epsilon."""
    ns = [int(normalized_shape)] if isinstance(normalized_shape, int) else [int(v) for v in normalized_shape]
    k = len(ns)
    if k == 0 or input.ndim < k or list(input.shape[input.ndim - k:]) != ns:
        raise RuntimeError(f"[rms_norm] Given normalized_shape={ns}, expected input with shape [*, "
                           f"{', '.join(str(v) for v in ns)}], but got input of size {list(input.shape)}")
    if weight is not None and list(weight.shape) != ns:
        raise RuntimeError(f"[rms_norm] expected weight of shape {ns}, got {list(weight.shape)}")
    if eps is None:
        import numpy as np
        eps = float(np.finfo(np.float64 if input.dtype.name == "float64" else np.float32).eps)
    dims = list(range(input.ndim - k, input.ndim))
    out = O.mul(input, O.rsqrt(O.add(O.mean(O.mul(input, input), dims, keepdim=True), float(eps))))
    return O.mul(out, weight) if weight is not None else out


# ---- losses ----
def _reduce_loss(loss: Tensor, r: int) -> Tensor:
    return loss if r == 0 else (O.mean(loss) if r == 1 else O.sum(loss))


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False, size_average=None,
                     eps: float = 1e-8, reduce=None, reduction: str = "mean") -> Tensor:
    """exp(input) - target * input (log_input), or input - target * log(input + eps); full adds
    Stirling's approximation of log(target!) where target > 1."""
    r = _reduction(reduction, "poisson_nll_loss", size_average, reduce)
    if log_input:
        loss = O.sub(O.exp(input), O.mul(target, input))
    else:
        loss = O.sub(input, O.mul(target, O.log(O.add(input, eps))))
    if full:
        safe = O.clamp(target, min=1.0)  # the term is masked where target <= 1
        stirling = O.add(O.sub(O.mul(target, O.log(safe)), target), O.mul(O.log(O.mul(safe, 2 * math.pi)), 0.5))
        loss = O.add(loss, O.masked_fill(stirling, O.le(target, 1.0), 0.0))
    return _reduce_loss(loss, r)


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """0.5 * (log(max(var, eps)) + (input - target)^2 / max(var, eps)) (+ 0.5 log(2 pi) when full).
    var has input's shape, or one dim fewer / one dim of size 1 (a shared variance)."""
    from ..tensor import ones_like
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("[gaussian_nll_loss] var has negative entry/entries")
        var = O.mul(ones_like(input), float(var))
    elif bool(O.any(O.lt(var, 0.0)).item()):
        raise ValueError("[gaussian_nll_loss] var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = O.unsqueeze(var, -1)
        elif not (input.ndim == var.ndim and sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1):
            raise ValueError(f"[gaussian_nll_loss] var is of incorrect size {list(var.shape)} for input "
                             f"{list(input.shape)}")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"[gaussian_nll_loss] {reduction} is not valid")
    var = O.clone(var)
    with _no_grad():
        O.clamp_(var, min=eps)  # the gradient still flows to var where it was clamped, as in PyTorch
    diff = O.sub(input, target)
    loss = O.mul(O.add(O.log(var), O.div(O.mul(diff, diff), var)), 0.5)
    if full:
        loss = O.add(loss, 0.5 * math.log(2 * math.pi))
    return _reduce_loss(loss, _REDUCTIONS[reduction])


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, -target * (input1 - input2) + margin)."""
    r = _reduction(reduction, "margin_ranking_loss", size_average, reduce)
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError(f"[margin_ranking_loss] All input tensors should have same dimension but got sizes: "
                           f"input1: {list(input1.shape)}, input2: {list(input2.shape)}, target: {list(target.shape)}")
    loss = O.clamp(O.add(O.mul(O.neg(target), O.sub(input1, input2)), float(margin)), min=0.0)
    return _reduce_loss(loss, r)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """input where target == 1, max(0, margin - input) where target == -1."""
    r = _reduction(reduction, "hinge_embedding_loss", size_average, reduce)
    margin_part = O.masked_fill(O.clamp(O.sub(O.as_operand(float(margin), input), input), min=0.0),
                                O.eq(target, 1), 0.0)
    self_part = O.masked_fill(input, O.eq(target, -1), 0.0)
    return _reduce_loss(O.add(margin_part, self_part), r)


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """log(1 + exp(-target * input))."""
    r = _reduction(reduction, "soft_margin_loss", size_average, reduce)
    return _reduce_loss(O.log1p(O.exp(O.neg(O.mul(input, target)))), r)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                                reduce=None, reduction: str = "mean") -> Tensor:
    """Mean over classes of the binary cross-entropy of sigmoid(input) with target, per sample."""
    r = _reduction(reduction, "multilabel_soft_margin_loss", size_average, reduce)
    loss = O.neg(O.add(O.mul(target, logsigmoid(input)), O.mul(O.sub(O.as_operand(1.0, target), target),
                                                               logsigmoid(O.neg(input)))))
    if weight is not None:
        loss = O.mul(loss, weight)
    class_dim = input.ndim - 1
    loss = O.div(O.sum(loss, class_dim), float(input.shape[class_dim]))
    return _reduce_loss(loss, r)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, size_average=None,
                          reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where target == 1, max(0, cos(x1, x2) - margin) where target == -1."""
    r = _reduction(reduction, "cosine_embedding_loss", size_average, reduce)
    td = target.ndim
    if td not in (0, 1):
        raise RuntimeError("[cosine_embedding_loss] 0D or 1D target tensor expected, multi-target not supported")
    want = 2 if td == 1 else 1
    if input1.ndim != want or input2.ndim != want:
        raise RuntimeError(f"[cosine_embedding_loss] {td}D target tensor expects {want}D input tensors, but found "
                           f"inputs with sizes {list(input1.shape)} and {list(input2.shape)}.")
    prod = O.sum(O.mul(input1, input2), td)
    mag1 = O.add(O.sum(O.mul(input1, input1), td), 1e-12)
    mag2 = O.add(O.sum(O.mul(input2, input2), td), 1e-12)
    cos = O.div(prod, O.sqrt(O.mul(mag1, mag2)))
    pos = O.masked_fill(O.sub(O.as_operand(1.0, cos), cos), O.ne(target, 1), 0.0)
    neg = O.masked_fill(O.clamp(O.sub(cos, float(margin)), min=0.0), O.ne(target, -1), 0.0)
    return _reduce_loss(O.add(pos, neg), r)


def _class_targets(input: Tensor, target: Tensor, op: str) -> tuple:
    """(N, C) input and (N) int64 target for the margin losses (unbatched (C) / () accepted)."""
    if input.ndim not in (1, 2):
        raise ValueError(f"[{op}] expected 1-D (C) or 2-D (N, C) input, got {list(input.shape)}")
    x = O.unsqueeze(input, 0) if input.ndim == 1 else input
    t = O.reshape(target, [-1])
    if target.dtype.is_floating_point or t.numel() != x.shape[0]:
        raise ValueError(f"[{op}] expected an integer target of {x.shape[0]} class indices, got {target.dtype} "
                         f"{list(target.shape)}")
    if t.numel() and (int(O.amin(t).item()) < 0 or int(O.amax(t).item()) >= x.shape[1]):
        raise IndexError(f"[{op}] target out of range for {x.shape[1]} classes")
    return x, O.to_dtype_op(t, "int64")


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0, weight: Tensor | None = None,
                      size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Per sample: sum over classes j != y of max(0, margin - x[y] + x[j])^p (times weight[y]), / C."""
    r = _reduction(reduction, "multi_margin_loss", size_average, reduce)
    if p not in (1, 2):
        raise ValueError("[multi_margin_loss] only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("[multi_margin_loss] weight must be one-dimensional")
    x, t = _class_targets(input, target, "multi_margin_loss")
    c = x.shape[1]
    picked = O.gather(x, 1, O.unsqueeze(t, 1))
    z = O.clamp(O.add(O.sub(x, picked), float(margin)), min=0.0)
    if p == 2:
        z = O.mul(z, z)
    if weight is not None:
        z = O.mul(z, O.unsqueeze(O.index_select(weight, 0, t), 1))
    z = O.masked_fill(z, O.eq(O.unsqueeze(t, 1), O.unsqueeze(_arange(c), 0)), 0.0)
    loss = O.div(O.sum(z, 1), float(c))
    if input.ndim == 1:
        loss = O.reshape(loss, [])
    return _reduce_loss(loss, r)


def _arange(n: int) -> Tensor:
    from ..tensor import arange
    return arange(n)


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    """Per sample: sum over its target classes y (the entries of target before the first -1) and
    the non-target classes i of max(0, 1 - (x[y] - x[i])), / C."""
    import numpy as np
    from ..tensor import tensor as _tensor
    r = _reduction(reduction, "multilabel_margin_loss", size_average, reduce)
    if input.ndim not in (1, 2) or tuple(target.shape) != tuple(input.shape) or target.dtype.is_floating_point:
        raise ValueError(f"[multilabel_margin_loss] expected 1-D or 2-D input and an integer target of the same shape, "
                         f"got input {list(input.shape)} and target {target.dtype} {list(target.shape)}")
    x = O.unsqueeze(input, 0) if input.ndim == 1 else input
    t = np.asarray(O.reshape(target, list(x.shape)).tolist(), dtype=np.int64).reshape(x.shape)
    n, c = x.shape
    if t.size and (t.min() < -1 or t.max() >= c):
        raise IndexError(f"[multilabel_margin_loss] target out of range for {c} classes")
    valid = np.zeros((n, c), dtype=bool)
    is_target = np.zeros((n, c), dtype=bool)
    for i in range(n):
        stop = np.flatnonzero(t[i] < 0)
        k = stop[0] if stop.size else c
        valid[i, :k] = True
        is_target[i, t[i, :k]] = True
    dt = np.float64 if x.dtype.name == "float64" else np.float32
    pair = _tensor((valid[:, :, None] & ~is_target[:, None, :]).astype(dt))
    picked = O.gather(x, 1, _tensor(np.where(valid, t, 0)))
    hinge = O.clamp(O.add(O.sub(O.unsqueeze(x, 1), O.unsqueeze(picked, 2)), 1.0), min=0.0)
    loss = O.div(O.sum(O.mul(hinge, pair), [1, 2]), float(c))
    if input.ndim == 1:
        loss = O.reshape(loss, [])
    return _reduce_loss(loss, r)


def _check_triplet(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float, op: str) -> None:
    if margin <= 0:
        raise ValueError(f"[{op}] margin must be greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(f"[{op}] The anchor, positive, and negative tensors are expected to have the same number "
                           f"of dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, and negative "
                           f"{negative.ndim}D inputs")


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    """max(0, d(a, p) - d(a, n) + margin) with the pairwise p-norm distance d; swap uses
    min(d(a, n), d(p, n))."""
    r = _reduction(reduction, "triplet_margin_loss", size_average, reduce)
    _check_triplet(anchor, positive, negative, margin, "triplet_margin_loss")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = O.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce_loss(O.clamp(O.sub(O.add(d_pos, float(margin)), d_neg), min=0.0), r)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *, distance_function=None,
                                      margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> Tensor:
    """triplet_margin_loss with any distance_function(x1, x2) (pairwise_distance by default)."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"[triplet_margin_with_distance_loss] {reduction} is not a valid value for reduction")
    _check_triplet(anchor, positive, negative, margin, "triplet_margin_with_distance_loss")
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos, d_neg = dist(anchor, positive), dist(anchor, negative)
    if swap:
        d_neg = O.minimum(d_neg, dist(positive, negative))
    return _reduce_loss(O.clamp(O.sub(O.add(d_pos, float(margin)), d_neg), min=0.0), _REDUCTIONS[reduction])


# ---- embedding_bag ----
def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None, max_norm: float | None = None,
                  norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Sums, means or maxima of bags of embedding rows: out (B, dim).

    Bags are the rows of 2-D input (B, L), or the runs of 1-D input that start at ``offsets``
    (B of them; B + 1 with include_last_offset). padding_idx entries are left out (also from a
    mean's count); empty bags give zeros. per_sample_weights (mode='sum') scale each row.
    """
    import numpy as np
    from ..tensor import tensor as _tensor
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"[embedding_bag] If per_sample_weights ({list(per_sample_weights.shape)}) is not None, "
                         f"then it must have the same shape as the input ({list(input.shape)})")
    if weight.ndim != 2:
        raise ValueError(f"[embedding_bag] weight has to be a 2D Tensor, but got Tensor of dimension {weight.ndim}")
    if input.dtype.is_floating_point:
        raise ValueError(f"[embedding_bag] expected integer indices, got {input.dtype}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("[embedding_bag] mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("[embedding_bag] max mode does not support scaling the gradient by the frequency")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"[embedding_bag] per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}')")
    idx = np.asarray(O.reshape(input, [-1]).tolist(), dtype=np.int64)
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("[embedding_bag] if input is 2D, then offsets has to be None, as input is treated is a "
                             "mini-batch of fixed length sequences")
        bags, length = input.shape
        starts = np.arange(bags, dtype=np.int64) * length
        ends = starts + length
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("[embedding_bag] offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError("[embedding_bag] offsets has to be a 1D Tensor")
        offs = np.asarray(offsets.tolist(), dtype=np.int64)
        if offs.size and offs[0] != 0:
            raise ValueError(f"[embedding_bag] offsets[0] has to be 0, i.e., the first sequence in the mini-batch "
                             f"has to start from position 0. However, got {offs[0]}")
        if offs.size and (np.any(np.diff(offs) < 0) or offs[-1] > idx.size):
            raise ValueError(f"[embedding_bag] offsets must be non-decreasing and at most the input length "
                             f"{idx.size}, got {offs.tolist()}")
        if include_last_offset:
            starts, ends = offs[:-1], offs[1:]
        else:
            starts, ends = offs, np.append(offs[1:], idx.size)
        bags = starts.size
    else:
        raise ValueError(f"[embedding_bag] input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}")
    num = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        raise IndexError(f"[embedding_bag] index out of range for {num} embeddings")
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(f"[embedding_bag] padding_idx must be within num_embeddings ({num}), got {padding_idx}")
        padding_idx %= num
    if max_norm is not None:
        _embedding_renorm_(weight, input, float(max_norm), float(norm_type))
    bag_of = np.repeat(np.arange(bags, dtype=np.int64), ends - starts)
    pos = np.concatenate([np.arange(a, b, dtype=np.int64) for a, b in zip(starts, ends)]) if bags else \
        np.zeros(0, dtype=np.int64)
    keep = idx[pos] != padding_idx if padding_idx is not None else np.ones(pos.size, dtype=bool)
    pos, bag_of = pos[keep], bag_of[keep]
    rows = embedding(_tensor(idx[pos]), weight)  # (M, dim)
    dim = weight.shape[1]
    counts = np.bincount(bag_of, minlength=bags)
    zeros = _wrap(_C.full([bags, dim], 0.0, weight.dtype.code))
    if mode == "max":
        if pos.size == 0:
            return zeros
        longest = int(counts.max())
        slot = np.arange(pos.size) - np.repeat(np.cumsum(counts) - counts, counts)  # position within the bag
        table = np.full((bags, longest), pos.size, dtype=np.int64)  # pos.size: a -inf filler row
        table[bag_of, slot] = np.arange(pos.size)
        filler = _wrap(_C.full([1, dim], -math.inf, weight.dtype.code))
        padded = O.index_select(O.cat([rows, filler], 0), 0, _tensor(table.reshape(-1)))
        out = O.max(O.reshape(padded, [bags, longest, dim]), 1)[0]
        return O.where(_tensor(counts > 0).reshape(bags, 1), out, zeros)
    if per_sample_weights is not None:
        psw = O.index_select(O.reshape(per_sample_weights, [-1]), 0, _tensor(pos))
        rows = O.mul(rows, O.unsqueeze(psw, 1))
    out = O.index_add(zeros, 0, _tensor(bag_of), rows)
    if mode == "mean":
        out = O.div(out, _tensor(np.maximum(counts, 1).astype(np.float64 if weight.dtype.name == "float64"
                                                               else np.float32)).reshape(bags, 1))
    return out


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """Connectionist temporal classification loss (fused C++ alpha / beta recursions).

    Shape: log_probs (T, N, C) or (T, C) of log-probabilities; targets (N, S) padded or the
    concatenated (sum(target_lengths)) labels; input_lengths / target_lengths (N) tensors or
    sequences. reduction='mean' divides each loss by its target length, then averages.
    zero_infinity replaces infinite losses (no possible alignment) and their gradients by zero.
    """
    from ..tensor import tensor as _tensor
    r = _reduction(reduction, "ctc_loss")
    unbatched = log_probs.ndim == 2
    if unbatched:
        log_probs = O.unsqueeze(log_probs, 1)
        targets = O.unsqueeze(targets, 0) if targets.ndim == 1 else targets

    def lengths(v):
        if isinstance(v, Tensor):
            return O.reshape(v, [1]) if v.ndim == 0 else v
        return _tensor([int(x) for x in v] if isinstance(v, (list, tuple)) else [int(v)])

    il, tl = lengths(input_lengths), lengths(target_lengths)
    nll_c, alpha_c = _C.ctc_loss(log_probs._c, targets._c, il._c, tl._c, int(blank))
    nll = _wrap(nll_c)
    if _needs(log_probs):
        record(nll, R.ctc_loss, (log_probs,), (log_probs,), (targets, il, tl, alpha_c, int(blank), bool(zero_infinity)),
               save_output=True)
    if zero_infinity:
        nll = O.masked_fill(nll, O.isinf(nll), 0.0)
    if r == 1:
        return O.mean(O.div(nll, O.to_dtype_op(O.clamp(tl, min=1), nll.dtype)))
    if r == 2:
        return O.sum(nll)
    return O.reshape(nll, []) if unbatched else nll
