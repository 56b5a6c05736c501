"""Adagrad."""
from __future__ import annotations

from .. import _C
from ..tensor import full_like
from .optimizer import Optimizer, check_hparams


class Adagrad(Optimizer):
    """Adagrad (torch.optim.Adagrad). With g = grad (+ weight_decay * p), clr = lr / (1 + (t-1) lr_decay):

    s += g^2;  p -= clr * g / (sqrt(s) + eps)
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach=None, *, maximize: bool = False,
                 differentiable: bool = False, fused=None):
        check_hparams(lr=lr, eps=eps, weight_decay=weight_decay)
        if lr_decay < 0.0:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if initial_accumulator_value < 0.0:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay, eps=eps,
                                      initial_accumulator_value=initial_accumulator_value, maximize=maximize))
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p]["step"] = 0
                self.state[p]["sum"] = full_like(p, group["initial_accumulator_value"])

    def _update(self, group, p, state):
        state["step"] += 1
        _C.adagrad_step(p._c, p.grad._c, state["sum"]._c, int(state["step"]), group["lr"], group["lr_decay"],
                        group["weight_decay"], group["eps"], group["maximize"])
