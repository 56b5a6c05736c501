"""Data movement: flips, rolls, repeats, triangles, diagonals, splits and stacking helpers.

The kernels behind ``flip``, ``roll``, ``repeat``, ``tril``/``triu``, ``diagonal`` and
``diag_embed`` are C++ (``shape_ops.h``), each with a backward rule; the rest are compositions
of those and of the views in ``ops.py`` (so their gradients come for free).
"""
from __future__ import annotations

import builtins
import warnings

import numpy as np

from .. import _C
from .._dtype import int64, to_dtype
from ..tensor import Size, Tensor, _shape_arg, _wrap
from . import ops as O
from . import rules as R
from .graph import record


def _int_list(v, op: str) -> list:
    if isinstance(v, (builtins.int, np.integer)):
        return [builtins.int(v)]
    if isinstance(v, Tensor):
        return [builtins.int(a) for a in v.reshape(-1).tolist()]
    try:
        return [builtins.int(a) for a in v]
    except TypeError:
        raise TypeError(f"[{op}] expected an int or a sequence of ints, got {type(v).__name__}") from None



# ---- flips and rolls -------------------------------------------------------------------------
def flip(input, dims):
    """``input`` reversed along each dim in ``dims``."""
    O.check_tensor(input, "flip")
    d = _int_list(dims, "flip")
    out = _wrap(_C.flip(input._c, d))
    if O._needs(input):
        record(out, R.flip, (input,), (), d)
    return out


def fliplr(input):
    """Reverses dim 1 (left / right); input needs at least 2 dims."""
    if input.ndim < 2:
        raise RuntimeError(f"[fliplr] input must be >= 2-d, got shape {list(input.shape)}")
    return flip(input, [1])


def flipud(input):
    """Reverses dim 0 (up / down); input needs at least 1 dim."""
    if input.ndim < 1:
        raise RuntimeError("[flipud] input must be >= 1-d, got a 0-dim tensor")
    return flip(input, [0])


def roll(input, shifts, dims=None):
    """Shifts elements cyclically along ``dims`` (the flattened tensor when None)."""
    O.check_tensor(input, "roll")
    s = _int_list(shifts, "roll")
    d = [] if dims is None else _int_list(dims, "roll")
    out = _wrap(_C.roll(input._c, s, d))
    if O._needs(input):
        record(out, R.roll, (input,), (), (s, d))
    return out


def rot90(input, k=1, dims=(0, 1)):
    """Rotates by 90 degrees ``k`` times in the plane of ``dims`` (from the first towards the
    second)."""
    O.check_tensor(input, "rot90")
    d = _int_list(dims, "rot90")
    if len(d) != 2:
        raise RuntimeError(f"[rot90] expected total rotation dims == 2, but got dims = {len(d)}")
    if input.ndim < 2:
        raise RuntimeError(f"[rot90] expected total dims >= 2, but got total dims = {input.ndim}")
    a, b = (x % input.ndim for x in d)
    if a == b:
        raise RuntimeError(f"[rot90] expected rotation dims to be different, but got dim0 = {d[0]} and dim1 = {d[1]}")
    k = builtins.int(k) % 4
    if k == 1:
        return O.transpose(flip(input, [b]), a, b)
    if k == 2:
        return flip(input, [a, b])
    if k == 3:
        return flip(O.transpose(input, a, b), [b])
    return O.clone(input)


# ---- repeats ---------------------------------------------------------------------------------
def repeat(input, *sizes):
    """``Tensor.repeat``: tiles ``input`` ``sizes[i]`` times along dim i (extra leading sizes add
    dims)."""
    O.check_tensor(input, "repeat")
    reps = _shape_arg(sizes)
    out = _wrap(_C.repeat(input._c, reps))
    if O._needs(input):
        record(out, R.repeat, (input,), (), (tuple(input._c.shape), reps))
    return out


def tile(input, dims):
    """Like ``repeat``, padding ``dims`` with leading 1s when it has fewer entries than dims."""
    reps = _int_list(dims, "tile")
    reps = [1] * (input.ndim - len(reps)) + reps
    return repeat(input, reps)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each element (slice along ``dim``; the flattened tensor when None) repeated ``repeats``
    times (an int, or a tensor with one count per element). With only a tensor of counts,
    returns ``0..n-1`` each repeated that often."""
    if repeats is None:
        O.check_tensor(input, "repeat_interleave")
        return _wrap(_C.repeat_interleave_index(input._c, -1 if output_size is None else builtins.int(output_size)))
    O.check_tensor(input, "repeat_interleave")
    x = input.reshape(-1) if dim is None else input
    d = 0 if dim is None else builtins.int(dim)
    if x.ndim == 0:
        x = x.reshape(1)
    if not -x.ndim <= d < x.ndim:
        raise IndexError(f"[repeat_interleave] dim {d} out of range for a tensor of {input.ndim} dims")
    d %= x.ndim
    n = x.shape[d]
    if isinstance(repeats, Tensor):
        if repeats.ndim > 1:
            raise RuntimeError(f"[repeat_interleave] repeats must be 0-dim or 1-dim tensor, got shape {list(repeats.shape)}")
        if repeats.numel() == 1:
            repeats = O.expand(repeats.reshape(1), [n])
        elif repeats.shape[0] != n:
            raise RuntimeError(f"[repeat_interleave] repeats must have the same size as input along dim {d}: "
                               f"{repeats.shape[0]} vs {n}")
        idx = _wrap(_C.repeat_interleave_index(repeats._c, -1 if output_size is None else builtins.int(output_size)))
        return O.index_select(x, d, idx)
    r = builtins.int(repeats)
    if r < 0:
        raise RuntimeError(f"[repeat_interleave] repeats can not be negative, got {r}")
    if output_size is not None and builtins.int(output_size) != n * r:
        raise RuntimeError(f"[repeat_interleave] output_size ({output_size}) does not match {n} * {r}")
    shape = list(x.shape)
    expanded = O.expand(O.unsqueeze(x, d + 1), shape[:d + 1] + [r] + shape[d + 1:])
    return O.reshape(expanded, shape[:d] + [n * r] + shape[d + 1:])


# ---- triangles and diagonals -----------------------------------------------------------------
def tril(input, diagonal=0):
    """The lower triangle of the last two dims (elements with j - i <= diagonal), zeros above."""
    O.check_tensor(input, "tril")
    out = _wrap(_C.tril(input._c, builtins.int(diagonal)))
    if O._needs(input):
        record(out, R.tril, (input,), (), (builtins.int(diagonal), True))
    return out


def triu(input, diagonal=0):
    """The upper triangle of the last two dims (elements with j - i >= diagonal), zeros below."""
    O.check_tensor(input, "triu")
    out = _wrap(_C.triu(input._c, builtins.int(diagonal)))
    if O._needs(input):
        record(out, R.tril, (input,), (), (builtins.int(diagonal), False))
    return out


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """Coordinates (a [2, N] tensor) of the lower triangle of a row x col matrix."""
    return _wrap(_C.tril_indices(builtins.int(row), builtins.int(col), builtins.int(offset),
                                 (to_dtype(dtype) if dtype is not None else int64).code))


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """Coordinates (a [2, N] tensor) of the upper triangle of a row x col matrix."""
    return _wrap(_C.triu_indices(builtins.int(row), builtins.int(col), builtins.int(offset),
                                 (to_dtype(dtype) if dtype is not None else int64).code))


def diagonal(input, offset=0, dim1=0, dim2=1):
    """A view of the diagonal of the ``dim1`` x ``dim2`` planes (as the last dim)."""
    O.check_tensor(input, "diagonal")
    args = (builtins.int(offset), builtins.int(dim1), builtins.int(dim2))
    out = _wrap(_C.diagonal(input._c, *args))
    if O._needs(input):
        record(out, R.view_backward, (input,), (), (tuple(input._c.shape), lambda c: _C.diagonal(c, *args)))
    return out


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Places the last dim of ``input`` on the ``offset`` diagonal of new ``dim1`` x ``dim2``
    planes (zeros elsewhere)."""
    O.check_tensor(input, "diag_embed")
    args = (builtins.int(offset), builtins.int(dim1), builtins.int(dim2))
    out = _wrap(_C.diag_embed(input._c, *args))
    if O._needs(input):
        record(out, R.diag_embed, (input,), (), args)
    return out


_diagonal_view = diagonal


def diag(input, diagonal=0):
    """1-D input: a square matrix with it on the ``diagonal``; 2-D input: a copy of that
    diagonal."""
    O.check_tensor(input, "diag")
    if input.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input.ndim == 2:
        return O.clone(_diagonal_view(input, diagonal, 0, 1))
    raise RuntimeError(f"[diag] expected a 1-D or 2-D tensor, got shape {list(input.shape)}")


def diagflat(input, offset=0):
    """``diag`` of the flattened input."""
    return diag_embed(O.reshape(input, -1), offset, 0, 1)


def trace(input):
    """Sum of the main diagonal of a 2-D tensor (int64 for integer input)."""
    if input.ndim != 2:
        raise RuntimeError(f"[trace] expected a matrix, but got tensor with dim {input.ndim}")
    return O.sum(diagonal(input, 0, 0, 1))


# ---- broadcasting, splitting, stacking -------------------------------------------------------
def broadcast_shapes(*shapes):
    """The shape all ``shapes`` broadcast to."""
    out: list = []
    for s in shapes:
        s = [builtins.int(v) for v in ((s,) if isinstance(s, (builtins.int, np.integer)) else s)]
        if len(s) > len(out):
            out = [1] * (len(s) - len(out)) + out
        for i in range(1, len(s) + 1):
            a, b = out[-i], s[-i]
            if a != b and a != 1 and b != 1:
                raise RuntimeError(f"[broadcast_shapes] shape mismatch: objects cannot be broadcast to a single shape "
                                   f"({tuple(out)} vs {tuple(s)})")
            out[-i] = b if a == 1 else a
    return Size(out)


def broadcast_tensors(*tensors):
    """Views of every tensor expanded to their common broadcast shape."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = list(broadcast_shapes(*[t.shape for t in tensors]))
    return tuple(O.expand(t, shape) for t in tensors)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 1-D tensors: ``indexing='ij'`` (matrix, the default) or ``'xy'``
    (Cartesian: the first two dims swapped)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
                      UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ValueError(f"[meshgrid] indexing must be one of 'xy' or 'ij', but received: {indexing}")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"[meshgrid] expects all tensors to be 0-D or 1-D, got shape {list(t.shape)}")
    flat = [O.reshape(t, -1) for t in tensors]
    swap = indexing == "xy" and len(flat) >= 2
    if swap:
        flat[0], flat[1] = flat[1], flat[0]
    shape = [t.shape[0] for t in flat]
    grids = []
    for i, t in enumerate(flat):
        view = [1] * len(flat)
        view[i] = -1
        grids.append(O.expand(O.reshape(t, view), shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def tensor_split(input, indices_or_sections, dim=0):
    """Splits into ``n`` nearly equal parts (an int: the first ``size % n`` one larger) or at the
    given indices, as views."""
    O.check_tensor(input, "tensor_split")
    if input.ndim == 0:
        raise RuntimeError("[tensor_split] expected at least a 1-dimensional tensor")
    d = builtins.int(dim) % input.ndim
    size = input.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        if ios.dtype.is_floating_point or ios.ndim > 1:
            raise RuntimeError("[tensor_split] expected tensor_indices_or_sections to be a zero-dimensional or "
                               "one-dimensional tensor of integers")
        ios = ios.item() if ios.ndim == 0 else ios.tolist()
    if isinstance(ios, (builtins.int, np.integer)):
        n = builtins.int(ios)
        if n <= 0:
            raise RuntimeError(f"[tensor_split] number of sections must be larger than 0, got {n}")
        base, extra = divmod(size, n)
        bounds, start = [], 0
        for i in range(n):
            stop = start + base + (1 if i < extra else 0)
            bounds.append((start, stop))
            start = stop
    else:
        cuts = [builtins.int(i) for i in ios]
        edges = [0] + cuts + [size]
        bounds = [(builtins.min(builtins.max(a, 0), size), builtins.min(builtins.max(b, 0), size))
                  for a, b in zip(edges[:-1], edges[1:])]
    return tuple(O.narrow(input, d, a, builtins.max(b - a, 0)) for a, b in bounds)


def hsplit(input, indices_or_sections):
    return tensor_split(input, indices_or_sections, 0 if input.ndim == 1 else 1)


def vsplit(input, indices_or_sections):
    return tensor_split(input, indices_or_sections, 0)


def dstack(tensors):
    """Stacks along dim 2 after making every tensor at least 3-D."""
    return O.cat([atleast_3d(t) for t in tensors], 2)


def column_stack(tensors):
    """Stacks 0-D / 1-D tensors as columns (and 2-D ones as they are) along dim 1."""
    return O.cat([O.reshape(t, [-1, 1]) if t.ndim <= 1 else t for t in tensors], 1)


def atleast_1d(x):
    return O.reshape(x, [1]) if x.ndim == 0 else x


def atleast_2d(x):
    return O.reshape(x, [1] * (2 - x.ndim) + list(x.shape)) if x.ndim < 2 else x


def atleast_3d(x):
    if x.ndim == 0:
        return O.reshape(x, [1, 1, 1])
    if x.ndim == 1:
        return O.reshape(x, [1, -1, 1])
    if x.ndim == 2:
        return O.unsqueeze(x, 2)
    return x


def take_along_dim(input, indices, dim=None):
    """Values of ``input`` at ``indices`` along ``dim`` (input and indices broadcast against each
    other outside dim); with no dim, indices into the flattened input."""
    O.check_tensor(input, "take_along_dim")
    if dim is None:
        return O.gather(O.reshape(input, -1), 0, O.reshape(indices, -1))
    if input.ndim != indices.ndim:
        raise RuntimeError(f"[take_along_dim] input and indices should have the same number of dimensions, but got "
                           f"{input.ndim} dimensions for input, and {indices.ndim} dimensions for indices")
    d = builtins.int(dim) % builtins.max(input.ndim, 1)
    ishape, xshape = list(indices.shape), list(input.shape)
    ishape[d] = xshape[d] = 1
    common = list(broadcast_shapes(ishape, xshape))
    xs = common[:d] + [input.shape[d]] + common[d + 1:]
    js = common[:d] + [indices.shape[d]] + common[d + 1:]
    return O.gather(O.expand(input, xs), d, O.expand(indices, js))


def moveaxis(input, source, destination):
    return O.movedim(input, source, destination)


# ---- in-place views --------------------------------------------------------------------------
def _inplace_view(name, fn):
    def op(x, *args):
        O._check_inplace(x, name)
        out = fn(O._old_alias(x) if O._needs(x) else x.detach(), *args)
        x._c = out._c
        if out.grad_fn is not None:
            x.grad_fn = out.grad_fn
        return x

    op.__name__ = name
    return op


squeeze_ = _inplace_view("squeeze_", lambda x, dim=None: O.squeeze(x, dim))
unsqueeze_ = _inplace_view("unsqueeze_", lambda x, dim: O.unsqueeze(x, dim))
t_ = _inplace_view("t_", lambda x: O.t(x))
transpose_ = _inplace_view("transpose_", lambda x, dim0, dim1: O.transpose(x, dim0, dim1))
swapaxes_ = swapdims_ = transpose_


_METHODS = ["flip", "fliplr", "flipud", "roll", "rot90", "repeat", "tile", "repeat_interleave", "tril", "triu",
            "diagonal", "diag_embed", "diag", "diagflat", "trace", "tensor_split", "hsplit", "vsplit",
            "take_along_dim", "moveaxis", "squeeze_", "unsqueeze_", "t_", "transpose_", "swapaxes_", "swapdims_"]
for _name in _METHODS:
    setattr(Tensor, _name, globals()[_name])

__all__ = [n for n in _METHODS if not n.endswith("_")] + [
    "tril_indices", "triu_indices", "broadcast_shapes", "broadcast_tensors", "meshgrid", "dstack", "column_stack",
    "atleast_1d", "atleast_2d", "atleast_3d"]
