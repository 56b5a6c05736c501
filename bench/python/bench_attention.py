"""Attention against PyTorch: fused scaled dot-product attention forward(+backward), multi-head
attention, a TransformerEncoderLayer training step, and the peak memory of a long-sequence
forward + backward (measured in fresh processes) against the size of the L x L score matrix."""
import json
import subprocess
import sys

import numpy as np

import tensorforge as tf
from timer import compare, header, setup_threads, torch


def sdpa_rows():
    B, H, L, D = 4, 8, 512, 64
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((B, H, L, D)).astype(np.float32) for _ in range(3)]
    up = rng.standard_normal((B, H, L, D)).astype(np.float32)
    for causal in (True, False):
        tq, tk, tv = (tf.tensor(a, requires_grad=True) for a in arrays)
        pq, pk, pv = (torch.tensor(a, requires_grad=True) for a in arrays)
        tg, pg = tf.tensor(up), torch.tensor(up)

        def ours():
            tq.grad = tk.grad = tv.grad = None
            tf.nn.functional.scaled_dot_product_attention(tq, tk, tv, is_causal=causal).backward(tg)

        def theirs():
            pq.grad = pk.grad = pv.grad = None
            torch.nn.functional.scaled_dot_product_attention(pq, pk, pv, is_causal=causal).backward(pg)

        name = f"SDPA fwd+bwd B={B} H={H} L={L} D={D}{' causal' if causal else ''}"
        compare(name, ours, theirs, target=1.0 if causal else None, repeats=9)
    for causal in (True, False):
        tq, tk, tv = (tf.tensor(a) for a in arrays)
        pq, pk, pv = (torch.tensor(a) for a in arrays)
        compare(f"SDPA fwd B={B} H={H} L={L} D={D}{' causal' if causal else ''}",
                lambda: tf.nn.functional.scaled_dot_product_attention(tq, tk, tv, is_causal=causal),
                lambda: torch.nn.functional.scaled_dot_product_attention(pq, pk, pv, is_causal=causal), repeats=9)


def mha_row():
    x = np.random.default_rng(1).standard_normal((16, 128, 256)).astype(np.float32)
    torch.manual_seed(0)
    pm = torch.nn.MultiheadAttention(256, 8, batch_first=True)
    tm = tf.nn.MultiheadAttention(256, 8, batch_first=True)
    tm.load_state_dict({k: tf.tensor(v.detach().numpy()) for k, v in pm.state_dict().items()})
    tx, px = tf.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)

    def ours():
        tx.grad = None
        tm(tx, tx, tx, need_weights=False)[0].sum().backward()

    def theirs():
        px.grad = None
        pm(px, px, px, need_weights=False)[0].sum().backward()

    compare("MultiheadAttention fwd+bwd (16, 128, 256) 8 heads", ours, theirs, repeats=9)


def encoder_step(dropout):
    x = np.random.default_rng(2).standard_normal((16, 128, 256)).astype(np.float32)
    y = np.random.default_rng(3).standard_normal((16, 128, 256)).astype(np.float32)
    torch.manual_seed(0)
    pm = torch.nn.TransformerEncoderLayer(256, 8, dropout=dropout, batch_first=True)
    tm = tf.nn.TransformerEncoderLayer(256, 8, dropout=dropout, batch_first=True)
    tm.load_state_dict({k: tf.tensor(v.detach().numpy()) for k, v in pm.state_dict().items()})
    to, po = tf.optim.Adam(tm.parameters(), 1e-4), torch.optim.Adam(pm.parameters(), 1e-4)
    tx, ty, px, py = tf.tensor(x), tf.tensor(y), torch.tensor(x), torch.tensor(y)
    tl, pl = tf.nn.MSELoss(), torch.nn.MSELoss()

    def ours():
        to.zero_grad()
        tl(tm(tx), ty).backward()
        to.step()

    def theirs():
        po.zero_grad()
        pl(pm(px), py).backward()
        po.step()

    compare(f"EncoderLayer train step d256 h8 16x128 Adam dropout={dropout}", ours, theirs,
            target=1.0, repeats=9)


# Runs in a fresh process: peak resident memory added by one SDPA forward + backward.
_MEMORY_PROBE = r"""
import json, sys
import numpy as np
lib_name, L, H, D = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
if lib_name == "torch":
    import torch as lib
else:
    import tensorforge as lib
lib.set_num_threads(2)
rng = np.random.default_rng(0)
q, k, v, g = (lib.tensor(rng.standard_normal((1, H, L, D)).astype(np.float32)) for _ in range(4))
for t in (q, k, v):
    t.requires_grad_(True)

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024

before = status("VmRSS:")
with open("/proc/self/clear_refs", "w") as f:  # resets the peak (VmHWM) to the current RSS
    f.write("5")
lib.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True).backward(g)
print(json.dumps({"extra": status("VmHWM:") - before}))
"""


def memory_rows():
    L, H, D = 4096, 8, 64
    matrix = L * L * 4
    print(f"\npeak memory added by SDPA fwd+bwd, B=1 H={H} L={L} D={D} causal, in a fresh process (output "
          f"and q/k/v gradients alone: {4 * H * L * D * 4 / 2**20:.0f} MB):")
    for lib_name in ("tensorforge", "torch"):
        run = subprocess.run([sys.executable, "-c", _MEMORY_PROBE, lib_name, str(L), str(H), str(D)],
                             capture_output=True, text=True)
        lines = [ln for ln in run.stdout.splitlines() if ln.startswith("{")]
        if run.returncode or not lines:
            print(f"  {lib_name}: probe failed: {run.stderr[-300:]}")
            continue
        extra = json.loads(lines[-1])["extra"]
        print(f"  {lib_name:12s} +{extra / 2**20:7.1f} MB over the inputs = {extra / matrix:5.2f} x one L x L "
              f"float matrix ({matrix / 2**20:.0f} MB), {extra / (H * matrix):5.3f} x one per head "
              f"({H * matrix / 2**20:.0f} MB)", flush=True)


def run():
    setup_threads()
    header("attention")
    sdpa_rows()
    mha_row()
    encoder_step(0.1)
    encoder_step(0.0)
    memory_rows()


if __name__ == "__main__":
    run()
