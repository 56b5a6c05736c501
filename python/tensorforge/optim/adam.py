"""Adam and AdamW."""
from __future__ import annotations

from .. import _C
from ..tensor import Tensor, zeros_like
from .optimizer import Optimizer, check_hparams


class Adam(Optimizer):
    r"""Adam (``torch.optim.Adam``). Each step t (counted per parameter from 1), with g the
    gradient (negated when ``maximize``)::

        g   <- g + weight_decay * p                    (Adam: L2 penalty in the gradient)
        p   <- p * (1 - lr * weight_decay)              (AdamW: decoupled decay instead)
        m_t  = beta1 * m_{t-1} + (1 - beta1) * g
        v_t  = beta2 * v_{t-1} + (1 - beta2) * g^2
        v_t <- max(v_max, v_t); v_max = v_t            (amsgrad)
        p   <- p - lr / (1 - beta1^t) * m_t / (sqrt(v_t) / sqrt(1 - beta2^t) + eps)

    Args:
        params: tensors or param-group dicts.
        lr: learning rate (default 1e-3). betas: (beta1, beta2), each in [0, 1) (default
            (0.9, 0.999)). eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty (default 0). amsgrad: keep the running maximum of v.
        maximize: ascend the objective instead of descending.

    State per parameter: ``step``, ``exp_avg``, ``exp_avg_sq`` (and ``max_exp_avg_sq``).
    """

    _decoupled = False

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0,
                 amsgrad: bool = False, *, foreach=None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused=None, decoupled_weight_decay: bool = False):
        check_hparams(lr=lr, eps=eps, weight_decay=weight_decay, betas=betas)
        self._decoupled = self._decoupled or decoupled_weight_decay
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))

    def _update(self, group: dict, p: Tensor, state: dict) -> None:
        if not state:
            state["step"] = 0
            state["exp_avg"] = zeros_like(p)
            state["exp_avg_sq"] = zeros_like(p)
        vmax = None
        if group["amsgrad"]:
            vmax = state.get("max_exp_avg_sq")
            if vmax is None:
                vmax = state["max_exp_avg_sq"] = zeros_like(p)
            vmax = vmax._c
        state["step"] += 1
        b1, b2 = group["betas"]
        _C.adam_step(p._c, p.grad._c, state["exp_avg"]._c, state["exp_avg_sq"]._c, vmax, int(state["step"]),
                     float(group["lr"]), b1, b2, group["eps"], group["weight_decay"], self._decoupled,
                     group["maximize"])


class AdamW(Adam):
    r"""Adam with decoupled weight decay (``torch.optim.AdamW``): the parameter shrinks by
    ``p <- p * (1 - lr * weight_decay)`` before the Adam update, instead of the decay entering
    the gradient. Same arguments as :class:`Adam`; weight_decay defaults to 1e-2."""

    _decoupled = True

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2,
                 amsgrad: bool = False, *, maximize: bool = False, foreach=None, capturable: bool = False,
                 differentiable: bool = False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
