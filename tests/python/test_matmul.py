"""matmul/mm/bmm: shapes, broadcasting, transposed operands, gradients."""
import numpy as np
import pytest

import tensorforge as tf
from helpers import assert_close, check_op, rand

SHAPES = [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
    ((2, 3), (5, 3, 4)), ((2, 1, 2, 3), (4, 3, 2)), ((1, 7), (7, 1)), ((4, 0), (0, 3)),
]


@pytest.mark.parametrize("sa,sb", SHAPES)
def test_matmul_shapes(sa, sb, isa):
    check_op(lambda m, a, b: a @ b, [rand(*sa), rand(*sb)], fd=bool(np.prod(sa) and np.prod(sb)))


@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
@pytest.mark.parametrize("mnk", [(1, 1, 1), (7, 5, 3), (33, 17, 65), (64, 128, 96), (130, 70, 257)])
def test_gemm_transposes(ta, tb, mnk, isa):
    m, n, k = mnk
    a = rand(k, m) if ta else rand(m, k)
    b = rand(n, k) if tb else rand(k, n)
    fn = lambda lib, x, y: (x.t() if ta else x) @ (y.t() if tb else y)  # noqa: E731
    check_op(fn, [a, b], rtol=1e-4, atol=1e-4, fd=False)


def test_matmul_float64_and_int():
    check_op(lambda m, a, b: a @ b, [rand(30, 40, dtype=np.float64), rand(40, 20, dtype=np.float64)],
             rtol=1e-10, atol=1e-12, fd=False)
    a = np.arange(12, dtype=np.int64).reshape(3, 4)
    check_op(lambda m, x: x @ x.t(), [a], grad=False)


def test_mm_bmm():
    check_op(lambda m, a, b: m.mm(a, b), [rand(4, 3), rand(3, 2)])
    check_op(lambda m, a, b: m.bmm(a, b), [rand(5, 4, 3), rand(5, 3, 2)])


def test_large_matmul(isa):
    a, b = rand(300, 200), rand(200, 250)
    assert_close(tf.tensor(a) @ tf.tensor(b), a.astype(np.float64) @ b.astype(np.float64), rtol=1e-4, atol=1e-4)


def test_strided_operands():
    a = rand(8, 6)
    check_op(lambda m, x: x[::2, 1:] @ x[1::2, :5].t(), [a])
