"""Adagrad."""
from __future__ import annotations

from .. import _C
from ..tensor import Tensor, full_like
from .optimizer import Optimizer, check_hparams


class Adagrad(Optimizer):
    r"""Adagrad (``torch.optim.Adagrad``). Each step t (from 1), with g the gradient (negated
    when ``maximize``)::

        g   <- g + weight_decay * p
        clr  = lr / (1 + (t - 1) * lr_decay)
        s    = s + g^2                          (s starts at initial_accumulator_value)
        p   <- p - clr * g / (sqrt(s) + eps)

    Args:
        params: tensors or param-group dicts.
        lr: learning rate (default 1e-2). lr_decay: learning-rate decay (default 0).
        weight_decay: L2 penalty (default 0). initial_accumulator_value: start of s (default 0).
        eps: added to the denominator (default 1e-10). maximize: ascend instead of descend.

    State per parameter: ``step`` and ``sum``, created when the optimizer is (as in PyTorch).
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach=None, *, maximize: bool = False,
                 differentiable: bool = False, fused=None):
        check_hparams(lr=lr, eps=eps, weight_decay=weight_decay)
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay, eps=eps,
                                      initial_accumulator_value=initial_accumulator_value, maximize=maximize))
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(group, p, self.state[p])

    @staticmethod
    def _init_state(group: dict, p: Tensor, state: dict) -> None:
        state["step"] = 0
        state["sum"] = full_like(p, group["initial_accumulator_value"])

    def _update(self, group: dict, p: Tensor, state: dict) -> None:
        if not state:
            self._init_state(group, p, state)
        state["step"] += 1
        _C.adagrad_step(p._c, p.grad._c, state["sum"]._c, int(state["step"]), float(group["lr"]), group["lr_decay"],
                        group["weight_decay"], group["eps"], group["maximize"])
