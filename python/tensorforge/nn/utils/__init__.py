"""Gradient clipping and parameter/vector conversion (``tensorforge.nn.utils``)."""
from __future__ import annotations

import math
from typing import Iterable

from ...autograd.graph import no_grad
from ...autograd import ops as O
from ...tensor import Tensor, tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


@no_grad()
def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach=None) -> Tensor:
    """Scales all gradients together so their joint norm is at most max_norm. Returns the
    norm before clipping."""
    grads = _grads(parameters)
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not grads:
        return tensor(0.0)
    if norm_type == math.inf:
        norms = [O.amax(O.abs(g)) for g in grads]
        total = O.amax(O.stack(norms))
    else:
        norms = [O.norm(g.float() if not g.dtype.is_floating_point else g, norm_type) for g in grads]
        total = O.norm(O.stack([n.to(norms[0].dtype) for n in norms]), norm_type)
    t = float(total.item())
    if error_if_nonfinite and not math.isfinite(t):
        raise RuntimeError(f"[clip_grad_norm_] The total norm of order {norm_type} for gradients from "
                           "`parameters` is non-finite, so it cannot be clipped.")
    coef = max_norm / (t + 1e-6)
    if coef < 1:
        for g in grads:
            g.mul_(coef)
    return total


@no_grad()
def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamps every gradient element into [-clip_value, clip_value]."""
    v = float(clip_value)
    for g in _grads(parameters):
        g.clamp_(-v, v)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """Concatenates the flattened parameters into one vector."""
    return O.cat([p.reshape(-1) for p in parameters])


@no_grad()
def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copies slices of vec back into the parameters."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected a Tensor, but got: {type(vec).__name__}")
    offset = 0
    for p in parameters:
        n = p.numel()
        p.copy_(vec[offset:offset + n].view_as(p))
        offset += n


from . import rnn  # noqa: E402,F401  (tensorforge.nn.utils.rnn, as torch.nn.utils.rnn)
