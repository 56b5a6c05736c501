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


DEPTHWISE = [  # (input shape, weight shape, kwargs): the direct kernels (groups == input channels)
    ((2, 3, 9, 37), (3, 1, 3, 3), dict(padding=1)),
    ((2, 3, 9, 37), (6, 1, 3, 3), dict(padding=1)),  # depth multiplier 2
    ((1, 4, 11, 40), (4, 1, 3, 3), dict(stride=2, padding=1)),
    ((2, 2, 12, 35), (2, 1, 5, 3), dict(padding=(2, 0), dilation=(1, 2))),
    ((2, 2, 8, 21), (4, 1, 2, 4), dict(stride=(1, 3), padding=(1, 2))),
    ((2, 1, 10, 20), (5, 1, 3, 3), dict()),  # one input channel: groups=1 is depthwise too
    ((1, 3, 4, 5), (3, 1, 5, 5), dict(padding=2)),  # no interior columns at all
    ((2, 3, 6, 70), (3, 1, 7, 7), dict(padding=3)),
    ((1, 2, 6, 6), (2, 1, 3, 3), dict(padding=3)),  # padding beyond the window: the scatter gradient
]


@pytest.mark.parametrize("xs,ws,kw", DEPTHWISE, ids=[str(c[2]) for c in DEPTHWISE])
def test_depthwise_conv2d(xs, ws, kw, isa):
    kw = dict(kw, groups=xs[1])
    check_op(lambda m, x, w, b: m.nn.functional.conv2d(x, w, b, **kw), [rand(*xs), rand(*ws), rand(ws[0])], fd=False)


def test_depthwise_finite_differences_and_transposed():
    f64 = dict(dtype=np.float64)
    check_op(lambda m, x, w: m.nn.functional.conv2d(x, w, stride=2, padding=1, groups=2),
             [rand(1, 2, 5, 6, **f64), rand(4, 1, 3, 3, **f64)])
    check_op(lambda m, x, w: m.nn.functional.conv2d(x, w, padding=1, groups=2),
             [rand(1, 2, 5, 6, **f64), rand(2, 1, 3, 3, **f64)])
    check_op(lambda m, x, w, b: m.nn.functional.conv_transpose2d(x, w, b, stride=2, padding=1, groups=3),
             [rand(2, 3, 5, 19), rand(3, 2, 3, 3), rand(6)], fd=False)
    check_op(lambda m, x, w: m.nn.functional.conv_transpose2d(x, w, groups=4, dilation=2),
             [rand(1, 4, 6, 18), rand(4, 1, 3, 3)], fd=False)


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


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=3, stride=1, padding=1), dict(kernel_size=2, padding=1, stride=1),
                                dict(kernel_size=(5, 4), stride=(2, 3), padding=2),
                                dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pool_interior_and_border_paths(kw, dtype, isa):
    # planes wide enough for an interior region (compile-time windows) and a clipped border
    x = rand(2, 3, 19, 37, dtype=dtype)
    check_op(lambda m, x_: m.nn.functional.max_pool2d(x_, return_indices=True, **kw), [x], fd=False)
    check_op(lambda m, x_: m.nn.functional.avg_pool2d(x_, **kw), [x], fd=False)
    check_op(lambda m, x_: m.nn.functional.avg_pool2d(x_, count_include_pad=False, **kw), [x], fd=False)


def test_max_pool_nan_and_ties_match_torch():
    x = np.zeros((1, 2, 12, 12), np.float32)  # all ties: the first index in each window wins
    x[0, 1, 5, 6] = np.nan
    x[0, 1, 0, 0] = np.nan  # a NaN in a border window
    for kw in (dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=3, stride=1)):
        out, idx = tf.nn.functional.max_pool2d(tf.tensor(x), return_indices=True, **kw)
        if torch is not None:
            tout, tidx = torch.nn.functional.max_pool2d(torch.tensor(x), return_indices=True, **kw)
            np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
            np.testing.assert_array_equal(out.numpy(), tout.numpy())


@pytest.mark.parametrize("size", [1, 2, (3, 5)])
def test_adaptive_avg_pool2d_large_planes(size):
    # long window rows take the vectorised sums
    check_op(lambda m, x: m.nn.functional.adaptive_avg_pool2d(x, size), [rand(2, 4, 33, 70)], fd=False)


def test_pool1d():
    check_op(lambda m, x: (m.nn.functional.max_pool1d(x, 2), m.nn.functional.avg_pool1d(x, 3, 2, 1),
                           m.nn.functional.adaptive_avg_pool1d(x, 4)), [rand(2, 3, 10)], fd=False)
    check_op(lambda m, x: m.nn.functional.max_pool1d(x, 3, 2, 1, ceil_mode=True, return_indices=True), [rand(2, 3, 10)],
             fd=False)


def test_max_pool2d_indices_unbatched_and_fd():
    x = rand(3, 7, 7)
    out, idx = tf.nn.functional.max_pool2d(tf.tensor(x), 3, 2, 1, return_indices=True)
    if torch is not None:
        _, tidx = torch.nn.functional.max_pool2d(torch.tensor(x), 3, 2, 1, return_indices=True)
        np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    check_op(lambda m, x_: m.nn.functional.max_pool2d(x_, 2, 1, dilation=2), [rand(1, 2, 6, 5, dtype=np.float64)])
    check_op(lambda m, x_: m.nn.functional.avg_pool2d(x_, 3, 2, 1, ceil_mode=True, count_include_pad=False),
             [rand(1, 2, 6, 5)])
    check_op(lambda m, x_: m.nn.functional.adaptive_avg_pool2d(x_, (4, 3)), [rand(1, 2, 7, 5)])


PADS = [((1, 2), "constant"), ((1, 2, 2, 0), "constant"), ((1, -1, 0, 2, 1, 1), "constant"), ((-2, 1), "constant"),
        ((1, 2), "reflect"), ((1, 2, 2, 0), "reflect"), ((2, 3, 1, 4), "replicate"), ((0, 2), "replicate"),
        ((1, 2, 2, 0), "circular"), ((-1, 2, 1, 1), "reflect"), ((3, 1), "circular")]


@pytest.mark.parametrize("pads,mode", PADS, ids=[f"{m}{p}" for p, m in PADS])
def test_pad(pads, mode):
    shapes = [(2, 3, 5, 4)] if len(pads) > 2 or mode == "constant" else [(3, 5, 4)]
    if mode != "constant" and len(pads) == 2:
        shapes = [(3, 5), (2, 3, 5)]
    for shape in shapes:
        check_op(lambda m, x: m.nn.functional.pad(x, pads, mode=mode), [rand(*shape)], fd=False)
    check_op(lambda m, x: m.nn.functional.pad(x, pads, mode=mode), [rand(*shapes[-1], dtype=np.float64)])


def test_pad_value_and_ints():
    check_op(lambda m, x: m.nn.functional.pad(x, (1, -1), value=2.5), [rand(2, 4)], fd=False)
    check_op(lambda m, x: m.nn.functional.pad(x, (2, 1, 0, 1), value=-1.0), [rand(3, 4)])
    out = tf.nn.functional.pad(tf.arange(6).reshape(2, 3), (1, 1), value=7)
    assert out.dtype == tf.int64 and out.tolist() == [[7, 0, 1, 2, 7], [7, 3, 4, 5, 7]]


INTERP = [dict(scale_factor=2, mode="nearest"), dict(size=(7, 3), mode="nearest"), dict(scale_factor=1.7, mode="nearest"),
          dict(size=(5, 9), mode="nearest-exact"), dict(scale_factor=(0.5, 1.5), mode="nearest-exact"),
          dict(size=(7, 3), mode="bilinear", align_corners=False), dict(size=(7, 9), mode="bilinear", align_corners=True),
          dict(scale_factor=2, mode="bilinear"), dict(scale_factor=0.6, mode="bilinear", align_corners=False),
          dict(scale_factor=1.3, mode="bilinear", recompute_scale_factor=True), dict(size=(2, 3), mode="area"),
          dict(size=(1, 1), mode="bilinear", align_corners=True)]


@pytest.mark.parametrize("kw", INTERP, ids=[str(k) for k in INTERP])
def test_interpolate(kw):
    check_op(lambda m, x: m.nn.functional.interpolate(x, **kw), [rand(2, 3, 4, 5)], fd=False)


def test_interpolate_1d_fd_and_upsample():
    check_op(lambda m, x: m.nn.functional.interpolate(x, scale_factor=2.5, mode="linear"), [rand(2, 3, 6)], fd=False)
    check_op(lambda m, x: m.nn.functional.interpolate(x, size=9, mode="nearest"), [rand(2, 3, 6)], fd=False)
    check_op(lambda m, x: m.nn.functional.interpolate(x, size=(5, 6), mode="bilinear", align_corners=True),
             [rand(1, 2, 3, 4, dtype=np.float64)])
    check_op(lambda m, x: m.nn.functional.interpolate(x, scale_factor=2, mode="nearest"), [rand(1, 2, 3, 2)])
    check_op(lambda m, x: m.nn.Upsample(scale_factor=2, mode="bilinear")(x), [rand(1, 2, 3, 4)], fd=False)


def test_conv_float64_with_finite_differences():
    f64 = dict(dtype=np.float64)
    check_op(lambda m, x, w, b: m.nn.functional.conv2d(x, w, b, stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2),
             [rand(1, 4, 5, 4, **f64), rand(4, 2, 3, 2, **f64), rand(4, **f64)])
    check_op(lambda m, x, w, b: m.nn.functional.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=(1, 0),
                                                                 groups=2, dilation=(1, 2)),
             [rand(1, 4, 4, 3, **f64), rand(4, 1, 3, 3, **f64), rand(2, **f64)])
    check_op(lambda m, x, w: m.nn.functional.conv1d(x, w, stride=3, groups=3), [rand(2, 3, 10, **f64), rand(6, 1, 4, **f64)])


CONV_EXTRA = [  # (input, weight, kwargs): odd sizes, depthwise with multiplier, 1x1 strided, big kernels, same+dilation
    ((3, 5, 11, 13), (5, 1, 3, 3), dict(groups=5, padding=1, stride=2)),
    ((2, 4, 9, 7), (8, 1, 3, 3), dict(groups=4, padding="same")),
    ((2, 6, 9, 8), (4, 6, 1, 1), dict(stride=2)),
    ((1, 3, 12, 10), (4, 3, 5, 4), dict(padding="same", dilation=2)),
    ((2, 3, 8, 8), (6, 1, 7, 7), dict(groups=3, padding=3)),
    ((4, 2, 5, 5), (3, 2, 5, 5), dict()),
    ((2, 8, 6, 6), (8, 2, 2, 2), dict(groups=4, stride=2, dilation=1, padding=(0, 1))),
]


@pytest.mark.parametrize("xs,ws,kw", CONV_EXTRA, ids=[str(c[2]) + str(c[1]) for c in CONV_EXTRA])
def test_conv2d_more_shapes(xs, ws, kw):
    check_op(lambda m, x, w, b: m.nn.functional.conv2d(x, w, b, **kw), [rand(*xs), rand(*ws), rand(ws[0])],
             fd=False, atol=1e-4)


def test_conv_partial_gradients():
    x, w = tf.tensor(rand(2, 3, 6, 6)), tf.tensor(rand(4, 3, 3, 3), requires_grad=True)
    tf.nn.functional.conv2d(x, w, padding=1).sum().backward()
    assert x.grad is None and w.grad is not None
    x.requires_grad_(True)
    w2 = tf.tensor(rand(4, 3, 3, 3))
    tf.nn.functional.conv2d(x, w2).sum().backward()
    assert x.grad is not None and w2.grad is None


def test_conv_transpose_module_and_1d():
    check_op(lambda m, x: m.nn.functional.conv_transpose1d(x, m.ones(3, 2, 3), stride=2, padding=1, output_padding=1),
             [rand(2, 3, 5)], fd=False)
    if torch is not None:
        for cls, args, shape in ((nn.ConvTranspose2d, (4, 6, 3), (2, 4, 5, 5)), (nn.Conv1d, (4, 6, 3), (2, 4, 9)),
                                 (nn.ConvTranspose1d, (4, 6, 3), (2, 4, 9))):
            kw = dict(stride=2, groups=2)
            theirs = getattr(torch.nn, cls.__name__)(*args, **kw)
            ours = cls(*args, **kw)
            ours.load_state_dict({k: tf.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
            x = rand(*shape)
            np.testing.assert_allclose(ours(tf.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                                       rtol=1e-4, atol=1e-5)


def test_default_init_statistics():
    tf.manual_seed(0)
    conv = nn.Conv2d(64, 128, 3)
    w, b = conv.weight.detach().numpy(), conv.bias.detach().numpy()
    bound = 1 / np.sqrt(64 * 9)  # kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.02 * bound and abs(w.mean()) < 0.02 * bound
    assert np.abs(b).max() <= bound and b.std() > 0.4 * bound
    t = nn.ConvTranspose2d(16, 8, 4, groups=2)  # fan_in of a transposed weight is its dim 1 * kernel
    assert np.abs(t.weight.detach().numpy()).max() <= 1 / np.sqrt(4 * 16)
    assert np.abs(t.bias.detach().numpy()).max() <= 1 / np.sqrt(4 * 16)
    assert list(nn.Conv1d(3, 5, 2, bias=False).state_dict()) == ["weight"]


def test_module_reprs():
    assert repr(nn.Conv1d(2, 4, 3, padding="same", dilation=2)) == \
        "Conv1d(2, 4, kernel_size=(3,), stride=(1,), padding=same, dilation=(2,))"
    assert repr(nn.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1, groups=2)) == \
        "ConvTranspose2d(4, 2, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1), groups=2)"
    assert repr(nn.AvgPool2d(3, 2, 1)) == "AvgPool2d(kernel_size=3, stride=2, padding=1)"
    assert repr(nn.AdaptiveAvgPool2d((5, None))) == "AdaptiveAvgPool2d(output_size=(5, None))"
    if torch is not None:
        for ours, theirs in ((nn.Conv1d(2, 4, 3, padding="same", dilation=2), torch.nn.Conv1d(2, 4, 3, padding="same", dilation=2)),
                             (nn.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1, groups=2),
                              torch.nn.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1, groups=2)),
                             (nn.MaxPool2d(3, 2, 1, ceil_mode=True), torch.nn.MaxPool2d(3, 2, 1, ceil_mode=True)),
                             (nn.AvgPool2d(3, 2, 1), torch.nn.AvgPool2d(3, 2, 1)),
                             (nn.Upsample(scale_factor=2.0, mode="nearest"), torch.nn.Upsample(scale_factor=2.0))):
            assert repr(ours) == repr(theirs)


def test_pool_modules_match_torch():
    x = rand(2, 3, 9, 8)
    mods = [(nn.MaxPool2d(3, 2, 1), "MaxPool2d", (3, 2, 1)), (nn.AvgPool2d(2), "AvgPool2d", (2,)),
            (nn.AdaptiveAvgPool2d((4, None)), "AdaptiveAvgPool2d", ((4, None),)),
            (nn.Upsample(size=(5, 4), mode="bilinear", align_corners=True), "Upsample",
             ((5, 4), None, "bilinear", True))]
    for ours, name, args in mods:
        y = ours(tf.tensor(x))
        if torch is not None:
            np.testing.assert_allclose(y.numpy(), getattr(torch.nn, name)(*args)(torch.tensor(x)).numpy(),
                                       rtol=1e-5, atol=1e-6)


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
    (lambda: tf.nn.functional.conv2d(tf.randn(1, 4, 5, 5), tf.randn(3, 2, 3, 3), groups=2), "groups 2 must divide"),
    (lambda: tf.nn.functional.conv2d(tf.randn(1, 3, 5, 5), tf.randn(2, 3, 3)), "expected 4-D weight"),
    (lambda: tf.nn.functional.conv2d(tf.randn(1, 3, 5, 5), tf.randn(2, 3, 3, 3), tf.randn(3)), "bias of shape [2]"),
    (lambda: tf.nn.functional.conv2d(tf.randn(1, 3, 5, 5), tf.randn(2, 3, 3, 3), padding=-1), "padding must be >= 0"),
    (lambda: tf.nn.functional.conv2d(tf.randn(1, 3, 5, 5), tf.randn(2, 3, 3, 3), dilation=0), "dilation must be >= 1"),
    (lambda: tf.nn.functional.conv2d(tf.randn(1, 3, 5, 5), tf.randn(2, 3, 3, 3), groups=0), "groups must be a positive"),
    (lambda: tf.nn.functional.conv2d(tf.randn(1, 3, 5, 5), tf.randn(2, 3, 3, 3), stride=2, padding="same"), "strided"),
    (lambda: tf.nn.functional.conv_transpose2d(tf.randn(1, 4, 5, 5), tf.randn(4, 2, 3, 3), stride=2, output_padding=2),
     "output padding must be smaller"),
    (lambda: tf.nn.functional.conv_transpose2d(tf.randn(1, 3, 5, 5), tf.randn(4, 2, 3, 3)), "expected input with 4"),
    (lambda: tf.nn.functional.conv1d(tf.randn(1, 3, 5, 5), tf.randn(2, 3, 3)), "[conv1d] expected 2-D (C, L) or 3-D"),
    (lambda: tf.nn.functional.max_pool2d(tf.randn(1, 1, 4, 4), 2, stride=0), "stride must be greater than zero"),
    (lambda: tf.nn.functional.max_pool2d(tf.randn(1, 1, 4, 4), 0), "kernel size must be greater than zero"),
    (lambda: tf.nn.functional.avg_pool2d(tf.randn(1, 1, 4, 4), 3, padding=2), "pad should be at most half"),
    (lambda: tf.nn.functional.adaptive_avg_pool2d(tf.randn(1, 1, 4, 4), (0, 2)), "output size must be positive"),
    (lambda: tf.nn.functional.max_pool2d(tf.arange(16).reshape(1, 1, 4, 4), 2), "expected a floating input"),
    (lambda: tf.nn.functional.pad(tf.randn(2, 3), (1, 1, 1)), "divisible by 2"),
    (lambda: tf.nn.functional.pad(tf.randn(2, 3), (1, 1, 1, 1, 1, 1)), "at most twice the input dimension"),
    (lambda: tf.nn.functional.pad(tf.randn(1, 2, 3), (3, 0), mode="reflect"), "should be smaller than the input size 3"),
    (lambda: tf.nn.functional.pad(tf.randn(1, 2, 3), (4, 0), mode="circular"), "wraps around more than once"),
    (lambda: tf.nn.functional.pad(tf.randn(1, 2, 3), (1, 0), mode="wrap"), "unknown padding mode"),
    (lambda: tf.nn.functional.pad(tf.randn(2, 3), (-2, -2)), "empty or negative output"),
    (lambda: tf.nn.functional.pad(tf.randn(2, 3, 4, 5, 6), (1, 1, 1, 1), mode="reflect"), "reflect padding supports"),
    (lambda: tf.nn.functional.interpolate(tf.randn(1, 2, 3), size=4, mode="bilinear"), "not supported for 3-D"),
    (lambda: tf.nn.functional.interpolate(tf.randn(1, 2, 3, 3), size=0), "must be positive"),
    (lambda: tf.nn.functional.interpolate(tf.randn(1, 2, 3, 3)), "exactly one of size or scale_factor"),
    (lambda: tf.nn.functional.interpolate(tf.randn(1, 2, 3, 3), size=4, align_corners=True), "align_corners"),
]


@pytest.mark.parametrize("fn,msg", BAD)
def test_bad_conv_input_raises(fn, msg):
    with pytest.raises((RuntimeError, ValueError, TypeError)) as info:
        fn()
    assert msg in str(info.value)
