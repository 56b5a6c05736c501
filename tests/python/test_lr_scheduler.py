"""Every scheduler's learning-rate (and momentum) sequence equals PyTorch's."""
import copy
import warnings

import numpy as np
import pytest

import tensorforge as tf
from helpers import torch

pytestmark = pytest.mark.skipif(torch is None, reason="needs PyTorch")

SCHEDULES = [
    ("StepLR", dict(step_size=3, gamma=0.5)), ("MultiStepLR", dict(milestones=[2, 5, 5, 9], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)), ("CosineAnnealingLR", dict(T_max=7, eta_min=0.01)),
    ("CosineAnnealingLR", dict(T_max=5)), ("LinearLR", dict(start_factor=0.2, total_iters=6)),
    ("LinearLR", dict(start_factor=1.0, end_factor=0.1, total_iters=10)),
    ("LambdaLR", dict(lr_lambda=lambda e: 0.95 ** e)),
    ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.9 if e % 2 else 1.05)),
    ("ConstantLR", dict(factor=0.25, total_iters=4)), ("PolynomialLR", dict(total_iters=12, power=2.0)),
    ("CosineAnnealingWarmRestarts", dict(T_0=4, T_mult=2, eta_min=0.001)),
    ("CosineAnnealingWarmRestarts", dict(T_0=6)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=30)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=30, anneal_strategy="linear", three_phase=True)),
    ("OneCycleLR", dict(max_lr=[0.5, 0.2], epochs=3, steps_per_epoch=10, pct_start=0.4, div_factor=10.0,
                        final_div_factor=100.0, base_momentum=0.8, max_momentum=[0.9, 0.95])),
]


def _opts(kind="SGD", groups=1):
    ps1 = [tf.nn.Parameter(tf.ones(1)) for _ in range(groups)]
    ps2 = [torch.nn.Parameter(torch.ones(1)) for _ in range(groups)]
    g1 = [{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(ps1)]
    g2 = [{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(ps2)]
    if kind == "SGD":
        return tf.optim.SGD(g1, momentum=0.9), torch.optim.SGD(g2, momentum=0.9)
    if kind == "RMSprop":
        return tf.optim.RMSprop(g1, momentum=0.5), torch.optim.RMSprop(g2, momentum=0.5)
    return tf.optim.Adam(g1), torch.optim.Adam(g2)


def _assert_same(o1, o2, s1, s2):
    np.testing.assert_allclose(s1.get_last_lr(), s2.get_last_lr(), rtol=1e-12, atol=1e-15)
    for g1, g2 in zip(o1.param_groups, o2.param_groups):
        assert g1["lr"] == pytest.approx(g2["lr"], rel=1e-12, abs=1e-15)
        if "betas" in g2:
            assert g1["betas"][0] == pytest.approx(g2["betas"][0], rel=1e-12)
        else:
            assert g1["momentum"] == pytest.approx(g2["momentum"], rel=1e-12)


def _steps(name):
    return 29 if name == "OneCycleLR" else 30


@pytest.mark.parametrize("name,kw", SCHEDULES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SCHEDULES)])
@pytest.mark.parametrize("kind", ["SGD", "Adam", "RMSprop"])
def test_schedule_matches_torch(name, kw, kind):
    o1, o2 = _opts(kind, groups=2)
    s1 = getattr(tf.optim.lr_scheduler, name)(o1, **kw)
    s2 = getattr(torch.optim.lr_scheduler, name)(o2, **kw)
    _assert_same(o1, o2, s1, s2)
    for _ in range(_steps(name)):
        o1.step()
        o2.step()
        s1.step()
        s2.step()
        _assert_same(o1, o2, s1, s2)


@pytest.mark.parametrize("name,kw", SCHEDULES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SCHEDULES)])
def test_state_dict_resumes_schedule(name, kw):
    o1, _ = _opts("SGD", groups=2)
    s1 = getattr(tf.optim.lr_scheduler, name)(o1, **kw)
    for _ in range(7):
        s1.step()
    saved_sched, saved_opt = copy.deepcopy(s1.state_dict()), copy.deepcopy(o1.state_dict())
    expected = []
    for _ in range(10):
        s1.step()
        expected.append(s1.get_last_lr())
    o2, _ = _opts("SGD", groups=2)
    s2 = getattr(tf.optim.lr_scheduler, name)(o2, **kw)
    o2.load_state_dict(saved_opt)
    s2.load_state_dict(saved_sched)
    got = []
    for _ in range(10):
        s2.step()
        got.append(s2.get_last_lr())
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize("name,kw", [("StepLR", dict(step_size=3, gamma=0.5)),
                                     ("MultiStepLR", dict(milestones=[2, 5, 9], gamma=0.3)),
                                     ("ExponentialLR", dict(gamma=0.9)), ("CosineAnnealingLR", dict(T_max=7)),
                                     ("LinearLR", dict(start_factor=0.2, total_iters=6)),
                                     ("ConstantLR", dict(factor=0.5, total_iters=3)),
                                     ("PolynomialLR", dict(total_iters=8)),
                                     ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2))])
def test_step_with_epoch_uses_closed_form_like_torch(name, kw):
    o1, o2 = _opts()
    s1 = getattr(tf.optim.lr_scheduler, name)(o1, **kw)
    s2 = getattr(torch.optim.lr_scheduler, name)(o2, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in [3, 4, 10, 2, 6, 6, 11, 12]:
            s1.step(epoch)
            s2.step(epoch)
            _assert_same(o1, o2, s1, s2)


@pytest.mark.parametrize("second", ["ExponentialLR", "CosineAnnealingLR", "StepLR"])
def test_sequential_lr(second):
    kw = {"ExponentialLR": dict(gamma=0.9), "CosineAnnealingLR": dict(T_max=6, eta_min=0.001),
          "StepLR": dict(step_size=2, gamma=0.5)}[second]
    o1, o2 = _opts(groups=2)

    def build(lib, opt):
        sch = lib.optim.lr_scheduler
        return sch.SequentialLR(opt, [sch.LinearLR(opt, 0.1, total_iters=3), getattr(sch, second)(opt, **kw),
                                      sch.ConstantLR(opt, factor=0.5, total_iters=100)], milestones=[3, 15])

    s1, s2 = build(tf, o1), build(torch, o2)
    _assert_same(o1, o2, s1, s2)
    for _ in range(25):
        o1.step()
        o2.step()
        s1.step()
        s2.step()
        _assert_same(o1, o2, s1, s2)


def test_chained_scheduler():
    o1, o2 = _opts()

    def build(lib, opt):
        sch = lib.optim.lr_scheduler
        return sch.ChainedScheduler([sch.ConstantLR(opt, factor=0.1, total_iters=4), sch.ExponentialLR(opt, 0.9)])

    s1, s2 = build(tf, o1), build(torch, o2)
    for _ in range(20):
        o1.step()
        o2.step()
        s1.step()
        s2.step()
        _assert_same(o1, o2, s1, s2)


METRICS = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.1, 0.1, 0.1, 0.1, 0.1,
           0.1, 0.1, 0.1, 0.0999, 0.09, 0.2, 0.2, 0.2, 0.2]


@pytest.mark.parametrize("kw", [
    dict(mode="min", factor=0.5, patience=2, threshold=0.01, cooldown=1, min_lr=0.001),
    dict(mode="max", factor=0.3, patience=1, threshold=0.05, threshold_mode="abs"),
    dict(mode="max", patience=0, threshold_mode="rel", cooldown=2),
    dict(mode="min", factor=0.9, patience=3, threshold_mode="abs", min_lr=[0.05, 0.0], eps=1e-3),
])
def test_reduce_on_plateau(kw):
    o1, o2 = _opts(groups=2)
    s1 = tf.optim.lr_scheduler.ReduceLROnPlateau(o1, **kw)
    s2 = torch.optim.lr_scheduler.ReduceLROnPlateau(o2, **kw)
    assert isinstance(s1, tf.optim.lr_scheduler.LRScheduler)
    for metric in METRICS:
        s1.step(metric)
        s2.step(metric)
        _assert_same(o1, o2, s1, s2)
        assert (s1.num_bad_epochs, s1.cooldown_counter, s1.best) == (s2.num_bad_epochs, s2.cooldown_counter, s2.best)


def test_reduce_on_plateau_state_dict_and_tensor_metric():
    o1, _ = _opts()
    s1 = tf.optim.lr_scheduler.ReduceLROnPlateau(o1, patience=0)
    s1.step(tf.tensor(1.0))
    s1.step(tf.tensor(2.0))
    assert o1.param_groups[0]["lr"] == pytest.approx(0.01)
    o2, _ = _opts()
    s2 = tf.optim.lr_scheduler.ReduceLROnPlateau(o2)
    s2.load_state_dict(s1.state_dict())
    assert (s2.best, s2.patience, s2.last_epoch) == (1.0, 0, 2)


def test_scheduler_drives_optimizer_updates():
    p = tf.nn.Parameter(tf.zeros(1))
    opt = tf.optim.SGD([p], lr=1.0)
    sched = tf.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        p.grad = tf.ones(1)
        opt.step()
        sched.step()
    assert p.item() == pytest.approx(-1.75)


@pytest.mark.parametrize("make,err,msg", [
    (lambda o: tf.optim.lr_scheduler.StepLR(object(), 3), TypeError, "is not an Optimizer"),
    (lambda o: tf.optim.lr_scheduler.LinearLR(o, start_factor=0), ValueError, "Starting multiplicative factor"),
    (lambda o: tf.optim.lr_scheduler.LinearLR(o, end_factor=2), ValueError, "Ending multiplicative factor"),
    (lambda o: tf.optim.lr_scheduler.ConstantLR(o, factor=2), ValueError, "between 0 and 1"),
    (lambda o: tf.optim.lr_scheduler.OneCycleLR(o, 0.1), ValueError, "total_steps OR"),
    (lambda o: tf.optim.lr_scheduler.OneCycleLR(o, 0.1, total_steps=0), ValueError, "positive integer total_steps"),
    (lambda o: tf.optim.lr_scheduler.OneCycleLR(o, 0.1, 10, anneal_strategy="x"), ValueError, "anneal_strategy"),
    (lambda o: tf.optim.lr_scheduler.OneCycleLR(o, 0.1, 10, pct_start=1.5), ValueError, "pct_start"),
    (lambda o: tf.optim.lr_scheduler.OneCycleLR(o, [0.1, 0.2], 10), ValueError, "max_lr must have the same length"),
    (lambda o: tf.optim.lr_scheduler.ReduceLROnPlateau(o, factor=1.0), ValueError, "Factor should be < 1.0"),
    (lambda o: tf.optim.lr_scheduler.ReduceLROnPlateau(o, mode="up"), ValueError, "mode up is unknown"),
    (lambda o: tf.optim.lr_scheduler.ReduceLROnPlateau(o, min_lr=[0, 0]), ValueError, "expected 1 min_lrs"),
    (lambda o: tf.optim.lr_scheduler.LambdaLR(o, [lambda e: 1, lambda e: 1]), ValueError, "Expected 1 lr_lambdas"),
    (lambda o: tf.optim.lr_scheduler.StepLR(o, 3, last_epoch=4), KeyError, "initial_lr"),
    (lambda o: tf.optim.lr_scheduler.SequentialLR(o, [tf.optim.lr_scheduler.StepLR(o, 2)], [3]), ValueError,
     "one more than the number of milestone"),
    (lambda o: tf.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "positive integer T_0"),
])
def test_scheduler_errors(make, err, msg):
    o, _ = _opts()
    with pytest.raises(err, match=msg):
        make(o)


def test_one_cycle_past_total_steps_raises():
    o, _ = _opts()
    s = tf.optim.lr_scheduler.OneCycleLR(o, 0.1, total_steps=3)
    s.step()
    s.step()
    s.step()
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        s.step()
