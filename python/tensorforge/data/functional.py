"""Batched image ops with per-image parameters (``tensorforge.data.functional``).

Each op takes a ``(C, H, W)`` image or an ``(N, C, H, W)`` batch and one parameter per image (a
scalar applies to all), and runs one C++ kernel over the whole batch. Geometry follows
torchvision: rows are y, columns x, a positive angle turns counter-clockwise. These are data
ops: the result never requires grad. This is the one module of ``tensorforge.data`` that calls
the C++ core.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .. import _C
from ..tensor import Tensor, _wrap, from_numpy


def _images(x, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"[{op}] expected a tensorforge.Tensor image or batch, got {type(x).__name__}")
    return x


def _count(x: Tensor) -> int:
    return x.shape[0] if x.ndim == 4 else 1


def _per_image(value, n: int, dtype, op: str, what: str) -> Tensor:
    """One value per image as a contiguous [n] tensor (a scalar is repeated)."""
    if isinstance(value, Tensor):
        arr = value.detach().numpy()
    else:
        arr = np.asarray(value)
    if arr.ndim == 0:
        arr = np.full(n, arr.item())
    if arr.ndim != 1:
        raise ValueError(f"[{op}] {what} must be a scalar or hold one value per image ({n}), got shape "
                         f"{list(arr.shape)}")
    return from_numpy(np.ascontiguousarray(arr, dtype=dtype))


def _fill(fill, op: str) -> list:
    if fill is None:
        return []
    if isinstance(fill, (int, float, np.number)):
        return [float(fill)]
    try:
        return [float(v) for v in fill]
    except TypeError:
        raise TypeError(f"[{op}] fill must be a number or a sequence of numbers, got {type(fill).__name__}") from None


def flip(images: Tensor, horizontal=False, vertical=False) -> Tensor:
    """Flips image n left-right where ``horizontal[n]`` and top-bottom where ``vertical[n]``.

    Args:
        images: ``(C, H, W)`` or ``(N, C, H, W)``, any dtype.
        horizontal, vertical: a bool for every image, or one per image (sequence/array/tensor).
    """
    x = _images(images, "flip_images")
    n = _count(x)
    h = _per_image(horizontal, n, np.bool_, "flip_images", "horizontal")
    v = _per_image(vertical, n, np.bool_, "flip_images", "vertical")
    return _wrap(_C.flip_images(x._c, h._c, v._c))


def hflip(images: Tensor) -> Tensor:
    """Every image flipped left-right (numpy's ``flip(x, -1)``)."""
    return flip(images, horizontal=True)


def vflip(images: Tensor) -> Tensor:
    """Every image flipped top-bottom (numpy's ``flip(x, -2)``)."""
    return flip(images, vertical=True)


def _padding4(padding, op: str) -> list:
    """torchvision's padding forms: int, (left/right, top/bottom) or (left, top, right, bottom)."""
    if padding is None:
        return [0, 0, 0, 0]
    if isinstance(padding, (int, np.integer)):
        return [int(padding)] * 4
    p = [int(v) for v in padding]
    if len(p) == 1:
        return p * 4
    if len(p) == 2:
        return [p[0], p[1], p[0], p[1]]
    if len(p) == 4:
        return p
    raise ValueError(f"[{op}] padding must be an int or a sequence of 1, 2 or 4 ints, got {list(padding)}")


def crop(images: Tensor, top, left, height: int, width: int, padding=None, padding_mode: str = "constant",
         fill=0) -> Tensor:
    """The ``height x width`` window at (``top[n]``, ``left[n]``) of each image after padding it.

    Args:
        top, left: offsets into the padded image, a scalar or one per image.
        padding: int, (left/right, top/bottom) or (left, top, right, bottom), as torchvision.
        padding_mode: ``constant`` (with ``fill``: a number or one per channel), ``edge``,
            ``reflect`` or ``symmetric`` (numpy's ``pad`` modes edge/reflect/symmetric).

    Raises:
        ValueError: a window that does not fit the padded image, a bad padding or mode.
    """
    x = _images(images, "crop_images")
    n = _count(x)
    t = _per_image(top, n, np.int64, "crop_images", "top")
    l_ = _per_image(left, n, np.int64, "crop_images", "left")
    return _wrap(_C.crop_images(x._c, t._c, l_._c, int(height), int(width), _padding4(padding, "crop_images"),
                                padding_mode, _fill(fill, "crop_images")))


def _interpolation(mode) -> str:
    name = getattr(mode, "value", mode)  # accepts torchvision-style enums with a .value string
    return str(name).lower()


def rotate(images: Tensor, angle, interpolation: str = "nearest", center: Sequence[float] | None = None,
           fill=None) -> Tensor:
    """Rotates image n by ``angle[n]`` degrees counter-clockwise about ``center`` (x, y), the
    image centre by default, keeping the size (torchvision's ``rotate`` with expand=False).

    Args:
        interpolation: ``nearest`` or ``bilinear``.
        fill: a number or one per channel, blended in as torchvision does: a nearest pixel from
            outside the image takes it; a bilinear one is ``m * S + (1 - m) * fill``, where ``S``
            sums the weighted taps inside the image and ``m`` their weights. ``None``: zeros
            padding, ``S`` alone (torchvision's ``rotate`` default).
    """
    x = _images(images, "rotate_images")
    a = _per_image(angle, _count(x), np.float64, "rotate_images", "angle")
    c = None if center is None else (float(center[0]), float(center[1]))
    return _wrap(_C.rotate_images(x._c, a._c, _interpolation(interpolation), _fill(fill, "rotate_images"), c))


def affine(images: Tensor, matrices, size: Sequence[int] | None = None, interpolation: str = "bilinear",
           fill=None) -> Tensor:
    """Warps each image by its own 2x3 matrix mapping output pixel (x, y, 1) to the source pixel
    it samples (``matrices``: ``(N, 2, 3)``, or ``(2, 3)`` for all); ``size`` = (out_h, out_w),
    default the input's; ``fill`` as in ``rotate``."""
    x = _images(images, "affine_images")
    m = matrices.detach().numpy() if isinstance(matrices, Tensor) else np.asarray(matrices, dtype=np.float64)
    n = _count(x)
    if m.shape == (2, 3):
        m = np.broadcast_to(m, (n, 2, 3))
    h, w = (x.shape[-2], x.shape[-1]) if size is None else (int(size[0]), int(size[1]))
    mt = from_numpy(np.ascontiguousarray(m, dtype=np.float64))
    return _wrap(_C.affine_images(x._c, mt._c, h, w, _interpolation(interpolation), _fill(fill, "affine_images")))
