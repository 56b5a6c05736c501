"""Explaining the digits CNN: saliency maps and integrated gradients, with a deletion test.

    python -m tensorforge.examples.saliency_digits [--epochs 30] [--weights digits_cnn.safetensors]
                                                   [--out-dir saliency_digits] [--quick]

Trains the CNN of ``tensorforge.examples.digits`` briefly (or loads its saved weights), writes
PNG overlays of the saliency map and the integrated-gradients attributions of a few test
digits, and checks the attributions with a deletion test: erasing (setting to 0, the paper
background) the k pixels with the highest attribution should lower the probability of the
predicted class much more than erasing k random pixels, or k random inked pixels.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

import tensorforge as tf
import tensorforge.nn as nn
from tensorforge import explain
from tensorforge.data import load_digits, train_val_test_split
from tensorforge.examples.digits import accuracy, build_model
from tensorforge.utils.data import DataLoader, TensorDataset


def train(model: nn.Module, x: tf.Tensor, y: tf.Tensor, epochs: int) -> None:
    opt = tf.optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)
    model.train()
    for _ in range(epochs):
        for xb, yb in loader:
            loss = nn.functional.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()


def probabilities(model: nn.Module, x: np.ndarray, target: np.ndarray) -> np.ndarray:
    with tf.no_grad():
        p = model(tf.from_numpy(np.ascontiguousarray(x, dtype=np.float32))).softmax(-1).numpy()
    return p[np.arange(len(target)), target]


def erase(x: np.ndarray, order: np.ndarray, k: int) -> np.ndarray:
    """x (N, 1, 8, 8) with the first k pixels of each row of `order` (N, 64) set to 0."""
    flat = x.reshape(len(x), -1).copy()
    np.put_along_axis(flat, order[:, :k], 0.0, axis=1)
    return flat.reshape(x.shape)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--weights", default=None, help="load the digits example's weights instead of training")
    p.add_argument("--out-dir", default="saliency_digits")
    p.add_argument("--examples", type=int, default=4, help="test digits to draw")
    p.add_argument("--deletion-samples", type=int, default=200)
    p.add_argument("--k", type=int, default=8, help="pixels erased in the deletion test")
    p.add_argument("--steps", type=int, default=50, help="integrated-gradients steps")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="one epoch on 256 digits, small deletion test (smoke test)")
    args = p.parse_args(argv)
    if args.quick:
        args.epochs, args.deletion_samples, args.steps, args.examples = 1, 16, 8, 1

    tf.manual_seed(args.seed)
    x, y = load_digits()
    x_tr, _, x_te, y_tr, _, y_te = train_val_test_split(x, y, val_size=0, test_size=0.2, stratify=y, seed=args.seed)
    model = build_model()
    start = time.perf_counter()
    if args.weights and os.path.exists(args.weights):
        model.load_state_dict(tf.load(args.weights))
        model.eval()
        how = f"loaded {args.weights}"
    else:
        rows = slice(0, 256) if args.quick else slice(None)
        train(model, x_tr[rows], y_tr[rows], args.epochs)
        how = f"trained {args.epochs} epochs"
    print(f"saliency_digits: CNN {how} in {time.perf_counter() - start:.1f}s, test accuracy "
          f"{100 * accuracy(model, x_te, y_te):.1f}%")
    model.eval()

    # overlays for a few test digits
    shown = x_te[:args.examples]
    sal = explain.saliency(model, shown)
    ig, delta = explain.integrated_gradients(model, shown, steps=args.steps, return_convergence_delta=True)
    with tf.no_grad():
        pred = model(shown).argmax(1).numpy()
    paths = []
    for i in range(args.examples):
        label = int(y_te[i])
        for name, att in (("saliency", sal[i]), ("integrated_gradients", ig[i])):
            paths.append(explain.save_overlay(shown[i], att, os.path.join(args.out_dir, f"digit{i}_{name}.png"),
                                              title=f"{name.replace('_', ' ')}: label {label}, predicted {pred[i]}"))
    print(f"overlays ({len(paths)} PNGs): " + ", ".join(paths))
    print("integrated-gradients completeness, |sum(attributions) - (f(x) - f(0))| per digit: "
          + ", ".join(f"{abs(d):.4f}" for d in delta.numpy()))

    # deletion test
    n = min(args.deletion_samples, len(x_te))
    xs = x_te[:n]
    xn = xs.numpy()
    with tf.no_grad():
        target = model(xs).argmax(1).numpy()
    t0 = time.perf_counter()
    ig_all = explain.integrated_gradients(model, xs, target=target, steps=args.steps,
                                          internal_batch_size=2048).numpy().reshape(n, -1)
    sal_all = explain.saliency(model, xs, target=target).numpy().reshape(n, -1)
    attr_time = time.perf_counter() - t0
    rng = np.random.default_rng(args.seed)
    random_order = np.argsort(rng.random((n, 64)), axis=1)
    inked = xn.reshape(n, -1) > 0
    ink_order = np.argsort(np.where(inked, rng.random((n, 64)), 2.0), axis=1)  # inked pixels first, random order
    base = probabilities(model, xn, target)
    drops = {}
    orders = {"integrated gradients": np.argsort(-ig_all, axis=1), "saliency": np.argsort(-sal_all, axis=1),
              "random pixels": random_order, "random inked pixels": ink_order}
    for name, order in orders.items():
        drops[name] = float((base - probabilities(model, erase(xn, order, args.k), target)).mean())
    print(f"deletion test on {n} test digits (attributions in {attr_time:.1f}s): mean drop of the predicted class's "
          f"probability (from {base.mean():.3f}) after erasing {args.k} of 64 pixels")
    for name, d in drops.items():
        print(f"  {name:22s} {d:7.3f}")
    ok = drops["integrated gradients"] > drops["random inked pixels"] and drops["saliency"] > drops["random pixels"]
    print(f"sanity: top-attributed pixels matter more than random ones: {'yes' if ok else 'NO'} "
          f"(integrated gradients {drops['integrated gradients']:.3f} vs random {drops['random pixels']:.3f}); "
          f"total {time.perf_counter() - start:.1f}s")
    return {"drops": drops, "paths": paths, "ok": ok}


if __name__ == "__main__":
    main()
