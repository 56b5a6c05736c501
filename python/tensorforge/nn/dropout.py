"""Dropout layers (identity in eval mode)."""
from __future__ import annotations

from . import functional as F
from .module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "AlphaDropout"]
__all__ += ["Dropout3d"]


class Dropout(Module):
    """Zeroes each element with probability p in training and scales the rest by 1/(1-p)."""

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, x):
        return F.dropout(x, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(Dropout):
    """Zeroes whole channels of (N, C, L) or (C, L) input with probability p."""

    def forward(self, x):
        return F.dropout1d(x, self.p, self.training, self.inplace)


class Dropout2d(Dropout):
    """Zeroes whole channels of (N, C, H, W) or (C, H, W) input with probability p."""

    def forward(self, x):
        return F.dropout2d(x, self.p, self.training, self.inplace)


class AlphaDropout(Dropout):
    """Dropout that keeps the self-normalising property of SELU networks."""

    def forward(self, x):
        return F.alpha_dropout(x, self.p, self.training, self.inplace)


# ---- nn extras (nnx) ----
class Dropout3d(Dropout):
    """Zeroes whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability p."""

    def forward(self, x):
        return F.dropout3d(x, self.p, self.training, self.inplace)
