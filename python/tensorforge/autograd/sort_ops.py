"""Sorting, selection and scans: ``sort``, ``topk``, ``median``, ``unique``, ``cumsum``, ...

Each op is one C++ call (``sort_ops.h``) plus a graph node when a gradient is needed; the
selection ops route the gradient back through the indices they return. ``quantile`` is a
composite over ``sort`` and ``gather`` (differentiable through both).
"""
from __future__ import annotations

import builtins

from .. import _C
from .. import return_types as RT
from .._dtype import int64, to_dtype
from ..tensor import Tensor, _wrap
from . import ops as O
from . import rules as R
from .graph import record


def _int_dim(dim, op: str) -> int:
    if not isinstance(dim, (builtins.int,)) and not hasattr(dim, "__index__"):
        raise TypeError(f"[{op}] dim must be an int, got {type(dim).__name__}")
    return builtins.int(dim)



# ---- sorting ---------------------------------------------------------------------------------
def sort(input, dim=-1, descending=False, stable=False):
    """Sorted values along ``dim`` and their indices. Always stable (equal elements keep their
    order, which is also a valid answer for ``stable=False``); NaN sorts as the largest value."""
    O.check_tensor(input, "sort")
    d = _int_dim(dim, "sort")
    v, i = _C.sort(input._c, d, builtins.bool(descending))
    values, indices = _wrap(v), _wrap(i)
    if O._needs(input):
        record(values, R.sort_backward, (input,), (), (d, indices))
    return RT.sort(values, indices)


def argsort(input, dim=-1, descending=False, stable=False):
    """The indices that sort ``input`` along ``dim`` (stable)."""
    O.check_tensor(input, "argsort")
    return _wrap(_C.argsort(input._c, _int_dim(dim, "argsort"), builtins.bool(descending)))


def msort(input):
    """``sort(input, dim=0).values``."""
    return sort(input, 0).values


def topk(input, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (or smallest) elements along ``dim`` and their indices, best first
    (also when ``sorted=False``). NaN counts as larger than every number."""
    O.check_tensor(input, "topk")
    d = _int_dim(dim, "topk")
    v, i = _C.topk(input._c, builtins.int(k), d, builtins.bool(largest))
    values, indices = _wrap(v), _wrap(i)
    if O._needs(input):
        record(values, R.sort_backward, (input,), (), (d, indices))
    return RT.topk(values, indices)


def _per_row(kind, input, pair, dim, keepdim):
    values, indices = _wrap(pair[0]), _wrap(pair[1])
    if O._needs(input):
        record(values, R.max_dim, (input,), (), (tuple(input._c.shape), dim, keepdim, indices))
    return kind(values, indices)


def kthvalue(input, k, dim=-1, keepdim=False):
    """The ``k``-th smallest element (1-based) along ``dim`` and its index."""
    O.check_tensor(input, "kthvalue")
    d = _int_dim(dim, "kthvalue")
    return _per_row(RT.kthvalue, input, _C.kthvalue(input._c, builtins.int(k), d, builtins.bool(keepdim)), d, keepdim)


def _median(input, dim, keepdim, ignore_nan, kind, op):
    O.check_tensor(input, op)
    if dim is None:
        out = _wrap(_C.median(input._c, ignore_nan))
        if O._needs(input):
            record(out, R.evenly_distribute, (input,), (input,), None, save_output=True)
        return out
    d = _int_dim(dim, op)
    return _per_row(kind, input, _C.median_dim(input._c, d, builtins.bool(keepdim), ignore_nan), d, keepdim)


def median(input, dim=None, keepdim=False):
    """The lower median: of all elements (a tensor) or along ``dim`` (values and indices).
    A NaN anywhere in the reduced elements gives NaN."""
    return _median(input, dim, keepdim, False, RT.median, "median")


def nanmedian(input, dim=None, keepdim=False):
    """Like ``median``, ignoring NaN values (NaN only when all are NaN)."""
    return _median(input, dim, keepdim, True, RT.nanmedian, "nanmedian")


def mode(input, dim=-1, keepdim=False):
    """The most frequent value along ``dim`` (the smallest of equally frequent ones) and the
    index of its last occurrence."""
    O.check_tensor(input, "mode")
    d = _int_dim(dim, "mode")
    return _per_row(RT.mode, input, _C.mode(input._c, d, builtins.bool(keepdim)), d, keepdim)


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan, op):
    O.check_tensor(input, op)
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"[{op}] input tensor must be either float or double dtype, got {input.dtype}")
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"[{op}] interpolation must be one of {', '.join(_INTERPOLATIONS)}. Got '{interpolation}'")
    scalar_q = not isinstance(q, Tensor)
    if scalar_q:
        qt = O.as_operand(builtins.float(q), input).reshape(1)
    else:
        if q.ndim > 1:
            raise RuntimeError(f"[{op}] q must be a scalar or 1D tensor, got shape {list(q.shape)}")
        if q.dtype is not input.dtype:
            raise RuntimeError(f"[{op}] q tensor must be same dtype as the input tensor, got {q.dtype} and {input.dtype}")
        scalar_q = q.ndim == 0
        qt = q.reshape(-1)
    qn = qt.detach().numpy()
    if qn.size and not ((qn >= 0) & (qn <= 1)).all():
        raise RuntimeError(f"[{op}] q values must be in the range [0, 1]")
    if dim is None:
        x = input.reshape(-1)
        out_shape = [1] * input.ndim if keepdim else []
    else:
        d = _int_dim(dim, op)
        nd = builtins.max(input.ndim, 1)
        if not -nd <= d < nd:
            raise IndexError(f"[{op}] dim {d} out of range for a tensor of {input.ndim} dims")
        d %= nd
        x = O.movedim(input, d, -1) if input.ndim else input.reshape(1)
        out_shape = list(input.shape)
        if input.ndim:
            if keepdim:
                out_shape[d] = 1
            else:
                del out_shape[d]
    n = x.shape[-1] if x.ndim else 1
    if n == 0:
        raise IndexError(f"[{op}] cannot compute quantiles of an empty dimension (input shape {list(input.shape)})")
    srt = sort(x, -1).values  # NaN last
    with_nan = O.isnan(srt)
    if ignore_nan:
        count = O.sum(O.logical_not(with_nan), -1, keepdim=True)
        ranks = O.clamp(O.mul(qt, O.sub(O.to_dtype_op(count, input.dtype), 1)), min=0)
    else:
        ranks = O.where(O.any(with_nan, -1, keepdim=True), builtins.float(n - 1), O.mul(qt, builtins.float(n - 1)))
    if interpolation == "lower":
        ranks = O.floor(ranks)
    elif interpolation == "higher":
        ranks = O.ceil(ranks)
    elif interpolation == "nearest":
        ranks = O.round(ranks)
    below = O.to_dtype_op(ranks, int64)
    out = O.gather(srt, -1, below)
    if interpolation in ("linear", "midpoint"):
        above = O.to_dtype_op(O.ceil(ranks), int64)
        weight = O.sub(ranks, O.to_dtype_op(below, input.dtype)) if interpolation == "linear" else 0.5
        out = O.lerp(out, O.gather(srt, -1, above), weight)
    # out: [..., nq] -> q dim first (a tensor q) or dropped (a scalar q)
    if scalar_q:
        return out.reshape(out_shape)
    nq = out.shape[-1]
    return O.movedim(out, -1, 0).reshape([nq] + out_shape)


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The ``q``-th quantiles (``q`` a number or a 1-D tensor in [0, 1]) of all elements or
    along ``dim``; a tensor ``q`` adds a leading dim. NaN where the reduced elements hold one."""
    return _quantile(input, q, dim, keepdim, interpolation, False, "quantile")


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """``quantile`` ignoring NaN values."""
    return _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")


# ---- unique ----------------------------------------------------------------------------------
def _unique_result(res, return_inverse, return_counts):
    values, inverse, counts = res
    out = [_wrap(values)]
    if return_inverse:
        out.append(_wrap(inverse))
    if return_counts:
        out.append(_wrap(counts))
    return out[0] if len(out) == 1 else tuple(out)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct elements (or slices along ``dim``), in ascending order, optionally with the
    inverse mapping and the counts."""
    O.check_tensor(input, "unique")
    res = _C.unique(input._c, builtins.bool(return_inverse), builtins.bool(return_counts),
                    None if dim is None else _int_dim(dim, "unique"))
    return _unique_result(res, return_inverse, return_counts)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Collapses runs of equal consecutive elements (or slices along ``dim``)."""
    O.check_tensor(input, "unique_consecutive")
    res = _C.unique_consecutive(input._c, builtins.bool(return_inverse), builtins.bool(return_counts),
                                None if dim is None else _int_dim(dim, "unique_consecutive"))
    return _unique_result(res, return_inverse, return_counts)


# ---- binary search ---------------------------------------------------------------------------
def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Insertion indices of ``input`` into the innermost dim of ``sorted_sequence``."""
    O.check_tensor(sorted_sequence, "searchsorted")
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"[searchsorted] side can only be 'left' or 'right' but got '{side}'")
        if right and side == "left":
            raise RuntimeError("[searchsorted] side and right can't be set to opposites, got side of left "
                               "while right was True")
        right = side == "right"
    values = input if isinstance(input, Tensor) else O.as_operand(input, sorted_sequence)
    return _wrap(_C.searchsorted(sorted_sequence._c, values._c, builtins.bool(out_int32), builtins.bool(right),
                                 None if sorter is None else sorter._c))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each element of ``input`` given 1-D sorted ``boundaries``."""
    O.check_tensor(boundaries, "bucketize")
    values = input if isinstance(input, Tensor) else O.as_operand(input, boundaries)
    return _wrap(_C.bucketize(values._c, boundaries._c, builtins.bool(out_int32), builtins.bool(right)))


# ---- small reductions ------------------------------------------------------------------------
def count_nonzero(input, dim=None):
    """Number of non-zero elements (over ``dim``: an int or a tuple of ints), int64."""
    O.check_tensor(input, "count_nonzero")
    return O.sum(O.ne(input, 0), dim)


def aminmax(input, *, dim=None, keepdim=False):
    """``(amin, amax)`` of all elements or along ``dim``, in one call."""
    O.check_tensor(input, "aminmax")
    if input.numel() == 0:
        raise RuntimeError(f"[aminmax] cannot compute aminmax over an empty dimension (input shape {list(input.shape)})")
    dims = () if dim is None else _int_dim(dim, "aminmax")
    return RT.aminmax(O.amin(input, dims, keepdim), O.amax(input, dims, keepdim))


# ---- scans -----------------------------------------------------------------------------------
def _scan_dtype(input, dtype):
    if dtype is None:
        return input
    return O.to_dtype_op(input, to_dtype(dtype))


def _cumsum(x, dim, reverse):
    out = _wrap(_C.cumsum(x._c, dim, None, reverse))
    if O._needs(x):
        record(out, R.cumsum, (x,), (), (dim, reverse))
    return out


def cumsum(input, dim, *, dtype=None):
    """Running sum along ``dim`` (bool and integer inputs give int64)."""
    O.check_tensor(input, "cumsum")
    return _cumsum(_scan_dtype(input, dtype), _int_dim(dim, "cumsum"), False)


def cumprod(input, dim, *, dtype=None):
    """Running product along ``dim`` (bool and integer inputs give int64)."""
    O.check_tensor(input, "cumprod")
    x = _scan_dtype(input, dtype)
    d = _int_dim(dim, "cumprod")
    out = _wrap(_C.cumprod(x._c, d, None))
    if O._needs(x):
        record(out, R.cumprod, (x,), (x,), d, save_output=True)
    return out


def _logcumsumexp(x, dim, reverse):
    out = _wrap(_C.logcumsumexp(x._c, dim, reverse))
    if O._needs(x):
        record(out, R.logcumsumexp, (x,), (x,), (dim, reverse), save_output=True)
    return out


def logcumsumexp(input, dim):
    """``log(cumsum(exp(input)))`` along ``dim``, computed without overflow."""
    O.check_tensor(input, "logcumsumexp")
    return _logcumsumexp(input, _int_dim(dim, "logcumsumexp"), False)


def _cum_extreme(fn, kind, input, dim, op):
    O.check_tensor(input, op)
    d = _int_dim(dim, op)
    v, i = fn(input._c, d)
    values, indices = _wrap(v), _wrap(i)
    if O._needs(input):
        record(values, R.sort_backward, (input,), (), (d, indices))
    return kind(values, indices)


def cummax(input, dim):
    """Running maximum along ``dim`` and the index where it was reached (the latest among equals)."""
    return _cum_extreme(_C.cummax, RT.cummax, input, dim, "cummax")


def cummin(input, dim):
    """Running minimum along ``dim`` and the index where it was reached (the latest among equals)."""
    return _cum_extreme(_C.cummin, RT.cummin, input, dim, "cummin")


def cumsum_(input, dim, *, dtype=None):
    return O._inplace(input, cumsum(O._old_alias(input), dim, dtype=dtype)) if O._needs(input) else \
        O.copy_(input, cumsum(input, dim, dtype=dtype))


def cumprod_(input, dim, *, dtype=None):
    return O._inplace(input, cumprod(O._old_alias(input), dim, dtype=dtype)) if O._needs(input) else \
        O.copy_(input, cumprod(input, dim, dtype=dtype))


_METHODS = ["sort", "argsort", "msort", "topk", "kthvalue", "median", "nanmedian", "mode", "quantile", "nanquantile",
            "unique", "unique_consecutive", "count_nonzero", "aminmax", "cumsum", "cumprod", "logcumsumexp",
            "cummax", "cummin", "cumsum_", "cumprod_"]
for _name in _METHODS:
    setattr(Tensor, _name, globals()[_name])

__all__ = _METHODS[:-2] + ["searchsorted", "bucketize"]
