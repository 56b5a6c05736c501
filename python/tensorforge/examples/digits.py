"""Train a small CNN on scikit-learn's bundled handwritten digits.

    python -m tensorforge.examples.digits [--epochs 30] [--batch-size 64] [--lr 1e-3]

A seeded 80/20 split; prints progress per epoch, the final test accuracy, and saves the
weights to digits_cnn.safetensors.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import tensorforge as tf
import tensorforge.nn as nn
from tensorforge.data import load_digits
from tensorforge.utils.data import DataLoader, TensorDataset


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 4 * 4, 128), nn.ReLU(), nn.Dropout(0.25),
        nn.Linear(128, 10),
    )


def accuracy(model: nn.Module, x: tf.Tensor, y: tf.Tensor) -> float:
    model.eval()
    with tf.no_grad():
        pred = model(x).argmax(1)
    model.train()
    return float((pred == y).float().mean())


def main(argv=None) -> float:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="digits_cnn.safetensors")
    args = p.parse_args(argv)

    tf.manual_seed(args.seed)
    x, y = load_digits()
    order = np.random.default_rng(args.seed).permutation(len(y))
    n_train = int(0.8 * len(y))
    train_idx, test_idx = tf.tensor(order[:n_train]), tf.tensor(order[n_train:])
    x_train, y_train = x[train_idx], y[train_idx]
    x_test, y_test = x[test_idx], y[test_idx]
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=args.batch_size, shuffle=True)

    model = build_model()
    opt = tf.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    print(f"digits: {n_train} train / {len(y) - n_train} test images, "
          f"{sum(p.numel() for p in model.parameters()):,} parameters, kernels: {tf.backends.cpu.get_cpu_capability()}")
    start = time.perf_counter()
    tty = sys.stdout.isatty()
    for epoch in range(1, args.epochs + 1):
        total, batches = 0.0, 0
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss)
            batches += 1
            if tty:
                print(f"\repoch {epoch:3d}/{args.epochs} [{'#' * (20 * batches // len(loader)):20s}] "
                      f"loss {total / batches:.4f}", end="", flush=True)
        msg = (f"epoch {epoch:3d}/{args.epochs}  loss {total / batches:.4f}  "
               f"test acc {100 * accuracy(model, x_test, y_test):5.1f}%  [{time.perf_counter() - start:5.1f}s]")
        print(("\r" if tty else "") + msg + " " * 10, flush=True)
    acc = accuracy(model, x_test, y_test)
    tf.save(model.state_dict(), args.out)
    print(f"final test accuracy: {100 * acc:.2f}% in {time.perf_counter() - start:.1f}s; weights saved to {args.out}")
    return acc


if __name__ == "__main__":
    main()
