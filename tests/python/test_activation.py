"""Activations (functional, modules, in-place forms) against PyTorch, forward and backward."""
import numpy as np
import pytest

import tensorforge as tf
import tensorforge.nn as nn
from helpers import check_op, rand, torch

ACTS = {
    "relu": lambda m, x: m.nn.functional.relu(x),
    "relu6": lambda m, x: m.nn.functional.relu6(x * 8),
    "leaky_relu": lambda m, x: m.nn.functional.leaky_relu(x, 0.2),
    "leaky_relu_default": lambda m, x: m.nn.functional.leaky_relu(x),
    "elu": lambda m, x: m.nn.functional.elu(x, 0.7),
    "gelu": lambda m, x: m.nn.functional.gelu(x),
    "gelu_tanh": lambda m, x: m.nn.functional.gelu(x, approximate="tanh"),
    "silu": lambda m, x: m.nn.functional.silu(x),
    "softplus": lambda m, x: m.nn.functional.softplus(x * 30, beta=0.5, threshold=5),
    "softplus_default": lambda m, x: m.nn.functional.softplus(x),
    "mish": lambda m, x: m.nn.functional.mish(x),
    "softsign": lambda m, x: m.nn.functional.softsign(x),
    "logsigmoid": lambda m, x: m.nn.functional.logsigmoid(x),
    "hardtanh": lambda m, x: m.nn.functional.hardtanh(x * 2),
    "hardtanh_range": lambda m, x: m.nn.functional.hardtanh(x * 2, -0.5, 1.5),
    "sigmoid": lambda m, x: m.nn.functional.sigmoid(x),
    "tanh": lambda m, x: m.nn.functional.tanh(x),
    "softmax": lambda m, x: m.nn.functional.softmax(x, dim=1),
    "softmax_neg_dim": lambda m, x: m.nn.functional.softmax(x, dim=-2),
    "log_softmax": lambda m, x: m.nn.functional.log_softmax(x, dim=0),
    "softmin": lambda m, x: m.nn.functional.softmin(x, dim=1),
}


@pytest.mark.parametrize("name", list(ACTS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activation_functions(name, dtype):
    check_op(ACTS[name], [(rand(4, 5) * 3).astype(dtype)])


@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "silu", "elu", "leaky_relu", "softplus", "softmax"])
def test_activation_functions_long_rows(name):
    # long enough for the vector bodies plus a ragged tail
    check_op(ACTS[name], [rand(3, 53) * 4], fd=False)


MODULES = [
    ("ReLU", {}), ("ReLU6", {}), ("LeakyReLU", {"negative_slope": 0.3}), ("ELU", {"alpha": 0.5}), ("GELU", {}),
    ("GELU", {"approximate": "tanh"}), ("SiLU", {}), ("Sigmoid", {}), ("Tanh", {}),
    ("Softplus", {"beta": 2.0, "threshold": 3.0}), ("Mish", {}), ("Hardtanh", {"min_val": -0.5, "max_val": 0.5}),
    ("Softsign", {}), ("LogSigmoid", {}), ("Softmax", {"dim": 1}), ("LogSoftmax", {"dim": 1}), ("Softmin", {"dim": 0}),
]


@pytest.mark.parametrize("name,kw", MODULES, ids=[f"{n}{k}" for n, k in MODULES])
def test_activation_modules(name, kw):
    check_op(lambda m, x: getattr(m.nn, name)(**kw)(x), [rand(3, 4) * 3], fd=False)


@pytest.mark.skipif(torch is None, reason="needs PyTorch")
@pytest.mark.parametrize("name,kw", MODULES + [("ReLU", {"inplace": True}), ("LeakyReLU", {"inplace": True}),
                                               ("ELU", {"alpha": 2.0, "inplace": True})],
                         ids=lambda v: str(v))
def test_activation_repr(name, kw):
    assert repr(getattr(nn, name)(**kw)) == repr(getattr(torch.nn, name)(**kw))


INPLACE = {
    "relu": lambda m, x: m.nn.functional.relu(x * 1, inplace=True),
    "relu6": lambda m, x: m.nn.functional.relu6(x * 8, inplace=True),
    "leaky_relu": lambda m, x: m.nn.functional.leaky_relu(x * 1, 0.1, inplace=True),
    "elu": lambda m, x: m.nn.functional.elu(x * 1, 1.5, inplace=True),
    "silu": lambda m, x: m.nn.functional.silu(x * 1, inplace=True),
    "mish": lambda m, x: m.nn.functional.mish(x * 1, inplace=True),
    "hardtanh": lambda m, x: m.nn.functional.hardtanh(x * 2, inplace=True),
    "ReLU": lambda m, x: m.nn.ReLU(inplace=True)(x * 1),
    "LeakyReLU": lambda m, x: m.nn.LeakyReLU(0.2, inplace=True)(x + 0),
    "ELU": lambda m, x: m.nn.ELU(inplace=True)(x + 0),
    "SiLU": lambda m, x: m.nn.SiLU(inplace=True)(x + 0),
}


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_activations(name):
    check_op(INPLACE[name], [rand(3, 4) * 2])


def test_inplace_writes_into_input():
    x = tf.tensor(rand(10) * 3)
    y = nn.functional.elu(x, inplace=True)
    assert y is x and float(x.min()) >= -1.0
    x = tf.tensor(rand(10) * 3)
    assert nn.SiLU(inplace=True)(x) is x
    with tf.no_grad():
        leaf = tf.tensor(rand(4), requires_grad=True)
        nn.functional.leaky_relu(leaf, inplace=True)


def test_inplace_on_leaf_requiring_grad_raises():
    x = tf.tensor(rand(4), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        nn.functional.elu(x, inplace=True)


def test_activation_errors():
    with pytest.raises(ValueError, match="gelu"):
        nn.functional.gelu(tf.randn(3), approximate="fast")
    with pytest.raises(ValueError, match="hardtanh"):
        nn.functional.hardtanh(tf.randn(3), 1.0, -1.0)


def test_one_node_per_fused_activation():
    x = tf.tensor(rand(5), requires_grad=True)
    for fn in (nn.functional.gelu, nn.functional.silu, nn.functional.elu, nn.functional.softplus,
               nn.functional.leaky_relu):
        y = fn(x)
        assert y.grad_fn is not None and all(p is x for p in y.grad_fn.parents)
