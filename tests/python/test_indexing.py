"""gather / index_select / scatter_add / advanced and boolean indexing, with gradients."""
import numpy as np
import pytest

import tensorforge as tf
from helpers import check_op, rand, torch


def idx(*vals):
    return np.array(vals, np.int64)


def test_index_select():
    for dim in (0, 1, -1):
        check_op(lambda m, x, i: m.index_select(x, dim, i), [rand(4, 5), idx(0, 3, 3, 1)])


def test_gather_scatter_add():
    x = rand(3, 4)
    i = np.array([[0, 1, 1], [3, 2, 0], [1, 1, 1]], np.int64)
    check_op(lambda m, t, j: m.gather(t, 1, j), [x, i])
    i0 = np.array([[0, 1, 2, 0], [2, 2, 1, 0]], np.int64)
    check_op(lambda m, t, j: m.gather(t, 0, j), [x, i0])
    check_op(lambda m, t, s, j: m.scatter_add(t, 1, j, s), [x, rand(3, 3), i])


@pytest.mark.parametrize("key", [
    lambda m: m.tensor([0, 2, 2]), lambda m: (m.tensor([0, 1]), m.tensor([3, 2])),
    lambda m: (slice(None), m.tensor([[0, 1], [2, 3]])), lambda m: (m.tensor([1, 0]), slice(None), m.tensor([0, 4])),
    lambda m: (Ellipsis, m.tensor([-1, 0])), lambda m: (1, m.tensor([0, 2])), lambda m: [0, 2],
    lambda m: (m.tensor([0, 2]), 1),
])
def test_advanced_indexing(key):
    check_op(lambda m, x: x[key(m)], [rand(3, 4, 5)])


def test_boolean_mask_indexing():
    x = rand(4, 5)
    mask = x > 0
    check_op(lambda m, t: t[m.tensor(mask)], [x])
    check_op(lambda m, t: t[m.tensor(mask[:, 0])], [x])
    check_op(lambda m, t: t[:, m.tensor(mask[0])], [x])
    check_op(lambda m, t: m.masked_select(t, m.tensor(mask[0])), [x])


def test_setitem_advanced_and_mask():
    x = rand(4, 5)
    for lib_key, val in [((lambda m: m.tensor(x > 0)), 0.0), ((lambda m: (m.tensor([0, 2]), m.tensor([1, 3]))), -1.0),
                         ((lambda m: (slice(None), m.tensor([0, 4]))), 9.0)]:
        a = tf.tensor(x)
        a[lib_key(tf)] = val
        if torch is None:
            continue
        b = torch.tensor(x)
        b[lib_key(torch)] = val
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_setitem_grad():
    def fn(m, x, v):
        y = x * 1.0
        y[1:3, 0] = v
        return y * 2

    check_op(fn, [rand(4, 3), rand(2)])


def test_nonzero_and_where_single():
    x = np.array([[0, 1.5], [2, 0]], np.float32)
    check_op(lambda m, t: (m.nonzero(t), m.where(t > 0)), [x], grad=False)


def test_index_put_accumulate_duplicates():
    x = tf.zeros(5)
    i = tf.tensor([0, 0, 3])
    tf.autograd.ops._C.index_put_(x._c, [i._c], tf.ones(3)._c, True)
    np.testing.assert_array_equal(x.numpy(), [2, 0, 0, 1, 0])
