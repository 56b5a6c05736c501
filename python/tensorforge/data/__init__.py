"""Bundled real datasets that need no network, splits and transforms (``tensorforge.data``)."""
from .datasets import load_digits, load_sunspots, load_text_corpus

__all__ = ["load_digits", "load_sunspots", "load_text_corpus"]
