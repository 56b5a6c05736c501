"""Recurrent layers against PyTorch: 2-layer LSTM and GRU (input 128, hidden 256, seq 64, batch
32) forward + backward, the same without the graph (inference), and 1-layer bidirectional rows.
Forward + backward is a training step's share: outputs summed, backward into the parameters
(grads reset to None each step); the input is data (no gradient) unless the row says so."""
import numpy as np

import tensorforge as tf
from timer import compare, header, setup_threads, torch

SEQ, BATCH, INPUT, HIDDEN = 64, 32, 128, 256


def _models(kind, **kwargs):
    ref = getattr(torch.nn, kind)(INPUT, HIDDEN, **kwargs)
    ours = getattr(tf.nn, kind)(INPUT, HIDDEN, **kwargs)
    ours.load_state_dict({k: tf.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})
    return ours, ref


def _train_step(lib, model, x, input_grad):
    xs = lib.tensor(x)
    if input_grad:
        xs.requires_grad_(True)
    params = list(model.parameters())

    def step():
        for p in params:
            p.grad = None
        xs.grad = None
        out, _ = model(xs)
        out.sum().backward()
    return step


def _inference(lib, model, x):
    xs = lib.tensor(x)

    def step():
        with lib.no_grad():
            model(xs)
    return step


def run():
    setup_threads()
    header("recurrent layers")
    x = np.random.default_rng(0).standard_normal((SEQ, BATCH, INPUT)).astype(np.float32)
    shape = f"in {INPUT} hid {HIDDEN} seq {SEQ} batch {BATCH}"
    for kind in ("LSTM", "GRU"):
        ours, ref = _models(kind, num_layers=2)
        compare(f"{kind} 2 layers {shape} fwd+bwd", _train_step(tf, ours, x, False), _train_step(torch, ref, x, False),
                target=1.5, repeats=9)
        compare(f"{kind} 2 layers fwd+bwd, input grad too", _train_step(tf, ours, x, True),
                _train_step(torch, ref, x, True), repeats=9)
        compare(f"{kind} 2 layers forward (no_grad)", _inference(tf, ours, x), _inference(torch, ref, x), repeats=9)
    for kind in ("LSTM", "GRU"):
        ours, ref = _models(kind, bidirectional=True)
        compare(f"{kind} 1 layer bidirectional fwd+bwd", _train_step(tf, ours, x, False),
                _train_step(torch, ref, x, False), repeats=9)


if __name__ == "__main__":
    run()
