"""Train / validation / test splits, optionally stratified (scikit-learn's train_test_split with
a third part)."""
from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor, from_numpy, randperm
from ..utils.data.dataset import Dataset, Subset
from ..utils.data.sampler import _numpy_rng


def _length(a, i: int) -> int:
    if isinstance(a, Tensor):
        if a.ndim == 0:
            raise ValueError(f"train_val_test_split: array {i} is a 0-dim tensor and has no samples")
        return a.shape[0]
    try:
        return len(a)
    except TypeError:
        raise TypeError(f"train_val_test_split: array {i} of type {type(a).__name__} has no length (expected a "
                        "tensor, numpy array, sequence or Dataset)") from None


def _count(size, n: int, name: str) -> int:
    if isinstance(size, bool) or not isinstance(size, (int, float, np.integer, np.floating)):
        raise TypeError(f"train_val_test_split: {name} must be a fraction or a count, got {type(size).__name__}")
    if size < 0:
        raise ValueError(f"train_val_test_split: {name} must be non-negative, got {size}")
    if isinstance(size, (float, np.floating)):
        if size >= 1:
            raise ValueError(f"train_val_test_split: {name}={size} as a fraction must be below 1 (pass an int for a "
                             "count)")
        return int(math.ceil(float(size) * n))
    return int(size)


def _rng_of(seed, generator):
    if seed is not None and generator is not None:
        raise ValueError("train_val_test_split: pass seed or generator, not both")
    if seed is not None:
        return np.random.default_rng(int(seed))
    return _numpy_rng(generator)


def _permutation(n: int, rng) -> np.ndarray:
    return (randperm(n).numpy() if rng is None else rng.permutation(n)).astype(np.int64)


def _allocate(need: int, targets: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Integer counts per class summing to ``need``, close to ``targets`` (largest remainder),
    never above ``capacity``."""
    counts = np.minimum(np.floor(targets).astype(np.int64), capacity)
    order = np.argsort(-(targets - np.floor(targets)), kind="stable")
    while counts.sum() < need:
        for c in order:
            if counts.sum() == need:
                break
            if counts[c] < capacity[c]:
                counts[c] += 1
    return counts


def _stratified(labels: np.ndarray, n_val: int, n_test: int, rng) -> tuple:
    classes, inverse = np.unique(labels, return_inverse=True)
    sizes = np.bincount(inverse, minlength=len(classes))
    n = len(labels)
    test_c = _allocate(n_test, sizes * n_test / n, sizes)
    val_c = _allocate(n_val, sizes * n_val / n, sizes - test_c)
    parts = ([], [], [])
    for c in range(len(classes)):
        members = np.flatnonzero(inverse == c)
        members = members[_permutation(len(members), rng)]
        t, v = test_c[c], val_c[c]
        parts[2].append(members[:t])
        parts[1].append(members[t:t + v])
        parts[0].append(members[t + v:])
    # Mix the classes within each part, so a part is not sorted by class.
    return tuple(np.concatenate(p)[_permutation(sum(len(q) for q in p), rng)] for p in parts)


def _take(a, idx: np.ndarray):
    if isinstance(a, Tensor):
        return a[from_numpy(np.ascontiguousarray(idx))]
    if isinstance(a, np.ndarray):
        return a[idx]
    if isinstance(a, Dataset):
        return Subset(a, idx.tolist())
    return [a[i] for i in idx.tolist()]


def train_val_test_split(*arrays, val_size=0.1, test_size=0.2, stratify=None, shuffle: bool = True, seed=None,
                         generator=None) -> list:
    """Splits arrays into train, validation and test parts (the same rows of each).

    Args:
        *arrays: tensors, numpy arrays, sequences or Datasets of one length ``n`` (rows of a
            tensor / array; a Dataset gives ``Subset``s).
        val_size, test_size: a fraction in [0, 1) (rounded up to whole samples) or a count.
            The train part gets the rest and must not be empty.
        stratify: class labels (length ``n``): each part keeps the class proportions (counts
            per class rounded by largest remainder, so the part sizes stay exact).
        shuffle: shuffle before splitting (default); ``False`` keeps the order, train first
            (not with ``stratify``).
        seed: an int seed, or ``generator`` (a ``tensorforge.Generator`` or numpy Generator);
            neither: the global generator seeded by ``tensorforge.manual_seed``.

    Returns:
        ``[a_train, a_val, a_test, b_train, b_val, b_test, ...]``: three parts per array, in
        the order the arrays were given.

    Raises:
        ValueError: no arrays, arrays of different lengths, negative sizes, sizes that leave
            no training sample (e.g. val_size + test_size >= 1), stratify of the wrong length
            or together with shuffle=False. TypeError: an array without a length.

    Example:
        >>> x_tr, x_va, x_te, y_tr, y_va, y_te = train_val_test_split(x, y, stratify=y, seed=0)
    """
    if not arrays:
        raise ValueError("train_val_test_split: at least one array is required as input")
    lengths = [_length(a, i) for i, a in enumerate(arrays)]
    if len(set(lengths)) != 1:
        raise ValueError(f"train_val_test_split: found input arrays with inconsistent numbers of samples: {lengths}")
    n = lengths[0]
    n_val, n_test = _count(val_size, n, "val_size"), _count(test_size, n, "test_size")
    if n_val + n_test >= n:
        raise ValueError(f"train_val_test_split: val_size={val_size} and test_size={test_size} leave no training "
                         f"samples out of {n} (val {n_val} + test {n_test} >= {n})")
    rng = _rng_of(seed, generator)
    if stratify is not None:
        if not shuffle:
            raise ValueError("train_val_test_split: stratified splits need shuffle=True")
        labels = stratify.detach().numpy() if isinstance(stratify, Tensor) else np.asarray(stratify)
        if labels.ndim != 1 or len(labels) != n:
            raise ValueError(f"train_val_test_split: stratify must hold one label per sample ({n}), got shape "
                             f"{list(labels.shape)}")
        parts = _stratified(labels, n_val, n_test, rng)
    else:
        order = _permutation(n, rng) if shuffle else np.arange(n, dtype=np.int64)
        n_train = n - n_val - n_test
        parts = (order[:n_train], order[n_train:n_train + n_val], order[n_train + n_val:])
    return [_take(a, idx) for a in arrays for idx in parts]
