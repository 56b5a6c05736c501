"""PNG overlays of attribution maps on their images (matplotlib, Agg: no display needed)."""
from __future__ import annotations

import os

import numpy as np

from ..tensor import Tensor


def _plane(a, what: str) -> np.ndarray:
    """(H, W) or (C, H, W) data as a float64 array."""
    arr = a.detach().numpy() if isinstance(a, Tensor) else np.asarray(a)
    if arr.ndim not in (2, 3) or arr.size == 0:
        raise ValueError(f"[save_overlay] {what} must be (H, W) or (C, H, W), got shape {list(arr.shape)}")
    return arr.astype(np.float64)


def _unit(a: np.ndarray) -> np.ndarray:
    lo, hi = float(a.min()), float(a.max())
    return (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)


def save_overlay(image, attribution, path, alpha: float = 0.7, cmap: str = "jet", title: str | None = None,
                 size: float = 3.0) -> str:
    """Writes a PNG of ``attribution`` as a heat map over the greyscale ``image``.

    Args:
        image: ``(H, W)`` or ``(C, H, W)`` (channels averaged to grey), a tensor or array.
        attribution: ``(H, W)`` or ``(C, H, W)`` (the maximum of ``|a|`` over channels), e.g. one
            row of ``saliency`` or ``integrated_gradients``; scaled to [0, 1] by its maximum.
        path: the PNG file (parent folders are created). alpha: the heat map's opacity at the
            strongest attribution, in [0, 1] (weaker ones fade out proportionally).
        cmap: a matplotlib colour map. title: optional caption. size: inches per side.

    Returns:
        the path written, as a string.

    Raises:
        ValueError: shapes that are not images or do not match, alpha outside [0, 1].
        ImportError: matplotlib is not installed (``pip install tensorforge[examples]``).
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"[save_overlay] alpha must be in [0, 1], got {alpha}")
    img = _plane(image, "image")
    img = img.mean(0) if img.ndim == 3 else img
    att = _plane(attribution, "attribution")
    att = np.abs(att).max(0) if att.ndim == 3 else np.abs(att)
    if img.shape != att.shape:
        raise ValueError(f"[save_overlay] image {list(img.shape)} and attribution {list(att.shape)} differ in size")
    try:
        from matplotlib import colormaps
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("save_overlay needs matplotlib (pip install matplotlib, or tensorforge[examples])") from e
    peak = float(att.max())
    heat = att / peak if peak > 0 else att
    fig = Figure(figsize=(size, size), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.0, 0.0, 1.0, 0.9 if title else 1.0))
    ax.imshow(_unit(img), cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    rgba = colormaps[cmap](heat)
    rgba[..., 3] = alpha * np.sqrt(heat)  # weak attributions fade out, so the image shows through
    ax.imshow(rgba, interpolation="nearest")
    ax.set_axis_off()
    if title:
        fig.suptitle(title, fontsize=9)
    path = os.fspath(path)
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    fig.savefig(path, format="png")
    return path
