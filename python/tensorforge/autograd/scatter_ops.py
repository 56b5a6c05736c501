"""Scatter and index updates: ``scatter``, ``scatter_reduce``, ``index_copy``, ``index_fill``,
``masked_scatter``, ``put_``, and counting (``bincount``, ``histc``).

``scatter*`` run the C++ scatter kernel (``scatter_ops.h``); the index-along-a-dim updates go
through advanced-indexing puts. Out-of-place forms clone and record a graph node; in-place
forms write into the tensor and move its place in the graph onto the new node.
"""
from __future__ import annotations

import builtins

import numpy as np

from .. import _C
from .._dtype import bool_
from ..tensor import Tensor, _wrap
from . import ops as O
from . import rules as R
from .graph import record

_LEGACY_REDUCE = {"add": "sum", "multiply": "prod"}



def _is_number(v) -> bool:
    return isinstance(v, (builtins.int, builtins.float, builtins.bool, np.number))


def _fresh(input):
    """A detached copy of input to write the result into."""
    return _wrap(_C.clone(input._c))


# ---- scatter ---------------------------------------------------------------------------------
def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """A copy of ``input`` with ``src[p]`` (or one ``value``) written along ``dim`` at
    ``index[p]`` for every position p of ``index``; ``reduce='add'`` / ``'multiply'`` combine
    instead of overwriting."""
    O.check_tensor(input, "scatter")
    O.check_tensor(index, "scatter", "index")
    if src is None and value is None:
        raise TypeError("[scatter] expected a src tensor or a value")
    if src is not None and _is_number(src):
        src, value = None, src
    if reduce is not None:
        if reduce not in _LEGACY_REDUCE:
            raise RuntimeError(f"[scatter] reduce argument must be either add or multiply, got '{reduce}'")
        if src is not None:
            return scatter_reduce(input, dim, index, src, _LEGACY_REDUCE[reduce])
    d = builtins.int(dim)
    if src is not None:
        O.check_tensor(src, "scatter", "src")
        out = _wrap(_C.scatter(input._c, d, index._c, src._c, None, True))
        if O._needs(input, src):
            record(out, R.scatter, (input, src), (index,), d)
        return out
    out = _wrap(_C.scatter_value(input._c, d, index._c, builtins.float(value), reduce))
    if O._needs(input):
        record(out, R.scatter, (input, None), (index,), (d, reduce, builtins.float(value)))
    return out


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """A copy of ``input`` with ``src`` reduced into it along ``dim`` at ``index``: ``reduce`` is
    ``'sum'``, ``'prod'``, ``'mean'``, ``'amax'`` or ``'amin'``; with ``include_self=False``
    the old values of the targets take no part."""
    O.check_tensor(input, "scatter_reduce")
    O.check_tensor(index, "scatter_reduce", "index")
    O.check_tensor(src, "scatter_reduce", "src")
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError(f"[scatter_reduce] reduce argument must be either sum, prod, mean, amax or amin, got '{reduce}'")
    d = builtins.int(dim)
    out = _wrap(_C.scatter(input._c, d, index._c, src._c, reduce, builtins.bool(include_self)))
    if O._needs(input, src):
        record(out, R.scatter_reduce, (input, src), (input, src, index), (d, reduce, builtins.bool(include_self)),
               save_output=True)
    return out


def _inplace_scatter(x, name, fn):
    O._check_inplace(x, name)
    return O._inplace(x, fn(O._old_alias(x)))


def scatter_(input, dim, index, src=None, value=None, *, reduce=None):
    if O._needs(input) or (isinstance(src, Tensor) and O._needs(src)):
        return _inplace_scatter(input, "scatter_", lambda x: scatter(x, dim, index, src, value, reduce=reduce))
    if src is not None and not _is_number(src):
        _C.scatter_(input._c, builtins.int(dim), index._c, src._c, _LEGACY_REDUCE.get(reduce, reduce), True)
    else:
        v = src if src is not None else value
        _C.scatter_value_(input._c, builtins.int(dim), index._c, builtins.float(v), reduce)
    return input


def scatter_add_(input, dim, index, src):
    if O._needs(input, src):
        return _inplace_scatter(input, "scatter_add_", lambda x: O.scatter_add(x, dim, index, src))
    _C.scatter_(input._c, builtins.int(dim), index._c, src._c, "sum", True)
    return input


def scatter_reduce_(input, dim, index, src, reduce, *, include_self=True):
    if O._needs(input, src):
        # the backward reads the old values, which the in-place write replaces: keep a copy
        return _inplace_scatter(input, "scatter_reduce_",
                                lambda x: scatter_reduce(O.clone(x), dim, index, src, reduce, include_self=include_self))
    scatter_reduce(input, dim, index, src, reduce, include_self=include_self)  # validates the reduce name
    _C.scatter_(input._c, builtins.int(dim), index._c, src._c, reduce, builtins.bool(include_self))
    return input


# ---- index_* along a dim ---------------------------------------------------------------------
def _index_dim(x, dim, index, op: str) -> int:
    O.check_tensor(x, op)
    O.check_tensor(index, op, "index")
    if index.ndim > 1:
        raise IndexError(f"[{op}] index should have dimension 1 or 0 (got {index.ndim})")
    if index.dtype.is_floating_point or index.dtype is bool_:
        raise IndexError(f"[{op}] index should be an int64 or int32 tensor, got {index.dtype}")
    nd = builtins.max(x.ndim, 1)
    d = builtins.int(dim)
    if not -nd <= d < nd:
        raise IndexError(f"[{op}] dim {d} out of range for a tensor of {x.ndim} dims")
    d %= nd
    size = x.shape[d] if x.ndim else 1
    if index.numel():
        iv = index.reshape(-1).numpy()
        bad = iv[(iv < -size) | (iv >= size)]
        if bad.size:
            raise IndexError(f"[{op}] index {builtins.int(bad[0])} is out of bounds for dimension {d} with size {size}")
    return d


def _check_source(x, d, index, source, op: str) -> None:
    O.check_tensor(source, op, "source")
    expect = list(x.shape)
    if x.ndim:
        expect[d] = index.numel()
    got = list(source.shape) if source.ndim else ([1] if x.ndim else [])
    if got != expect and not (x.ndim == 0 and source.numel() == 1):
        raise RuntimeError(f"[{op}] source of shape {list(source.shape)} does not match the expected shape {expect} "
                           f"(self {list(x.shape)} with {index.numel()} indices along dim {d})")


def _put_along(c, d, index, values_c, accumulate):
    if c.ndim == 0:
        _C.index_put_(_C.reshape(c, [1]), [_C.reshape(index._c, [-1])], _C.reshape(values_c, [-1]), accumulate)
    else:
        _C.index_put_(c, [None] * d + [_C.reshape(index._c, [-1])], values_c, accumulate)


def index_add_(input, dim, index, source, *, alpha=1):
    d = _index_dim(input, dim, index, "index_add_")
    _check_source(input, d, index, source, "index_add_")
    if O._needs(input, source):
        return _inplace_scatter(input, "index_add_", lambda x: O.index_add(x, dim, index, source, alpha))
    src = source if alpha == 1 else O.mul(source, alpha)
    _put_along(input._c, d, index, src._c, True)
    return input


def index_copy(input, dim, index, source):
    """A copy of ``input`` with the slices ``index[i]`` along ``dim`` replaced by ``source``'s
    slice i."""
    d = _index_dim(input, dim, index, "index_copy")
    _check_source(input, d, index, source, "index_copy")
    out = _fresh(input)
    _put_along(out._c, d, index, source._c, False)
    if O._needs(input, source):
        record(out, R.index_copy, (input, source), (index,), d)
    return out


def index_copy_(input, dim, index, source):
    if O._needs(input, source):
        return _inplace_scatter(input, "index_copy_", lambda x: index_copy(x, dim, index, source))
    d = _index_dim(input, dim, index, "index_copy_")
    _check_source(input, d, index, source, "index_copy_")
    _put_along(input._c, d, index, source._c, False)
    return input


def index_fill(input, dim, index, value):
    """A copy of ``input`` with the slices ``index`` along ``dim`` set to ``value`` (a number or
    a 0-dim tensor)."""
    d = _index_dim(input, dim, index, "index_fill")
    v = value if isinstance(value, Tensor) else O.as_operand(value, input)
    if v.ndim != 0:
        raise RuntimeError(f"[index_fill] only supports a 0-dimensional value tensor, but got tensor with {v.ndim} dimension(s)")
    out = _fresh(input)
    _put_along(out._c, d, index, _C.to_dtype(v._c, input._c.dtype, False), False)
    if O._needs(input, v):
        record(out, R.index_fill, (input, v if v._requires_grad else None), (index,), d)
    return out


def index_fill_(input, dim, index, value):
    if O._needs(input) or (isinstance(value, Tensor) and O._needs(value)):
        return _inplace_scatter(input, "index_fill_", lambda x: index_fill(x, dim, index, value))
    d = _index_dim(input, dim, index, "index_fill_")
    v = value if isinstance(value, Tensor) else O.as_operand(value, input)
    _put_along(input._c, d, index, _C.to_dtype(v._c, input._c.dtype, False), False)
    return input


# ---- masked_scatter / put --------------------------------------------------------------------
def masked_scatter(input, mask, source):
    """A copy of ``input`` whose elements where ``mask`` (broadcast to input) is true take the
    first elements of ``source``, in row-major order."""
    O.check_tensor(input, "masked_scatter")
    O.check_tensor(source, "masked_scatter", "source")
    if not isinstance(mask, Tensor) or mask.dtype is not bool_:
        raise RuntimeError("[masked_scatter] expected mask to be a bool tensor")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"[masked_scatter] expected source to have dtype {input.dtype}, got {source.dtype}")
    m = O.expand(mask, list(input.shape)) if tuple(mask.shape) != tuple(input.shape) else mask
    count = builtins.int(O.sum(m).item())
    if count > source.numel():
        raise RuntimeError(f"[masked_scatter] number of elements of source ({source.numel()}) < number of ones in "
                           f"mask ({count})")
    out = _fresh(input)
    if count:
        _C.index_put_(out._c, [m._c], _C.narrow(_C.reshape(source._c, [-1]), 0, 0, count), False)
    if O._needs(input, source):
        record(out, R.masked_scatter, (input, source), (m,), count)
    return out


def masked_scatter_(input, mask, source):
    if O._needs(input, source):
        return _inplace_scatter(input, "masked_scatter_", lambda x: masked_scatter(x, mask, source))
    O.copy_(input, masked_scatter(input, mask, source))
    return input


def put(input, index, source, accumulate=False):
    """A copy of ``input`` (seen flattened) with ``source`` written (or added) at ``index``."""
    O.check_tensor(input, "put")
    O.check_tensor(index, "put", "index")
    O.check_tensor(source, "put", "source")
    if index.numel() != source.numel():
        raise RuntimeError(f"[put] expected source and index to have the same number of elements, but got "
                           f"{source.numel()} and {index.numel()}")
    flat = O.reshape(input, -1)
    d = _index_dim(flat, 0, O.reshape(index, -1), "put")
    out = O.reshape(_fresh(flat), list(input.shape))
    _put_along(_C.reshape(out._c, [-1]), d, O.reshape(index, -1), _C.reshape(source._c, [-1]), builtins.bool(accumulate))
    if O._needs(input, source):
        record(out, R.put, (input, source), (index,), builtins.bool(accumulate))
    return out


def put_(input, index, source, accumulate=False):
    if O._needs(input, source):
        return _inplace_scatter(input, "put_", lambda x: put(x, index, source, accumulate))
    O.copy_(input, put(input, index, source, accumulate))
    return input


# ---- counting --------------------------------------------------------------------------------
def bincount(input, weights=None, minlength=0):
    """Occurrences of each non-negative integer of 1-D ``input`` (or its summed ``weights``)."""
    O.check_tensor(input, "bincount")
    return _wrap(_C.bincount(input._c, None if weights is None else weights._c, builtins.int(minlength)))


def histc(input, bins=100, min=0, max=0):
    """Histogram with ``bins`` equal bins over [min, max] (the data's range when both are 0)."""
    O.check_tensor(input, "histc")
    return _wrap(_C.histc(input._c, builtins.int(bins), builtins.float(min), builtins.float(max)))


_METHODS = ["scatter", "scatter_reduce", "scatter_", "scatter_add_", "scatter_reduce_", "index_add_", "index_copy",
            "index_copy_", "index_fill", "index_fill_", "masked_scatter", "masked_scatter_", "put", "put_",
            "bincount", "histc"]
for _name in _METHODS:
    setattr(Tensor, _name, globals()[_name])

__all__ = ["scatter", "scatter_reduce", "index_copy", "index_fill", "masked_scatter", "put", "bincount", "histc"]
