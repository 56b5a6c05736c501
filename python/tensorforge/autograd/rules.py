"""Every op's backward rule, in one place.

A rule is ``rule(node, grad) -> tuple of gradients``, one per entry of ``node.parents`` (None
where no gradient is needed). ``node.saved`` holds the tensors recorded at forward time (the
op's output last, for ops recorded with ``save_output``) and ``node.info`` any plain values.
Rules are written with tensor ops so that ``create_graph=True`` differentiates them again;
the fused C++ backward kernels (activations, softmax) are used where they exist.
"""
from __future__ import annotations

import math

from .. import _C
from ..tensor import _wrap
from . import ops as O


# ---- helpers ---------------------------------------------------------------------------------
def sum_to(g, shape):
    """Sums a broadcast gradient back down to ``shape``."""
    shape = tuple(shape)
    gshape = g._c.shape
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    dims = list(range(lead)) + [i + lead for i, s in enumerate(shape) if s == 1 and gshape[i + lead] != 1]
    if dims:
        g = O.sum(g, dims, keepdim=True)
    return O.reshape(g, list(shape)) if g._c.shape != shape else g


def _needs(node, i) -> bool:
    p = node.parents[i]
    return p is not None and p._requires_grad


def _expand_reduced(g, shape, dims, keepdim):
    """Broadcasts the gradient of a reduction back over the reduced dims."""
    nd = len(shape)
    if not keepdim and nd:
        ds = sorted(d % nd for d in dims) if dims else list(range(nd))
        for d in ds:
            g = O.unsqueeze(g, d)
    return O.expand(g, list(shape))


def _reduced_count(shape, dims) -> int:
    nd = len(shape)
    if not dims:
        return math.prod(shape)
    return math.prod(shape[d % nd] for d in dims) if nd else 1


def _one_minus(t):
    return O.sub(O.as_operand(1.0, t), t)


def _zeros(shape, dtype):
    return _wrap(_C.full(list(shape), 0.0, dtype.code))


def _fused(op, g, t, alpha=0.0, beta=0.0):
    return _wrap(_C.binary(O.B[op], g._c, t._c, alpha, beta))


# ---- arithmetic ------------------------------------------------------------------------------
def add(node, g):
    a, b = node.parents
    alpha = node.info
    ga = sum_to(g, a._c.shape) if a._requires_grad else None
    gb = None
    if b._requires_grad:
        gb = sum_to(g if alpha == 1.0 else (O.neg(g) if alpha == -1.0 else O.mul(g, alpha)), b._c.shape)
    return ga, gb


def mul(node, g):
    a, b = node.parents
    sb, sa = node.saved
    ga = sum_to(O.mul(g, sb), a._c.shape) if a._requires_grad else None
    gb = sum_to(O.mul(g, sa), b._c.shape) if b._requires_grad else None
    return ga, gb


def div(node, g):
    a, b = node.parents
    bs = node.saved[0]
    ga = sum_to(O.div(g, bs), a.shape) if a._requires_grad else None
    gb = None
    if b._requires_grad:
        out = node.saved[-1]
        gb = sum_to(O.neg(O.div(O.mul(g, out), bs)), b.shape)
    return ga, gb


def pow(node, g):
    a, b = node.parents
    sa, sb = node.saved
    ga = gb = None
    if a._requires_grad:
        ga = sum_to(O.mul(O.mul(g, sb), O.pow(sa, O.sub(sb, 1.0))), a.shape)
    if b._requires_grad:
        out = O.pow(sa, sb)
        safe_log = O.where(O.eq(sa, 0.0), _zeros(sa.shape, sa.dtype), O.log(sa))
        gb = sum_to(O.mul(O.mul(g, out), safe_log), b.shape)
    return ga, gb


def pow_scalar(node, g):
    (x,) = node.saved
    p = node.info[0]
    if p == 0.0:
        return (O.mul(g, 0.0),)
    return (O.mul(O.mul(g, p), O.pow(x, p - 1.0)),)


def remainder(node, g):
    a, b = node.parents
    sa, sb = node.saved
    ga = sum_to(g, a.shape) if a._requires_grad else None
    gb = sum_to(O.mul(O.neg(g), O.floor_divide(sa, sb)), b.shape) if b._requires_grad else None
    return ga, gb


def atan2(node, g):
    a, b = node.parents
    sa, sb = node.saved
    denom = O.add(O.mul(sa, sa), O.mul(sb, sb))
    ga = sum_to(O.div(O.mul(g, sb), denom), a.shape) if a._requires_grad else None
    gb = sum_to(O.div(O.mul(O.neg(g), sa), denom), b.shape) if b._requires_grad else None
    return ga, gb


def _minmax_pair(node, g, first_wins_op):
    a, b = node.parents
    sa, sb = node.saved
    wins_a = O.to_dtype_op(first_wins_op(sa, sb), g.dtype)
    ties = O.to_dtype_op(O.eq(sa, sb), g.dtype)
    share_a = O.add(wins_a, O.mul(ties, 0.5))
    ga = sum_to(O.mul(g, share_a), a.shape) if a._requires_grad else None
    gb = sum_to(O.mul(g, _one_minus(share_a)), b.shape) if b._requires_grad else None
    return ga, gb


def maximum(node, g):
    return _minmax_pair(node, g, O.gt)


def minimum(node, g):
    return _minmax_pair(node, g, O.lt)


def zero_grad(node, g):
    return tuple(_zeros(g.shape, g.dtype) if p is not None and p._requires_grad else None for p in node.parents)


def zero_grad2(node, g):
    a, b = node.parents
    return (O.mul(sum_to(g, a.shape), 0.0) if a._requires_grad else None,
            O.mul(sum_to(g, b.shape), 0.0) if b._requires_grad else None)


# ---- unary -----------------------------------------------------------------------------------
def neg(node, g):
    return (O.neg(g),)


def abs(node, g):
    return (O.mul(g, O.sign(node.saved[0])),)


def exp(node, g):
    return (O.mul(g, node.saved[-1]),)


def log(node, g):
    return (O.div(g, node.saved[0]),)


def sqrt(node, g):
    return (O.div(g, O.mul(node.saved[-1], 2.0)),)


def rsqrt(node, g):
    out = node.saved[-1]
    return (O.mul(O.mul(g, -0.5), O.mul(O.mul(out, out), out)),)


def sin(node, g):
    return (O.mul(g, O.cos(node.saved[0])),)


def cos(node, g):
    return (O.mul(g, O.neg(O.sin(node.saved[0]))),)


def tan(node, g):
    out = node.saved[-1]
    return (O.mul(g, O.add(O.mul(out, out), 1.0)),)


def tanh(node, g):
    return (_fused("TanhBackward", g, node.saved[-1]),)


def sigmoid(node, g):
    return (_fused("SigmoidBackward", g, node.saved[-1]),)


def relu(node, g):
    return (_fused("ReluBackward", g, node.saved[-1]),)


def reciprocal(node, g):
    out = node.saved[-1]
    return (O.mul(O.neg(g), O.mul(out, out)),)


def square(node, g):
    return (O.mul(O.mul(g, node.saved[0]), 2.0),)


def log1p(node, g):
    return (O.div(g, O.add(node.saved[0], 1.0)),)


def expm1(node, g):
    return (O.mul(g, O.add(node.saved[-1], 1.0)),)


def log2(node, g):
    return (O.div(g, O.mul(node.saved[0], math.log(2.0))),)


def log10(node, g):
    return (O.div(g, O.mul(node.saved[0], math.log(10.0))),)


def erf(node, g):
    x = node.saved[0]
    return (O.mul(O.mul(g, 2.0 / math.sqrt(math.pi)), O.exp(O.neg(O.mul(x, x)))),)


def asin(node, g):
    x = node.saved[0]
    return (O.div(g, O.sqrt(_one_minus(O.mul(x, x)))),)


def acos(node, g):
    x = node.saved[0]
    return (O.neg(O.div(g, O.sqrt(_one_minus(O.mul(x, x))))),)


def atan(node, g):
    x = node.saved[0]
    return (O.div(g, O.add(O.mul(x, x), 1.0)),)


def clamp(node, g):
    x = node.saved[0]
    lo, hi = node.info
    keep = None
    if not math.isnan(lo):
        keep = O.ge(x, lo)
    if not math.isnan(hi):
        upper = O.le(x, hi)
        keep = upper if keep is None else O.logical_and(keep, upper)
    return (O.mul(g, O.to_dtype_op(keep, g.dtype)),)


def activation(op):
    """Rule for an activation with a fused backward kernel taking the saved input."""

    def rule(node, g):
        alpha, beta = node.info
        return (_fused(op, g, node.saved[0], alpha, beta),)

    rule.__name__ = op.replace("Backward", "").lower()
    return rule


# ---- selection -------------------------------------------------------------------------------
def where(node, g):
    a, b = node.parents
    (cond,) = node.saved
    zero = _zeros(g.shape, g.dtype)
    ga = sum_to(O.where(cond, g, zero), a.shape) if a._requires_grad else None
    gb = sum_to(O.where(cond, zero, g), b.shape) if b._requires_grad else None
    return ga, gb


def masked_fill(node, g):
    x, v = node.parents
    (mask,) = node.saved
    zero = _zeros(g.shape, g.dtype)
    gx = O.where(mask, zero, g) if x._requires_grad else None
    gv = O.sum(O.where(mask, g, zero)) if v is not None and v._requires_grad else None
    return gx, gv


def copy_(node, g):
    old, src = node.parents
    shape, src_dtype = node.info
    gsrc = None
    if src._requires_grad:
        gsrc = sum_to(O.to_dtype_op(g, src_dtype), src.shape)
    return (O.mul(g, 0.0) if old._requires_grad else None), gsrc


def to_dtype(node, g):
    return (O.to_dtype_op(g, node.info),)


def identity(node, g):
    return (g,)


# ---- views -----------------------------------------------------------------------------------
def reshape(node, g):
    return (O.reshape(g, list(node.info)),)


def permute(node, g):
    dims = node.info
    inv = [0] * len(dims)
    for i, d in enumerate(dims):
        inv[d % len(dims)] = i
    return (O.permute(g, inv),)


def transpose(node, g):
    d0, d1 = node.info
    return (O.transpose(g, d0, d1),)


def expand(node, g):
    return (sum_to(g, node.info),)


def view_backward(node, g):
    """Gradient of any view: zeros of the input's shape with g written into the same view."""
    shape, make_view = node.info
    out = _zeros(shape, g.dtype)
    _C.copy_(make_view(out._c), g._c)
    return (out,)


def index(node, g):
    shape, key, lst = node.info
    out = _zeros(shape, g.dtype)
    view_c, _ = O._basic_view(out._c, key)
    _C.index_put_(view_c, lst, g._c, True)
    return (out,)


def setitem(node, g):
    old, v = node.parents
    key, vshape = node.info
    gold = None
    if old._requires_grad:
        gold = O.clone(g)
        O._setitem_c(gold._c, key, _zeros([], g.dtype))
    gv = sum_to(O.getitem(g, key), vshape) if v._requires_grad else None
    return gold, gv


def index_select(node, g):
    (x,) = node.parents
    (idx,) = node.saved
    dim = node.info % max(x.ndim, 1)
    out = _zeros(list(x.shape), g.dtype)
    if x.ndim == 0:
        return (O.sum(g).reshape([]),)
    _C.index_put_(out._c, [None] * dim + [idx.reshape(-1)._c], g._c, True)
    return (out,)


def gather(node, g):
    (x,) = node.parents
    (idx,) = node.saved
    return (O.scatter_add(_zeros(list(x.shape), g.dtype), node.info, idx, g),)


def scatter_add(node, g):
    x, src = node.parents
    (idx,) = node.saved
    gsrc = None
    if src._requires_grad:
        gi = O.gather(g, node.info, idx)
        gsrc = _zeros(list(src.shape), g.dtype)
        sl = tuple(slice(0, s) for s in idx.shape)
        O._setitem_c(gsrc._c, sl, gi)
    return (g if x._requires_grad else None), gsrc


def index_add(node, g):
    x, src = node.parents
    (idx,) = node.saved
    gsrc = O.index_select(g, node.info, idx) if src._requires_grad else None
    return (g if x._requires_grad else None), gsrc


def masked_select(node, g):
    (x,) = node.parents
    (mask,) = node.saved
    shape = _C.binary(O.B["Mul"], x._c, mask._c, 1.0, 0.0).shape  # the broadcast shape
    full = _zeros(shape, g.dtype)
    _C.index_put_(full._c, [_C.expand(mask._c, list(shape))], g._c, True)
    return (sum_to(full, x.shape),)


def cat(node, g):
    dim, sizes = node.info
    out, start = [], 0
    for p, s in zip(node.parents, sizes):
        out.append(O.narrow(g, dim, start, s) if p._requires_grad else None)
        start += s
    return tuple(out)


def stack(node, g):
    dim = node.info
    return tuple(O.select(g, dim, i) if p._requires_grad else None for i, p in enumerate(node.parents))


# ---- reductions ------------------------------------------------------------------------------
def sum(node, g):
    shape, dims, keepdim = node.info
    return (_expand_reduced(g, shape, dims, keepdim),)


def mean(node, g):
    shape, dims, keepdim = node.info
    n = _reduced_count(shape, dims)
    return (_expand_reduced(O.div(g, float(n)), shape, dims, keepdim),)


def prod(node, g):
    x, out = node.saved
    dims, keepdim = node.info
    ge = _expand_reduced(g, x.shape, dims, keepdim)
    oe = _expand_reduced(out, x.shape, dims, keepdim)
    # out / x, recomputed without the zero where x has zeros
    safe = O.where(O.eq(x, 0.0), O.add(_zeros(x.shape, x.dtype), 1.0), x)
    return (O.mul(ge, O.div(oe, safe)) if not bool(O.any(O.eq(x, 0.0)).item()) else _prod_with_zeros(x, ge, dims),)


def _prod_with_zeros(x, ge, dims):
    # product of all other elements, computed directly per element (rare path)
    nd = x.ndim
    ds = sorted(d % nd for d in dims) if dims else list(range(nd))
    xn = x.detach().numpy()
    import numpy as np

    out = np.empty_like(xn)
    moved = np.moveaxis(xn, ds, list(range(nd - len(ds), nd)))
    flat = moved.reshape(moved.shape[: nd - len(ds)] + (-1,))
    res = np.empty_like(flat)
    for i in range(flat.shape[-1]):
        others = np.delete(flat, i, axis=-1)
        res[..., i] = np.prod(others, axis=-1)
    res = res.reshape(moved.shape)
    out = np.moveaxis(res, list(range(nd - len(ds), nd)), ds)
    from ..tensor import tensor

    return O.mul(ge, tensor(out, dtype=x.dtype))


def var(node, g):
    (x,) = node.saved
    dims, keepdim, correction = node.info
    n = _reduced_count(x.shape, dims)
    m = O.mean(x, dims if dims else None, keepdim=True)
    ge = _expand_reduced(g, x.shape, dims, keepdim)
    return (O.mul(ge, O.mul(O.sub(x, m), 2.0 / max(n - correction, 0) if n - correction > 0 else float("inf"))),)


def amax(node, g):
    x, out = node.saved
    dims, keepdim = node.info
    oe = _expand_reduced(out, x.shape, dims, keepdim)
    mask = O.to_dtype_op(O.eq(x, oe), g.dtype)
    count = O.sum(mask, dims if dims else None, keepdim=True)
    ge = _expand_reduced(g, x.shape, dims, keepdim)
    return (O.div(O.mul(ge, mask), count),)


def max_dim(node, g):
    shape, dim, keepdim, indices = node.info
    if not keepdim and len(shape):
        g = O.unsqueeze(g, dim)
        indices = O.unsqueeze(indices, dim)
    if len(shape) == 0:
        return (g.reshape([]),)
    return (O.scatter_add(_zeros(list(shape), g.dtype), dim, indices, g),)


def logsumexp(node, g):
    x, out = node.saved
    dims, keepdim = node.info
    oe = _expand_reduced(out, x.shape, dims, keepdim)
    ge = _expand_reduced(g, x.shape, dims, keepdim)
    return (O.mul(ge, O.exp(O.sub(x, oe))),)


def softmax(node, g):
    dim, log = node.info
    out = node.saved[-1]
    return (_wrap(_C.softmax_backward(g._c, out._c, dim, log)),)


# ---- linear algebra --------------------------------------------------------------------------
def matmul(node, g):
    a, b = node.parents
    sa, sb = node.saved
    # 1-D operands are treated as [1, k] / [k, 1] matrices, as in the forward.
    a_shape = [1, a.shape[0]] if a.ndim == 1 else list(a.shape)
    b_shape = [b.shape[0], 1] if b.ndim == 1 else list(b.shape)
    out_shape = list(g.shape)
    if a.ndim == 1:
        out_shape.insert(len(out_shape) - (0 if b.ndim == 1 else 1), 1)
    if b.ndim == 1:
        out_shape.append(1)
    g2 = O.reshape(g, out_shape)
    ga = gb = None
    if a._requires_grad:
        ga = O.matmul(g2, O.transpose(O.reshape(sb, b_shape), -1, -2))
        ga = O.reshape(sum_to(ga, a_shape), list(a.shape))
    if b._requires_grad:
        a2 = O.reshape(sa, a_shape)
        if len(b_shape) == 2 and a2.ndim > 2:
            # fold the batch of a into the rows: one large GEMM instead of a batch and a sum
            k = a_shape[-1]
            gb = O.matmul(O.transpose(O.reshape(a2, [-1, k]), 0, 1), O.reshape(g2, [-1, b_shape[-1]]))
        else:
            gb = sum_to(O.matmul(O.transpose(a2, -1, -2), g2), b_shape)
        gb = O.reshape(gb, list(b.shape))
    return ga, gb



def linear(node, g):
    x, w, b = node.parents
    sx, sw = node.saved
    gx = gw = gb = None
    out_f = g.shape[-1]
    g2 = O.reshape(g, [-1, out_f])
    if x._requires_grad:
        gx = O.matmul(g, sw)
    if w._requires_grad:
        gw = O.matmul(O.transpose(g2, 0, 1), O.reshape(sx, [-1, sx.shape[-1]]))
    if b is not None and b._requires_grad:
        gb = O.sum(g2, 0)
    return gx, gw, gb

# ---- convolution and pooling (nn) ----
def conv2d(node, g):
    x, w, b = node.parents
    sx, sw = node.saved
    stride, padding, dilation, groups = node.info
    gx, gw, gb = _C.conv2d_backward(g._c, sx._c, sw._c, stride, padding, dilation, groups, x._requires_grad,
                                    w._requires_grad, b is not None and b._requires_grad)
    return (_wrap(gx) if x._requires_grad else None, _wrap(gw) if w._requires_grad else None,
            _wrap(gb) if b is not None and b._requires_grad else None)


def conv_transpose2d(node, g):
    x, w, b = node.parents
    sx, sw = node.saved
    stride, padding, groups, dilation = node.info
    gx, gw, gb = _C.conv_transpose2d_backward(g._c, sx._c, sw._c, stride, padding, groups, dilation,
                                              x._requires_grad, w._requires_grad, b is not None and b._requires_grad)
    return (_wrap(gx) if x._requires_grad else None, _wrap(gw) if w._requires_grad else None,
            _wrap(gb) if b is not None and b._requires_grad else None)


def max_pool2d(node, g):
    idx, shape = node.info
    return (_wrap(_C.max_pool2d_backward(g._c, idx._c, list(shape))),)


def avg_pool2d(node, g):
    shape, args = node.info
    return (_wrap(_C.avg_pool2d_backward(g._c, list(shape), *args)),)


def adaptive_avg_pool2d(node, g):
    return (_wrap(_C.adaptive_avg_pool2d_backward(g._c, list(node.info))),)


def pad(node, g):
    shape, pads, mode = node.info
    return (_wrap(_C.pad_backward(g._c, list(shape), pads, mode)),)


def interpolate(node, g):
    shape, scales, mode, corners = node.info
    return (_wrap(_C.interpolate_backward(g._c, list(shape), scales, mode, corners)),)



# ---- normalisation, dropout, embedding, losses (nn) ----
def _grads(node, grads):
    """Wraps the C++ gradients of the parents that need one (None elsewhere)."""
    return tuple(_wrap(gc) if gc is not None and _needs(node, i) else None for i, gc in enumerate(grads))


def batch_norm(node, g):
    x, w, b = node.parents
    sx, sw = node.saved
    mean, invstd, training = node.info
    grads = _C.batch_norm_backward(g._c, sx._c, None if sw is None else sw._c, mean, invstd, training,
                                   _needs(node, 0), _needs(node, 1), _needs(node, 2))
    return _grads(node, grads)


def layer_norm(node, g):
    sx, sw = node.saved
    ns, mean, rstd = node.info
    grads = _C.layer_norm_backward(g._c, sx._c, ns, None if sw is None else sw._c, mean, rstd,
                                   _needs(node, 0), _needs(node, 1), _needs(node, 2))
    return _grads(node, grads)


def dropout(node, g):
    mask, p = node.info
    return (_wrap(_C.dropout_backward(g._c, mask, p)),)


def embedding(node, g):
    indices, num, padding_idx = node.info
    return (_wrap(_C.embedding_backward(g._c, indices._c, num, padding_idx)),)


def cross_entropy(node, g):
    sx, st = node.saved
    weight, lse, total_weight, reduction, ignore_index, smoothing = node.info
    gx, gt = _C.cross_entropy_backward(g._c, sx._c, st._c, None if weight is None else weight._c, lse, total_weight,
                                       reduction, ignore_index, smoothing, _needs(node, 1))
    return _grads(node, (gx, gt))


def nll_loss(node, g):
    (sx,) = node.saved
    target, weight, total_weight, reduction, ignore_index = node.info
    return (_wrap(_C.nll_loss_backward(g._c, sx._c, target._c, None if weight is None else weight._c, total_weight,
                                       reduction, ignore_index)),)


def pointwise_loss(node, g):
    x, t = node.parents
    sx, st = node.saved
    kind, weight, pos_weight, param, reduction = node.info
    gx, gt = _C.pointwise_loss_backward(kind, g._c, sx._c, st._c, None if weight is None else weight._c,
                                        None if pos_weight is None else pos_weight._c, param, reduction,
                                        _needs(node, 0), _needs(node, 1))
    return (sum_to(_wrap(gx), x._c.shape) if gx is not None and _needs(node, 0) else None,
            sum_to(_wrap(gt), t._c.shape) if gt is not None and _needs(node, 1) else None)


# ---- attention (nn) ----
def scaled_dot_product_attention(node, g):
    sq, sk, sv, sm, out = node.saved
    lse, causal, scale, gqa = node.info
    grads = _C.scaled_dot_product_attention_backward(g._c, sq._c, sk._c, sv._c, None if sm is None else sm._c,
                                                     out._c, lse, causal, scale, gqa, _needs(node, 0),
                                                     _needs(node, 1), _needs(node, 2), _needs(node, 3))
    return _grads(node, grads)
# ---- sorting, selection, scans (autograd/sort_ops.py) ----
def sort_backward(node, g):
    """sort / topk / cummax / cummin: each output element came from input[indices] along dim."""
    (x,) = node.parents
    dim, indices = node.info
    if x.ndim == 0:
        return (g.reshape([]),)
    return (O.scatter_add(_zeros(list(x.shape), g.dtype), dim, indices, g),)


def evenly_distribute(node, g):
    """Whole-tensor median: the gradient is shared by every element equal to the result."""
    x, out = node.saved
    mask = O.logical_or(O.eq(x, out), O.logical_and(O.isnan(x), O.isnan(out)))
    maskf = O.to_dtype_op(mask, g.dtype)
    return (O.div(O.mul(maskf, g), O.sum(maskf)),)


def cumsum(node, g):
    dim, reverse = node.info
    return (S._cumsum(g, dim, not reverse),)


def cumprod(node, g):
    x, out = node.saved
    return (_wrap(_C.cumprod_backward(g._c, x._c, out._c, node.info)),)


def logcumsumexp(node, g):
    # grad_j = sum_{i >= j} g_i exp(x_j - out_i), split by the sign of g and summed in log space.
    x, out = node.saved
    dim, reverse = node.info
    lowest = O.as_operand(-math.inf, g)
    log_abs = O.log(O.abs(g))
    pos = O.where(O.gt(g, 0.0), log_abs, lowest)
    neg = O.where(O.lt(g, 0.0), log_abs, lowest)
    gpos = O.exp(O.add(S._logcumsumexp(O.sub(pos, out), dim, not reverse), x))
    gneg = O.exp(O.add(S._logcumsumexp(O.sub(neg, out), dim, not reverse), x))
    return (O.sub(gpos, gneg),)


from . import sort_ops as S  # noqa: E402  (uses this module's rules)


# ---- data movement (autograd/shape_ops.py) ----
def flip(node, g):
    return (M.flip(g, node.info),)


def roll(node, g):
    shifts, dims = node.info
    return (M.roll(g, [-s for s in shifts], dims or None),)


def repeat(node, g):
    """Sums the gradient over the copies: g seen as [r0, s0, r1, s1, ...], summed over the r's."""
    shape, reps = node.info
    sizes = [1] * (len(reps) - len(shape)) + list(shape)
    split = []
    for r, s in zip(reps, sizes):
        split += [r, s]
    gs = O.sum(O.reshape(g, split), list(range(0, len(split), 2)))
    return (O.reshape(gs, list(shape)),)


def tril(node, g):
    diagonal, lower = node.info
    return ((M.tril if lower else M.triu)(g, diagonal),)


def diag_embed(node, g):
    offset, dim1, dim2 = node.info
    return (M.diagonal(g, offset, dim1, dim2),)


from . import shape_ops as M  # noqa: E402  (uses this module's rules)


# ---- scatter and index updates (autograd/scatter_ops.py) ----
def _pad_to(gs, idx, shape):
    """A src gradient of the index's shape, zero-padded to src's `shape` (a src larger than its index)."""
    if tuple(gs.shape) == tuple(shape):
        return gs
    out = _zeros(list(shape), gs.dtype)
    O._setitem_c(out._c, tuple(slice(0, s) for s in idx.shape), gs)
    return out


def scatter(node, g):
    x, src = node.parents
    (idx,) = node.saved
    if src is None:  # one value scattered
        dim, reduce, value = node.info
        if reduce == "add":
            return (g, None)
        if reduce == "multiply":
            return (O.mul(g, SC.scatter(O.add(_zeros(g.shape, g.dtype), 1.0), dim, idx, value, reduce="multiply")), None)
        return (SC.scatter(g, dim, idx, 0.0), None)
    dim = node.info
    gx = SC.scatter(g, dim, idx, 0.0) if x._requires_grad else None
    gs = _pad_to(O.gather(g, dim, idx), idx, src.shape) if src._requires_grad else None
    return gx, gs


def scatter_reduce(node, g):
    """PyTorch's formulas: mean divides by the counts, amax / amin share the gradient evenly
    between equal extremes, prod handles zeros exactly."""
    x, src = node.parents
    sx, ss, idx, out = node.saved
    dim, reduce, include_self = node.info
    if reduce == "sum":
        gx, gs = g, O.gather(g, dim, idx)
    elif reduce == "mean":
        count = O.scatter_add(O.add(_zeros(g.shape, g.dtype), 1.0 if include_self else 0.0), dim, idx,
                              O.add(_zeros(idx.shape, g.dtype), 1.0))
        count = O.where(O.eq(count, 0.0), O.as_operand(1.0, count), count)
        gx = O.div(g, count)
        gs = O.div(O.gather(g, dim, idx), O.gather(count, dim, idx))
    elif reduce == "prod":
        one = O.as_operand(1.0, sx)
        masked_self = O.where(O.eq(sx, 0.0), one, sx)
        gx = O.div(O.mul(g, SC.scatter_reduce(masked_self, dim, idx, ss, "prod", include_self=include_self)),
                   masked_self)
        src_zero = O.eq(ss, 0.0)
        zeros_per_target = O.scatter_add(_zeros(g.shape, g.dtype), dim, idx, O.to_dtype_op(src_zero, g.dtype))
        single_zero = O.logical_and(src_zero, O.eq(O.gather(zeros_per_target, dim, idx), 1.0))
        without_zero = SC.scatter_reduce(sx, dim, idx, O.where(single_zero, one, ss), "prod", include_self=include_self)
        gs = O.where(single_zero, O.gather(O.mul(g, without_zero), dim, idx),
                     O.div(O.gather(O.mul(g, out), dim, idx), O.where(src_zero, one, ss)))
    else:  # amax / amin
        value = O.gather(out, dim, idx)
        self_is = O.to_dtype_op(O.eq(sx, out), g.dtype)
        src_is = O.to_dtype_op(O.eq(ss, value), g.dtype)
        if not include_self:
            self_is = SC.scatter(self_is, dim, idx, 0.0)
        share = O.div(g, O.scatter_add(self_is, dim, idx, src_is))
        gx = O.mul(self_is, share)
        gs = O.mul(src_is, O.gather(share, dim, idx))
    if not include_self:
        gx = SC.scatter(gx, dim, idx, 0.0)
    return (gx if x._requires_grad else None), (_pad_to(gs, idx, src.shape) if src._requires_grad else None)


def index_copy(node, g):
    x, src = node.parents
    (idx,) = node.saved
    dim = node.info
    gx = SC.index_fill(g, dim, idx, 0.0) if x._requires_grad else None
    gs = O.reshape(O.index_select(g, dim, idx.reshape(-1)), list(src.shape)) if src._requires_grad else None
    return gx, gs


def index_fill(node, g):
    x, v = node.parents
    (idx,) = node.saved
    dim = node.info
    gx = SC.index_fill(g, dim, idx, 0.0) if x._requires_grad else None
    gv = O.sum(O.index_select(g, dim, idx.reshape(-1))) if v is not None and v._requires_grad else None
    return gx, gv


def masked_scatter(node, g):
    x, src = node.parents
    (mask,) = node.saved
    count = node.info
    gx = O.masked_fill(g, mask, 0.0) if x._requires_grad else None
    gs = None
    if src._requires_grad:
        flat = _zeros([src.numel()], g.dtype)
        if count:
            _C.copy_(_C.narrow(flat._c, 0, 0, count), O.masked_select(g, mask)._c)
        gs = O.reshape(flat, list(src.shape))
    return gx, gs


def put(node, g):
    x, src = node.parents
    (idx,) = node.saved
    accumulate = node.info
    gx = None
    if x._requires_grad:
        gx = g if accumulate else SC.put(g, idx, _zeros(src.shape, g.dtype))
    gs = O.reshape(O.take(g, idx.reshape(-1)), list(src.shape)) if src._requires_grad else None
    return gx, gs


from . import scatter_ops as SC  # noqa: E402  (uses this module's rules)


# ---- more elementwise math, distances (autograd/math_ops.py) ----
def sinh(node, g):
    return (O.mul(g, MA.cosh(node.saved[0])),)


def cosh(node, g):
    return (O.mul(g, MA.sinh(node.saved[0])),)


def asinh(node, g):
    x = node.saved[0]
    return (O.div(g, O.sqrt(O.add(O.mul(x, x), 1.0))),)


def acosh(node, g):
    x = node.saved[0]
    return (O.div(g, O.sqrt(O.sub(O.mul(x, x), 1.0))),)


def atanh(node, g):
    x = node.saved[0]
    return (O.div(g, _one_minus(O.mul(x, x))),)


def exp2(node, g):
    return (O.mul(O.mul(g, node.saved[-1]), math.log(2.0)),)


def erfinv(node, g):
    out = node.saved[-1]
    return (O.mul(O.mul(g, math.sqrt(math.pi) / 2.0), O.exp(O.mul(out, out))),)


def erfc(node, g):
    x = node.saved[0]
    return (O.mul(O.mul(g, -2.0 / math.sqrt(math.pi)), O.exp(O.neg(O.mul(x, x)))),)


def logit(node, g):
    x = node.saved[0]
    eps = node.info[0]
    grad = O.div(g, O.mul(x, _one_minus(x)))
    if not math.isnan(eps):
        grad = O.where(O.logical_or(O.lt(x, eps), O.gt(x, 1.0 - eps)), _zeros([], g.dtype), grad)
    return (grad,)


def fmod(node, g):
    a, b = node.parents
    sa, sb = node.saved
    ga = sum_to(g, a.shape) if a._requires_grad else None
    gb = sum_to(O.mul(O.neg(g), O.trunc(O.div(sa, sb))), b.shape) if b._requires_grad else None
    return ga, gb


def hypot(node, g):
    a, b = node.parents
    sa, sb, out = node.saved
    ga = sum_to(O.div(O.mul(g, sa), out), a.shape) if a._requires_grad else None
    gb = sum_to(O.div(O.mul(g, sb), out), b.shape) if b._requires_grad else None
    return ga, gb


def xlogy(node, g):
    a, b = node.parents
    sa, sb = node.saved
    ga = sum_to(O.mul(g, MA.xlogy(O.to_dtype_op(O.ne(sa, 0.0), g.dtype), sb)), a.shape) if a._requires_grad else None
    gb = sum_to(O.div(O.mul(g, sa), sb), b.shape) if b._requires_grad else None
    return ga, gb


def cdist(node, g):
    """p = 2: w = g / dist (0 where dist is 0), grad_a = a * rowsum(w) - w @ b (GEMMs); other p:
    sum_j g_ij sign(d) |d|^(p-1) / dist^(p-1) over the pairwise differences d."""
    x1, x2 = node.parents
    a, b, out = node.saved
    p = node.info
    zero = _zeros([], g.dtype)
    if p == 0:
        ga, gb = O.mul(a, 0.0), O.mul(b, 0.0)
    elif p == 2:
        w = O.where(O.eq(out, 0.0), zero, O.div(g, out))
        ga = O.sub(O.mul(a, O.sum(w, -1, keepdim=True)), O.matmul(w, b))
        gb = O.sub(O.mul(b, O.unsqueeze(O.sum(w, -2), -1)), O.matmul(O.transpose(w, -1, -2), a))
    else:
        diff = O.sub(O.unsqueeze(a, -2), O.unsqueeze(b, -3))
        dist = O.unsqueeze(out, -1)
        if p == 1:
            t = O.sign(diff)
        elif p == math.inf:
            t = O.mul(O.sign(diff), O.to_dtype_op(O.eq(O.abs(diff), dist), g.dtype))
        else:
            t = O.div(O.mul(O.sign(diff), O.pow(O.abs(diff), p - 1.0)), O.pow(dist, p - 1.0))
            t = O.where(O.logical_or(O.eq(dist, 0.0), O.eq(diff, 0.0)), zero, t)
        t = O.where(O.eq(dist, 0.0), zero, t)
        tg = O.mul(t, O.unsqueeze(g, -1))
        ga, gb = O.sum(tg, -2), O.neg(O.sum(tg, -3))
    return (sum_to(ga, x1.shape) if x1._requires_grad else None,
            sum_to(gb, x2.shape) if x2._requires_grad else None)


from . import math_ops as MA  # noqa: E402  (uses this module's rules)


# ---- sampling (autograd/random_ops.py) ----
def sample(node, g):
    """Random samples: zero gradients for their parameters (as PyTorch)."""
    return tuple(_zeros(list(p.shape), g.dtype) if p is not None and p._requires_grad else None for p in node.parents)
# ---- recurrent layers (cpu/rnn) ----
from .graph import _grad_enabled  # noqa: E402


def _c_or_none(t):
    return None if t is None else t._c


def _rnn_needs(node):
    """need_input, need_hidden, need_weights of a recurrent node (parents: x, h0, c0, weights)."""
    if _grad_enabled[0]:
        raise RuntimeError(f"[{node.rule.__name__}] double backward through recurrent layers is not supported")
    return (_needs(node, 0), _needs(node, 1) or _needs(node, 2),
            any(_needs(node, i) for i in range(3, len(node.parents))))


def rnn_layer(node, g):
    """One layer, all directions: g holds the gradients of (output, h_n, c_n)."""
    mode, batch_sizes, reserve, dirs = node.info
    x, h0, c0, *flat, out = node.saved
    go, ghn, gcn = (_c_or_none(s) for s in g.slots)
    weights = [[_c_or_none(w) for w in flat[5 * d:5 * d + 5]] for d in range(dirs)]
    gi, gh, gc, gw = _C.rnn_layer_backward(mode, go, ghn, gcn, x._c, batch_sizes, _c_or_none(h0), _c_or_none(c0),
                                           weights, out._c, reserve, *_rnn_needs(node))
    return _grads(node, [gi, gh, gc] + [w for ws in gw for w in ws])


def rnn_cell(node, g):
    """One time step: g holds the gradients of (h', c')."""
    mode, reserve = node.info
    x, h0, c0, *flat, h = node.saved
    gh_out, gc_out = (_c_or_none(s) for s in g.slots)
    gi, gh, gc, gw = _C.rnn_cell_backward(mode, gh_out, gc_out, x._c, _c_or_none(h0), _c_or_none(c0),
                                          [_c_or_none(w) for w in flat], h._c, reserve, *_rnn_needs(node))
    return _grads(node, [gi, gh, gc] + gw[0])
# ---- nn extras (nnx): 3-D conv and pooling, unfold / fold, unpooling, instance norm ----
def local_derivative(node, g):
    """An elementwise op whose derivative (a function of the saved input) is node.info."""
    (x,) = node.saved
    return (O.mul(g, node.info(x)),)


def conv3d(node, g):
    x, w, b = node.parents
    sx, sw = node.saved
    stride, padding, dilation, groups = node.info
    grads = _C.conv3d_backward(g._c, sx._c, sw._c, stride, padding, dilation, groups, _needs(node, 0),
                               _needs(node, 1), _needs(node, 2))
    return _grads(node, grads)


def conv_transpose3d(node, g):
    sx, sw = node.saved
    stride, padding, groups, dilation = node.info
    grads = _C.conv_transpose3d_backward(g._c, sx._c, sw._c, stride, padding, groups, dilation, _needs(node, 0),
                                         _needs(node, 1), _needs(node, 2))
    return _grads(node, grads)


def unfold(node, g):
    size, args = node.info
    return (_wrap(_C.fold(g._c, size, *args)),)


def fold(node, g):
    return (_wrap(_C.unfold(g._c, *node.info)),)


def max_pool3d(node, g):
    idx, shape = node.info
    return (_wrap(_C.max_pool3d_backward(g._c, idx._c, list(shape))),)


def avg_pool3d(node, g):
    shape, args = node.info
    return (_wrap(_C.avg_pool3d_backward(g._c, list(shape), *args)),)


def adaptive_avg_pool3d(node, g):
    return (_wrap(_C.adaptive_avg_pool3d_backward(g._c, list(node.info))),)


def max_unpool(node, g):
    (idx,) = node.saved
    return (O.reshape(O.gather(O.reshape(g, list(idx.shape[:1]) + [-1]), 1, idx), list(node.info)),)


def instance_norm(node, g):
    """batch_norm_backward on the (1, N * C, S) view; weight and bias gradients summed over N."""
    sx, sw = node.saved
    mean, invstd, training = node.info
    n, c = sx.shape[0], sx.shape[1]
    x = O.reshape(sx, [1, n * c, -1])
    w = None if sw is None else O.reshape(O.expand(O.unsqueeze(sw.detach(), 0), [n, c]), [-1])
    gx, gw, gb = _C.batch_norm_backward(O.reshape(g, list(x.shape))._c, x._c, None if w is None else w._c, mean,
                                        invstd, training, _needs(node, 0), _needs(node, 1), _needs(node, 2))
    per_channel = [O.sum(O.reshape(_wrap(t), [n, c]), 0) if _needs(node, i) else None
                   for i, t in ((1, gw), (2, gb))]
    return (O.reshape(_wrap(gx), list(sx.shape)) if _needs(node, 0) else None, *per_channel)


def ctc_loss(node, g):
    sx, nll = node.saved
    targets, il, tl, alpha_c, blank, zero_infinity = node.info
    return (_wrap(_C.ctc_loss_backward(g._c, sx._c, targets._c, il._c, tl._c, nll._c, alpha_c, blank, zero_infinity)),)
