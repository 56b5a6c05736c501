"""Runs every benchmark family, each in a fresh process (two OpenMP runtimes, ours and
PyTorch's, left spinning side by side over a long run distort each other), then summarises
the targets."""
import re
import subprocess
import sys
from pathlib import Path

FAMILIES = ["bench_matmul.py", "bench_elementwise.py", "bench_overhead.py", "bench_nn.py", "bench_conv.py",
            "bench_norm_loss.py", "bench_optim.py", "bench_image.py", "bench_attention.py",
            "bench_distributed.py", "bench_sort_scan.py", "bench_rnn.py", "bench_nn_extra.py"]

if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    met, missed = 0, []
    for script in FAMILIES:
        out = subprocess.run([sys.executable, str(here / script)], capture_output=True, text=True, cwd=here)
        sys.stdout.write(out.stdout)
        sys.stderr.write(out.stderr[-2000:] if out.returncode else "")
        for line in out.stdout.splitlines():
            if line.rstrip().endswith("ok"):
                met += 1
            elif "BELOW target" in line:
                missed.append(re.sub(r"\s+", " ", line.strip()))
    print(f"\n{met}/{met + len(missed)} targets met")
    for line in missed:
        print(f"  missed: {line}")
