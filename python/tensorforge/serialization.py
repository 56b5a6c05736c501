"""``save`` / ``load``: state dicts and checkpoints as safetensors files.

Tensors are stored as safetensors entries (readable by PyTorch's and Hugging Face's
``safetensors`` tools). A flat ``{name: tensor}`` dict is written as a plain safetensors file;
anything else (nested dicts, lists, numbers, strings - e.g. an optimizer state dict) also
records its structure as JSON in the file's metadata. Loading parses JSON only: nothing in a
file can execute code. Writes are atomic (temporary file + rename).
"""
from __future__ import annotations

import json
import math
import os

from . import _C
from .tensor import Tensor, _check_device, _wrap

_STRUCTURE_KEY = "tensorforge.structure"

__all__ = ["save", "load"]


def _encode(obj, prefix: str, tensors: list, names: set):
    if isinstance(obj, Tensor):
        name = prefix or "tensor"
        while name in names:
            name += "_"
        names.add(name)
        tensors.append((name, obj.detach()._c))
        return {"__tensor__": name}
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not isinstance(k, (str, int, float, bool)) and k is not None:
                raise TypeError(f"[save] dict keys must be str, int, float, bool or None, got {type(k).__name__}")
            items.append([k, _encode(v, f"{prefix}.{k}" if prefix else str(k), tensors, names)])
        return {"__dict__": items}
    if isinstance(obj, (list, tuple)):
        kind = "__list__" if isinstance(obj, list) else "__tuple__"
        return {kind: [_encode(v, f"{prefix}.{i}" if prefix else str(i), tensors, names) for i, v in enumerate(obj)]}
    if isinstance(obj, float) and not math.isfinite(obj):
        return {"__float__": repr(obj)}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if hasattr(obj, "item") and hasattr(obj, "dtype"):  # numpy scalars
        return _encode(obj.item(), prefix, tensors, names)
    raise TypeError(f"[save] cannot save an object of type {type(obj).__name__}: only tensors, dicts, lists, "
                    "tuples, numbers, strings and None can be saved (nothing is pickled)")


def _decode(obj, tensors: dict):
    if isinstance(obj, dict):
        if "__tensor__" in obj:
            name = obj["__tensor__"]
            if name not in tensors:
                raise RuntimeError(f"[load] the file's structure refers to a missing tensor '{name}'")
            return tensors[name]
        if "__dict__" in obj:
            return {k: _decode(v, tensors) for k, v in obj["__dict__"]}
        if "__list__" in obj:
            return [_decode(v, tensors) for v in obj["__list__"]]
        if "__tuple__" in obj:
            return tuple(_decode(v, tensors) for v in obj["__tuple__"])
        if "__float__" in obj:
            return float(obj["__float__"])
        raise RuntimeError("[load] unrecognised entry in the file's structure")
    return obj


def save(obj, f, metadata: dict | None = None) -> None:
    """Saves ``obj`` (a tensor, or nested dicts/lists of tensors and plain values) to ``f``."""
    path = os.fspath(f)
    tensors: list = []
    names: set = set()
    flat = isinstance(obj, dict) and all(isinstance(k, str) and isinstance(v, Tensor) for k, v in obj.items())
    meta = {str(k): str(v) for k, v in (metadata or {}).items()}
    if flat:
        for k, v in obj.items():
            tensors.append((k, v.detach()._c))
    else:
        meta[_STRUCTURE_KEY] = json.dumps(_encode(obj, "", tensors, names))
    _C.save_safetensors(path, tensors, meta)


def load(f, map_location=None, weights_only: bool = True, mmap=None):
    """Loads what ``save`` wrote, or any safetensors file (as a ``{name: tensor}`` dict)."""
    if map_location is not None and not callable(map_location) and not isinstance(map_location, dict):
        _check_device(map_location, "load")
    path = os.fspath(f)
    entries, metadata = _C.load_safetensors(path)
    tensors = {name: _wrap(c) for name, c in entries}
    structure = metadata.get(_STRUCTURE_KEY)
    if structure is None:
        return tensors
    try:
        decoded = json.loads(structure)
    except ValueError as e:
        raise RuntimeError(f"[load] '{path}' has a malformed structure record: {e}") from None
    return _decode(decoded, tensors)
