"""3-D convolution and pooling, unfold / fold, adaptive max pooling, unpooling, LP pooling and
3-D pads: forward and every gradient against PyTorch (and finite differences on small cases)."""
import math

import numpy as np
import pytest

import tensorforge as tf
import tensorforge.nn as nn
from helpers import check_module, check_op, rand, torch

F = nn.functional
needs_torch = pytest.mark.skipif(torch is None, reason="needs PyTorch")

CONV3D = [
    dict(), dict(stride=2), dict(padding=1), dict(padding=(1, 0, 2), stride=(1, 2, 1), dilation=(2, 1, 1)),
    dict(groups=2, padding=1), dict(padding="same"), dict(padding="valid"), dict(dilation=2, padding=2),
]


@pytest.mark.filterwarnings("ignore::UserWarning")  # PyTorch's note on 'same' with an even kernel
@pytest.mark.parametrize("kw", CONV3D, ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_conv3d(kw, bias, isa):
    x, w, b = rand(2, 4, 5, 6, 5), rand(6, 4 // kw.get("groups", 1), 3, 2, 3), rand(6)
    if bias:
        check_op(lambda m, x_, w_, b_: m.nn.functional.conv3d(x_, w_, b_, **kw), [x, w, b], fd=False, atol=1e-4)
    else:
        check_op(lambda m, x_, w_: m.nn.functional.conv3d(x_, w_, None, **kw), [x, w], fd=False, atol=1e-4)


def test_conv3d_special_shapes():
    # pointwise (direct GEMM), depthwise-like groups, unbatched, one image, even 'same' kernel
    check_op(lambda m, x, w: m.nn.functional.conv3d(x, w), [rand(2, 4, 3, 5, 6), rand(6, 4, 1, 1, 1)], fd=False)
    check_op(lambda m, x, w: m.nn.functional.conv3d(x, w, groups=3, padding=1), [rand(2, 3, 4, 5, 6),
                                                                               rand(3, 1, 3, 3, 3)], fd=False)
    check_op(lambda m, x, w: m.nn.functional.conv3d(x, w, padding=1), [rand(2, 4, 5, 6), rand(3, 2, 3, 3, 3)],
             fd=False)
    check_op(lambda m, x, w: m.nn.functional.conv3d(x, w, padding="same"), [rand(1, 2, 4, 5, 6), rand(3, 2, 2, 3, 4)],
             fd=False, torch_fn=lambda m, x, w: m.nn.functional.conv3d(m.nn.functional.pad(x, (1, 2, 1, 1, 0, 1)), w))
    for stride in (2, 1):  # float64 vs finite differences (stride 1: the padded-image kernels)
        check_op(lambda m, x, w: m.nn.functional.conv3d(x, w, stride=stride, padding=1),
                 [rand(1, 2, 3, 4, 3, dtype=np.float64), rand(2, 2, 2, 3, 2, dtype=np.float64)])


def test_conv3d_large_blocks(isa):
    # enough output rows for several row blocks and a threaded weight gradient
    check_op(lambda m, x, w, b: m.nn.functional.conv3d(x, w, b, padding=1), [rand(2, 8, 6, 20, 24), rand(8, 8, 3, 3, 3),
                                                                          rand(8)], fd=False, atol=1e-4, rtol=1e-3)


PADDED = [  # shapes on the padded-image kernels: channel counts off the vector width and
    # over 64, taps off the tile height, dilation, groups, padding beyond dil * (k - 1)
    ((2, 5, 7, 9), (80, 5, 3, 3), dict(padding=1)),
    ((1, 70, 6, 5), (20, 70, 2, 3), dict(padding=(1, 0))),
    ((2, 4, 9, 8), (6, 2, 3, 3), dict(padding=2, dilation=2, groups=2)),
    ((2, 3, 6, 7), (5, 3, 3, 3), dict(padding=3)),
    ((1, 3, 4, 5, 6), (17, 3, 3, 3, 3), dict(padding=1)),
    ((2, 6, 3, 4, 5), (4, 3, 2, 3, 1), dict(padding=(1, 1, 0), groups=2)),
    # strided: the image split into stride phases
    ((2, 5, 9, 11), (20, 5, 3, 3), dict(stride=2, padding=1)),
    ((1, 3, 10, 9), (6, 3, 3, 2), dict(stride=(3, 2), padding=(2, 0), dilation=(2, 1))),
    ((2, 4, 7, 9, 8), (17, 4, 3, 3, 3), dict(stride=2, padding=1)),
    ((1, 4, 6, 7, 9), (6, 2, 2, 3, 3), dict(stride=(1, 2, 3), padding=(0, 1, 1), groups=2)),
]


@pytest.mark.parametrize("xs,ws,kw", PADDED, ids=[str(c[1]) for c in PADDED])
def test_padded_kernels(xs, ws, kw, isa):
    conv = "conv3d" if len(xs) == 5 else "conv2d"
    check_op(lambda m, x, w, b: getattr(m.nn.functional, conv)(x, w, b, **kw), [rand(*xs), rand(*ws), rand(ws[0])],
             fd=False, atol=1e-4)
    f64 = dict(dtype=np.float64)
    check_op(lambda m, x, w: getattr(m.nn.functional, conv)(x, w, **kw), [rand(*xs, **f64), rand(*ws, **f64)],
             fd=False)


@pytest.mark.parametrize("kw", [dict(), dict(stride=2), dict(stride=2, padding=1, output_padding=1), dict(groups=2),
                                dict(dilation=(1, 2, 1), padding=(0, 1, 1))], ids=str)
def test_conv_transpose3d(kw):
    groups = kw.get("groups", 1)
    check_op(lambda m, x, w, b: m.nn.functional.conv_transpose3d(x, w, b, **kw),
             [rand(2, 4, 3, 4, 3), rand(4, 3, 3, 2, 3), rand(3 * groups)], fd=False, atol=1e-4)


@needs_torch
@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=(1, 0, 1), bias=False), dict(groups=2, dilation=2),
                                dict(padding="same", padding_mode="reflect"), dict(padding=1, padding_mode="circular"),
                                dict(padding=(0, 1, 2), padding_mode="replicate")], ids=str)
def test_conv3d_module(kw):
    check_module(lambda m: m.nn.Conv3d(4, 6, 3, **kw), [rand(2, 4, 6, 7, 6)], grad_atol=1e-3)


@needs_torch
def test_conv_transpose3d_module_and_init():
    check_module(lambda m: m.nn.ConvTranspose3d(4, 6, (2, 3, 3), stride=2, padding=1, output_padding=1),
                 [rand(2, 4, 3, 4, 3)], grad_atol=1e-3)
    conv = nn.Conv3d(16, 32, 3)  # kaiming_uniform(a=sqrt(5)): U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    bound = 1 / math.sqrt(16 * 27)
    w = conv.weight.detach().numpy()
    assert np.abs(w).max() <= bound and abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert np.abs(conv.bias.detach().numpy()).max() <= bound


def test_conv3d_errors():
    x, w = tf.randn(1, 2, 4, 4, 4), tf.randn(3, 2, 3, 3, 3)
    with pytest.raises(ValueError, match=r"\[conv3d\] expected 4-D \(C, D, H, W\) or 5-D"):
        F.conv3d(tf.randn(2, 4, 4), w)
    with pytest.raises(ValueError, match=r"\[conv3d\] expected 5-D weight"):
        F.conv3d(x, tf.randn(3, 2, 3, 3))
    with pytest.raises(ValueError, match=r"\[conv3d\] expected input with 4 channels"):
        F.conv3d(tf.randn(1, 2, 4, 4, 4), tf.randn(3, 2, 3, 3, 3), groups=2)
    with pytest.raises(ValueError, match=r"\[conv3d\] kernel size \[3, 3, 3\] .* can't be greater"):
        F.conv3d(tf.randn(1, 2, 2, 4, 4), w)
    with pytest.raises(ValueError, match=r"\[conv3d\] stride must have 1 or 3 values"):
        tf._C.conv3d(x._c, w._c, None, [1, 1], [0], [1], 1)
    with pytest.raises(TypeError, match=r"\[conv3d\]"):
        F.conv3d(tf.ones(1, 2, 4, 4, 4, dtype=tf.int64), tf.ones(3, 2, 3, 3, 3, dtype=tf.int64))
    with pytest.raises(ValueError, match=r"\[conv_transpose3d\] output padding must be smaller"):
        F.conv_transpose3d(x, tf.randn(2, 3, 3, 3, 3), output_padding=1)
    with pytest.raises(ValueError, match=r"\[conv3d_backward\] grad of shape"):
        tf._C.conv3d_backward(tf.randn(1, 3, 1, 1, 1)._c, x._c, w._c, [1], [0], [1], 1, True, True, True)


# ---- unfold / fold ---------------------------------------------------------------------------
UNFOLD = [dict(kernel_size=2), dict(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
          dict(kernel_size=3, padding=1), dict(kernel_size=(1, 1)), dict(kernel_size=3, stride=3)]


@pytest.mark.parametrize("kw", UNFOLD, ids=str)
def test_unfold(kw, isa):
    check_op(lambda m, x: m.nn.functional.unfold(x, **kw), [rand(2, 3, 6, 7)], fd=False)
    check_op(lambda m, x: m.nn.functional.unfold(x, **kw), [rand(2, 5, 6)], fd=False)  # unbatched


@pytest.mark.parametrize("kw", UNFOLD, ids=str)
def test_fold(kw, isa):
    size = (6, 7)
    blocks = torch.nn.functional.unfold(torch.zeros(1, 2, *size), **kw).shape if torch is not None else None
    if blocks is None:
        pytest.skip("needs PyTorch for the block count")
    check_op(lambda m, x: m.nn.functional.fold(x, size, **kw), [rand(2, *blocks[1:])], fd=False)
    check_op(lambda m, x: m.nn.functional.fold(x, size, **kw), [rand(*blocks[1:])], fd=False)


def test_unfold_fold_finite_differences_and_modules():
    check_op(lambda m, x: m.nn.functional.unfold(x, 2, padding=1, stride=2), [rand(1, 2, 3, 4, dtype=np.float64)])
    check_op(lambda m, x: m.nn.functional.fold(x, (3, 4), 2, padding=1, stride=2), [rand(1, 8, 6, dtype=np.float64)])
    if torch is not None:
        check_module(lambda m: m.nn.Unfold((2, 3), dilation=2, padding=1, stride=(1, 2)), [rand(2, 3, 8, 9)])
        check_module(lambda m: m.nn.Fold((6, 5), 2, stride=(1, 2)), [rand(2, 12, 10)])


def test_unfold_fold_errors():
    with pytest.raises(ValueError, match=r"\[unfold\] expected 3-D \(C, H, W\) or 4-D"):
        F.unfold(tf.randn(2, 3), 2)
    with pytest.raises(ValueError, match=r"\[unfold\] kernel size"):
        F.unfold(tf.randn(1, 2, 3, 3), 4)
    with pytest.raises(ValueError, match=r"\[fold\] expected size of input's dimension 1 to be divisible"):
        F.fold(tf.randn(1, 7, 4), (3, 3), 2)
    with pytest.raises(ValueError, match=r"\[fold\] .* calculated number of sliding blocks 2 \* 2 = 4"):
        F.fold(tf.randn(1, 8, 5), (3, 3), 2)
    with pytest.raises(ValueError, match=r"\[fold\] expected 2-D"):
        F.fold(tf.randn(8), (3, 3), 2)


# ---- 3-D pooling -----------------------------------------------------------------------------
MAX3D = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=3, stride=2, ceil_mode=True),
         dict(kernel_size=(2, 3, 2), stride=(1, 2, 1), padding=(1, 1, 0), dilation=(2, 1, 2), ceil_mode=True),
         dict(kernel_size=(1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1))]


@pytest.mark.parametrize("kw", MAX3D, ids=str)
def test_max_pool3d(kw, isa):
    check_op(lambda m, x: m.nn.functional.max_pool3d(x, return_indices=True, **kw), [rand(2, 3, 7, 6, 5)], fd=False)
    check_op(lambda m, x: m.nn.functional.max_pool3d(x, **kw), [rand(3, 7, 6, 5)], fd=False)  # unbatched


AVG3D = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=3, stride=2, padding=1,
                                                                            count_include_pad=False),
         dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
         dict(kernel_size=(2, 3, 2), stride=(1, 2, 1), padding=(1, 1, 0), divisor_override=5),
         dict(kernel_size=(3, 1, 1), stride=1, padding=(1, 0, 0))]


@pytest.mark.parametrize("kw", AVG3D, ids=str)
def test_avg_pool3d(kw, isa):
    check_op(lambda m, x: m.nn.functional.avg_pool3d(x, **kw), [rand(2, 3, 7, 6, 5)], fd=False)


def test_pool3d_finite_differences():
    x = rand(1, 2, 3, 4, 3, dtype=np.float64)
    check_op(lambda m, a: m.nn.functional.max_pool3d(a, 2, 1, 1), [x])
    check_op(lambda m, a: m.nn.functional.avg_pool3d(a, 2, 1, 1, count_include_pad=False), [x])
    check_op(lambda m, a: m.nn.functional.adaptive_avg_pool3d(a, (2, 3, 2)), [x])
    check_op(lambda m, a: m.nn.functional.adaptive_max_pool3d(a, (2, 3, 2)), [x])


@pytest.mark.parametrize("size", [(3, 4, 2), 1, (None, 2, 3), (7, 6, 5), (5, 4, 4)], ids=str)
def test_adaptive_pool3d(size):
    check_op(lambda m, x: m.nn.functional.adaptive_avg_pool3d(x, size), [rand(2, 3, 7, 6, 5)], fd=False)
    check_op(lambda m, x: m.nn.functional.adaptive_max_pool3d(x, size, return_indices=True), [rand(2, 3, 7, 6, 5)],
             fd=False)


@pytest.mark.parametrize("size", [(3, 4), 1, (None, 2), (7, 6), (5, 4)], ids=str)
def test_adaptive_max_pool2d(size, isa):
    check_op(lambda m, x: m.nn.functional.adaptive_max_pool2d(x, size, return_indices=True), [rand(2, 3, 7, 6)],
             fd=False)
    check_op(lambda m, x: m.nn.functional.adaptive_max_pool2d(x, size), [rand(3, 7, 6)], fd=False)


def test_adaptive_max_pool1d_and_with_indices():
    check_op(lambda m, x: m.nn.functional.adaptive_max_pool1d(x, 4, return_indices=True), [rand(2, 3, 9)], fd=False)
    check_op(lambda m, x: m.nn.functional.adaptive_max_pool1d(x, 3), [rand(3, 7)])
    check_op(lambda m, x: m.nn.functional.adaptive_max_pool2d_with_indices(x, 2), [rand(2, 3, 5, 5)], fd=False)
    check_op(lambda m, x: m.nn.functional.max_pool3d_with_indices(x, 2), [rand(2, 3, 4, 4, 4)], fd=False)


def test_max_pool_ties_and_nan_pick_first():
    x = tf.zeros(1, 1, 2, 2, 2)
    out, idx = F.max_pool3d(x, 2, return_indices=True)
    assert idx.item() == 0 and out.item() == 0
    x = tf.tensor([[[[1.0, float("nan")], [float("nan"), 2.0]]]])
    out, idx = F.adaptive_max_pool2d(x, 1, return_indices=True)
    assert math.isnan(out.item()) and idx.item() == 1


@needs_torch
@pytest.mark.parametrize("make", [
    lambda m: m.nn.MaxPool3d(3, 2, 1), lambda m: m.nn.MaxPool3d((2, 3, 2), ceil_mode=True, return_indices=True),
    lambda m: m.nn.AvgPool3d(3, 2, 1, count_include_pad=False), lambda m: m.nn.AvgPool3d(2, divisor_override=3),
    lambda m: m.nn.AdaptiveAvgPool3d((2, None, 3)), lambda m: m.nn.AdaptiveMaxPool3d(2, return_indices=True),
    lambda m: m.nn.LPPool3d(2, 2),
], ids=range(7))
def test_pool3d_modules(make):
    check_module(make, [rand(2, 3, 6, 6, 5) + 1.5])


@needs_torch
@pytest.mark.parametrize("make", [lambda m: m.nn.AdaptiveMaxPool2d((3, None)), lambda m: m.nn.AdaptiveMaxPool2d(2, True),
                                  lambda m: m.nn.LPPool2d(2, 3, stride=2), lambda m: m.nn.LPPool2d(1.5, (2, 3)),
                                  lambda m: m.nn.LPPool2d(float("inf"), 2)], ids=range(5))
def test_pool2d_modules(make):
    check_module(make, [rand(2, 3, 7, 6) + 1.5])


@needs_torch
def test_pool1d_modules():
    check_module(lambda m: m.nn.AdaptiveMaxPool1d(3, return_indices=True), [rand(2, 3, 8)])
    check_module(lambda m: m.nn.LPPool1d(3, 3, 2, ceil_mode=True), [rand(2, 3, 8) + 1.5])


def test_pool3d_errors():
    with pytest.raises(ValueError, match=r"\[max_pool3d\] expected 4-D \(C, D, H, W\) or 5-D"):
        F.max_pool3d(tf.randn(2, 3, 4), 2)
    with pytest.raises(ValueError, match=r"\[max_pool3d\] pad should be at most half"):
        F.max_pool3d(tf.randn(1, 1, 4, 4, 4), 2, padding=(2, 0, 0))
    with pytest.raises(ValueError, match=r"\[avg_pool3d\] output size \(0, .*\) is too small"):
        F.avg_pool3d(tf.randn(1, 1, 1, 4, 4), 2)
    with pytest.raises(ValueError, match=r"\[avg_pool3d\] kernel_size must have 1 or 3 values"):
        F.avg_pool3d(tf.randn(1, 1, 4, 4, 4), (2, 2))
    with pytest.raises(ValueError, match=r"\[adaptive_avg_pool3d\] output size must be positive"):
        F.adaptive_avg_pool3d(tf.randn(1, 1, 4, 4, 4), (0, 2, 2))
    with pytest.raises(ValueError, match=r"\[adaptive_max_pool3d\] .* empty volume"):
        F.adaptive_max_pool3d(tf.randn(1, 1, 0, 4, 4), 2)
    with pytest.raises(TypeError, match=r"\[max_pool3d\]"):
        F.max_pool3d(tf.ones(1, 1, 4, 4, 4, dtype=tf.int64), 2)
    with pytest.raises(ValueError, match=r"\[adaptive_max_pool2d\] output size must be positive"):
        F.adaptive_max_pool2d(tf.randn(1, 1, 4, 4), (0, 2))


# ---- unpooling -------------------------------------------------------------------------------
def test_max_unpool():
    check_op(lambda m, x: m.nn.functional.max_unpool1d(*m.nn.functional.max_pool1d(x, 2, return_indices=True), 2,
                                                       output_size=[7]), [rand(2, 3, 7)])
    check_op(lambda m, x: m.nn.functional.max_unpool2d(*m.nn.functional.max_pool2d(x, 2, return_indices=True), 2),
             [rand(2, 3, 4, 6)])
    # overlapping windows: a maximum picked twice gets the gradient twice (as in PyTorch), which
    # finite differences of the assignment do not see
    check_op(lambda m, x: m.nn.functional.max_unpool2d(*m.nn.functional.max_pool2d(x, 3, 2, 1, return_indices=True),
                                                       3, 2, 1, output_size=(1, 3, 5, 6)), [rand(1, 3, 5, 6)], fd=False)
    check_op(lambda m, x: m.nn.functional.max_unpool3d(*m.nn.functional.max_pool3d(x, 2, return_indices=True), 2),
             [rand(2, 3, 4, 4, 6)], fd=False)
    check_op(lambda m, x: m.nn.functional.max_unpool2d(*m.nn.functional.max_pool2d(x, 2, return_indices=True), 2),
             [rand(3, 4, 6)])  # unbatched


@needs_torch
def test_max_unpool_modules():
    for n, shape in ((1, (2, 3, 8)), (2, (2, 3, 4, 6)), (3, (1, 2, 4, 4, 4))):
        x = rand(*shape)
        pool_t = getattr(torch.nn, f"MaxPool{n}d")(2, return_indices=True)
        out_t, idx_t = pool_t(torch.tensor(x))
        ours, theirs = getattr(nn, f"MaxUnpool{n}d")(2), getattr(torch.nn, f"MaxUnpool{n}d")(2)
        assert repr(ours) == repr(theirs)
        np.testing.assert_allclose(ours(tf.tensor(out_t.numpy()), tf.tensor(idx_t.numpy())).numpy(),
                                   theirs(out_t, idx_t).numpy())


def test_max_unpool_errors():
    x, idx = F.max_pool2d(tf.randn(1, 1, 4, 4), 2, return_indices=True)
    with pytest.raises(IndexError, match=r"\[max_unpool2d\] found an invalid max index 9"):
        F.max_unpool2d(x, idx * 0 + 9, 2, output_size=(3, 3))
    with pytest.raises(ValueError, match=r"\[max_unpool2d\] invalid output_size"):
        F.max_unpool2d(x, idx, 2, output_size=(9, 9))
    with pytest.raises(ValueError, match=r"\[max_unpool2d\] expected integer indices"):
        F.max_unpool2d(x, x, 2)


# ---- 3-D padding -----------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular", "constant"])
def test_pad_3d_modes(mode):
    pads = (1, 2, 0, 1, 2, 1)
    check_op(lambda m, x: m.nn.functional.pad(x, pads, mode=mode), [rand(2, 3, 4, 5, 6)], fd=False)
    check_op(lambda m, x: m.nn.functional.pad(x, pads, mode=mode), [rand(3, 4, 5, 6)], fd=False)
    check_op(lambda m, x: m.nn.functional.pad(x, (1, 0, 0, 1, 1, 1), mode=mode), [rand(1, 1, 2, 2, 3, dtype=np.float64)])


def test_pad_3d_crop_and_errors():
    check_op(lambda m, x: m.nn.functional.pad(x, (-1, 1, 0, -2, 1, -1), mode="replicate"), [rand(1, 2, 4, 5, 6)],
             fd=False)
    with pytest.raises(ValueError, match=r"\[pad\] reflect padding supports .* 6 for 4-D/5-D"):
        F.pad(tf.randn(4, 5, 6), (1, 1, 1, 1, 1, 1), mode="reflect")
    with pytest.raises(ValueError, match=r"\[pad\] padding \(4, 0\) should be smaller than the input size 4"):
        F.pad(tf.randn(1, 1, 4, 5, 6), (0, 0, 0, 0, 4, 0), mode="reflect")


# ---- volumes through interpolate / Upsample ----------------------------------------------------
INTERP3D = [dict(scale_factor=2, mode="nearest"), dict(size=(3, 5, 7), mode="nearest"),
            dict(size=(5, 7, 3), mode="nearest-exact"), dict(scale_factor=2, mode="trilinear"),
            dict(size=(3, 7, 5), mode="trilinear", align_corners=True),
            dict(scale_factor=(1.5, 2, 0.5), mode="trilinear"), dict(size=(2, 3, 2), mode="area")]


@pytest.mark.parametrize("kw", INTERP3D, ids=str)
def test_interpolate_3d(kw):
    check_op(lambda m, x: m.nn.functional.interpolate(x, **kw), [rand(2, 3, 4, 5, 6)], fd=False)


def test_interpolate_3d_finite_differences_and_upsample():
    check_op(lambda m, x: m.nn.functional.interpolate(x, scale_factor=2, mode="trilinear"),
             [rand(1, 1, 2, 2, 3, dtype=np.float64)])
    if torch is not None:
        check_module(lambda m: m.nn.Upsample(scale_factor=2, mode="trilinear", align_corners=False),
                     [rand(1, 2, 3, 4, 3)])
    with pytest.raises(ValueError, match=r"\[interpolate\] mode 'bilinear' is not supported for 5-D input"):
        F.interpolate(tf.randn(1, 1, 2, 2, 2), scale_factor=2, mode="bilinear")
