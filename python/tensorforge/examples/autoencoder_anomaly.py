"""Anomaly detection with a denoising autoencoder on the bundled 8x8 digits.

    python -m tensorforge.examples.autoencoder_anomaly [--normal 0,1,2,3,4,5,6] [--epochs 150] [--quick]

The autoencoder learns to rebuild "normal" digits (the classes in --normal) from copies
corrupted with Gaussian noise and randomly erased pixels; the other classes never appear in
training and are the anomalies, mixed into the validation and test splits at --contamination
(0.2: one anomaly per five normal digits). A sample's anomaly score is its reconstruction error. The
threshold is the one with the best F1 on a validation split (normal and anomalous digits);
precision, recall, F1 and ROC AUC are then reported on the test split, next to the same scores
cut at a random threshold, a random scorer given the same threshold search, and flagging
everything.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import tensorforge as tf
import tensorforge.nn as nn
from tensorforge.data import load_digits, train_val_test_split
from tensorforge.utils.data import DataLoader, TensorDataset


def autoencoder(code: int) -> nn.Module:
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, code), nn.ReLU(),
                         nn.Linear(code, 128), nn.ReLU(), nn.Linear(128, 64), nn.Sigmoid())


def corrupt(x: tf.Tensor, std: float, erase: float) -> tf.Tensor:
    """Gaussian noise plus a fraction `erase` of pixels set to 0, clipped to [0, 1]."""
    keep = (tf.rand(*x.shape) >= erase).float()
    return ((x + std * tf.randn(*x.shape)) * keep).clamp(0.0, 1.0)


def scores(model: nn.Module, x: tf.Tensor) -> np.ndarray:
    """Per-sample reconstruction error (mean squared) of clean inputs."""
    with tf.no_grad():
        return ((model(x) - x) ** 2).mean(1).numpy().astype(np.float64)


def best_threshold(y: np.ndarray, s: np.ndarray) -> float:
    """The score threshold (flag s >= t) with the highest F1 on (y, s)."""
    from sklearn.metrics import precision_recall_curve

    precision, recall, thresholds = precision_recall_curve(y, s)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    return float(thresholds[np.argmax(f1[:-1])])


def report(y: np.ndarray, s: np.ndarray, threshold: float) -> tuple:
    from sklearn.metrics import precision_recall_fscore_support, roc_auc_score

    p, r, f1, _ = precision_recall_fscore_support(y, s >= threshold, average="binary", zero_division=0)
    return float(p), float(r), float(f1), float(roc_auc_score(y, s))


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--normal", default="0,1,2,3,4,5,6", help="comma-separated normal classes")
    p.add_argument("--epochs", type=int, default=150)
    p.add_argument("--code", type=int, default=12, help="bottleneck size")
    p.add_argument("--noise", type=float, default=0.2)
    p.add_argument("--erase", type=float, default=0.15)
    p.add_argument("--contamination", type=float, default=0.2, help="anomalies per normal digit in val/test")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="two epochs (smoke test)")
    args = p.parse_args(argv)
    if args.quick:
        args.epochs = 2
    normal_classes = sorted({int(c) for c in args.normal.split(",")})
    if not normal_classes or any(c < 0 or c > 9 for c in normal_classes) or len(normal_classes) == 10:
        raise SystemExit("--normal must list between 1 and 9 of the classes 0-9")

    tf.manual_seed(args.seed)
    x, y = load_digits(flatten=True)
    is_normal = np.isin(y.numpy(), normal_classes)
    x_n, y_n = x[tf.from_numpy(np.flatnonzero(is_normal))], y[tf.from_numpy(np.flatnonzero(is_normal))]
    x_a = x[tf.from_numpy(np.flatnonzero(~is_normal))]
    n_tr, n_va, n_te, _, _, _ = train_val_test_split(x_n, y_n, val_size=0.15, test_size=0.25, stratify=y_n,
                                                     seed=args.seed)
    # anomalies are rare: `contamination` of them per normal digit in validation and test, disjoint draws
    order = np.random.default_rng(args.seed).permutation(len(x_a))
    k_va = min(int(round(args.contamination * len(n_va))), len(order) // 2)
    k_te = min(int(round(args.contamination * len(n_te))), len(order) - k_va)
    a_va, a_te = x_a[tf.from_numpy(order[:k_va])], x_a[tf.from_numpy(order[k_va:k_va + k_te])]
    x_va, lab_va = tf.cat([n_va, a_va]), np.r_[np.zeros(len(n_va)), np.ones(len(a_va))]
    x_te, lab_te = tf.cat([n_te, a_te]), np.r_[np.zeros(len(n_te)), np.ones(len(a_te))]
    print(f"autoencoder_anomaly: normal classes {normal_classes}; train {len(n_tr)} normal digits; validation "
          f"{len(n_va)} normal + {len(a_va)} anomalies; test {len(n_te)} normal + {len(a_te)} anomalies")

    model = autoencoder(args.code)
    opt = tf.optim.Adam(model.parameters(), lr=2e-3)
    loader = DataLoader(TensorDataset(n_tr), batch_size=64, shuffle=True)
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        total, batches = 0.0, 0
        for (xb,) in loader:
            loss = nn.functional.mse_loss(model(corrupt(xb, args.noise, args.erase)), xb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss)
            batches += 1
        if epoch == 1 or epoch % 25 == 0 or epoch == args.epochs:
            model.eval()
            sv = scores(model, x_va)
            print(f"epoch {epoch:4d}/{args.epochs}  denoising loss {total / batches:.4f}  val error normal "
                  f"{sv[lab_va == 0].mean():.4f} / anomalous {sv[lab_va == 1].mean():.4f}  "
                  f"[{time.perf_counter() - start:5.1f}s]", flush=True)
    model.eval()
    s_va, s_te = scores(model, x_va), scores(model, x_te)
    threshold = best_threshold(lab_va, s_va)
    ours = report(lab_te, s_te, threshold)
    rng = np.random.default_rng(args.seed)
    r_va, r_te = rng.random(len(lab_va)), rng.random(len(lab_te))
    rand = report(lab_te, r_te, best_threshold(lab_va, r_va))
    rand_cut = report(lab_te, s_te, rng.uniform(s_va.min(), s_va.max()))[:3] + (float("nan"),)
    flag_all = report(lab_te, np.ones(len(lab_te)), 1.0)
    print(f"trained in {time.perf_counter() - start:.1f}s; threshold {threshold:.4f} (best F1 on validation)")
    print(f"test split ({int(lab_te.sum())} anomalies of {len(lab_te)}):  precision  recall     F1  ROC AUC")
    for name, (pr, rc, f1, auc) in (("autoencoder", ours), ("autoencoder, random threshold", rand_cut),
                                    ("random scorer", rand), ("flag everything", flag_all)):
        print(f"  {name:34s} {pr:9.3f} {rc:7.3f} {f1:6.3f} {'-' if auc != auc else f'{auc:.3f}':>8s}")
    print(f"F1 {ours[2]:.3f} vs {rand[2]:.3f} for the random scorer; ROC AUC {ours[3]:.3f} vs {rand[3]:.3f}")
    return {"precision": ours[0], "recall": ours[1], "f1": ours[2], "auc": ours[3], "random_f1": rand[2],
            "random_auc": rand[3]}


if __name__ == "__main__":
    main()
