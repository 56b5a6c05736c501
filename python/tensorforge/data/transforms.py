"""Image augmentation: torchvision's random transforms, applied per batch.

Every transform takes one ``(C, H, W)`` image or an ``(N, C, H, W)`` batch. On a batch each image
gets its own random draw (its own flip, crop offset, angle) and the whole batch goes through one
C++ kernel, so the fast way to augment is in the training loop::

    augment = Compose([RandomCrop(8, padding=1), RandomRotation(10, interpolation="bilinear")])
    for xb, yb in loader:
        loss = loss_fn(model(augment(xb)), yb)

For torchvision-style datasets that transform sample by sample, wrap the dataset:
``TransformDataset(dataset, transform=augment)`` (each ``(C, H, W)`` sample is transformed as it
is read). Draws come from ``generator`` (a ``tensorforge.Generator`` or numpy Generator) when
given, else from the global generator: ``tensorforge.manual_seed(s)`` makes a run reproducible.
Outputs never require grad.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ..tensor import Tensor, float64, rand, randint
from ..utils.data.dataset import Dataset
from ..utils.data.sampler import _numpy_rng
from . import functional as F


def check_image(x, name: str) -> None:
    """Raises TypeError / ValueError naming transform ``name`` unless x is a (C, H, W) or
    (N, C, H, W) tensor."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} expects a tensorforge.Tensor image (C, H, W) or batch (N, C, H, W), got "
                        f"{type(x).__name__}")
    if x.ndim not in (3, 4):
        raise ValueError(f"{name} expects a (C, H, W) image or an (N, C, H, W) batch, got a {x.ndim}-D tensor of "
                         f"shape {list(x.shape)}")


def _batch_size(x: Tensor) -> int:
    return x.shape[0] if x.ndim == 4 else 1


def _uniform(n: int, low: float, high: float, generator) -> np.ndarray:
    rng = _numpy_rng(generator)
    u = rand(n, dtype=float64).numpy() if rng is None else rng.random(n)
    return low + (high - low) * u


def _integers(n: int, high: int, generator) -> np.ndarray:
    """n draws from [0, high)."""
    rng = _numpy_rng(generator)
    return randint(0, high, (n,)).numpy() if rng is None else rng.integers(0, high, n)


class Transform:
    """Base class: ``__call__`` checks the rank and calls ``forward`` on the image or batch."""

    def __call__(self, x: Tensor) -> Tensor:
        check_image(x, type(self).__name__)
        return self.forward(x)

    def forward(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def extra_repr(self) -> str:
        return ""


def _probability(p, name: str) -> float:
    if not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{name}: p must be a probability in [0, 1], got {p!r}")
    return float(p)


class RandomHorizontalFlip(Transform):
    """Flips each image left-right with probability ``p``."""

    def __init__(self, p: float = 0.5, generator=None):
        self.p, self.generator = _probability(p, "RandomHorizontalFlip"), generator

    def forward(self, x: Tensor) -> Tensor:
        return F.flip(x, horizontal=_uniform(_batch_size(x), 0.0, 1.0, self.generator) < self.p)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class RandomVerticalFlip(Transform):
    """Flips each image top-bottom with probability ``p``."""

    def __init__(self, p: float = 0.5, generator=None):
        self.p, self.generator = _probability(p, "RandomVerticalFlip"), generator

    def forward(self, x: Tensor) -> Tensor:
        return F.flip(x, vertical=_uniform(_batch_size(x), 0.0, 1.0, self.generator) < self.p)

    def extra_repr(self) -> str:
        return f"p={self.p}"


def _size2(size, name: str) -> tuple:
    if isinstance(size, (int, np.integer)):
        size = (int(size), int(size))
    size = tuple(int(s) for s in size)
    if len(size) == 1:
        size = size * 2
    if len(size) != 2 or min(size) <= 0:
        raise ValueError(f"{name}: size must be a positive int or (height, width), got {size}")
    return size


class RandomCrop(Transform):
    """A random ``size`` window of each image, after padding (torchvision's ``RandomCrop``).

    Args:
        size: ``int`` or ``(height, width)`` of the crop.
        padding: int, (left/right, top/bottom) or (left, top, right, bottom) added first.
        pad_if_needed: pad images smaller than ``size`` (on both sides by the shortfall).
        fill: the constant padding value (a number or one per channel).
        padding_mode: ``constant``, ``edge``, ``reflect`` or ``symmetric``.

    Raises:
        ValueError: the crop is larger than the padded image (without pad_if_needed).
    """

    def __init__(self, size, padding=None, pad_if_needed: bool = False, fill=0, padding_mode: str = "constant",
                 generator=None):
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError(f"RandomCrop: padding_mode must be constant, edge, reflect or symmetric, got "
                             f"{padding_mode!r}")
        self.size = _size2(size, "RandomCrop")
        self.padding = F._padding4(padding, "RandomCrop")
        if min(self.padding) < 0:
            raise ValueError(f"RandomCrop: padding must be non-negative, got {padding}")
        self.pad_if_needed, self.fill, self.padding_mode = pad_if_needed, fill, padding_mode
        self.generator = generator

    def forward(self, x: Tensor) -> Tensor:
        h, w = x.shape[-2], x.shape[-1]
        left, top, right, bottom = self.padding
        th, tw = self.size
        if self.pad_if_needed and w + left + right < tw:
            extra = tw - (w + left + right)
            left, right = left + extra, right + extra
        if self.pad_if_needed and h + top + bottom < th:
            extra = th - (h + top + bottom)
            top, bottom = top + extra, bottom + extra
        ph, pw = h + top + bottom, w + left + right
        if ph < th or pw < tw:
            raise ValueError(f"RandomCrop: required crop size {(th, tw)} is larger than the padded input image size "
                             f"{(ph, pw)} of input shape {list(x.shape)}")
        n = _batch_size(x)
        tops = _integers(n, ph - th + 1, self.generator)
        lefts = _integers(n, pw - tw + 1, self.generator)
        return F.crop(x, tops, lefts, th, tw, (left, top, right, bottom), self.padding_mode, self.fill)

    def extra_repr(self) -> str:
        return f"size={self.size}, padding={self.padding}, padding_mode={self.padding_mode!r}"


class RandomRotation(Transform):
    """Rotates each image by an angle drawn uniformly from ``degrees`` (counter-clockwise for
    positive angles), keeping its size (torchvision's ``RandomRotation``).

    Args:
        degrees: ``d`` for (-d, d), or ``(min, max)``.
        interpolation: ``"nearest"`` (default, as torchvision) or ``"bilinear"``.
        center: (x, y) pivot; default the image centre.
        fill: value of pixels from outside the image (a number or one per channel).

    ``expand=True`` is not supported: per-image angles would give per-image output sizes.
    """

    def __init__(self, degrees, interpolation: str = "nearest", expand: bool = False, center=None, fill=0,
                 generator=None):
        if isinstance(degrees, (int, float)):
            if degrees < 0:
                raise ValueError(f"RandomRotation: if degrees is a single number, it must be positive, got {degrees}")
            degrees = (-float(degrees), float(degrees))
        degrees = tuple(float(d) for d in degrees)
        if len(degrees) != 2 or degrees[0] > degrees[1]:
            raise ValueError(f"RandomRotation: degrees must be a number or (min, max) with min <= max, got {degrees}")
        if expand:
            raise ValueError("RandomRotation: expand=True is not supported (each image of a batch gets its own angle, "
                             "so expanded sizes would differ)")
        interp = F._interpolation(interpolation)
        if interp not in ("nearest", "bilinear"):
            raise ValueError(f"RandomRotation: interpolation must be 'nearest' or 'bilinear', got {interpolation!r}")
        self.degrees, self.interpolation, self.center, self.fill = degrees, interp, center, fill
        self.generator = generator

    def forward(self, x: Tensor) -> Tensor:
        angles = _uniform(_batch_size(x), self.degrees[0], self.degrees[1], self.generator)
        return F.rotate(x, angles, self.interpolation, self.center, self.fill)

    def extra_repr(self) -> str:
        return f"degrees={list(self.degrees)}, interpolation={self.interpolation}, fill={self.fill}"


class Compose:
    """Applies the transforms in order: ``Compose([RandomCrop(8, 1), RandomHorizontalFlip()])``.
    Any callable works as a step (Normalize, a fitted Standardize, a lambda)."""

    def __init__(self, transforms: Sequence[Callable]):
        self.transforms = list(transforms)
        for t in self.transforms:
            if not callable(t):
                raise TypeError(f"Compose: every transform must be callable, got {type(t).__name__}")

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"Compose({inner}\n)"


class TransformDataset(Dataset):
    """Applies ``transform`` to the input and ``target_transform`` to the target of each sample
    of ``dataset`` as it is read (the ``transform=`` argument of torchvision datasets).

    A sample that is a tuple/list ``(input, target, *rest)`` has its first two fields
    transformed; any other sample is passed whole to ``transform``.

    Example:
        >>> ds = TransformDataset(TensorDataset(x, y), transform=RandomHorizontalFlip())
        >>> loader = DataLoader(ds, batch_size=64, shuffle=True)
    """

    def __init__(self, dataset, transform: Callable | None = None, target_transform: Callable | None = None):
        self.dataset, self.transform, self.target_transform = dataset, transform, target_transform

    def __getitem__(self, index):
        sample = self.dataset[index]
        if not isinstance(sample, (tuple, list)):
            return self.transform(sample) if self.transform is not None else sample
        fields = list(sample)
        if self.transform is not None and fields:
            fields[0] = self.transform(fields[0])
        if self.target_transform is not None and len(fields) > 1:
            fields[1] = self.target_transform(fields[1])
        return tuple(fields)

    def __len__(self) -> int:
        return len(self.dataset)
