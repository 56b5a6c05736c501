"""Gradient attributions: saliency maps, SmoothGrad and integrated gradients, from autograd."""
from __future__ import annotations

import contextlib

import numpy as np

from .. import autograd
from ..autograd import enable_grad, no_grad
from ..tensor import Tensor, from_numpy, randn


@contextlib.contextmanager
def _frozen(model):
    """The model in eval mode with its parameters out of the graph, both restored afterwards,
    so no parameter gradient is computed or accumulated."""
    modes = [(m, m.training) for m in model.modules()] if hasattr(model, "modules") else []
    params = [(p, p.requires_grad) for p in model.parameters()] if hasattr(model, "parameters") else []
    if hasattr(model, "eval"):
        model.eval()
    for p, _ in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in params:
            p.requires_grad_(flag)
        for m, flag in modes:
            m.training = flag


def _check_input(x, fn: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"[{fn}] expected a tensorforge.Tensor batch, got {type(x).__name__}")
    if x.ndim < 2 or not x.dtype.is_floating_point:
        raise ValueError(f"[{fn}] expected a floating batch of shape (N, ...) with N samples, got {x.dtype} of "
                         f"shape {list(x.shape)}")


def _scores_matrix(out, n: int, fn: str) -> Tensor:
    if not isinstance(out, Tensor):
        raise TypeError(f"[{fn}] the model must return a tensor of scores, got {type(out).__name__}")
    if out.ndim == 1:
        out = out.reshape(-1, 1)
    if out.ndim != 2 or out.shape[0] != n:
        raise ValueError(f"[{fn}] the model must return (N, classes) scores for N = {n} inputs, got shape "
                         f"{list(out.shape)}")
    return out


def _targets(target, scores: Tensor, fn: str) -> np.ndarray:
    """One class index per sample: the argmax when target is None, else the given int(s)."""
    n, classes = scores.shape
    if target is None:
        return scores.detach().numpy().argmax(1).astype(np.int64)
    t = target.detach().numpy() if isinstance(target, Tensor) else np.asarray(target)
    if t.ndim == 0:
        t = np.full(n, int(t))
    if t.shape != (n,) or not np.issubdtype(t.dtype, np.integer):
        raise ValueError(f"[{fn}] target must be an int or one class index per sample ({n}), got {t.dtype} of shape "
                         f"{list(t.shape)}")
    if t.min() < 0 or t.max() >= classes:
        raise IndexError(f"[{fn}] target {int(t.max() if t.max() >= classes else t.min())} is out of range for "
                         f"{classes} outputs")
    return t.astype(np.int64)


def _pick(scores: Tensor, idx: np.ndarray) -> Tensor:
    """scores[i, idx[i]] for each row i, differentiably."""
    mask = np.zeros(tuple(scores.shape), dtype=scores.dtype.np)
    mask[np.arange(len(idx)), idx] = 1
    return (scores * from_numpy(mask)).sum(1)


def _input_grad(model, x: Tensor, target, fn: str) -> Tensor:
    """d score[target] / d x for the batch x."""
    xi = x.detach().requires_grad_(True)
    with enable_grad():
        scores = _scores_matrix(model(xi), x.shape[0], fn)
        (g,) = autograd.grad(_pick(scores, _targets(target, scores, fn)).sum(), xi)
    return g


def _reduce_channels(g: Tensor, absolute: bool) -> Tensor:
    g = g.abs() if absolute else g
    return g.amax(1) if g.ndim >= 3 else g


def saliency(model, x: Tensor, target=None, abs: bool = True) -> Tensor:  # noqa: A002  (captum's name)
    """Gradient of the target score w.r.t. the input (Simonyan et al., 2014).

    Args:
        model: any differentiable module (run in eval mode; parameter ``.grad`` is untouched).
        x: a batch ``(N, ...)``. target: None (each sample's predicted class), an int, or one
            class index per sample.
        abs: take the absolute value (the usual saliency map).

    Shape:
        ``(N, C, H, W)`` input -> ``(N, H, W)`` (the maximum over channels); other ``(N, C, *)``
        inputs likewise reduce dim 1; ``(N, F)`` -> ``(N, F)``.
    """
    _check_input(x, "saliency")
    with _frozen(model):
        g = _input_grad(model, x, target, "saliency")
    return _reduce_channels(g, abs)


def smoothgrad(model, x: Tensor, target=None, samples: int = 25, noise: float = 0.15, abs: bool = True,  # noqa: A002
               generator=None) -> Tensor:
    """SmoothGrad (Smilkov et al., 2017): the saliency map averaged over ``samples`` copies of
    the input with Gaussian noise of std ``noise * (max - min)`` of each sample. The target is
    fixed from the clean input. Same shapes as ``saliency``. ``generator``: a numpy Generator
    or ``tensorforge.Generator`` for the noise (default: the global generator)."""
    _check_input(x, "smoothgrad")
    if samples < 1 or noise < 0:
        raise ValueError(f"[smoothgrad] samples must be >= 1 and noise >= 0, got samples={samples}, noise={noise}")
    from ..utils.data.sampler import _numpy_rng

    rng = _numpy_rng(generator)
    xs = x.detach().numpy().astype(np.float64)
    flat = xs.reshape(len(xs), -1)
    sigma = (noise * (flat.max(1) - flat.min(1))).reshape((-1,) + (1,) * (xs.ndim - 1))
    with _frozen(model):
        with no_grad():
            idx = _targets(target, _scores_matrix(model(x), x.shape[0], "smoothgrad"), "smoothgrad")
        total = None
        for _ in range(samples):
            shape = tuple(x.shape)
            z = randn(*shape, dtype=x.dtype).numpy() if rng is None else rng.standard_normal(shape)
            noisy = from_numpy((xs + sigma * z).astype(x.dtype.np))
            g = _input_grad(model, noisy, idx, "smoothgrad")
            m = _reduce_channels(g, abs).numpy().astype(np.float64)
            total = m if total is None else total + m
    return from_numpy((total / samples).astype(x.dtype.np))


_METHODS = ("trapezoid", "midpoint")


def _path(steps: int, method: str):
    """Points alpha in [0, 1] along the path and their quadrature weights (summing to 1)."""
    if method == "trapezoid":
        alphas = np.linspace(0.0, 1.0, steps + 1)
        weights = np.full(steps + 1, 1.0 / steps)
        weights[[0, -1]] = 0.5 / steps
    else:
        alphas = (np.arange(steps) + 0.5) / steps
        weights = np.full(steps, 1.0 / steps)
    return alphas, weights


def _baseline_array(baseline, xs: np.ndarray) -> np.ndarray:
    if baseline is None:
        return np.zeros_like(xs)
    b = baseline.detach().numpy() if isinstance(baseline, Tensor) else np.asarray(baseline, dtype=np.float64)
    try:
        return np.broadcast_to(b.astype(np.float64), xs.shape)
    except ValueError:
        raise ValueError(f"[integrated_gradients] baseline of shape {list(b.shape)} does not broadcast to the input "
                         f"shape {list(xs.shape)}") from None


def integrated_gradients(model, x: Tensor, target=None, baseline=None, steps: int = 50, method: str = "trapezoid",
                         internal_batch_size: int | None = None, return_convergence_delta: bool = False):
    """Integrated gradients (Sundararajan et al., 2017): ``(x - baseline)`` times the average
    gradient of the target score along the straight path from ``baseline`` to ``x``.

    The path integral is a Riemann sum over ``steps`` intervals (``method``: ``"trapezoid"``,
    the endpoints included, or ``"midpoint"``), evaluated as batches of scaled inputs. By the
    completeness axiom the attributions of a sample sum to ``f(x) - f(baseline)`` for its
    target score, up to the quadrature error.

    Args:
        model: any differentiable module (run in eval mode; parameter ``.grad`` is untouched).
        x: a batch ``(N, ...)``. target: None (predicted class at x), an int, or one per sample.
        baseline: None (zeros), a number, or an array/tensor broadcastable to ``x``.
        internal_batch_size: at most this many scaled inputs per forward pass (default: all
            ``(steps + 1) * N`` at once).
        return_convergence_delta: also return, per sample, ``sum(attributions) - (f(x) -
            f(baseline))``.

    Returns:
        attributions shaped like ``x`` (and the deltas ``(N,)`` when asked).
    """
    _check_input(x, "integrated_gradients")
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"[integrated_gradients] steps must be a positive int, got {steps!r}")
    if method not in _METHODS:
        raise ValueError(f"[integrated_gradients] method must be one of {_METHODS}, got {method!r}")
    n = x.shape[0]
    xs = x.detach().numpy().astype(np.float64)
    base = _baseline_array(baseline, xs)
    alphas, weights = _path(steps, method)
    per_pass = len(alphas) if internal_batch_size is None else max(1, int(internal_batch_size) // n)
    dt = x.dtype.np
    with _frozen(model):
        with no_grad():
            idx = _targets(target, _scores_matrix(model(x), n, "integrated_gradients"), "integrated_gradients")
        avg_grad = np.zeros_like(xs)
        for start in range(0, len(alphas), per_pass):
            a = alphas[start:start + per_pass]
            scaled = base[None] + a.reshape((-1,) + (1,) * xs.ndim) * (xs - base)[None]
            batch = from_numpy(np.ascontiguousarray(scaled.reshape((-1,) + xs.shape[1:]).astype(dt)))
            g = _input_grad(model, batch, np.tile(idx, len(a)), "integrated_gradients")
            g = g.numpy().astype(np.float64).reshape((len(a),) + xs.shape)
            avg_grad += np.tensordot(weights[start:start + per_pass], g, axes=1)
        attributions = (xs - base) * avg_grad
        if not return_convergence_delta:
            return from_numpy(attributions.astype(dt))
        with no_grad():
            ends = from_numpy(np.ascontiguousarray(np.concatenate([xs, base]).astype(dt)))
            scores = _scores_matrix(model(ends), 2 * n, "integrated_gradients").numpy().astype(np.float64)
        gap = scores[np.arange(n), idx] - scores[n + np.arange(n), idx]
        delta = attributions.reshape(n, -1).sum(1) - gap
    return from_numpy(attributions.astype(dt)), from_numpy(delta.astype(dt))
