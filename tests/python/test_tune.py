"""tensorforge.tune: search spaces, grid/random search, the Optuna adapter."""
import csv
import itertools
import math

import numpy as np
import pytest

import tensorforge as tf
import tensorforge.nn as nn
from tensorforge import tune
from tensorforge.train import Trainer


def test_grid_search_visits_every_combination_once():
    seen = []

    def objective(config):
        seen.append(dict(config))
        return (config["lr"] - 0.01) ** 2 + config["width"] / 1000

    space = {"lr": [0.001, 0.01, 0.1], "width": tune.choice([16, 64]), "depth": tune.randint(1, 3), "epochs": 5}
    result = tune.grid_search(objective, space)
    combos = list(itertools.product([0.001, 0.01, 0.1], [16, 64], [1, 2]))
    assert [(c["lr"], c["width"], c["depth"]) for c in seen] == combos  # the last name varies fastest
    assert all(c["epochs"] == 5 for c in seen) and len(result) == 12
    assert result.best_config == {"lr": 0.01, "width": 16, "depth": 1} and result.best_score == pytest.approx(0.016)
    scores = [r["score"] for r in result]
    assert scores == sorted(scores) and [r["trial"] for r in result.trials] == list(range(12))
    maximised = tune.grid_search(objective, space, direction="maximize")
    assert maximised.best_config["lr"] == 0.1 and maximised.best_config["width"] == 64
    with pytest.raises(ValueError, match="continuous distribution"):
        tune.grid_search(objective, {"lr": tune.loguniform(1e-4, 1e-1)})


def test_random_search_is_reproducible_and_draws_from_the_distributions():
    space = {"lr": tune.loguniform(1e-5, 1e-1), "dropout": tune.uniform(0.0, 0.5), "width": tune.randint(8, 12),
             "act": ["relu", "tanh"], "fixed": (1, 2)}

    def configs(seed, n=200):
        rows = []
        tune.random_search(lambda c: rows.append(c) or 0.0, space, n_trials=n, seed=seed)
        return rows

    a, b, c = configs(0), configs(0), configs(1)
    assert a == b and a != c
    lrs = np.array([r["lr"] for r in a])
    assert lrs.min() >= 1e-5 and lrs.max() < 1e-1
    # log-uniform: each decade about equally likely, so the median sits near 10^-3
    assert 10 ** -3.6 < np.median(lrs) < 10 ** -2.4
    assert all(0.0 <= r["dropout"] < 0.5 for r in a)
    assert {r["width"] for r in a} == {8, 9, 10, 11}  # randint's upper bound is exclusive
    assert {r["act"] for r in a} == {"relu", "tanh"} and all(r["fixed"] == (1, 2) for r in a)
    assert all(type(r["lr"]) is float and type(r["width"]) is int for r in a)


def test_search_scores_history_and_dicts_and_writes_csv(tmp_path):
    tf.manual_seed(0)
    x = tf.randn(200, 5)
    y = (x[:, 0] > 0).long()

    def objective(config):
        tf.manual_seed(0)
        model = nn.Sequential(nn.Linear(5, config["width"]), nn.ReLU(), nn.Linear(config["width"], 2))
        trainer = Trainer(model, nn.CrossEntropyLoss(), tf.optim.Adam(model.parameters(), config["lr"]),
                          metrics=["accuracy"])
        return trainer.fit((x, y), epochs=3, validation_split=0.25, verbose=0)

    result = tune.grid_search(objective, {"lr": [1e-4, 3e-2], "width": [4]}, metric="val_accuracy",
                              direction="maximize")
    assert result.best_config == {"lr": 3e-2, "width": 4}
    assert 0.5 < result.best_score <= 1.0
    by_loss = tune.grid_search(objective, {"lr": [1e-4, 3e-2], "width": [4]})  # default: min of val_loss
    assert by_loss.best_config["lr"] == 3e-2 and by_loss.metric is None
    table = str(result)
    assert "val_accuracy (max)" in table and table.count("\n") == 3
    path = tmp_path / "results.csv"
    result.to_csv(path)
    rows = list(csv.DictReader(path.read_text().splitlines()))
    assert [r["lr"] for r in rows] == ["0.03", "0.0001"] and set(rows[0]) == {"trial", "lr", "width", "score", "seconds"}

    assert tune.random_search(lambda c: {"val_loss": c["a"]}, {"a": [3.0, 1.0, 2.0]}, 6, seed=0).best_score == 1.0
    with pytest.raises(ValueError, match="without 'val_f1'"):
        tune.grid_search(objective, {"lr": [1e-3], "width": [4]}, metric="val_f1")
    with pytest.raises(TypeError, match="must return a number"):
        tune.grid_search(lambda c: "good", {"a": [1]})
    nan_last = tune.grid_search(lambda c: c["a"], {"a": [float("nan"), 2.0, 1.0]})
    assert [r["a"] for r in nan_last][:2] == [1.0, 2.0] and math.isnan(nan_last.results[-1]["score"])


def test_space_and_argument_errors():
    for bad in (lambda: tune.loguniform(0, 1), lambda: tune.uniform(1, 1), lambda: tune.randint(3, 3),
                lambda: tune.randint(0.5, 2), lambda: tune.uniform(0, math.inf)):
        with pytest.raises(ValueError):
            bad()
    with pytest.raises(ValueError, match="at least one"):
        tune.choice([])
    with pytest.raises(ValueError, match="non-empty dict"):
        tune.grid_search(lambda c: 0.0, {})
    with pytest.raises(ValueError, match="n_trials"):
        tune.random_search(lambda c: 0.0, {"a": [1]}, n_trials=0)
    with pytest.raises(ValueError, match="direction"):
        tune.random_search(lambda c: 0.0, {"a": [1]}, n_trials=1, direction="up")
    with pytest.raises(ValueError, match="cannot name a hyperparameter"):
        tune.grid_search(lambda c: 0.0, {"score": [1]})


def test_optuna_adapter_runs_the_same_space():
    optuna = pytest.importorskip("optuna")
    space = {"lr": tune.loguniform(1e-4, 1e-1), "x": tune.uniform(-2.0, 2.0), "n": tune.randint(1, 4),
             "act": ["relu", "tanh"], "shape": [(1, 2), (3, 4)], "fixed": 7}
    seen = []

    def objective(config):
        seen.append(config)
        return (config["x"] - 1.0) ** 2 + (math.log10(config["lr"]) + 2) ** 2 + config["n"]

    result = tune.optuna_search(objective, space, n_trials=12, seed=0)
    assert len(result) == 12 and isinstance(result.study, optuna.study.Study)
    assert result.best_score == pytest.approx(result.study.best_value)
    for c in seen:
        assert 1e-4 <= c["lr"] <= 1e-1 and -2 <= c["x"] <= 2 and c["n"] in (1, 2, 3)
        assert c["act"] in ("relu", "tanh") and c["shape"] in ((1, 2), (3, 4)) and c["fixed"] == 7
    assert set(result.best_config) == {"lr", "x", "n", "act", "shape"}
    first = list(seen)
    seen.clear()
    tune.optuna_search(objective, space, n_trials=12, seed=0)
    assert seen == first  # seeded TPE proposes the same trials
    maximised = tune.optuna_search(lambda c: c["x"], {"x": tune.uniform(0, 1)}, n_trials=5, seed=1,
                                   direction="maximize")
    assert maximised.best_score == max(r["score"] for r in maximised)
