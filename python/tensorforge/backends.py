"""Which CPU kernels run: the instruction set chosen at import (best the CPU supports)."""
from . import _C


class cpu:
    @staticmethod
    def get_cpu_capability() -> str:
        """"avx512", "avx2" or "scalar": the kernels in use."""
        return _C.isa()

    @staticmethod
    def available_isas() -> list:
        """ISAs this CPU can run, best first."""
        return list(_C.available_isas())

    @staticmethod
    def set_isa(name: str) -> None:
        """Forces the kernels of a lower ISA (for tests and comparisons)."""
        _C.set_isa(name)
