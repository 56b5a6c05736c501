"""The autograd graph: grad mode, nodes, and the engine that walks them backwards.

A node is created per differentiable op (``record``). It holds the op's inputs (``parents``),
what its backward rule needs (``saved`` tensors, checked against in-place changes, and plain
``info``), and the rule itself from ``rules.py``. ``backward`` sorts the graph topologically
from the output, runs each rule once with the summed gradient of its output, and accumulates
into the ``.grad`` of leaves.
"""
from __future__ import annotations

import functools
import heapq
import sys
import itertools
import weakref

_grad_enabled = [True]


def is_grad_enabled() -> bool:
    return _grad_enabled[0]


class _GradMode:
    """Base of ``no_grad`` / ``enable_grad``: a context manager and a decorator."""

    mode = True

    def __enter__(self):
        self._prev = _grad_enabled[0]
        _grad_enabled[0] = self.mode
        return self

    def __exit__(self, *exc):
        _grad_enabled[0] = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Disables graph recording inside the block (or the decorated function)."""

    mode = False


class enable_grad(_GradMode):
    """Enables graph recording inside the block, e.g. within ``no_grad``."""

    mode = True


class set_grad_enabled(_GradMode):
    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self._prev = _grad_enabled[0]
        _grad_enabled[0] = self.mode

    def __enter__(self):
        return self

    def __call__(self, fn):
        mode = self.mode
        _grad_enabled[0] = self._prev

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


_sequence = itertools.count()


class Node:
    """One recorded op: ``grad_fn`` of its output tensor. ``seq`` grows with creation order, so
    every node is newer than the nodes that produced its inputs."""

    __slots__ = ("rule", "parents", "saved", "versions", "info", "out_ref", "hooks", "freed", "seq",
                 "__weakref__")

    def __init__(self, rule, parents, saved, info):
        self.seq = next(_sequence)
        self.rule = rule
        self.parents = parents
        self.saved = saved
        self.versions = tuple([t._c.version if t is not None else 0 for t in saved]) if saved else ()
        self.info = info
        self.out_ref = None
        self.hooks = None  # hooks registered on the output tensor
        self.freed = False

    def name(self) -> str:
        n = self.rule.__name__
        return "".join(p.capitalize() for p in n.split("_")) + "Backward"

    def __repr__(self) -> str:
        return f"<{self.name()} object>"

    @property
    def next_functions(self):
        return tuple((p.grad_fn, 0) if p is not None else (None, 0) for p in self.parents)

    def unpack(self):
        """The saved tensors, after checking none was modified in place since the forward."""
        if self.freed:
            raise RuntimeError(
                f"[{self.name()}] Trying to backward through the graph a second time (or directly access "
                "saved tensors after they have already been freed). Saved intermediate values of the graph "
                "are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you "
                "need to backward through the graph a second time.")
        for t, v in zip(self.saved, self.versions):
            if t is not None and t._c.version != v:
                raise RuntimeError(
                    f"[{self.name()}] one of the variables needed for gradient computation has been "
                    f"modified by an inplace operation: tensor of shape {list(t.shape)} is at version "
                    f"{t._c.version}; expected version {v} instead.")
        return self.saved


def needs_grad(*tensors) -> bool:
    if not _grad_enabled[0]:
        return False
    for t in tensors:
        if t is not None and t._requires_grad:
            return True
    return False


def record(out, rule, parents, saved=(), info=None, save_output=False):
    """Attaches a node to ``out`` (already computed) if any parent requires grad."""
    node = Node(rule, parents, saved, info)
    if save_output:
        # A detached alias (last in ``saved``): no reference cycle through the output.
        node.saved = node.saved + (out.detach(),)
        node.versions = node.versions + (out._c.version,)
    out._requires_grad = True
    out.grad_fn = node
    return out


def _apply_hooks(hooks, g):
    for h in hooks:
        r = h(g)
        if r is not None:
            g = r
    return g


_callbacks = []  # queued by queue_callback during the outermost backward pass in progress
_passes = []  # one entry per backward pass in progress (a hook may start a nested one): does it
#               accumulate into .grad (backward) rather than return gradients (autograd.grad)?


def accumulates_grad() -> bool:
    """True while the innermost backward pass in progress accumulates into the leaves' ``.grad``
    (``backward()``), False during ``autograd.grad`` or outside backward."""
    return bool(_passes) and _passes[-1]


def queue_callback(fn) -> None:
    """Runs ``fn()`` once the backward pass in progress has accumulated every leaf gradient
    (PyTorch's ``Variable._execution_engine.queue_callback``). Gradient hooks use it to act on
    the finished ``.grad`` fields: DistributedDataParallel all-reduces them there."""
    if not _passes:
        raise RuntimeError("[queue_callback] can only be called while a backward pass runs")
    _callbacks.append(fn)


def run_backward(roots, grads, retain_graph=False, create_graph=False, inputs=None):
    """Propagates ``grads`` from ``roots``. With ``inputs``, returns their gradients
    (``autograd.grad``) instead of accumulating into the leaves' ``.grad``.

    Nodes run newest first (a max-heap on ``seq``): by then every consumer of a node's output
    has run and its gradient is complete, as in a topological order, without a separate pass.
    """
    wanted = {id(t): i for i, t in enumerate(inputs)} if inputs is not None else None
    results = [None] * len(inputs) if inputs is not None else None
    node_grads = {}
    heap = []
    leaf_grads = {}  # leaf -> [summed grad, whether that tensor is ours to keep]

    def push(node, g):
        prev = node_grads.get(node)
        if prev is None:
            node_grads[node] = g
            heapq.heappush(heap, (-node.seq, node))
        else:
            node_grads[node] = prev + g

    def to_leaf(t, g):
        entry = leaf_grads.get(t)
        if entry is None:
            leaf_grads[t] = [g, False]
        else:
            entry[0] = entry[0] + g
            entry[1] = True

    prev_mode = _grad_enabled[0]
    _grad_enabled[0] = bool(create_graph)
    _passes.append(inputs is None)
    try:
        for r, g in zip(roots, grads):
            if r.grad_fn is not None:
                push(r.grad_fn, g)
            elif r._requires_grad:
                to_leaf(r, g)
        while heap:
            node = heapq.heappop(heap)[1]
            g = node_grads.pop(node)
            if node.hooks:
                g = _apply_hooks(node.hooks, g)
            if node.out_ref is not None:
                out = node.out_ref()
                if out is not None:
                    if wanted is not None:
                        i = wanted.get(id(out))
                        if i is not None:
                            results[i] = g
                    elif out._retains_grad:
                        out.grad = g.detach() if out.grad is None else out.grad + g.detach()
            if node.freed or node.saved:
                node.unpack()
            parent_grads = node.rule(node, g)
            if not retain_graph:
                node.saved = ()
                node.freed = True
            for p, pg in zip(node.parents, parent_grads):
                if pg is None or p is None or not p._requires_grad:
                    continue
                if p.grad_fn is not None:
                    push(p.grad_fn, pg)
                else:
                    to_leaf(p, pg)
        parent_grads = pg = None  # the last node's gradients: let the leaves below steal them
        for t, (g, owned) in leaf_grads.items():
            if wanted is not None:  # autograd.grad: only the requested leaves (and their hooks)
                i = wanted.get(id(t))
                if i is not None:
                    results[i] = _apply_hooks(t._hooks, g) if t._hooks else g
                continue
            if t._hooks:
                g = _apply_hooks(t._hooks, g)
            if t.grad is None:
                # Keep the tensor itself when nothing else can see it (as PyTorch steals a
                # gradient whose use count is one); otherwise copy, so .grad never aliases.
                steal = create_graph or owned or (sys.getrefcount(g) <= 3 and g._c.offset == 0
                                                  and g._c.is_contiguous())
                t.grad = g if steal else g.detach().clone()
            elif create_graph:
                t.grad = t.grad + g
            else:
                t.grad.add_(g)
        while len(_passes) == 1 and _callbacks:
            _callbacks.pop(0)()
    finally:
        _grad_enabled[0] = prev_mode
        _passes.pop()
        if not _passes:
            _callbacks.clear()
    return results


def output_ref(t):
    """Links t's node back to t (for hooks, retain_grad and autograd.grad on non-leaves)."""
    if t.grad_fn is not None and t.grad_fn.out_ref is None:
        t.grad_fn.out_ref = weakref.ref(t)


# ---- ops with several differentiable outputs (recurrent layers) -------------------------------
class MultiGrad:
    """The gradients of a multi-output node's outputs, one slot per output (None where no
    gradient flowed). The engine sums a node's incoming gradients with ``+``."""

    __slots__ = ("slots",)

    def __init__(self, slots):
        self.slots = slots

    def __add__(self, other):
        return MultiGrad(tuple(a if b is None else (b if a is None else a + b) for a, b in zip(self.slots, other.slots)))


_slot_rules = {}


def _slot_rule(rule):
    """The pass-through rule of one output: its gradient into its slot of the op's MultiGrad."""
    fn = _slot_rules.get(rule)
    if fn is None:
        def fn(node, g):
            slot, count = node.info
            return (MultiGrad(tuple(g if i == slot else None for i in range(count))),)

        fn.__name__ = rule.__name__
        _slot_rules[rule] = fn
    return fn


def record_multi(outs, rule, parents, saved=(), info=None):
    """Records one node for an op with several differentiable outputs (None entries skipped):
    ``rule(node, g)`` receives a MultiGrad with each output's gradient in its slot. The node
    hangs on a hidden carrier tensor; each output gets a pass-through node into it, so gradients
    of any subset of the outputs reach the op's rule once, summed per slot."""
    carrier = next(o for o in outs if o is not None).detach()
    record(carrier, rule, parents, saved, info)
    slot_rule = _slot_rule(rule)
    for i, o in enumerate(outs):
        if o is not None:
            record(o, slot_rule, (carrier,), (), (i, len(outs)))
    return outs
