"""Sampling ops: reproducible under a seed, independent of the thread count, correct
distributions (frequency tests with fixed seeds and generous bounds), PyTorch's shapes,
dtypes and errors."""
import math

import numpy as np
import pytest

import tensorforge as tf
from helpers import torch


def _threads(n):
    prev = tf.get_num_threads()
    tf.set_num_threads(n)
    return prev


def _chi2(counts, probs):
    counts = np.asarray(counts, np.float64)
    expected = counts.sum() * np.asarray(probs, np.float64)
    keep = expected > 0
    assert counts[~keep].sum() == 0, "a zero-probability outcome was drawn"
    return float((((counts - expected) ** 2)[keep] / expected[keep]).sum())


# Each op as a function of a generator (None: the global one), sized above the parallel grains.
SAMPLERS = {
    "multinomial_replacement": lambda g: tf.multinomial(tf.rand(64, 700, generator=g), 5, True, generator=g),
    "multinomial_race": lambda g: tf.multinomial(tf.rand(64, 700, generator=g), 5, generator=g),
    "multinomial_one": lambda g: tf.multinomial(tf.rand(64, 700, generator=g), 1, generator=g),
    "bernoulli": lambda g: tf.bernoulli(tf.rand(50000, generator=g), generator=g),
    "bernoulli_p": lambda g: tf.empty(50000).bernoulli_(0.3, generator=g),
    "exponential": lambda g: tf.empty(50000).exponential_(2.0, generator=g),
    "geometric": lambda g: tf.empty(50000).geometric_(0.2, generator=g),
    "random_int": lambda g: tf.empty(50000, dtype=tf.int64).random_(-5, 17, generator=g),
    "random_wide": lambda g: tf.empty(50000, dtype=tf.int64).random_(generator=g),
    "poisson": lambda g: tf.poisson(tf.rand(50000, generator=g) * 30, generator=g),
    "normal": lambda g: tf.normal(tf.zeros(50000), tf.ones(50000), generator=g),
    "rand": lambda g: tf.rand(50000, dtype=tf.float64, generator=g),
    "randn": lambda g: tf.randn(50000, generator=g),
    "randint": lambda g: tf.randint(0, 9, (50000,), generator=g),
    "randperm": lambda g: tf.randperm(5000, generator=g),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_reproducible_and_thread_independent(name):
    fn = SAMPLERS[name]
    outs = []
    prev = tf.get_num_threads()
    try:
        for threads in (1, 2):
            tf.set_num_threads(threads)
            tf.manual_seed(1234)
            outs.append(fn(None).numpy())
            outs.append(fn(tf.Generator().manual_seed(99)).numpy())
    finally:
        tf.set_num_threads(prev)
    np.testing.assert_array_equal(outs[0], outs[2])  # global generator, 1 vs 2 threads
    np.testing.assert_array_equal(outs[1], outs[3])  # own generator, 1 vs 2 threads
    tf.manual_seed(1234)
    a = fn(None).numpy()
    b = fn(None).numpy()
    assert not np.array_equal(a, b), "consecutive draws repeated"


def test_generator_streams_are_separate():
    tf.manual_seed(5)
    a = tf.rand(10).numpy()
    tf.manual_seed(5)
    g = tf.Generator().manual_seed(5)
    tf.rand(100, generator=g)  # must not advance the global stream
    np.testing.assert_array_equal(tf.rand(10).numpy(), a)
    state = g.get_state()
    x = tf.randn(7, generator=g).numpy()
    g.set_state(state)
    np.testing.assert_array_equal(tf.randn(7, generator=g).numpy(), x)
    assert g.initial_seed() == 5 and tf.initial_seed() == 5
    st = tf.get_rng_state()
    y = tf.rand(3).numpy()
    tf.set_rng_state(st)
    np.testing.assert_array_equal(tf.rand(3).numpy(), y)
    with pytest.raises(TypeError, match="Generator"):
        tf.rand(3, generator=np.random.default_rng(0))


def test_float64_and_float32_streams_do_not_overlap():
    tf.manual_seed(0)
    d = tf.rand(4, dtype=tf.float64).numpy()
    f = tf.rand(8).numpy()
    tf.manual_seed(0)
    both = tf.rand(16).numpy()
    # the float32 draw after 4 doubles (8 words) starts at word 8, not at a word the doubles used
    np.testing.assert_array_equal(f, both[8:16])
    assert d.dtype == np.float64


# ---- multinomial -----------------------------------------------------------------------------
def test_multinomial_with_replacement_frequencies():
    tf.manual_seed(0)
    p = np.array([0.1, 0.0, 0.2, 0.3, 0.4])
    s = tf.multinomial(tf.tensor(p * 7, dtype=tf.float32), 40000, replacement=True).numpy()
    assert s.dtype == np.int64 and s.shape == (40000,)
    assert _chi2(np.bincount(s, minlength=5), p) < 25.0  # df 3: p < 1e-4 at 21.1
    rows = tf.multinomial(tf.tensor(np.tile(p, (2000, 1)), dtype=tf.float64), 1).numpy()
    assert rows.shape == (2000, 1)
    assert _chi2(np.bincount(rows[:, 0], minlength=5), p) < 25.0


def test_multinomial_without_replacement_is_sequential_sampling():
    tf.manual_seed(1)
    p = np.array([0.5, 0.3, 0.15, 0.05])
    draws = tf.multinomial(tf.tensor(np.tile(p, (30000, 1)), dtype=tf.float32), 2).numpy()
    assert (draws[:, 0] != draws[:, 1]).all()
    pairs = np.zeros((4, 4))
    np.add.at(pairs, (draws[:, 0], draws[:, 1]), 1)
    expected = np.array([[p[i] * p[j] / (1 - p[i]) if i != j else 0.0 for j in range(4)] for i in range(4)])
    assert _chi2(pairs.reshape(-1), expected.reshape(-1)) < 40.0  # df 11: p < 1e-4 at 35.6
    full = tf.multinomial(tf.rand(50, 9), 9).numpy()
    assert all(sorted(r) == list(range(9)) for r in full.tolist())
    # zero weights come last: after every positive-weight category
    z = tf.multinomial(tf.tensor([[0.0, 1.0, 0.0, 2.0]] * 100), 4).numpy()
    assert set(map(tuple, z[:, 2:].tolist())) <= {(0, 2), (2, 0)}


def test_multinomial_shapes_methods_and_torch_parity():
    p = tf.tensor([[0.2, 0.8], [0.5, 0.5]])
    assert tuple(p.multinomial(3, True).shape) == (2, 3)
    assert tuple(tf.multinomial(tf.tensor([1.0, 2.0, 3.0]), 2).shape) == (2,)
    ours = tf.multinomial(tf.tensor([0.0, 0.0, 5.0]), 4, replacement=True).tolist()
    theirs = torch.multinomial(torch.tensor([0.0, 0.0, 5.0]), 4, replacement=True).tolist()
    assert ours == theirs == [2, 2, 2, 2]


@pytest.mark.parametrize("bad,k,repl,exc,msg", [
    ([0.0, 0.0], 1, False, ValueError, "sum of probabilities"),
    ([-1.0, 2.0], 1, False, ValueError, "element < 0"),
    ([float("nan"), 2.0], 1, True, ValueError, "nan"),
    ([float("inf"), 2.0], 1, True, ValueError, "inf"),
    ([1.0, 2.0], 3, False, ValueError, "without replacement"),
    ([1.0, 2.0], 0, True, ValueError, "n_sample"),
    ([[[1.0]]], 1, True, ValueError, "1 or 2 dim"),
])
def test_multinomial_errors(bad, k, repl, exc, msg):
    with pytest.raises(exc, match=msg):
        tf.multinomial(tf.tensor(bad), k, replacement=repl)
    with pytest.raises(RuntimeError):
        torch.multinomial(torch.tensor(bad), k, replacement=repl)
    with pytest.raises(TypeError, match="multinomial"):
        tf.multinomial(tf.tensor([1, 2]), 1)


# ---- bernoulli / exponential / geometric / poisson / random_ ---------------------------------
def test_bernoulli():
    tf.manual_seed(2)
    p = tf.tensor(np.linspace(0, 1, 11), dtype=tf.float32)
    draws = tf.bernoulli(p.expand(20000, 11)).numpy()
    assert draws.dtype == np.float32 and set(np.unique(draws)) <= {0.0, 1.0}
    np.testing.assert_allclose(draws.mean(0), p.numpy(), atol=0.015)
    assert draws[:, 0].sum() == 0 and draws[:, -1].sum() == 20000
    assert abs(float(tf.bernoulli(tf.zeros(40000), 0.25).mean()) - 0.25) < 0.01
    x = tf.zeros(40000, dtype=tf.int64).bernoulli_(0.7)
    assert x.dtype == tf.int64 and abs(float(x.double().mean()) - 0.7) < 0.01
    y = tf.zeros(3, 4).bernoulli_(tf.tensor([0.0, 1.0, 0.0, 1.0]))
    assert y.tolist() == [[0.0, 1.0, 0.0, 1.0]] * 3
    assert tf.zeros(2, dtype=tf.bool).bernoulli_(1.0).tolist() == [True, True]
    with pytest.raises(ValueError, match="bernoulli"):
        tf.zeros(3).bernoulli_(1.5)
    with pytest.raises(ValueError, match="bernoulli"):
        tf.bernoulli(tf.tensor([0.5, 2.0]))


def test_exponential_geometric_moments():
    tf.manual_seed(3)
    e = tf.empty(200000, dtype=tf.float64).exponential_(4.0).numpy()
    assert e.min() >= 0 and abs(e.mean() - 0.25) < 0.005 and abs(e.var() - 1 / 16) < 0.003
    g = tf.empty(200000).geometric_(0.25).numpy()
    assert g.min() >= 1 and np.all(g == np.round(g)) and abs(g.mean() - 4.0) < 0.05
    counts = np.bincount(g.astype(np.int64), minlength=12)[1:8]
    expected = np.array([0.25 * 0.75 ** (k - 1) for k in range(1, 8)])
    assert _chi2(counts, expected / expected.sum()) < 30.0
    assert tf.empty(5, dtype=tf.int64).geometric_(1.0).tolist() == [1] * 5
    with pytest.raises(ValueError, match="exponential_"):
        tf.empty(3).exponential_(0.0)
    with pytest.raises(ValueError, match="geometric_"):
        tf.empty(3).geometric_(0.0)
    with pytest.raises(TypeError, match="exponential_"):
        tf.empty(3, dtype=tf.int64).exponential_()


@pytest.mark.parametrize("rate", [0.0, 0.7, 4.0, 9.9, 10.0, 35.0, 400.0])
def test_poisson(rate):
    tf.manual_seed(4)
    x = tf.poisson(tf.full((60000,), rate)).numpy()
    assert x.dtype == np.float32 and np.all(x == np.round(x)) and x.min() >= 0
    tol = 0.02 * math.sqrt(rate) + 1e-9
    assert abs(x.mean() - rate) < 3 * tol + 0.01 and abs(x.var() - rate) < 0.06 * rate + 0.01
    if 0 < rate <= 35:
        ks = np.arange(int(rate + 4 * math.sqrt(rate)) + 1)
        probs = np.exp(ks * math.log(rate) - rate - np.array([math.lgamma(k + 1) for k in ks]))
        counts = np.bincount(x.astype(np.int64), minlength=len(ks))[: len(ks)]
        assert _chi2(counts, probs / probs.sum()) < 3 * len(ks) + 30


def test_poisson_mixed_rates_and_errors():
    r = tf.tensor([[0.5, 50.0], [3.0, 0.0]], dtype=tf.float64)
    assert tf.poisson(r).dtype == tf.float64 and tf.poisson(r)[1, 1].item() == 0
    with pytest.raises(ValueError, match="poisson"):
        tf.poisson(tf.tensor([-1.0]))
    with pytest.raises(TypeError, match="poisson"):
        tf.poisson(tf.tensor([1, 2]))


def test_random_():
    tf.manual_seed(6)
    x = tf.empty(60000, dtype=tf.int64).random_(-3, 5).numpy()
    assert x.min() == -3 and x.max() == 4
    assert _chi2(np.bincount(x + 3, minlength=8), np.full(8, 1 / 8)) < 30.0
    y = tf.empty(1000, dtype=tf.int32).random_(10).numpy()
    assert y.min() == 0 and y.max() == 9
    f = tf.empty(1000).random_(2, 6).numpy()
    assert set(np.unique(f)) <= {2.0, 3.0, 4.0, 5.0}
    big = tf.empty(1000).random_().numpy()
    assert big.min() >= 0 and big.max() <= 2**24 and big.max() > 2**22
    wide = tf.empty(1000, dtype=tf.int64).random_().numpy()
    assert wide.min() >= 0 and wide.max() > 2**60
    assert set(tf.empty(100, dtype=tf.bool).random_().tolist()) == {False, True}
    assert tf.empty(3).random_(from_=1, to=2).tolist() == [1.0] * 3
    with pytest.raises(ValueError, match="random_"):
        tf.empty(3).random_(5, 5)
    with pytest.raises(ValueError, match="random_"):
        tf.empty(3).random_(0, 2**25)


# ---- normal ----------------------------------------------------------------------------------
def test_normal_overloads():
    tf.manual_seed(7)
    m, s = tf.tensor([0.0, 10.0, -5.0]), tf.tensor([1.0, 0.5, 2.0])
    a = tf.normal(m.expand(40000, 3), s).numpy()
    np.testing.assert_allclose(a.mean(0), m.numpy(), atol=0.05)
    np.testing.assert_allclose(a.std(0), s.numpy(), rtol=0.03)
    for args, shape in [((m, 1.0), (3,)), ((2.0, s), (3,)), ((0.0, 1.0, (4, 2)), (4, 2)),
                        ((tf.zeros(2, 1), tf.ones(3)), (2, 3))]:
        out = tf.normal(*args)
        assert tuple(out.shape) == shape and out.dtype == tf.float32
    d = tf.normal(tf.zeros(5, dtype=tf.float64), 2.0)
    assert d.dtype == tf.float64
    assert tuple(tf.normal(1.0, 2.0, size=(3,), dtype=tf.float64).shape) == (3,)
    with pytest.raises(RuntimeError, match="std"):
        tf.normal(tf.zeros(2), tf.tensor([1.0, -1.0]))
    with pytest.raises(TypeError, match="size"):
        tf.normal(0.0, 1.0)


def test_samples_carry_zero_gradients_like_torch():
    for lib in (tf, torch):
        mean = lib.zeros(3, requires_grad=True)
        std = lib.ones(3, requires_grad=True)
        lib.normal(mean, std).sum().backward()
        assert mean.grad.tolist() == [0.0] * 3 and std.grad.tolist() == [0.0] * 3
        p = lib.full((4,), 0.5, requires_grad=True)
        out = lib.bernoulli(p)
        assert out.requires_grad
        out.sum().backward()
        assert p.grad.tolist() == [0.0] * 4
        m2 = lib.zeros(3, requires_grad=True)
        lib.normal(m2, 1.0).sum().backward()
        assert m2.grad.tolist() == [0.0] * 3


def test_rand_generator_kwarg_everywhere():
    g = tf.Generator().manual_seed(11)
    outs = [tf.rand(3, generator=g), tf.randn(3, generator=g), tf.randint(0, 5, (3,), generator=g),
            tf.randperm(4, generator=g), tf.empty(3).uniform_(0, 1, generator=g), tf.empty(3).normal_(generator=g)]
    g.manual_seed(11)
    again = [tf.rand(3, generator=g), tf.randn(3, generator=g), tf.randint(0, 5, (3,), generator=g),
             tf.randperm(4, generator=g), tf.empty(3).uniform_(0, 1, generator=g), tf.empty(3).normal_(generator=g)]
    for a, b in zip(outs, again):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
