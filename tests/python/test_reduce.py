"""Reductions and softmax: forward and backward against numpy, finite differences, PyTorch."""
import numpy as np
import pytest

import tensorforge as tf
from helpers import assert_close, check_op, rand, torch

DIMS = [None, 0, 1, -1, (0, 2), (1, 2), (0, 1, 2)]


@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("op", ["sum", "mean", "amax", "amin", "logsumexp", "var", "std", "prod"])
def test_reductions(op, dim, keepdim, isa):
    x = rand(3, 4, 5)
    if op == "logsumexp" and dim is None:
        dim = (0, 1, 2)
    if op == "prod" and isinstance(dim, tuple):
        pytest.skip("PyTorch's prod takes a single dim")

    def fn(m, t):
        f = getattr(m, op)
        if dim is None:
            if op in ("amax", "amin"):
                return f(t)
            return f(t)
        return f(t, dim, keepdim=keepdim)

    check_op(fn, [x], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("shape", [(7, 100), (9, 512), (5, 513), (4, 3000), (1024, 33)])
@pytest.mark.parametrize("op", ["sum", "mean", "amax", "amin", "logsumexp", "var", "std"])
def test_row_reductions_long_and_grouped(op, shape, isa):
    # rows reduced four at a time (with a ragged last group), long rows split into blocks
    x = rand(*shape)
    x[1, 3] = np.float32(50.0)  # a dominant element for amax/logsumexp
    check_op(lambda m, t: getattr(m, op)(t, -1), [x], rtol=1e-4, atol=1e-4, fd=False)


def test_row_reductions_nan_and_inf():
    x = rand(6, 40)
    x[1, 7] = np.nan
    x[2, 5] = np.inf
    x[3, :] = -np.inf
    for op in ("sum", "amax", "amin", "logsumexp", "mean"):
        out = getattr(tf, op)(tf.tensor(x), -1).numpy()
        if torch is not None:
            ref = getattr(torch, op)(torch.tensor(x), -1).numpy()
        else:
            ref = {"sum": np.sum, "amax": np.max, "amin": np.min, "mean": np.mean,
                   "logsumexp": lambda a, axis: np.logaddexp.reduce(a, axis=axis)}[op](x, axis=-1)
        np.testing.assert_allclose(out, ref, rtol=1e-5, equal_nan=True)


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_with_indices(op, dim, isa):
    x = rand(4, 6)
    check_op(lambda m, t: getattr(m, op)(t, dim=dim), [x])
    check_op(lambda m, t: getattr(m, op)(t, dim, keepdim=True), [x])
    check_op(lambda m, t: getattr(m, op)(t), [x])


def test_max_ties_split_gradient_evenly():
    check_op(lambda m, t: m.amax(t * 0 + 1, dim=1), [rand(2, 3)], fd=False)
    check_op(lambda m, t: m.max(m.clamp(t, max=0.0)), [rand(3, 3)], fd=False)


@pytest.mark.parametrize("dim", [None, 0, 1])
def test_argmax_argmin(dim):
    x = rand(5, 7)
    check_op(lambda m, t: (m.argmax(t, dim=dim), m.argmin(t, dim=dim)), [x], grad=False)
    check_op(lambda m, t: m.argmax(t, dim=1, keepdim=True), [x], grad=False)


def test_nan_propagates():
    x = np.array([[1.0, np.nan, 3.0], [1.0, 2.0, 3.0]], np.float32)
    check_op(lambda m, t: (m.sum(t, 1), m.amax(t, 1), m.amin(t, 1), m.argmax(t, 1), m.max(t, 1).values,
                           m.logsumexp(t, 1), m.mean(t, 1)), [x], grad=False)


@pytest.mark.parametrize("dim", [0, 1, -1, 2])
@pytest.mark.parametrize("log", [False, True])
def test_softmax(dim, log, isa):
    x = rand(3, 4, 5) * 4
    name = "log_softmax" if log else "softmax"
    check_op(lambda m, t: getattr(m, name)(t, dim), [x])


def test_softmax_large_rows(isa):
    x = rand(64, 1000) * 10
    check_op(lambda m, t: m.softmax(t, -1), [x], fd=False)
    check_op(lambda m, t: m.log_softmax(t, 0), [x], fd=False)


def test_large_sums_accurate(isa):
    x = rand(4096, 1024)
    for dim in (None, 0, 1):
        expected = x.astype(np.float64).sum(axis=dim)
        assert_close(tf.tensor(x).sum(dim), expected.astype(np.float32), rtol=1e-4, atol=1e-3)


def test_integer_and_bool_reductions():
    x = np.arange(12, dtype=np.int32).reshape(3, 4)
    check_op(lambda m, t: (t.sum(), t.sum(0), t.prod(1), t.amax(0), m.argmax(t)), [x], grad=False)
    b = x % 3 == 0
    check_op(lambda m, t: (t.all(), t.any(), t.any(1), t.all(0), t.sum()), [b], grad=False)


def test_var_correction():
    x = rand(5, 6)
    check_op(lambda m, t: (m.var(t, 1, correction=0), m.std(t, 0, unbiased=False), m.var(t)), [x])


def test_sum_non_contiguous(isa):
    x = rand(6, 8, 4)
    check_op(lambda m, t: t.permute(2, 0, 1).sum((0, 2)), [x])
    check_op(lambda m, t: t[:, ::2].mean(-1), [x])


def test_empty_reductions():
    e = np.zeros((0, 3), np.float32)
    check_op(lambda m, t: (t.sum(0), t.sum(), t.prod(0)), [e], grad=False)
