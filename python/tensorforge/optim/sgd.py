"""Stochastic gradient descent with momentum."""
from __future__ import annotations

from .. import _C
from ..tensor import zeros_like
from .optimizer import Optimizer, check_hparams, required


class SGD(Optimizer):
    """SGD (torch.optim.SGD). With g = grad (+ weight_decay * p):

    b_t = momentum * b_{t-1} + (1 - dampening) * g   (b_1 = g)
    g <- g + momentum * b_t if nesterov else b_t
    p <- p - lr * g
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0, weight_decay: float = 0,
                 nesterov: bool = False, *, maximize: bool = False, foreach=None, differentiable: bool = False,
                 fused=None):
        check_hparams(lr=lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize))

    def _update(self, group, p, state):
        momentum = group["momentum"]
        buf = state.get("momentum_buffer")
        first = buf is None
        if momentum != 0 and first:
            buf = state["momentum_buffer"] = zeros_like(p)
        _C.sgd_step(p._c, p.grad._c, buf._c if buf is not None else None, group["lr"], momentum,
                    group["dampening"], group["weight_decay"], group["nesterov"], group["maximize"], first)
