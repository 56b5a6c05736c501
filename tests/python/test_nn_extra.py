"""The rest of torch.nn small scripts use: activations, padding, distance, pixel ops, norms,
EmbeddingBag, Bilinear, Dropout3d and the upsampling layers, against PyTorch (forward, gradients
of inputs and parameters, state_dict keys, repr, default initialisation, errors)."""
import math

import numpy as np
import pytest

import tensorforge as tf
import tensorforge.nn as nn
from helpers import check_module, check_op, positive, rand, torch

F = nn.functional
needs_torch = pytest.mark.skipif(torch is None, reason="needs PyTorch")

# ---- activations -----------------------------------------------------------------------------
ACTS = {
    "threshold": lambda m, x: m.nn.functional.threshold(x, 0.3, -2.0),
    "hardshrink": lambda m, x: m.nn.functional.hardshrink(x, 0.7),
    "hardshrink_default": lambda m, x: m.nn.functional.hardshrink(x),
    "softshrink": lambda m, x: m.nn.functional.softshrink(x, 0.7),
    "tanhshrink": lambda m, x: m.nn.functional.tanhshrink(x),
    "hardsigmoid": lambda m, x: m.nn.functional.hardsigmoid(x),
    "hardswish": lambda m, x: m.nn.functional.hardswish(x),
    "selu": lambda m, x: m.nn.functional.selu(x),
    "celu": lambda m, x: m.nn.functional.celu(x, 0.7),
    "celu_default": lambda m, x: m.nn.functional.celu(x),
    "glu": lambda m, x: m.nn.functional.glu(x, 0),
    "glu_last": lambda m, x: m.nn.functional.glu(x.reshape(5, 4)),
    "rrelu_eval": lambda m, x: m.nn.functional.rrelu(x, 0.1, 0.4),
    "softmax2d": lambda m, x: m.nn.Softmax2d()(x.reshape(2, 2, 5)),
}


@pytest.mark.parametrize("name", list(ACTS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activation_functions(name, dtype):
    check_op(ACTS[name], [(rand(4, 5) * 4).astype(dtype)])


def test_activations_at_their_kinks():
    # the derivative PyTorch uses exactly at the break points
    x = np.array([-3.0, 3.0, -0.5, 0.5, 0.3, 0.0], dtype=np.float32)
    for fn in (lambda m, a: m.nn.functional.hardswish(a), lambda m, a: m.nn.functional.hardsigmoid(a),
               lambda m, a: m.nn.functional.hardshrink(a), lambda m, a: m.nn.functional.softshrink(a),
               lambda m, a: m.nn.functional.threshold(a, 0.3, 1.0)):
        check_op(fn, [x], fd=False)


def test_prelu_functional():
    check_op(lambda m, x, w: m.nn.functional.prelu(x, w), [rand(3, 4, 5), rand(4)])
    check_op(lambda m, x, w: m.nn.functional.prelu(x, w), [rand(3, 4, 5), rand(1)])
    check_op(lambda m, x, w: m.nn.functional.prelu(x, w), [rand(5), rand(1)])
    with pytest.raises(RuntimeError, match=r"\[prelu\] Mismatch of parameter numbers and input channel size"):
        F.prelu(tf.randn(2, 3), tf.randn(4))


INPLACE = {
    "selu": lambda m, x: m.nn.functional.selu(x * 1, inplace=True),
    "celu": lambda m, x: m.nn.functional.celu(x * 1, 0.5, inplace=True),
    "hardswish": lambda m, x: m.nn.functional.hardswish(x * 4, inplace=True),
    "hardsigmoid": lambda m, x: m.nn.functional.hardsigmoid(x * 4, inplace=True),
    "threshold": lambda m, x: m.nn.functional.threshold(x * 1, 0.1, 0.0, inplace=True),
    "threshold_": lambda m, x: m.nn.functional.threshold_(x * 1, 0.1, 0.0),
    "selu_": lambda m, x: m.nn.functional.selu_(x * 1),
    "celu_": lambda m, x: m.nn.functional.celu_(x * 1),
    "elu_": lambda m, x: m.nn.functional.elu_(x * 1),
    "leaky_relu_": lambda m, x: m.nn.functional.leaky_relu_(x * 1, 0.2),
    "relu_": lambda m, x: m.nn.functional.relu_(x * 1),
    "hardtanh_": lambda m, x: m.nn.functional.hardtanh_(x * 2),
    "rrelu_": lambda m, x: m.nn.functional.rrelu_(x * 1),
}


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_activations(name):
    check_op(INPLACE[name], [rand(3, 4) * 2])


def test_inplace_writes_into_input():
    for fn in (F.selu_, F.celu_, lambda t: F.hardswish(t, True), lambda t: F.threshold(t, 0.0, 1.0, True)):
        x = tf.tensor(rand(10) * 3)
        assert fn(x) is x
    x = tf.tensor(rand(4), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        F.selu(x, inplace=True)


ACT_MODULES = [
    ("PReLU", {}), ("PReLU", {"num_parameters": 4, "init": 0.1}), ("SELU", {}), ("SELU", {"inplace": True}),
    ("CELU", {"alpha": 0.5}), ("GLU", {"dim": 1}), ("Hardswish", {}), ("Hardsigmoid", {}), ("Hardshrink", {}),
    ("Hardshrink", {"lambd": 0.3}), ("Softshrink", {"lambd": 0.3}), ("Tanhshrink", {}),
    ("Threshold", {"threshold": 0.1, "value": 2.0}), ("Threshold", {"threshold": 0.1, "value": 2.0, "inplace": True}),
    ("RReLU", {}), ("RReLU", {"lower": 0.2, "upper": 0.5, "inplace": True}), ("Softmax2d", {}),
]


@needs_torch
@pytest.mark.parametrize("name,kw", ACT_MODULES, ids=[f"{n}{k}" for n, k in ACT_MODULES])
def test_activation_modules(name, kw):
    inplace = kw.get("inplace", False)
    make = lambda m: getattr(m.nn, name)(**kw)  # noqa: E731
    if inplace:  # an in-place layer may not overwrite a leaf: run it on a copy
        make = lambda m: m.nn.Sequential(m.nn.Identity(), _Copy(m), getattr(m.nn, name)(**kw))  # noqa: E731
        assert repr(getattr(nn, name)(**kw)) == repr(getattr(torch.nn, name)(**kw))
    check_module(make, [rand(2, 4, 3, 5) * 3], train=False, check_repr=not inplace)


def _Copy(m):
    class Copy(m.nn.Module):
        def forward(self, x):
            return x * 1

    return Copy()


@needs_torch
def test_prelu_parameters():
    check_module(lambda m: m.nn.PReLU(4), [rand(2, 4, 3)])
    layer = nn.PReLU(3, init=0.1)
    assert list(layer.state_dict()) == ["weight"] and layer.weight.shape == (3,)
    assert np.all(layer.weight.detach().numpy() == np.float32(0.1))
    assert np.all(nn.PReLU().weight.detach().numpy() == np.float32(0.25))


def test_rrelu_training_draws_slopes_from_the_generator():
    x = tf.tensor(-np.ones(20000, dtype=np.float32), requires_grad=True)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    slopes = -y.detach().numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and abs(slopes.mean() - 0.2) < 0.005
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slopes)  # the gradient is the drawn slope
    pos = tf.tensor(np.ones(5, dtype=np.float32))
    np.testing.assert_array_equal(F.rrelu(pos, training=True).numpy(), pos.numpy())
    tf.manual_seed(3)
    a = F.rrelu(tf.tensor(-np.ones(8, dtype=np.float32)), training=True).numpy()
    tf.manual_seed(3)
    b = nn.RReLU().train()(tf.tensor(-np.ones(8, dtype=np.float32))).numpy()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(nn.RReLU(0.1, 0.3).eval()(tf.tensor([-1.0])).numpy(), [-0.2])


def test_activation_errors():
    with pytest.raises(RuntimeError, match=r"\[glu\] Halving dimension must be even"):
        F.glu(tf.randn(3, 5))
    with pytest.raises(RuntimeError, match=r"\[glu\] glu does not support scalars"):
        F.glu(tf.tensor(1.0))
    with pytest.raises(ValueError, match=r"\[softshrink\] lambda must be greater or equal to 0"):
        F.softshrink(tf.randn(3), -1.0)
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D"):
        nn.Softmax2d()(tf.randn(3, 4))


# ---- padding layers --------------------------------------------------------------------------
PADS = [("ZeroPad1d", (2,), 3), ("ZeroPad1d", ((1, 2),), 3), ("ZeroPad2d", ((1, 0, 2, 1),), 4),
        ("ZeroPad3d", (1,), 5), ("ConstantPad1d", (2, 3.5), 3), ("ConstantPad2d", ((1, 0, 2, 1), -1.0), 4),
        ("ConstantPad3d", ((1, 0, 2, 1, 0, 1), 0.5), 5), ("ReflectionPad1d", (2,), 3),
        ("ReflectionPad2d", ((1, 0, 2, 1),), 4), ("ReflectionPad3d", (1,), 5), ("ReplicationPad1d", ((3, 1),), 2),
        ("ReplicationPad2d", (2,), 3), ("ReplicationPad3d", ((1, 0, 2, 1, 0, 1),), 4), ("CircularPad1d", (2,), 3),
        ("CircularPad2d", ((1, 0, 2, 1),), 4), ("CircularPad3d", ((1, 0, 2, 1, 0, 1),), 5)]


@needs_torch
@pytest.mark.parametrize("name,args,ndim", PADS, ids=[f"{n}{a}" for n, a, _ in PADS])
def test_padding_layers(name, args, ndim):
    shape = (2, 3, 4, 5, 6)[5 - ndim:]
    check_module(lambda m: getattr(m.nn, name)(*args), [rand(*shape)])


def test_padding_layer_errors():
    with pytest.raises(ValueError, match=r"expected 3D or 4D input \(got 2D input\)"):
        nn.CircularPad2d(1)(tf.randn(3, 4))
    with pytest.raises(ValueError, match="expected 4 padding values"):
        nn.ZeroPad2d((1, 2))


# ---- distances -------------------------------------------------------------------------------
def test_pairwise_distance():
    check_op(lambda m, a, b: m.nn.functional.pairwise_distance(a, b), [rand(4, 5), rand(4, 5)])
    check_op(lambda m, a, b: m.nn.functional.pairwise_distance(a, b, 3.0, 1e-3, keepdim=True), [rand(4, 5), rand(4, 5)])
    check_op(lambda m, a, b: m.nn.functional.pairwise_distance(a, b, 1.0), [rand(3, 4, 5), rand(5)])
    check_op(lambda m, a, b: m.nn.functional.pairwise_distance(a, b, float("inf")), [rand(4, 5), rand(4, 5)])
    check_op(lambda m, a, b: m.nn.functional.pairwise_distance(a, b, 0.0), [rand(4, 5), rand(4, 5)], grad=False)
    check_op(lambda m, a, b: m.nn.functional.pairwise_distance(a, b), [rand(5), rand(5)])


def test_cosine_similarity_and_pdist():
    check_op(lambda m, a, b: m.nn.functional.cosine_similarity(a, b), [rand(4, 5, 3), rand(4, 5, 3)])
    check_op(lambda m, a, b: m.nn.functional.cosine_similarity(a, b, dim=-1, eps=1e-3), [rand(4, 5, 3), rand(5, 3)])
    check_op(lambda m, a, b: m.nn.functional.cosine_similarity(a, b, 0), [rand(6), np.zeros(6, np.float32)],
             grad=False)
    check_op(lambda m, a: m.nn.functional.pdist(a), [rand(5, 3)])
    check_op(lambda m, a: m.nn.functional.pdist(a, 1.0), [rand(6, 3)])
    check_op(lambda m, a: m.nn.functional.pdist(a, float("inf")), [rand(4, 3)])
    check_op(lambda m, a: m.nn.functional.pdist(a), [rand(1, 3)], grad=False)
    with pytest.raises(RuntimeError, match=r"\[pdist\] pdist only supports 2D tensors"):
        F.pdist(tf.randn(3))


@needs_torch
@pytest.mark.parametrize("make", [lambda m: m.nn.PairwiseDistance(), lambda m: m.nn.PairwiseDistance(1.0, 1e-4, True),
                                  lambda m: m.nn.CosineSimilarity(), lambda m: m.nn.CosineSimilarity(2, 1e-6)],
                         ids=range(4))
def test_distance_modules(make):
    check_module(make, [rand(3, 4, 5), rand(3, 4, 5)])


# ---- pixel and channel shuffles, upsampling layers --------------------------------------------
def test_pixel_shuffles():
    check_op(lambda m, x: m.nn.functional.pixel_shuffle(x, 2), [rand(2, 8, 3, 4)])
    check_op(lambda m, x: m.nn.functional.pixel_shuffle(x, 3), [rand(2, 2, 9, 2, 3)], fd=False)  # extra batch dims
    check_op(lambda m, x: m.nn.functional.pixel_unshuffle(x, 2), [rand(2, 2, 4, 6)])
    check_op(lambda m, x: m.nn.functional.pixel_unshuffle(x, 3), [rand(3, 6, 9)])
    check_op(lambda m, x: m.nn.functional.pixel_shuffle(m.nn.functional.pixel_unshuffle(x, 2), 2), [rand(1, 3, 4, 4)])
    check_op(lambda m, x: m.nn.functional.channel_shuffle(x, 3), [rand(2, 6, 3, 4)], grad=False)
    check_op(lambda m, x: m.nn.ChannelShuffle(2)(x), [rand(2, 4, 3)], grad=False)
    with pytest.raises(RuntimeError, match=r"\[pixel_shuffle\] .* not divisible by 4"):
        F.pixel_shuffle(tf.randn(1, 6, 2, 2), 2)
    with pytest.raises(RuntimeError, match=r"\[pixel_unshuffle\] expects height 3"):
        F.pixel_unshuffle(tf.randn(1, 1, 3, 4), 2)
    with pytest.raises(RuntimeError, match=r"\[channel_shuffle\] Number of channels must be divisible by groups"):
        F.channel_shuffle(tf.randn(1, 5, 2, 2), 2)


def test_channel_shuffle_gradient():
    x = tf.tensor(rand(2, 6, 3), requires_grad=True)
    g = rand(2, 6, 3)
    (F.channel_shuffle(x, 2) * tf.tensor(g)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), g.reshape(2, 3, 2, 3).transpose(0, 2, 1, 3).reshape(2, 6, 3))


@needs_torch
@pytest.mark.parametrize("make", [lambda m: m.nn.PixelShuffle(2), lambda m: m.nn.PixelUnshuffle(2),
                                  lambda m: m.nn.UpsamplingNearest2d(scale_factor=2),
                                  lambda m: m.nn.UpsamplingBilinear2d(size=(7, 5)),
                                  lambda m: m.nn.Upsample(scale_factor=(2, 1.5), mode="bilinear"),
                                  lambda m: m.nn.Upsample(size=9, mode="nearest-exact")], ids=range(6))
def test_pixel_and_upsampling_modules(make):
    check_module(make, [rand(2, 8, 4, 6)])


@pytest.mark.filterwarnings("ignore::UserWarning")  # PyTorch deprecates these two in favour of interpolate
def test_upsample_functions():
    check_op(lambda m, x: m.nn.functional.upsample_bilinear(x, scale_factor=2), [rand(1, 2, 3, 4)], fd=False)
    check_op(lambda m, x: m.nn.functional.upsample_nearest(x, size=(5, 7)), [rand(1, 2, 3, 4)], fd=False)


# ---- norms -----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(2, 3, 7), (2, 3, 4, 5), (2, 3, 2, 3, 4), (1, 2, 130)], ids=str)
def test_instance_norm_functional(shape):
    c = shape[1]
    check_op(lambda m, x, w, b: m.nn.functional.instance_norm(x, weight=w, bias=b, eps=1e-3),
             [rand(*shape) * 2 + 1, rand(c), rand(c)], fd=False)
    check_op(lambda m, x: m.nn.functional.instance_norm(x), [rand(*shape)], fd=False)


def test_instance_norm_finite_differences_and_running_stats():
    check_op(lambda m, x, w: m.nn.functional.instance_norm(x, weight=w), [rand(2, 2, 5, dtype=np.float64),
                                                                         rand(2, dtype=np.float64)])
    if torch is None:
        return
    x = rand(3, 2, 6) * 3 + 1
    rm, rv = tf.zeros(2), tf.ones(2)
    trm, trv = torch.zeros(2), torch.ones(2)
    out = F.instance_norm(tf.tensor(x), rm, rv, momentum=0.3)
    ref = torch.nn.functional.instance_norm(torch.tensor(x), trm, trv, momentum=0.3)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(rm.numpy(), trm.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rv.numpy(), trv.numpy(), rtol=1e-5, atol=1e-6)
    check_op(lambda m, a: m.nn.functional.instance_norm(a, m.tensor(rm.numpy()), m.tensor(rv.numpy()),
                                                        use_input_stats=False), [rand(3, 2, 6)], fd=False)


IN_MODULES = [("InstanceNorm1d", {}, (2, 3, 7)), ("InstanceNorm1d", {"affine": True}, (3, 7)),
              ("InstanceNorm2d", {"affine": True, "track_running_stats": True}, (2, 3, 4, 5)),
              ("InstanceNorm2d", {"track_running_stats": True, "momentum": None}, (3, 4, 5)),
              ("InstanceNorm3d", {"affine": True, "eps": 1e-3}, (2, 3, 2, 3, 4)),
              ("InstanceNorm3d", {"affine": True, "bias": False}, (3, 2, 3, 4))]


@needs_torch
@pytest.mark.parametrize("name,kw,shape", IN_MODULES, ids=[f"{n}{k}" for n, k, _ in IN_MODULES])
def test_instance_norm_modules(name, kw, shape):
    for train in (True, False):
        check_module(lambda m: getattr(m.nn, name)(3, **kw), [rand(*shape) * 2 + 1], train=train)


@needs_torch
def test_instance_norm_eval_uses_running_stats():
    ours, theirs = nn.InstanceNorm2d(3, track_running_stats=True), torch.nn.InstanceNorm2d(3, track_running_stats=True)
    for _ in range(3):
        x = rand(2, 3, 4, 4) * 2 + 1
        ours(tf.tensor(x))
        theirs(torch.tensor(x))
    np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(), rtol=1e-5)
    ours.eval()
    theirs.eval()
    x = rand(2, 3, 4, 4)
    np.testing.assert_allclose(ours(tf.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy(), rtol=1e-4, atol=1e-5)
    assert ours.num_batches_tracked.item() == theirs.num_batches_tracked.item()


def test_instance_norm_errors():
    with pytest.raises(ValueError, match=r"\[InstanceNorm2d\] expected 3D or 4D input"):
        nn.InstanceNorm2d(3)(tf.randn(2, 3))
    with pytest.raises(ValueError, match="to match num_features"):
        nn.InstanceNorm1d(3, affine=True)(tf.randn(2, 4, 5))
    with pytest.warns(UserWarning, match="does not match num_features"):
        nn.InstanceNorm1d(3)(tf.randn(2, 4, 5))
    with pytest.raises(ValueError, match=r"\[instance_norm\] expected more than 1 spatial element"):
        F.instance_norm(tf.randn(2, 3, 1))
    with pytest.raises(ValueError, match=r"\[instance_norm\] expected weight of shape \[3\]"):
        F.instance_norm(tf.randn(2, 3, 4), weight=tf.ones(4))


@needs_torch
@pytest.mark.parametrize("make,shape", [
    (lambda m: m.nn.BatchNorm3d(3), (2, 3, 2, 3, 4)), (lambda m: m.nn.BatchNorm3d(3, affine=False, momentum=None),
                                                       (2, 3, 2, 2, 2)),
    (lambda m: m.nn.LocalResponseNorm(3), (2, 5, 7)), (lambda m: m.nn.LocalResponseNorm(2, 0.1, 0.5, 2.0),
                                                       (2, 5, 4, 3)),
    (lambda m: m.nn.LocalResponseNorm(4), (2, 6, 2, 3, 2)),
    (lambda m: m.nn.RMSNorm(5), (3, 4, 5)), (lambda m: m.nn.RMSNorm([4, 5], eps=1e-3), (3, 4, 5)),
    (lambda m: m.nn.RMSNorm(5, elementwise_affine=False), (2, 5)),
], ids=range(8))
def test_norm_modules(make, shape):
    ours, _ = check_module(make, [rand(*shape) * 2])
    fresh = make(tf)
    with tf.no_grad():
        for p in fresh.parameters():
            p.add_(3)
    if hasattr(fresh, "reset_parameters"):
        fresh.reset_parameters()
    for layer in (make(tf), fresh):  # default init: ones / zeros
        for name, p in layer.named_parameters():
            assert np.all(p.detach().numpy() == (0.0 if name == "bias" else 1.0))


def test_rms_norm_functional():
    check_op(lambda m, x, w: m.nn.functional.rms_norm(x, (5,), w), [rand(3, 4, 5), rand(5)])
    check_op(lambda m, x: m.nn.functional.rms_norm(x, [4, 5], eps=0.1), [rand(3, 4, 5, dtype=np.float64)])
    with pytest.raises(RuntimeError, match=r"\[rms_norm\] Given normalized_shape=\[4\]"):
        F.rms_norm(tf.randn(3, 5), [4])
    with pytest.raises(ValueError, match=r"\[local_response_norm\] Expected 3D or higher"):
        F.local_response_norm(tf.randn(3, 4), 2)


# ---- EmbeddingBag, Bilinear, Dropout3d -------------------------------------------------------
BAGS = [
    dict(input=[1, 2, 4, 5, 4, 3, 2, 9], offsets=[0, 4, 4], mode="sum"),
    dict(input=[1, 2, 4, 5, 4, 3, 2, 9], offsets=[0, 2, 2, 5], padding_idx=2),
    dict(input=[[1, 2, 4], [5, 4, 3]], mode="max"),
    dict(input=[1, 2, 4, 5, 4, 3, 2, 9], offsets=[0, 3, 3, 8], mode="max", include_last_offset=True, padding_idx=4),
    dict(input=[1, 2, 4, 5, 4, 3, 2, 9], offsets=[0, 3, 3, 8], mode="mean", include_last_offset=True),
    dict(input=[[1, 1, 0], [2, 2, 2]], mode="sum", padding_idx=2),
    dict(input=[3, 3, 3], offsets=[0], mode="max"),
]


@pytest.mark.parametrize("kw", BAGS, ids=range(len(BAGS)))
def test_embedding_bag(kw):
    kw = dict(kw)
    idx, offs = kw.pop("input"), kw.pop("offsets", None)

    def fn(m, w):
        return m.nn.functional.embedding_bag(m.tensor(idx), w, None if offs is None else m.tensor(offs), **kw)

    check_op(fn, [rand(10, 3)])


def test_embedding_bag_per_sample_weights_and_max_norm():
    idx, offs = [1, 2, 4, 5, 4, 3, 2, 9], [0, 4, 4]
    check_op(lambda m, w, p: m.nn.functional.embedding_bag(m.tensor(idx), w, m.tensor(offs), mode="sum",
                                                           per_sample_weights=p), [rand(10, 3), rand(8)])
    check_op(lambda m, w, p: m.nn.functional.embedding_bag(m.tensor([[1, 2], [2, 7]]), w, mode="sum",
                                                           per_sample_weights=p), [rand(10, 3), rand(2, 2)])
    check_op(lambda m, w: m.nn.functional.embedding_bag(m.tensor(idx), w * 1, m.tensor(offs), max_norm=0.5),
             [rand(10, 3)], fd=False)


@needs_torch
@pytest.mark.parametrize("kw", [dict(), dict(mode="sum", padding_idx=0), dict(mode="max"),
                                dict(max_norm=1.0, norm_type=1.0), dict(mode="mean", include_last_offset=True)],
                         ids=str)
def test_embedding_bag_module(kw):
    torch.manual_seed(0)

    def make(m):
        layer = m.nn.EmbeddingBag(10, 4, **kw)
        return layer

    ours, theirs = make(tf), make(torch)
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: tf.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    # (PyTorch's mean of the last bag with include_last_offset divides by the count up to the end of
    # the input, so the last offset here is the input's length)
    idx, offs = [1, 2, 4, 5, 0, 3, 2, 9], [0, 2, 2, 5] + ([8] if kw.get("include_last_offset") else [])
    a = ours(tf.tensor(idx), tf.tensor(offs))
    b = theirs(torch.tensor(idx), torch.tensor(offs))
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = rand(*b.shape)
    (a * tf.tensor(g)).sum().backward()
    (b * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_embedding_bag_init_and_errors():
    bag = nn.EmbeddingBag(400, 300, padding_idx=3)
    w = bag.weight.detach().numpy()
    assert np.all(w[3] == 0) and abs(w.std() - 1) < 0.02 and abs(w.mean()) < 0.02
    pre = nn.EmbeddingBag.from_pretrained(tf.ones(3, 2), mode="sum")
    assert not pre.weight.requires_grad and pre(tf.tensor([[0, 1]])).tolist() == [[2.0, 2.0]]
    w = tf.randn(5, 2)
    with pytest.raises(ValueError, match=r"\[embedding_bag\] offsets has to be a 1D Tensor but got None"):
        F.embedding_bag(tf.tensor([1, 2]), w)
    with pytest.raises(ValueError, match=r"\[embedding_bag\] if input is 2D, then offsets has to be None"):
        F.embedding_bag(tf.tensor([[1, 2]]), w, tf.tensor([0]))
    with pytest.raises(ValueError, match=r"\[embedding_bag\] offsets\[0\] has to be 0"):
        F.embedding_bag(tf.tensor([1, 2]), w, tf.tensor([1]))
    with pytest.raises(IndexError, match=r"\[embedding_bag\] index out of range"):
        F.embedding_bag(tf.tensor([1, 7]), w, tf.tensor([0]))
    with pytest.raises(NotImplementedError, match=r"only supported for mode='sum'"):
        F.embedding_bag(tf.tensor([1, 2]), w, tf.tensor([0]), per_sample_weights=tf.ones(2))
    with pytest.raises(ValueError, match=r"\[embedding_bag\] mode has to be one of sum, mean or max"):
        F.embedding_bag(tf.tensor([1, 2]), w, tf.tensor([0]), mode="min")
    with pytest.raises(ValueError, match=r"\[embedding_bag\] weight has to be a 2D Tensor"):
        F.embedding_bag(tf.tensor([1, 2]), tf.randn(5), tf.tensor([0]))


@needs_torch
def test_bilinear_module_and_init():
    check_module(lambda m: m.nn.Bilinear(3, 2, 5), [rand(4, 3), rand(4, 2)])
    check_module(lambda m: m.nn.Bilinear(3, 2, 5, bias=False), [rand(2, 4, 3), rand(2, 4, 2)])
    layer = nn.Bilinear(40, 30, 50)
    bound = 1 / math.sqrt(40)
    w = layer.weight.detach().numpy()
    assert np.abs(w).max() <= bound and abs(w.std() - bound / math.sqrt(3)) < 0.03 * bound


def test_dropout3d():
    x = tf.ones(4, 8, 2, 3, 3)
    y = F.dropout3d(x, 0.5).numpy()
    per_channel = y.reshape(4, 8, -1)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))
    assert 0.2 < (per_channel[..., 0] == 0).mean() < 0.8
    assert F.dropout3d(x, 0.5, training=False) is x
    z = F.dropout3d(tf.ones(8, 2, 3, 3), 0.5).numpy().reshape(8, -1)  # unbatched: channels are dim 0
    assert np.all((z == 0).all(-1) | (z == 2).all(-1))
    assert repr(nn.Dropout3d(0.2)) == "Dropout3d(p=0.2, inplace=False)"
    with pytest.raises(ValueError, match=r"\[dropout3d\] expected 4-D"):
        F.dropout3d(tf.ones(2, 3), 0.5)


# ---- weight and spectral normalisation ----------------------------------------------------------
@needs_torch
@pytest.mark.filterwarnings("ignore::FutureWarning")  # PyTorch points at its parametrizations module
@pytest.mark.parametrize("make,dim,shape", [(lambda m: m.nn.Linear(4, 3), 0, (5, 4)),
                                            (lambda m: m.nn.Linear(4, 3), None, (5, 4)),
                                            (lambda m: m.nn.Conv2d(2, 3, 3), 1, (2, 2, 5, 5))], ids=range(3))
def test_weight_norm(make, dim, shape):
    ours, theirs = check_module(lambda m: m.nn.utils.weight_norm(make(m), dim=dim), [rand(*shape)], check_repr=False)
    nn.utils.remove_weight_norm(ours)
    torch.nn.utils.remove_weight_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        nn.utils.remove_weight_norm(ours)


@needs_torch
@pytest.mark.parametrize("make,shape", [(lambda m: m.nn.Linear(6, 4), (5, 6)),
                                        (lambda m: m.nn.Conv2d(2, 3, 3), (2, 2, 5, 5)),
                                        (lambda m: m.nn.ConvTranspose2d(3, 2, 3), (2, 3, 4, 4))], ids=range(3))
def test_spectral_norm(make, shape):
    theirs = torch.nn.utils.spectral_norm(make(torch), n_power_iterations=2)
    ours = nn.utils.spectral_norm(make(tf), n_power_iterations=2)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: tf.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    for train in (True, True, False):  # power iterations update u and v in training only
        ours.train(train)
        theirs.train(train)
        x = rand(*shape)
        xo, xt = tf.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        a, b = ours(xo), theirs(xt)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-4, atol=1e-5)
        a.sum().backward()
        b.sum().backward()
        np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(ours.weight_u.numpy(), theirs.weight_u.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.weight_orig.grad.numpy(), theirs.weight_orig.grad.numpy(), rtol=1e-3, atol=1e-4)
    nn.utils.remove_spectral_norm(ours)
    torch.nn.utils.remove_spectral_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_spectral_norm_estimate_and_errors():
    layer = nn.utils.spectral_norm(nn.Linear(8, 6), n_power_iterations=30)
    layer(tf.randn(2, 8))
    np.testing.assert_allclose(np.linalg.svd(layer.weight.detach().numpy(), compute_uv=False)[0], 1.0, rtol=1e-3)
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive"):
        nn.utils.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks"):
        nn.utils.spectral_norm(layer)
