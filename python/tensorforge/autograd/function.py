"""Custom differentiable ops: subclass ``Function`` with static ``forward``/``backward``."""
from __future__ import annotations

from .graph import _grad_enabled, no_grad, record


class FunctionCtx:
    """The ``ctx`` handed to ``forward`` and ``backward``."""

    def __init__(self):
        self.saved_tensors = ()
        self.needs_input_grad = ()
        self._non_differentiable = set()
        self._node = None

    def save_for_backward(self, *tensors):
        self._to_save = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable.update(id(t) for t in tensors)

    def set_materialize_grads(self, value: bool):
        self._materialize = value


def _custom_rule(node, g):
    cls, ctx, positions, n_inputs = node.info
    ctx.saved_tensors = node.saved
    grads = cls.backward(ctx, g)
    if not isinstance(grads, tuple):
        grads = (grads,)
    if len(grads) < n_inputs:
        raise RuntimeError(f"[{cls.__name__}.backward] returned {len(grads)} gradients, expected {n_inputs}")
    return tuple(grads[i] for i in positions)


class Function:
    """Base class of custom autograd ops::

        class Exp(Function):
            @staticmethod
            def forward(ctx, x):
                y = x.exp(); ctx.save_for_backward(y); return y
            @staticmethod
            def backward(ctx, g):
                (y,) = ctx.saved_tensors; return g * y
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("Function.forward must be overridden")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("Function.backward must be overridden")

    @classmethod
    def apply(cls, *args):
        from ..tensor import Tensor

        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        with no_grad():
            out = cls.forward(ctx, *args)
        tensor_positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        parents = tuple(args[i] for i in tensor_positions)
        if _grad_enabled[0] and any(p._requires_grad for p in parents):
            saved = getattr(ctx, "_to_save", ())
            outs = out if isinstance(out, tuple) else (out,)
            first = outs[0]
            if id(first) not in ctx._non_differentiable:
                if any(first is a for a in args):
                    first = first.detach()
                    outs = (first,) + tuple(outs[1:])
                    out = outs if isinstance(out, tuple) else first
                record(first, _custom_rule, parents, tuple(saved), (cls, ctx, tensor_positions, len(args)))
        return out
