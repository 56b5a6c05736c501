"""Batch norm, layer norm, group norm, dropout and embedding against PyTorch, including running
statistics, the fused backward kernels, dropout statistics and reproducibility."""
import numpy as np
import pytest

import tensorforge as tf
import tensorforge.nn as nn
from helpers import check_op, rand, torch

F = nn.functional


# ---- layer norm ------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_norm(dtype):
    r = lambda *s: rand(*s).astype(dtype)  # noqa: E731
    check_op(lambda m, x, w, b: m.nn.functional.layer_norm(x, (5,), w, b), [r(3, 4, 5), r(5), r(5)])
    check_op(lambda m, x, w: m.nn.functional.layer_norm(x, [5], w), [r(3, 5), r(5)])
    check_op(lambda m, x: m.nn.functional.layer_norm(x, (4, 5)), [r(3, 4, 5)])
    check_op(lambda m, x, w, b: m.nn.functional.layer_norm(x, (4, 5), w, b, eps=1e-3), [r(2, 4, 5), r(4, 5), r(4, 5)])


@pytest.mark.parametrize("cols", [1, 7, 16, 67, 256])
def test_layer_norm_widths(cols):
    check_op(lambda m, x, w, b: m.nn.functional.layer_norm(x, (cols,), w, b),
             [rand(9, cols) * 3 + 1, rand(cols), rand(cols)], fd=False, atol=1e-4)


def test_layer_norm_modules():
    check_op(lambda m, x: m.nn.LayerNorm(5, elementwise_affine=False)(x), [rand(2, 5)])
    check_op(lambda m, x: m.nn.LayerNorm([3, 5])(x), [rand(2, 3, 5)], fd=False)
    check_op(lambda m, x: m.nn.LayerNorm(5, bias=False)(x), [rand(2, 5)], fd=False)
    ln = nn.LayerNorm(5, bias=False)
    assert ln.bias is None and [n for n, _ in ln.named_parameters()] == ["weight"]


def test_layer_norm_grad_of_params():
    ln, ref = nn.LayerNorm(6), torch.nn.LayerNorm(6) if torch is not None else None
    x = rand(4, 3, 6)
    ln(tf.tensor(x)).pow(2).sum().backward()
    if ref is not None:
        ref(torch.tensor(x)).pow(2).sum().backward()
        np.testing.assert_allclose(ln.weight.grad.numpy(), ref.weight.grad.numpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(ln.bias.grad.numpy(), ref.bias.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_layer_norm_errors():
    with pytest.raises(ValueError, match=r"\[layer_norm\] given normalized_shape=\[4\]"):
        F.layer_norm(tf.randn(3, 5), (4,))
    with pytest.raises(ValueError, match="layer_norm"):
        F.layer_norm(tf.randn(3, 5), (5,), tf.ones(4))


# ---- group norm ------------------------------------------------------------------------------
def test_group_norm():
    check_op(lambda m, x, w, b: m.nn.functional.group_norm(x, 2, w, b), [rand(2, 4, 3, 3), rand(4), rand(4)])
    check_op(lambda m, x: m.nn.functional.group_norm(x, 3), [rand(2, 6, 5)])
    check_op(lambda m, x: m.nn.GroupNorm(2, 4)(x), [rand(3, 4, 2, 2)], fd=False)
    with pytest.raises(ValueError, match="divisible"):
        nn.GroupNorm(3, 4)


# ---- batch norm ------------------------------------------------------------------------------
SHAPES = [(8, 3), (8, 3, 5), (4, 3, 5, 6), (16, 37), (5, 21, 1), (2, 3, 40)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_functional(shape, training):
    c = shape[1]
    x, w, b = rand(*shape) * 2 + 0.5, rand(c), rand(c)
    rm, rv = rand(c), np.abs(rand(c)) + 0.5
    check_op(lambda m, x_, w_, b_: m.nn.functional.batch_norm(x_, m.tensor(rm), m.tensor(rv), w_, b_,
                                                              training=training), [x, w, b], fd=False)
    check_op(lambda m, x_: m.nn.functional.batch_norm(x_, m.tensor(rm), m.tensor(rv), training=training, eps=1e-3),
             [x], fd=False)


def test_batch_norm_finite_differences():
    check_op(lambda m, x, w, b: m.nn.functional.batch_norm(x, None, None, w, b, training=True),
             [rand(4, 2, 3), rand(2), rand(2)])
    check_op(lambda m, x, w, b: m.nn.functional.batch_norm(x, None, None, w, b, training=True),
             [rand(6, 3), rand(3), rand(3)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_norm_running_stats_functional(dtype):
    x = (rand(6, 4, 3) * 3 + 2).astype(dtype)
    rm, rv = np.zeros(4, dtype), np.ones(4, dtype)
    ours = [tf.tensor(rm), tf.tensor(rv)]
    F.batch_norm(tf.tensor(x), *ours, training=True, momentum=0.3)
    mean, var = x.mean((0, 2)), x.var((0, 2), ddof=1)
    np.testing.assert_allclose(ours[0].numpy(), 0.3 * mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours[1].numpy(), 0.7 + 0.3 * var, rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(torch is None, reason="needs PyTorch")
@pytest.mark.parametrize("momentum", [0.1, None, 0.5])
@pytest.mark.parametrize("cls,shape", [("BatchNorm2d", (4, 3, 5, 5)), ("BatchNorm1d", (6, 3)),
                                       ("BatchNorm1d", (6, 3, 7))])
def test_batch_norm_module_running_stats(momentum, cls, shape):
    ours, theirs = getattr(nn, cls)(3, momentum=momentum), getattr(torch.nn, cls)(3, momentum=momentum)
    for _ in range(4):
        x = rand(*shape) * 2 + 1
        xo, xt = tf.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y1, y2 = ours(xo), theirs(xt)
        np.testing.assert_allclose(y1.detach().numpy(), y2.detach().numpy(), rtol=1e-4, atol=1e-5)
        g = rand(*shape)
        (y1 * tf.tensor(g)).sum().backward()
        (y2 * torch.tensor(g)).sum().backward()
        np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy(), rtol=1e-4, atol=1e-4)
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(getattr(ours, name).numpy(), getattr(theirs, name).numpy(), rtol=1e-5, atol=1e-6)
    assert ours.num_batches_tracked.item() == 4
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.eval()
    theirs.eval()
    x = rand(*shape)
    xo, xt = tf.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y1, y2 = ours(xo), theirs(xt)
    np.testing.assert_allclose(y1.detach().numpy(), y2.detach().numpy(), rtol=1e-4, atol=1e-5)
    y1.sum().backward()
    y2.sum().backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.running_mean.numpy(), theirs.running_mean.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(torch is None, reason="needs PyTorch")
@pytest.mark.parametrize("kw", [dict(affine=False), dict(track_running_stats=False), dict(eps=1e-3, momentum=0.2)],
                         ids=str)
def test_batch_norm_module_options(kw):
    ours, theirs = nn.BatchNorm2d(4, **kw), torch.nn.BatchNorm2d(4, **kw)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for mode in ("train", "eval"):
        getattr(ours, mode)()
        getattr(theirs, mode)()
        x = rand(3, 4, 2, 3)
        np.testing.assert_allclose(ours(tf.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                                   rtol=1e-4, atol=1e-5)


def test_batch_norm_errors():
    with pytest.raises(ValueError, match="expected 3 channels"):
        nn.BatchNorm2d(3)(tf.randn(2, 4, 3, 3))
    with pytest.raises(ValueError, match="4D"):
        nn.BatchNorm2d(3)(tf.randn(2, 3))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(tf.randn(1, 3))
    with pytest.raises(ValueError, match=r"\[batch_norm\] expected weight of shape \[3\]"):
        F.batch_norm(tf.randn(2, 3), None, None, tf.ones(4), training=True)
    with pytest.raises(ValueError, match=r"\[batch_norm\] running_mean and running_var are needed"):
        F.batch_norm(tf.randn(2, 3), None, None, training=False)
    with pytest.raises(TypeError, match=r"\[batch_norm\]"):
        F.batch_norm(tf.tensor([[1, 2], [3, 4]]), None, None, training=True)


# ---- dropout ---------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [0.1, 0.3, 0.5, 0.9])
@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_dropout_statistics(p, dtype):
    tf.manual_seed(0)
    x = tf.ones(500, 200, dtype=dtype)
    y = nn.Dropout(p)(x).numpy()
    assert abs((y == 0).mean() - p) < 0.01
    np.testing.assert_allclose(y[y != 0], 1 / (1 - p), rtol=1e-6)
    assert abs(y.mean() - 1.0) < 0.03


def test_dropout_reproducible_and_modes():
    d = nn.Dropout(0.3)
    x = tf.randn(100, 30)
    tf.manual_seed(5)
    a = d(x)
    tf.manual_seed(5)
    np.testing.assert_array_equal(a.numpy(), d(x).numpy())
    assert not np.array_equal(a.numpy(), d(x).numpy())  # the stream moves on
    d.eval()
    assert d(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    assert float(F.dropout(x, 1.0).abs().sum()) == 0
    state = tf.get_rng_state()
    assert F.dropout(x, 0.0) is x and nn.Dropout(0.0)(x) is x  # PyTorch: the input itself,
    assert np.array_equal(tf.get_rng_state().numpy(), state.numpy())  # no random numbers drawn
    assert repr(nn.Dropout(0.2)) == "Dropout(p=0.2, inplace=False)"


def test_dropout_gradient_matches_mask():
    tf.manual_seed(1)
    xg = tf.tensor(rand(40, 25), requires_grad=True)
    y = F.dropout(xg, 0.4)
    y.sum().backward()
    keep = y.detach().numpy() != 0
    np.testing.assert_allclose(xg.grad.numpy(), np.where(keep, 1 / 0.6, 0.0), rtol=1e-6)
    xz = tf.ones(10, requires_grad=True)
    F.dropout(xz, 1.0).sum().backward()
    assert float(xz.grad.abs().sum()) == 0


def test_dropout_inplace():
    tf.manual_seed(2)
    x = tf.ones(50, 20)
    y = F.dropout(x, 0.5, inplace=True)
    assert y is x and set(np.unique(x.numpy())) <= {0.0, 2.0}
    leaf = tf.ones(8, 8, requires_grad=True)
    h = leaf * 1
    out = nn.Dropout(0.5, inplace=True)(h)
    assert out is h
    out.sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), h.detach().numpy())
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(x, -0.1)


def test_dropout2d():
    tf.manual_seed(3)
    y = nn.Dropout2d(0.5)(tf.ones(64, 32, 3, 3)).numpy()
    per_channel = y.reshape(64, 32, 9)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))
    assert abs((per_channel[..., 0] == 0).mean() - 0.5) < 0.05


# ---- embedding -------------------------------------------------------------------------------
def test_embedding():
    w = rand(10, 4)
    idx = np.array([[1, 3, 3], [0, 9, 3]], np.int64)
    check_op(lambda m, w_, i: m.nn.functional.embedding(i, w_), [w, idx], fd=False)
    check_op(lambda m, w_, i: m.nn.functional.embedding(i, w_, padding_idx=3), [w, idx], fd=False)
    check_op(lambda m, w_, i: m.nn.functional.embedding(i, w_, padding_idx=-1), [w, idx], fd=False)
    check_op(lambda m, w_, i: m.nn.functional.embedding(i, w_), [rand(7, 33), np.array([6, 6, 0, 6], np.int64)],
             fd=False)
    check_op(lambda m, w_, i: m.nn.functional.embedding(i, w_), [rand(5, 3), np.array(2, np.int64)], fd=False)
    check_op(lambda m, w_, i: m.nn.functional.embedding(i, w_), [rand(5, 3).astype(np.float64),
                                                                 np.array([[4], [0]], np.int64)])


def test_embedding_accumulates_repeated_rows():
    w = tf.tensor(rand(6, 3), requires_grad=True)
    F.embedding(tf.tensor([2, 2, 2, 5, 0]), w, padding_idx=0).sum().backward()
    expected = np.zeros((6, 3), np.float32)
    expected[2], expected[5] = 3, 1
    np.testing.assert_array_equal(w.grad.numpy(), expected)


def test_embedding_module():
    tf.manual_seed(0)
    emb = nn.Embedding(1000, 8, padding_idx=0)
    assert float(emb.weight[0].abs().sum()) == 0 and emb(tf.tensor([[1, 2]])).shape == (1, 2, 8)
    wt = emb.weight.detach().numpy()[1:]
    assert abs(wt.mean()) < 0.05 and abs(wt.std() - 1) < 0.05
    pre = nn.Embedding.from_pretrained(tf.ones(4, 2))
    assert not pre.weight.requires_grad
    assert nn.Embedding.from_pretrained(tf.ones(4, 2), freeze=False).weight.requires_grad
    if torch is not None:
        assert repr(nn.Embedding(10, 3, padding_idx=2)) == repr(torch.nn.Embedding(10, 3, padding_idx=2))
        assert repr(nn.Embedding(10, 3)) == repr(torch.nn.Embedding(10, 3))
    out = emb(tf.tensor([0, 3, 3]))
    out.sum().backward()
    assert float(emb.weight.grad[0].abs().sum()) == 0 and float(emb.weight.grad[3, 0]) == 2


@pytest.mark.skipif(torch is None, reason="needs PyTorch")
def test_embedding_max_norm():
    w = rand(6, 4) * 3
    ours, theirs = tf.tensor(w), torch.tensor(w)
    idx = np.array([1, 4, 4], np.int64)
    a = F.embedding(tf.tensor(idx), ours, max_norm=1.0)
    b = torch.nn.functional.embedding(torch.tensor(idx), theirs, max_norm=1.0)
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)


def test_embedding_errors():
    with pytest.raises(IndexError, match=r"\[embedding\] index 10 is out of range for 10 rows"):
        F.embedding(tf.tensor([1, 10]), tf.randn(10, 3))
    with pytest.raises(IndexError, match=r"\[embedding\]"):
        F.embedding(tf.tensor([-1]), tf.randn(10, 3))
    with pytest.raises(RuntimeError, match="embedding"):
        F.embedding(tf.tensor([1.0]), tf.randn(10, 3))
    with pytest.raises(ValueError, match="(?i)padding_idx"):
        nn.Embedding(5, 2, padding_idx=7)
