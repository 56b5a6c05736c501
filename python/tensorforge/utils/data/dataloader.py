"""DataLoader: batches of samples, shuffled per epoch, collated into tensors."""
from __future__ import annotations

import numbers
from typing import Callable, Iterator

import numpy as np

from ...autograd import ops as O
from ...tensor import Tensor, from_numpy, tensor
from .dataset import Dataset, IterableDataset, Subset, TensorDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler


def default_collate(batch: list):
    """Merges a list of samples into a batch, with PyTorch's rules: tensors are stacked along a
    new first dim; numpy arrays and numpy scalars become tensors of their dtype; Python ints,
    floats and bools become int64, float64 and bool tensors; strings stay a list; dicts,
    namedtuples, tuples and lists are collated field by field (tuples and lists give lists).

    Raises:
        RuntimeError: sequences of unequal length. TypeError: an unsupported element type.
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return O.stack(batch, 0)
    if isinstance(elem, (np.ndarray, np.generic)) and not isinstance(elem, (np.str_, np.bytes_)):
        if elem.dtype.kind in "OUSV":
            raise TypeError(f"default_collate: numpy arrays of dtype {elem.dtype} are not supported")
        return from_numpy(np.stack(batch) if isinstance(elem, np.ndarray) else np.asarray(batch))
    if isinstance(elem, bool):
        return tensor(batch, dtype="bool")
    if isinstance(elem, numbers.Integral):
        return tensor(batch, dtype="int64")
    if isinstance(elem, numbers.Real):
        return tensor(batch, dtype="float64")
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, dict):
        return {k: default_collate([b[k] for b in batch]) for k in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, (tuple, list)):
        if any(len(b) != len(elem) for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(s)) for s in zip(*batch)]
    raise TypeError("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                    f"found {type(elem).__name__}")


class DataLoader:
    """Iterates over a dataset in batches (``torch.utils.data.DataLoader``).

    Args:
        dataset: a map-style ``Dataset`` (indexable, with ``len``) or an ``IterableDataset``.
        batch_size: samples per batch (default 1); None yields single samples, uncollated.
        shuffle: a new random order every epoch (from ``generator``, else the global generator
            seeded by ``tensorforge.manual_seed``).
        sampler: the order of indices (excludes ``shuffle``). batch_sampler: yields lists of
            indices (excludes batch_size, shuffle, sampler and drop_last).
        collate_fn: merges a list of samples into a batch (default: ``default_collate``).
        drop_last: drop the last, incomplete batch.
        generator: a ``tensorforge.Generator`` (or numpy Generator) for reproducible shuffles.

    Loading runs in the calling process (``num_workers`` and the other worker options are
    accepted and ignored). A ``TensorDataset`` (or a ``Subset`` of one) with the default collate
    is batched with one ``index_select`` per tensor instead of stacking samples one by one.

    Example:
        >>> loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)
        >>> for xb, yb in loader: ...
    """

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | None = None, batch_sampler=None, num_workers: int = 0,
                 collate_fn: Callable | None = None, pin_memory: bool = False, drop_last: bool = False,
                 timeout: float = 0, worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers: bool = False, pin_memory_device: str = "",
                 in_order: bool = True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        self.dataset = dataset
        self.num_workers, self.generator = num_workers, generator
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, but got "
                                 f"shuffle={shuffle}")
            if sampler is not None or batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler or batch_sampler "
                                 "option")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                             "drop_last")
        if not self._iterable:
            if sampler is None:
                sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
            if batch_size is not None and batch_sampler is None:
                batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        elif batch_size is not None and (not isinstance(batch_size, int) or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        self.batch_size, self.drop_last = batch_size, drop_last
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.collate_fn = collate_fn or default_collate
        self._rows = None
        if collate_fn is None and type(batch_sampler) is BatchSampler:
            self._rows = _tensor_rows(dataset)

    def __iter__(self) -> Iterator:
        if self._iterable:
            return self._iter_stream()
        if self.batch_sampler is None:
            return (self.dataset[i] for i in self.sampler)
        if self._rows is not None:
            return self._iter_rows()
        return (self.collate_fn([self.dataset[i] for i in batch]) for batch in self.batch_sampler)

    def _iter_rows(self) -> Iterator[list]:
        tensors, base = self._rows
        for idx in self.batch_sampler.index_batches():
            rows = from_numpy(np.ascontiguousarray(idx if base is None else base[idx]))
            yield [O.index_select(t, 0, rows) for t in tensors]

    def _iter_stream(self) -> Iterator:
        if self.batch_size is None:
            yield from self.dataset
            return
        batch = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)


def _tensor_rows(dataset):
    """(tensors, row map or None) when the samples are rows of tensors, else None."""
    if type(dataset) is TensorDataset:
        return dataset.tensors, None
    if type(dataset) is Subset:
        inner = _tensor_rows(dataset.dataset)
        if inner is not None:
            tensors, base = inner
            idx = np.asarray(dataset.indices, dtype=np.int64)
            return tensors, idx if base is None else base[idx]
    return None
