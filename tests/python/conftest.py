import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import tensorforge as tf  # noqa: E402


@pytest.fixture(params=tf.backends.cpu.available_isas())
def isa(request):
    """Runs a test once per ISA this CPU supports (avx512, avx2, scalar), restoring the best."""
    best = tf.backends.cpu.available_isas()[0]
    tf.backends.cpu.set_isa(request.param)
    yield request.param
    tf.backends.cpu.set_isa(best)


@pytest.fixture(autouse=True)
def _seed():
    tf.manual_seed(0)
    yield
