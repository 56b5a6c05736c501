"""Transfer learning: freeze a pretrained body, swap its head, load pretrained weights.

Example:
    >>> report = load_pretrained(model, "pretrained.safetensors")   # ours or PyTorch's
    >>> old = replace_head(model, nn.Linear(128, 5))                # the last Linear
    >>> freeze(model); unfreeze(model[-1])
    >>> opt = optim.Adam(filter(lambda p: p.requires_grad, model.parameters()), lr=1e-3)
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..nn.linear import Linear
from ..nn.module import Module
from ..serialization import load
from ..tensor import Tensor

__all__ = ["freeze", "unfreeze", "replace_head", "load_pretrained", "trainable_parameters", "LoadReport"]


def _params(target) -> list:
    if isinstance(target, Module):
        return list(target.parameters())
    if isinstance(target, Tensor):
        return [target]
    try:
        items = list(target)
    except TypeError:
        raise TypeError(f"expected a Module, a parameter or an iterable of them, got {type(target).__name__}") from None
    out = []
    for item in items:
        out.extend(_params(item))
    return out


def _set_requires_grad(target, flag: bool) -> int:
    params = _params(target)
    for p in params:
        if not p.is_leaf:
            raise ValueError("freeze/unfreeze: only leaf tensors (parameters) can be frozen")
        p.requires_grad_(flag)
    return len(params)


def freeze(target) -> int:
    """Stops gradients for a module's parameters (or given parameters, or an iterable of
    modules/parameters): ``requires_grad = False``, so backward skips them and an optimizer
    built over ``filter(lambda p: p.requires_grad, ...)`` leaves them alone. Batch-norm running
    statistics still update in train mode; put those layers in ``eval()`` to fix them too.

    Returns:
        The number of parameter tensors frozen.
    """
    return _set_requires_grad(target, False)


def unfreeze(target) -> int:
    """Undoes ``freeze``: ``requires_grad = True``. Returns the number of parameter tensors."""
    return _set_requires_grad(target, True)


def trainable_parameters(module: Module) -> list:
    """The parameters of ``module`` that require gradients (to build an optimizer over)."""
    return [p for p in module.parameters() if p.requires_grad]


def replace_head(model: Module, new_head: Module, name: str | None = None) -> Module:
    """Replaces the model's output layer with ``new_head`` and returns the old one.

    Args:
        model: the model (changed in place).
        new_head: the new module (e.g. ``nn.Linear(in_features, new_classes)``).
        name: the dotted name of the module to replace (``"fc"``, ``"classifier.3"``); default:
            the last ``nn.Linear`` of the model (in ``named_modules`` order, e.g. the last Linear
            of a Sequential).

    Raises:
        ValueError: no ``name`` and no Linear in the model, or ``name`` names no submodule.
        TypeError: ``new_head`` is not a Module.
    """
    if not isinstance(new_head, Module):
        raise TypeError(f"replace_head: new_head must be an nn.Module, got {type(new_head).__name__}")
    if name is None:
        linears = [n for n, m in model.named_modules() if isinstance(m, Linear) and n]
        if not linears:
            raise ValueError(f"replace_head: {type(model).__name__} has no nn.Linear submodule; pass name=")
        name = linears[-1]
    try:
        old = model.get_submodule(name)
    except AttributeError:
        names = [n for n, _ in model.named_modules() if n]
        raise ValueError(f"replace_head: {type(model).__name__} has no submodule '{name}'; submodules: "
                         f"{', '.join(names)}") from None
    parent, _, last = name.rpartition(".")
    setattr(model.get_submodule(parent), last, new_head)
    return old


@dataclass
class LoadReport:
    """What ``load_pretrained`` did: the keys loaded, those of the model the file lacks, those
    of the file the model lacks, and those skipped for a different shape."""

    loaded: list = field(default_factory=list)
    missing_keys: list = field(default_factory=list)
    unexpected_keys: list = field(default_factory=list)
    mismatched_keys: list = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"loaded {len(self.loaded)} tensors"]
        for title, keys in (("missing (kept as initialised)", self.missing_keys),
                            ("unexpected (ignored)", self.unexpected_keys),
                            ("shape mismatch (skipped)", self.mismatched_keys)):
            if keys:
                lines.append(f"{title}: {', '.join(keys)}")
        return "\n".join(lines)


def load_pretrained(model: Module, source, strict: bool = False, skip_mismatched: bool = True,
                    prefix: str = "") -> LoadReport:
    """Loads pretrained weights into ``model`` by name, for transfer learning.

    Args:
        source: a path to a safetensors file (written by ``tensorforge.save``, PyTorch's
            ``safetensors.torch.save_file`` or any safetensors tool), or a state dict.
        strict: raise unless the keys match exactly (as ``load_state_dict(strict=True)``).
        skip_mismatched: leave out tensors whose shape differs from the model's (a head with
            another number of classes) instead of raising.
        prefix: a prefix to strip from the file's keys (``"module."`` for DataParallel
            checkpoints, ``"backbone."``...).

    Returns:
        A ``LoadReport`` of the loaded, missing, unexpected and mismatched keys.

    Raises:
        RuntimeError: with ``strict``, missing or unexpected keys; any shape mismatch when not
        ``skip_mismatched``.
    """
    state = load(os.fspath(source)) if isinstance(source, (str, os.PathLike)) else source
    if not hasattr(state, "items"):
        raise TypeError(f"load_pretrained: expected a path or a state dict, got {type(state).__name__}")
    if prefix:
        state = {k.removeprefix(prefix): v for k, v in state.items()}
    own = model.state_dict()
    mismatched = []
    if skip_mismatched:
        mismatched = [k for k, v in state.items()
                      if k in own and isinstance(v, Tensor) and tuple(v.shape) != tuple(own[k].shape)]
        state = {k: v for k, v in state.items() if k not in mismatched}
    result = model.load_state_dict(state, strict=strict)
    missing = [k for k in result.missing_keys if k not in mismatched]
    loaded = [k for k in own if k in state]
    return LoadReport(loaded, missing, list(result.unexpected_keys), mismatched)
