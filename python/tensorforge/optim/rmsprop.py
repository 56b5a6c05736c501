"""RMSprop."""
from __future__ import annotations

from .. import _C
from ..tensor import Tensor, zeros_like
from .optimizer import Optimizer, check_hparams


class RMSprop(Optimizer):
    r"""RMSprop (``torch.optim.RMSprop``). Each step, with g the gradient (negated when
    ``maximize``)::

        g   <- g + weight_decay * p
        s    = alpha * s + (1 - alpha) * g^2
        a    = alpha * a + (1 - alpha) * g;  d = sqrt(s - a^2) + eps   (centered)
                                             d = sqrt(s) + eps         (otherwise)
        b    = momentum * b + g / d;  p <- p - lr * b                   (momentum > 0)
        p   <- p - lr * g / d                                           (otherwise)

    Args:
        params: tensors or param-group dicts.
        lr: learning rate (default 1e-2). alpha: smoothing constant (default 0.99).
        eps: added to the denominator (default 1e-8). weight_decay: L2 penalty (default 0).
        momentum: momentum factor (default 0). centered: normalise by the estimated variance.
        maximize: ascend the objective instead of descending.

    State per parameter: ``step``, ``square_avg`` (and ``momentum_buffer``, ``grad_avg``).
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0,
                 momentum: float = 0, centered: bool = False, capturable: bool = False, foreach=None,
                 maximize: bool = False, differentiable: bool = False):
        check_hparams(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay)
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered, maximize=maximize))

    def _update(self, group: dict, p: Tensor, state: dict) -> None:
        if not state:
            state["step"] = 0
            state["square_avg"] = zeros_like(p)
        buf = gavg = None
        if group["momentum"] > 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = zeros_like(p)
            buf = buf._c
        if group["centered"]:
            gavg = state.get("grad_avg")
            if gavg is None:
                gavg = state["grad_avg"] = zeros_like(p)
            gavg = gavg._c
        state["step"] += 1
        _C.rmsprop_step(p._c, p.grad._c, state["square_avg"]._c, gavg, buf, float(group["lr"]), group["alpha"],
                        group["eps"], group["weight_decay"], group["momentum"], group["maximize"])
