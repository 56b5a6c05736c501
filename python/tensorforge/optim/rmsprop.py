"""RMSprop."""
from __future__ import annotations

from .. import _C
from ..tensor import zeros_like
from .optimizer import Optimizer, check_hparams


class RMSprop(Optimizer):
    """RMSprop (torch.optim.RMSprop). With g = grad (+ weight_decay * p):

    s = alpha s + (1 - alpha) g^2;  centered: a = alpha-average of g, denom = sqrt(s - a^2) + eps
    momentum: b = momentum b + g / denom, p -= lr b;  else p -= lr g / denom
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0,
                 momentum: float = 0, centered: bool = False, capturable: bool = False, foreach=None,
                 maximize: bool = False, differentiable: bool = False):
        check_hparams(lr=lr, eps=eps, weight_decay=weight_decay, momentum=momentum)
        if alpha < 0.0:
            raise ValueError(f"Invalid alpha value: {alpha}")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered, maximize=maximize))

    def _update(self, group, p, state):
        if not state:
            state["step"] = 0
            state["square_avg"] = zeros_like(p)
            if group["momentum"] > 0:
                state["momentum_buffer"] = zeros_like(p)
            if group["centered"]:
                state["grad_avg"] = zeros_like(p)
        state["step"] += 1
        gavg = state.get("grad_avg") if group["centered"] else None
        buf = state.get("momentum_buffer") if group["momentum"] > 0 else None
        _C.rmsprop_step(p._c, p.grad._c, state["square_avg"]._c, gavg._c if gavg is not None else None,
                        buf._c if buf is not None else None, group["lr"], group["alpha"], group["eps"],
                        group["weight_decay"], group["momentum"], group["maximize"])
