"""Search spaces: a dict from hyperparameter name to a list of choices, a distribution, or a
fixed value.

    space = {
        "lr": tune.loguniform(1e-4, 1e-1),     # continuous, uniform in log space
        "dropout": tune.uniform(0.0, 0.5),     # continuous
        "width": tune.randint(16, 257),        # integers in [16, 257)
        "batch_size": [32, 64, 128],           # a list: choose one (same as tune.choice)
        "epochs": 20,                          # anything else: fixed
    }

The same names as Ray Tune's (``randint``'s upper bound is exclusive, as there).
"""
from __future__ import annotations

import itertools
import math
import numbers

import numpy as np

__all__ = ["Domain", "Uniform", "LogUniform", "RandInt", "Choice", "uniform", "loguniform", "randint", "choice",
           "grid_points", "sample"]


class Domain:
    """A distribution over one hyperparameter."""

    def sample(self, rng: np.random.Generator):
        raise NotImplementedError

    def grid(self, name: str) -> list:
        """The values a grid search visits (discrete domains only)."""
        raise ValueError(f"grid_search: '{name}' is {self!r}, a continuous distribution; give a list of values "
                         "for a grid, or use random_search / optuna_search")


def _check_bounds(kind: str, low, high) -> None:
    if not (isinstance(low, numbers.Real) and isinstance(high, numbers.Real)) or not (math.isfinite(low)
                                                                                        and math.isfinite(high)):
        raise ValueError(f"{kind}: bounds must be finite numbers, got {low!r} and {high!r}")
    if not low < high:
        raise ValueError(f"{kind}: needs low < high, got {low} and {high}")


class Uniform(Domain):
    """Floats uniform on [low, high)."""

    def __init__(self, low: float, high: float):
        _check_bounds("uniform", low, high)
        self.low, self.high = float(low), float(high)

    def sample(self, rng):
        return float(rng.uniform(self.low, self.high))

    def __repr__(self) -> str:
        return f"uniform({self.low:g}, {self.high:g})"


class LogUniform(Domain):
    """Floats whose logarithm is uniform on [log low, log high): each decade equally likely
    (learning rates, weight decays)."""

    def __init__(self, low: float, high: float):
        _check_bounds("loguniform", low, high)
        if low <= 0:
            raise ValueError(f"loguniform: bounds must be > 0, got {low}")
        self.low, self.high = float(low), float(high)

    def sample(self, rng):
        return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))

    def __repr__(self) -> str:
        return f"loguniform({self.low:g}, {self.high:g})"


class RandInt(Domain):
    """Integers uniform on [low, high) (high exclusive)."""

    def __init__(self, low: int, high: int):
        if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in (low, high)):
            raise ValueError(f"randint: bounds must be integers, got {low!r} and {high!r}")
        if not low < high:
            raise ValueError(f"randint: needs low < high (high is exclusive), got {low} and {high}")
        self.low, self.high = int(low), int(high)

    def sample(self, rng):
        return int(rng.integers(self.low, self.high))

    def grid(self, name: str) -> list:
        return list(range(self.low, self.high))

    def __repr__(self) -> str:
        return f"randint({self.low}, {self.high})"


class Choice(Domain):
    """One of the given values, each equally likely."""

    def __init__(self, values):
        self.values = list(values)
        if not self.values:
            raise ValueError("choice: needs at least one value")

    def sample(self, rng):
        return self.values[int(rng.integers(len(self.values)))]

    def grid(self, name: str) -> list:
        return list(self.values)

    def __repr__(self) -> str:
        return f"choice({self.values!r})"


def uniform(low: float, high: float) -> Uniform:
    """Floats uniform on [low, high)."""
    return Uniform(low, high)


def loguniform(low: float, high: float) -> LogUniform:
    """Floats log-uniform on [low, high); low > 0."""
    return LogUniform(low, high)


def randint(low: int, high: int) -> RandInt:
    """Integers uniform on [low, high)."""
    return RandInt(low, high)


def choice(values) -> Choice:
    """One of ``values``."""
    return Choice(values)


def as_domain(value):
    """A Domain for searched entries (lists become Choice), or None for fixed values."""
    if isinstance(value, Domain):
        return value
    if isinstance(value, list):
        return Choice(value)
    return None


_RESERVED = ("trial", "score", "seconds")


def check_space(space) -> dict:
    if not isinstance(space, dict) or not space:
        raise ValueError(f"the search space must be a non-empty dict of name -> values, got {space!r}")
    for k in space:
        if not isinstance(k, str):
            raise TypeError(f"search space names must be strings, got {k!r}")
        if k in _RESERVED:
            raise ValueError(f"'{k}' cannot name a hyperparameter: the results table uses {', '.join(_RESERVED)}")
    return {k: (as_domain(v) or v) for k, v in space.items()}


def grid_points(space: dict) -> list:
    """Every combination of the discrete entries (the last name varies fastest); fixed values
    are copied into each configuration."""
    space = check_space(space)
    names = list(space)
    axes = [v.grid(k) if isinstance(v, Domain) else [v] for k, v in space.items()]
    return [dict(zip(names, combo)) for combo in itertools.product(*axes)]


def sample(space: dict, rng: np.random.Generator) -> dict:
    """One configuration drawn from ``space`` (entries drawn in the dict's order)."""
    space = check_space(space)
    return {k: (v.sample(rng) if isinstance(v, Domain) else v) for k, v in space.items()}
