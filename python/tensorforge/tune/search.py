"""Grid, random and Optuna searches over a hyperparameter space.

The protocol: ``objective(config) -> score``, where ``config`` is a dict drawn from the space
and the score is

- a number;
- a ``train.History`` (what ``Trainer.fit`` returns): the best value of ``metric`` over its
  epochs (default ``"val_loss"``), so that the validation split decides;
- a dict such as ``Trainer.evaluate`` returns: its ``metric`` entry (default ``"val_loss"``).

``direction`` (``"minimize"``, the default, or ``"maximize"``) says which scores are better.
Every search returns a ``SearchResult``: the trials sorted best first, ``best_config``,
``best_score``, ``to_csv`` and a printable table.

Example:
    >>> def objective(config):
    ...     model = make_model(config["width"], config["dropout"])
    ...     trainer = Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), config["lr"]),
    ...                       metrics=["accuracy"])
    ...     return trainer.fit((x, y), epochs=10, validation_split=0.2, verbose=0)
    >>> result = tune.random_search(objective, {"lr": tune.loguniform(1e-4, 1e-1), "width": [32, 64],
    ...                             "dropout": tune.uniform(0, 0.5)}, n_trials=20, seed=0,
    ...                             metric="val_accuracy", direction="maximize")
    >>> print(result); result.best_config
"""
from __future__ import annotations

import csv
import math
import numbers
import os
import time

import numpy as np

from .space import Choice, Domain, LogUniform, RandInt, Uniform, check_space, grid_points, sample

__all__ = ["SearchResult", "grid_search", "random_search", "optuna_search"]

_DIRECTIONS = ("minimize", "maximize")


class SearchResult:
    """The trials of a search, best first.

    Attributes:
        results: list of dicts ``{"trial", <hyperparameters>..., "score", "seconds"}``, sorted
            best first (trials scoring nan last).
        trials: the same rows in the order they ran.
        best_config: the hyperparameters of the best trial. best_score: its score.
        metric, direction: how trials were scored.
    """

    def __init__(self, trials: list, names: list, metric: str | None, direction: str):
        self.trials, self.names, self.metric, self.direction = trials, names, metric, direction
        sign = -1.0 if direction == "maximize" else 1.0
        self.results = sorted(trials, key=lambda r: (math.isnan(r["score"]), sign * r["score"]
                                                     if not math.isnan(r["score"]) else 0.0))
        self.study = None

    @property
    def best(self) -> dict:
        if not self.results:
            raise ValueError("the search ran no trials")
        return self.results[0]

    @property
    def best_config(self) -> dict:
        return {k: self.best[k] for k in self.names}

    @property
    def best_score(self) -> float:
        return self.best["score"]

    def __len__(self) -> int:
        return len(self.results)

    def __iter__(self):
        return iter(self.results)

    def __getitem__(self, i):
        return self.results[i]

    def columns(self) -> list:
        return ["trial"] + self.names + ["score", "seconds"]

    def to_csv(self, path) -> None:
        """Writes the table (best first) to a CSV file."""
        with open(os.fspath(path), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(self.columns())
            for r in self.results:
                w.writerow([r[c] for c in self.columns()])

    def table(self, max_rows: int | None = None) -> str:
        """The results as an aligned text table, best first."""
        cols = self.columns()
        rows = self.results if max_rows is None else self.results[:max_rows]
        cells = [[_cell(r[c]) for c in cols] for r in rows]
        score_name = self.metric or "score"
        header = [c if c != "score" else f"{score_name} ({'max' if self.direction == 'maximize' else 'min'})"
                  for c in cols]
        widths = [max(len(h), *(len(row[i]) for row in cells)) if cells else len(h) for i, h in enumerate(header)]
        lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths))]
        lines.append("  ".join("-" * w for w in widths))
        lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in cells]
        if max_rows is not None and len(self.results) > max_rows:
            lines.append(f"... {len(self.results) - max_rows} more")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return (f"SearchResult({len(self.results)} trials, best_score={self.best_score if self.results else None!r}, "
                f"best_config={self.best_config if self.results else None!r})")


def _cell(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _check_direction(direction: str) -> None:
    if direction not in _DIRECTIONS:
        raise ValueError(f"direction must be 'minimize' or 'maximize', got {direction!r}")


def score_of(value, metric: str | None, direction: str) -> float:
    """The score of what an objective returned (see the module docstring)."""
    from ..train.history import History

    key = metric or "val_loss"
    if isinstance(value, History):
        if key not in value.history:
            raise ValueError(f"the objective returned a History without '{key}'; recorded keys: "
                             f"{', '.join(sorted(value.history))} (set metric=)")
        vals = [float(v) for v in value.history[key] if not math.isnan(float(v))]
        if not vals:
            return math.nan
        return max(vals) if direction == "maximize" else min(vals)
    if isinstance(value, dict):
        if key not in value:
            raise ValueError(f"the objective returned a dict without '{key}'; its keys: {', '.join(map(str, value))} "
                             "(set metric=)")
        value = value[key]
    if hasattr(value, "item") and not isinstance(value, numbers.Real):
        value = value.item()
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError("the objective must return a number, a History or a dict of numbers, got "
                        f"{type(value).__name__}")
    return float(value)


def _run(objective, configs, names, metric, direction, verbose) -> list:
    rows = []
    for config in configs:
        rows.append(_trial(objective, config, len(rows), len(configs), names, metric, direction, verbose))
    return rows


def _trial(objective, config: dict, i: int, total, names, metric, direction, verbose) -> dict:
    start = time.perf_counter()
    score = score_of(objective(dict(config)), metric, direction)
    row = {"trial": i, **{k: config[k] for k in names}, "score": score, "seconds": time.perf_counter() - start}
    if verbose:
        shown = ", ".join(f"{k}={_cell(config[k])}" for k in names)
        print(f"trial {i + 1}/{total}: {shown} -> {metric or 'score'} {score:.4g} ({row['seconds']:.1f}s)",
              flush=True)
    return row


def _searched_names(space: dict) -> list:
    """The hyperparameters that vary (the table's columns)."""
    return [k for k, v in space.items() if isinstance(v, Domain)]


def grid_search(objective, space: dict, metric: str | None = None, direction: str = "minimize",
                verbose: bool = False) -> SearchResult:
    """Runs ``objective`` on every combination of the space's discrete entries (lists,
    ``choice``, ``randint``); fixed entries are passed unchanged.

    Raises:
        ValueError: a continuous distribution in the space, an empty space or list, a bad
        direction.
    """
    _check_direction(direction)
    checked = check_space(space)
    configs = grid_points(space)
    names = _searched_names(checked)
    return SearchResult(_run(objective, configs, names, metric, direction, verbose), names, metric, direction)


def random_search(objective, space: dict, n_trials: int, seed: int | None = None, metric: str | None = None,
                  direction: str = "minimize", verbose: bool = False) -> SearchResult:
    """Runs ``objective`` on ``n_trials`` configurations drawn independently from the space;
    the same ``seed`` draws the same configurations.

    Raises:
        ValueError: n_trials < 1, an empty space, a bad direction.
    """
    _check_direction(direction)
    if not isinstance(n_trials, numbers.Integral) or isinstance(n_trials, bool) or n_trials < 1:
        raise ValueError(f"random_search: n_trials must be a positive integer, got {n_trials!r}")
    checked = check_space(space)
    rng = np.random.default_rng(seed)
    configs = [sample(space, rng) for _ in range(n_trials)]
    names = _searched_names(checked)
    return SearchResult(_run(objective, configs, names, metric, direction, verbose), names, metric, direction)


_OPTUNA_PRIMITIVES = (type(None), bool, int, float, str)


def _suggest(trial, name: str, domain):
    if not isinstance(domain, Domain):
        return domain
    if isinstance(domain, Choice):
        values = domain.values
        if all(isinstance(v, _OPTUNA_PRIMITIVES) for v in values):
            return trial.suggest_categorical(name, values)
        return values[trial.suggest_categorical(name, list(range(len(values))))]
    if isinstance(domain, LogUniform):
        return trial.suggest_float(name, domain.low, domain.high, log=True)
    if isinstance(domain, Uniform):
        return trial.suggest_float(name, domain.low, domain.high)
    if isinstance(domain, RandInt):
        return trial.suggest_int(name, domain.low, domain.high - 1)
    raise TypeError(f"optuna_search: no Optuna distribution for {domain!r}")


def optuna_search(objective, space: dict, n_trials: int, seed: int | None = None, metric: str | None = None,
                  direction: str = "minimize", sampler=None, timeout: float | None = None,
                  verbose: bool = False) -> SearchResult:
    """Runs the same search space through Optuna (TPE by default): ``choice``/lists become
    categorical, ``uniform``/``loguniform`` float (log) and ``randint`` integer parameters.

    Args:
        sampler: an ``optuna.samplers`` object (default ``TPESampler(seed=seed)``).
        timeout: stop after this many seconds even if fewer than n_trials ran.

    Returns:
        A ``SearchResult`` whose ``study`` attribute is the Optuna study.

    Raises:
        ImportError: Optuna is not installed.
    """
    try:
        import optuna
    except ImportError as e:
        raise ImportError("optuna_search needs Optuna: pip install optuna (or pip install tensorforge[examples])") \
            from e
    _check_direction(direction)
    if not isinstance(n_trials, numbers.Integral) or isinstance(n_trials, bool) or n_trials < 1:
        raise ValueError(f"optuna_search: n_trials must be a positive integer, got {n_trials!r}")
    checked = check_space(space)
    names = _searched_names(checked)
    rows: list = []

    def optuna_objective(trial):
        config = {k: _suggest(trial, k, v) for k, v in checked.items()}
        row = _trial(objective, config, len(rows), n_trials, names, metric, direction, verbose)
        rows.append(row)
        return row["score"]

    verbosity = optuna.logging.get_verbosity()
    if not verbose:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = optuna.create_study(direction=direction, sampler=sampler or optuna.samplers.TPESampler(seed=seed))
        study.optimize(optuna_objective, n_trials=n_trials, timeout=timeout)
    finally:
        optuna.logging.set_verbosity(verbosity)
    result = SearchResult(rows, names, metric, direction)
    result.study = study
    return result
