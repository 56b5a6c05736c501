"""Sampling: ``multinomial``, ``bernoulli``, ``normal`` (all overloads), ``poisson`` and the
in-place fills ``bernoulli_``, ``exponential_``, ``geometric_``, ``random_``.

Everything draws from a counter-based generator (``generator=`` or the global one seeded by
``manual_seed``): reproducible under a seed and independent of the thread count. As in
PyTorch, samples of tensors that require grad are in the graph with a zero gradient.
"""
from __future__ import annotations

import builtins

from .. import _C
from ..tensor import Tensor, _gen, _wrap
from . import ops as O
from . import rules as R
from .graph import record



def _zero_grad_of(out, *inputs):
    """Samples carry no gradient to their parameters; PyTorch still puts them in the graph."""
    if O._needs(*[t for t in inputs if isinstance(t, Tensor)]):
        record(out, R.sample, tuple(t if isinstance(t, Tensor) else None for t in inputs))
    return out


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """``num_samples`` category indices per row of ``input`` (1-D or 2-D non-negative weights,
    not necessarily normalised), drawn with or without replacement: int64."""
    O.check_tensor(input, "multinomial")
    return _wrap(_C.multinomial(input._c, builtins.int(num_samples), builtins.bool(replacement), _gen(generator)))


def bernoulli(input, p=None, *, generator=None):
    """0/1 samples of input's dtype, 1 with probability ``input`` (or ``p`` when given)."""
    O.check_tensor(input, "bernoulli")
    out = _wrap(_C.empty(list(input.shape), input._c.dtype))
    if p is None:
        _C.bernoulli_tensor_(out._c, input._c, _gen(generator))
    else:
        _C.bernoulli_(out._c, builtins.float(p), _gen(generator))
    return _zero_grad_of(out, input)


def bernoulli_(input, p=0.5, *, generator=None):
    """In place: each element 1 with probability ``p`` (a number or a tensor broadcast to
    input), else 0."""
    O._check_inplace(input, "bernoulli_")
    if isinstance(p, Tensor):
        _C.bernoulli_tensor_(input._c, p._c, _gen(generator))
    else:
        _C.bernoulli_(input._c, builtins.float(p), _gen(generator))
    return input


def exponential_(input, lambd=1.0, *, generator=None):
    """In place: Exponential(lambd) samples."""
    O._check_inplace(input, "exponential_")
    _C.exponential_(input._c, builtins.float(lambd), _gen(generator))
    return input


def geometric_(input, p, *, generator=None):
    """In place: Geometric(p) samples on {1, 2, ...} (the number of trials to the first success)."""
    O._check_inplace(input, "geometric_")
    _C.geometric_(input._c, builtins.float(p), _gen(generator))
    return input


def random_(input, from_=None, to=None, *, generator=None, **kwargs):
    """In place: integers uniform on [from, to); ``random_(to)`` means [0, to); ``random_()``
    covers [0, the largest integer the dtype holds exactly]."""
    O._check_inplace(input, "random_")
    if "from" in kwargs:
        from_ = kwargs.pop("from")
    if kwargs:
        raise TypeError(f"[random_] unexpected keyword arguments {sorted(kwargs)}")
    if from_ is not None and to is None:
        from_, to = 0, from_
    _C.random_(input._c, 0 if from_ is None else builtins.int(from_), None if to is None else builtins.int(to),
               _gen(generator))
    return input


def poisson(input, generator=None):
    """Poisson samples with rates ``input`` (of input's dtype)."""
    O.check_tensor(input, "poisson")
    return _zero_grad_of(_wrap(_C.poisson(input._c, _gen(generator))), input)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, requires_grad=False):
    """Normal samples: ``normal(mean_tensor, std_tensor)``, ``normal(mean_tensor, std=1.0)``,
    ``normal(mean, std_tensor)`` (shapes broadcast), or ``normal(mean, std, size)``."""
    mt, st = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not mt and not st:
        if size is None:
            raise TypeError("[normal] expected a size when mean and std are numbers")
        s = float(std)
        if s < 0:
            raise RuntimeError(f"[normal] expects std >= 0.0, but found std {s}")
        from ..tensor import empty
        out = empty(*([size] if isinstance(size, builtins.int) else [list(size)]), dtype=dtype)
        _C.normal_(out._c, builtins.float(mean), s, _gen(generator))
        return out.requires_grad_(True) if requires_grad else out
    if size is not None:
        raise TypeError("[normal] size is only accepted when mean and std are numbers")
    ref = mean if mt else std
    if not ref.dtype.is_floating_point:
        raise RuntimeError(f"[normal] expected a floating point tensor, got {ref.dtype}")
    if st and bool(O.any(O.lt(std, 0.0)).item()):
        raise RuntimeError("[normal] expects all elements of std >= 0.0")
    m = mean if mt else O.as_operand(builtins.float(mean), ref)
    sd = std if st else O.as_operand(builtins.float(std), ref)
    from .shape_ops import broadcast_shapes
    shape = list(broadcast_shapes(m.shape, sd.shape))
    z = _wrap(_C.empty(shape, ref._c.dtype))
    _C.normal_(z._c, 0.0, 1.0, _gen(generator))
    with_grad = O._needs(*[t for t in (mean, std) if isinstance(t, Tensor)])
    from .graph import no_grad
    with no_grad():
        out = O.add(O.mul(z, sd), m)
    return _zero_grad_of(out, mean if mt else None, std if st else None) if with_grad else out


_METHODS = ["bernoulli", "bernoulli_", "exponential_", "geometric_", "random_"]
for _name in _METHODS:
    setattr(Tensor, _name, globals()[_name])
Tensor.multinomial = lambda self, num_samples, replacement=False, *, generator=None: multinomial(
    self, num_samples, replacement, generator=generator)

__all__ = ["multinomial", "bernoulli", "poisson", "normal"]
