"""Run by test_distributed.py under ``mpiexec -n 2``: each scenario runs on every rank and
checks its own results; the outcome ("ok" or the traceback) of each goes to OUT/rank<r>.json.

    mpiexec -n 2 python dist_worker.py OUT scenario [scenario ...]
"""
import copy
import json
import os
import sys
import time
import traceback

import numpy as np

import tensorforge as tf
import tensorforge.distributed as dist
import tensorforge.nn as nn
from tensorforge.nn.parallel import DistributedDataParallel as DDP

SCENARIOS = {}


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn


def close(a, b, rtol=1e-4, atol=1e-5, what=""):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol, err_msg=what)


def same_on_all_ranks(t, what):
    """The tensor is bit-identical on every rank."""
    rows = [tf.zeros_like(t) for _ in range(dist.get_world_size())]
    dist.all_gather(rows, t.detach().contiguous())
    for r, row in enumerate(rows):
        np.testing.assert_array_equal(row.numpy(), rows[0].numpy(), err_msg=f"{what}: rank {r} differs from rank 0")


def expect_raises(exc, fn, match):
    try:
        fn()
    except exc as e:
        assert match in str(e), f"expected {match!r} in {e!r}"
        return
    raise AssertionError(f"expected {exc.__name__} matching {match!r}")


# ---- collectives ----------------------------------------------------------------------------
@scenario
def collectives():
    r, w = dist.get_rank(), dist.get_world_size()
    vals = [np.arange(6, dtype=np.float64).reshape(2, 3) + 10 * k for k in range(w)]  # rank k's tensor
    for dtype in ("float32", "float64", "int64", "int32"):
        expect = {dist.ReduceOp.SUM: sum(vals), dist.ReduceOp.MAX: np.maximum.reduce(vals),
                  dist.ReduceOp.MIN: np.minimum.reduce(vals), dist.ReduceOp.PRODUCT: np.prod(vals, axis=0)}
        if dtype.startswith("float"):
            expect[dist.ReduceOp.AVG] = sum(vals) / w
        for op, want in expect.items():
            t = tf.tensor(vals[r], dtype=dtype)
            assert dist.all_reduce(t, op) is None
            close(t.numpy(), want.astype(dtype), what=f"all_reduce {op.name} {dtype}")
            assert t.dtype == getattr(tf, dtype)
    b = tf.tensor([r == 0, False, True])
    dist.all_reduce(b)  # SUM of bool = logical or
    assert b.tolist() == [True, False, True]
    b = tf.tensor([r == 0, True])
    dist.all_reduce(b, dist.ReduceOp.MIN)
    assert b.tolist() == [False, True]
    # in place on a non-contiguous view: the result lands in the underlying storage
    base = tf.tensor(vals[r], dtype="float32")
    view = base.t()
    assert not view.is_contiguous()
    dist.all_reduce(view)
    close(base.numpy(), sum(vals))
    # 0-d and empty tensors
    s = tf.tensor(float(r + 1))
    dist.all_reduce(s)
    assert s.item() == sum(range(1, w + 1))
    e = tf.zeros(0)
    dist.all_reduce(e)
    assert e.shape == (0,)
    # async
    t = tf.full((1000,), float(r))
    work = dist.all_reduce(t, dist.ReduceOp.AVG, async_op=True)
    assert work.wait() and work.is_completed()
    close(t.numpy(), np.full(1000, (w - 1) / 2))
    # broadcast from the last rank, into a non-contiguous view too
    t = tf.tensor(vals[r], dtype="float32")
    dist.broadcast(t, src=w - 1)
    close(t.numpy(), vals[w - 1])
    t = tf.tensor(vals[r], dtype="float32").t()
    dist.broadcast(t, src=0)
    close(t.numpy(), vals[0].T)
    work = dist.broadcast(tf.ones(3) * r, src=0, async_op=True)
    work.wait()
    # reduce to dst=w-1: the others keep their tensor
    t = tf.tensor(vals[r], dtype="float64")
    dist.reduce(t, dst=w - 1, op=dist.ReduceOp.SUM)
    close(t.numpy(), sum(vals) if r == w - 1 else vals[r])
    # all_gather (into tensors of another shape with the same count) and all_gather_into_tensor
    out = [tf.zeros(3, 2) for _ in range(w)]
    dist.all_gather(out, tf.tensor(vals[r], dtype="float32"))
    for k in range(w):
        close(out[k].numpy(), vals[k].reshape(3, 2))
    big = tf.zeros(w * 2, 3)
    dist.all_gather_into_tensor(big, tf.tensor(vals[r], dtype="float32"))
    close(big.numpy(), np.concatenate(vals))
    # gather / scatter
    g = [tf.zeros(2, 3, dtype="int64") for _ in range(w)] if r == 0 else None
    dist.gather(tf.tensor(vals[r], dtype="int64"), g, dst=0)
    if r == 0:
        for k in range(w):
            close(g[k].numpy(), vals[k])
    recv = tf.zeros(3)
    parts = [tf.full((3,), 7.0 * k) for k in range(w)] if r == 1 else None
    dist.scatter(recv, parts, src=1)
    close(recv.numpy(), np.full(3, 7.0 * r))
    # objects (pickled)
    objs = [None] * w
    dist.all_gather_object(objs, {"rank": r, "name": f"r{r}"})
    assert objs == [{"rank": k, "name": f"r{k}"} for k in range(w)]
    lst = ["a", 1, {"k": [1, 2]}] if r == 1 else [None, None, None]
    dist.broadcast_object_list(lst, src=1)
    assert lst == ["a", 1, {"k": [1, 2]}]
    got = [None] * w if r == 0 else None
    dist.gather_object(r * 3, got, dst=0)
    if r == 0:
        assert got == [3 * k for k in range(w)]
    dist.barrier()
    work = dist.barrier(async_op=True)
    work.wait()
    assert dist.get_backend() == "mpi" and dist.is_initialized()


@scenario
def async_ops():
    """async_op returns at once (the ranks' agreement check is non-blocking too), and ranks
    may mix async and blocking calls of the same collective."""
    r, w = dist.get_rank(), dist.get_world_size()
    if r == 0:
        time.sleep(0.3)
        dist.barrier()
    else:
        start = time.perf_counter()
        work = dist.barrier(async_op=True)
        assert time.perf_counter() - start < 0.15, "barrier(async_op=True) blocked"
        assert not work.is_completed()
        polls = 0
        while not work.is_completed():
            time.sleep(0.01)
            polls += 1
        assert polls > 3
    t = tf.full((5000,), float(r + 1))
    work = dist.all_reduce(t, async_op=r == 1)
    if r == 1:
        work.wait()
    else:
        assert work is None
    close(t.numpy(), np.full(5000, sum(range(1, w + 1))))
    work = dist.all_reduce(tf.ones(3 if r == 0 else 4), async_op=True)
    expect_raises(RuntimeError, work.wait, "ranks disagree on numel")
    outs = [tf.zeros(2) for _ in range(w)]
    work = dist.all_gather(outs, tf.full((2,), float(r)), async_op=True)
    work.wait()
    assert [o.tolist() for o in outs] == [[float(k)] * 2 for k in range(w)]


@scenario
def bad_calls():
    """Mismatched or invalid calls raise on every rank, and the group stays usable."""
    r, w = dist.get_rank(), dist.get_world_size()
    expect_raises(RuntimeError, lambda: dist.all_reduce(tf.ones(4 if r == 0 else 4_000_000)), "ranks disagree on numel")
    expect_raises(RuntimeError, lambda: dist.all_reduce(tf.ones(4, dtype="float64" if r else "float32")),
                  "ranks disagree on dtype")
    expect_raises(RuntimeError, lambda: dist.broadcast(tf.ones(4), src=r), "ranks disagree on root")
    expect_raises(RuntimeError, lambda: dist.all_reduce(tf.ones(4), dist.ReduceOp.MAX if r else dist.ReduceOp.SUM),
                  "ranks disagree on op")
    expect_raises(RuntimeError, lambda: dist.all_reduce(tf.ones(4)) if r else dist.broadcast(tf.ones(4), 0),
                  "ranks disagree on collective")
    # an argument error on one rank only: that rank gets it, the others a pointer to it
    bad = [tf.zeros(2) for _ in range(w + (r == 1))]
    if r == 1:
        expect_raises(ValueError, lambda: dist.all_gather(bad, tf.ones(2)), "must be a list of world_size=2")
    else:
        expect_raises(RuntimeError, lambda: dist.all_gather(bad, tf.ones(2)), "invalid on another rank")
    expect_raises(TypeError, lambda: dist.all_reduce(tf.ones(3, dtype="int64"), dist.ReduceOp.AVG),
                  "ReduceOp.AVG is not supported for int64")
    expect_raises(TypeError, lambda: dist.all_reduce(np.ones(3)), "must be a tensorforge.Tensor")
    expect_raises(ValueError, lambda: dist.broadcast(tf.ones(2), src=w), "src=2 is not a rank")
    expect_raises(RuntimeError, lambda: dist.init_process_group("mpi"), "twice")
    t = tf.ones(4) * (r + 1)
    dist.all_reduce(t)
    close(t.numpy(), np.full(4, sum(range(1, w + 1))))


# ---- DistributedDataParallel ----------------------------------------------------------------
def small_cnn(seed, batchnorm=False):
    tf.manual_seed(seed)
    layers = [nn.Conv2d(1, 4, 3, padding=1)] + ([nn.BatchNorm2d(4)] if batchnorm else []) + \
             [nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 5)]
    return nn.Sequential(*layers)


def data(step, n=16):
    rng = np.random.default_rng(100 + step)
    return (tf.tensor(rng.standard_normal((n, 1, 6, 6)).astype(np.float32)),
            tf.tensor(rng.integers(0, 5, n)))


def shard(t, r, w):
    n = t.shape[0] // w
    return t[r * n:(r + 1) * n]


def ddp_matches_single_process(bucket_cap_mb):
    r, w = dist.get_rank(), dist.get_world_size()
    model = small_cnn(seed=r)  # different weights per rank: DDP must start every rank from rank 0's
    ddp = DDP(model, bucket_cap_mb=bucket_cap_mb)
    ref = copy.deepcopy(model)
    for p, q in zip(ddp.parameters(), small_cnn(seed=0).parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    opt = tf.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    ref_opt = tf.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    for step in range(6):
        x, y = data(step)
        opt.zero_grad()
        loss_fn(ddp(shard(x, r, w)), shard(y, r, w)).backward()
        opt.step()
        ref_opt.zero_grad()
        loss_fn(ref(x), y).backward()
        ref_opt.step()
    for (name, p), q in zip(ddp.module.named_parameters(), ref.parameters()):
        close(p.detach().numpy(), q.detach().numpy(), what=f"parameter {name} after 6 steps")
        same_on_all_ranks(p, name)
    return ddp


@scenario
def ddp_equivalence():
    ddp = ddp_matches_single_process(bucket_cap_mb=None)
    assert len(ddp._buckets) == 1
    assert list(ddp.state_dict()) == ["module." + k for k in ddp.module.state_dict()]
    assert ddp.module.__class__ is nn.Sequential
    fresh = DDP(small_cnn(seed=5))
    fresh.load_state_dict(ddp.state_dict())
    for p, q in zip(fresh.parameters(), ddp.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


@scenario
def ddp_small_buckets():
    ddp = ddp_matches_single_process(bucket_cap_mb=0.0005)  # 524 bytes, filled in reverse parameter order
    assert [b.indices for b in ddp._buckets] == [[3], [2], [1, 0]], [b.indices for b in ddp._buckets]


@scenario
def ddp_buffers():
    r, w = dist.get_rank(), dist.get_world_size()
    model = small_cnn(seed=r, batchnorm=True)
    bn = model[1]
    bn.running_mean.fill_(float(r))  # construction must replace these with rank 0's
    ddp = DDP(model)
    same_on_all_ranks(bn.running_mean, "running_mean after construction")
    close(bn.running_mean.numpy(), np.zeros(4))
    opt = tf.optim.SGD(ddp.parameters(), lr=0.05)
    for step in range(3):
        x, _ = data(step + 10 * r)  # every rank sees other data: local batch statistics differ
        before = [tf.zeros(4) for _ in range(w)]
        dist.all_gather(before, bn.running_mean.clone())
        with tf.no_grad():
            batch_mean = ddp.module[0](x).numpy().mean(axis=(0, 2, 3))
        opt.zero_grad()
        ddp(x).sum().backward()
        # undo this forward's momentum update: it must have started from rank 0's statistics
        started = (bn.running_mean.numpy() - bn.momentum * batch_mean) / (1 - bn.momentum)
        close(started, before[0].numpy(), what=f"step {step}: running_mean at the start of forward")
        opt.step()
        for p in ddp.parameters():
            same_on_all_ranks(p, "parameter with batchnorm")
    assert not np.allclose(before[0].numpy(), before[1].numpy()), "ranks' statistics should drift apart"
    # with broadcast_buffers=False the replicas keep their own statistics
    model = small_cnn(seed=0, batchnorm=True)
    ddp = DDP(model, broadcast_buffers=False)
    x, _ = data(20 + r)
    ddp(x)
    ddp(x)
    rows = [tf.zeros(4) for _ in range(w)]
    dist.all_gather(rows, model[1].running_mean.clone())
    assert not np.allclose(rows[0].numpy(), rows[1].numpy())


@scenario
def ddp_no_sync():
    r, w = dist.get_rank(), dist.get_world_size()
    ddp = DDP(small_cnn(seed=0))
    ref = small_cnn(seed=0)
    loss_fn = nn.CrossEntropyLoss()
    with ddp.no_sync():
        for k in range(2):
            x, y = data(30 + k)
            loss_fn(ddp(shard(x, r, w)), shard(y, r, w)).backward()
    local = ddp.module[0].weight.grad.clone()
    rows = [tf.zeros_like(local) for _ in range(w)]
    dist.all_gather(rows, local)
    assert not np.allclose(rows[0].numpy(), rows[1].numpy()), "no_sync must not synchronise"
    x, y = data(32)
    loss_fn(ddp(shard(x, r, w)), shard(y, r, w)).backward()
    # reference: the average over ranks of each rank's summed micro-batch gradients
    for k in range(3):
        x, y = data(30 + k)
        for q in range(w):
            (loss_fn(ref(shard(x, q, w)), shard(y, q, w)) / w).backward()
    for (name, p), q in zip(ddp.module.named_parameters(), ref.parameters()):
        close(p.grad.numpy(), q.grad.numpy(), what=f"grad of {name} after no_sync accumulation")
        same_on_all_ranks(p.grad, f"grad of {name}")


@scenario
def ddp_with_autograd_grad():
    """A gradient penalty computed with autograd.grad inside the step must not trigger (or use
    up) the reduction of the real backward."""
    r, w = dist.get_rank(), dist.get_world_size()
    ddp = DDP(small_cnn(seed=0))
    ref = small_cnn(seed=0)

    def loss_of(model, x, y):
        x = x.detach().requires_grad_(True)
        out = nn.functional.cross_entropy(model(x), y)
        (gx,) = tf.autograd.grad(out, x, create_graph=True)
        return out + (gx * gx).sum()

    x, y = data(40)
    loss_of(ddp, shard(x, r, w), shard(y, r, w)).backward()
    for q in range(w):
        (loss_of(ref, shard(x, q, w), shard(y, q, w)) / w).backward()
    for (name, p), q in zip(ddp.module.named_parameters(), ref.parameters()):
        close(p.grad.numpy(), q.grad.numpy(), what=f"grad of {name} with a gradient penalty")


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.body, self.head_a, self.head_b = nn.Linear(3, 4), nn.Linear(4, 2), nn.Linear(4, 2)

    def forward(self, x, heads=("a",)):
        h = self.body(x)
        return sum(getattr(self, "head_" + k)(h) for k in heads)


@scenario
def ddp_unused_parameters():
    r, w = dist.get_rank(), dist.get_world_size()
    x = tf.tensor(np.random.default_rng(r).standard_normal((5, 3)).astype(np.float32))
    ddp = DDP(TwoHeads())
    expect_raises(RuntimeError, lambda: ddp(x).sum().backward(), "find_unused_parameters=True")
    ddp = DDP(TwoHeads(), find_unused_parameters=True)
    ref = copy.deepcopy(ddp.module)
    ddp(x).sum().backward()  # head_b unused everywhere: its grad stays None
    assert ddp.module.head_b.weight.grad is None
    assert ddp.module.head_a.weight.grad is not None
    ddp.zero_grad()
    ddp(x, heads=("a", "b") if r == 0 else ("a",)).sum().backward()  # head_b used on rank 0 only
    xs = [tf.tensor(np.random.default_rng(q).standard_normal((5, 3)).astype(np.float32)) for q in range(w)]
    for q in range(w):
        (ref(xs[q], heads=("a", "b") if q == 0 else ("a",)).sum() / w).backward()
    for (name, p), q in zip(ddp.module.named_parameters(), ref.parameters()):
        close(p.grad.numpy(), q.grad.numpy(), what=f"grad of {name} with a partly used head")


@scenario
def ddp_bad_model():
    r = dist.get_rank()
    model = nn.Linear(3, 4 if r == 0 else 5)
    expect_raises(RuntimeError, lambda: DDP(model), "expects the same model on all ranks")
    expect_raises(ValueError, lambda: DDP(nn.Linear(2, 2), device_ids=[0]), "device_ids")


@scenario
def sampler_default_group():
    r, w = dist.get_rank(), dist.get_world_size()
    sampler = tf.utils.data.DistributedSampler(list(range(11)))
    assert (sampler.num_replicas, sampler.rank) == (w, r)
    mine = list(sampler)
    shards = [None] * w
    dist.all_gather_object(shards, mine)
    assert sorted(set(sum(shards, []))) == list(range(11)) and len(mine) == 6


@scenario
def abort_on_uncaught():
    """Rank 1 dies with an exception while rank 0 waits: the whole job must end (run alone)."""
    if dist.get_rank() == 1:
        raise SystemError("deliberate failure on rank 1")
    dist.barrier()


def main():
    out, names = sys.argv[1], sys.argv[2:]
    tf.set_num_threads(1)
    dist.init_process_group("mpi")
    if names == ["abort_on_uncaught"]:
        SCENARIOS["abort_on_uncaught"]()  # uncaught on purpose
        return
    results = {}
    for name in names:
        try:
            SCENARIOS[name]()
            results[name] = "ok"
        except Exception:  # noqa: BLE001  (each scenario reports its own failure)
            results[name] = traceback.format_exc()
        with open(os.path.join(out, f"rank{dist.get_rank()}.json"), "w") as f:
            json.dump(results, f)  # after every scenario, so a later hang still leaves the earlier results
        dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
