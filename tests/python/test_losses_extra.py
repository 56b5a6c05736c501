"""The margin, embedding, ranking, Poisson / Gaussian NLL and multi-label losses against PyTorch:
every reduction (and the legacy size_average / reduce flags), forward and gradients, modules'
reprs and argument checks."""
import math

import numpy as np
import pytest

import tensorforge as tf
import tensorforge.nn as nn
from helpers import check_op, positive, rand, torch

F = nn.functional
REDUCTIONS = ["none", "mean", "sum"]
needs_torch = pytest.mark.skipif(torch is None, reason="needs PyTorch")


def sign(*shape):
    return np.where(rand(*shape) > 0, 1.0, -1.0).astype(np.float32)


def const(m, a):
    """A target that does not require grad (PyTorch refuses gradients for some of them)."""
    return m.tensor(a)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_poisson_nll_loss(reduction):
    t = positive(3, 4) * 3
    check_op(lambda m, x, t_: m.nn.functional.poisson_nll_loss(x, t_, reduction=reduction), [rand(3, 4), t])
    check_op(lambda m, x: m.nn.functional.poisson_nll_loss(x, const(m, t), log_input=False, reduction=reduction),
             [positive(3, 4)])
    check_op(lambda m, x, t_: m.nn.functional.poisson_nll_loss(x, t_, full=True, eps=1e-3, reduction=reduction),
             [rand(3, 4), t])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gaussian_nll_loss(reduction):
    x, t = rand(3, 4), rand(3, 4)
    check_op(lambda m, a, b, v: m.nn.functional.gaussian_nll_loss(a, b, v, reduction=reduction), [x, t, positive(3, 4)])
    check_op(lambda m, a, b, v: m.nn.functional.gaussian_nll_loss(a, b, v, full=True, reduction=reduction),
             [x, t, positive(3)])  # one variance per sample
    check_op(lambda m, a, b, v: m.nn.functional.gaussian_nll_loss(a, b, v, reduction=reduction), [x, t, positive(3, 1)])
    check_op(lambda m, a, b: m.nn.functional.gaussian_nll_loss(a, b, 0.5, reduction=reduction), [x, t])
    # a variance below eps is clamped; its gradient still flows, as in PyTorch
    check_op(lambda m, a, b, v: m.nn.functional.gaussian_nll_loss(a, b, v, eps=0.1, reduction=reduction),
             [x, t, positive(3, 4) * 0.04], fd=False)


def test_gaussian_nll_loss_errors():
    with pytest.raises(ValueError, match=r"var has negative entry"):
        F.gaussian_nll_loss(tf.randn(3), tf.randn(3), tf.tensor([1.0, -1.0, 1.0]))
    with pytest.raises(ValueError, match=r"var is of incorrect size"):
        F.gaussian_nll_loss(tf.randn(3, 4), tf.randn(3, 4), tf.ones(2))
    with pytest.raises(ValueError, match=r"is not valid"):
        F.gaussian_nll_loss(tf.randn(3), tf.randn(3), tf.ones(3), reduction="avg")


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_and_hinge_losses(reduction):
    y, y2 = sign(6), sign(6, 3)
    check_op(lambda m, a, b: m.nn.functional.margin_ranking_loss(a, b, const(m, y), 0.2, reduction=reduction),
             [rand(6), rand(6)])
    check_op(lambda m, a: m.nn.functional.hinge_embedding_loss(a, const(m, y2), 0.5, reduction=reduction),
             [rand(6, 3)])
    check_op(lambda m, a: m.nn.functional.soft_margin_loss(a, const(m, y2), reduction=reduction), [rand(6, 3) * 3])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_soft_margin_loss(reduction):
    t = (rand(6, 3) > 0).astype(np.float32)
    check_op(lambda m, a: m.nn.functional.multilabel_soft_margin_loss(a, const(m, t), reduction=reduction),
             [rand(6, 3) * 3])
    check_op(lambda m, a, w: m.nn.functional.multilabel_soft_margin_loss(a, const(m, t), w, reduction=reduction),
             [rand(6, 3), positive(3)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cosine_embedding_loss(reduction):
    y = sign(6)
    check_op(lambda m, a, b: m.nn.functional.cosine_embedding_loss(a, b, const(m, y), 0.1, reduction=reduction),
             [rand(6, 3), rand(6, 3)])
    check_op(lambda m, a, b: m.nn.functional.cosine_embedding_loss(a, b, const(m, np.array(-1.0, np.float32)),
                                                                   reduction=reduction), [rand(3), rand(3)])
    with pytest.raises(RuntimeError, match=r"\[cosine_embedding_loss\] 1D target tensor expects 2D input"):
        F.cosine_embedding_loss(tf.randn(3), tf.randn(3), tf.ones(3))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
def test_multi_margin_loss(reduction, p):
    target, w = [1, 0, 3, 2, 1], positive(4)
    check_op(lambda m, a: m.nn.functional.multi_margin_loss(a, m.tensor(target), p=p, margin=0.7, reduction=reduction),
             [rand(5, 4)])
    check_op(lambda m, a: m.nn.functional.multi_margin_loss(a, m.tensor(target), p=p, weight=const(m, w),
                                                            reduction=reduction), [rand(5, 4)])
    check_op(lambda m, a: m.nn.functional.multi_margin_loss(a, m.tensor(2), p=p, reduction=reduction), [rand(4)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin_loss(reduction):
    target = [[3, 0, -1, 1], [1, 2, 3, -1], [-1, 1, 0, 2], [0, 1, 2, 3]]
    check_op(lambda m, a: m.nn.functional.multilabel_margin_loss(a, m.tensor(target), reduction=reduction),
             [rand(4, 4)])
    check_op(lambda m, a: m.nn.functional.multilabel_margin_loss(a, m.tensor([3, 0, -1, 1]), reduction=reduction),
             [rand(4)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p,swap", [(2, False), (1, True), (3, False)])
def test_triplet_margin_loss(reduction, p, swap):
    check_op(lambda m, a, b, c: m.nn.functional.triplet_margin_loss(a, b, c, margin=0.5, p=p, swap=swap,
                                                                    reduction=reduction),
             [rand(5, 3), rand(5, 3), rand(5, 3)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_triplet_margin_with_distance_loss(reduction):
    def cosine(m):
        return lambda x, y: 1.0 - m.nn.functional.cosine_similarity(x, y)

    check_op(lambda m, a, b, c: m.nn.functional.triplet_margin_with_distance_loss(
        a, b, c, distance_function=cosine(m), margin=0.3, swap=True, reduction=reduction),
        [rand(5, 3), rand(5, 3), rand(5, 3)])
    check_op(lambda m, a, b, c: m.nn.functional.triplet_margin_with_distance_loss(a, b, c, reduction=reduction),
             [rand(5, 3), rand(5, 3), rand(5, 3)])


@pytest.mark.filterwarnings("ignore::UserWarning")  # PyTorch's deprecation note on the legacy flags
def test_legacy_reduction_flags():
    y = sign(6)
    check_op(lambda m, a, b: m.nn.functional.margin_ranking_loss(a, b, const(m, y), size_average=False),
             [rand(6), rand(6)])
    check_op(lambda m, a: m.nn.functional.soft_margin_loss(a, const(m, y), reduce=False), [rand(6)])


LOSS_MODULES = [
    ("PoissonNLLLoss", dict(log_input=False, full=True), lambda: [positive(4, 3), positive(4, 3) * 3]),
    ("GaussianNLLLoss", dict(full=True), lambda: [rand(4, 3), rand(4, 3), positive(4, 3)]),
    ("MarginRankingLoss", dict(margin=0.1, reduction="sum"), lambda: [rand(5), rand(5), sign(5)]),
    ("HingeEmbeddingLoss", dict(margin=2.0), lambda: [rand(5), sign(5)]),
    ("CosineEmbeddingLoss", dict(margin=-0.2, reduction="none"), lambda: [rand(5, 3), rand(5, 3), sign(5)]),
    ("SoftMarginLoss", dict(), lambda: [rand(5, 2), sign(5, 2)]),
    ("MultiLabelSoftMarginLoss", dict(), lambda: [rand(5, 3), (rand(5, 3) > 0).astype(np.float32)]),
    ("MultiMarginLoss", dict(p=2, margin=0.5), lambda: [rand(3, 4), np.array([0, 3, 1])]),
    ("MultiLabelMarginLoss", dict(), lambda: [rand(2, 3), np.array([[2, -1, 0], [0, 1, 2]])]),
    ("TripletMarginLoss", dict(margin=0.3, p=1.0, swap=True), lambda: [rand(4, 3), rand(4, 3), rand(4, 3)]),
    ("TripletMarginWithDistanceLoss", dict(margin=0.5), lambda: [rand(4, 3), rand(4, 3), rand(4, 3)]),
]


@needs_torch
@pytest.mark.parametrize("name,kw,inputs", LOSS_MODULES, ids=[n for n, _, _ in LOSS_MODULES])
def test_loss_modules(name, kw, inputs):
    arrays = inputs()
    ours, theirs = getattr(nn, name)(**kw), getattr(torch.nn, name)(**kw)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    first = tf.tensor(arrays[0], requires_grad=True)
    first_t = torch.tensor(arrays[0], requires_grad=True)
    a = ours(first, *[tf.tensor(v) for v in arrays[1:]])
    b = theirs(first_t, *[torch.tensor(v) for v in arrays[1:]])
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)
    a.sum().backward()
    b.sum().backward()
    np.testing.assert_allclose(first.grad.numpy(), first_t.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_loss_argument_errors():
    with pytest.raises(ValueError, match="expected margin to be greater than 0"):
        nn.TripletMarginLoss(margin=0.0)
    with pytest.raises(ValueError, match="expected margin to be greater than 0"):
        nn.TripletMarginWithDistanceLoss(margin=-1.0)
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match=r"\[multi_margin_loss\] weight must be one-dimensional"):
        F.multi_margin_loss(tf.randn(2, 3), tf.tensor([0, 1]), weight=tf.ones(3, 1))
    with pytest.raises(IndexError, match=r"\[multi_margin_loss\] target out of range"):
        F.multi_margin_loss(tf.randn(2, 3), tf.tensor([0, 3]))
    with pytest.raises(IndexError, match=r"\[multilabel_margin_loss\] target out of range"):
        F.multilabel_margin_loss(tf.randn(2, 3), tf.tensor([[0, 3, -1], [0, 1, 2]]))
    with pytest.raises(ValueError, match=r"\[multilabel_margin_loss\] expected 1-D or 2-D input"):
        F.multilabel_margin_loss(tf.randn(2, 3), tf.tensor([0, 1]))
    with pytest.raises(RuntimeError, match=r"\[margin_ranking_loss\] All input tensors should have same dimension"):
        F.margin_ranking_loss(tf.randn(3), tf.randn(3), tf.ones(1, 3))
    with pytest.raises(RuntimeError, match=r"\[triplet_margin_loss\] The anchor, positive, and negative tensors"):
        F.triplet_margin_loss(tf.randn(3, 2), tf.randn(3, 2), tf.randn(2))
    with pytest.raises(ValueError, match=r"\[poisson_nll_loss\] avg is not a valid value for reduction"):
        F.poisson_nll_loss(tf.randn(3), tf.randn(3), reduction="avg")
    with pytest.raises(ValueError, match="is not a valid value for reduction"):
        F.triplet_margin_with_distance_loss(tf.randn(3, 2), tf.randn(3, 2), tf.randn(3, 2), reduction="avg")


# ---- CTC ---------------------------------------------------------------------------------------
CTC_RNG = np.random.default_rng(1)
CTC_TARGETS = CTC_RNG.integers(1, 6, size=(4, 5))
CTC_IN, CTC_TL = [12, 10, 12, 7], [5, 3, 0, 4]


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_loss(reduction):
    def fn(m, x):
        return m.nn.functional.ctc_loss(m.nn.functional.log_softmax(x, 2), m.tensor(CTC_TARGETS), m.tensor(CTC_IN),
                                        m.tensor(CTC_TL), reduction=reduction)

    check_op(fn, [rand(12, 4, 6) * 2], fd=False)


def test_ctc_loss_layouts_and_gradient_formula():
    flat = np.concatenate([CTC_TARGETS[b, :n] for b, n in enumerate(CTC_TL)])
    # concatenated targets, lengths as sequences, blank other than 0
    check_op(lambda m, x: m.nn.functional.ctc_loss(m.nn.functional.log_softmax(x, 2), m.tensor(flat), CTC_IN, CTC_TL),
             [rand(12, 4, 6)], fd=False)
    targets = np.where(CTC_TARGETS == 5, 0, CTC_TARGETS)
    check_op(lambda m, x: m.nn.functional.ctc_loss(m.nn.functional.log_softmax(x, 2), m.tensor(targets), CTC_IN,
                                                   CTC_TL, blank=5), [rand(12, 4, 6)], fd=False)
    # the gradient of raw log_probs follows PyTorch's formula (exp(lp) minus the occupancy)
    check_op(lambda m, x: m.nn.functional.ctc_loss(x, m.tensor(CTC_TARGETS), CTC_IN, CTC_TL), [rand(12, 4, 6)],
             fd=False)
    # unbatched, float64 against finite differences through log_softmax
    check_op(lambda m, x: m.nn.functional.ctc_loss(m.nn.functional.log_softmax(x, 1), m.tensor([1, 2, 3]), m.tensor(8),
                                                   m.tensor(3), blank=4), [rand(8, 5)], fd=False)
    check_op(lambda m, x: m.nn.functional.ctc_loss(m.nn.functional.log_softmax(x, 2), m.tensor(CTC_TARGETS[:2]), [5, 6],
                                                   [2, 3]), [rand(6, 2, 6, dtype=np.float64)])


def test_ctc_loss_impossible_alignments():
    targets = np.array([[1, 1, 2, 2]])  # needs six frames
    for zero in (True, False):
        def fn(m, x):
            return m.nn.functional.ctc_loss(m.nn.functional.log_softmax(x, 2), m.tensor(targets), m.tensor([3]),
                                            m.tensor([4]), zero_infinity=zero, reduction="sum")

        out = check_op(fn, [rand(3, 1, 4)], fd=False, grad=zero)
        assert (out.item() == 0.0) if zero else math.isinf(out.item())


@needs_torch
def test_ctc_module_and_errors():
    assert repr(nn.CTCLoss(blank=2, zero_infinity=True)) == repr(torch.nn.CTCLoss(blank=2, zero_infinity=True))
    lp = F.log_softmax(tf.randn(5, 2, 4), 2)
    with pytest.raises(ValueError, match=r"\[ctc_loss\] blank must be in label range"):
        F.ctc_loss(lp, tf.tensor([[1, 2], [1, 1]]), [5, 5], [2, 2], blank=4)
    with pytest.raises(IndexError, match=r"\[ctc_loss\] target 0 of sequence 1 must be a label"):
        F.ctc_loss(lp, tf.tensor([[1, 2], [0, 1]]), [5, 5], [2, 2])
    with pytest.raises(ValueError, match=r"\[ctc_loss\] expected input_lengths in \[0, 5\]"):
        F.ctc_loss(lp, tf.tensor([[1, 2], [1, 1]]), [6, 5], [2, 2])
    with pytest.raises(ValueError, match=r"\[ctc_loss\] expected target_lengths of shape \[2\]"):
        F.ctc_loss(lp, tf.tensor([[1, 2], [1, 1]]), [5, 5], [2])
    with pytest.raises(ValueError, match=r"\[ctc_loss\] target_lengths sum to 4"):
        F.ctc_loss(lp, tf.tensor([1, 2, 3]), [5, 5], [2, 2])
    with pytest.raises(TypeError, match=r"\[ctc_loss\] targets must be integers"):
        F.ctc_loss(lp, tf.ones(2, 2), [5, 5], [2, 2])


@pytest.mark.parametrize("T,N,C,S", [(30, 3, 7, 9), (5, 2, 4, 2), (40, 2, 5, 19)])
def test_ctc_loss_vector_widths(T, N, C, S, isa):
    # label sequences around and past the vector width, under every ISA
    targets = np.random.default_rng(3).integers(1, C, size=(N, S))
    lengths, tlen = [T] * N, [S] + [max(0, S - 3)] * (N - 1)
    check_op(lambda m, x: m.nn.functional.ctc_loss(m.nn.functional.log_softmax(x, 2), m.tensor(targets), lengths,
                                                   tlen, reduction="sum"), [rand(T, N, C) * 3], fd=False)
