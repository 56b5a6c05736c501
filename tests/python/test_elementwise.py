"""Elementwise ops: forward and backward against numpy, finite differences and PyTorch."""
import numpy as np
import pytest

import tensorforge as tf
from helpers import assert_close, check_op, positive, rand, torch

UNARY = [
    ("neg", lambda m, x: m.neg(x), rand),
    ("abs", lambda m, x: m.abs(x), rand),
    ("exp", lambda m, x: m.exp(x), rand),
    ("log", lambda m, x: m.log(x), positive),
    ("sqrt", lambda m, x: m.sqrt(x), positive),
    ("rsqrt", lambda m, x: m.rsqrt(x), positive),
    ("sin", lambda m, x: m.sin(x), rand),
    ("cos", lambda m, x: m.cos(x), rand),
    ("tan", lambda m, x: m.tan(x), rand),
    ("tanh", lambda m, x: m.tanh(x), rand),
    ("sigmoid", lambda m, x: m.sigmoid(x), rand),
    ("relu", lambda m, x: m.relu(x), rand),
    ("reciprocal", lambda m, x: m.reciprocal(x), positive),
    ("square", lambda m, x: m.square(x), rand),
    ("log1p", lambda m, x: m.log1p(x), positive),
    ("expm1", lambda m, x: m.expm1(x), rand),
    ("log2", lambda m, x: m.log2(x), positive),
    ("log10", lambda m, x: m.log10(x), positive),
    ("erf", lambda m, x: m.erf(x), rand),
    ("asin", lambda m, x: m.asin(x * 0.9), rand),
    ("acos", lambda m, x: m.acos(x * 0.9), rand),
    ("atan", lambda m, x: m.atan(x), rand),
    ("clamp", lambda m, x: m.clamp(x, -0.5, 0.5), rand),
    ("clamp_min", lambda m, x: m.clamp(x, min=-0.2), rand),
    ("clamp_max", lambda m, x: x.clamp(max=0.3), rand),
    ("pow_scalar", lambda m, x: x ** 3, rand),
    ("pow_frac", lambda m, x: x ** 0.5, positive),
    ("rpow", lambda m, x: 2.0 ** x, rand),
    ("sign", lambda m, x: m.sign(x), rand),
    ("floor", lambda m, x: m.floor(x * 3), rand),
    ("round", lambda m, x: m.round(x * 3), rand),
    ("trunc", lambda m, x: m.trunc(x * 3), rand),
    ("ceil", lambda m, x: m.ceil(x * 3), rand),
]


@pytest.mark.parametrize("name,fn,gen", UNARY, ids=[u[0] for u in UNARY])
def test_unary(name, fn, gen, isa):
    check_op(fn, [gen(3, 5)])


@pytest.mark.parametrize("name,fn,gen", UNARY, ids=[u[0] for u in UNARY])
def test_unary_float64_large(name, fn, gen):
    check_op(fn, [gen(1000, 3, dtype=np.float64)], grad=False, rtol=1e-10, atol=1e-12)


BINARY = [
    ("add", lambda m, a, b: a + b),
    ("add_alpha", lambda m, a, b: m.add(a, b, alpha=0.5)),
    ("sub", lambda m, a, b: a - b),
    ("mul", lambda m, a, b: a * b),
    ("div", lambda m, a, b: a / b),
    ("maximum", lambda m, a, b: m.maximum(a, b)),
    ("minimum", lambda m, a, b: m.minimum(a, b)),
    ("atan2", lambda m, a, b: m.atan2(a, b)),
    ("pow", lambda m, a, b: m.pow(m.abs(a) + 0.5, b)),
    ("rsub", lambda m, a, b: 1.0 - a * b),
    ("rdiv", lambda m, a, b: 2.0 / (m.abs(b) + 0.5) + a),
]


@pytest.mark.parametrize("name,fn", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("shapes", [((4, 3), (4, 3)), ((4, 3), (3,)), ((2, 1, 3), (4, 1)), ((), (2, 3))])
def test_binary_broadcast(name, fn, shapes, isa):
    a, b = rand(*shapes[0]), rand(*shapes[1])
    if name in ("div", "atan2"):
        b = np.sign(b) * (np.abs(b) + 0.5)
    check_op(fn, [a, b])


def test_binary_strided_inputs(isa):
    a = rand(6, 8)
    check_op(lambda m, x: x.t() * 2 + x[::2].sum(0)[:, None], [a])


def test_large_contiguous_matches_numpy(isa):
    a, b = rand(70001), rand(70001)
    out = tf.tensor(a) * tf.tensor(b) + tf.exp(tf.tensor(a))
    assert_close(out, a * b + np.exp(a))


@pytest.mark.parametrize("op", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparisons(op):
    a = np.array([1.0, 2.0, np.nan, 3.0], np.float32)
    b = np.array([1.0, 3.0, np.nan, 2.0], np.float32)
    check_op(lambda m, x, y: getattr(m, op)(x, y), [a, b], grad=False)


def test_logical_and_bool_ops():
    a = np.array([True, False, True])
    b = np.array([True, True, False])
    check_op(lambda m, x, y: (m.logical_and(x, y), m.logical_or(x, y), m.logical_xor(x, y), ~x, x & y, x | y),
             [a, b], grad=False)


@pytest.mark.parametrize("expr", [
    lambda m, a: a + 1, lambda m, a: a * 2.5, lambda m, a: a / 2, lambda m, a: a + True,
    lambda m, a: a // 2, lambda m, a: a % 3, lambda m, a: -a, lambda m, a: a > 1,
])
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.float64, np.float32, np.bool_])
def test_type_promotion_with_scalars(expr, dtype):
    a = (np.arange(6).reshape(2, 3) - 2).astype(dtype)
    if torch is None:
        pytest.skip("needs PyTorch for the reference dtype")
    try:
        expected = expr(torch, torch.tensor(a))
    except (RuntimeError, TypeError):
        with pytest.raises((RuntimeError, TypeError)):
            expr(tf, tf.tensor(a))
        return
    assert_close(expr(tf, tf.tensor(a)), expected)
    assert str(expr(tf, tf.tensor(a)).dtype).split(".")[-1] == str(expected.dtype).split(".")[-1]


@pytest.mark.parametrize("da,db", [(np.int32, np.int64), (np.int64, np.float32), (np.float32, np.float64),
                                   (np.bool_, np.int32), (np.bool_, np.float32)])
def test_type_promotion_tensors(da, db):
    if torch is None:
        pytest.skip("needs PyTorch for the reference dtype")
    a, b = np.ones((2, 2), da), np.ones((2,), db)
    out = tf.tensor(a) + tf.tensor(b)
    assert out.dtype.name == str((torch.tensor(a) + torch.tensor(b)).dtype).split(".")[-1]


def test_where_and_masked_fill(isa):
    c = rand(3, 4) > 0
    check_op(lambda m, x, y: m.where(m.tensor(c), x, y), [rand(3, 4), rand(4)])
    check_op(lambda m, x: x.masked_fill(m.tensor(c), -1.0), [rand(3, 4)])


def test_special_values():
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e30, -1e30, 1e-30], np.float32)
    for name in ["exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "sin", "erf", "expm1", "log1p"]:
        with np.errstate(all="ignore"):
            if torch is not None:
                expected = getattr(torch, name)(torch.tensor(x)).numpy()
                assert_close(getattr(tf, name)(tf.tensor(x)), expected, what=name)


def test_inplace_ops():
    a = rand(3, 4)
    t = tf.tensor(a)
    t.add_(1.0).mul_(2.0).clamp_(max=2.5)
    t.sub_(tf.ones(4))
    np.testing.assert_allclose(t.numpy(), np.minimum((a + 1) * 2, 2.5) - 1, rtol=1e-6)
    t.zero_()
    assert float(t.abs().sum()) == 0
    t.fill_(3)
    assert float(t.sum()) == 36
    t.copy_(tf.tensor(a[0]))
    np.testing.assert_allclose(t.numpy(), np.broadcast_to(a[0], (3, 4)))
    t += 1
    t *= 2
    np.testing.assert_allclose(t.numpy(), (np.broadcast_to(a[0], (3, 4)) + 1) * 2, rtol=1e-6)


def test_inplace_on_nonleaf_backward():
    check_op(lambda m, x: (x * 2).add_(x).mul_(3.0).relu_(), [rand(4, 3)])


def test_integer_math():
    a = np.array([-7, -3, 0, 5, 9], np.int64)
    b = np.array([2, 3, 4, -2, 5], np.int64)
    check_op(lambda m, x, y: (x + y, x - y, x * y, x // y, x % y, m.maximum(x, y), x / y, m.abs(x)),
             [a, b], grad=False)
