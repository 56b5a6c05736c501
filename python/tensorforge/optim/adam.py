"""Adam and AdamW."""
from __future__ import annotations

from .. import _C
from ..tensor import zeros_like
from .optimizer import Optimizer, check_hparams


class Adam(Optimizer):
    """Adam (torch.optim.Adam). With g = grad (+ weight_decay * p for Adam, or p *= 1 - lr*wd for AdamW):

    m_t = b1 m + (1 - b1) g;  v_t = b2 v + (1 - b2) g^2;  (amsgrad: v_t <- max(v_max, v_t))
    p <- p - lr / (1 - b1^t) * m_t / (sqrt(v_t) / sqrt(1 - b2^t) + eps)
    """

    _decoupled = False

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0,
                 amsgrad: bool = False, *, foreach=None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused=None):
        check_hparams(lr=lr, eps=eps, weight_decay=weight_decay, betas=betas)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))

    def _update(self, group, p, state):
        if not state:
            state["step"] = 0
            state["exp_avg"] = zeros_like(p)
            state["exp_avg_sq"] = zeros_like(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = zeros_like(p)
        state["step"] += 1
        b1, b2 = group["betas"]
        vmax = state.get("max_exp_avg_sq") if group["amsgrad"] else None
        _C.adam_step(p._c, p.grad._c, state["exp_avg"]._c, state["exp_avg_sq"]._c, vmax._c if vmax is not None else None,
                     int(state["step"]), float(group["lr"]), b1, b2, group["eps"], group["weight_decay"],
                     self._decoupled, group["maximize"])


class AdamW(Adam):
    """Adam with decoupled weight decay (torch.optim.AdamW): p <- p (1 - lr * weight_decay) first."""

    _decoupled = True

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2,
                 amsgrad: bool = False, *, maximize: bool = False, foreach=None, capturable: bool = False,
                 differentiable: bool = False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
