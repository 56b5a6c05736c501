"""Losses (functional and modules) against PyTorch: forward, gradients of input and
(probability / regression) targets, every reduction and option, and the bad-input errors."""
import numpy as np
import pytest

import tensorforge as tf
import tensorforge.nn as nn
from helpers import check_op, rand, torch

F = nn.functional
RNG = np.random.default_rng(1)


def labels(c, *shape, ignore=None, ignore_index=-100):
    t = RNG.integers(0, c, size=shape).astype(np.int64)
    if ignore is not None:
        t.reshape(-1)[::ignore] = ignore_index
    return t


def probs(*shape, axis=1):
    p = np.abs(rand(*shape)) + 0.05
    return (p / p.sum(axis, keepdims=True)).astype(np.float32)


# ---- cross-entropy ---------------------------------------------------------------------------
CE_CASES = [
    dict(), dict(reduction="sum"), dict(reduction="none"), dict(ignore_index=1), dict(label_smoothing=0.1),
    dict(weight=True), dict(weight=True, reduction="sum"), dict(weight=True, reduction="none"),
    dict(weight=True, ignore_index=2, label_smoothing=0.2),
    dict(weight=True, ignore_index=2, label_smoothing=0.2, reduction="sum"),
    dict(weight=True, ignore_index=2, label_smoothing=0.2, reduction="none"),
    dict(ignore_index=0, label_smoothing=0.3), dict(label_smoothing=1.0),
]


def _ce(kw, weight):
    kw = dict(kw)
    use_w = kw.pop("weight", False)
    return lambda m, x, t: m.nn.functional.cross_entropy(x, t, weight=m.tensor(weight) if use_w else None, **kw)


@pytest.mark.parametrize("kw", CE_CASES, ids=str)
def test_cross_entropy_indices(kw):
    target = np.array([0, 1, 2, 4, 1, 2], np.int64)
    check_op(_ce(kw, np.abs(rand(5)) + 0.1), [rand(6, 5) * 3, target])


@pytest.mark.parametrize("kw", CE_CASES, ids=str)
def test_cross_entropy_kdim(kw):
    check_op(_ce(kw, np.abs(rand(4)) + 0.1), [rand(2, 4, 3, 2), labels(4, 2, 3, 2)], fd=False)


@pytest.mark.parametrize("kw", [dict(), dict(weight=True, ignore_index=3, label_smoothing=0.1), dict(reduction="none")],
                         ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_wide_rows(kw, dtype):
    # many classes: vector bodies plus a ragged tail; some targets ignored
    c = 37
    t = labels(c, 20, ignore=4, ignore_index=3 if "ignore_index" in kw else -100)
    check_op(_ce(kw, (np.abs(rand(c)) + 0.1).astype(dtype)), [(rand(20, c) * 4).astype(dtype), t], fd=False)


def test_cross_entropy_unbatched_and_finite_differences():
    check_op(lambda m, x, t: m.nn.functional.cross_entropy(x, t), [rand(5), np.array(3, np.int64)])
    check_op(lambda m, x, t: m.nn.functional.cross_entropy(x, t, label_smoothing=0.2, reduction="none"),
             [rand(5), np.array(1, np.int64)])
    check_op(lambda m, x, t: m.nn.functional.cross_entropy(x, t, weight=m.tensor(np.arange(1, 5, dtype=np.float32)),
                                                           label_smoothing=0.1), [rand(3, 4), labels(4, 3)])


PROB_CASES = [dict(), dict(label_smoothing=0.1), dict(weight=True), dict(weight=True, label_smoothing=0.25),
              dict(reduction="sum"), dict(reduction="none"), dict(reduction="none", weight=True, label_smoothing=0.1)]


@pytest.mark.parametrize("kw", PROB_CASES, ids=str)
def test_cross_entropy_probabilities(kw):
    check_op(_ce(kw, np.abs(rand(3)) + 0.1), [rand(4, 3), probs(4, 3)])
    check_op(_ce(kw, np.abs(rand(3)) + 0.1), [rand(2, 3, 2, 2), probs(2, 3, 2, 2)], fd=False)
    check_op(_ce(kw, np.abs(rand(3)) + 0.1), [rand(3), probs(3, axis=0)], fd=False)


def test_cross_entropy_all_ignored_is_nan_like_pytorch():
    out = F.cross_entropy(tf.randn(3, 4), tf.tensor([-100, -100, -100]))
    assert np.isnan(out.item())
    assert F.cross_entropy(tf.randn(3, 4), tf.tensor([-100, -100, -100]), reduction="sum").item() == 0


def test_cross_entropy_extreme_logits_are_finite():
    x = tf.tensor([[1000.0, -1000.0, 0.0], [-1e4, 1e4, 3.0]], requires_grad=True)
    loss = F.cross_entropy(x, tf.tensor([0, 0]))
    loss.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(x.grad.numpy()))
    np.testing.assert_allclose(loss.item(), 1e4, rtol=1e-6)


def test_cross_entropy_module():
    check_op(lambda m, x, t: m.nn.CrossEntropyLoss(label_smoothing=0.05)(x, t), [rand(5, 4), labels(4, 5)])
    w = np.abs(rand(4)) + 0.1
    check_op(lambda m, x, t: m.nn.CrossEntropyLoss(weight=m.tensor(w), ignore_index=1, reduction="sum")(x, t),
             [rand(5, 4), labels(4, 5)])
    assert "weight" in dict(nn.CrossEntropyLoss(weight=tf.ones(3)).named_buffers())


# ---- nll -------------------------------------------------------------------------------------
NLL_CASES = [dict(), dict(reduction="sum"), dict(reduction="none"), dict(ignore_index=0), dict(weight=True),
             dict(weight=True, ignore_index=2, reduction="none"), dict(weight=True, ignore_index=2)]


@pytest.mark.parametrize("kw", NLL_CASES, ids=str)
def test_nll_loss(kw):
    kw = dict(kw)
    w = np.abs(rand(3)) + 0.1
    use_w = kw.pop("weight", False)
    fn = lambda m, x, t: m.nn.functional.nll_loss(m.log_softmax(x, 1), t,  # noqa: E731
                                                  weight=m.tensor(w) if use_w else None, **kw)
    check_op(fn, [rand(4, 3), np.array([0, 1, 2, 0], np.int64)])
    check_op(fn, [rand(2, 3, 4), labels(3, 2, 4)], fd=False)
    check_op(lambda m, x, t: m.nn.NLLLoss(**kw)(x, t), [rand(4, 3), np.array([0, 1, 2, 2], np.int64)], fd=False)


# ---- elementwise losses ----------------------------------------------------------------------
REGRESSION = [
    ("mse_loss", {}), ("mse_loss", {"reduction": "sum"}), ("mse_loss", {"reduction": "none"}),
    ("l1_loss", {}), ("l1_loss", {"reduction": "none"}), ("l1_loss", {"reduction": "sum"}),
    ("smooth_l1_loss", {}), ("smooth_l1_loss", {"beta": 0.5}), ("smooth_l1_loss", {"beta": 0.0}),
    ("smooth_l1_loss", {"beta": 0.3, "reduction": "none"}),
    ("huber_loss", {}), ("huber_loss", {"delta": 0.3}), ("huber_loss", {"delta": 0.3, "reduction": "sum"}),
]


@pytest.mark.parametrize("name,kw", REGRESSION, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_regression_losses(name, kw, dtype):
    check_op(lambda m, x, y: getattr(m.nn.functional, name)(x, y, **kw), [rand(4, 3).astype(dtype),
                                                                           rand(4, 3).astype(dtype)])


def test_regression_loss_broadcast_target():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_op(lambda m, x, y: m.nn.functional.mse_loss(x, y), [rand(4, 3), rand(3)])
        check_op(lambda m, x, y: m.nn.functional.l1_loss(x, y, reduction="none"), [rand(4, 1), rand(3)])


def test_legacy_reduction_flags():
    check_op(lambda m, x, y: m.nn.functional.mse_loss(x, y, size_average=False), [rand(3, 2), rand(3, 2)])
    check_op(lambda m, x, y: m.nn.functional.mse_loss(x, y, reduce=False), [rand(3, 2), rand(3, 2)])


BINARY = [dict(), dict(reduction="sum"), dict(reduction="none"), dict(weight=True), dict(weight=True, reduction="none")]


@pytest.mark.parametrize("kw", BINARY, ids=str)
def test_binary_cross_entropy(kw):
    kw = dict(kw)
    w = np.abs(rand(3)) + 0.1
    use_w = kw.pop("weight", False)
    p = np.clip(np.abs(rand(4, 3)), 0.05, 0.95).astype(np.float32)
    t = (rand(4, 3) > 0).astype(np.float32)
    soft = np.abs(rand(4, 3)).astype(np.float32)
    fn = lambda m, x, y: m.nn.functional.binary_cross_entropy(x, y, m.tensor(w) if use_w else None, **kw)  # noqa
    check_op(fn, [p, t])
    check_op(fn, [p, soft])  # soft targets also get a gradient


def test_binary_cross_entropy_clamps_log():
    x = tf.tensor([0.0, 1.0, 0.5], requires_grad=True)
    loss = F.binary_cross_entropy(x, tf.tensor([1.0, 0.0, 1.0]), reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), [100.0, 100.0, np.log(2)], rtol=1e-6)
    if torch is not None:
        loss.sum().backward()
        xt = torch.tensor([0.0, 1.0, 0.5], requires_grad=True)
        torch.nn.functional.binary_cross_entropy(xt, torch.tensor([1.0, 0.0, 1.0]), reduction="sum").backward()
        np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-5)


@pytest.mark.parametrize("kw", BINARY + [dict(pos_weight=True), dict(pos_weight=True, weight=True, reduction="sum")],
                         ids=str)
def test_binary_cross_entropy_with_logits(kw):
    kw = dict(kw)
    w, pw = np.abs(rand(3)) + 0.1, np.abs(rand(3)) + 0.5
    use_w, use_pw = kw.pop("weight", False), kw.pop("pos_weight", False)
    t = (rand(4, 3) > 0).astype(np.float32)

    def fn(m, x, y):
        return m.nn.functional.binary_cross_entropy_with_logits(
            x, y, m.tensor(w) if use_w else None, pos_weight=m.tensor(pw) if use_pw else None, **kw)
    check_op(fn, [rand(4, 3) * 5, t])
    check_op(fn, [rand(4, 3), np.abs(rand(4, 3))])


def test_binary_cross_entropy_with_logits_is_stable():
    x = tf.tensor([200.0, -200.0, 0.0], requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, tf.tensor([0.0, 1.0, 1.0]), reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), [200.0, 200.0, np.log(2)], rtol=1e-6)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, -1.0, -0.5], rtol=1e-6)


@pytest.mark.parametrize("red", ["batchmean", "sum", "none", "mean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(red, log_target):
    import warnings
    q = probs(4, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_op(lambda m, x, y: m.nn.functional.kl_div(m.log_softmax(x, 1), y.log() if log_target else y,
                                                        reduction=red, log_target=log_target), [rand(4, 3), q])
        check_op(lambda m, x, y: m.nn.KLDivLoss(reduction=red, log_target=log_target)(x, y),
                 [rand(2, 3), np.log(probs(2, 3)) if log_target else probs(2, 3)], fd=False)


def test_kl_div_zero_target():
    check_op(lambda m, x, y: m.nn.functional.kl_div(x, y, reduction="sum"),
             [rand(2, 3), np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]], np.float32)], grad=False)


@pytest.mark.parametrize("name", ["MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "BCEWithLogitsLoss", "BCELoss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_modules(name, reduction):
    x = rand(3, 4) if name != "BCELoss" else np.clip(np.abs(rand(3, 4)), 0.05, 0.95).astype(np.float32)
    check_op(lambda m, a, b: getattr(m.nn, name)(reduction=reduction)(a, b),
             [x, (rand(3, 4) > 0).astype(np.float32)], fd=False)


@pytest.mark.skipif(torch is None, reason="needs PyTorch")
def test_loss_module_reprs_and_buffers():
    for name, kw in [("CrossEntropyLoss", {}), ("NLLLoss", {}), ("MSELoss", {"reduction": "sum"}), ("KLDivLoss", {}),
                     ("SmoothL1Loss", {"beta": 0.5}), ("HuberLoss", {"delta": 2.0}), ("BCELoss", {}),
                     ("BCEWithLogitsLoss", {}), ("L1Loss", {})]:
        ours, theirs = getattr(nn, name)(**kw), getattr(torch.nn, name)(**kw)
        assert repr(ours) == repr(theirs)
        assert ours.reduction == theirs.reduction
    pw = nn.BCEWithLogitsLoss(pos_weight=tf.ones(3))
    assert sorted(dict(pw.named_buffers())) == ["pos_weight"]


# ---- errors ----------------------------------------------------------------------------------
def test_loss_errors():
    with pytest.raises(IndexError, match=r"\[cross_entropy\] target 12 is out of bounds for 10 classes"):
        nn.CrossEntropyLoss()(tf.randn(2, 10), tf.tensor([1, 12]))
    with pytest.raises(IndexError, match=r"\[cross_entropy\] target -3 is out of bounds for 10 classes"):
        nn.CrossEntropyLoss()(tf.randn(2, 10), tf.tensor([1, -3]))
    with pytest.raises(IndexError, match=r"\[nll_loss\] target 3 is out of bounds for 3 classes"):
        F.nll_loss(tf.randn(2, 3), tf.tensor([3, 0]))
    with pytest.raises(ValueError, match=r"\[cross_entropy\] expected target of shape \[2\]"):
        nn.CrossEntropyLoss()(tf.randn(2, 10), tf.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match=r"\[cross_entropy\]"):
        F.cross_entropy(tf.randn(2, 3), tf.rand(2, 4))  # probabilities of the wrong shape
    with pytest.raises(TypeError, match=r"\[cross_entropy\].*bool"):
        F.cross_entropy(tf.randn(2, 3), tf.tensor([True, False]))
    with pytest.raises(TypeError, match=r"\[nll_loss\].*target"):
        nn.NLLLoss()(tf.randn(2, 3), tf.tensor([0.5, 1.0]))
    with pytest.raises(ValueError, match=r"\[cross_entropy\] weight should be a 1-D tensor of size 3"):
        F.cross_entropy(tf.randn(2, 3), tf.tensor([0, 1]), weight=tf.ones(4))
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(tf.randn(2, 3), tf.tensor([0, 1]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="mse_loss"):
        nn.MSELoss()(tf.randn(2, 3), tf.randn(3, 2))
    with pytest.raises(ValueError, match=r"\[binary_cross_entropy\] target size"):
        F.binary_cross_entropy(tf.rand(2, 3), tf.rand(3))
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(tf.tensor([1.5]), tf.tensor([1.0]))
    with pytest.raises(ValueError, match=r"\[binary_cross_entropy_with_logits\]"):
        F.binary_cross_entropy_with_logits(tf.rand(2, 3), tf.rand(2, 1))
    with pytest.raises(ValueError, match="reduction"):
        F.l1_loss(tf.randn(2), tf.randn(2), reduction="avg")
    with pytest.raises(ValueError):
        nn.MSELoss(reduction="avg")
