"""``tensorforge.special``: PyTorch's ``torch.special`` names for functions tensorforge has."""
from __future__ import annotations

import math

from .autograd import math_ops as _M
from .autograd import ops as _O


def expit(input):
    """The logistic sigmoid."""
    return _O.sigmoid(input)


def logit(input, eps=None):
    return _M.logit(input, eps)


def erf(input):
    return _O.erf(input)


def erfc(input):
    return _M.erfc(input)


def erfinv(input):
    return _M.erfinv(input)


def exp2(input):
    return _M.exp2(input)


def expm1(input):
    return _O.expm1(input)


def log1p(input):
    return _O.log1p(input)


def round(input, decimals=0):  # noqa: A001  (torch.special.round)
    return _O.round(input, decimals)


def xlogy(input, other):
    return _M.xlogy(input, other)


def xlog1py(input, other):
    """input * log1p(other), 0 where input is 0."""
    return _O.where(_O.eq(input, 0), _O.mul(input, 0.0), _O.mul(input, _O.log1p(other)))


def entr(input):
    """-x log x for x > 0, 0 at 0, -inf for x < 0."""
    neg = _O.lt(input, 0)
    val = _O.neg(_M.xlogy(input, input))
    return _O.where(neg, -math.inf, val)


def ndtr(input):
    """The standard normal CDF."""
    return _O.mul(_M.erfc(_O.mul(input, -1.0 / math.sqrt(2.0))), 0.5)


def ndtri(input):
    """The inverse of the standard normal CDF."""
    return _O.mul(_M.erfinv(_O.sub(_O.mul(input, 2.0), 1.0)), math.sqrt(2.0))


def sinc(input):
    """sin(pi x) / (pi x), 1 at 0."""
    px = _O.mul(input, math.pi)
    return _O.where(_O.eq(input, 0), 1.0, _O.div(_O.sin(px), px))


def softmax(input, dim, dtype=None):
    return _O.softmax(input, dim, dtype)


def log_softmax(input, dim, dtype=None):
    return _O.log_softmax(input, dim, dtype)


def logsumexp(input, dim, keepdim=False):
    return _O.logsumexp(input, dim, keepdim)


__all__ = ["expit", "logit", "erf", "erfc", "erfinv", "exp2", "expm1", "log1p", "round", "xlogy", "xlog1py", "entr",
           "ndtr", "ndtri", "sinc", "softmax", "log_softmax", "logsumexp"]
