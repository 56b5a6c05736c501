"""Classify scikit-learn's handwritten digits with a small transformer encoder, reading each
8x8 image as a sequence of 8 rows of 8 pixels.

    python -m tensorforge.examples.transformer [--epochs 40] [--batch-size 64] [--lr 2e-3]

A seeded 80/20 split (the same as the digits CNN example). Each row is embedded by a linear
layer, a learned position embedding is added, two pre-norm TransformerEncoderLayers (64 wide,
4 heads) attend over the rows, and the mean over positions goes to a linear classifier. It
reaches a test accuracy of at least 97% (98.1% with the defaults, 98.3-99.2% for seeds 1-3)
in about 10 seconds on two cores; prints progress per epoch and the result.
"""
from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np

import tensorforge as tf
import tensorforge.nn as nn
from tensorforge.data import load_digits
from tensorforge.utils.data import DataLoader, TensorDataset

TARGET = 0.97


class RowTransformer(nn.Module):
    """(N, rows, cols) pixel rows -> (N, classes) logits."""

    def __init__(self, rows: int = 8, cols: int = 8, d_model: int = 64, nhead: int = 4, layers: int = 2,
                 classes: int = 10, dropout: float = 0.1):
        super().__init__()
        self.embed = nn.Linear(cols, d_model)
        self.pos = nn.Parameter(tf.randn(1, rows, d_model) * 0.02)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=2 * d_model, dropout=dropout,
                                           activation="gelu", batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(d_model))
        self.head = nn.Linear(d_model, classes)

    def forward(self, x):
        h = self.encoder(self.embed(x) + self.pos)
        return self.head(h.mean(1))


def accuracy(model: nn.Module, x: tf.Tensor, y: tf.Tensor) -> float:
    model.eval()
    with tf.no_grad():
        pred = model(x).argmax(1)
    model.train()
    return float((pred == y).float().mean())


def main(argv=None) -> float:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    tf.manual_seed(args.seed)
    images, labels = load_digits()
    x = images.reshape(-1, 8, 8)  # a sequence of 8 rows of 8 pixels
    order = np.random.default_rng(args.seed).permutation(len(labels))
    n_train = int(0.8 * len(labels))
    train_idx, test_idx = tf.tensor(order[:n_train]), tf.tensor(order[n_train:])
    x_train, y_train, x_test, y_test = x[train_idx], labels[train_idx], x[test_idx], labels[test_idx]
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=args.batch_size, shuffle=True,
                        generator=tf.Generator().manual_seed(args.seed))

    model = RowTransformer()
    opt = tf.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    steps = args.epochs * len(loader)
    warmup = len(loader)
    sched = tf.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
    print(f"digits as row sequences: {n_train} train / {len(labels) - n_train} test, "
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
            sched.step()
            total += float(loss)
            batches += 1
            if tty:
                print(f"\repoch {epoch:3d}/{args.epochs} [{'#' * (20 * batches // len(loader)):20s}] "
                      f"loss {total / batches:.4f}", end="", flush=True)
        msg = (f"epoch {epoch:3d}/{args.epochs}  loss {total / batches:.4f}  "
               f"test acc {100 * accuracy(model, x_test, y_test):5.1f}%  [{time.perf_counter() - start:5.1f}s]")
        print(("\r" if tty else "") + msg + " " * 10, flush=True)
    acc = accuracy(model, x_test, y_test)
    verdict = "reached" if acc >= TARGET else "MISSED"
    print(f"final test accuracy: {100 * acc:.2f}% in {time.perf_counter() - start:.1f}s "
          f"({verdict} the stated {100 * TARGET:.0f}%)")
    return acc


if __name__ == "__main__":
    main()
