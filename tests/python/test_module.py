"""Module machinery, Linear, init and nn.utils against PyTorch."""
import math

import numpy as np
import pytest

import tensorforge as tf
import tensorforge.nn as nn
from helpers import check_op, rand, torch


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.blocks = nn.ModuleList([nn.Linear(8, 8), nn.Linear(8, 8)])
        self.heads = nn.ModuleDict({"a": nn.Linear(8, 2)})
        self.register_buffer("scale", tf.ones(1))
        self.register_buffer("tmp", tf.zeros(1), persistent=False)

    def forward(self, x):
        x = self.fc1(x)
        for b in self.blocks:
            x = b(x).tanh()
        return self.heads["a"](x) * self.scale


def test_registration_and_state_dict_keys():
    m = Net()
    keys = list(m.state_dict().keys())
    assert keys == ["scale", "fc1.weight", "fc1.bias", "blocks.0.weight", "blocks.0.bias", "blocks.1.weight",
                    "blocks.1.bias", "heads.a.weight", "heads.a.bias"]
    assert len(list(m.parameters())) == 8 and len(list(m.buffers())) == 2
    assert [n for n, _ in m.named_children()] == ["fc1", "blocks", "heads"]
    assert len(list(m.modules())) == 7


def test_load_state_dict_strict_errors():
    m = Net()
    sd = m.state_dict()
    bad = dict(sd)
    del bad["fc1.bias"]
    with pytest.raises(RuntimeError, match="Missing key"):
        m.load_state_dict(bad)
    bad = dict(sd)
    bad["extra"] = tf.ones(1)
    with pytest.raises(RuntimeError, match="Unexpected key"):
        m.load_state_dict(bad)
    res = m.load_state_dict(bad, strict=False)
    assert res.unexpected_keys == ["extra"] and res.missing_keys == []
    bad = dict(sd)
    bad["fc1.weight"] = tf.ones(3, 3)
    with pytest.raises(RuntimeError, match="size mismatch for fc1.weight"):
        m.load_state_dict(bad, strict=False)


def test_train_eval_zero_grad_apply_requires_grad():
    m = Net()
    m.eval()
    assert all(not x.training for x in m.modules())
    m.train()
    m(tf.randn(2, 4)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen[-1] == "Net"
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    m.double()
    assert m.fc1.weight.dtype is tf.float64


def test_linear_matches_torch():
    if torch is None:
        pytest.skip("needs PyTorch")
    w, b = rand(5, 3), rand(5)
    check_op(lambda m, x, w_, b_: m.nn.functional.linear(x, w_, b_), [rand(4, 3), w, b])
    check_op(lambda m, x, w_: m.nn.functional.linear(x, w_), [rand(2, 6, 3), w])
    check_op(lambda m, x, w_, b_: m.nn.functional.linear(x, w_, b_), [rand(3), w, b])


def test_repr():
    assert repr(nn.Linear(3, 4)) == "Linear(in_features=3, out_features=4, bias=True)"
    s = repr(nn.Sequential(nn.Linear(2, 2)))
    assert s == "Sequential(\n  (0): Linear(in_features=2, out_features=2, bias=True)\n)"


@pytest.mark.parametrize("fn,expected_std", [
    (lambda t: nn.init.xavier_uniform_(t), math.sqrt(2 / (300 + 200))),
    (lambda t: nn.init.xavier_normal_(t), math.sqrt(2 / (300 + 200))),
    (lambda t: nn.init.kaiming_uniform_(t, nonlinearity="relu"), math.sqrt(2 / 200)),
    (lambda t: nn.init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"), math.sqrt(2 / 300)),
    (lambda t: nn.init.normal_(t, 0, 0.02), 0.02),
    (lambda t: nn.init.uniform_(t, -1, 1), 1 / math.sqrt(3)),
])
def test_init_statistics(fn, expected_std):
    t = tf.empty(300, 200)
    fn(t)
    assert abs(float(t.std()) - expected_std) / expected_std < 0.03


def test_orthogonal_and_constant():
    t = tf.empty(6, 4)
    nn.init.orthogonal_(t)
    np.testing.assert_allclose(t.numpy().T @ t.numpy(), np.eye(4), atol=1e-5)
    nn.init.constant_(t, 0.5)
    assert float(t.sum()) == 12
    nn.init.zeros_(t)
    nn.init.eye_(t)
    assert float(t.sum()) == 4
    assert nn.init.calculate_gain("tanh") == 5 / 3


def test_default_linear_init_bounds():
    lin = nn.Linear(100, 50)
    bound = 1 / math.sqrt(100)
    assert float(lin.weight.abs().max()) <= bound + 1e-6 and float(lin.bias.abs().max()) <= bound + 1e-6
    assert abs(float(lin.weight.std()) - bound / math.sqrt(3)) < 0.01


def test_clip_grad_and_vectors():
    if torch is None:
        pytest.skip("needs PyTorch")
    g1, g2 = rand(3, 4) * 5, rand(7) * 5
    ps = [tf.zeros(3, 4, requires_grad=True), tf.zeros(7, requires_grad=True)]
    tps = [torch.zeros(3, 4, requires_grad=True), torch.zeros(7, requires_grad=True)]
    for p, tp, g in zip(ps, tps, (g1, g2)):
        p.grad, tp.grad = tf.tensor(g), torch.tensor(g)
    for norm_type in (2.0, 1.0, float("inf")):
        n1 = nn.utils.clip_grad_norm_(ps, 1.5, norm_type)
        n2 = torch.nn.utils.clip_grad_norm_(tps, 1.5, norm_type)
        np.testing.assert_allclose(float(n1), float(n2), rtol=1e-5)
        for p, tp in zip(ps, tps):
            np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-5, atol=1e-6)
    nn.utils.clip_grad_value_(ps, 0.01)
    torch.nn.utils.clip_grad_value_(tps, 0.01)
    np.testing.assert_allclose(ps[0].grad.numpy(), tps[0].grad.numpy(), rtol=1e-5, atol=1e-7)  # after the norm clips above
    v = nn.utils.parameters_to_vector(ps)
    assert v.shape == (19,)
    nn.utils.vector_to_parameters(tf.arange(19).float(), ps)
    assert ps[1].tolist()[0] == 12.0


def test_parameter_behaves_like_tensor():
    p = nn.Parameter(tf.ones(3))
    assert p.requires_grad and isinstance(p, tf.Tensor)
    out = p * 2 + p ** 2 - tf.ones(3) @ p
    out.sum().backward()
    assert p.grad is not None
    assert repr(p).startswith("Parameter containing:")


def test_reassigning_a_child_or_parameter_keeps_its_position():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 4))
    seq[1] = nn.Tanh()
    setattr(seq, "0", nn.Linear(2, 3))
    assert [type(m).__name__ for m in seq] == ["Linear", "Tanh", "Linear"]
    assert seq(tf.randn(5, 2)).shape == (5, 4)
    lin = nn.Linear(2, 3)
    lin.weight = nn.Parameter(tf.zeros(3, 2))
    assert list(lin.state_dict()) == ["weight", "bias"]
