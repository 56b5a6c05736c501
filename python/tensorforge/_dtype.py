"""dtype and device objects, named and compared like PyTorch's."""
from __future__ import annotations

import builtins

import numpy as np


class dtype:
    """An element type: ``tensorforge.float32``, ``int64``, ``bool`` ..."""

    __slots__ = ("name", "code", "itemsize", "is_floating_point", "is_signed", "np")

    def __init__(self, name: str, code: int, itemsize: int, floating: bool, np_dtype):
        self.name = name
        self.code = code
        self.itemsize = itemsize
        self.is_floating_point = floating
        self.is_signed = name != "bool"
        self.np = np.dtype(np_dtype)

    def __repr__(self) -> str:
        return f"tensorforge.{self.name}"

    def __reduce__(self):
        return (_dtype_from_name, (self.name,))


bool_ = dtype("bool", 0, 1, False, np.bool_)
int32 = dtype("int32", 1, 4, False, np.int32)
int64 = dtype("int64", 2, 8, False, np.int64)
float32 = dtype("float32", 3, 4, True, np.float32)
float64 = dtype("float64", 4, 8, True, np.float64)

BY_CODE = (bool_, int32, int64, float32, float64)
_BY_NAME = {d.name: d for d in BY_CODE}
_BY_NAME.update({"float": float32, "double": float64, "long": int64, "int": int32})
_BY_NP = {d.np: d for d in BY_CODE}

_default_float = [float32]


def _dtype_from_name(name: str) -> dtype:
    return _BY_NAME[name]


def get_default_dtype() -> dtype:
    return _default_float[0]


def set_default_dtype(d: dtype) -> None:
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError(f"set_default_dtype: only floating dtypes are supported, got {d}")
    _default_float[0] = d


def to_dtype(d) -> dtype:
    """Accepts a tensorforge dtype, a numpy dtype / type, a Python type or a name."""
    if isinstance(d, dtype):
        return d
    if d is builtins.float:
        return _default_float[0]
    if d is builtins.int:
        return int64
    if d is builtins.bool:
        return bool_
    if isinstance(d, str):
        if d in _BY_NAME:
            return _BY_NAME[d]
        raise TypeError(f"unknown dtype '{d}'")
    try:
        nd = np.dtype(d)
    except TypeError:
        nd = None
    if nd is not None and nd in _BY_NP:
        return _BY_NP[nd]
    name = getattr(d, "name", None) or getattr(d, "__name__", None)
    if isinstance(name, str) and name in _BY_NAME:
        return _BY_NAME[name]
    raise TypeError(f"unsupported dtype {d!r}; supported: bool, int32, int64, float32, float64")


def from_numpy_dtype(nd: np.dtype) -> dtype | None:
    return _BY_NP.get(np.dtype(nd))


class device:
    """A device: ``device("cpu")``, ``device("cuda:0")``."""

    __slots__ = ("type", "index")

    def __init__(self, spec="cpu", index: int | None = None):
        if isinstance(spec, device):
            self.type, self.index = spec.type, spec.index
            return
        if not isinstance(spec, str):
            raise TypeError(f"device: expected a string like 'cpu' or 'cuda:0', got {spec!r}")
        kind, _, idx = spec.partition(":")
        if kind not in ("cpu", "cuda"):
            raise RuntimeError(
                f"Expected one of cpu, cuda device type at start of device string: {spec}")
        self.type = kind
        self.index = int(idx) if idx else index

    def __repr__(self) -> str:
        return f"device(type='{self.type}'" + (f", index={self.index})" if self.index is not None else ")")

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))


CPU = device("cpu")
