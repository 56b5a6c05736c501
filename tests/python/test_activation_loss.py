"""Activations, dropout, embedding and losses against PyTorch."""
import numpy as np
import pytest

import tensorforge as tf
import tensorforge.nn as nn
from helpers import check_op, rand, torch

ACTS = [
    lambda m, x: m.nn.functional.relu(x), lambda m, x: m.nn.functional.relu6(x * 8),
    lambda m, x: m.nn.functional.leaky_relu(x, 0.2), lambda m, x: m.nn.functional.elu(x, 0.7),
    lambda m, x: m.nn.functional.gelu(x), lambda m, x: m.nn.functional.gelu(x, approximate="tanh"),
    lambda m, x: m.nn.functional.silu(x), lambda m, x: m.nn.functional.softplus(x * 30, beta=0.5, threshold=5),
    lambda m, x: m.nn.functional.mish(x), lambda m, x: m.nn.functional.softsign(x),
    lambda m, x: m.nn.functional.logsigmoid(x), lambda m, x: m.nn.functional.hardtanh(x * 2),
    lambda m, x: m.nn.functional.softmax(x, dim=1), lambda m, x: m.nn.functional.log_softmax(x, dim=0),
    lambda m, x: m.nn.functional.softmin(x, dim=1),
]


@pytest.mark.parametrize("k", range(len(ACTS)))
def test_activation_functions(k):
    check_op(ACTS[k], [rand(4, 5) * 3])


@pytest.mark.parametrize("name", ["ReLU", "LeakyReLU", "ELU", "GELU", "SiLU", "Sigmoid", "Tanh", "Softplus", "Mish",
                                  "Hardtanh", "ReLU6", "Softsign", "LogSigmoid"])
def test_activation_modules(name):
    check_op(lambda m, x: getattr(m.nn, name)()(x), [rand(3, 4) * 3], fd=False)


def test_inplace_activation_module():
    check_op(lambda m, x: m.nn.ReLU(inplace=True)(x * 1), [rand(3, 4)])


def test_dropout():
    tf.manual_seed(0)
    x = tf.ones(1000, 100)
    d = nn.Dropout(0.3)
    y = d(x)
    zeros = float((y == 0).float().mean())
    assert abs(zeros - 0.3) < 0.01 and np.allclose(y.numpy()[y.numpy() != 0], 1 / 0.7)
    tf.manual_seed(5)
    a = d(x)
    tf.manual_seed(5)
    np.testing.assert_array_equal(a.numpy(), d(x).numpy())
    d.eval()
    assert d(x) is x
    assert float(nn.functional.dropout(x, 1.0).abs().sum()) == 0
    xg = tf.ones(10, requires_grad=True)
    nn.functional.dropout(xg, 0.5).sum().backward()
    assert set(np.unique(xg.grad.numpy())) <= {0.0, 2.0}


def test_embedding():
    w = rand(10, 4)
    idx = np.array([[1, 3, 3], [0, 9, 2]], np.int64)
    check_op(lambda m, w_, i: m.nn.functional.embedding(i, w_), [w, idx], fd=False)
    check_op(lambda m, w_, i: m.nn.functional.embedding(i, w_, padding_idx=3), [w, idx], fd=False)
    emb = nn.Embedding(10, 3, padding_idx=0)
    assert float(emb.weight[0].abs().sum()) == 0 and emb(tf.tensor([[1, 2]])).shape == (1, 2, 3)
    pre = nn.Embedding.from_pretrained(tf.ones(4, 2))
    assert not pre.weight.requires_grad


CE_CASES = [
    dict(), dict(reduction="sum"), dict(reduction="none"), dict(ignore_index=1), dict(label_smoothing=0.1),
    dict(weight=True), dict(weight=True, ignore_index=2, label_smoothing=0.2), dict(weight=True, reduction="none"),
]


@pytest.mark.parametrize("kw", CE_CASES, ids=[str(k) for k in CE_CASES])
def test_cross_entropy_indices(kw):
    logits, target, weight = rand(6, 5) * 3, np.array([0, 1, 2, 4, 1, 2], np.int64), np.abs(rand(5)) + 0.1
    kw = dict(kw)
    if kw.pop("weight", False):
        check_op(lambda m, x, t: m.nn.functional.cross_entropy(x, t, weight=m.tensor(weight), **kw), [logits, target])
    else:
        check_op(lambda m, x, t: m.nn.functional.cross_entropy(x, t, **kw), [logits, target])


def test_cross_entropy_probabilities_and_kdim():
    probs = np.abs(rand(4, 3))
    probs /= probs.sum(1, keepdims=True)
    check_op(lambda m, x, p: m.nn.functional.cross_entropy(x, p, label_smoothing=0.1), [rand(4, 3), probs], grad=True)
    check_op(lambda m, x, t: m.nn.functional.cross_entropy(x, t), [rand(2, 4, 3, 2), np.array([[[0, 1], [3, 2], [1, 1]], [[2, 2], [0, 3], [1, 0]]], np.int64)])
    check_op(lambda m, x, t: m.nn.functional.cross_entropy(x, t), [rand(5), np.array(3, np.int64)])
    check_op(lambda m, x, t: m.nn.functional.nll_loss(m.log_softmax(x, 1), t, ignore_index=0), [rand(4, 3), np.array([0, 1, 2, 0], np.int64)])


LOSSES = [
    ("mse_loss", {}), ("mse_loss", {"reduction": "sum"}), ("l1_loss", {}), ("l1_loss", {"reduction": "none"}),
    ("smooth_l1_loss", {"beta": 0.5}), ("huber_loss", {"delta": 0.3}),
]


@pytest.mark.parametrize("name,kw", LOSSES)
def test_regression_losses(name, kw):
    check_op(lambda m, x, y: getattr(m.nn.functional, name)(x, y, **kw), [rand(4, 3), rand(4, 3)])


def test_binary_and_kl_losses():
    p = np.clip(np.abs(rand(4, 3)), 0.05, 0.95).astype(np.float32)
    t = (rand(4, 3) > 0).astype(np.float32)
    check_op(lambda m, x, y: m.nn.functional.binary_cross_entropy(x, y), [p, t])
    w = np.abs(rand(3))
    check_op(lambda m, x, y: m.nn.functional.binary_cross_entropy(x, y, weight=m.tensor(w)), [p, t])
    check_op(lambda m, x, y: m.nn.functional.binary_cross_entropy_with_logits(x * 10, y), [rand(4, 3), t])
    pw = np.abs(rand(3)) + 0.5
    check_op(lambda m, x, y: m.nn.functional.binary_cross_entropy_with_logits(x, y, pos_weight=m.tensor(pw)),
             [rand(4, 3), t])
    q = np.abs(rand(4, 3)) + 0.1
    q /= q.sum(1, keepdims=True)
    for red in ("batchmean", "sum", "none", "mean"):
        check_op(lambda m, x, y: m.nn.functional.kl_div(m.log_softmax(x, 1), y, reduction=red), [rand(4, 3), q])
    check_op(lambda m, x, y: m.nn.functional.kl_div(m.log_softmax(x, 1), y.log(), reduction="batchmean", log_target=True), [rand(4, 3), q])


@pytest.mark.parametrize("name", ["MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "BCEWithLogitsLoss"])
def test_loss_modules(name):
    check_op(lambda m, x, y: getattr(m.nn, name)()(x, y), [rand(3, 4), (rand(3, 4) > 0).astype(np.float32)])


def test_loss_module_cross_entropy():
    check_op(lambda m, x, t: m.nn.CrossEntropyLoss(label_smoothing=0.05)(x, t), [rand(5, 4), np.array([0, 3, 1, 1, 2], np.int64)])


def test_loss_errors():
    with pytest.raises(IndexError, match=r"\[nll_loss\] target 12 is out of bounds for 10 classes"):
        nn.CrossEntropyLoss()(tf.randn(2, 10), tf.tensor([1, 12]))
    with pytest.raises(ValueError, match="cross_entropy|nll_loss"):
        nn.CrossEntropyLoss()(tf.randn(2, 10), tf.tensor([1, 2, 3]))
    with pytest.raises(RuntimeError, match="target"):
        nn.NLLLoss()(tf.randn(2, 3), tf.tensor([0.5, 1.0]))
    with pytest.raises(ValueError, match="mse_loss"):
        nn.MSELoss()(tf.randn(2, 3), tf.randn(3, 2))
    with pytest.raises(ValueError):
        nn.MSELoss(reduction="avg")
