"""Character-level LSTM language model on the bundled English corpus.

    python -m tensorforge.examples.char_lstm [--steps 1200] [--seq-len 100] [--batch-size 64]

The text (``tensorforge.data.load_text_corpus``) is split chronologically: the first 90% for
training, the last 10% for validation. The model reads characters through an embedding, a
2-layer LSTM and a linear read-out; it trains on random windows with truncated backpropagation
through time. It reports the validation loss in nats per character against the unigram
baseline (the cross-entropy of the validation text under the training characters' frequencies),
then samples text with temperature.
"""
from __future__ import annotations

import argparse
import math
import time

import numpy as np

import tensorforge as tf
import tensorforge.nn as nn
from tensorforge.data import load_text_corpus


class CharLSTM(nn.Module):
    def __init__(self, vocab: int, embed: int = 64, hidden: int = 256, layers: int = 2, dropout: float = 0.1):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=layers, dropout=dropout, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x, state=None):
        out, state = self.lstm(self.embed(x), state)
        return self.head(out), state


def unigram_baseline(train: np.ndarray, val: np.ndarray, vocab: int):
    """Entropy of the training character frequencies, and the validation cross-entropy under them
    (nats per character; add-one smoothing so unseen characters stay finite)."""
    counts = np.bincount(train, minlength=vocab).astype(np.float64) + 1.0
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum()), float(-np.log(p[val]).mean())


def evaluate(model: CharLSTM, data: np.ndarray, streams: int = 32, chunk: int = 200) -> float:
    """Mean next-character loss over data, read as `streams` contiguous streams whose LSTM state
    carries across chunks."""
    model.eval()
    n = (len(data) - 1) // streams
    x_all = data[: n * streams].reshape(streams, n)
    y_all = data[1: n * streams + 1].reshape(streams, n)
    total, count, state = 0.0, 0, None
    loss_fn = nn.CrossEntropyLoss(reduction="sum")
    with tf.no_grad():
        for s in range(0, n, chunk):
            x = tf.tensor(np.ascontiguousarray(x_all[:, s:s + chunk]))
            y = tf.tensor(np.ascontiguousarray(y_all[:, s:s + chunk]))
            logits, state = model(x, state)
            total += float(loss_fn(logits.reshape(-1, logits.shape[-1]), y.reshape(-1)))
            count += y.numel()
    model.train()
    return total / count


def sample(model: CharLSTM, chars: list, prompt: str, length: int, temperature: float, rng) -> str:
    """Feeds the prompt, then draws `length` characters from softmax(logits / temperature)."""
    index = {c: i for i, c in enumerate(chars)}
    model.eval()
    out = list(prompt)
    with tf.no_grad():
        logits, state = model(tf.tensor([[index[c] for c in prompt]]))
        for _ in range(length):
            z = logits[0, -1].numpy().astype(np.float64) / temperature
            p = np.exp(z - z.max())
            nxt = int(rng.choice(len(chars), p=p / p.sum()))
            out.append(chars[nxt])
            logits, state = model(tf.tensor([[nxt]]), state)
    model.train()
    return "".join(out)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=1200)
    p.add_argument("--seq-len", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--eval-every", type=int, default=300)
    p.add_argument("--temperature", type=float, default=0.7)
    p.add_argument("--sample-length", type=int, default=500)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    tf.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    text = load_text_corpus()
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    data = np.fromiter((index[c] for c in text), dtype=np.int64, count=len(text))
    split = int(0.9 * len(data))
    train, val = data[:split], data[split:]
    entropy, baseline = unigram_baseline(train, val, len(chars))

    model = CharLSTM(len(chars), hidden=args.hidden)
    opt = tf.optim.Adam(model.parameters(), lr=args.lr)
    sched = tf.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.steps, eta_min=args.lr / 10)
    loss_fn = nn.CrossEntropyLoss()
    print(f"char_lstm: {len(text):,} characters ({len(chars)} distinct), {len(train):,} train / {len(val):,} "
          f"validation; {sum(q.numel() for q in model.parameters()):,} parameters; kernels: "
          f"{tf.backends.cpu.get_cpu_capability()}, threads: {tf.get_num_threads()}")
    print(f"unigram baseline: entropy of the training frequencies {entropy:.3f} nats/char, validation "
          f"cross-entropy under them {baseline:.3f} nats/char")
    start = time.perf_counter()
    running = None
    offsets = np.arange(args.seq_len + 1)
    for step in range(1, args.steps + 1):
        starts = rng.integers(0, len(train) - args.seq_len - 1, args.batch_size)
        window = train[starts[:, None] + offsets]
        x, y = tf.tensor(window[:, :-1]), tf.tensor(window[:, 1:])
        logits, _ = model(x)
        loss = loss_fn(logits.reshape(-1, len(chars)), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        running = float(loss) if running is None else 0.95 * running + 0.05 * float(loss)
        if step % 50 == 0:
            print(f"step {step:5d}/{args.steps}  train loss {running:.3f} nats/char  "
                  f"[{time.perf_counter() - start:5.1f}s]", flush=True)
        if step % args.eval_every == 0 or step == args.steps:
            print(f"           validation loss {evaluate(model, val):.3f} nats/char", flush=True)
    train_time = time.perf_counter() - start
    val_loss = evaluate(model, val)
    print(f"\nvalidation loss {val_loss:.3f} nats/char ({val_loss / math.log(2):.3f} bits/char) vs unigram "
          f"baseline {baseline:.3f} nats/char: {100 * (1 - val_loss / baseline):.0f}% lower; trained in "
          f"{train_time:.1f}s")
    text_out = sample(model, chars, "The ", args.sample_length, args.temperature, rng)
    print(f"\nsample (temperature {args.temperature}):\n{text_out}")
    print(f"\ntotal time {time.perf_counter() - start:.1f}s")
    return {"val_loss": val_loss, "baseline": baseline, "entropy": entropy, "sample": text_out}


if __name__ == "__main__":
    main()
