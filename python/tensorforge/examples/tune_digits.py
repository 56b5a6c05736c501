"""Hyperparameter search on the digits with ``tensorforge.tune``: grid and random search over
learning rate, width and dropout of an MLP, each trial scored on a validation split.

    python -m tensorforge.examples.tune_digits [--trials 30] [--epochs 40] [--no-optuna]

A seeded 20% of the images is held out as the test set and never seen by the search. Each
trial trains on the rest with ``validation_split=0.2`` and early stopping and is scored by its
best validation accuracy. Prints both results tables and the best configuration, then retrains
the best configuration and reports its test accuracy. When Optuna is installed, the random
search's space also goes through Optuna's TPE sampler (``--no-optuna`` skips it).
"""
from __future__ import annotations

import argparse
import time

import tensorforge as tf
import tensorforge.nn as nn
from tensorforge import tune
from tensorforge.examples.trainer_digits import split
from tensorforge.train import EarlyStopping, Trainer


def build_mlp(width: int, dropout: float) -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(64, width), nn.ReLU(), nn.Dropout(dropout),
                         nn.Linear(width, width), nn.ReLU(), nn.Dropout(dropout), nn.Linear(width, 10))


def train(config: dict, data, epochs: int, seed: int):
    """Trains one configuration; returns (trainer, history)."""
    tf.manual_seed(seed)
    model = build_mlp(config["width"], config["dropout"])
    trainer = Trainer(model, nn.CrossEntropyLoss(), tf.optim.Adam(model.parameters(), lr=config["lr"]),
                      metrics=["accuracy"],
                      callbacks=[EarlyStopping("val_accuracy", patience=5, restore_best_weights=True)])
    history = trainer.fit(data, epochs=epochs, batch_size=config.get("batch_size", 32), validation_split=0.2,
                          verbose=0)
    return trainer, history


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=30, help="random-search (and Optuna) trials")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-optuna", action="store_true", help="skip the Optuna (TPE) search")
    args = p.parse_args(argv)

    train_data, test_data = split(args.seed)
    print(f"digits: {len(train_data[1])} images for the search (20% of them for validation), "
          f"{len(test_data[1])} held-out test images")

    def objective(config):
        return train(config, train_data, args.epochs, args.seed)[1]

    searches = {}
    grid = {"lr": [1e-3, 3e-3, 1e-2], "width": [32, 128, 256], "dropout": [0.0, 0.2, 0.4]}
    start = time.perf_counter()
    searches["grid"] = tune.grid_search(objective, grid, metric="val_accuracy", direction="maximize")
    print(f"\ngrid search: {len(searches['grid'])} configurations in {time.perf_counter() - start:.1f}s")
    print(searches["grid"])

    space = {"lr": tune.loguniform(3e-4, 3e-2), "width": tune.randint(16, 257), "dropout": tune.uniform(0.0, 0.5),
             "batch_size": [16, 32, 64]}
    start = time.perf_counter()
    searches["random"] = tune.random_search(objective, space, n_trials=args.trials, seed=args.seed,
                                            metric="val_accuracy", direction="maximize")
    print(f"\nrandom search: {args.trials} trials in {time.perf_counter() - start:.1f}s")
    print(searches["random"])

    if not args.no_optuna:
        try:
            start = time.perf_counter()
            searches["optuna"] = tune.optuna_search(objective, space, n_trials=args.trials, seed=args.seed,
                                                    metric="val_accuracy", direction="maximize")
            print(f"\nOptuna (TPE): {args.trials} trials in {time.perf_counter() - start:.1f}s")
            print(searches["optuna"])
        except ImportError as e:
            print(f"\n(skipping Optuna: {e})")

    name, best = max(searches.items(), key=lambda kv: kv[1].best_score)
    config = best.best_config
    print(f"\nbest configuration ({name} search): "
          + ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in config.items())
          + f"; validation accuracy {100 * best.best_score:.2f}%")
    trainer, _ = train(config, train_data, args.epochs, args.seed)
    test = trainer.evaluate(test_data)
    print(f"retrained best configuration: test accuracy {100 * test['accuracy']:.2f}% (loss {test['loss']:.4f})")
    return {"best_config": config, "val_accuracy": best.best_score, "test_accuracy": test["accuracy"]}


if __name__ == "__main__":
    main()
