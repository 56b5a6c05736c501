"""Math beyond the basics: more elementwise functions (hyperbolic, erfinv, logit, fmod, hypot,
xlogy, bitwise and shifts), contractions (``einsum``, ``tensordot``, ``kron``), distances
(``cdist``), ``cross``, ``matrix_power`` and the ``add*`` fused forms.

Elementwise functions are one C++ kernel each with a backward rule. ``einsum`` lowers any
equation to diagonals, sums, permutes / reshapes and one batched GEMM per operand pair, so it
runs on the fast matmul; the other composites are built from differentiable ops.
"""
from __future__ import annotations

import builtins
import functools
import math
import warnings

import numpy as np

from .. import _C
from .._dtype import bool_
from ..tensor import Tensor, _shape_arg, _wrap
from . import ops as O
from . import rules as R
from .graph import record


# ---- elementwise -----------------------------------------------------------------------------
def sinh(input):
    return O._unary("Sinh", R.sinh, input, save_input=True)


def cosh(input):
    return O._unary("Cosh", R.cosh, input, save_input=True)


def asinh(input):
    return O._unary("Asinh", R.asinh, input, save_input=True)


def acosh(input):
    return O._unary("Acosh", R.acosh, input, save_input=True)


def atanh(input):
    return O._unary("Atanh", R.atanh, input, save_input=True)


arcsinh, arccosh, arctanh = asinh, acosh, atanh


def exp2(input):
    """2 ** input."""
    return O._unary("Exp2", R.exp2, input, save_output=True)


def erfinv(input):
    """The inverse error function (NaN outside [-1, 1], +-inf at +-1)."""
    return O._unary("Erfinv", R.erfinv, input, save_output=True)


def erfc(input):
    """1 - erf(input), accurate where erf is close to 1."""
    return O._unary("Erfc", R.erfc, input, save_input=True)


def frac(input):
    """input - trunc(input) (floating dtypes)."""
    return O._unary("Frac", R.identity, input)


def logit(input, eps=None):
    """log(p / (1 - p)), with p clamped to [eps, 1 - eps] when eps is given."""
    e = float("nan") if eps is None else builtins.float(eps)
    return O._unary("Logit", R.logit, input, e, save_input=True)


def fmod(input, other):
    """C's fmod: the remainder of input / other with the sign of input."""
    return O._binary("Fmod", R.fmod, input, other)


def hypot(input, other):
    """sqrt(input ** 2 + other ** 2) without overflow."""
    if not isinstance(input, Tensor):
        input = O.as_operand(input, other)
    if not isinstance(other, Tensor):
        other = O.as_operand(other, input)
    out = _wrap(_C.binary(O.B["Hypot"], input._c, other._c, 1.0, 0.0))
    if O._needs(input, other):
        record(out, R.hypot, (input, other), (input, other), None, save_output=True)
    return out


def xlogy(input, other):
    """input * log(other), 0 where input is 0 (unless other is NaN)."""
    return O._binary("Xlogy", R.xlogy, input, other)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (default: the dtype's
    largest / lowest finite values)."""
    if not input.dtype.is_floating_point:
        return O.clone(input)
    info = np.finfo(input.dtype.np)
    hi = builtins.float(info.max) if posinf is None else builtins.float(posinf)
    lo = builtins.float(info.min) if neginf is None else builtins.float(neginf)
    out = O.where(O.isnan(input), builtins.float(nan), input)
    out = O.where(O.eq(input, math.inf), hi, out)
    return O.where(O.eq(input, -math.inf), lo, out)


def _integer_binary(op: str, name: str):
    def fn(input, other):
        a = input if isinstance(input, Tensor) else O.as_operand(input, other)
        b = other if isinstance(other, Tensor) else O.as_operand(other, a)
        if a.dtype.is_floating_point or b.dtype.is_floating_point:
            raise RuntimeError(f"[{name}] not implemented for floating point tensors ({a.dtype}, {b.dtype})")
        return _wrap(_C.binary(O.B[op], a._c, b._c, 1.0, 0.0))

    fn.__name__ = name
    return fn


bitwise_and = _integer_binary("BitwiseAnd", "bitwise_and")
bitwise_or = _integer_binary("BitwiseOr", "bitwise_or")
bitwise_xor = _integer_binary("BitwiseXor", "bitwise_xor")
bitwise_left_shift = _integer_binary("LeftShift", "bitwise_left_shift")
bitwise_right_shift = _integer_binary("RightShift", "bitwise_right_shift")


def bitwise_not(input):
    if input.dtype.is_floating_point:
        raise RuntimeError(f"[bitwise_not] not implemented for floating point tensors ({input.dtype})")
    return _wrap(_C.unary(O.U["BitwiseNot"], input._c, 0.0, 0.0))


def _inplace_of(fn, name):
    def op(x, *args, **kwargs):
        O._check_inplace(x, name)
        if O._needs(x) or builtins.any(isinstance(a, Tensor) and O._needs(a) for a in args):
            return O._inplace(x, fn(O._old_alias(x), *args, **kwargs))
        return O.copy_(x, fn(x, *args, **kwargs))

    op.__name__ = name
    return op


frac_ = _inplace_of(frac, "frac_")
fmod_ = _inplace_of(fmod, "fmod_")
logit_ = _inplace_of(logit, "logit_")
erfinv_ = _inplace_of(erfinv, "erfinv_")
nan_to_num_ = _inplace_of(nan_to_num, "nan_to_num_")
sinh_ = _inplace_of(sinh, "sinh_")
cosh_ = _inplace_of(cosh, "cosh_")


# ---- einsum ----------------------------------------------------------------------------------
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _sublist_equation(args):
    """einsum(op0, sub0, op1, sub1, ..., [out]) -> (equation, operands)."""
    ops, terms = [], []
    rest = list(args)
    while len(rest) >= 2:
        ops.append(rest.pop(0))
        terms.append(rest.pop(0))
    out = rest[0] if rest else None

    def conv(sub):
        parts = []
        for s in sub:
            if s is Ellipsis:
                parts.append("...")
            elif isinstance(s, (builtins.int, np.integer)) and 0 <= s < 52:
                parts.append(_LETTERS[builtins.int(s)])
            else:
                raise ValueError(f"[einsum] subscript in a sublist must be an int in [0, 52) or Ellipsis, got {s!r}")
        return "".join(parts)

    eq = ",".join(conv(t) for t in terms)
    if out is not None:
        eq += "->" + conv(out)
    return eq, ops


@functools.lru_cache(maxsize=256)
def _einsum_labels(eq: str, ndims: tuple):
    """Per operand its dims' labels (ellipsis dims get labels of their own, right-aligned), and
    the output's labels."""
    eq = eq.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ndims):
        raise ValueError(f"[einsum] the equation has {len(terms)} operand(s) but {len(ndims)} tensor(s) were given")
    for term in terms + ([rhs] if arrow else []):
        bad = [c for c in term.replace("...", "") if c not in _LETTERS]
        if bad or term.count("...") > 1:
            raise ValueError(f"[einsum] invalid subscript term '{term}' in equation '{eq}'")
    ell = 0
    for i, (term, nd) in enumerate(zip(terms, ndims)):
        explicit = len(term.replace("...", ""))
        if "..." in term:
            if explicit > nd:
                raise ValueError(f"[einsum] operand {i} has {nd} dims, fewer than the {explicit} subscripts of '{term}'")
            ell = builtins.max(ell, nd - explicit)
        elif explicit != nd:
            raise ValueError(f"[einsum] the number of subscripts in the equation ({explicit}) does not match the number "
                             f"of dimensions ({nd}) for operand {i} and no ellipsis was given")
    ell_labels = [chr(0x100 + k) for k in range(ell)]

    def expand(term, nd):
        if "..." not in term:
            return list(term)
        head, _, tail = term.partition("...")
        m = nd - len(head) - len(tail)
        return list(head) + ell_labels[ell - m:] + list(tail)

    labels = [expand(t, nd) for t, nd in zip(terms, ndims)]
    if arrow:
        out = list(rhs.replace("...", "\0"))
        out = [x for c in out for x in (ell_labels if c == "\0" else [c])]
        if len(set(out)) != len(out):
            raise ValueError(f"[einsum] output subscript appears more than once in '{rhs}'")
        present = {c for ls in labels for c in ls}
        for c in out:
            if c not in present:
                raise ValueError(f"[einsum] output subscript {c} does not appear in the equation for any input operand")
    else:
        counts = {}
        for ls in labels:
            for c in ls:
                counts[c] = counts.get(c, 0) + 1
        out = ell_labels + sorted(c for c, n in counts.items() if n == 1 and c not in ell_labels)
    return tuple(tuple(ls) for ls in labels), tuple(out)


def _take_diagonals(x, labels):
    """Collapses repeated labels of one operand onto their diagonal."""
    labels = list(labels)
    while len(set(labels)) != len(labels):
        c = next(c for c in labels if labels.count(c) > 1)
        i = labels.index(c)
        j = labels.index(c, i + 1)
        if x.shape[i] != x.shape[j]:
            raise ValueError(f"[einsum] subscript {c} is repeated for operand but the sizes don't match, "
                             f"{x.shape[i]} != {x.shape[j]}")
        from .shape_ops import diagonal
        x = diagonal(x, 0, i, j)
        labels = [l for k, l in enumerate(labels) if k not in (i, j)] + [c]
    return x, labels


def _sum_labels(x, labels, drop):
    dims = [k for k, c in enumerate(labels) if c in drop]
    if not dims:
        return x, labels
    return O.sum(x, dims), [c for c in labels if c not in drop]


def _permuted(x, labels, order):
    if list(labels) == list(order):
        return x
    return O.permute(x, [labels.index(c) for c in order])


def _contract(a, la, b, lb, needed):
    """a x b over their shared labels not needed later; shared needed ones are batch dims."""
    a, la = _sum_labels(a, la, {c for c in la if c not in lb and c not in needed})
    b, lb = _sum_labels(b, lb, {c for c in lb if c not in la and c not in needed})
    batch = [c for c in la if c in lb and c in needed]
    contr = [c for c in la if c in lb and c not in needed]
    left = [c for c in la if c not in lb]
    right = [c for c in lb if c not in la]
    size = {}
    for x, ls in ((a, la), (b, lb)):
        for k, c in enumerate(ls):
            size[c] = builtins.max(size.get(c, 1), x.shape[k])
    a = _permuted(a, la, batch + left + contr)
    b = _permuted(b, lb, batch + contr + right)
    bs = [size[c] for c in batch]
    if not contr:
        a = O.reshape(a, [a.shape[k] for k in range(len(batch) + len(left))] + [1] * len(right))
        b = O.reshape(b, [b.shape[k] for k in range(len(batch))] + [1] * len(left) +
                      [b.shape[len(batch) + k] for k in range(len(right))])
        return O.mul(a, b), batch + left + right
    ks = [size[c] for c in contr]
    ls = list(a.shape[len(batch):len(batch) + len(left)])
    rs = list(b.shape[len(batch) + len(contr):])
    if tuple(a.shape[:len(batch)]) != tuple(bs) or tuple(a.shape[len(batch) + len(left):]) != tuple(ks):
        a = O.expand(a, bs + ls + ks)
    if tuple(b.shape[:len(batch)]) != tuple(bs) or tuple(b.shape[len(batch):len(batch) + len(contr)]) != tuple(ks):
        b = O.expand(b, bs + ks + rs)
    nb, nk = math.prod(bs), math.prod(ks)
    a3 = O.reshape(a, [nb, math.prod(ls), nk])
    b3 = O.reshape(b, [nb, nk, math.prod(rs)])
    out = O.matmul(a3, b3)
    return O.reshape(out, bs + ls + rs), batch + left + right


def einsum(*args):
    """Einstein summation: ``einsum("bij,bjk->bik", a, b)``; ellipsis, repeated subscripts
    (diagonals), implicit output, broadcasting of size-1 dims and the sublist form
    ``einsum(a, [0, 1], b, [1, 2], [0, 2])`` as in PyTorch. Contracts left to right, each pair
    as one batched GEMM."""
    if args and isinstance(args[0], str):
        eq, ops = args[0], list(args[1:])
        if len(ops) == 1 and isinstance(ops[0], (list, tuple)):
            ops = list(ops[0])
    else:
        eq, ops = _sublist_equation(args)
    for i, t in enumerate(ops):
        if not isinstance(t, Tensor):
            raise TypeError(f"[einsum] operand {i} is not a Tensor but {type(t).__name__}")
    labels, out = _einsum_labels(eq, tuple(t.ndim for t in ops))
    sizes = {}
    for i, (t, ls) in enumerate(zip(ops, labels)):
        for k, c in enumerate(ls):
            s = t.shape[k]
            prev = sizes.get(c)
            if prev is not None and prev != s and prev != 1 and s != 1:
                name = c if c in _LETTERS else "..."
                raise ValueError(f"[einsum] subscript {name} has size {s} for operand {i} which does not broadcast "
                                 f"with previously seen size {prev}")
            sizes[c] = s if prev in (None, 1) else prev
    work = [_take_diagonals(t, ls) for t, ls in zip(ops, labels)]
    counts = {}
    for _, ls in work:
        for c in set(ls):
            counts[c] = counts.get(c, 0) + 1
    outset = set(out)
    work = [_sum_labels(t, ls, {c for c in ls if c not in outset and counts[c] == 1}) for t, ls in work]
    cur, cl = work[0]
    for k in range(1, len(work)):
        needed = outset.union(*(set(ls) for _, ls in work[k + 1:]))
        cur, cl = _contract(cur, cl, work[k][0], work[k][1], needed)
    cur, cl = _sum_labels(cur, cl, {c for c in cl if c not in outset})
    cur = _permuted(cur, cl, list(out))
    want = [sizes[c] for c in out]
    if list(cur.shape) != want:
        cur = O.expand(cur, want)
    return cur


# ---- contractions and products -----------------------------------------------------------------
def tensordot(a, b, dims=2):
    """Sums a x b over the last ``dims`` dims of a and the first of b, or over the dim lists
    ``dims = ([a dims], [b dims])``."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, (builtins.int, np.integer)):
        n = builtins.int(dims)
        if n < 0:
            raise RuntimeError(f"[tensordot] expects dims >= 0, but got dims={n}")
        da, db = list(range(a.ndim - n, a.ndim)), list(range(n))
    else:
        da, db = [list(d) if isinstance(d, (list, tuple)) else [d] for d in dims]
    da = [d % builtins.max(a.ndim, 1) for d in da]
    db = [d % builtins.max(b.ndim, 1) for d in db]
    if len(da) != len(db):
        raise RuntimeError(f"[tensordot] both dimension lists should have same length, got {da} and {db}")
    for x, y in zip(da, db):
        if a.shape[x] != b.shape[y]:
            raise RuntimeError(f"[tensordot] contracted dimensions need to match, but first has size {a.shape[x]} in "
                               f"dim {x} and second has size {b.shape[y]} in dim {y}")
    fa = [d for d in range(a.ndim) if d not in da]
    fb = [d for d in range(b.ndim) if d not in db]
    k = math.prod(a.shape[d] for d in da)
    a2 = O.reshape(O.permute(a, fa + da), [math.prod(a.shape[d] for d in fa), k])
    b2 = O.reshape(O.permute(b, db + fb), [k, math.prod(b.shape[d] for d in fb)])
    return O.reshape(O.matmul(a2, b2), [a.shape[d] for d in fa] + [b.shape[d] for d in fb])


def vdot(input, other):
    """Dot product of two 1-D tensors (real dtypes: no conjugation)."""
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"[vdot] 1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    if input.shape[0] != other.shape[0]:
        raise RuntimeError(f"[vdot] inconsistent tensor size, expected tensor [{input.shape[0]}] and src "
                           f"[{other.shape[0]}] to have the same number of elements")
    return O.sum(O.mul(input, other))


def kron(input, other):
    """Kronecker product: block (i, j, ...) is input[i, j, ...] * other."""
    nd = builtins.max(input.ndim, other.ndim)
    a = O.reshape(input, [1] * (nd - input.ndim) + list(input.shape))
    b = O.reshape(other, [1] * (nd - other.ndim) + list(other.shape))
    ai, bi = [], []
    for s in a.shape:
        ai += [s, 1]
    for s in b.shape:
        bi += [1, s]
    prod = O.mul(O.reshape(a, ai), O.reshape(b, bi))
    return O.reshape(prod, [x * y for x, y in zip(a.shape, b.shape)])


def cross(input, other, dim=None):
    """Cross product of 3-vectors along ``dim`` (default: the first dim of size 3, deprecated
    as in PyTorch)."""
    shape = list(broadcast_shape(input, other))
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated. Please either pass the dim "
                      "explicitly or simply use torch.linalg.cross.", UserWarning, stacklevel=2)
        dim = next((i for i, s in enumerate(shape) if s == 3), None)
        if dim is None:
            raise RuntimeError(f"[cross] no dimension of size 3 in input (broadcast shape {shape})")
    return linalg_cross(input, other, dim=dim)


def broadcast_shape(a, b):
    from .shape_ops import broadcast_shapes
    return broadcast_shapes(a.shape, b.shape)


def linalg_cross(input, other, *, dim=-1):
    """Cross product of 3-vectors along ``dim`` (inputs broadcast)."""
    shape = list(broadcast_shape(input, other))
    nd = builtins.max(len(shape), 1)
    if not -nd <= dim < nd:
        raise IndexError(f"[cross] dim {dim} out of range for a tensor of {len(shape)} dims")
    d = dim % nd
    if not shape or shape[d] != 3:
        raise RuntimeError(f"[cross] inputs dimension {dim} must have length 3, got shapes {list(input.shape)} and "
                           f"{list(other.shape)}")
    a, b = O.expand(input, shape), O.expand(other, shape)
    a1, a2, a3 = (O.select(a, d, i) for i in range(3))
    b1, b2, b3 = (O.select(b, d, i) for i in range(3))
    return O.stack([O.sub(O.mul(a2, b3), O.mul(a3, b2)), O.sub(O.mul(a3, b1), O.mul(a1, b3)),
                    O.sub(O.mul(a1, b2), O.mul(a2, b1))], d)


def matrix_power(input, n):
    """The n-th power (n >= 0) of square matrices (the last two dims), by repeated squaring."""
    if input.ndim < 2 or input.shape[-1] != input.shape[-2]:
        raise RuntimeError(f"[matrix_power] expected a tensor of square matrices, got shape {list(input.shape)}")
    n = builtins.int(n)
    if n < 0:
        raise NotImplementedError("[matrix_power] negative powers need a matrix inverse, which tensorforge does not "
                                  "provide yet")
    if n == 0:  # the identity, still connected to the graph (a zero gradient, as in PyTorch)
        eye = _wrap(_C.eye(input.shape[-1], -1, input.dtype.code))
        return O.add(O.mul(input, 0), eye)
    result, base = None, input
    while n:
        if n & 1:
            result = base if result is None else O.matmul(result, base)
        n >>= 1
        if n:
            base = O.matmul(base, base)
    return result if result is not input else O.clone(result)


def _scaled_add(input, prod, beta, alpha):
    if alpha != 1:
        prod = O.mul(prod, alpha)
    if beta == 0:  # input is ignored (its NaN / inf do not propagate) but gets a zero gradient
        return O.add(prod, O.mul(O.where(O.isfinite(input), input, 0.0), 0.0))
    return O.add(prod, input if beta == 1 else O.mul(input, beta))


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * (batch1 @ batch2), batched [b, n, m]."""
    return _scaled_add(input, O.bmm(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * sum_b (batch1[b] @ batch2[b])."""
    if batch1.ndim != 3 or batch2.ndim != 3:
        raise RuntimeError(f"[addbmm] batch1 and batch2 must be 3D tensors, got {list(batch1.shape)} and "
                           f"{list(batch2.shape)}")
    b, n, k = batch1.shape
    m = batch2.shape[2]
    prod = O.matmul(O.reshape(O.permute(batch1, [1, 0, 2]), [n, b * k]), O.reshape(batch2, [b * k, m]))
    return _scaled_add(input, prod, beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """beta * input + alpha * (mat @ vec)."""
    if mat.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"[addmv] expected a matrix and a vector, got shapes {list(mat.shape)} and {list(vec.shape)}")
    return _scaled_add(input, O.matmul(mat, vec), beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """beta * input + alpha * outer(vec1, vec2)."""
    if vec1.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(f"[addr] expected 1-D vectors, got shapes {list(vec1.shape)} and {list(vec2.shape)}")
    return _scaled_add(input, O.outer(vec1, vec2), beta, alpha)


# ---- distances -------------------------------------------------------------------------------
_CDIST_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """p-norm distances between the rows of x1 [..., P, M] and x2 [..., R, M]: [..., P, R].
    p = 2 goes through one GEMM (|a|^2 + |b|^2 - 2 a.b) for more than 25 rows (or when asked);
    other p are computed directly."""
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"[cdist] only supports at least 2D tensors, X1 got: {x1.ndim}D, X2 got: {x2.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"[cdist] X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} "
                           f"X2: {x2.shape[-1]}")
    if not x1.dtype.is_floating_point or x1.dtype is not x2.dtype:
        raise RuntimeError(f"[cdist] only supports floating-point dtypes (the same for both), got {x1.dtype} and "
                           f"{x2.dtype}")
    p = builtins.float(p)
    if p < 0:
        raise RuntimeError(f"[cdist] only supports non-negative p values, got {p}")
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"[cdist] {compute_mode} is not a valid value for compute_mode")
    from .shape_ops import broadcast_shapes
    batch = list(broadcast_shapes(x1.shape[:-2], x2.shape[:-2]))
    a = O.expand(x1, batch + list(x1.shape[-2:]))
    b = O.expand(x2, batch + list(x2.shape[-2:]))
    use_mm = p == 2 and (compute_mode == "use_mm_for_euclid_dist" or (
        compute_mode == _CDIST_MODES[0] and (x1.shape[-2] > 25 or x2.shape[-2] > 25)))
    from .graph import no_grad
    with no_grad():
        if use_mm:
            sq = O.add(O.add(O.sum(O.mul(a, a), -1, keepdim=True), O.unsqueeze(O.sum(O.mul(b, b), -1), -2)),
                       O.mul(O.matmul(a, O.transpose(b, -1, -2)), -2.0))
            out = O.sqrt(O.clamp(sq, min=0.0))
        else:
            diff = O.abs(O.sub(O.unsqueeze(a, -2), O.unsqueeze(b, -3)))
            if p == 0:
                out = O.to_dtype_op(O.sum(O.ne(diff, 0.0), -1), a.dtype)
            elif p == math.inf:
                out = O.amax(diff, -1)
            elif p == 1:
                out = O.sum(diff, -1)
            elif p == 2:
                out = O.sqrt(O.sum(O.mul(diff, diff), -1))
            else:
                out = O.pow(O.sum(O.pow(diff, p), -1), 1.0 / p)
    if O._needs(x1, x2):
        record(out, R.cdist, (x1, x2), (a, b), p, save_output=True)
    return out


def pdist(input, p=2.0):
    """Distances between all pairs of rows (i < j) of a 2-D input, flattened."""
    if input.ndim != 2:
        raise RuntimeError(f"[pdist] only supports 2D tensors, got: {input.ndim}D")
    n = input.shape[0]
    d = cdist(input, input, p, "donot_use_mm_for_euclid_dist")
    from .shape_ops import triu_indices
    iu = triu_indices(n, n, 1)
    return d[iu[0], iu[1]]


# ---- Tensor helpers --------------------------------------------------------------------------
def _contains(self, element) -> bool:
    if isinstance(element, (Tensor, builtins.int, builtins.float, builtins.bool, np.number)):
        return builtins.bool(O.any(O.eq(self, element)).item())
    raise RuntimeError(f"[__contains__] Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
                       f"{type(element).__name__}")


def type_as(input, other):
    return O.to_dtype_op(input, other.dtype)


def sum_to_size(input, *size):
    shape = _shape_arg(size)
    full = list(input.shape)
    ok = len(shape) <= len(full) and all(s == f or s == 1 for s, f in zip(shape[::-1], full[::-1]))
    if not ok:
        raise RuntimeError(f"[sum_to_size] size {shape} is not expandable to size {full}")
    return R.sum_to(input, shape)


def _bitwise_dunder(op, logical):
    def fn(self, other):
        o = other if isinstance(other, Tensor) else O.as_operand(other, self)
        if self.dtype is bool_ and o.dtype is bool_:
            return logical(self, o)
        return op(self, o)

    return fn


def _invert(self):
    return O.logical_not(self) if self.dtype is bool_ else bitwise_not(self)


_METHODS = ["sinh", "cosh", "asinh", "acosh", "atanh", "arcsinh", "arccosh", "arctanh", "exp2", "erfinv", "erfc", "frac",
            "logit", "fmod", "hypot", "xlogy", "nan_to_num", "bitwise_and", "bitwise_or", "bitwise_xor",
            "bitwise_not", "bitwise_left_shift", "bitwise_right_shift", "frac_", "fmod_", "logit_", "erfinv_",
            "nan_to_num_", "sinh_", "cosh_", "vdot", "kron", "cross", "matrix_power", "baddbmm", "addbmm", "addmv",
            "addr", "type_as", "sum_to_size"]
for _name in _METHODS:
    setattr(Tensor, _name, globals()[_name])
Tensor.__contains__ = _contains
Tensor.__and__ = Tensor.__rand__ = _bitwise_dunder(bitwise_and, lambda a, b: O.logical_and(a, b))
Tensor.__or__ = Tensor.__ror__ = _bitwise_dunder(bitwise_or, lambda a, b: O.logical_or(a, b))
Tensor.__xor__ = Tensor.__rxor__ = _bitwise_dunder(bitwise_xor, lambda a, b: O.logical_xor(a, b))
Tensor.__invert__ = _invert
Tensor.__lshift__ = lambda self, other: bitwise_left_shift(self, other)
Tensor.__rshift__ = lambda self, other: bitwise_right_shift(self, other)
Tensor.__rlshift__ = lambda self, other: bitwise_left_shift(O.as_operand(other, self), self)
Tensor.__rrshift__ = lambda self, other: bitwise_right_shift(O.as_operand(other, self), self)

__all__ = [n for n in _METHODS if not n.endswith("_") and n not in ("type_as", "sum_to_size")] + [
    "einsum", "tensordot", "cdist", "pdist"]
