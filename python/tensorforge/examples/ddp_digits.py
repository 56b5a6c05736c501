"""Train the digits CNN data-parallel over MPI, and compare its throughput with one process.

    mpiexec -n 2 python -m tensorforge.examples.ddp_digits [--epochs 15] [--batch-size 64]

As root add ``--allow-run-as-root`` (or set OMPI_ALLOW_RUN_AS_ROOT=1 and
OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1); more ranks than cores need ``--oversubscribe``. Without
mpiexec it runs as a group of one.

The model, split and optimizer are those of ``examples/digits.py``. ``--batch-size`` is the
global batch: each of the N ranks takes batch_size / N samples of its DistributedSampler shard
per step, so the updates are those of single-process training on the whole batch (dropout
aside). Each rank uses cores / N threads. Rank 0 prints the loss per epoch and the test
accuracy, then (unless ``--no-baseline``) times the same training steps in one process using
every core while the other ranks sleep, and prints both throughputs.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

import tensorforge as tf
import tensorforge.distributed as dist
import tensorforge.nn as nn
from tensorforge.data import load_digits
from tensorforge.examples.digits import accuracy, build_model
from tensorforge.nn.parallel import DistributedDataParallel
from tensorforge.utils.data import DataLoader, DistributedSampler, TensorDataset


def split(seed: int):
    x, y = load_digits()
    order = np.random.default_rng(seed).permutation(len(y))
    n_train = int(0.8 * len(y))
    train, test = tf.tensor(order[:n_train]), tf.tensor(order[n_train:])
    return x[train], y[train], x[test], y[test]


def train_epoch(model, loader, opt, loss_fn) -> tuple[float, int, float]:
    """One pass over ``loader``: (mean loss, samples seen, seconds)."""
    total, batches, seen = 0.0, 0, 0
    start = time.perf_counter()
    for xb, yb in loader:
        loss = loss_fn(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += float(loss)
        batches += 1
        seen += len(yb)
    return total / max(batches, 1), seen, time.perf_counter() - start


def single_process_throughput(x, y, args, epochs: int) -> float:
    """Samples per second of plain training on every core (run on rank 0 alone)."""
    try:  # mpiexec binds each rank to a core; let this one use them all
        os.sched_setaffinity(0, range(os.cpu_count()))
    except (AttributeError, OSError):
        pass
    threads = tf.get_num_threads()
    tf.set_num_threads(os.cpu_count() or 1)
    tf.manual_seed(args.seed)
    model = build_model()
    opt = tf.optim.Adam(model.parameters(), lr=args.lr)
    loader = DataLoader(TensorDataset(x, y), batch_size=args.batch_size, shuffle=True)
    loss_fn = nn.CrossEntropyLoss()
    train_epoch(model, loader, opt, loss_fn)  # warm-up
    seen = seconds = 0.0
    for _ in range(epochs):
        _, n, s = train_epoch(model, loader, opt, loss_fn)
        seen, seconds = seen + n, seconds + s
    tf.set_num_threads(threads)
    return seen / seconds


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--batch-size", type=int, default=64, help="global batch, split over the ranks")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-baseline", action="store_true", help="skip the single-process timing")
    args = p.parse_args(argv)

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    if args.batch_size % world:
        raise SystemExit(f"--batch-size {args.batch_size} must be a multiple of the {world} ranks")
    tf.set_num_threads(max(1, (os.cpu_count() or 1) // world))
    x_train, y_train, x_test, y_test = split(args.seed)

    tf.manual_seed(args.seed + rank)  # different dropout masks per rank; weights come from rank 0
    model = DistributedDataParallel(build_model())
    opt = tf.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    sampler = DistributedSampler(TensorDataset(x_train, y_train), shuffle=True, seed=args.seed)
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=args.batch_size // world, sampler=sampler)
    if rank == 0:
        print(f"digits: {len(y_train)} train / {len(y_test)} test images on {world} rank(s) x "
              f"{tf.get_num_threads()} thread(s), {args.batch_size // world} samples per rank per step", flush=True)
    seen = seconds = 0.0
    for epoch in range(1, args.epochs + 1):
        sampler.set_epoch(epoch)
        dist.barrier()  # start together: rank 0 evaluated the previous epoch while the others waited
        loss, n, s = train_epoch(model, loader, opt, loss_fn)
        sums, slowest = tf.tensor([loss, float(n)], dtype="float64"), tf.tensor([s], dtype="float64")
        dist.all_reduce(sums)  # losses and samples of all ranks
        dist.all_reduce(slowest, dist.ReduceOp.MAX)
        if epoch > 1 or args.epochs == 1:  # the first epoch warms up
            seen, seconds = seen + sums[1].item(), seconds + slowest.item()
        if rank == 0:
            acc = accuracy(model.module, x_test, y_test)
            print(f"epoch {epoch:3d}/{args.epochs}  loss {sums[0].item() / world:.4f}  "
                  f"test acc {100 * acc:5.1f}%", flush=True)
    acc = accuracy(model.module, x_test, y_test)
    result = {"accuracy": acc, "ddp_samples_per_s": seen / seconds, "world_size": world}
    if rank == 0:
        print(f"final test accuracy: {100 * acc:.2f}%")
        print(f"throughput: {result['ddp_samples_per_s']:.0f} samples/s on {world} rank(s) x "
              f"{tf.get_num_threads()} thread(s)", flush=True)
    if not args.no_baseline:
        if rank == 0:
            base = single_process_throughput(x_train, y_train, args, epochs=max(1, min(3, args.epochs - 1)))
            result.update(single_samples_per_s=base, speedup=result["ddp_samples_per_s"] / base)
            print(f"single process x {os.cpu_count()} threads: {base:.0f} samples/s; data-parallel speedup "
                  f"{result['speedup']:.2f}x", flush=True)
            dist.barrier()
        else:
            work = dist.barrier(async_op=True)  # sleep instead of spinning in MPI while rank 0 times
            while not work.is_completed():
                time.sleep(0.01)
    dist.destroy_process_group()
    return result


if __name__ == "__main__":
    main()
