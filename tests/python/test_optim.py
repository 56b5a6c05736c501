"""Optimizers follow torch.optim's trajectories; state dicts resume identically and use
PyTorch's layout; the fused kernels' front end rejects bad arguments without side effects."""
import copy

import numpy as np
import pytest

import tensorforge as tf
import tensorforge.nn as nn
from tensorforge import _C
from helpers import torch

needs_torch = pytest.mark.skipif(torch is None, reason="needs PyTorch")

CASES = [
    ("SGD", dict(lr=0.1)), ("SGD", dict(lr=0.1, momentum=0.9)), ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.5, dampening=0.3, weight_decay=0.01)), ("SGD", dict(lr=0.1, maximize=True)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.05, maximize=True)),
    ("SGD", dict(lr=0.1, weight_decay=0.1)),
    ("Adam", dict(lr=0.01)), ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.9), eps=1e-6, maximize=True)),
    ("Adam", dict(lr=0.01, amsgrad=True, maximize=True)), ("Adam", dict(lr=0.01, betas=(0.0, 0.5))),
    ("AdamW", dict(lr=0.01)), ("AdamW", dict(lr=0.01, weight_decay=0.5, amsgrad=True)),
    ("AdamW", dict(lr=0.03, betas=(0.5, 0.99), weight_decay=0.2, maximize=True)),
    ("RMSprop", dict(lr=0.01)), ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, alpha=0.9)), ("RMSprop", dict(lr=0.01, centered=True, eps=1e-4)),
    ("RMSprop", dict(lr=0.005, momentum=0.5, maximize=True)),
    ("Adagrad", dict(lr=0.1)), ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1)),
    ("Adagrad", dict(lr=0.05, eps=1e-3, maximize=True)),
]
IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for n, kw in CASES]
STATE_KEYS = {"SGD": {"momentum_buffer"}, "Adam": {"step", "exp_avg", "exp_avg_sq"},
              "AdamW": {"step", "exp_avg", "exp_avg_sq"}, "RMSprop": {"step", "square_avg"},
              "Adagrad": {"step", "sum"}}


def _pair_models(seed=0):
    torch.manual_seed(seed)
    t = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    o = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))
    o.load_state_dict({k: tf.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return o, t


def _train(model, opt, lib, xs):
    for x in xs:
        opt.zero_grad()
        (model(lib.tensor(x)) ** 2).mean().backward()
        opt.step()


def _inputs(n, seed=1):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((6, 5)).astype(np.float32) for _ in range(n)]


def _assert_models_close(ours, theirs, rtol=1e-4, atol=1e-5):
    for (k, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=rtol, atol=atol, err_msg=k)


@needs_torch
@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_trajectories_match_torch(name, kw):
    ours, theirs = _pair_models()
    xs = _inputs(15)
    _train(ours, getattr(tf.optim, name)(ours.parameters(), **kw), tf, xs)
    _train(theirs, getattr(torch.optim, name)(theirs.parameters(), **kw), torch, xs)
    _assert_models_close(ours, theirs)


def _flat_pair(n, dtype, seed=0):
    rng = np.random.default_rng(seed)
    init = rng.standard_normal(n).astype(dtype)
    grads = [rng.standard_normal(n).astype(dtype) for _ in range(12)]
    return nn.Parameter(tf.tensor(init)), torch.nn.Parameter(torch.tensor(init)), grads


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,kw", [CASES[i] for i in (2, 5, 8, 13, 16, 21)], ids=[IDS[i] for i in (2, 5, 8, 13, 16, 21)])
def test_large_params_every_isa(name, kw, dtype, isa):
    """100003 elements: above the parallel grain, with a SIMD tail; float32 and float64."""
    p1, p2, grads = _flat_pair(100_003, dtype)
    o1, o2 = getattr(tf.optim, name)([p1], **kw), getattr(torch.optim, name)([p2], **kw)
    for g in grads:
        p1.grad, p2.grad = tf.tensor(g), torch.tensor(g)
        o1.step()
        o2.step()
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(p1.detach().numpy(), p2.detach().numpy(), **tol)
    assert p1.dtype == (tf.float32 if dtype == np.float32 else tf.float64)


@needs_torch
def test_param_groups_with_own_options_match_torch():
    ours, theirs = _pair_models()
    o1 = tf.optim.SGD([{"params": ours[0].parameters(), "momentum": 0.9, "nesterov": True},
                       {"params": ours[2].parameters(), "lr": 0.01, "weight_decay": 0.1}], lr=0.1)
    o2 = torch.optim.SGD([{"params": theirs[0].parameters(), "momentum": 0.9, "nesterov": True},
                          {"params": theirs[2].parameters(), "lr": 0.01, "weight_decay": 0.1}], lr=0.1)
    assert [g["lr"] for g in o1.param_groups] == [0.1, 0.01]
    assert [g["momentum"] for g in o1.param_groups] == [0.9, 0]
    xs = _inputs(12)
    _train(ours, o1, tf, xs)
    _train(theirs, o2, torch, xs)
    _assert_models_close(ours, theirs)


@needs_torch
@pytest.mark.parametrize("name", ["SGD", "Adam", "Adagrad", "RMSprop"])
def test_add_param_group_later_matches_torch(name):
    ours, theirs = _pair_models()
    kw = dict(lr=0.05, momentum=0.9) if name in ("SGD", "RMSprop") else dict(lr=0.05)
    o1 = getattr(tf.optim, name)(ours[0].parameters(), **kw)
    o2 = getattr(torch.optim, name)(theirs[0].parameters(), **kw)
    xs = _inputs(10)
    _train(ours, o1, tf, xs[:4])
    _train(theirs, o2, torch, xs[:4])
    o1.add_param_group({"params": list(ours[2].parameters()), "lr": 0.01})
    o2.add_param_group({"params": list(theirs[2].parameters()), "lr": 0.01})
    _train(ours, o1, tf, xs[4:])
    _train(theirs, o2, torch, xs[4:])
    _assert_models_close(ours, theirs)


@needs_torch
def test_lr_change_between_steps_matches_torch():
    ours, theirs = _pair_models()
    o1, o2 = tf.optim.Adam(ours.parameters(), lr=0.01), torch.optim.Adam(theirs.parameters(), lr=0.01)
    for i, x in enumerate(_inputs(10)):
        for o in (o1, o2):
            o.param_groups[0]["lr"] = 0.01 / (1 + i)
        _train(ours, o1, tf, [x])
        _train(theirs, o2, torch, [x])
    _assert_models_close(ours, theirs)


@needs_torch
@pytest.mark.parametrize("name,kw", [CASES[i] for i in (1, 9, 14, 17, 22)], ids=[IDS[i] for i in (1, 9, 14, 17, 22)])
def test_state_dict_round_trip_resumes_identically(name, kw, tmp_path):
    ours, _ = _pair_models()
    opt = getattr(tf.optim, name)(ours.parameters(), **kw)
    xs = _inputs(7)
    _train(ours, opt, tf, xs[:4])
    model_sd = {k: v.clone() for k, v in ours.state_dict().items()}
    opt_sd = copy.deepcopy(opt.state_dict())
    tf.save({"model": model_sd, "opt": opt_sd}, tmp_path / "ck.safetensors")
    _train(ours, opt, tf, xs[4:])
    expected = {k: v.numpy().copy() for k, v in ours.state_dict().items()}

    for source in (lambda: (model_sd, opt_sd), lambda: (lambda ck: (ck["model"], ck["opt"]))(
            tf.load(tmp_path / "ck.safetensors"))):
        model_state, opt_state = source()
        fresh, _ = _pair_models(seed=5)  # different weights: everything must come from the checkpoint
        fresh.load_state_dict(model_state)
        opt2 = getattr(tf.optim, name)(fresh.parameters(), **{**kw, "lr": 123.0})  # lr restored from the dict
        opt2.load_state_dict(opt_state)
        assert opt2.param_groups[0]["lr"] == kw["lr"]
        _train(fresh, opt2, tf, xs[4:])
        for k, v in fresh.state_dict().items():
            np.testing.assert_array_equal(v.numpy(), expected[k], err_msg=k)


@needs_torch
@pytest.mark.parametrize("name,kw", [CASES[i] for i in (1, 8, 14, 16, 21)], ids=[IDS[i] for i in (1, 8, 14, 16, 21)])
def test_state_dict_layout_matches_torch(name, kw):
    ours, theirs = _pair_models()
    o1, o2 = getattr(tf.optim, name)(ours.parameters(), **kw), getattr(torch.optim, name)(theirs.parameters(), **kw)
    xs = _inputs(2)
    _train(ours, o1, tf, xs)
    _train(theirs, o2, torch, xs)
    s1, s2 = o1.state_dict(), o2.state_dict()
    assert set(s1) == {"state", "param_groups"}
    assert sorted(s1["state"]) == sorted(s2["state"]) == [0, 1, 2, 3]
    for i in s2["state"]:
        assert set(s1["state"][i]) == set(s2["state"][i])
        assert STATE_KEYS[name] <= set(s1["state"][i])
        for k, v in s2["state"][i].items():
            if k != "step" and isinstance(v, torch.Tensor):
                np.testing.assert_allclose(s1["state"][i][k].numpy(), v.numpy(), rtol=1e-4, atol=1e-6)
            elif k == "step":
                assert int(s1["state"][i][k]) == int(v)
    for g1, g2 in zip(s1["param_groups"], s2["param_groups"]):
        assert g1["params"] == g2["params"]
        assert set(g1) <= set(g2)
        for k in g1:
            assert g1[k] == g2[k], k


@needs_torch
def test_loads_a_torch_state_dict_and_continues():
    ours, theirs = _pair_models()
    o2 = torch.optim.Adam(theirs.parameters(), lr=0.01, amsgrad=True)
    xs = _inputs(8)
    _train(theirs, o2, torch, xs[:4])
    ours.load_state_dict({k: tf.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    sd = o2.state_dict()
    converted = {"state": {i: {k: tf.tensor(v.numpy()) for k, v in s.items()} for i, s in sd["state"].items()},
                 "param_groups": copy.deepcopy(sd["param_groups"])}
    o1 = tf.optim.Adam(ours.parameters(), lr=0.5)
    o1.load_state_dict(converted)
    assert o1.state[next(iter(ours.parameters()))]["step"] == 4
    _train(ours, o1, tf, xs[4:])
    _train(theirs, o2, torch, xs[4:])
    _assert_models_close(ours, theirs)


def test_load_state_dict_mismatch_errors():
    p, q = nn.Parameter(tf.ones(2)), nn.Parameter(tf.ones(3))
    sd = tf.optim.SGD([p], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        tf.optim.SGD([{"params": [p]}, {"params": [q]}], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size"):
        tf.optim.SGD([p, q], lr=0.1).load_state_dict(sd)


def test_state_dict_casts_floating_state_to_param_dtype():
    p = nn.Parameter(tf.ones(3, dtype=tf.float64))
    opt = tf.optim.Adam([p])
    p.grad = tf.ones(3, dtype=tf.float64)
    opt.step()
    sd = opt.state_dict()
    sd["state"][0]["exp_avg"] = sd["state"][0]["exp_avg"].float()
    opt.load_state_dict(sd)
    assert opt.state[p]["exp_avg"].dtype == tf.float64
    opt.step()


def test_zero_grad_and_skips_params_without_grad():
    p, q = nn.Parameter(tf.ones(2)), nn.Parameter(tf.ones(2))
    opt = tf.optim.SGD([p, q], lr=1.0)
    (p * 2).sum().backward()
    opt.step()
    assert p.tolist() == [-1.0, -1.0] and q.tolist() == [1.0, 1.0]
    assert len(opt.state) == 0 or not opt.state.get(q)
    opt.zero_grad(set_to_none=False)
    assert p.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None


def test_step_with_closure_runs_under_grad_and_returns_loss():
    p = nn.Parameter(tf.tensor([3.0]))
    opt = tf.optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with tf.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 9.0 and p.item() == pytest.approx(1.5)


def test_step_runs_without_grad_and_bumps_versions():
    p = nn.Parameter(tf.ones(4))
    opt = tf.optim.Adam([p], lr=0.1)
    p.grad = tf.ones(4)
    v0 = p._c.version
    opt.step()
    assert p.grad_fn is None and p.requires_grad and p._c.version > v0
    m = opt.state[p]["exp_avg"]
    v1 = m._c.version
    opt.step()
    assert m._c.version > v1


def test_defaults_and_repr():
    opt = tf.optim.AdamW([nn.Parameter(tf.ones(2))])
    d = opt.param_groups[0]
    assert (d["lr"], d["betas"], d["eps"], d["weight_decay"], d["amsgrad"]) == (1e-3, (0.9, 0.999), 1e-8, 1e-2, False)
    assert "AdamW (" in repr(opt) and "weight_decay: 0.01" in repr(opt)
    assert tf.optim.SGD([nn.Parameter(tf.ones(2))]).param_groups[0]["lr"] == 1e-3


@pytest.mark.parametrize("make,err,msg", [
    (lambda ps: tf.optim.SGD(ps, lr=-1), ValueError, "Invalid learning rate: -1"),
    (lambda ps: tf.optim.SGD(ps, lr=0.1, momentum=-0.5), ValueError, "Invalid momentum value: -0.5"),
    (lambda ps: tf.optim.SGD(ps, lr=0.1, weight_decay=-1), ValueError, "Invalid weight_decay value: -1"),
    (lambda ps: tf.optim.SGD(ps, lr=0.1, nesterov=True), ValueError, "Nesterov"),
    (lambda ps: tf.optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError, "Nesterov"),
    (lambda ps: tf.optim.Adam(ps, lr=-0.1), ValueError, "Invalid learning rate: -0.1"),
    (lambda ps: tf.optim.Adam(ps, betas=(1.0, 0.9)), ValueError, "Invalid beta parameter at index 0: 1.0"),
    (lambda ps: tf.optim.Adam(ps, betas=(0.9, -0.1)), ValueError, "Invalid beta parameter at index 1: -0.1"),
    (lambda ps: tf.optim.AdamW(ps, betas=(0.9, 1.5)), ValueError, "Invalid beta parameter at index 1"),
    (lambda ps: tf.optim.Adam(ps, eps=-1), ValueError, "Invalid epsilon value: -1"),
    (lambda ps: tf.optim.AdamW(ps, weight_decay=-0.1), ValueError, "Invalid weight_decay value"),
    (lambda ps: tf.optim.RMSprop(ps, alpha=-1), ValueError, "Invalid alpha value: -1"),
    (lambda ps: tf.optim.RMSprop(ps, momentum=-1), ValueError, "Invalid momentum value"),
    (lambda ps: tf.optim.Adagrad(ps, lr_decay=-1), ValueError, "Invalid lr_decay value: -1"),
    (lambda ps: tf.optim.Adagrad(ps, initial_accumulator_value=-1), ValueError,
     "Invalid initial_accumulator_value value"),
    (lambda ps: tf.optim.SGD([], lr=0.1), ValueError, "empty parameter list"),
    (lambda ps: tf.optim.SGD(ps[0], lr=0.1), TypeError, "iterable of Tensors or dicts"),
    (lambda ps: tf.optim.SGD(set(ps), lr=0.1), TypeError, "ordered collections"),
    (lambda ps: tf.optim.SGD([ps[0], 1.0], lr=0.1), TypeError, "can only optimize Tensors"),
    (lambda ps: tf.optim.SGD([ps[0] * 2], lr=0.1), ValueError, "non-leaf"),
    (lambda ps: tf.optim.SGD([{"params": ps}, {"params": ps}], lr=0.1), ValueError, "more than one parameter group"),
])
def test_hyperparameter_validation(make, err, msg):
    with pytest.raises(err, match=msg):
        make([nn.Parameter(tf.ones(2))])


def test_fused_kernel_front_end_errors_leave_tensors_untouched():
    p, m, v = tf.ones(4), tf.zeros(4), tf.zeros(4)
    before = p._c.version
    with pytest.raises(ValueError, match=r"\[adam\] grad shape \[3\] does not match param shape \[4\]"):
        _C.adam_step(p._c, tf.ones(3)._c, m._c, v._c, None, 1, 0.1, 0.9, 0.999, 1e-8, 0.0, False, False)
    with pytest.raises(TypeError, match=r"\[adamw\] exp_avg_sq dtype float64 does not match param dtype float32"):
        _C.adam_step(p._c, tf.ones(4)._c, m._c, tf.zeros(4, dtype=tf.float64)._c, None, 1, 0.1, 0.9, 0.999, 1e-8,
                     0.0, True, False)
    with pytest.raises(ValueError, match=r"\[sgd\] momentum_buffer shape \[2\] does not match"):
        _C.sgd_step(p._c, tf.ones(4)._c, tf.zeros(2)._c, 0.1, 0.9, 0.0, 0.0, False, False, True)
    with pytest.raises(ValueError, match=r"\[sgd\] momentum_buffer is required"):
        _C.sgd_step(p._c, tf.ones(4)._c, None, 0.1, 0.9, 0.0, 0.0, False, False, True)
    with pytest.raises(TypeError, match=r"\[rmsprop\] parameters must be float32 or float64, got int64"):
        _C.rmsprop_step(tf.ones(4, dtype=tf.int64)._c, tf.ones(4, dtype=tf.int64)._c,
                        tf.zeros(4, dtype=tf.int64)._c, None, None, 0.1, 0.99, 1e-8, 0.0, 0.0, False)
    with pytest.raises(ValueError, match=r"\[adagrad\] parameter of shape \[2, 2\] is not contiguous"):
        q = tf.ones(2, 2).t()
        _C.adagrad_step(q._c, tf.ones(2, 2)._c, tf.zeros(2, 2)._c, 1, 0.1, 0.0, 0.0, 1e-10, False)
    with pytest.raises(ValueError, match=r"\[adagrad\] sum of shape \[2, 2\] is not contiguous"):
        _C.adagrad_step(tf.ones(2, 2)._c, tf.ones(2, 2)._c, tf.zeros(2, 2).t()._c, 1, 0.1, 0.0, 0.0, 1e-10, False)
    with pytest.raises(ValueError, match=r"step must be >= 1, got 0"):
        _C.adam_step(p._c, tf.ones(4)._c, m._c, v._c, None, 0, 0.1, 0.9, 0.999, 1e-8, 0.0, False, False)
    with pytest.raises(TypeError, match=r"\[adam\] grad dtype float64 does not match param dtype float32"):
        _C.adam_step(p._c, tf.ones(4, dtype=tf.float64)._c, m._c, v._c, None, 1, 0.1, 0.9, 0.999, 1e-8, 0.0, False,
                     False)
    assert p.tolist() == [1.0] * 4 and m.tolist() == [0.0] * 4 and p._c.version == before


def test_non_contiguous_grad_is_accepted():
    p = nn.Parameter(tf.zeros(2, 3))
    opt = tf.optim.SGD([p], lr=1.0)
    g = tf.arange(6).float().reshape(3, 2)
    p.grad = g.t()
    opt.step()
    np.testing.assert_array_equal(p.detach().numpy(), -g.numpy().T)


def test_optimizer_error_in_step_names_the_op():
    p = nn.Parameter(tf.ones(3))
    p.grad = tf.ones(3, dtype=tf.float64)
    with pytest.raises(TypeError, match=r"\[sgd\] grad dtype float64"):
        tf.optim.SGD([p], lr=0.1).step()
