"""``tensorforge.linalg``: PyTorch's ``torch.linalg`` names for what tensorforge has."""
from __future__ import annotations

from .autograd import math_ops as _M
from .autograd import ops as _O


def cross(input, other, *, dim=-1):
    """Cross product of 3-vectors along ``dim`` (inputs broadcast)."""
    return _M.linalg_cross(input, other, dim=dim)


def matrix_power(A, n):
    """The n-th power (n >= 0) of the square matrices in the last two dims of A."""
    return _M.matrix_power(A, n)


def vecdot(x, y, *, dim=-1):
    """Dot products along ``dim`` (inputs broadcast)."""
    return _O.sum(_O.mul(x, y), dim)


def vector_norm(x, ord=2, dim=None, keepdim=False):
    """The ``ord``-norm of x's elements (over ``dim`` when given)."""
    return _O.norm(x, ord, dim, keepdim)


__all__ = ["cross", "matrix_power", "vecdot", "vector_norm"]
