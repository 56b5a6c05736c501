"""Hyperparameter search (``tensorforge.tune``): grid and random search, and an Optuna adapter,
over one space description (lists for choices, ``loguniform``/``uniform``/``randint``/``choice``).
See ``tune.search`` for the objective protocol."""
from .search import SearchResult, grid_search, optuna_search, random_search
from .space import Choice, Domain, LogUniform, RandInt, Uniform, choice, grid_points, loguniform, randint, sample, uniform

__all__ = ["grid_search", "random_search", "optuna_search", "SearchResult", "loguniform", "uniform", "randint",
           "choice", "grid_points", "sample", "Domain", "Uniform", "LogUniform", "RandInt", "Choice"]
