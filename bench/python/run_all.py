"""Runs every benchmark family and prints a summary of the targets."""
import bench_elementwise
import bench_matmul
import bench_nn
import bench_overhead
from timer import ROWS

if __name__ == "__main__":
    bench_matmul.run()
    bench_elementwise.run()
    bench_overhead.run()
    bench_nn.run()
    targeted = [r for r in ROWS if r[4] is not None]
    missed = [r for r in targeted if r[3] < r[4]]
    print(f"\n{len(targeted) - len(missed)}/{len(targeted)} targets met")
    for name, _, _, ratio, target in missed:
        print(f"  missed: {name}: {ratio:.2f} < {target}")
