"""Reverse-mode automatic differentiation: ``backward``, ``grad``, grad modes, ``Function``."""
from __future__ import annotations

from .function import Function, FunctionCtx
from .graph import enable_grad, is_grad_enabled, no_grad, output_ref, run_backward, set_grad_enabled


def _initial_grads(outputs, grad_outputs, op: str):
    from .ops import as_operand

    grads = []
    for i, out in enumerate(outputs):
        g = grad_outputs[i] if grad_outputs is not None and i < len(grad_outputs) else None
        if not out._requires_grad:
            raise RuntimeError(f"[{op}] element {i} of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if out.numel() != 1:
                raise RuntimeError(f"[{op}] grad can be implicitly created only for scalar outputs "
                                   f"(got an output of shape {list(out.shape)}); pass a gradient")
            from ..tensor import ones_like
            g = ones_like(out)
        elif not hasattr(g, "_c"):
            g = as_operand(g, out)
        if tuple(g.shape) != tuple(out.shape):
            raise RuntimeError(f"[{op}] Mismatch in shape: grad_output[{i}] has a shape of {list(g.shape)} and "
                               f"output[{i}] has a shape of {list(out.shape)}.")
        grads.append(g)
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulates d(tensors)/d(leaf) into each leaf's ``.grad``."""
    if hasattr(tensors, "_c"):
        tensors = [tensors]
    if grad_tensors is not None and hasattr(grad_tensors, "_c"):
        grad_tensors = [grad_tensors]
    tensors = list(tensors)
    grads = _initial_grads(tensors, grad_tensors, "backward")
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        inputs = [inputs] if hasattr(inputs, "_c") else list(inputs)
        res = grad(tensors, inputs, grads, retain_graph=retain_graph, create_graph=create_graph, allow_unused=True)
        for t, g in zip(inputs, res):
            if g is not None:
                t.grad = g if t.grad is None else t.grad + g
        return
    run_backward(tensors, grads, retain_graph=retain_graph, create_graph=create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=None,
         materialize_grads=False):
    """Returns d(outputs)/d(inputs) without touching ``.grad``."""
    single = hasattr(inputs, "_c")
    outputs = [outputs] if hasattr(outputs, "_c") else list(outputs)
    inputs = [inputs] if single else list(inputs)
    if grad_outputs is not None and hasattr(grad_outputs, "_c"):
        grad_outputs = [grad_outputs]
    for i, t in enumerate(inputs):
        if not t._requires_grad:
            raise RuntimeError(f"[grad] One of the differentiated Tensors (input {i}) does not require grad")
        output_ref(t)
    grads = _initial_grads(outputs, grad_outputs, "grad")
    if retain_graph is None:
        retain_graph = create_graph
    res = run_backward(outputs, grads, retain_graph=retain_graph, create_graph=create_graph, inputs=inputs)
    for i, r in enumerate(res):
        if r is None:
            if materialize_grads:
                from ..tensor import zeros_like
                res[i] = zeros_like(inputs[i])
            elif not allow_unused:
                raise RuntimeError(f"[grad] One of the differentiated Tensors (input {i}) appears to not have "
                                   "been used in the graph. Set allow_unused=True if this is the desired behavior.")
    return tuple(res)


__all__ = ["Function", "FunctionCtx", "backward", "grad", "no_grad", "enable_grad", "set_grad_enabled",
           "is_grad_enabled"]
