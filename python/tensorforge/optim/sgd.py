"""Stochastic gradient descent with momentum."""
from __future__ import annotations

from .. import _C
from ..tensor import Tensor, empty_like
from .optimizer import Optimizer, check_hparams


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum (``torch.optim.SGD``).

    Each step, with g the gradient (negated when ``maximize``)::

        g   <- g + weight_decay * p
        b_t  = g                                           (first step)
        b_t  = momentum * b_{t-1} + (1 - dampening) * g    (later steps; momentum != 0)
        g   <- g + momentum * b_t  if nesterov  else  b_t  (momentum != 0)
        p   <- p - lr * g

    Args:
        params: tensors or param-group dicts.
        lr: learning rate (default 1e-3). momentum: momentum factor (default 0).
        dampening: dampening of the momentum (default 0). weight_decay: L2 penalty (default 0).
        nesterov: Nesterov momentum (needs momentum > 0 and dampening 0).
        maximize: ascend the objective instead of descending.

    Example:
        >>> opt = tensorforge.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0, weight_decay: float = 0,
                 nesterov: bool = False, *, maximize: bool = False, foreach=None, differentiable: bool = False,
                 fused=None):
        check_hparams(lr=lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize))

    def _update(self, group: dict, p: Tensor, state: dict) -> None:
        momentum = group["momentum"]
        buf = state.get("momentum_buffer")
        first = buf is None
        if momentum != 0 and first:
            buf = state["momentum_buffer"] = empty_like(p)
        _C.sgd_step(p._c, p.grad._c, buf._c if momentum != 0 else None, float(group["lr"]), momentum,
                    group["dampening"], group["weight_decay"], group["nesterov"], group["maximize"], first)
