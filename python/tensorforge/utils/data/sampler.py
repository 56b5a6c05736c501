"""Samplers: the order in which a DataLoader visits dataset indices."""
from __future__ import annotations

from typing import Iterator, Sized

import numpy as np

from ...tensor import Generator, randint, randperm


class Sampler:
    """Base class: iterates over dataset indices (or, for batch samplers, lists of them)."""

    def __iter__(self) -> Iterator:
        raise NotImplementedError


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source: Sized):
        self.data_source = data_source

    def order(self) -> np.ndarray:
        return np.arange(len(self.data_source), dtype=np.int64)

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A fresh random permutation each epoch (or ``num_samples`` draws with replacement).

    Randomness comes from ``generator`` when given (a ``tensorforge.Generator`` or a
    ``numpy.random.Generator``), else from the global generator seeded by
    ``tensorforge.manual_seed``.
    """

    def __init__(self, data_source: Sized, replacement: bool = False, num_samples: int | None = None,
                 generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        self.data_source, self.replacement, self.generator = data_source, replacement, generator
        self._num_samples = num_samples
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def order(self) -> np.ndarray:
        """This epoch's indices as an int64 array."""
        n, k = len(self.data_source), self.num_samples
        rng = _numpy_rng(self.generator)
        if self.replacement:
            if rng is None:
                return randint(0, n, (k,)).numpy().astype(np.int64)
            return rng.integers(0, n, k, dtype=np.int64)
        if rng is None:
            perms = [randperm(n).numpy() for _ in range((k + n - 1) // n)]
        else:
            perms = [rng.permutation(n) for _ in range((k + n - 1) // n)]
        return np.concatenate(perms)[:k].astype(np.int64, copy=False)

    def __iter__(self) -> Iterator[int]:
        return iter(self.order().tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order each epoch."""

    def __init__(self, indices, generator=None):
        self.indices, self.generator = list(indices), generator

    def order(self) -> np.ndarray:
        rng = _numpy_rng(self.generator)
        perm = randperm(len(self.indices)).numpy() if rng is None else rng.permutation(len(self.indices))
        return np.asarray(self.indices, dtype=np.int64)[perm]

    def __iter__(self) -> Iterator[int]:
        return iter(self.order().tolist())

    def __len__(self) -> int:
        return len(self.indices)


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter
    unless ``drop_last``)."""

    def __init__(self, sampler, batch_size: int, drop_last: bool):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def index_batches(self) -> Iterator[np.ndarray]:
        """The batches as int64 arrays; one array op per epoch for the built-in samplers."""
        if type(self.sampler) not in (SequentialSampler, RandomSampler, SubsetRandomSampler):
            for batch in self:
                yield np.asarray(batch, dtype=np.int64)
            return
        idx = self.sampler.order()
        n = len(idx)
        stop = n - n % self.batch_size if self.drop_last else n
        for s in range(0, stop, self.batch_size):
            yield idx[s:s + self.batch_size]

    def __iter__(self) -> Iterator[list]:
        batch = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else (n + self.batch_size - 1) // self.batch_size


def _numpy_rng(generator):
    """The numpy Generator behind ``generator``; None means the global tensorforge generator."""
    if generator is None:
        return None
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, Generator):
        return generator._rng  # a tensorforge.Generator wraps a numpy Generator
    raise TypeError(f"generator must be a tensorforge.Generator or numpy.random.Generator, got "
                    f"{type(generator).__name__}")
