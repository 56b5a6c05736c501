"""Bundled real datasets that need no network, splits and transforms (``tensorforge.data``)."""
from .datasets import load_digits

__all__ = ["load_digits"]
