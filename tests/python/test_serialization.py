"""save/load: safetensors round trips, PyTorch interop, atomic writes, hostile files."""
import json
import os
import struct

import numpy as np
import pytest

import tensorforge as tf
import tensorforge.nn as nn
from helpers import torch

safetensors = pytest.importorskip("safetensors")


def test_state_dict_round_trip(tmp_path):
    m = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 2))
    path = tmp_path / "m.safetensors"
    tf.save(m.state_dict(), path)
    m2 = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 2))
    m2.load_state_dict(tf.load(path))
    x = tf.randn(3, 4)
    np.testing.assert_array_equal(m(x).detach().numpy(), m2(x).detach().numpy())


def test_nested_checkpoint_round_trip(tmp_path):
    ck = {"model": {"w": tf.randn(2, 3)}, "epoch": 7, "lr": 0.5, "name": "run", "none": None,
          "opt": {"state": {0: {"step": 3, "exp_avg": tf.ones(3)}}, "param_groups": [{"lr": 0.1, "params": [0]}]},
          "tup": (1, 2.5), "inf": float("inf"), "flags": [True, False], "ints": tf.arange(4), "b": tf.tensor([True])}
    tf.save(ck, tmp_path / "c.safetensors")
    back = tf.load(tmp_path / "c.safetensors")
    assert back["epoch"] == 7 and back["lr"] == 0.5 and back["name"] == "run" and back["none"] is None
    assert back["opt"]["state"][0]["step"] == 3 and back["opt"]["param_groups"][0]["params"] == [0]
    assert back["tup"] == (1, 2.5) and back["inf"] == float("inf") and back["flags"] == [True, False]
    np.testing.assert_array_equal(back["model"]["w"].numpy(), ck["model"]["w"].numpy())
    assert back["ints"].dtype is tf.int64 and back["b"].dtype is tf.bool


def test_all_dtypes_and_shapes(tmp_path):
    sd = {"f32": tf.randn(2, 3), "f64": tf.randn(4, dtype=tf.float64), "i32": tf.arange(5).int(), "i64": tf.arange(3),
          "bool": tf.tensor([True, False]), "scalar": tf.tensor(3.5), "empty": tf.zeros(0, 4), "view": tf.randn(4, 4).t()}
    tf.save(sd, tmp_path / "d.safetensors")
    back = tf.load(tmp_path / "d.safetensors")
    for k, v in sd.items():
        assert back[k].dtype is v.dtype and back[k].shape == v.shape
        np.testing.assert_array_equal(back[k].numpy(), v.numpy())


@pytest.mark.skipif(torch is None, reason="needs PyTorch")
def test_pytorch_weights_load_into_same_architecture(tmp_path):
    from safetensors.torch import save_file

    tm = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    save_file(tm.state_dict(), str(tmp_path / "torch.safetensors"))
    m = nn.Sequential(nn.Linear(6, 16), nn.ReLU() if hasattr(nn, "ReLU") else nn.Identity(), nn.Linear(16, 3))
    m.load_state_dict(tf.load(tmp_path / "torch.safetensors"))
    x = np.random.randn(5, 6).astype(np.float32)
    expected = tm(torch.tensor(x)).detach().numpy()
    if not hasattr(nn, "ReLU"):
        pytest.skip("ReLU module not available yet")
    np.testing.assert_allclose(m(tf.tensor(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(torch is None, reason="needs PyTorch")
def test_our_files_load_in_safetensors_and_half_types(tmp_path):
    from safetensors.torch import load_file, save_file

    sd = {"a": tf.randn(3, 2), "b": tf.arange(4)}
    tf.save(sd, tmp_path / "ours.safetensors")
    theirs = load_file(str(tmp_path / "ours.safetensors"))
    np.testing.assert_array_equal(theirs["a"].numpy(), sd["a"].numpy())
    save_file({"h": torch.tensor([1.5, -2.25, 65504.0], dtype=torch.float16),
               "bf": torch.tensor([1.0, -3.5], dtype=torch.bfloat16), "u8": torch.tensor([0, 255], dtype=torch.uint8)},
              str(tmp_path / "half.safetensors"))
    back = tf.load(tmp_path / "half.safetensors")
    assert back["h"].tolist() == [1.5, -2.25, 65504.0] and back["bf"].tolist() == [1.0, -3.5]
    assert back["u8"].tolist() == [0, 255]


def _write_raw(path, header: bytes, data: bytes = b"", length=None):
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header) if length is None else length))
        f.write(header)
        f.write(data)


HOSTILE = [
    ("empty file", b"", b"", 0, "shorter"),
    ("header longer than file", b"{}", b"", 10 ** 6, "runs past the end"),
    ("header length overflow", b"{}", b"", 2 ** 64 - 1, "exceeds"),
    ("not json", b"not json at all", b"", None, "expected"),
    ("unknown dtype", json.dumps({"x": {"dtype": "Q7", "shape": [1], "data_offsets": [0, 4]}}).encode(), b"\0" * 4, None, "unknown dtype"),
    ("offsets out of range", json.dumps({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8000]}}).encode(), b"\0" * 8, None, "outside"),
    ("offsets reversed", json.dumps({"x": {"dtype": "F32", "shape": [0], "data_offsets": [8, 0]}}).encode(), b"\0" * 8, None, "outside"),
    ("size mismatch", json.dumps({"x": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}).encode(), b"\0" * 8, None, "need"),
    ("huge shape", json.dumps({"x": {"dtype": "F32", "shape": [2 ** 40, 2 ** 40], "data_offsets": [0, 4]}}).encode(), b"\0" * 4, None, "too large"),
    ("negative shape", b'{"x": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}', b"\0" * 4, None, "integer"),
    ("offset overflow", b'{"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 99999999999999999999999]}}', b"", None, "overflow"),
    ("deep nesting", b"{" + b'"a":{' * 50000, b"", None, "expected"),
    ("missing fields", b'{"x": {"dtype": "F32"}}', b"", None, "lacks"),
    ("duplicate names", b'{"x": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}, "x": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}}', b"\0" * 4, None, "duplicate"),
    ("truncated data", json.dumps({"x": {"dtype": "F64", "shape": [100], "data_offsets": [0, 800]}}).encode(), b"\0" * 10, None, "outside"),
]


@pytest.mark.parametrize("name,header,data,length,msg", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_files_raise(tmp_path, name, header, data, length, msg):
    path = tmp_path / "bad.safetensors"
    if name == "empty file":
        path.write_bytes(b"")
    else:
        _write_raw(path, header, data, length)
    with pytest.raises(OSError) as info:
        tf.load(path)
    assert "[load]" in str(info.value) and msg in str(info.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(OSError, match=r"\[load\].*cannot open"):
        tf.load(tmp_path / "nope.safetensors")
    with pytest.raises(OSError, match=r"\[save\].*does not exist"):
        tf.save({"a": tf.ones(2)}, tmp_path / "missing_dir" / "x.safetensors")


def test_unsupported_objects_are_refused(tmp_path):
    with pytest.raises(TypeError, match=r"\[save\]"):
        tf.save({"f": lambda: 1}, tmp_path / "x.safetensors")
    assert not (tmp_path / "x.safetensors").exists()


def test_atomic_write_leaves_old_file_on_failure(tmp_path):
    path = tmp_path / "ck.safetensors"
    tf.save({"a": tf.ones(3)}, path)
    with pytest.raises(TypeError):
        tf.save({"a": tf.zeros(3), "bad": object()}, path)
    np.testing.assert_array_equal(tf.load(path)["a"].numpy(), [1, 1, 1])
    assert [p.name for p in tmp_path.iterdir()] == ["ck.safetensors"]


def test_interrupted_save_never_leaves_partial_file(tmp_path):
    """A writer killed mid-save leaves either the old file or nothing under the final name."""
    import subprocess
    import sys

    path = tmp_path / "big.safetensors"
    code = ("import tensorforge as tf, os, signal, threading;"
            "threading.Timer(0.05, lambda: os.kill(os.getpid(), signal.SIGKILL)).start();"
            f"[tf.save({{'x': tf.randn(4000000)}}, r'{path}') for _ in range(100)]")
    subprocess.run([sys.executable, "-c", code], env={**os.environ}, timeout=120)
    if path.exists():
        back = tf.load(path)
        assert back["x"].shape == (4000000,)
