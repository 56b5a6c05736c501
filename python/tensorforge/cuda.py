"""CUDA queries. This build is CPU-only: no device is available."""


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """No-op without CUDA (PyTorch scripts call it unconditionally)."""


def manual_seed_all(seed: int) -> None:
    """No-op without CUDA."""
