"""Every scheduler's learning-rate sequence equals PyTorch's."""
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
    ("OneCycleLR", dict(max_lr=0.5, total_steps=30)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=30, anneal_strategy="linear", three_phase=True)),
]


def _opts(kind="SGD"):
    p1, p2 = tf.nn.Parameter(tf.ones(1)), torch.nn.Parameter(torch.ones(1))
    if kind == "SGD":
        return tf.optim.SGD([p1], lr=0.1, momentum=0.9), torch.optim.SGD([p2], lr=0.1, momentum=0.9)
    return tf.optim.Adam([p1], lr=0.1), torch.optim.Adam([p2], lr=0.1)


@pytest.mark.parametrize("name,kw", SCHEDULES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SCHEDULES)])
@pytest.mark.parametrize("kind", ["SGD", "Adam"])
def test_schedule_matches_torch(name, kw, kind):
    o1, o2 = _opts(kind)
    s1 = getattr(tf.optim.lr_scheduler, name)(o1, **kw)
    s2 = getattr(torch.optim.lr_scheduler, name)(o2, **kw)
    for _ in range(25 if name != "OneCycleLR" else 29):
        o1.step()
        o2.step()
        s1.step()
        s2.step()
        np.testing.assert_allclose(s1.get_last_lr(), s2.get_last_lr(), rtol=1e-10)
        if kind == "Adam":
            assert abs(o1.param_groups[0]["betas"][0] - o2.param_groups[0]["betas"][0]) < 1e-12
        else:
            assert abs(o1.param_groups[0]["momentum"] - o2.param_groups[0]["momentum"]) < 1e-12


def test_sequential_lr():
    o1, o2 = _opts()
    s1 = tf.optim.lr_scheduler.SequentialLR(o1, [tf.optim.lr_scheduler.LinearLR(o1, 0.1, total_iters=3),
                                                 tf.optim.lr_scheduler.ExponentialLR(o1, 0.9)], milestones=[3])
    s2 = torch.optim.lr_scheduler.SequentialLR(o2, [torch.optim.lr_scheduler.LinearLR(o2, 0.1, total_iters=3),
                                                    torch.optim.lr_scheduler.ExponentialLR(o2, 0.9)], milestones=[3])
    for _ in range(20):
        o1.step()
        o2.step()
        s1.step()
        s2.step()
        np.testing.assert_allclose(s1.get_last_lr(), s2.get_last_lr(), rtol=1e-10)


def test_reduce_on_plateau():
    o1, o2 = _opts()
    kw = dict(mode="min", factor=0.5, patience=2, threshold=0.01, cooldown=1, min_lr=0.001)
    s1 = tf.optim.lr_scheduler.ReduceLROnPlateau(o1, **kw)
    s2 = torch.optim.lr_scheduler.ReduceLROnPlateau(o2, **kw)
    for metric in [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.1, 0.1, 0.1,
                   0.1, 0.1, 0.1, 0.1, 0.1]:
        s1.step(metric)
        s2.step(metric)
        assert o1.param_groups[0]["lr"] == pytest.approx(o2.param_groups[0]["lr"])
