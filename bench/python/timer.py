"""The one timer every benchmark uses: warm-up, then the median of repeats, side by side with
PyTorch as a ratio (PyTorch time / ours: above 1 means tensorforge is faster)."""
from __future__ import annotations

import statistics
import time

import tensorforge as tf

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

THREADS = 2


def setup_threads(threads: int = THREADS) -> None:
    tf.set_num_threads(threads)
    if torch is not None:
        torch.set_num_threads(threads)


def measure(fn, repeats: int = 15, warmup: int = 3, min_time: float = 0.02) -> float:
    """Median seconds per call; each repeat runs enough calls to last at least min_time."""
    for _ in range(warmup):
        fn()
    t0 = time.perf_counter()
    fn()
    once = max(time.perf_counter() - t0, 1e-7)
    inner = max(1, int(min_time / once))
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - t0) / inner)
    return statistics.median(samples)


def _fmt(seconds: float) -> str:
    if seconds >= 1e-3:
        return f"{seconds * 1e3:9.3f} ms"
    return f"{seconds * 1e6:9.2f} us"


ROWS: list = []


def compare(name: str, ours, theirs, target: float | None = None, repeats: int = 15, min_time: float = 0.02) -> float:
    """Times both, prints one row, returns the ratio. Alternates the two to share the noise.
    ``min_time=0`` times single calls (collectives: every rank must make the same calls)."""
    t_ours, t_theirs = [], []
    for _ in range(3):
        t_ours.append(measure(ours, repeats=max(3, repeats // 3), min_time=min_time))
        if theirs is not None:
            t_theirs.append(measure(theirs, repeats=max(3, repeats // 3), min_time=min_time))
    a = statistics.median(t_ours)
    b = statistics.median(t_theirs) if t_theirs else float("nan")
    ratio = b / a
    verdict = "" if target is None else ("  ok" if ratio >= target else f"  BELOW target {target}")
    print(f"{name:58s} ours {_fmt(a)}   torch {_fmt(b)}   ratio {ratio:6.2f}{verdict}", flush=True)
    ROWS.append((name, a, b, ratio, target))
    return ratio


def header(title: str) -> None:
    print(f"\n== {title} (threads={THREADS}, isa={tf.backends.cpu.get_cpu_capability()}, "
          f"torch {torch.__version__ if torch else 'missing'}) ==", flush=True)
