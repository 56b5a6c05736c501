"""fp32 GEMM: square and training-shaped products."""
import numpy as np

import tensorforge as tf
from timer import compare, header, setup_threads, torch


def run():
    setup_threads()
    header("matmul fp32")
    for n in (256, 1024, 2048):
        a, b = np.random.randn(n, n).astype(np.float32), np.random.randn(n, n).astype(np.float32)
        ta, tb = tf.tensor(a), tf.tensor(b)
        pa, pb = torch.tensor(a), torch.tensor(b)
        compare(f"matmul {n}x{n} @ {n}x{n}", lambda: ta @ tb, lambda: pa @ pb, target=0.9 if n >= 1024 else None)
    for (m, k, n) in [(64, 256, 256), (512, 1024, 1024), (4096, 256, 64)]:
        a, b = np.random.randn(m, k).astype(np.float32), np.random.randn(k, n).astype(np.float32)
        ta, tb, pa, pb = tf.tensor(a), tf.tensor(b), torch.tensor(a), torch.tensor(b)
        compare(f"matmul {m}x{k} @ {k}x{n}", lambda: ta @ tb, lambda: pa @ pb)
        tbt, pbt = tb.t().contiguous(), pb.t().contiguous()  # [n, k] stored, read transposed
        compare(f"matmul {m}x{k} @ ({n}x{k}).T", lambda: ta @ tbt.t(), lambda: pa @ pbt.t())
        tat, pat = ta.t().contiguous(), pa.t().contiguous()
        compare(f"matmul ({k}x{m}).T @ {k}x{n}", lambda: tat.t() @ tb, lambda: pat.t() @ pb)
    a, b = np.random.randn(32, 128, 64).astype(np.float32), np.random.randn(32, 64, 128).astype(np.float32)
    ta, tb, pa, pb = tf.tensor(a), tf.tensor(b), torch.tensor(a), torch.tensor(b)
    compare("bmm 32 x (128x64 @ 64x128)", lambda: ta @ tb, lambda: pa @ pb)


if __name__ == "__main__":
    run()
