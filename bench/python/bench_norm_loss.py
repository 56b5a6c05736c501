"""Fused normalisation and loss kernels against PyTorch: forward + backward of cross-entropy,
batch norm 2d and layer norm, plus dropout."""
import numpy as np

import tensorforge as tf
from timer import compare, header, setup_threads, torch


def _fwd_bwd(lib, fn, arrays, grad_of):
    """A closure running fn on fresh-grad leaves and backward from the (summed) output."""
    leaves = [lib.tensor(a) for a in arrays]
    for t, g in zip(leaves, grad_of):
        if g:
            t.requires_grad_(True)

    def step():
        for t in leaves:
            t.grad = None
        out = fn(lib, *leaves)
        (out if out.ndim == 0 else out.sum()).backward()
    return step


def pair(name, fn, arrays, grad_of, target=1.0, repeats=15):
    compare(name, _fwd_bwd(tf, fn, arrays, grad_of), _fwd_bwd(torch, fn, arrays, grad_of), target=target,
            repeats=repeats)


def run():
    setup_threads()
    header("normalisation and losses")
    rng = np.random.default_rng(0)
    for n, c in [(64, 10), (4096, 1000)]:
        x = rng.standard_normal((n, c)).astype(np.float32)
        t = rng.integers(0, c, n).astype(np.int64)
        pair(f"cross_entropy fwd+bwd N={n} C={c}", lambda m, a, b: m.nn.functional.cross_entropy(a, b), [x, t],
             [True, False])
    x = rng.standard_normal((4096, 1000)).astype(np.float32)
    t = rng.integers(0, 1000, 4096).astype(np.int64)
    pair("cross_entropy fwd+bwd N=4096 C=1000 smoothing+ignore",
         lambda m, a, b: m.nn.functional.cross_entropy(a, b, ignore_index=3, label_smoothing=0.1), [x, t],
         [True, False])

    x = rng.standard_normal((8, 64, 56, 56)).astype(np.float32)
    w, b = rng.standard_normal(64).astype(np.float32), rng.standard_normal(64).astype(np.float32)
    rm, rv = np.zeros(64, np.float32), np.ones(64, np.float32)
    pair("batch_norm2d train fwd+bwd (8,64,56,56)",
         lambda m, a, w_, b_: m.nn.functional.batch_norm(a, m.tensor(rm), m.tensor(rv), w_, b_, training=True),
         [x, w, b], [True, True, True], repeats=9)
    pair("batch_norm2d eval fwd+bwd (8,64,56,56)",
         lambda m, a, w_, b_: m.nn.functional.batch_norm(a, m.tensor(rm), m.tensor(rv), w_, b_, training=False),
         [x, w, b], [True, True, True], repeats=9)
    x1 = rng.standard_normal((256, 512)).astype(np.float32)
    pair("batch_norm1d train fwd+bwd (256,512)",
         lambda m, a: m.nn.functional.batch_norm(a, None, None, training=True), [x1], [True])

    x = rng.standard_normal((16 * 128, 256)).astype(np.float32)
    w, b = rng.standard_normal(256).astype(np.float32), rng.standard_normal(256).astype(np.float32)
    pair("layer_norm fwd+bwd (16*128, 256)", lambda m, a, w_, b_: m.nn.functional.layer_norm(a, (256,), w_, b_),
         [x, w, b], [True, True, True])

    x = rng.standard_normal((64, 4096)).astype(np.float32)
    pair("dropout p=0.5 fwd+bwd (64, 4096)", lambda m, a: m.nn.functional.dropout(a, 0.5), [x], [True])
    y = rng.standard_normal((64, 4096)).astype(np.float32)
    pair("mse_loss fwd+bwd (64, 4096)", lambda m, a, b_: m.nn.functional.mse_loss(a, b_), [x, y], [True, False])
    pair("bce_with_logits fwd+bwd (64, 4096)",
         lambda m, a, b_: m.nn.functional.binary_cross_entropy_with_logits(a, b_), [x, (y > 0).astype(np.float32)],
         [True, False])


if __name__ == "__main__":
    run()
