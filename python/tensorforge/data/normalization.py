"""Normalisation: ``Normalize`` with given per-channel statistics (torchvision's), and scalers
that learn theirs from the training split only (``fit(train_x)``, then ``transform`` any split).

Example:
    >>> scaler = Standardize().fit(x_train)          # statistics from the training split
    >>> x_train, x_val = scaler.transform(x_train), scaler.transform(x_val)
    >>> x_back = scaler.inverse_transform(x_val)
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..tensor import Tensor, from_numpy


class NotFittedError(RuntimeError):
    """A scaler was used before ``fit``."""


class Normalize:
    """``(x - mean[c]) / std[c]`` for each channel ``c`` of a ``(..., C, H, W)`` tensor.

    Args:
        mean, std: one value per channel (or one for all). inplace: write into ``x``.

    Raises:
        ValueError: a zero in ``std``, a tensor of fewer than 3 dims, or a channel-count mismatch.
    """

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False):
        self.mean = [float(m) for m in np.atleast_1d(np.asarray(mean, dtype=np.float64))]
        self.std = [float(s) for s in np.atleast_1d(np.asarray(std, dtype=np.float64))]
        if any(s == 0 for s in self.std):
            raise ValueError(f"Normalize: std evaluated to zero, leading to division by zero (std={self.std})")
        self.inplace = inplace

    def __call__(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            raise TypeError(f"Normalize expects a tensorforge.Tensor, got {type(x).__name__}")
        if x.ndim < 3:
            raise ValueError(f"Normalize expects a tensor image of shape (..., C, H, W), got shape {list(x.shape)}")
        if not x.dtype.is_floating_point:
            raise TypeError(f"Normalize expects a floating tensor, got {x.dtype}")
        c = x.shape[-3]
        for name, v in (("mean", self.mean), ("std", self.std)):
            if len(v) not in (1, c):
                raise ValueError(f"Normalize: {name} has {len(v)} values but the input of shape {list(x.shape)} has "
                                 f"{c} channels")
        mean = _column(self.mean, x)
        std = _column(self.std, x)
        if self.inplace:
            return x.sub_(mean).div_(std)
        return (x - mean) / std

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean}, std={self.std})"


def _column(values, like: Tensor) -> Tensor:
    """values as a (C, 1, 1) tensor of like's dtype."""
    return from_numpy(np.asarray(values, dtype=like.dtype.np).reshape(-1, 1, 1))


def _as_array(x, who: str) -> np.ndarray:
    if isinstance(x, Tensor):
        return x.detach().numpy()
    if isinstance(x, np.ndarray):
        return x
    raise TypeError(f"{who} expects a tensorforge.Tensor or numpy array, got {type(x).__name__}")


class _Scaler:
    """Per-feature statistics over ``dims`` (default 0, the sample dim: one statistic per
    feature / pixel, as scikit-learn's scalers); pass ``dims=(0, 2, 3)`` for per-channel image
    statistics. Works on tensors and numpy arrays and returns the input's type."""

    _stats: tuple = ()

    def __init__(self, dims: int | Sequence[int] = 0):
        self.dims = (dims,) if isinstance(dims, int) else tuple(dims)
        self._shape = None  # the fitted input's shape with the reduced dims set to 1

    @property
    def fitted(self) -> bool:
        return self._shape is not None

    def _reduce_dims(self, arr: np.ndarray, who: str) -> tuple:
        dims = []
        for d in self.dims:
            if not -arr.ndim <= d < arr.ndim:
                raise ValueError(f"{who}: dim {d} is out of range for input of shape {list(arr.shape)}")
            dims.append(d % arr.ndim)
        return tuple(sorted(set(dims)))

    def fit(self, x):
        """Learns the statistics from ``x`` (the training split). Returns self."""
        who = f"{type(self).__name__}.fit"
        arr = _as_array(x, who)
        if arr.size == 0 or not np.issubdtype(arr.dtype, np.floating):
            raise ValueError(f"{who} needs a non-empty floating input, got shape {list(arr.shape)} of {arr.dtype}")
        dims = self._reduce_dims(arr, who)
        if any(arr.shape[d] == 0 for d in dims):
            raise ValueError(f"{who}: no samples along dims {dims} of shape {list(arr.shape)}")
        self._fit(arr.astype(np.float64), dims)
        self._shape = tuple(1 if d in dims else s for d, s in enumerate(arr.shape))
        return self

    def fit_transform(self, x):
        return self.fit(x).transform(x)

    def _check(self, x, what: str):
        who = f"{type(self).__name__}.{what}"
        if not self.fitted:
            raise NotFittedError(f"{who}: this {type(self).__name__} is not fitted yet; call fit(train_x) first")
        arr = _as_array(x, who)
        ok = arr.ndim == len(self._shape) and all(f == 1 or f == s for f, s in zip(self._shape, arr.shape))
        if not ok:
            raise ValueError(f"{who}: input of shape {list(arr.shape)} does not match the fitted statistics of shape "
                             f"{list(self._shape)}")
        return arr

    def _finish(self, x, out: np.ndarray):
        out = out.astype(_as_array(x, "").dtype, copy=False)
        return from_numpy(np.ascontiguousarray(out)) if isinstance(x, Tensor) else out

    def transform(self, x):
        arr = self._check(x, "transform")
        return self._finish(x, self._forward(arr.astype(np.float64)))

    def inverse_transform(self, x):
        arr = self._check(x, "inverse_transform")
        return self._finish(x, self._inverse(arr.astype(np.float64)))

    __call__ = transform

    def state_dict(self) -> dict:
        """The fitted statistics as tensors (for ``tensorforge.save``)."""
        if not self.fitted:
            raise NotFittedError(f"{type(self).__name__}.state_dict: not fitted yet")
        return {k: from_numpy(np.ascontiguousarray(getattr(self, k))) for k in self._stats}

    def load_state_dict(self, state: dict) -> None:
        arrays = {k: _as_array(state[k], f"{type(self).__name__}.load_state_dict") for k in self._stats}
        for k, v in arrays.items():
            setattr(self, k, v.astype(np.float64))
        self._shape = arrays[self._stats[0]].shape

    def __repr__(self) -> str:
        return f"{type(self).__name__}(dims={self.dims}{', fitted' if self.fitted else ''})"


class Standardize(_Scaler):
    """``(x - mean) / std`` with the mean and (biased) standard deviation of the data passed to
    ``fit``; a feature with zero spread keeps scale 1 (as scikit-learn's StandardScaler).

    Attributes (after fit): ``mean_``, ``std_`` (numpy, broadcastable to the input).

    Raises:
        NotFittedError: transform / inverse_transform before fit. ValueError: an input whose
            shape does not match the fitted statistics.
    """

    _stats = ("mean_", "std_")

    def _fit(self, arr, dims):
        self.mean_ = arr.mean(axis=dims, keepdims=True)
        std = arr.std(axis=dims, keepdims=True)
        self.std_ = np.where(std > 0, std, 1.0)

    def _forward(self, arr):
        return (arr - self.mean_) / self.std_

    def _inverse(self, arr):
        return arr * self.std_ + self.mean_


class MinMaxScale(_Scaler):
    """Maps the range seen by ``fit`` onto ``feature_range`` (default [0, 1]); a constant
    feature maps to the range's low end (as scikit-learn's MinMaxScaler).

    Attributes (after fit): ``min_``, ``max_``.
    """

    _stats = ("min_", "max_")

    def __init__(self, feature_range: tuple = (0.0, 1.0), dims: int | Sequence[int] = 0):
        lo, hi = (float(v) for v in feature_range)
        if not lo < hi:
            raise ValueError(f"MinMaxScale: feature_range must be (min, max) with min < max, got {feature_range}")
        super().__init__(dims)
        self.feature_range = (lo, hi)

    def _fit(self, arr, dims):
        self.min_ = arr.min(axis=dims, keepdims=True)
        self.max_ = arr.max(axis=dims, keepdims=True)

    def _span(self):
        span = self.max_ - self.min_
        return np.where(span > 0, span, 1.0)

    def _forward(self, arr):
        lo, hi = self.feature_range
        return (arr - self.min_) / self._span() * (hi - lo) + lo

    def _inverse(self, arr):
        lo, hi = self.feature_range
        return (arr - lo) / (hi - lo) * self._span() + self.min_
