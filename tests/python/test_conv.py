"""Convolution and pooling: forward and every gradient against PyTorch and finite differences."""
import numpy as np
import pytest

import tensorforge as tf
import tensorforge.nn as nn
from helpers import check_op, rand, torch

CONV = [
    dict(), dict(stride=2), dict(padding=1), dict(padding=(2, 1), stride=(1, 2)), dict(dilation=2, padding=2),
    dict(groups=2), dict(padding="same"), dict(padding="valid"), dict(stride=3, padding=1, dilation=(1, 2)),
]


@pytest.mark.parametrize("kw", CONV, ids=[str(k) for k in CONV])
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d(kw, bias, isa):
    x, w, b = rand(2, 4, 7, 6), rand(6, 4 // kw.get("groups", 1), 3, 3), rand(6)
    if bias:
        check_op(lambda m, x_, w_, b_: m.nn.functional.conv2d(x_, w_, b_, **kw), [x, w, b], fd=False, atol=1e-4)
    else:
        check_op(lambda m, x_, w_: m.nn.functional.conv2d(x_, w_, None, **kw), [x, w], fd=False, atol=1e-4)


def test_conv2d_finite_differences_and_depthwise():
    check_op(lambda m, x, w, b: m.nn.functional.conv2d(x, w, b, stride=2, padding=1), [rand(1, 2, 5, 4), rand(2, 2, 3, 3), rand(2)])
    check_op(lambda m, x, w: m.nn.functional.conv2d(x, w, groups=3, padding=1), [rand(2, 3, 6, 6), rand(3, 1, 3, 3)], fd=False)
    check_op(lambda m, x, w: m.nn.functional.conv2d(x, w), [rand(2, 8, 5, 5), rand(4, 8, 1, 1)], fd=False)  # pointwise
    check_op(lambda m, x, w: m.nn.functional.conv2d(x, w, padding=1), [rand(3, 6, 6), rand(2, 3, 3, 3)], fd=False)  # unbatched


@pytest.mark.parametrize("kw", [dict(), dict(stride=2), dict(stride=2, padding=1, output_padding=1), dict(groups=2),
                                dict(dilation=2, padding=1)])
def test_conv_transpose2d(kw):
    check_op(lambda m, x, w, b: m.nn.functional.conv_transpose2d(x, w, b, **kw), [rand(2, 4, 5, 4), rand(4, 3, 3, 3), rand(3 * kw.get("groups", 1))] if kw.get("groups", 1) == 1 else
             [rand(2, 4, 5, 4), rand(4, 3, 3, 3), rand(6)], fd=False, atol=1e-4)


def test_conv1d_variants():
    check_op(lambda m, x, w, b: m.nn.functional.conv1d(x, w, b, stride=2, padding=1, dilation=2), [rand(2, 3, 11), rand(5, 3, 3), rand(5)], fd=False)
    check_op(lambda m, x, w: m.nn.functional.conv1d(x, w, padding="same"), [rand(2, 3, 9), rand(4, 3, 4)], fd=False)
    check_op(lambda m, x, w: m.nn.functional.conv_transpose1d(x, w, stride=2), [rand(2, 3, 6), rand(3, 2, 3)], fd=False)


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=3, stride=2, ceil_mode=True), dict(kernel_size=2, dilation=2),
                                dict(kernel_size=(3, 2), stride=(1, 2))])
def test_max_pool2d(kw, isa):
    check_op(lambda m, x: m.nn.functional.max_pool2d(x, **kw), [rand(2, 3, 9, 8)], fd=False)
    check_op(lambda m, x: m.nn.functional.max_pool2d(x, return_indices=True, **kw), [rand(2, 3, 9, 8)], fd=False)


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
                                dict(kernel_size=3, ceil_mode=True, stride=2), dict(kernel_size=2, divisor_override=3)])
def test_avg_pool2d(kw):
    check_op(lambda m, x: m.nn.functional.avg_pool2d(x, **kw), [rand(2, 3, 9, 8)], fd=False)


@pytest.mark.parametrize("size", [1, (3, 4), (5, 7), (None, 2)])
def test_adaptive_avg_pool2d(size):
    check_op(lambda m, x: m.nn.functional.adaptive_avg_pool2d(x, size), [rand(2, 3, 9, 7)], fd=False)


def test_pool1d_and_pad_interpolate():
    check_op(lambda m, x: (m.nn.functional.max_pool1d(x, 2), m.nn.functional.avg_pool1d(x, 3, 2, 1),
                           m.nn.functional.adaptive_avg_pool1d(x, 4)), [rand(2, 3, 10)], fd=False)
    for mode in ("constant", "reflect", "replicate", "circular"):
        check_op(lambda m, x: m.nn.functional.pad(x, (1, 2, 2, 0), mode=mode), [rand(2, 3, 5, 5)], fd=False)
    check_op(lambda m, x: m.nn.functional.pad(x, (1, -1), value=2.5), [rand(2, 4)], fd=False)
    for kw in (dict(scale_factor=2, mode="nearest"), dict(size=(7, 3), mode="bilinear", align_corners=False),
               dict(size=(7, 9), mode="bilinear", align_corners=True)):
        check_op(lambda m, x: m.nn.functional.interpolate(x, **kw), [rand(1, 2, 4, 5)], fd=False)


def test_modules_state_dict_and_init():
    conv = nn.Conv2d(3, 16, 3, padding=1)
    assert list(conv.state_dict()) == ["weight", "bias"] and conv.weight.shape == (16, 3, 3, 3)
    bound = 1 / np.sqrt(27)
    assert float(conv.weight.abs().max()) <= bound + 1e-6 and float(conv.bias.abs().max()) <= bound + 1e-6
    assert nn.ConvTranspose2d(4, 6, 3, groups=2).weight.shape == (4, 3, 3, 3)
    assert repr(nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False)) == \
        "Conv2d(3, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)"
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    if torch is not None:
        tconv = torch.nn.Conv2d(3, 16, 3, padding=1, padding_mode="reflect")
        ours = nn.Conv2d(3, 16, 3, padding=1, padding_mode="reflect")
        ours.load_state_dict({k: tf.tensor(v.detach().numpy()) for k, v in tconv.state_dict().items()})
        x = rand(2, 3, 8, 8)
        np.testing.assert_allclose(ours(tf.tensor(x)).detach().numpy(), tconv(torch.tensor(x)).detach().numpy(),
                                   rtol=1e-4, atol=1e-5)


BAD = [
    (lambda: nn.Conv2d(3, 8, 3)(tf.randn(1, 4, 8, 8)), "expected input with 3 channels"),
    (lambda: nn.Conv2d(3, 8, 3)(tf.randn(8, 8)), "3-D (C, H, W) or 4-D"),
    (lambda: nn.Conv2d(3, 8, 5)(tf.randn(1, 3, 2, 2)), "can't be greater than the padded input"),
    (lambda: tf.nn.functional.conv2d(tf.randn(1, 4, 5, 5), tf.randn(6, 2, 3, 3), groups=3), "channels"),
    (lambda: tf.nn.functional.conv2d(tf.randn(1, 3, 5, 5), tf.randn(2, 3, 3, 3, dtype=tf.float64)), "same dtype"),
    (lambda: tf.nn.functional.conv2d(tf.randn(1, 3, 5, 5), tf.randn(2, 3, 3, 3), stride=0), "stride"),
    (lambda: tf.nn.functional.max_pool2d(tf.randn(1, 1, 4, 4), 2, padding=2), "pad should be at most half"),
    (lambda: tf.nn.functional.max_pool2d(tf.randn(1, 1, 2, 2), 5), "too small"),
    (lambda: tf.nn.functional.avg_pool2d(tf.randn(4, 4), 2), "3-D (C, H, W) or 4-D"),
    (lambda: tf.nn.functional.conv2d(tf.randn(1, 2, 5, 5), tf.randn(2, 2, 3, 3), padding="full"), "invalid padding"),
]


@pytest.mark.parametrize("fn,msg", BAD)
def test_bad_conv_input_raises(fn, msg):
    with pytest.raises((RuntimeError, ValueError)) as info:
        fn()
    assert msg in str(info.value)
