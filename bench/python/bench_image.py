"""Batched image augmentation against the same per-image work written with PyTorch ops (the way
a batched GPU-style pipeline does it): flips by torch.where, padded random crops by advanced
indexing, rotations by affine_grid + grid_sample with one matrix per image."""
import math

import numpy as np

import tensorforge as tf
from tensorforge.data import functional as DF
from timer import compare, header, setup_threads, torch


def batch(shape):
    a = np.random.default_rng(0).random(shape, dtype=np.float32)
    return tf.from_numpy(a), torch.from_numpy(a)


def flips(shape, target=None):
    tx, px = batch(shape)
    flags = np.random.default_rng(1).random(shape[0]) < 0.5
    pflags = torch.from_numpy(flags).view(-1, 1, 1, 1)
    compare(f"random hflip {'x'.join(map(str, shape))}", lambda: DF.flip(tx, flags),
            lambda: torch.where(pflags, px.flip(-1), px), target=target)


def crops(shape, pad, target=None):
    tx, px = batch(shape)
    n, c, h, w = shape
    rng = np.random.default_rng(2)
    tops, lefts = rng.integers(0, 2 * pad + 1, n), rng.integers(0, 2 * pad + 1, n)
    rows = torch.from_numpy(tops)[:, None] + torch.arange(h)
    cols = torch.from_numpy(lefts)[:, None] + torch.arange(w)
    nidx = torch.arange(n)[:, None, None]

    def theirs():
        padded = torch.nn.functional.pad(px, (pad, pad, pad, pad))
        return padded.permute(0, 2, 3, 1)[nidx, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2).contiguous()

    compare(f"random crop {'x'.join(map(str, shape))}, padding {pad}",
            lambda: DF.crop(tx, tops, lefts, h, w, pad), theirs, target=target)


def rotations(shape, mode, target=None):
    tx, px = batch(shape)
    n, c, h, w = shape
    angles = np.random.default_rng(3).uniform(-30, 30, n)
    # the same maps in grid_sample's normalised coordinates (align_corners=False)
    rad = np.radians(angles)
    theta = np.zeros((n, 2, 3), np.float32)
    theta[:, 0, 0], theta[:, 0, 1] = np.cos(rad), -np.sin(rad) * h / w
    theta[:, 1, 0], theta[:, 1, 1] = np.sin(rad) * w / h, np.cos(rad)
    ptheta = torch.from_numpy(theta)

    def theirs():
        grid = torch.nn.functional.affine_grid(ptheta, list(shape), align_corners=False)
        return torch.nn.functional.grid_sample(px, grid, mode=mode, padding_mode="zeros", align_corners=False)

    # sanity: the two compute the same rotation (away from the border, where roundoff can flip taps)
    ours, ref = DF.rotate(tx, angles, mode).numpy(), theirs().numpy()
    assert np.abs(ours - ref)[..., 2:-2, 2:-2].max() < 1e-3 or mode == "nearest"
    compare(f"random rotation {mode} {'x'.join(map(str, shape))}", lambda: DF.rotate(tx, angles, mode), theirs,
            target=target)


if __name__ == "__main__":
    setup_threads()
    header("image augmentation")
    for shape in [(256, 1, 8, 8), (256, 3, 32, 32)]:
        flips(shape, target=1.0)
        crops(shape, 4 if shape[-1] == 32 else 1, target=1.0)
        rotations(shape, "bilinear", target=1.0)
        rotations(shape, "nearest", target=1.0)
