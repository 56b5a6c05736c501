"""Datasets, DataLoader, splits; the bundled digits."""
import numpy as np
import pytest

import tensorforge as tf
from tensorforge.utils.data import DataLoader, Dataset, Subset, TensorDataset, random_split


def test_tensor_dataset_and_loader():
    x, y = tf.arange(10).float().reshape(10, 1), tf.arange(10)
    ds = TensorDataset(x, y)
    assert len(ds) == 10 and ds[3][1].item() == 3
    batches = list(DataLoader(ds, batch_size=4))
    assert [b[0].shape[0] for b in batches] == [4, 4, 2]
    assert len(DataLoader(ds, batch_size=4, drop_last=True)) == 2
    tf.manual_seed(0)
    seen = sorted(int(v) for b in DataLoader(ds, batch_size=3, shuffle=True) for v in b[1].tolist())
    assert seen == list(range(10))
    tf.manual_seed(0)
    a = [b[1].tolist() for b in DataLoader(ds, batch_size=3, shuffle=True)]
    tf.manual_seed(0)
    assert a == [b[1].tolist() for b in DataLoader(ds, batch_size=3, shuffle=True)]
    g = np.random.default_rng(3)
    order = [b[1].tolist() for b in DataLoader(ds, batch_size=10, shuffle=True, generator=g)]
    assert sorted(order[0]) == list(range(10))


def test_custom_dataset_and_collate():
    class Pairs(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return {"x": np.full(2, i, np.float32), "y": i, "name": f"s{i}"}

    b = next(iter(DataLoader(Pairs(), batch_size=5)))
    assert b["x"].shape == (5, 2) and b["y"].tolist() == [0, 1, 2, 3, 4] and b["name"][0] == "s0"
    out = next(iter(DataLoader(Pairs(), batch_size=2, collate_fn=lambda items: len(items))))
    assert out == 2


def test_random_split_and_subset():
    ds = TensorDataset(tf.arange(20))
    a, b = random_split(ds, [15, 5])
    assert len(a) == 15 and len(b) == 5
    assert sorted(a.indices + b.indices) == list(range(20))
    c, d, e = random_split(ds, [0.5, 0.3, 0.2])
    assert (len(c), len(d), len(e)) == (10, 6, 4)
    sub = Subset(ds, [2, 4])
    assert [int(v) for v in next(iter(DataLoader(sub, batch_size=2)))[0]] == [2, 4]
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(ds, [5, 5])


def test_errors():
    with pytest.raises(ValueError, match="Size mismatch"):
        TensorDataset(tf.ones(3), tf.ones(4))
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(TensorDataset(tf.ones(3)), batch_size=0)


def test_load_digits():
    x, y = tf.data.load_digits()
    assert x.shape == (1797, 1, 8, 8) and y.shape == (1797,) and float(x.max()) == 1.0
    assert sorted(set(y.tolist())) == list(range(10))


def test_generator_makes_shuffles_reproducible():
    ds = TensorDataset(tf.arange(12))
    a = [b[0].tolist() for b in DataLoader(ds, batch_size=4, shuffle=True, generator=tf.Generator().manual_seed(7))]
    b = [b[0].tolist() for b in DataLoader(ds, batch_size=4, shuffle=True, generator=tf.Generator().manual_seed(7))]
    assert a == b and sorted(sum(a, [])) == list(range(12))
    s1 = random_split(ds, [8, 4], generator=tf.Generator().manual_seed(1))[1].indices
    s2 = random_split(ds, [8, 4], generator=tf.Generator().manual_seed(1))[1].indices
    assert s1 == s2
