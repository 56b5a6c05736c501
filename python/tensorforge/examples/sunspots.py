"""LSTM forecaster of the yearly sunspot numbers (statsmodels' bundled series, 1700-2008).

    python -m tensorforge.examples.sunspots [--test-years 40] [--window 24] [--epochs 300]

A chronological split: the last `--test-years` years are held out. Values are scaled with the
mean and standard deviation of the training years only. The model reads the previous `--window`
years and predicts the next one; on the held-out years each forecast sees the true history up
to the year before (one step ahead), exactly what the persistence baseline (next year = this
year) gets. Reports held-out RMSE and MAE, in sunspot numbers, against that baseline.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import tensorforge as tf
import tensorforge.nn as nn
from tensorforge.data import load_sunspots


class Forecaster(nn.Module):
    def __init__(self, hidden: int = 48, layers: int = 2):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):  # x: (batch, window, 1) -> (batch,)
        out, _ = self.lstm(x)
        return self.head(out[:, -1]).reshape(-1)


def windows(series: np.ndarray, targets: range, window: int):
    """Inputs series[t - window: t] and targets series[t] for each t in targets."""
    x = np.stack([series[t - window:t] for t in targets]).astype(np.float32)[:, :, None]
    y = np.asarray([series[t] for t in targets], dtype=np.float32)
    return tf.tensor(x), tf.tensor(y)


def scores(pred: np.ndarray, truth: np.ndarray):
    err = pred - truth
    return float(np.sqrt(np.mean(err ** 2))), float(np.mean(np.abs(err)))


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--test-years", type=int, default=40)
    p.add_argument("--window", type=int, default=24)
    p.add_argument("--epochs", type=int, default=300)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    tf.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    years, values = load_sunspots()
    years, values = years.numpy(), values.numpy().astype(np.float64)
    split = len(values) - args.test_years
    mean, std = values[:split].mean(), values[:split].std()
    scaled = (values - mean) / std
    x_train, y_train = windows(scaled, range(args.window, split), args.window)
    x_test, _ = windows(scaled, range(split, len(values)), args.window)
    truth = values[split:]

    model = Forecaster()
    opt = tf.optim.Adam(model.parameters(), lr=args.lr)
    sched = tf.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs, eta_min=args.lr / 20)
    loss_fn = nn.MSELoss()
    n = len(y_train)
    print(f"sunspots: {years[0]}-{years[split - 1]} for training ({n} windows of {args.window} years), "
          f"{years[split]}-{years[-1]} held out; scaling fitted on the training years (mean {mean:.1f}, "
          f"std {std:.1f}); {sum(q.numel() for q in model.parameters()):,} parameters")
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        order = tf.tensor(rng.permutation(n))
        total = 0.0
        for b in range(0, n, args.batch_size):
            idx = order[b:b + args.batch_size]
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss) * len(idx)
        sched.step()
        if epoch % 25 == 0 or epoch == 1:
            print(f"epoch {epoch:4d}/{args.epochs}  train MSE (scaled) {total / n:.4f}  "
                  f"[{time.perf_counter() - start:5.1f}s]", flush=True)
    model.eval()
    with tf.no_grad():
        pred = model(x_test).numpy().astype(np.float64) * std + mean
    rmse, mae = scores(pred, truth)
    base_rmse, base_mae = scores(values[split - 1:-1], truth)
    print(f"\nheld-out {years[split]}-{years[-1]} ({args.test_years} years), one step ahead:")
    print(f"  LSTM         RMSE {rmse:6.2f}   MAE {mae:6.2f}")
    print(f"  persistence  RMSE {base_rmse:6.2f}   MAE {base_mae:6.2f}")
    print(f"  the LSTM's RMSE is {100 * (1 - rmse / base_rmse):.0f}% and MAE {100 * (1 - mae / base_mae):.0f}% lower; "
          f"total time {time.perf_counter() - start:.1f}s")
    for y, t, f in list(zip(years[split:], truth, pred))[-6:]:
        print(f"  {y}: observed {t:6.1f}  forecast {f:6.1f}")
    return {"rmse": rmse, "mae": mae, "baseline_rmse": base_rmse, "baseline_mae": base_mae}


if __name__ == "__main__":
    main()
