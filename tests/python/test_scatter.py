"""Scatter, index updates and counting against PyTorch: forward, backward, flags, errors."""
import numpy as np
import pytest

import tensorforge as tf
from helpers import assert_close, check_op, rand, torch

NAN = float("nan")
RNG = np.random.default_rng(11)


def _unique_index(shape, size, dim):
    """An index along dim without repeated targets per line (so overwrite order cannot matter)."""
    idx = np.empty(shape, np.int64)
    moved = np.moveaxis(idx, dim, -1)
    for pos in np.ndindex(moved.shape[:-1]):
        moved[pos] = RNG.permutation(size)[: moved.shape[-1]]
    return idx


# ---- scatter ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_scatter_src_and_value(dim):
    idx = _unique_index((2, 3), 4, dim % 2)
    check_op(lambda m, x, i, s: m.scatter(x, dim, i, s), [rand(4, 4), idx, rand(2, 3)])
    # src larger than index (PyTorch's backward rejects that shape; ours pads the gradient)
    check_op(lambda m, x, i, s: x.scatter(dim, i, s), [rand(4, 4), idx, rand(3, 5)], grad=False)
    gs = tf.tensor(rand(3, 5), requires_grad=True)
    tf.zeros(4, 4).scatter(dim, tf.tensor(idx), gs).sum().backward()
    assert gs.grad.shape == (3, 5) and float(gs.grad.sum()) == 6.0
    check_op(lambda m, x, i: m.scatter(x, dim, i, 2.5), [rand(4, 4), idx])
    check_op(lambda m, x, i: x.scatter(dim, i, value=-1.0), [rand(4, 4), idx])


def test_scatter_duplicates_last_write_wins():
    x = np.zeros(4, np.float32)
    idx = np.array([1, 1, 3, 1])
    src = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    assert tf.scatter(tf.tensor(x), 0, tf.tensor(idx), tf.tensor(src)).tolist() == [0.0, 4.0, 0.0, 3.0]


@pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter")
@pytest.mark.parametrize("reduce", ["add", "multiply"])
def test_scatter_legacy_reduce(reduce):
    idx = np.array([[0, 1, 0], [2, 0, 0]])
    check_op(lambda m, x, i, s: m.scatter(x, 0, i, s, reduce=reduce), [rand(3, 3), idx, rand(2, 3)], grad=False)
    check_op(lambda m, x, i: m.scatter(x, 1, i, 1.5, reduce=reduce), [rand(2, 3), idx], grad=False)
    for lib in (tf, torch):
        y = lib.ones(3)
        y.scatter_(0, lib.tensor([0, 2, 2]), 3.0, reduce=reduce)
        assert y.tolist() == ([4.0, 1.0, 7.0] if reduce == "add" else [3.0, 1.0, 9.0])


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.float64, np.bool_])
def test_scatter_dtypes(dtype):
    x = np.zeros((3, 4), dtype)
    src = np.ones((2, 4), dtype)
    idx = np.array([[0, 1, 2, 0], [2, 0, 1, 1]])
    check_op(lambda m, a, i, s: m.scatter(a, 0, i, s), [x, idx, src], grad=False)
    check_op(lambda m, a, i: m.scatter(a, 1, i[:, :3], 1), [x, idx], grad=False)
    check_op(lambda m, a, i, s: m.scatter(a, 0, i.int(), s), [x, idx, src], grad=False)


def test_scatter_inplace_and_graph():
    check_op(lambda m, x, i, s: (x * 1).scatter_(0, i, s), [rand(3, 2), np.array([[2, 0]]), rand(1, 2)])
    check_op(lambda m, x, i, s: (x * 1).scatter_add_(1, i, s), [rand(3, 2), np.array([[1], [0], [1]]), rand(3, 1)])
    leaf = tf.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        leaf.scatter_(0, tf.tensor([0]), 1.0)


def test_scatter_scalar_and_empty():
    check_op(lambda m, x, i, s: m.scatter(x, 0, i, s), [np.array(2.0, np.float32), np.array(0), np.array(5.0, np.float32)])
    check_op(lambda m, x, i, s: m.scatter(x, 0, i, s), [np.array(2.0, np.float32), np.array([0]), np.array([5.0], np.float32)])
    check_op(lambda m, x, i, s: m.scatter(x, 0, i, s), [rand(3), np.zeros(0, np.int64), rand(0)], grad=False)


def test_scatter_errors():
    x = tf.zeros(3, 4)
    with pytest.raises(IndexError, match=r"scatter.*index 5 is out of bounds for dimension 0 with size 3"):
        x.scatter(0, tf.tensor([[5]]), 1.0)
    with pytest.raises(IndexError, match="-1"):
        x.scatter(0, tf.tensor([[-1]]), 1.0)
    with pytest.raises(ValueError, match="same number of dimensions"):
        x.scatter(0, tf.tensor([1]), 1.0)
    with pytest.raises(ValueError, match="no larger"):
        x.scatter(0, tf.tensor([[0, 1, 2, 0, 1]]), 1.0)
    with pytest.raises(ValueError, match="no larger"):
        x.scatter(0, tf.tensor([[0, 1]]), tf.zeros(1, 1))
    with pytest.raises(TypeError, match="dtype"):
        x.scatter(0, tf.tensor([[0]]), tf.zeros(1, 1, dtype=tf.float64))
    with pytest.raises(TypeError, match="index"):
        x.scatter(0, tf.tensor([[0.0]]), 1.0)
    with pytest.raises(IndexError):
        x.scatter(2, tf.tensor([[0]]), 1.0)
    with pytest.raises(IndexError, match="gather"):
        x.gather(0, tf.tensor([[3]]))
    # nothing was written by the failed calls
    assert float(x.abs().sum()) == 0.0


# ---- scatter_add / scatter_reduce ------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1])
def test_scatter_add(dim):
    idx = RNG.integers(0, 3, size=(4, 3))
    check_op(lambda m, x, i, s: m.scatter_add(x, dim, i, s), [rand(3, 3), idx, rand(4, 3)] if dim == 0
             else [rand(4, 3), idx, rand(4, 3)])


def test_scatter_add_long_line_matches_serial_sum():
    n = 200_000
    idx = RNG.integers(0, 1000, size=n)
    src = RNG.standard_normal(n).astype(np.float32)
    ours = tf.zeros(1000).scatter_add(0, tf.tensor(idx), tf.tensor(src))
    ref = torch.zeros(1000).scatter_add(0, torch.tensor(idx), torch.tensor(src))
    assert_close(ours, ref, rtol=1e-4, atol=1e-3)
    # deterministic: same result for 1 and 2 threads
    threads = tf.get_num_threads()
    tf.set_num_threads(1)
    one = tf.zeros(1000).scatter_add(0, tf.tensor(idx), tf.tensor(src)).numpy()
    tf.set_num_threads(2)
    two = tf.zeros(1000).scatter_add(0, tf.tensor(idx), tf.tensor(src)).numpy()
    tf.set_num_threads(threads)
    np.testing.assert_array_equal(one, two)


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce(reduce, include_self):
    idx = np.array([[0, 1, 0, 2], [2, 0, 0, 1], [0, 0, 1, 1]])
    x, src = rand(3, 4, low=0.5, high=2.0), rand(3, 4, low=0.5, high=2.0)
    check_op(lambda m, a, i, s: m.scatter_reduce(a, 0, i, s, reduce, include_self=include_self), [x, idx, src],
             fd=reduce not in ("amax", "amin"))
    check_op(lambda m, a, i, s: a.scatter_reduce(1, i, s, reduce, include_self=include_self), [x, idx, src],
             fd=reduce not in ("amax", "amin"))


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
def test_scatter_reduce_ints_and_nan(reduce):
    x = np.array([1, 2, 3, 4], np.int64)
    idx = np.array([0, 0, 1, 3, 3, 3])
    src = np.array([5, -2, 7, 1, 4, 9], np.int64)
    for inc in (True, False):
        check_op(lambda m, a, i, s: m.scatter_reduce(a, 0, i, s, reduce, include_self=inc), [x, idx, src], grad=False)
    f = np.array([0.0, 1.0, 2.0], np.float32)
    fs = np.array([NAN, 3.0, 1.0], np.float32)
    check_op(lambda m, a, i, s: m.scatter_reduce(a, 0, i, s, reduce), [f, np.array([0, 0, 1]), fs], grad=False)


def test_scatter_reduce_grad_with_zeros_and_ties():
    x = np.array([2.0, 0.0, 3.0], np.float64)
    src = np.array([0.0, 4.0, 0.0, 5.0, 0.0], np.float64)
    idx = np.array([0, 0, 1, 2, 2])
    for inc in (True, False):
        check_op(lambda m, a, i, s: m.scatter_reduce(a, 0, i, s, "prod", include_self=inc), [x, idx, src])
    tied = np.array([1.0, 3.0, 3.0, 2.0], np.float64)
    for red in ("amax", "amin"):
        check_op(lambda m, a, i, s: m.scatter_reduce(a, 0, i, s, red), [np.array([3.0, 1.0]), np.array([0, 0, 1, 1]), tied],
                 fd=False)


def test_scatter_reduce_inplace_and_errors():
    check_op(lambda m, x, i, s: (x * 1).scatter_reduce_(0, i, s, "amax"), [rand(3), np.array([0, 2]), rand(2)], fd=False)
    with pytest.raises(RuntimeError, match="reduce"):
        tf.zeros(3).scatter_reduce(0, tf.tensor([0]), tf.zeros(1), "median")
    with pytest.raises(RuntimeError, match="reduce"):
        tf.zeros(3).scatter(0, tf.tensor([0]), tf.zeros(1), reduce="sum")


# ---- index_add / index_copy / index_fill -----------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_add(dim):
    idx = np.array([0, 2, 0])
    src = rand(3, 4) if dim == 0 else rand(4, 3)
    check_op(lambda m, x, i, s: m.index_add(x, dim, i, s), [rand(4, 4), idx, src])
    check_op(lambda m, x, i, s: x.index_add(dim, i, s, alpha=2.0), [rand(4, 4), idx, src])
    check_op(lambda m, x, i, s: (x * 1).index_add_(dim, i, s), [rand(4, 4), idx, src])


@pytest.mark.parametrize("dim", [0, 1])
def test_index_copy_and_fill(dim):
    idx = np.array([2, 0])
    src = rand(2, 3) if dim == 0 else rand(3, 2)
    check_op(lambda m, x, i, s: m.index_copy(x, dim, i, s), [rand(3, 3), idx, src])
    check_op(lambda m, x, i, s: (x * 1).index_copy_(dim, i, s), [rand(3, 3), idx, src])
    check_op(lambda m, x, i: m.index_fill(x, dim, i, -2.0), [rand(3, 3), idx])
    check_op(lambda m, x, i, v: x.index_fill(dim, i, v), [rand(3, 3), idx, np.array(4.0, np.float32)])
    check_op(lambda m, x, i: (x * 1).index_fill_(dim, i, 1.5), [rand(3, 3), idx])
    check_op(lambda m, x, i: x.index_fill(dim, i, 7), [np.zeros((3, 3), np.int64), idx], grad=False)


def test_index_ops_errors():
    x = tf.zeros(3, 2)
    with pytest.raises(IndexError, match="index_copy.*5"):
        x.index_copy(0, tf.tensor([5]), tf.zeros(1, 2))
    with pytest.raises(RuntimeError, match="index_copy"):
        x.index_copy(0, tf.tensor([0, 1]), tf.zeros(1, 2))
    with pytest.raises(IndexError, match="index_fill"):
        x.index_fill(2, tf.tensor([0]), 1.0)
    with pytest.raises(IndexError, match="index_add_"):
        x.index_add_(0, tf.tensor([[0]]), tf.zeros(1, 2))
    with pytest.raises(IndexError, match="index_fill"):
        x.index_fill(0, tf.tensor([0.5]), 1.0)


# ---- masked_scatter / put / take -------------------------------------------------------------
def test_masked_scatter():
    mask = np.array([[True, False, True], [False, True, True]])
    check_op(lambda m, x, k, s: m.masked_scatter(x, k, s), [rand(2, 3), mask, rand(2, 3)])
    check_op(lambda m, x, k, s: x.masked_scatter(k, s), [rand(2, 3), mask[0], rand(7)])
    check_op(lambda m, x, k, s: (x * 1).masked_scatter_(k, s), [rand(2, 3), mask, rand(4)])
    with pytest.raises(RuntimeError, match="masked_scatter"):
        tf.zeros(2, 3).masked_scatter(tf.tensor(mask), tf.zeros(3))


def test_put_and_take():
    idx = np.array([1, -1, 4])
    check_op(lambda m, x, i: m.take(x, i), [rand(2, 3), idx])
    check_op(lambda m, x, i, s: x.put(i, s), [rand(2, 3), idx, rand(3)])
    check_op(lambda m, x, i, s: (x * 1).put_(i, s, accumulate=True), [rand(2, 3), np.array([1, 1, 0]), rand(3)])
    check_op(lambda m, x, i, s: (x * 1).put_(i, s), [rand(2, 3), idx, rand(3)])
    with pytest.raises(IndexError, match="put"):
        tf.zeros(3).put(tf.tensor([3]), tf.zeros(1))


# ---- bincount / histc ------------------------------------------------------------------------
def test_bincount():
    x = np.array([0, 1, 1, 3, 7, 3])
    check_op(lambda m, t: m.bincount(t), [x], grad=False)
    check_op(lambda m, t: t.bincount(minlength=10), [x], grad=False)
    for w in (rand(6), rand(6, dtype=np.float64), np.arange(6)):
        check_op(lambda m, t, ww: m.bincount(t, ww), [x, w], grad=False)
    check_op(lambda m, t: m.bincount(t), [np.zeros(0, np.int64)], grad=False)
    check_op(lambda m, t: m.bincount(t), [x.astype(np.int32)], grad=False)
    with pytest.raises(ValueError, match="bincount"):
        tf.bincount(tf.tensor([-1, 2]))
    with pytest.raises(ValueError, match="bincount"):
        tf.bincount(tf.tensor([[1]]))
    with pytest.raises(ValueError, match="minlength"):
        tf.bincount(tf.tensor([1]), minlength=-1)


def test_histc():
    check_op(lambda m, t: m.histc(t, bins=4, min=0, max=3), [np.array([1.0, 2, 1, 4, 3, -1, 0], np.float32)], grad=False)
    check_op(lambda m, t: m.histc(t, bins=5), [rand(100)], grad=False)
    check_op(lambda m, t: t.histc(10, -0.5, 0.5), [rand(1000, dtype=np.float64)], grad=False)
    check_op(lambda m, t: m.histc(t, 3), [np.array([2.0, 2.0], np.float32)], grad=False)
    check_op(lambda m, t: m.histc(t, bins=4, min=0, max=1), [np.array([0.5, NAN, 1.0], np.float32)], grad=False)
    with pytest.raises(TypeError, match="histc"):
        tf.histc(tf.tensor([1, 2]))
    with pytest.raises(ValueError, match="histc"):
        tf.histc(tf.zeros(3), bins=0)
