"""DataLoader: batches of samples, shuffled per epoch, collated into tensors."""
from __future__ import annotations

import numbers

import numpy as np

from ...autograd import ops as O
from ...tensor import Tensor, tensor
from .dataset import Subset, TensorDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler


def default_collate(batch):
    """Stacks a list of samples: tensors -> stacked tensor, numbers -> tensor, numpy arrays ->
    tensor, and tuples/lists/dicts of those element-wise (PyTorch's rules)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return O.stack(batch, 0)
    if isinstance(elem, np.ndarray):
        return tensor(np.stack(batch))
    if isinstance(elem, bool):
        return tensor(batch)
    if isinstance(elem, numbers.Integral):
        return tensor(batch)
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
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                    f"found {type(elem).__name__}")


class DataLoader:
    """Iterates over a dataset in batches. Options as in torch.utils.data.DataLoader:
    batch_size, shuffle (with generator), sampler, batch_sampler, drop_last, collate_fn.
    A TensorDataset (or a Subset of one) is batched with one indexing op per tensor."""

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool = False, sampler=None, batch_sampler=None,
                 num_workers: int = 0, collate_fn=None, pin_memory: bool = False, drop_last: bool = False,
                 timeout: float = 0, worker_init_fn=None, generator=None, prefetch_factor=None,
                 persistent_workers: bool = False):
        self.dataset = dataset
        self.batch_size, self.drop_last, self.generator = batch_size, drop_last, generator
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            self.batch_size = None
        elif batch_size is not None:
            if sampler is not None and shuffle:
                raise ValueError("sampler option is mutually exclusive with shuffle")
            if sampler is None:
                sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.collate_fn = collate_fn
        self._fast = collate_fn is None and batch_sampler is not None and _tensor_source(dataset) is not None

    def __iter__(self):
        if self.batch_sampler is None:  # batch_size=None: samples one by one
            order = self.sampler if self.sampler is not None else range(len(self.dataset))
            for i in order:
                sample = self.dataset[i]
                yield self.collate_fn(sample) if self.collate_fn else sample
            return
        if self._fast:
            tensors, base = _tensor_source(self.dataset)
            for batch in self.batch_sampler:
                rows = [base[i] for i in batch] if base is not None else batch
                idx = tensor(rows)
                yield [O.index_select(t, 0, idx) for t in tensors]
            return
        collate = self.collate_fn or default_collate
        for batch in self.batch_sampler:
            yield collate([self.dataset[i] for i in batch])

    def __len__(self) -> int:
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.dataset)


def _tensor_source(dataset):
    """(tensors, index map or None) when samples are rows of tensors, else None."""
    if isinstance(dataset, TensorDataset):
        return dataset.tensors, None
    if isinstance(dataset, Subset):
        inner = _tensor_source(dataset.dataset)
        if inner is not None:
            tensors, base = inner
            idx = dataset.indices if base is None else [base[i] for i in dataset.indices]
            return tensors, idx
    return None
