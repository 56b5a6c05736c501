"""Datasets: indexable collections of samples."""
from __future__ import annotations

import bisect
import math
import warnings
from typing import Iterator, Sequence

import numpy as np

from ...tensor import Tensor, randperm
from .sampler import _numpy_rng


class Dataset:
    """Base class of map-style datasets: subclasses implement ``__getitem__`` (and usually
    ``__len__``, which DataLoader's samplers need)."""

    def __getitem__(self, index):
        raise NotImplementedError("Dataset subclasses must implement __getitem__")

    def __add__(self, other: "Dataset") -> "ConcatDataset":
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """Base class of datasets read as a stream: subclasses implement ``__iter__``."""

    def __iter__(self) -> Iterator:
        raise NotImplementedError("IterableDataset subclasses must implement __iter__")


class TensorDataset(Dataset):
    """Samples are the i-th rows of each tensor: ``dataset[i] == (t[i] for t in tensors)``.

    Raises:
        ValueError: the tensors' first dimensions differ (or one is 0-dim).
    """

    def __init__(self, *tensors: Tensor):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        for t in tensors:
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset takes tensors, got {type(t).__name__}")
        sizes = [tuple(t.shape[:1]) for t in tensors]
        if any(t.ndim == 0 for t in tensors) or len(set(sizes)) != 1:
            raise ValueError(f"Size mismatch between tensors: first dimensions are {[list(s) for s in sizes]}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]):
        self.dataset, self.indices = dataset, list(indices)

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Datasets one after another."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise ValueError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]).tolist())

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx += len(self)
        d = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[d - 1] if d > 0 else 0
        return self.datasets[d][idx - start]


def random_split(dataset: Dataset, lengths: Sequence, generator=None) -> list:
    """Splits ``dataset`` into non-overlapping random ``Subset``s.

    Args:
        lengths: the subsets' lengths, or fractions summing to 1 (each floor(n * f), the
            remainder handed out one by one from the first subset on, as in PyTorch).
        generator: a ``tensorforge.Generator`` (or numpy Generator) for a reproducible split.

    Raises:
        ValueError: a fraction outside [0, 1], or lengths not summing to ``len(dataset)``.
    """
    n = len(dataset)
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            counts.append(int(math.floor(n * frac)))
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, c in enumerate(counts):
            if c == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.")
        lengths = counts
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    rng = _numpy_rng(generator)
    perm = (randperm(n).numpy() if rng is None else rng.permutation(n)).tolist()
    out, offset = [], 0
    for length in lengths:
        out.append(Subset(dataset, perm[offset:offset + length]))
        offset += length
    return out
