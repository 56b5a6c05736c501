"""tensorforge.data: image kernels and random transforms, splits, Normalize and the fitted scalers."""
import math

import numpy as np
import pytest

import tensorforge as tf
from tensorforge.data import (Compose, MinMaxScale, Normalize, NotFittedError, RandomCrop, RandomHorizontalFlip,
                              RandomRotation, RandomVerticalFlip, Standardize, TransformDataset, functional as DF,
                              train_val_test_split)
from tensorforge.utils.data import DataLoader, Subset, TensorDataset
from helpers import torch

RNG = np.random.default_rng(0)


def _images(*shape, dtype=np.float32):
    return RNG.uniform(-1, 1, size=shape).astype(dtype)


# ---- flips ----

@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32, np.bool_])
def test_flips_equal_numpy(dtype, isa):
    a = (_images(5, 3, 4, 6) > 0).astype(dtype) if dtype == np.bool_ else (_images(5, 3, 4, 6) * 9).astype(dtype)
    x = tf.from_numpy(a)
    np.testing.assert_array_equal(DF.hflip(x).numpy(), np.flip(a, -1))
    np.testing.assert_array_equal(DF.vflip(x).numpy(), np.flip(a, -2))
    h, v = [True, False, True, False, True], [False, False, True, True, False]
    out = DF.flip(x, h, v).numpy()
    for n in range(5):
        ref = a[n]
        ref = np.flip(ref, -1) if h[n] else ref
        ref = np.flip(ref, -2) if v[n] else ref
        np.testing.assert_array_equal(out[n], ref)
    np.testing.assert_array_equal(DF.hflip(x[1]).numpy(), np.flip(a[1], -1))  # one (C, H, W) image


def test_random_flips_draw_per_image():
    a = _images(64, 1, 5, 5)
    x = tf.from_numpy(a)
    np.testing.assert_array_equal(RandomHorizontalFlip(p=1.0)(x).numpy(), np.flip(a, -1))
    np.testing.assert_array_equal(RandomVerticalFlip(p=1.0)(x).numpy(), np.flip(a, -2))
    np.testing.assert_array_equal(RandomHorizontalFlip(p=0.0)(x).numpy(), a)
    out = RandomHorizontalFlip(p=0.5)(x).numpy()
    flipped = [bool(np.array_equal(out[n], np.flip(a[n], -1))) for n in range(64)]
    kept = [bool(np.array_equal(out[n], a[n])) for n in range(64)]
    assert all(f != k for f, k in zip(flipped, kept))  # each image exactly one of the two
    assert 15 < sum(flipped) < 49


# ---- rotation ----

@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_rotation_by_right_angles_equals_rot90(interpolation, isa):
    a = _images(4, 3, 7, 7)
    x = tf.from_numpy(a)
    for angle, k in [(90, 1), (180, 2), (270, 3), (-90, 3), (450, 1), (0, 0)]:
        out = DF.rotate(x, angle, interpolation).numpy()
        np.testing.assert_array_equal(out, np.rot90(a, k, axes=(-2, -1)), err_msg=f"angle {angle}")
    # even size too, and per-image angles in one call
    b = _images(3, 1, 6, 6)
    out = DF.rotate(tf.from_numpy(b), [90, -90, 180], interpolation).numpy()
    for n, k in enumerate([1, 3, 2]):
        np.testing.assert_array_equal(out[n], np.rot90(b[n], k, axes=(-2, -1)))


def test_positive_angle_turns_counter_clockwise():
    img = np.zeros((1, 5, 5), np.float32)
    img[0, 0, 4] = 1.0  # top-right corner
    out = DF.rotate(tf.from_numpy(img), 90).numpy()
    assert out[0, 0, 0] == 1.0 and out.sum() == 1.0  # counter-clockwise: top-right -> top-left


def _affine_reference(a, m, out_h, out_w, fill, bilinear):
    """numpy: each output pixel samples the source through its 2x3 matrix. Outside taps count 0;
    with a fill, nearest takes it outside and bilinear blends m * S + (1 - m) * fill (torchvision)."""
    n, c, h, w = a.shape
    out = np.empty((n, c, out_h, out_w), np.float64)
    f = np.broadcast_to(np.asarray(0.0 if fill is None else fill, np.float64), (c,))[:, None, None]
    jj, ii = np.meshgrid(np.arange(out_w), np.arange(out_h))
    for k in range(n):
        sx = m[k, 0, 0] * jj + m[k, 0, 1] * ii + m[k, 0, 2]
        sy = m[k, 1, 0] * jj + m[k, 1, 1] * ii + m[k, 1, 2]
        if bilinear:
            x0, y0 = np.floor(sx).astype(int), np.floor(sy).astype(int)
            ax, ay = sx - x0, sy - y0
            total, weight = np.zeros((c, out_h, out_w)), np.zeros((out_h, out_w))
            for dy, dx, wgt in [(0, 0, (1 - ax) * (1 - ay)), (0, 1, ax * (1 - ay)), (1, 0, (1 - ax) * ay),
                                (1, 1, ax * ay)]:
                yy, xx = y0 + dy, x0 + dx
                inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
                total += np.where(inside, wgt * a[k][:, np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1)], 0.0)
                weight += np.where(inside, wgt, 0.0)
            out[k] = total if fill is None else weight * total + (1 - weight) * f
        else:
            rx, ry = np.rint(sx).astype(int), np.rint(sy).astype(int)
            inside = (ry >= 0) & (ry < h) & (rx >= 0) & (rx < w)
            out[k] = np.where(inside, a[k][:, np.clip(ry, 0, h - 1), np.clip(rx, 0, w - 1)], f)
    return out


def _rotation_matrices(angles, h, w):
    """torchvision's rotate as output->source pixel maps about the centre ((w - 1) / 2, (h - 1) / 2)."""
    m = []
    for a in angles:
        c, s = math.cos(math.radians(a)), math.sin(math.radians(a))
        px, py = (w - 1) / 2, (h - 1) / 2
        m.append([[c, -s, px - c * px + s * py], [s, c, py - s * px - c * py]])
    return np.array(m)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rotation_and_affine_match_numpy_reference(dtype, isa):
    a = _images(6, 3, 9, 11, dtype=dtype)
    angles = RNG.uniform(-180, 180, 6)
    fill = [0.5, -2.0, 3.0]
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    ref = _affine_reference(a.astype(np.float64), _rotation_matrices(angles, 9, 11), 9, 11, fill, True)
    np.testing.assert_allclose(DF.rotate(tf.from_numpy(a), angles, "bilinear", fill=fill).numpy(), ref, **tol)
    # a general affine map (scale, shear, shift) to another output size, one fill for all channels
    m = RNG.uniform(-1.2, 1.2, (6, 2, 3)) + np.array([[0, 0, 4], [0, 0, 4]])
    for bilinear in (True, False):
        for fill in (1.5, None):
            ref = _affine_reference(a.astype(np.float64), m, 7, 13, fill, bilinear)
            out = DF.affine(tf.from_numpy(a), m, (7, 13), "bilinear" if bilinear else "nearest", fill=fill).numpy()
            np.testing.assert_allclose(out, ref, **tol)


def _torchvision_rotate(img, angle, interpolation, fill=None):
    """torchvision.transforms.functional.rotate on a tensor (expand=False, center=None), written out with
    torch ops: the inverse matrix about the centre, a grid normalised by the size, grid_sample, and
    the mask trick that blends in `fill`."""
    n, c, h, w = img.shape
    rot = math.radians(-angle)
    matrix = [math.cos(rot), math.sin(rot), 0.0, -math.sin(rot), math.cos(rot), 0.0]
    theta = torch.tensor(matrix, dtype=img.dtype).reshape(1, 2, 3)
    base = torch.empty(1, h, w, 3, dtype=img.dtype)
    base[..., 0].copy_(torch.linspace(-w * 0.5 + 0.5, w * 0.5 - 0.5, steps=w))
    base[..., 1].copy_(torch.linspace(-h * 0.5 + 0.5, h * 0.5 - 0.5, steps=h).unsqueeze(-1))
    base[..., 2].fill_(1)
    rescaled = theta.transpose(1, 2) / torch.tensor([0.5 * w, 0.5 * h], dtype=img.dtype)
    grid = base.view(1, h * w, 3).bmm(rescaled).view(1, h, w, 2).expand(n, h, w, 2)
    if fill is None:
        return torch.nn.functional.grid_sample(img, grid, mode=interpolation, padding_mode="zeros",
                                               align_corners=False)
    with_mask = torch.cat([img, torch.ones(n, 1, h, w, dtype=img.dtype)], 1)
    out = torch.nn.functional.grid_sample(with_mask, grid, mode=interpolation, padding_mode="zeros",
                                          align_corners=False)
    mask, out = out[:, -1:], out[:, :-1]
    fill_img = torch.tensor(fill, dtype=img.dtype).view(1, -1, 1, 1).expand_as(out)
    if interpolation == "nearest":
        return torch.where(mask.expand_as(out) < 0.5, fill_img, out)
    return out * mask + (1.0 - mask) * fill_img


@pytest.mark.skipif(torch is None, reason="PyTorch not installed")
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_rotation_matches_torchvision_convention(interpolation):
    a = _images(1, 2, 10, 10)
    for angle in [33.0, -71.5, 90.0, 152.0, 7.0]:
        for fill in ([0.25, -1.0], [0.0, 0.0], None):
            ours = DF.rotate(tf.from_numpy(a), angle, interpolation, fill=fill).numpy()
            ref = _torchvision_rotate(torch.from_numpy(a), angle, interpolation, fill).numpy()
            np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=2e-5, err_msg=f"angle {angle}, fill {fill}")


def test_random_rotation_is_reproducible_and_respects_the_range():
    x = tf.from_numpy(_images(16, 1, 8, 8))
    t = RandomRotation(30, interpolation="bilinear")
    tf.manual_seed(3)
    a = t(x).numpy()
    tf.manual_seed(3)
    b = t(x).numpy()
    tf.manual_seed(4)
    c = t(x).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    np.testing.assert_array_equal(RandomRotation((0, 0))(x).numpy(), x.numpy())
    # every image of the batch got its own angle, all within +-30 degrees of the draw
    g1 = RandomRotation(30, generator=tf.Generator().manual_seed(9))(x).numpy()
    g2 = RandomRotation(30, generator=tf.Generator().manual_seed(9))(x).numpy()
    np.testing.assert_array_equal(g1, g2)
    angles = tf.Generator().manual_seed(9)._rng.random(16) * 60 - 30
    np.testing.assert_array_equal(g1, DF.rotate(x, angles).numpy())


# ---- crops ----

@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
def test_crop_with_padding_equals_numpy_slice(mode, isa):
    a = (_images(4, 2, 5, 6) * 10).astype(np.float32)
    pads = (2, 1, 3, 2)  # left, top, right, bottom
    kw = dict(constant_values=7.0) if mode == "constant" else {}
    padded = np.pad(a, ((0, 0), (0, 0), (pads[1], pads[3]), (pads[0], pads[2])), mode=mode, **kw)
    tops, lefts = [0, 3, 1, 5], [0, 7, 4, 2]
    out = DF.crop(tf.from_numpy(a), tops, lefts, 3, 4, pads, mode, fill=7.0).numpy()
    for n in range(4):
        np.testing.assert_array_equal(out[n], padded[n, :, tops[n]:tops[n] + 3, lefts[n]:lefts[n] + 4])


def test_crop_forms_and_per_channel_fill():
    a = np.arange(2 * 3 * 3, dtype=np.int64).reshape(1, 2, 3, 3)
    out = DF.crop(tf.from_numpy(a), 0, 0, 5, 5, padding=1, fill=[-1, -2]).numpy()
    ref = np.stack([np.pad(a[0, 0], 1, constant_values=-1), np.pad(a[0, 1], 1, constant_values=-2)])
    np.testing.assert_array_equal(out[0], ref)
    np.testing.assert_array_equal(DF.crop(tf.from_numpy(a[0]), 1, 1, 2, 2).numpy(), a[0, :, 1:3, 1:3])
    np.testing.assert_array_equal(DF.crop(tf.from_numpy(a), 0, 1, 3, 3, padding=(1, 0)).numpy()[0],
                                  np.pad(a[0], ((0, 0), (0, 0), (1, 1)))[:, :, 1:4])


def test_random_crop_windows_and_reproducibility():
    a = _images(32, 1, 8, 8)
    x = tf.from_numpy(a)
    t = RandomCrop(8, padding=2)
    tf.manual_seed(1)
    out = t(x).numpy()
    padded = np.pad(a, ((0, 0), (0, 0), (2, 2), (2, 2)))
    windows = {(i, j): padded[:, :, i:i + 8, j:j + 8] for i in range(5) for j in range(5)}
    hits = []
    for n in range(32):
        found = [k for k, w in windows.items() if np.array_equal(out[n], w[n])]
        assert found, f"image {n} is not a window of its padded image"
        hits.append(found[0])
    assert len(set(hits)) > 5  # the offsets vary from image to image
    tf.manual_seed(1)
    np.testing.assert_array_equal(t(x).numpy(), out)
    tf.manual_seed(2)
    assert not np.array_equal(t(x).numpy(), out)
    small = RandomCrop((6, 10), pad_if_needed=True, padding_mode="edge")(x)
    assert small.shape == (32, 1, 6, 10)
    with pytest.raises(ValueError, match="RandomCrop: required crop size"):
        RandomCrop(10)(x)


def test_strided_and_grad_inputs():
    a = _images(3, 4, 6, 5)
    x = tf.from_numpy(a).permute(0, 1, 3, 2)  # a non-contiguous (3, 4, 5, 6) view
    ref = a.transpose(0, 1, 3, 2)
    np.testing.assert_array_equal(DF.hflip(x).numpy(), np.flip(ref, -1))
    np.testing.assert_array_equal(DF.crop(x, 1, 2, 3, 3).numpy(), ref[:, :, 1:4, 2:5])
    np.testing.assert_array_equal(DF.rotate(x[:, :, :5, :5], 180).numpy(), np.rot90(ref[:, :, :5, :5], 2, (-2, -1)))
    out = RandomVerticalFlip(1.0)(tf.from_numpy(a).requires_grad_(True))
    assert not out.requires_grad  # augmentation is data-side: no graph
    np.testing.assert_array_equal(out.numpy(), np.flip(a, -2))


# ---- composition, datasets, errors ----

def test_compose_and_transform_dataset():
    x, y = tf.from_numpy(_images(20, 1, 8, 8)), tf.arange(20)
    aug = Compose([RandomCrop(8, padding=1), RandomHorizontalFlip(), RandomRotation(10, interpolation="bilinear"),
                   Normalize([0.5], [0.25])])
    assert aug(x).shape == (20, 1, 8, 8) and aug(x[0]).shape == (1, 8, 8)
    assert "RandomCrop" in repr(aug)
    ds = TransformDataset(TensorDataset(x, y), transform=RandomHorizontalFlip(p=1.0), target_transform=lambda t: t + 1)
    xb, yb = next(iter(DataLoader(ds, batch_size=8)))
    np.testing.assert_array_equal(xb.numpy(), np.flip(x.numpy()[:8], -1))
    assert yb.tolist() == list(range(1, 9)) and len(ds) == 20
    with pytest.raises(TypeError, match="callable"):
        Compose([3])


@pytest.mark.parametrize("transform", [RandomHorizontalFlip(), RandomVerticalFlip(), RandomCrop(2),
                                       RandomRotation(10)])
@pytest.mark.parametrize("shape", [(4, 4), (2, 1, 3, 4, 4), (4,)])
def test_transforms_reject_wrong_rank(transform, shape):
    name = type(transform).__name__
    shown = ", ".join(map(str, shape))
    with pytest.raises(ValueError, match=rf"{name} expects a \(C, H, W\) image .*shape \[{shown}\]"):
        transform(tf.zeros(*shape))
    with pytest.raises(TypeError, match=name):
        transform(np.zeros((1, 4, 4)))


def test_kernel_argument_errors():
    x = tf.zeros(2, 1, 4, 4)
    with pytest.raises(ValueError, match=r"\[flip_images\] expected a \(C, H, W\) image .*\[4, 4\]"):
        DF.hflip(tf.zeros(4, 4))
    with pytest.raises(ValueError, match=r"one value per image"):
        DF.flip(x, [True, False, True])
    with pytest.raises(ValueError, match=r"\[crop_images\] the \(3, 3\) window .* does not fit"):
        DF.crop(x, [0, 2], 0, 3, 3)
    with pytest.raises(ValueError, match="unknown padding mode"):
        DF.crop(x, 0, 0, 2, 2, padding_mode="wrap")
    with pytest.raises(ValueError, match="padding must be non-negative"):
        DF.crop(x, 0, 0, 2, 2, padding=(1, -1))
    with pytest.raises(TypeError, match="top must be bool or integer"):
        tf._C.crop_images(x._c, tf.zeros(2)._c, tf.zeros(2, dtype=tf.int64)._c, 2, 2, [0] * 4, "constant", [])
    with pytest.raises(ValueError, match="reflect padding"):
        DF.crop(x, 0, 0, 2, 2, padding=4, padding_mode="reflect")
    with pytest.raises(ValueError, match=r"fill must have 1 value or one per channel \(1\), got 3"):
        DF.rotate(x, 10, fill=[1, 2, 3])
    with pytest.raises(ValueError, match="unknown interpolation 'cubic'"):
        DF.rotate(x, 10, "cubic")
    with pytest.raises(TypeError, match=r"\[rotate_images\] expected floating images, got int64"):
        DF.rotate(tf.zeros(2, 1, 4, 4, dtype=tf.int64), 10)
    with pytest.raises(ValueError, match="not finite"):
        DF.rotate(x, [10, float("nan")])
    with pytest.raises(ValueError, match=r"matrices must have shape \[2, 2, 3\]"):
        DF.affine(x, np.zeros((3, 2, 3)))
    with pytest.raises(ValueError, match="empty"):
        DF.hflip(tf.zeros(2, 0, 4, 4))
    with pytest.raises(ValueError, match="p must be a probability"):
        RandomHorizontalFlip(1.5)
    with pytest.raises(ValueError, match="expand=True is not supported"):
        RandomRotation(10, expand=True)
    assert DF.hflip(tf.zeros(0, 1, 4, 4)).shape == (0, 1, 4, 4)


# ---- splits ----

def test_split_sizes_disjoint_and_complete():
    x, y = tf.arange(100).float().reshape(100, 1), tf.arange(100)
    x_tr, x_va, x_te, y_tr, y_va, y_te = train_val_test_split(x, y, val_size=0.15, test_size=0.25, seed=0)
    assert (len(y_tr), len(y_va), len(y_te)) == (60, 15, 25)
    ids = np.concatenate([y_tr.numpy(), y_va.numpy(), y_te.numpy()])
    assert sorted(ids.tolist()) == list(range(100))
    np.testing.assert_array_equal(x_tr.numpy()[:, 0], y_tr.numpy())  # rows stay aligned across arrays
    parts = train_val_test_split(np.arange(10), val_size=2, test_size=3, shuffle=False)
    assert [p.tolist() for p in parts] == [[0, 1, 2, 3, 4], [5, 6], [7, 8, 9]]
    lst = train_val_test_split(list("abcdefghij"), seed=1)
    assert sum(len(p) for p in lst) == 10 and isinstance(lst[0], list)
    ds_parts = train_val_test_split(TensorDataset(x), seed=1)
    assert all(isinstance(p, Subset) for p in ds_parts) and [len(p) for p in ds_parts] == [70, 10, 20]
    empty_val = train_val_test_split(np.arange(10), val_size=0, test_size=0.3, seed=0)
    assert [len(p) for p in empty_val] == [7, 0, 3]


def test_split_reproducibility():
    a = np.arange(50)
    assert all(np.array_equal(p, q) for p, q in zip(train_val_test_split(a, seed=5), train_val_test_split(a, seed=5)))
    assert not np.array_equal(train_val_test_split(a, seed=5)[0], train_val_test_split(a, seed=6)[0])
    g = [train_val_test_split(a, generator=tf.Generator().manual_seed(2))[0] for _ in range(2)]
    np.testing.assert_array_equal(g[0], g[1])
    tf.manual_seed(11)
    s1 = train_val_test_split(a)[2]
    tf.manual_seed(11)
    np.testing.assert_array_equal(train_val_test_split(a)[2], s1)


def test_stratified_split_keeps_class_proportions():
    y = np.repeat([0, 1, 2], [500, 300, 200])
    RNG.shuffle(y)
    parts = train_val_test_split(np.arange(1000), y, val_size=0.1, test_size=0.2, stratify=y, seed=0)
    idx_tr, idx_va, idx_te, y_tr, y_va, y_te = parts
    assert (len(y_tr), len(y_va), len(y_te)) == (700, 100, 200)
    for part, n in ((y_tr, 700), (y_va, 100), (y_te, 200)):
        np.testing.assert_array_equal(np.bincount(part, minlength=3), np.array([0.5, 0.3, 0.2]) * n)
    np.testing.assert_array_equal(y[idx_te], y_te)
    assert len(set(idx_tr) | set(idx_va) | set(idx_te)) == 1000
    # uneven counts: each class within one sample of its share, sizes exact
    y2 = np.repeat(np.arange(10), np.arange(3, 13))
    p2 = train_val_test_split(y2, val_size=0.2, test_size=0.2, stratify=tf.from_numpy(y2), seed=3)
    assert [len(p) for p in p2] == [45, 15, 15]
    shares = np.bincount(y2) * 0.2
    assert np.all(np.abs(np.bincount(p2[2], minlength=10) - shares) < 1 + 1e-9)


def test_split_errors():
    a = np.arange(10)
    with pytest.raises(ValueError, match="leave no training samples"):
        train_val_test_split(a, val_size=0.5, test_size=0.5)
    with pytest.raises(ValueError, match="leave no training samples"):
        train_val_test_split(a, val_size=4, test_size=6)
    with pytest.raises(ValueError, match="test_size must be non-negative"):
        train_val_test_split(a, test_size=-0.1)
    with pytest.raises(ValueError, match="must be below 1"):
        train_val_test_split(a, val_size=1.0)
    with pytest.raises(ValueError, match=r"inconsistent numbers of samples: \[10, 9\]"):
        train_val_test_split(a, np.arange(9))
    with pytest.raises(ValueError, match="at least one array"):
        train_val_test_split()
    with pytest.raises(ValueError, match="stratify must hold one label per sample"):
        train_val_test_split(a, stratify=np.zeros(4))
    with pytest.raises(ValueError, match="shuffle=True"):
        train_val_test_split(a, stratify=a % 2, shuffle=False)
    with pytest.raises(ValueError, match="not both"):
        train_val_test_split(a, seed=1, generator=tf.Generator())
    with pytest.raises(TypeError, match="has no length"):
        train_val_test_split(3)


# ---- normalisation ----

def test_normalize_per_channel():
    a = _images(2, 3, 4, 5)
    mean, std = [0.1, -0.2, 0.3], [0.5, 2.0, 0.25]
    out = Normalize(mean, std)(tf.from_numpy(a)).numpy()
    ref = (a - np.array(mean, np.float32)[:, None, None]) / np.array(std, np.float32)[:, None, None]
    np.testing.assert_allclose(out, ref, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(Normalize(mean, std)(tf.from_numpy(a[0])).numpy(), ref[0], rtol=1e-6, atol=1e-6)
    x = tf.from_numpy(a.copy())
    assert Normalize(0.5, 2.0, inplace=True)(x) is x
    np.testing.assert_allclose(x.numpy(), (a - 0.5) / 2.0, rtol=1e-6)
    if torch is not None:  # torchvision's formula, written with torch ops
        t = (torch.from_numpy(a) - torch.tensor(mean).view(-1, 1, 1)) / torch.tensor(std).view(-1, 1, 1)
        np.testing.assert_allclose(out, t.numpy(), rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="division by zero"):
        Normalize([0.0], [0.0])
    with pytest.raises(ValueError, match=r"\(\.\.\., C, H, W\), got shape \[4, 5\]"):
        Normalize([0.0], [1.0])(tf.zeros(4, 5))
    with pytest.raises(ValueError, match="mean has 2 values but the input .* has 3 channels"):
        Normalize([0.0, 1.0], [1.0])(tf.zeros(3, 4, 4))


def test_scalers_are_fitted_on_the_training_split_only():
    # the first 210 rows (the unshuffled train split) and the held-out 90 come from different distributions
    x = np.concatenate([RNG.normal(5.0, 2.0, (210, 3)), RNG.normal(-40.0, 9.0, (90, 3))]).astype(np.float32)
    x_tr, x_va, x_te = train_val_test_split(tf.from_numpy(x), val_size=0.1, test_size=0.2, shuffle=False)
    scaler = Standardize().fit(x_tr)
    np.testing.assert_allclose(scaler.mean_[0], x_tr.numpy().mean(0), rtol=1e-6)
    np.testing.assert_allclose(scaler.std_[0], x_tr.numpy().std(0), rtol=1e-6)
    z_tr, z_va = scaler.transform(x_tr).numpy(), scaler.transform(x_va).numpy()
    np.testing.assert_allclose(z_tr.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(z_tr.std(0), 1, atol=1e-5)
    assert np.all(np.abs(z_va.mean(0)) > 1)  # val/test were not seen: their statistics are not used
    # changing the held-out data changes nothing the scaler learned
    before = scaler.transform(x_tr).numpy()
    scaler.transform(tf.from_numpy(x_te.numpy() * 100))
    np.testing.assert_array_equal(scaler.transform(x_tr).numpy(), before)
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(x_va)).numpy(), x_va.numpy(), rtol=1e-5,
                               atol=1e-4)
    mm = MinMaxScale().fit(x_tr)
    u = mm.transform(x_tr).numpy()
    assert u.min() == 0.0 and abs(u.max() - 1.0) < 1e-6
    np.testing.assert_allclose(mm.min_[0], x_tr.numpy().min(0))
    assert mm.transform(x_te).numpy().min() < -1  # the test split lies outside the train range
    np.testing.assert_allclose(mm.inverse_transform(mm.transform(x_te)).numpy(), x_te.numpy(), rtol=1e-5, atol=1e-4)


def test_scaler_details_and_errors():
    imgs = _images(10, 3, 4, 4).astype(np.float64)
    s = Standardize(dims=(0, 2, 3)).fit(imgs)  # per-channel image statistics, numpy in and out
    assert s.mean_.shape == (1, 3, 1, 1)
    out = s.transform(imgs)
    assert isinstance(out, np.ndarray) and out.dtype == np.float64
    np.testing.assert_allclose(out.mean((0, 2, 3)), 0, atol=1e-12)
    const = np.ones((5, 2), np.float32)
    np.testing.assert_array_equal(Standardize().fit_transform(const), np.zeros((5, 2)))
    np.testing.assert_array_equal(MinMaxScale((-1, 1)).fit_transform(const), -np.ones((5, 2)))
    restored = Standardize()
    restored.load_state_dict(s.state_dict())
    np.testing.assert_allclose(restored.transform(imgs), out)
    with pytest.raises(NotFittedError, match=r"Standardize.transform: .* not fitted yet; call fit\(train_x\)"):
        Standardize().transform(imgs)
    with pytest.raises(NotFittedError, match="MinMaxScale.inverse_transform"):
        MinMaxScale().inverse_transform(imgs)
    with pytest.raises(ValueError, match=r"input of shape \[10, 2, 4, 4\] does not match .* \[1, 3, 1, 1\]"):
        s.transform(imgs[:, :2])
    with pytest.raises(ValueError, match="non-empty floating"):
        Standardize().fit(np.arange(6).reshape(3, 2))
    with pytest.raises(ValueError, match="feature_range"):
        MinMaxScale((1, 0))
