"""Padding layers over F.pad: zero, constant, reflection, replication and circular, 1-D to 3-D.

``padding`` is one int (every side) or a tuple (left, right[, top, bottom[, front, back]]).
"""
from __future__ import annotations

from . import functional as F
from .module import Module

__all__ = ["ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
           "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d"]


def _sides(padding, dims: int) -> tuple:
    n = 2 * dims
    if isinstance(padding, (list, tuple)):
        if len(padding) != n:
            raise ValueError(f"expected {n} padding values, got {tuple(padding)}")
        return tuple(int(p) for p in padding)
    return (int(padding),) * n


class _PadNd(Module):
    mode = "constant"
    dims = 1

    def __init__(self, padding):
        super().__init__()
        self.padding = _sides(padding, self.dims)

    def _check_input_dim(self, input) -> None:
        if input.ndim not in (self.dims + 1, self.dims + 2):
            raise ValueError(f"expected {self.dims + 1}D or {self.dims + 2}D input (got {input.ndim}D input)")

    def forward(self, input):
        self._check_input_dim(input)
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    dims = 1


class ConstantPad2d(_ConstantPadNd):
    dims = 2


class ConstantPad3d(_ConstantPadNd):
    dims = 3


class ZeroPad1d(ConstantPad1d):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ReflectionPadNd(_PadNd):
    mode = "reflect"

    def forward(self, input):
        return F.pad(input, self.padding, self.mode)


class ReflectionPad1d(_ReflectionPadNd):
    dims = 1


class ReflectionPad2d(_ReflectionPadNd):
    dims = 2


class ReflectionPad3d(_ReflectionPadNd):
    dims = 3


class ReplicationPad1d(_ReflectionPadNd):
    mode, dims = "replicate", 1


class ReplicationPad2d(_ReflectionPadNd):
    mode, dims = "replicate", 2


class ReplicationPad3d(_ReflectionPadNd):
    mode, dims = "replicate", 3


class CircularPad1d(_PadNd):
    """Checks the input dims (as PyTorch's circular pads do) before padding."""

    mode, dims = "circular", 1


class CircularPad2d(_PadNd):
    mode, dims = "circular", 2


class CircularPad3d(_PadNd):
    mode, dims = "circular", 3
