"""Data movement ops against PyTorch: flips, rolls, repeats, triangles, diagonals, splits."""
import numpy as np
import pytest

import tensorforge as tf
from helpers import check_op, rand, torch


def _ints(*shape):
    return np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)


# ---- flip / roll / rot90 ---------------------------------------------------------------------
@pytest.mark.parametrize("dims", [[0], [1], [-1], [0, 2], [0, 1, 2], []])
def test_flip(dims):
    check_op(lambda m, x: m.flip(x, dims), [rand(3, 4, 5)])
    check_op(lambda m, x: x.flip(dims), [_ints(3, 4, 5)], grad=False)


def test_flip_variants_and_errors():
    check_op(lambda m, x: m.fliplr(x), [rand(3, 4)])
    check_op(lambda m, x: m.flipud(x), [rand(3, 4)])
    check_op(lambda m, x: m.flip(x, [0]), [np.array([True, False, False])], grad=False)
    check_op(lambda m, x: m.flip(x, [0]), [np.zeros((0, 3), np.float32)], grad=False)
    check_op(lambda m, x: m.flip(x, [0]), [np.array(2.0, np.float32)])
    x = tf.arange(6).reshape(2, 3)
    assert tf.flip(x[:, ::2], [1]).tolist() == [[2, 0], [5, 3]]  # strided input
    with pytest.raises(ValueError, match="flip"):
        tf.flip(tf.zeros(2, 3), [0, 0])
    with pytest.raises(IndexError, match="flip"):
        tf.flip(tf.zeros(2, 3), [2])
    with pytest.raises(RuntimeError, match="fliplr"):
        tf.fliplr(tf.zeros(3))


@pytest.mark.parametrize("shifts,dims", [(1, 0), (-2, 1), (7, -1), ((1, 2), (0, 1)), (3, None), (0, 0)])
def test_roll(shifts, dims):
    check_op(lambda m, x: m.roll(x, shifts, dims), [rand(3, 5)])
    check_op(lambda m, x: x.roll(shifts, dims), [_ints(3, 5)], grad=False)


def test_roll_edges_and_errors():
    check_op(lambda m, x: m.roll(x, 2), [np.array(1.5, np.float32)])
    check_op(lambda m, x: m.roll(x, 1, 0), [np.zeros((0, 2), np.float32)], grad=False)
    with pytest.raises(ValueError, match="roll"):
        tf.roll(tf.zeros(3, 3), (1, 2), 0)


@pytest.mark.parametrize("k", [0, 1, 2, 3, -1, 5])
def test_rot90(k):
    check_op(lambda m, x: m.rot90(x, k, [0, 1]), [rand(3, 4)])
    check_op(lambda m, x: m.rot90(x, k, [2, 0]), [rand(2, 3, 4)])
    with pytest.raises(RuntimeError, match="rot90"):
        tf.rot90(tf.zeros(3, 3), 1, [0, 0])


# ---- repeat / tile / repeat_interleave -------------------------------------------------------
@pytest.mark.parametrize("reps", [(2, 3), (1, 1), (3, 1, 2), (2, 0), (4, 2, 1, 1)])
def test_repeat(reps):
    check_op(lambda m, x: x.repeat(*reps), [rand(3, 2)])
    check_op(lambda m, x: x.repeat(reps), [_ints(3, 2)], grad=False)


def test_repeat_edges_and_errors():
    check_op(lambda m, x: x.repeat(3, 2), [np.array(1.5, np.float32)])
    check_op(lambda m, x: x.repeat(2, 2), [np.array([True, False])], grad=False)
    with pytest.raises(ValueError, match="repeat"):
        tf.zeros(2, 3).repeat(2)
    with pytest.raises(ValueError, match="repeat"):
        tf.zeros(2).repeat(-1)


@pytest.mark.parametrize("reps", [(2,), (2, 3), (1, 2, 2)])
def test_tile(reps):
    check_op(lambda m, x: m.tile(x, reps), [rand(2, 3)])
    check_op(lambda m, x: x.tile(reps), [_ints(3)], grad=False)


def test_repeat_interleave():
    check_op(lambda m, x: m.repeat_interleave(x, 2), [rand(2, 3)])
    check_op(lambda m, x: x.repeat_interleave(3, dim=1), [rand(2, 3)])
    check_op(lambda m, x: m.repeat_interleave(x, 2, dim=-2), [_ints(2, 3)], grad=False)
    check_op(lambda m, x, r: m.repeat_interleave(x, r, dim=0), [rand(3, 2), np.array([1, 0, 3])])
    check_op(lambda m, x, r: m.repeat_interleave(x, r, dim=0, output_size=4), [rand(3, 2), np.array([1, 0, 3])])
    check_op(lambda m, x, r: m.repeat_interleave(x, r), [rand(2, 2), np.array([2])])
    check_op(lambda m, r: m.repeat_interleave(r), [np.array([2, 0, 3])], grad=False)
    check_op(lambda m, x: m.repeat_interleave(x, 2), [np.array(3, np.int64)], grad=False)
    with pytest.raises(ValueError, match="repeat_interleave"):
        tf.repeat_interleave(tf.tensor([1, -1]))
    with pytest.raises(ValueError, match="output_size"):
        tf.repeat_interleave(tf.zeros(2), tf.tensor([1, 2]), dim=0, output_size=5)
    with pytest.raises(RuntimeError):
        tf.repeat_interleave(tf.zeros(3), tf.tensor([1, 2]), dim=0)


# ---- triangles / diagonals -------------------------------------------------------------------
@pytest.mark.parametrize("diagonal", [0, 1, -1, 3, -5])
def test_tril_triu(diagonal):
    check_op(lambda m, x: m.tril(x, diagonal), [rand(4, 5)])
    check_op(lambda m, x: x.triu(diagonal), [rand(2, 3, 4)])
    check_op(lambda m, x: m.triu(x, diagonal), [_ints(3, 3)], grad=False)
    check_op(lambda m, x: m.tril(x, diagonal), [np.ones((3, 2), np.bool_)], grad=False)


def test_triangle_indices_and_errors():
    for r, c, off in [(3, 3, 0), (4, 3, 1), (3, 5, -1), (0, 3, 0), (2, 4, 5), (3, 3, -4)]:
        check_op(lambda m: m.tril_indices(r, c, off), [], grad=False)
        check_op(lambda m: m.triu_indices(r, c, off), [], grad=False)
    check_op(lambda m: m.tril_indices(3, 3, dtype=m.int32), [], grad=False)
    with pytest.raises(ValueError, match="tril"):
        tf.tril(tf.zeros(3))


@pytest.mark.parametrize("args", [(0, 0, 1), (1, 0, 1), (-1, 0, 1), (0, 1, 2), (2, -1, 0), (-5, 0, 2)])
def test_diagonal_is_a_view_with_grad(args):
    check_op(lambda m, x: m.diagonal(x, *args), [rand(3, 4, 5)])
    x = tf.zeros(3, 4, 5)
    d = x.diagonal(*args)
    d.fill_(7.0)
    assert int((x == 7.0).sum().item()) == d.numel()


@pytest.mark.parametrize("args", [(0, -2, -1), (1, 0, 2), (-2, 1, 0)])
def test_diag_embed(args):
    check_op(lambda m, x: m.diag_embed(x, *args), [rand(2, 3)])


def test_diag_diagflat_trace():
    for off in (0, 1, -2):
        check_op(lambda m, x: m.diag(x, off), [rand(4)])
        check_op(lambda m, x: m.diag(x, off), [rand(3, 4)])
        check_op(lambda m, x: m.diagflat(x, off), [rand(2, 2)])
    check_op(lambda m, x: m.trace(x), [rand(3, 4)])
    check_op(lambda m, x: x.trace(), [_ints(3, 3)], grad=False)
    with pytest.raises(RuntimeError, match="diag"):
        tf.diag(tf.zeros(2, 2, 2))
    with pytest.raises(ValueError, match="diagonal"):
        tf.diagonal(tf.zeros(2, 2), 0, 1, 1)


# ---- broadcasting / meshgrid / splitting / stacking ------------------------------------------
def test_broadcast_tensors_and_shapes():
    check_op(lambda m, a, b, c: m.broadcast_tensors(a, b, c), [rand(3, 1), rand(4), rand(2, 1, 1)])
    assert tuple(tf.broadcast_shapes((2, 1), (3,), (1, 1, 1))) == (1, 2, 3)
    with pytest.raises(RuntimeError, match="broadcast"):
        tf.broadcast_shapes((2,), (3,))


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid(indexing):
    check_op(lambda m, a, b: m.meshgrid(a, b, indexing=indexing), [rand(3), rand(4)])
    check_op(lambda m, a, b, c: m.meshgrid([a, b, c], indexing=indexing), [rand(2), rand(3), rand(4)])
    check_op(lambda m, a: m.meshgrid(a, indexing=indexing), [rand(3)])
    with pytest.raises(ValueError, match="indexing"):
        tf.meshgrid(tf.zeros(2), indexing="ji")


@pytest.mark.parametrize("spec", [3, 1, 7, 9, [1, 5], [0, 2, 2, 9], [4]])
def test_tensor_split(spec):
    check_op(lambda m, x: m.tensor_split(x, spec), [rand(7, 2)])
    check_op(lambda m, x: x.tensor_split(spec, dim=1), [rand(2, 7)])
    check_op(lambda m, x: m.tensor_split(x, m.tensor(spec)), [_ints(7)], grad=False)


def test_tensor_split_hsplit_vsplit_errors():
    check_op(lambda m, x: m.hsplit(x, 2), [rand(2, 4)])
    check_op(lambda m, x: m.vsplit(x, [1]), [rand(3, 4)])
    with pytest.raises(RuntimeError, match="tensor_split"):
        tf.tensor_split(tf.zeros(4), 0)


def test_stacking():
    check_op(lambda m, a, b: m.dstack([a, b]), [rand(3), rand(3)])
    check_op(lambda m, a, b: m.dstack([a, b]), [rand(2, 3), rand(2, 3)])
    check_op(lambda m, a, b, c: m.column_stack([a, b, c]), [rand(3), rand(3, 2), rand(3)])
    check_op(lambda m, a: m.atleast_3d(a), [rand(3)])
    check_op(lambda m, a: m.atleast_2d(a), [np.array(1.0, np.float32)])


def test_take_along_dim():
    x = rand(3, 4)
    idx = np.argsort(x, axis=1)
    check_op(lambda m, t, i: m.take_along_dim(t, i, 1), [x, idx])
    check_op(lambda m, t, i: m.take_along_dim(t, i, dim=0), [x, np.array([[0], [2]])])
    check_op(lambda m, t, i: m.take_along_dim(t, i), [x, np.array([5, 0, 11])])
    check_op(lambda m, t, i: t.take_along_dim(i, 1), [rand(2, 1, 3), np.zeros((1, 4, 3), np.int64)])
    with pytest.raises(RuntimeError, match="take_along_dim"):
        tf.take_along_dim(tf.zeros(2, 2), tf.zeros(2, dtype=tf.int64), 0)


def test_moveaxis_swap_unflatten():
    check_op(lambda m, x: m.moveaxis(x, 0, -1), [rand(2, 3, 4)])
    check_op(lambda m, x: m.moveaxis(x, (0, 1), (2, 0)), [rand(2, 3, 4)])
    check_op(lambda m, x: m.swapaxes(x, 0, 2), [rand(2, 3, 4)])
    check_op(lambda m, x: m.swapdims(x, 1, 2), [rand(2, 3, 4)])
    check_op(lambda m, x: x.unflatten(1, (3, -1)), [rand(2, 12)])


def test_inplace_views():
    for lib in (tf, torch):
        x = lib.zeros(2, 1, 3)
        assert tuple(x.squeeze_().shape) == (2, 3)
        assert tuple(x.unsqueeze_(0).shape) == (1, 2, 3)
        assert tuple(x.transpose_(0, 2).shape) == (3, 2, 1)
        y = lib.zeros(2, 3)
        assert tuple(y.t_().shape) == (3, 2)
        assert tuple(lib.zeros(2, 1).squeeze_(1).shape) == (2,)
    # the gradient follows the new shape
    check_op(lambda m, x: (x * 1).t_(), [rand(2, 3)])
    check_op(lambda m, x: (x * 1).unsqueeze_(1), [rand(2, 3)])
    check_op(lambda m, x: (x * 1).transpose_(0, 1), [rand(2, 3)])
    leaf = tf.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        leaf.unsqueeze_(0)
