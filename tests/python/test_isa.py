"""Every ISA this CPU supports gives the same results; AVX-512 is used where available."""
import numpy as np
import pytest

import tensorforge as tf
from helpers import rand


def test_best_isa_reported():
    isas = tf.backends.cpu.available_isas()
    assert isas[-1] == "scalar"
    assert tf.backends.cpu.get_cpu_capability() == isas[0]
    with open("/proc/cpuinfo") as f:
        flags = f.read()
    if "avx512f" in flags and "avx512bw" in flags and "avx512vl" in flags and "avx512dq" in flags:
        assert isas[0] == "avx512"


OPS = [
    lambda m, a, b: a @ b.T,
    lambda m, a, b: (a * b + a / (b.abs() + 1)).exp(),
    lambda m, a, b: m.softmax(a, 1) + m.log_softmax(b, 0),
    lambda m, a, b: m.tanh(a) + m.sigmoid(b) - m.erf(a) + m.log1p(b.abs()),
    lambda m, a, b: (a.sum(1), a.sum(0), a.amax(1), a.var(0), a.logsumexp(1), a.argmax(1)),
]


@pytest.mark.parametrize("k", range(len(OPS)))
def test_isas_agree(k):
    a, b = rand(67, 131), rand(67, 131)
    results = {}
    for isa in tf.backends.cpu.available_isas():
        tf.backends.cpu.set_isa(isa)
        out = OPS[k](tf, tf.tensor(a), tf.tensor(b))
        results[isa] = [o.numpy() for o in (out if isinstance(out, tuple) else (out,))]
    tf.backends.cpu.set_isa(tf.backends.cpu.available_isas()[0])
    ref = results["scalar"]
    for isa, outs in results.items():
        for o, r in zip(outs, ref):
            np.testing.assert_allclose(o, r, rtol=2e-5, atol=2e-5, err_msg=isa)
