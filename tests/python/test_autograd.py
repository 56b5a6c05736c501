"""Autograd semantics: accumulation, retain_graph, grad modes, hooks, autograd.grad, Function."""
import numpy as np
import pytest

import tensorforge as tf
from helpers import check_op, rand


def test_accumulates_into_grad():
    x = tf.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2 + 3, 4 + 3])


def test_shared_subexpression():
    check_op(lambda m, x: (lambda y: y * y + y.exp())(x.sin()), [rand(3)])


def test_retain_graph_and_freed_graph():
    x = tf.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.exp([1.0, 2.0]), rtol=1e-6)
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_non_scalar_backward_needs_gradient():
    x = tf.ones(3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="scalar"):
        y.backward()
    y.backward(tf.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2, 4, 6])


def test_inplace_modification_of_saved_tensor_raises():
    x = tf.ones(3, requires_grad=True)
    y = x * 1
    z = y.log()  # saves its input y
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()
    w = (x * 1).exp()  # saves its output w
    w.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        w.sum().backward()


def test_leaf_inplace_raises():
    x = tf.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        x.add_(1)
    with tf.no_grad():
        x.add_(1)
    assert float(x.sum()) == 6


def test_no_grad_and_enable_grad():
    x = tf.ones(2, requires_grad=True)
    with tf.no_grad():
        y = x * 2
        with tf.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad

    @tf.no_grad()
    def f(t):
        return t * 3

    assert not f(x).requires_grad
    assert tf.is_grad_enabled()


def test_detach_and_requires_grad():
    x = tf.ones(2, requires_grad=True)
    d = (x * 2).detach()
    assert not d.requires_grad and d.is_leaf
    with pytest.raises(RuntimeError):
        tf.ones(2, dtype=tf.int64).requires_grad_()
    assert x.is_leaf and not (x * 2).is_leaf


def test_autograd_grad_and_create_graph():
    x = tf.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = (x ** 3).sum()
    (g,) = tf.autograd.grad(y, x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 3 * x.detach().numpy() ** 2, rtol=1e-6)
    (g2,) = tf.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(g2.numpy(), 6 * x.detach().numpy(), rtol=1e-6)
    assert x.grad is None


def test_autograd_grad_unused_and_nonleaf():
    x = tf.ones(2, requires_grad=True)
    z = tf.ones(2, requires_grad=True)
    h = x * 3
    y = (h * h).sum()
    gh, gz = tf.autograd.grad(y, [h, z], allow_unused=True, retain_graph=True)
    np.testing.assert_allclose(gh.numpy(), [6, 6])
    assert gz is None
    with pytest.raises(RuntimeError, match="not have been used"):
        tf.autograd.grad(y, [z])


def test_hooks():
    x = tf.ones(3, requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.numpy().copy()))
    y = x * 2
    y.register_hook(lambda g: g * 10)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [20, 20, 20])
    np.testing.assert_allclose(seen[0], [20, 20, 20])


def test_retain_grad():
    x = tf.ones(2, requires_grad=True)
    y = x * 3
    y.retain_grad()
    (y * y).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [6, 6])


def test_custom_function():
    class Cube(tf.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x * x

    x = tf.tensor([1.0, 2.0], requires_grad=True)
    Cube.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3, 12])


def test_chain_of_many_ops_matches_torch():
    check_op(lambda m, a, b: ((a * b).tanh() + a.sigmoid() * 2 - b.exp() / 3).relu().sum(0).log1p(), [rand(4, 5), rand(5)])


def test_grad_of_broadcast_scalar_and_int_operand():
    check_op(lambda m, a: (a * 2 + 1) / 3 - a ** 2, [rand(3, 2)])


def test_autograd_grad_fires_hooks_only_of_requested_leaves():
    a, b = tf.ones(3, requires_grad=True), tf.ones(3, requires_grad=True)
    seen = []
    a.register_hook(lambda g: seen.append("a"))
    b.register_hook(lambda g: seen.append("b"))
    (ga,) = tf.autograd.grad((a * b).sum(), [a])
    assert seen == ["a"] and a.grad is None and b.grad is None
    assert ga.tolist() == [1.0, 1.0, 1.0]
