"""Batch norm, layer norm, group norm against PyTorch, including running statistics."""
import numpy as np
import pytest

import tensorforge as tf
import tensorforge.nn as nn
from helpers import check_op, rand, torch


def test_layer_norm():
    check_op(lambda m, x, w, b: m.nn.functional.layer_norm(x, (5,), w, b), [rand(3, 4, 5), rand(5), rand(5)])
    check_op(lambda m, x: m.nn.functional.layer_norm(x, (4, 5)), [rand(3, 4, 5)])
    check_op(lambda m, x: m.nn.LayerNorm(5, elementwise_affine=False)(x), [rand(2, 5)])


def test_group_norm():
    check_op(lambda m, x, w, b: m.nn.functional.group_norm(x, 2, w, b), [rand(2, 4, 3, 3), rand(4), rand(4)])


@pytest.mark.parametrize("shape,cls", [((8, 3), "BatchNorm1d"), ((8, 3, 5), "BatchNorm1d"), ((4, 3, 5, 6), "BatchNorm2d")])
def test_batch_norm_functional_train_eval(shape, cls):
    x, w, b = rand(*shape), rand(3), rand(3)
    rm, rv = rand(3), np.abs(rand(3)) + 0.5
    check_op(lambda m, x_, w_, b_: m.nn.functional.batch_norm(x_, m.tensor(rm), m.tensor(rv), w_, b_, training=True),
             [x, w, b], fd=False)
    check_op(lambda m, x_, w_, b_: m.nn.functional.batch_norm(x_, m.tensor(rm), m.tensor(rv), w_, b_, training=False),
             [x, w, b], fd=False)


@pytest.mark.skipif(torch is None, reason="needs PyTorch")
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batch_norm_module_running_stats(momentum):
    ours, theirs = nn.BatchNorm2d(3, momentum=momentum), torch.nn.BatchNorm2d(3, momentum=momentum)
    for _ in range(4):
        x = rand(4, 3, 5, 5) * 2 + 1
        y1, y2 = ours(tf.tensor(x)), theirs(torch.tensor(x))
        np.testing.assert_allclose(y1.detach().numpy(), y2.detach().numpy(), rtol=1e-4, atol=1e-5)
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(getattr(ours, name).numpy(), getattr(theirs, name).numpy(), rtol=1e-5, atol=1e-6)
    assert ours.num_batches_tracked.item() == 4
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.eval()
    theirs.eval()
    x = rand(2, 3, 4, 4)
    np.testing.assert_allclose(ours(tf.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-4, atol=1e-5)


def test_batch_norm_errors():
    with pytest.raises(ValueError, match="expected 3 channels"):
        nn.BatchNorm2d(3)(tf.randn(2, 4, 3, 3))
    with pytest.raises(ValueError, match="4D"):
        nn.BatchNorm2d(3)(tf.randn(2, 3))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(tf.randn(1, 3))
