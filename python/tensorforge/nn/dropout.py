"""Dropout layers (identity in eval mode)."""
from __future__ import annotations

from . import functional as F
from .module import Module

__all__ = ["Dropout", "AlphaDropout"]


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


class AlphaDropout(Dropout):
    def forward(self, x):
        return F.dropout(x, self.p, self.training, self.inplace)
