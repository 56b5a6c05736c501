"""DistributedSampler: each rank of a data-parallel job reads its own shard of the dataset."""
from __future__ import annotations

import math
from typing import Iterator, Sized

import numpy as np

from ...tensor import Generator
from .sampler import Sampler


class DistributedSampler(Sampler):
    """Splits the indices of ``dataset`` into ``num_replicas`` disjoint shards, one per rank,
    with PyTorch's partitioning (``torch.utils.data.distributed.DistributedSampler``): the
    (optionally shuffled) indices are padded by repeating them from the start until their count
    divides evenly (or cut to a multiple with ``drop_last``), and rank r takes
    ``indices[r::num_replicas]``.

    Args:
        dataset: anything with ``len``.
        num_replicas, rank: default to the default group's world size and this process's rank.
        shuffle: a new order every epoch, the same on every rank: a permutation drawn from a
            ``tensorforge.Generator`` seeded with ``seed + epoch`` (not PyTorch's random stream).
        seed: must be the same on every rank.
        drop_last: drop the tail instead of padding, so no index is seen twice.

    Call ``set_epoch(epoch)`` at the start of each epoch when shuffling, or every epoch
    repeats the same order.

    Example:
        >>> sampler = DistributedSampler(train_set)
        >>> loader = DataLoader(train_set, batch_size=32, sampler=sampler)
        >>> for epoch in range(epochs):
        ...     sampler.set_epoch(epoch)
        ...     for xb, yb in loader: ...
    """

    def __init__(self, dataset: Sized, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False):
        if num_replicas is None or rank is None:
            from ... import distributed as dist

            if not dist.is_available():
                raise RuntimeError("Requires distributed package to be available")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if isinstance(num_replicas, bool) or not isinstance(num_replicas, (int, np.integer)) or num_replicas < 1:
            raise ValueError(f"[DistributedSampler] num_replicas must be a positive integer, got {num_replicas!r}")
        if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, int(num_replicas), int(rank)
        self.epoch, self.drop_last, self.shuffle, self.seed = 0, bool(drop_last), bool(shuffle), int(seed)
        n = len(dataset)
        if self.drop_last and n % self.num_replicas != 0:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def _permutation(self, n: int) -> np.ndarray:
        if not self.shuffle:
            return np.arange(n, dtype=np.int64)
        return Generator().manual_seed(self.seed + self.epoch).permutation(n).astype(np.int64, copy=False)

    def order(self) -> np.ndarray:
        """This rank's indices for the current epoch, as an int64 array."""
        indices = self._permutation(len(self.dataset))
        # np.resize repeats from the start, as PyTorch pads, or cuts for drop_last.
        indices = np.resize(indices, self.total_size) if len(indices) else indices[:0]
        return indices[self.rank:self.total_size:self.num_replicas]

    def __iter__(self) -> Iterator[int]:
        return iter(self.order().tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Sets the epoch, which seeds this epoch's shuffle (the same on every rank)."""
        self.epoch = int(epoch)
