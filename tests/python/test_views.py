"""Views share storage; their gradients flow back to the base; slicing matches numpy."""
import numpy as np
import pytest

import tensorforge as tf
from helpers import check_op, rand


@pytest.mark.parametrize("fn", [
    lambda m, x: x.view(6, 4), lambda m, x: x.view(-1), lambda m, x: x.reshape(4, -1),
    lambda m, x: x.permute(2, 0, 1), lambda m, x: x.transpose(0, 2), lambda m, x: x.unsqueeze(1),
    lambda m, x: x.unsqueeze(-1).squeeze(), lambda m, x: x.flatten(1), lambda m, x: x.flatten(),
    lambda m, x: x[:, None].expand(2, 5, 3, 4), lambda m, x: x.narrow(2, 1, 2), lambda m, x: x.select(1, 2),
    lambda m, x: x.T, lambda m, x: x.mT, lambda m, x: x.transpose(1, 2).contiguous().view(2, -1),
    lambda m, x: x.transpose(0, 1).reshape(3, 8), lambda m, x: x.squeeze(0), lambda m, x: x.unflatten(2, (2, 2)),
    lambda m, x: x.movedim(0, -1), lambda m, x: x.expand_as(m.ones(5, 2, 3, 4)),
])
def test_view_ops(fn):
    check_op(fn, [rand(2, 3, 4)])


@pytest.mark.parametrize("key", [
    (0,), (slice(None), 1), (Ellipsis, 2), (slice(1, None), slice(None, None, 2)), (None, 0, Ellipsis, None),
    (-1, slice(-2, None)), (slice(None), slice(None), slice(3, 1)), (1, 2, 3), (slice(None, None, 3),),
])
def test_basic_indexing(key):
    check_op(lambda m, x: x[key], [rand(3, 4, 5)])


@pytest.mark.parametrize("fn", [
    lambda m, x: x.split(2, 1), lambda m, x: x.split([1, 3], 1), lambda m, x: x.chunk(3, 0),
    lambda m, x: x.unbind(1), lambda m, x: m.cat([x, x * 2], 1), lambda m, x: m.stack([x, x + 1], 0),
    lambda m, x: m.stack([x, x], -1), lambda m, x: m.cat([x[:1], x[1:]], 0),
])
def test_split_join(fn):
    check_op(fn, [rand(3, 4)])


def test_views_share_storage():
    x = tf.zeros(3, 4)
    x[1].fill_(2.0)
    x[:, 2] = 5.0
    v = x.view(12)
    v[0] = 7.0
    expected = np.zeros((3, 4), np.float32)
    expected[1] = 2
    expected[:, 2] = 5
    expected[0, 0] = 7
    np.testing.assert_array_equal(x.numpy(), expected)


def test_view_incompatible_raises_reshape_copies():
    x = tf.tensor(rand(3, 4)).t()
    with pytest.raises(RuntimeError, match=r"\[view\]"):
        x.view(12)
    assert x.reshape(12).shape == (12,)


def test_cat_promotes_dtypes():
    out = tf.cat([tf.ones(2, dtype=tf.int64), tf.ones(2, dtype=tf.float32)])
    assert out.dtype is tf.float32
