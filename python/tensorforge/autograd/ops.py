"""Differentiable tensor ops: one C++ call each, plus a graph node when a gradient is needed.

Every function takes tensors first, so the same function serves as ``tensorforge.exp(x)`` and
``x.exp()``. Backward rules live in ``rules.py``.
"""
from __future__ import annotations

import builtins
from collections import namedtuple
from typing import Sequence

import numpy as np

from .. import _C
from .._dtype import BY_CODE, bool_, float32, get_default_dtype, int64, to_dtype
from ..tensor import Size, Tensor, _gen, _shape_arg, _wrap
from . import rules as R
from .graph import _grad_enabled, record

U = {k: int(v) for k, v in _C.UnaryOp.__members__.items()}
B = {k: int(v) for k, v in _C.BinaryOp.__members__.items()}
RED = {k: int(v) for k, v in _C.ReduceOp.__members__.items()}

_TensorType = Tensor


# ---- operands --------------------------------------------------------------------------------
def as_operand(v, like: Tensor) -> Tensor:
    """Python scalars become 0-dim tensors whose dtype gives PyTorch's promotion result."""
    if isinstance(v, _TensorType):
        return v
    if not isinstance(like, _TensorType):
        raise TypeError(f"unsupported operand types {type(v).__name__} and {type(like).__name__} for a tensor op")
    ld = like.dtype
    if isinstance(v, builtins.bool):
        code = 0
    elif isinstance(v, (builtins.int, np.integer)):
        code = ld.code if ld is not bool_ else 2
    elif isinstance(v, (builtins.float, np.floating)):
        code = ld.code if ld.is_floating_point else get_default_dtype().code
    elif isinstance(v, np.ndarray):
        from ..tensor import tensor
        return tensor(v)
    elif isinstance(v, (list, tuple)):
        from ..tensor import tensor
        return tensor(v, dtype=ld if ld.is_floating_point else None)
    else:
        raise TypeError(f"unsupported operand type {type(v).__name__} for a tensor op")
    return _wrap(_C.scalar_tensor(builtins.float(v), code))


def check_tensor(x, op: str, what: str = "input") -> None:
    """TypeError naming the op unless x is a Tensor."""
    if not isinstance(x, _TensorType):
        raise TypeError(f"[{op}] expected a Tensor as {what}, got {type(x).__name__}")


def _dims(dim, ndim: int) -> list:
    if dim is None:
        return []
    if isinstance(dim, (builtins.int, np.integer)):
        return [builtins.int(dim)]
    return [builtins.int(d) for d in dim]


def _needs(*ts) -> bool:
    if not _grad_enabled[0]:
        return False
    for t in ts:
        if t._requires_grad:
            return True
    return False


# ---- elementwise -----------------------------------------------------------------------------
def _unary(op: str, rule, x: Tensor, alpha=0.0, beta=0.0, save_input=False, save_output=False):
    out = _wrap(_C.unary(U[op], x._c, alpha, beta))
    if _grad_enabled[0] and x._requires_grad and rule is not None:
        record(out, rule, (x,), (x,) if save_input else (), (alpha, beta), save_output)
    return out


def _binary(op: str, rule, a, b, alpha=1.0, beta=0.0):
    if type(b) is not _TensorType:
        b = as_operand(b, a)
    if type(a) is not _TensorType:
        a = as_operand(a, b)
    out = _wrap(_C.binary(B[op], a._c, b._c, alpha, beta))
    if rule is not None and _grad_enabled[0] and (a._requires_grad or b._requires_grad):
        record(out, rule, (a, b), (a, b), alpha)
    return out


def add(a, b, alpha=1.0):
    if type(b) is not _TensorType:
        b = as_operand(b, a)
    if type(a) is not _TensorType:
        a = as_operand(a, b)
    out = _wrap(_C.add(a._c, b._c) if alpha == 1.0 else _C.binary(B["Add"], a._c, b._c, alpha, 0.0))
    if _grad_enabled[0] and (a._requires_grad or b._requires_grad):
        record(out, R.add, (a, b), (), alpha)
    return out


def sub(a, b, alpha=1.0):
    if type(b) is not _TensorType:
        b = as_operand(b, a)
    out = _wrap(_C.binary(B["Sub"], a._c, b._c, alpha, 0.0))
    if _grad_enabled[0] and (a._requires_grad or b._requires_grad):
        record(out, R.add, (a, b), (), -alpha)
    return out


subtract = sub


def mul(a, b):
    if type(b) is not _TensorType:
        b = as_operand(b, a)
    if type(a) is not _TensorType:
        a = as_operand(a, b)
    out = _wrap(_C.mul(a._c, b._c))
    if _grad_enabled[0] and (a._requires_grad or b._requires_grad):
        record(out, R.mul, (a, b), (b if a._requires_grad else None, a if b._requires_grad else None))
    return out


multiply = mul


def div(a, b, rounding_mode=None):
    if rounding_mode == "floor":
        return floor_divide(a, b)
    if rounding_mode == "trunc":
        return trunc(div(a, b))
    if type(b) is not _TensorType:
        b = as_operand(b, a)
    if type(a) is not _TensorType:
        a = as_operand(a, b)
    out = _wrap(_C.binary(B["Div"], a._c, b._c, 1.0, 0.0))
    if _grad_enabled[0] and (a._requires_grad or b._requires_grad):
        record(out, R.div, (a, b), (b,), None, save_output=b._requires_grad)
    return out


divide = true_divide = div


def pow(a, b):
    if not isinstance(a, _TensorType):
        a = as_operand(a, b)
        return _binary("Pow", R.pow, a, b)
    if not isinstance(b, _TensorType) and not isinstance(b, (np.ndarray, list, tuple)):
        if isinstance(b, builtins.bool):
            b = builtins.int(b)
        if not a.dtype.is_floating_point and isinstance(b, builtins.float):
            a = to_dtype_op(a, get_default_dtype())
        return _unary("PowScalar", R.pow_scalar, a, builtins.float(b), save_input=True)
    return _binary("Pow", R.pow, a, b)


def floor_divide(a, b):
    return _binary("FloorDivide", R.zero_grad2, a, b)


def remainder(a, b):
    return _binary("Remainder", R.remainder, a, b)


def atan2(a, b):
    return _binary("Atan2", R.atan2, a, b)


def maximum(a, b):
    return _binary("Maximum", R.maximum, a, b)


def minimum(a, b):
    return _binary("Minimum", R.minimum, a, b)


def _compare(op):
    def fn(a, b):
        return _binary(op, None, a, b)

    fn.__name__ = op.lower()
    return fn


eq, ne, lt, le, gt, ge = (_compare(o) for o in ("Eq", "Ne", "Lt", "Le", "Gt", "Ge"))
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne
logical_and, logical_or, logical_xor = (_compare(o) for o in ("LogicalAnd", "LogicalOr", "LogicalXor"))


def logical_not(x):
    return _unary("LogicalNot", None, x)


def isnan(x):
    return _unary("IsNan", None, x)


def isinf(x):
    return _unary("IsInf", None, x)


def isfinite(x):
    return _unary("IsFinite", None, x)


def neg(x):
    return _unary("Neg", R.neg, x)


negative = neg


def abs(x):
    return _unary("Abs", R.abs, x, save_input=True)


def exp(x):
    return _unary("Exp", R.exp, x, save_output=True)


def log(x):
    return _unary("Log", R.log, x, save_input=True)


def sqrt(x):
    return _unary("Sqrt", R.sqrt, x, save_output=True)


def rsqrt(x):
    return _unary("Rsqrt", R.rsqrt, x, save_output=True)


def sin(x):
    return _unary("Sin", R.sin, x, save_input=True)


def cos(x):
    return _unary("Cos", R.cos, x, save_input=True)


def tan(x):
    return _unary("Tan", R.tan, x, save_output=True)


def tanh(x):
    return _unary("Tanh", R.tanh, x, save_output=True)


def sigmoid(x):
    return _unary("Sigmoid", R.sigmoid, x, save_output=True)


def relu(x):
    return _unary("Relu", R.relu, x, save_output=True)


def sign(x):
    return _unary("Sign", R.zero_grad, x)


def floor(x):
    return _unary("Floor", R.zero_grad, x)


def ceil(x):
    return _unary("Ceil", R.zero_grad, x)


def round(x, decimals: int = 0):
    if decimals:
        s = 10.0 ** decimals
        return _unary("Round", R.zero_grad, x * s) / s
    return _unary("Round", R.zero_grad, x)


def trunc(x):
    return _unary("Trunc", R.zero_grad, x)


def reciprocal(x):
    return _unary("Reciprocal", R.reciprocal, x, save_output=True)


def square(x):
    return _unary("Square", R.square, x, save_input=True)


def log1p(x):
    return _unary("Log1p", R.log1p, x, save_input=True)


def expm1(x):
    return _unary("Expm1", R.expm1, x, save_output=True)


def log2(x):
    return _unary("Log2", R.log2, x, save_input=True)


def log10(x):
    return _unary("Log10", R.log10, x, save_input=True)


def erf(x):
    return _unary("Erf", R.erf, x, save_input=True)


def asin(x):
    return _unary("Asin", R.asin, x, save_input=True)


def acos(x):
    return _unary("Acos", R.acos, x, save_input=True)


def atan(x):
    return _unary("Atan", R.atan, x, save_input=True)


arcsin, arccos, arctan = asin, acos, atan


def clamp(x, min=None, max=None):
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = x
        if min is not None:
            out = maximum(out, min)
        if max is not None:
            out = minimum(out, max)
        return out
    if min is None and max is None:
        raise RuntimeError("[clamp] at least one of 'min' or 'max' must not be None")
    lo = float("nan") if min is None else builtins.float(min)
    hi = float("nan") if max is None else builtins.float(max)
    if not x.dtype.is_floating_point and (isinstance(min, builtins.float) or isinstance(max, builtins.float)):
        x = to_dtype_op(x, get_default_dtype())
    return _unary("Clamp", R.clamp, x, lo, hi, save_input=True)


clip = clamp


def clamp_min(x, min):
    return clamp(x, min=min)


def clamp_max(x, max):
    return clamp(x, max=max)


def where(cond, a=None, b=None):
    if a is None and b is None:
        return nonzero(cond, as_tuple=True)
    if not isinstance(a, _TensorType):
        a = as_operand(a, b if isinstance(b, _TensorType) else cond)
    if not isinstance(b, _TensorType):
        b = as_operand(b, a)
    out = _wrap(_C.where(cond._c, a._c, b._c))
    if _needs(a, b):
        record(out, R.where, (a, b), (cond,))
    return out


def masked_fill(x, mask, value):
    out = clone(x)
    return masked_fill_(out, mask, value) if not _needs(x) else _masked_fill_graph(x, mask, value)


def _masked_fill_graph(x, mask, value):
    v = value if isinstance(value, _TensorType) else as_operand(value, x)
    out = _wrap(_C.where(mask._c, v._c, x._c))
    if out.dtype is not x.dtype:
        out = _wrap(_C.to_dtype(out._c, x._c.dtype, False))
    record(out, R.masked_fill, (x, v if v._requires_grad else None), (mask,))
    return out


def lerp(a, b, weight):
    return a + (b - a) * weight


def addcmul(x, t1, t2, value=1.0):
    return x + t1 * t2 * value


def addcdiv(x, t1, t2, value=1.0):
    return x + t1 / t2 * value


# ---- in place --------------------------------------------------------------------------------
def _check_inplace(x: Tensor, op: str):
    if x._requires_grad and x.grad_fn is None and _grad_enabled[0]:
        raise RuntimeError(f"[{op}] a leaf Variable that requires grad is being used in an in-place operation.")


def _inplace(x: Tensor, result: Tensor) -> Tensor:
    """Writes an out-of-place result (computed with its graph) into x and moves x's place in
    the graph onto it."""
    _C.copy_(x._c, result._c)
    if result.grad_fn is not None:
        x.grad_fn = result.grad_fn
        x._requires_grad = True
    return x


def _old_alias(x: Tensor) -> Tensor:
    old = _wrap(x._c)
    old._requires_grad = x._requires_grad
    old.grad_fn = x.grad_fn
    return old


def _inplace_binary(op, x, other, alpha, name, graph_fn):
    _check_inplace(x, name)
    if not isinstance(other, _TensorType):
        other = as_operand(other, x)
    if _grad_enabled[0] and (x._requires_grad or other._requires_grad):
        return _inplace(x, graph_fn(_old_alias(x), other))
    _C.binary_(B[op], x._c, other._c, alpha, 0.0)
    return x


def add_(x, other, alpha=1.0):
    return _inplace_binary("Add", x, other, alpha, "add_", lambda a, b: add(a, b, alpha))


def sub_(x, other, alpha=1.0):
    return _inplace_binary("Sub", x, other, alpha, "sub_", lambda a, b: sub(a, b, alpha))


def mul_(x, other):
    return _inplace_binary("Mul", x, other, 1.0, "mul_", mul)


def div_(x, other):
    return _inplace_binary("Div", x, other, 1.0, "div_", div)


def pow_(x, other):
    return _inplace(x, pow(_old_alias(x), other)) if _needs(x) else copy_(x, pow(x, other))


def clamp_(x, min=None, max=None):
    _check_inplace(x, "clamp_")
    if _needs(x) or isinstance(min, Tensor) or isinstance(max, Tensor):
        return _inplace(x, clamp(_old_alias(x), min, max))
    lo = float("nan") if min is None else builtins.float(min)
    hi = float("nan") if max is None else builtins.float(max)
    _C.unary_(U["Clamp"], x._c, lo, hi)
    return x


def _unary_inplace(name, fn, op_name):
    def op(x):
        _check_inplace(x, name)
        if _needs(x):
            return _inplace(x, fn(_old_alias(x)))
        _C.unary_(U[op_name], x._c, 0.0, 0.0)
        return x

    op.__name__ = name
    return op


exp_ = _unary_inplace("exp_", exp, "Exp")
sqrt_ = _unary_inplace("sqrt_", sqrt, "Sqrt")
neg_ = _unary_inplace("neg_", neg, "Neg")
relu_ = _unary_inplace("relu_", relu, "Relu")
tanh_ = _unary_inplace("tanh_", tanh, "Tanh")
sigmoid_ = _unary_inplace("sigmoid_", sigmoid, "Sigmoid")
abs_ = _unary_inplace("abs_", abs, "Abs")
log_ = _unary_inplace("log_", log, "Log")


def zero_(x):
    return fill_(x, 0)


def fill_(x, value):
    _check_inplace(x, "fill_")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"[fill_] only supports 0-dimension value tensor but got tensor with {value.ndim} dimensions.")
        value = value.item()
    _C.fill_(x._c, builtins.float(value))
    if x.grad_fn is not None and _grad_enabled[0]:
        record(x, R.zero_grad, (_old_alias(x),))
    return x


def copy_(x, src, non_blocking=False):
    _check_inplace(x, "copy_")
    if not isinstance(src, _TensorType):
        src = as_operand(src, x)
    if _needs(x, src):
        old = _old_alias(x)
        _C.copy_(x._c, src._c)
        record(x, R.copy_, (old, src), (), (tuple(x.shape), src.dtype))
        return x
    _C.copy_(x._c, src._c)
    return x


def masked_fill_(x, mask, value):
    _check_inplace(x, "masked_fill_")
    if not isinstance(mask, _TensorType) or mask.dtype is not bool_:
        raise RuntimeError(f"[masked_fill_] expected mask to be a bool tensor, got "
                           f"{getattr(mask, 'dtype', type(mask).__name__)}")
    v = value if isinstance(value, _TensorType) else as_operand(value, x)
    if _needs(x, v):
        return _inplace(x, _masked_fill_graph(_old_alias(x), mask, v))
    _C.masked_fill_(x._c, mask._c, v._c)
    return x


def uniform_(x, a=0.0, b=1.0, generator=None):
    _C.uniform_(x._c, builtins.float(a), builtins.float(b), _gen(generator))
    return x


def normal_(x, mean=0.0, std=1.0, generator=None):
    _C.normal_(x._c, builtins.float(mean), builtins.float(std), _gen(generator))
    return x


def bernoulli_mask(shape, p: float, dtype=None) -> Tensor:
    """A 0/1 tensor of ``shape``, each 1 with probability ``p``."""
    return _wrap(_C.bernoulli(list(shape), builtins.float(p), (dtype or get_default_dtype()).code))


# ---- dtype -----------------------------------------------------------------------------------
def to_dtype_op(x, dtype, copy=False):
    dt = to_dtype(dtype)
    if dt is x.dtype and not copy:
        return x
    out = _wrap(_C.to_dtype(x._c, dt.code, copy))
    if _needs(x) and dt.is_floating_point:
        record(out, R.to_dtype, (x,), (), x.dtype)
    return out


to_dtype_ = to_dtype_op


def clone(x, memory_format=None):
    out = _wrap(_C.clone(x._c))
    if _needs(x):
        record(out, R.identity, (x,))
    return out


def contiguous(x, memory_format=None):
    if x._c.is_contiguous():
        return x
    out = _wrap(_C.contiguous(x._c))
    if _needs(x):
        record(out, R.identity, (x,))
    return out


# ---- views -----------------------------------------------------------------------------------
def view(x, *shape):
    if len(shape) == 1 and not isinstance(shape[0], (builtins.int, np.integer)):
        if isinstance(shape[0], type) or hasattr(shape[0], "is_floating_point"):
            raise TypeError("[view] viewing as another dtype is not supported")
    s = _shape_arg(shape)
    out = _wrap(_C.view(x._c, s))
    if _needs(x):
        record(out, R.reshape, (x,), (), tuple(x._c.shape))
    return out


def reshape(x, *shape):
    out = _wrap(_C.reshape(x._c, _shape_arg(shape)))
    if _needs(x):
        record(out, R.reshape, (x,), (), tuple(x._c.shape))
    return out


def view_as(x, other):
    return view(x, list(other.shape))


def reshape_as(x, other):
    return reshape(x, list(other.shape))


def flatten(x, start_dim=0, end_dim=-1):
    out = _wrap(_C.flatten(x._c, start_dim, end_dim))
    if _needs(x):
        record(out, R.reshape, (x,), (), tuple(x._c.shape))
    return out


def unflatten(x, dim, sizes):
    shape = list(x.shape)
    d = dim % builtins.max(x.ndim, 1)
    return reshape(x, shape[:d] + list(sizes) + shape[d + 1:])


def permute(x, *dims):
    d = _shape_arg(dims)
    out = _wrap(_C.permute(x._c, d))
    if _needs(x):
        record(out, R.permute, (x,), (), d)
    return out


def transpose(x, dim0, dim1):
    out = _wrap(_C.transpose(x._c, dim0, dim1))
    if _needs(x):
        record(out, R.transpose, (x,), (), (dim0, dim1))
    return out


swapaxes = swapdims = transpose


def t(x):
    if x.ndim > 2:
        raise RuntimeError(f"[t] expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    return transpose(x, 0, 1) if x.ndim == 2 else x


def movedim(x, source, destination):
    src = [s % x.ndim for s in _dims(source, x.ndim)]
    dst = [d % x.ndim for d in _dims(destination, x.ndim)]
    order = [d for d in range(x.ndim) if d not in src]
    for s, d in sorted(zip(dst, src)):
        order.insert(s, d)
    return permute(x, order)


def unsqueeze(x, dim):
    out = _wrap(_C.unsqueeze(x._c, dim))
    if _needs(x):
        record(out, R.reshape, (x,), (), tuple(x._c.shape))
    return out


def squeeze(x, dim=None):
    out = _wrap(_C.squeeze(x._c, _dims(dim, x.ndim)))
    if _needs(x):
        record(out, R.reshape, (x,), (), tuple(x._c.shape))
    return out


def expand(x, *sizes):
    s = _shape_arg(sizes)
    out = _wrap(_C.expand(x._c, s))
    if _needs(x):
        record(out, R.expand, (x,), (), tuple(x._c.shape))
    return out


def expand_as(x, other):
    return expand(x, list(other.shape))


def broadcast_to(x, shape):
    return expand(x, list(shape))


def narrow(x, dim, start, length):
    if isinstance(start, Tensor):
        start = start.item()
    out = _wrap(_C.narrow(x._c, dim, builtins.int(start), builtins.int(length)))
    if _needs(x):
        record(out, R.view_backward, (x,), (), (tuple(x._c.shape), lambda c: _C.narrow(c, dim, builtins.int(start), builtins.int(length))))
    return out


def select(x, dim, index):
    out = _wrap(_C.select(x._c, dim, builtins.int(index)))
    if _needs(x):
        record(out, R.view_backward, (x,), (), (tuple(x._c.shape), lambda c: _C.select(c, dim, builtins.int(index))))
    return out


def split(x, split_size_or_sections, dim=0):
    size = x.shape[dim]
    if isinstance(split_size_or_sections, (builtins.int, np.integer)):
        step = builtins.int(split_size_or_sections)
        if step <= 0 and size > 0:
            raise RuntimeError(f"[split] split_size must be positive, got {step}")
        sections = [builtins.min(step, size - i) for i in range(0, size, step)] if size else [0]
    else:
        sections = [builtins.int(s) for s in split_size_or_sections]
        if builtins.sum(sections) != size:
            raise RuntimeError(f"[split] split_with_sizes expects split_sizes to sum exactly to {size} "
                               f"(input tensor's size at dimension {dim}), but got split_sizes={sections}")
    out, start = [], 0
    for s in sections:
        out.append(narrow(x, dim, start, s))
        start += s
    return tuple(out)


def chunk(x, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError(f"[chunk] chunk expects `chunks` to be greater than 0, got: {chunks}")
    size = x.shape[dim]
    step = -(-size // chunks) if size else 1
    return split(x, builtins.max(step, 1), dim)


def unbind(x, dim=0):
    return tuple(select(x, dim, i) for i in range(x.shape[dim]))


def as_strided(x, size, stride, storage_offset=None):
    off = x._c.offset if storage_offset is None else storage_offset
    out = _wrap(_C.as_strided(x._c, list(size), list(stride), off))
    if _needs(x):
        record(out, R.view_backward, (x,), (), (tuple(x._c.shape), lambda c: _C.as_strided(c, list(size), list(stride), off)))
    return out


# ---- indexing --------------------------------------------------------------------------------
def _is_bool_index(k) -> bool:
    return (isinstance(k, Tensor) and k.dtype is bool_) or (isinstance(k, np.ndarray) and k.dtype == np.bool_)


def _consumed(k) -> int:
    """How many dims of the indexed tensor one key entry uses up."""
    if k is None or k is Ellipsis or isinstance(k, (builtins.bool, np.bool_)):
        return 0
    if _is_bool_index(k):
        return k.ndim
    return 1


def _basic_view(c, key):
    """Applies the basic part of an index key (ints, slices, None, ...) to a _C tensor.
    Returns the view and, per dim of the view, None or an advanced index tensor."""
    if not isinstance(key, tuple):
        key = (key,)
    if builtins.sum(1 for k in key if k is Ellipsis) > 1:
        raise IndexError("[index] an index can only have a single ellipsis ('...')")
    used = builtins.sum(_consumed(k) for k in key)
    if used > c.ndim:
        raise IndexError(f"[index] too many indices for tensor of dimension {c.ndim}")
    ellipsis_dims = c.ndim - used
    dim = 0
    adv = []
    for k in key:
        if k is Ellipsis:
            adv.extend([None] * ellipsis_dims)
            dim += ellipsis_dims
        elif k is None or isinstance(k, (builtins.bool, np.bool_)):
            c = _C.unsqueeze(c, dim)
            if k is None or k:
                adv.append(None)
            else:
                adv.append(_wrap(_C.full([0], 0.0, 2)))
            dim += 1
        elif isinstance(k, (builtins.int, np.integer)):
            c = _C.select(c, dim, builtins.int(k))
        elif isinstance(k, slice):
            step = 1 if k.step is None else builtins.int(k.step)
            if step <= 0:
                raise ValueError("[index] step must be greater than zero")
            size = c.shape[dim]
            start = 0 if k.start is None else builtins.int(k.start)
            stop = size if k.stop is None else builtins.int(k.stop)
            if not (start == 0 and stop >= size and step == 1):
                c = _C.slice(c, dim, start, stop, step)
            adv.append(None)
            dim += 1
        else:
            idx = _index_tensor(k)
            adv.append(idx)
            n = idx.ndim if idx.dtype is bool_ else 1
            adv.extend([_SKIP] * (n - 1))
            dim += n
    return c, adv


_SKIP = object()


def _index_tensor(k) -> Tensor:
    if isinstance(k, Tensor):
        if k.dtype.is_floating_point:
            raise IndexError("[index] tensors used as indices must be long, int or bool tensors")
        return k
    from ..tensor import tensor
    if isinstance(k, (list, tuple, np.ndarray)):
        t = tensor(k)
        if t.dtype.is_floating_point:
            raise IndexError("[index] tensors used as indices must be long, int or bool tensors")
        if t.numel() == 0:
            t = t.long()
        return t
    raise IndexError(f"[index] only integers, slices (`:`), ellipsis (`...`), None and long or bool tensors "
                     f"are valid indices (got {type(k).__name__})")


def _adv_list(adv):
    out = []
    for a in adv:
        if a is _SKIP:
            continue
        out.append(None if a is None else a._c)
    while out and out[-1] is None:
        out.pop()
    return out


def _simple_view(c, key):
    """x[int] and x[start:stop:step] straight to one C++ view, or None for anything else."""
    tk = type(key)
    if tk is builtins.int:
        if c.ndim == 0:
            raise IndexError("[index] invalid index of a 0-dim tensor")
        return _C.select(c, 0, key)
    if tk is slice and c.ndim > 0:
        step = 1 if key.step is None else key.step
        if type(step) is builtins.int and step > 0:
            start = 0 if key.start is None else key.start
            stop = c.shape[0] if key.stop is None else key.stop
            if type(start) is builtins.int and type(stop) is builtins.int:
                return _C.slice(c, 0, start, stop, step)
    return None


def getitem(x, key):
    c = _simple_view(x._c, key)
    if c is not None:
        out = _wrap(c)
        if _grad_enabled[0] and x._requires_grad:
            record(out, R.view_backward, (x,), (), (x._c.shape, lambda cc: _simple_view(cc, key)))
        return out
    c, adv = _basic_view(x._c, key)
    if builtins.any(a is not None for a in adv):
        lst = _adv_list(adv)
        out = _wrap(_C.index(c, lst))
        if _needs(x):
            record(out, R.index, (x,), (), (tuple(x._c.shape), key, lst))
        return out
    out = _wrap(c)
    if _needs(x):
        record(out, R.view_backward, (x,), (), (tuple(x._c.shape), lambda cc: _basic_view(cc, key)[0]))
    return out


def setitem(x, key, value):
    _check_inplace(x, "setitem")
    v = value if isinstance(value, _TensorType) else as_operand(value, x)
    if _needs(x, v):
        old = _old_alias(x)
        _setitem_c(x._c, key, v)
        record(x, R.setitem, (old, v), (), (key, tuple(v.shape)))
        return
    _setitem_c(x._c, key, v)


def _setitem_c(c, key, v):
    view_c, adv = _basic_view(c, key)
    if builtins.any(a is not None for a in adv):
        _C.index_put_(view_c, _adv_list(adv), v._c, False)
    else:
        _C.copy_(view_c, v._c)


def index_select(x, dim, index):
    out = _wrap(_C.index_select(x._c, dim, index._c))
    if _needs(x):
        record(out, R.index_select, (x,), (index,), dim)
    return out


def gather(x, dim, index, sparse_grad=False):
    out = _wrap(_C.gather(x._c, dim, index._c))
    if _needs(x):
        record(out, R.gather, (x,), (index,), dim)
    return out


def scatter_add(x, dim, index, src):
    out = _wrap(_C.scatter_add(x._c, dim, index._c, src._c))
    if _needs(x, src):
        record(out, R.scatter_add, (x, src), (index,), dim)
    return out


def index_add(x, dim, index, source, alpha=1.0):
    d = dim % builtins.max(x.ndim, 1)
    out = clone(x)
    lst = [None] * d + [index._c]
    src = source * alpha if alpha != 1.0 else source
    _C.index_put_(out._c, lst, src._c, True)
    if _needs(x, src):
        record(out, R.index_add, (x, src), (index,), d)
    return out


def nonzero(x, as_tuple=False):
    nz = _wrap(_C.nonzero(x._c))
    if as_tuple:
        return tuple(nz[:, i] for i in range(x.ndim)) if x.ndim else (nz.reshape(-1),)
    return nz


def argwhere(x):
    return nonzero(x)


def masked_select(x, mask):
    out = _wrap(_C.masked_select(x._c, mask._c))
    if _needs(x):
        record(out, R.masked_select, (x,), (mask,))
    return out


def take(x, index):
    return reshape(x, -1)[index]


# ---- joining ---------------------------------------------------------------------------------
def cat(tensors: Sequence[Tensor], dim: int = 0):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("[cat] expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, _TensorType):
            raise TypeError(f"[cat] expected a sequence of Tensors, but element {i} is {type(t).__name__}")
    # legacy: 1-D empty tensors are skipped, as in PyTorch
    kept = [t for t in tensors if not (t.ndim == 1 and t.numel() == 0)] or tensors[:1]
    out = _wrap(_C.cat([t._c for t in kept], dim))
    if _needs(*kept):
        record(out, R.cat, tuple(kept), (), (dim, [t.shape[dim] if t.ndim else 1 for t in kept]))
    return out


concat = concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("[stack] expected a non-empty list of Tensors")
    out = _wrap(_C.stack([t._c for t in tensors], dim))
    if _needs(*tensors):
        record(out, R.stack, tuple(tensors), (), dim)
    return out


def hstack(tensors):
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    return cat([t.reshape(1, -1) if t.ndim == 1 else t for t in tensors], 0)


# ---- reductions ------------------------------------------------------------------------------
def _reduce(op, x, dim, keepdim, param=0.0):
    return _wrap(_C.reduce(RED[op], x._c, _dims(dim, x.ndim), keepdim, param))


def sum(x, dim=None, keepdim=False, dtype=None):
    if dtype is not None:
        x = to_dtype_op(x, dtype)
    out = _reduce("Sum", x, dim, keepdim)
    if _needs(x):
        record(out, R.sum, (x,), (), (tuple(x._c.shape), _dims(dim, x.ndim), keepdim))
    return out


def mean(x, dim=None, keepdim=False, dtype=None):
    if dtype is not None:
        x = to_dtype_op(x, dtype)
    out = _reduce("Mean", x, dim, keepdim)
    if _needs(x):
        record(out, R.mean, (x,), (), (tuple(x._c.shape), _dims(dim, x.ndim), keepdim))
    return out


def prod(x, dim=None, keepdim=False, dtype=None):
    if dtype is not None:
        x = to_dtype_op(x, dtype)
    out = _reduce("Prod", x, dim, keepdim)
    if _needs(x):
        record(out, R.prod, (x,), (x,), (_dims(dim, x.ndim), keepdim), save_output=True)
    return out


def _correction(unbiased, correction):
    if correction is not None:
        return builtins.float(correction)
    return 1.0 if unbiased is None or unbiased else 0.0


def var(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, builtins.bool):
        unbiased, dim = dim, None
    c = _correction(unbiased, correction)
    out = _reduce("Var", x, dim, keepdim, c)
    if _needs(x):
        record(out, R.var, (x,), (x,), (_dims(dim, x.ndim), keepdim, c))
    return out


def std(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, builtins.bool):
        unbiased, dim = dim, None
    return sqrt(var(x, dim, unbiased, keepdim, correction=correction))


def var_mean(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var(x, dim, unbiased, keepdim, correction=correction), mean(x, dim, keepdim)


def std_mean(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return std(x, dim, unbiased, keepdim, correction=correction), mean(x, dim, keepdim)


def amax(x, dim=(), keepdim=False):
    out = _reduce("Max", x, dim, keepdim)
    if _needs(x):
        record(out, R.amax, (x,), (x,), (_dims(dim, x.ndim), keepdim), save_output=True)
    return out


def amin(x, dim=(), keepdim=False):
    out = _reduce("Min", x, dim, keepdim)
    if _needs(x):
        record(out, R.amax, (x,), (x,), (_dims(dim, x.ndim), keepdim), save_output=True)
    return out


MinMax = namedtuple("MinMax", ["values", "indices"])
torch_return_types_max = MinMax


def _minmax(x, dim, keepdim, is_max):
    if dim is None:
        return amax(x) if is_max else amin(x)
    if isinstance(dim, _TensorType):
        return maximum(x, dim) if is_max else minimum(x, dim)
    vals, idx = (_C.max_dim if is_max else _C.min_dim)(x._c, builtins.int(dim), keepdim)
    values, indices = _wrap(vals), _wrap(idx)
    if _needs(x):
        record(values, R.max_dim, (x,), (), (tuple(x._c.shape), builtins.int(dim), keepdim, indices))
    return MinMax(values, indices)


def max(x, dim=None, keepdim=False):
    return _minmax(x, dim, keepdim, True)


def min(x, dim=None, keepdim=False):
    return _minmax(x, dim, keepdim, False)


def argmax(x, dim=None, keepdim=False):
    return _wrap(_C.argmax(x._c, None if dim is None else builtins.int(dim), keepdim))


def argmin(x, dim=None, keepdim=False):
    return _wrap(_C.argmin(x._c, None if dim is None else builtins.int(dim), keepdim))


def logsumexp(x, dim=None, keepdim=False):
    out = _reduce("LogSumExp", x, dim, keepdim)
    if _needs(x):
        record(out, R.logsumexp, (x,), (x,), (_dims(dim, x.ndim), keepdim), save_output=True)
    return out


def all(x, dim=None, keepdim=False):
    return _reduce("All", x, dim, keepdim)


def any(x, dim=None, keepdim=False):
    return _reduce("Any", x, dim, keepdim)


def norm(x, p=2, dim=None, keepdim=False):
    if p == 2 or p == "fro":
        return sqrt(sum(x * x, dim, keepdim))
    if p == 1:
        return sum(abs(x), dim, keepdim)
    if p == float("inf"):
        return amax(abs(x), dim if dim is not None else (), keepdim)
    return pow(sum(pow(abs(x), p), dim, keepdim), 1.0 / p)


def _softmax(x, dim, dtype, log: bool):
    if dtype is not None:
        x = to_dtype_op(x, dtype)
    if dim is None:  # PyTorch's legacy implicit dim
        dim = 0 if x.ndim in (0, 1, 3) else 1
    out = _wrap(_C.softmax(x._c, dim, log))
    if _needs(x):
        record(out, R.softmax, (x,), (), (dim, log), save_output=True)
    return out


def softmax(x, dim=None, dtype=None):
    return _softmax(x, dim, dtype, False)


def log_softmax(x, dim=None, dtype=None):
    return _softmax(x, dim, dtype, True)


# ---- linear algebra --------------------------------------------------------------------------
def matmul(a, b):
    if not isinstance(b, _TensorType) or not isinstance(a, _TensorType):
        raise TypeError(f"[matmul] expected Tensors, got {type(a).__name__} and {type(b).__name__}")
    out = _wrap(_C.matmul(a._c, b._c))
    if _grad_enabled[0] and (a._requires_grad or b._requires_grad):
        record(out, R.matmul, (a, b), (a if b._requires_grad else None, b if a._requires_grad else None))
    return out


def mm(a, b):
    if a.ndim != 2 or b.ndim != 2:
        _C.mm(a._c, b._c)  # raises the shape error
    return matmul(a, b)


def bmm(a, b):
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0]:
        _C.bmm(a._c, b._c)  # raises the shape error
    return matmul(a, b)


def dot(a, b):
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"[dot] 1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    return matmul(a, b)


def outer(a, b):
    return mul(a.unsqueeze(1), b.unsqueeze(0))


def addmm(bias, a, b, beta=1.0, alpha=1.0):
    out = matmul(a, b)
    if alpha != 1.0:
        out = out * alpha
    return add(out, bias, beta) if beta != 0 else out


# ---- comparisons of whole tensors --------------------------------------------------------------
def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    return builtins.bool(np.allclose(a.detach().numpy(), as_operand(b, a).detach().numpy(), rtol=rtol,
                                     atol=atol, equal_nan=equal_nan))


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    from ..tensor import from_numpy
    return from_numpy(np.isclose(a.detach().numpy(), as_operand(b, a).detach().numpy(), rtol=rtol, atol=atol,
                                 equal_nan=equal_nan))


def equal(a, b) -> bool:
    return tuple(a.shape) == tuple(b.shape) and builtins.bool(all(eq(a, b)).item())


def numel(x) -> int:
    return x.numel()


def is_tensor(x) -> bool:
    return isinstance(x, Tensor)


def result_type(a, b):
    if not isinstance(a, _TensorType):
        a = as_operand(a, b)
    if not isinstance(b, _TensorType):
        b = as_operand(b, a)
    return BY_CODE[_C.result_type(a._c, b._c)]


# ---- Tensor methods ----------------------------------------------------------------------------
_METHODS = [
    "add", "sub", "mul", "div", "pow", "floor_divide", "remainder", "atan2", "maximum", "minimum",
    "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor", "logical_not",
    "isnan", "isinf", "isfinite", "neg", "negative", "abs", "exp", "log", "sqrt", "rsqrt", "sin", "cos",
    "tan", "tanh", "sigmoid", "relu", "sign", "floor", "ceil", "round", "trunc", "reciprocal", "square",
    "log1p", "expm1", "log2", "log10", "erf", "asin", "acos", "atan", "clamp", "clip", "clamp_min",
    "clamp_max", "masked_fill", "lerp", "addcmul", "addcdiv", "add_", "sub_", "mul_", "div_", "pow_",
    "clamp_", "exp_", "sqrt_", "neg_", "relu_", "tanh_", "sigmoid_", "abs_", "log_", "zero_", "fill_",
    "copy_", "masked_fill_", "uniform_", "normal_", "clone", "contiguous", "view", "reshape", "view_as",
    "reshape_as", "flatten", "unflatten", "permute", "transpose", "swapaxes", "swapdims", "t", "movedim",
    "unsqueeze", "squeeze", "expand", "expand_as", "broadcast_to", "narrow", "select", "split", "chunk",
    "unbind", "as_strided", "index_select", "gather", "scatter_add", "index_add", "nonzero", "argwhere",
    "masked_select", "take", "sum", "mean", "prod", "var", "std", "amax", "amin", "max", "min", "argmax",
    "argmin", "logsumexp", "all", "any", "norm", "softmax", "log_softmax", "matmul", "mm", "bmm", "dot",
    "outer", "allclose", "isclose", "equal", "where", "subtract", "multiply", "divide", "true_divide",
]
for _name in _METHODS:
    setattr(Tensor, _name, globals()[_name])
Tensor.where = lambda self, cond, other: where(cond, self, other)
# Operators call the op functions directly (one Python frame less on every arithmetic op).
Tensor.__add__ = Tensor.__radd__ = add
Tensor.__sub__ = sub
Tensor.__mul__ = Tensor.__rmul__ = mul
Tensor.__truediv__ = div
Tensor.__matmul__ = matmul
Tensor.__neg__ = neg
Tensor.__pow__ = pow
Tensor.__eq__, Tensor.__ne__, Tensor.__lt__, Tensor.__le__, Tensor.__gt__, Tensor.__ge__ = eq, ne, lt, le, gt, ge
Tensor.new_zeros = lambda self, *s, dtype=None, **kw: _wrap(_C.full(_shape_arg(s), 0.0, (to_dtype(dtype) if dtype else self.dtype).code))
Tensor.new_ones = lambda self, *s, dtype=None, **kw: _wrap(_C.full(_shape_arg(s), 1.0, (to_dtype(dtype) if dtype else self.dtype).code))
Tensor.new_full = lambda self, s, v, dtype=None, **kw: _wrap(_C.full(list(s), builtins.float(v), (to_dtype(dtype) if dtype else self.dtype).code))
Tensor.new_empty = lambda self, *s, dtype=None, **kw: _wrap(_C.empty(_shape_arg(s), (to_dtype(dtype) if dtype else self.dtype).code))
Tensor.new_tensor = lambda self, data, dtype=None, **kw: __import__("tensorforge").tensor(data, dtype=dtype or self.dtype)

__all__ = _METHODS + [
    "cat", "concat", "concatenate", "stack", "hstack", "vstack", "greater", "greater_equal", "less",
    "less_equal", "not_equal", "arcsin", "arccos", "arctan", "numel", "is_tensor", "result_type",
    "var_mean", "std_mean", "addmm", "isnan", "bernoulli_mask",
]
