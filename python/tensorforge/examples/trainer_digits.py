"""Train the digits CNN with ``tensorforge.train.Trainer``: validation split, early stopping,
checkpoints, a CSV log and a plot of the learning curves.

    python -m tensorforge.examples.trainer_digits [--epochs 40] [--out-dir trainer_digits_out]

Holds out a seeded 20% test split, fits on the rest with ``validation_split=0.2`` (the last
fifth of the training data), stops once the validation loss has not improved for ``--patience``
epochs and restores the best weights, saves the best training state with ``ModelCheckpoint``,
logs every epoch to ``history.csv``, plots ``history.png``, then reloads the checkpoint into a
fresh trainer and checks that it gives the same test accuracy.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

import tensorforge as tf
import tensorforge.nn as nn
from tensorforge.data import load_digits
from tensorforge.examples.digits import build_model
from tensorforge.train import CSVLogger, EarlyStopping, ModelCheckpoint, Trainer


def split(seed: int, test_fraction: float = 0.2):
    x, y = load_digits()
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = int(test_fraction * len(y))
    test, train = tf.tensor(order[:n_test]), tf.tensor(order[n_test:])
    return (x[train], y[train]), (x[test], y[test])


def make_trainer(lr: float, callbacks=()) -> Trainer:
    model = build_model()
    return Trainer(model, nn.CrossEntropyLoss(), tf.optim.Adam(model.parameters(), lr=lr),
                   metrics=["accuracy", "f1"], callbacks=list(callbacks))


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--patience", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out-dir", default="trainer_digits_out")
    args = p.parse_args(argv)
    os.makedirs(args.out_dir, exist_ok=True)
    ckpt = os.path.join(args.out_dir, "best.safetensors")
    csv_path = os.path.join(args.out_dir, "history.csv")
    png_path = os.path.join(args.out_dir, "history.png")

    (x_train, y_train), (x_test, y_test) = split(args.seed)
    tf.manual_seed(args.seed)
    early = EarlyStopping(monitor="val_loss", patience=args.patience, restore_best_weights=True)
    trainer = make_trainer(args.lr, [early, ModelCheckpoint(ckpt, monitor="val_loss", save_best_only=True),
                                     CSVLogger(csv_path)])
    print(f"digits: {len(y_train)} training images (the last 20% of them for validation), {len(y_test)} test")
    start = time.perf_counter()
    history = trainer.fit((x_train, y_train), epochs=args.epochs, batch_size=args.batch_size, validation_split=0.2)
    seconds = time.perf_counter() - start
    stopped = f"stopped early after epoch {early.stopped_epoch + 1}" if early.stopped_epoch else "ran every epoch"
    print(f"{stopped} in {seconds:.1f}s; best val_loss {early.best:.4f} at epoch {early.best_epoch + 1} "
          "(weights restored)")

    test = trainer.evaluate((x_test, y_test))
    print(f"test: loss {test['loss']:.4f}, accuracy {100 * test['accuracy']:.2f}%, macro F1 {test['f1']:.4f}")

    tf.manual_seed(12345)  # a fresh start: everything that matters comes from the checkpoint
    reloaded = make_trainer(args.lr)
    epoch = reloaded.load_checkpoint(ckpt)
    again = reloaded.evaluate((x_test, y_test))
    same = again["accuracy"] == test["accuracy"] and abs(again["loss"] - test["loss"]) < 1e-6
    print(f"checkpoint {ckpt} (epoch {epoch}) reloaded: test accuracy {100 * again['accuracy']:.2f}% "
          f"({'identical' if same else 'DIFFERENT'})")

    try:
        history.plot(png_path, title="digits CNN")
        print(f"learning curves: {png_path}; per-epoch log: {csv_path}")
    except ImportError:
        print(f"(matplotlib is not installed: no plot); per-epoch log: {csv_path}")
    return {"test_accuracy": test["accuracy"], "epochs_run": len(history), "seconds": seconds, "reload_same": same}


if __name__ == "__main__":
    main()
