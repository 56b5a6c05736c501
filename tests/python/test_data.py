"""Datasets, DataLoader, samplers, splits; the bundled digits."""
from collections import namedtuple

import numpy as np
import pytest

import tensorforge as tf
from tensorforge.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, IterableDataset, RandomSampler,
                                    SequentialSampler, Subset, SubsetRandomSampler, TensorDataset, default_collate,
                                    random_split)
from helpers import torch


def _xy(n=10):
    return tf.arange(n).float().reshape(n, 1) * 10, tf.arange(n)


def test_tensor_dataset_and_loader():
    x, y = _xy()
    ds = TensorDataset(x, y)
    assert len(ds) == 10 and ds[3][1].item() == 3 and ds[3][0].tolist() == [30.0]
    batches = list(DataLoader(ds, batch_size=4))
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert batches[0][0].shape == (4, 1) and batches[0][0].dtype == tf.float32 and batches[0][1].dtype == tf.int64
    assert isinstance(batches[0], list) and len(batches[0]) == 2
    assert len(DataLoader(ds, batch_size=4)) == 3


def test_drop_last():
    ds = TensorDataset(tf.arange(10))
    loader = DataLoader(ds, batch_size=4, drop_last=True)
    assert len(loader) == 2 and [b[0].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    shuffled = [b[0].tolist() for b in DataLoader(ds, batch_size=3, shuffle=True, drop_last=True)]
    assert [len(b) for b in shuffled] == [3, 3, 3] and len(set(sum(shuffled, []))) == 9


def test_shuffle_is_a_new_permutation_each_epoch_and_follows_manual_seed():
    ds = TensorDataset(tf.arange(50))
    loader = DataLoader(ds, batch_size=7, shuffle=True)
    tf.manual_seed(0)
    e1 = sum((b[0].tolist() for b in loader), [])
    e2 = sum((b[0].tolist() for b in loader), [])
    assert sorted(e1) == sorted(e2) == list(range(50)) and e1 != e2 and e1 != list(range(50))
    tf.manual_seed(0)
    assert sum((b[0].tolist() for b in loader), []) == e1


def test_generator_makes_shuffles_reproducible():
    ds = TensorDataset(tf.arange(12))
    a = [b[0].tolist() for b in DataLoader(ds, batch_size=4, shuffle=True, generator=tf.Generator().manual_seed(7))]
    b = [b[0].tolist() for b in DataLoader(ds, batch_size=4, shuffle=True, generator=tf.Generator().manual_seed(7))]
    assert a == b and sorted(sum(a, [])) == list(range(12))
    c = [b[0].tolist() for b in DataLoader(ds, batch_size=4, shuffle=True, generator=np.random.default_rng(3))]
    assert sorted(sum(c, [])) == list(range(12))
    s1 = random_split(ds, [8, 4], generator=tf.Generator().manual_seed(1))[1].indices
    s2 = random_split(ds, [8, 4], generator=tf.Generator().manual_seed(1))[1].indices
    assert s1 == s2


def test_fast_path_equals_item_by_item_collate():
    x = tf.randn(23, 3, 2)
    y = tf.randint(0, 5, (23,))
    ds = TensorDataset(x, y)
    for sub in (ds, Subset(ds, [5, 1, 22, 7, 0, 3, 9, 11, 2])):
        fast = list(DataLoader(sub, batch_size=4, shuffle=True, generator=tf.Generator().manual_seed(2)))
        slow = list(DataLoader(sub, batch_size=4, shuffle=True, generator=tf.Generator().manual_seed(2),
                               collate_fn=default_collate))
        assert len(fast) == len(slow)
        for (fx, fy), (sx, sy) in zip(fast, slow):
            np.testing.assert_array_equal(fx.numpy(), sx.numpy())
            np.testing.assert_array_equal(fy.numpy(), sy.numpy())


def test_subset_of_tensor_dataset_batches():
    ds = TensorDataset(tf.arange(20))
    sub = Subset(Subset(ds, list(range(10, 20))), [2, 4, 9])
    assert [b[0].tolist() for b in DataLoader(sub, batch_size=2)] == [[12, 14], [19]]


def test_custom_dataset_and_collate():
    class Pairs(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return {"x": np.full(2, i, np.float32), "y": i, "f": i / 2, "name": f"s{i}", "t": tf.full((2,), i)}

    b = next(iter(DataLoader(Pairs(), batch_size=5)))
    assert b["x"].shape == (5, 2) and b["x"].dtype == tf.float32
    assert b["y"].tolist() == [0, 1, 2, 3, 4] and b["y"].dtype == tf.int64
    assert b["f"].dtype == tf.float64 and b["name"] == ["s0", "s1", "s2", "s3", "s4"] and b["t"].shape == (5, 2)
    out = next(iter(DataLoader(Pairs(), batch_size=2, collate_fn=lambda items: len(items))))
    assert out == 2


def test_default_collate_rules():
    Point = namedtuple("Point", "x y")
    out = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(out, Point) and out.x.tolist() == [1, 3] and out.y.dtype == tf.float64
    nested = default_collate([(np.float32(1), [True, 2]), (np.float32(2), [False, 3])])
    assert nested[0].dtype == tf.float32 and nested[1][0].dtype == tf.bool and nested[1][1].tolist() == [2, 3]
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate"):
        default_collate([object()])


@pytest.mark.skipif(torch is None, reason="needs PyTorch")
def test_default_collate_matches_torch():
    from torch.utils.data import default_collate as torch_collate

    samples = [{"a": np.arange(3, dtype=np.int32) + i, "b": (i, float(i)), "c": np.float64(i)} for i in range(4)]
    ours, theirs = default_collate(samples), torch_collate(samples)
    for k in ("a", "c"):
        np.testing.assert_array_equal(ours[k].numpy(), theirs[k].numpy())
        assert ours[k].dtype.name == str(theirs[k].dtype).replace("torch.", "")
    for o, t in zip(ours["b"], theirs["b"]):
        np.testing.assert_array_equal(o.numpy(), t.numpy())
        assert o.dtype.name == str(t.dtype).replace("torch.", "")


def test_samplers_and_batch_sampler():
    ds = TensorDataset(tf.arange(10) * 2)
    loader = DataLoader(ds, batch_sampler=[[0, 9], [3], [1, 2, 4]])
    assert [b[0].tolist() for b in loader] == [[0, 18], [6], [2, 4, 8]] and len(loader) == 3
    loader = DataLoader(ds, batch_size=4, sampler=SequentialSampler(range(5)))
    assert [b[0].tolist() for b in loader] == [[0, 2, 4, 6], [8]]
    loader = DataLoader(ds, batch_size=3, sampler=SubsetRandomSampler([1, 3, 5], generator=tf.Generator().manual_seed(0)))
    assert sorted(next(iter(loader))[0].tolist()) == [2, 6, 10]
    rs = RandomSampler(ds, replacement=True, num_samples=25, generator=tf.Generator().manual_seed(0))
    draws = list(rs)
    assert len(draws) == 25 and len(rs) == 25 and all(0 <= i < 10 for i in draws)
    assert len(list(RandomSampler(ds, num_samples=23))) == 23
    assert list(BatchSampler(range(5), 2, drop_last=False)) == [[0, 1], [2, 3], [4]]
    assert len(BatchSampler(range(5), 2, drop_last=True)) == 2
    single = list(DataLoader(ds, batch_size=None))
    assert len(single) == 10 and single[1][0].item() == 2


def test_iterable_dataset():
    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(7))

    assert [b.tolist() for b in DataLoader(Stream(), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [b.tolist() for b in DataLoader(Stream(), batch_size=3, drop_last=True)] == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(ValueError, match="shuffle"):
        DataLoader(Stream(), shuffle=True)


def test_concat_dataset():
    ds = TensorDataset(tf.arange(3)) + TensorDataset(tf.arange(10, 14))
    assert isinstance(ds, ConcatDataset) and len(ds) == 7
    assert [ds[i][0].item() for i in range(7)] == [0, 1, 2, 10, 11, 12, 13] and ds[-1][0].item() == 13
    assert [b[0].tolist() for b in DataLoader(ds, batch_size=4)] == [[0, 1, 2, 10], [11, 12, 13]]


def test_random_split_and_subset():
    ds = TensorDataset(tf.arange(20))
    a, b = random_split(ds, [15, 5])
    assert len(a) == 15 and len(b) == 5
    assert sorted(a.indices + b.indices) == list(range(20))
    c, d, e = random_split(ds, [0.5, 0.3, 0.2])
    assert (len(c), len(d), len(e)) == (10, 6, 4)
    assert sorted(c.indices + d.indices + e.indices) == list(range(20))
    sub = Subset(ds, [2, 4])
    assert [int(v) for v in next(iter(DataLoader(sub, batch_size=2)))[0]] == [2, 4]


@pytest.mark.skipif(torch is None, reason="needs PyTorch")
@pytest.mark.filterwarnings("ignore:Length of split")
@pytest.mark.parametrize("n,fracs", [(10, [0.33, 0.33, 0.34]), (7, [0.5, 0.5]), (11, [0.1, 0.2, 0.3, 0.4]),
                                     (5, [1, 0])])
def test_random_split_fraction_lengths_match_torch(n, fracs):
    ours = [len(s) for s in random_split(TensorDataset(tf.arange(n)), fracs)]
    theirs = [len(s) for s in torch.utils.data.random_split(torch.utils.data.TensorDataset(torch.arange(n)), fracs)]
    assert ours == theirs


def test_errors():
    with pytest.raises(ValueError, match="Size mismatch between tensors"):
        TensorDataset(tf.ones(3), tf.ones(4))
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        DataLoader(TensorDataset(tf.ones(3)), batch_size=0)
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(TensorDataset(tf.arange(20)), [5, 5])
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        random_split(TensorDataset(tf.arange(20)), [1.5, -0.5])
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(TensorDataset(tf.ones(3)), sampler=SequentialSampler(range(3)), shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(TensorDataset(tf.ones(3)), batch_size=2, batch_sampler=[[0]])
    with pytest.raises(TypeError, match="generator"):
        list(DataLoader(TensorDataset(tf.ones(3)), shuffle=True, generator=42))


def test_load_digits():
    x, y = tf.data.load_digits()
    assert x.shape == (1797, 1, 8, 8) and y.shape == (1797,) and float(x.max()) == 1.0
    assert sorted(set(y.tolist())) == list(range(10))


# ---- sequence datasets (recurrent examples) -------------------------------------------------
def test_load_sunspots():
    pytest.importorskip("statsmodels")
    years, values = tf.data.load_sunspots()
    assert years.dtype == tf.int64 and values.dtype == tf.float32
    assert tuple(years.shape) == tuple(values.shape) == (309,)
    assert years[0].item() == 1700 and years[-1].item() == 2008
    v = values.numpy()
    assert v.min() >= 0 and 100 < v.max() < 250 and v[0] == 5.0


def test_load_text_corpus():
    text = tf.data.load_text_corpus()
    assert isinstance(text, str) and len(text) > 300_000
    assert "assert" in text and "statement" in text and text == tf.data.load_text_corpus()
    assert not any(set(line) <= set("-=+| ") and "---" in line for line in text.split("\n"))
