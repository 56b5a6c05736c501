"""Real datasets that ship inside installed packages: nothing is downloaded."""
from __future__ import annotations

import numpy as np

from ..tensor import from_numpy


def load_digits(flatten: bool = False):
    """scikit-learn's 1,797 handwritten digits (8x8 greyscale, 10 classes), scaled to [0, 1].

    Returns ``(images, labels)``: float32 ``(N, 1, 8, 8)`` (or ``(N, 64)`` with ``flatten``)
    and int64 ``(N,)``.
    """
    try:
        from sklearn.datasets import load_digits as _sk_load_digits
    except ImportError as e:  # pragma: no cover - scikit-learn is a dependency
        raise ImportError("load_digits needs scikit-learn (pip install scikit-learn)") from e
    d = _sk_load_digits()
    x = (d.data.astype(np.float32) / 16.0)
    x = x.reshape(-1, 64) if flatten else x.reshape(-1, 1, 8, 8)
    return from_numpy(np.ascontiguousarray(x)), from_numpy(d.target.astype(np.int64))
