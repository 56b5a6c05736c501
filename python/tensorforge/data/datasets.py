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


def load_sunspots():
    """Yearly mean sunspot numbers, 1700-2008 (309 values), from the copy of the SIDC series
    that statsmodels bundles (``statsmodels.datasets.sunspots``; no network).

    Returns ``(years, values)``: int64 ``(309,)`` and float32 ``(309,)`` tensors.
    """
    try:
        from statsmodels.datasets import sunspots
    except ImportError as e:
        raise ImportError("load_sunspots needs statsmodels (pip install 'tensorforge[examples]')") from e
    frame = sunspots.load_pandas().data
    years = frame["YEAR"].to_numpy().astype(np.int64)
    values = frame["SUNACTIVITY"].to_numpy().astype(np.float32)
    return from_numpy(years), from_numpy(np.ascontiguousarray(values))


def load_text_corpus() -> str:
    """English prose that ships with every CPython: the interpreter's help texts on the language
    (``pydoc_data.topics``, the Python Language Reference sections ``help()`` shows), about
    450 KB. Topics are joined in name order with blank lines; the rules of ASCII tables (lines of
    only ``-``, ``=``, ``+`` and ``|``) are dropped. The exact text follows the Python version.
    """
    import re

    from pydoc_data.topics import topics

    rule = re.compile(r"^[\s\-=+|]*[-=]{3,}[\s\-=+|]*$")
    text = "\n\n".join(topics[name].strip("\n") for name in sorted(topics))
    return "\n".join(line for line in text.split("\n") if not rule.match(line)) + "\n"
