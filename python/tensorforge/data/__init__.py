"""Bundled real datasets that need no network, splits and transforms (``tensorforge.data``)."""
from .datasets import load_digits, load_sunspots, load_text_corpus

# ---- splits, normalisation and augmentation ----
from . import functional
from .normalization import MinMaxScale, Normalize, NotFittedError, Standardize
from .splits import train_val_test_split
from .transforms import (Compose, RandomCrop, RandomHorizontalFlip, RandomRotation, RandomVerticalFlip, Transform,
                         TransformDataset)

__all__ = ["load_digits", "load_sunspots", "load_text_corpus"]
__all__ += ["functional", "train_val_test_split", "Normalize", "Standardize", "MinMaxScale", "NotFittedError",
            "Compose", "Transform", "RandomHorizontalFlip", "RandomVerticalFlip", "RandomCrop", "RandomRotation",
            "TransformDataset"]
