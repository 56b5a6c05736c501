"""Optimizers follow torch.optim's trajectories; state dicts resume identically."""
import numpy as np
import pytest

import tensorforge as tf
import tensorforge.nn as nn
from helpers import torch

pytestmark = pytest.mark.skipif(torch is None, reason="needs PyTorch")

CASES = [
    ("SGD", dict(lr=0.1)), ("SGD", dict(lr=0.1, momentum=0.9)), ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.5, dampening=0.3, weight_decay=0.01)), ("SGD", dict(lr=0.1, maximize=True)),
    ("Adam", dict(lr=0.01)), ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.9), eps=1e-6, maximize=True)), ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.5, amsgrad=True)), ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.1)), ("RMSprop", dict(lr=0.01, alpha=0.9)),
    ("Adagrad", dict(lr=0.1)), ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1)),
]


def _pair_models(seed=0):
    torch.manual_seed(seed)
    t = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    o = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))
    o.load_state_dict({k: tf.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return o, t


@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_trajectories_match_torch(name, kw):
    ours, theirs = _pair_models()
    o1 = getattr(tf.optim, name)(ours.parameters(), **kw)
    o2 = getattr(torch.optim, name)(theirs.parameters(), **kw)
    rng = np.random.default_rng(1)
    for _ in range(15):
        x = rng.standard_normal((6, 5)).astype(np.float32)
        o1.zero_grad()
        (ours(tf.tensor(x)) ** 2).mean().backward()
        o1.step()
        o2.zero_grad()
        (theirs(torch.tensor(x)) ** 2).mean().backward()
        o2.step()
    for (k, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-4, atol=1e-5, err_msg=k)


def test_param_groups_and_state_dict_resume(tmp_path):
    ours, _ = _pair_models()
    opt = tf.optim.Adam([{"params": ours[0].parameters()}, {"params": ours[2].parameters(), "lr": 0.1}], lr=0.01)
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.1]
    x = tf.randn(4, 5)

    def step():
        opt.zero_grad()
        ours(x).pow(2).mean().backward()
        opt.step()

    for _ in range(3):
        step()
    tf.save({"model": ours.state_dict(), "opt": opt.state_dict()}, tmp_path / "ck.safetensors")
    step()
    expected = {k: v.clone() for k, v in ours.state_dict().items()}
    ck = tf.load(tmp_path / "ck.safetensors")
    ours.load_state_dict(ck["model"])
    opt.load_state_dict(ck["opt"])
    step()
    for k, v in ours.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), expected[k].numpy())


def test_zero_grad_and_skips_params_without_grad():
    p, q = nn.Parameter(tf.ones(2)), nn.Parameter(tf.ones(2))
    opt = tf.optim.SGD([p, q], lr=1.0)
    (p * 2).sum().backward()
    opt.step()
    assert p.tolist() == [-1.0, -1.0] and q.tolist() == [1.0, 1.0]
    opt.zero_grad(set_to_none=False)
    assert p.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None


@pytest.mark.parametrize("make,msg", [
    (lambda ps: tf.optim.SGD(ps, lr=-1), "Invalid learning rate"),
    (lambda ps: tf.optim.Adam(ps, betas=(1.0, 0.9)), "Invalid beta parameter at index 0"),
    (lambda ps: tf.optim.Adam(ps, eps=-1), "Invalid epsilon"),
    (lambda ps: tf.optim.SGD(ps, lr=0.1, nesterov=True), "Nesterov"),
    (lambda ps: tf.optim.RMSprop(ps, alpha=-1), "Invalid alpha"),
    (lambda ps: tf.optim.SGD([], lr=0.1), "empty parameter list"),
])
def test_hyperparameter_validation(make, msg):
    with pytest.raises(ValueError, match=msg):
        make([nn.Parameter(tf.ones(2))])
