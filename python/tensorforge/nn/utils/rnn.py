"""Variable-length sequences for the recurrent layers (``tensorforge.nn.utils.rnn``), as
``torch.nn.utils.rnn``: padding, and PackedSequence, whose time-major rows the layers consume
directly (step t holds the batch_sizes[t] sequences still running, longest first)."""
from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

from ...autograd import ops as O
from ...tensor import Tensor, full, tensor

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence", "unpad_sequence",
           "pack_sequence", "unpack_sequence", "invert_permutation"]


class PackedSequence(NamedTuple):
    """data (N, *): the rows of every time step, longest sequences first; batch_sizes (T,) int64:
    rows per step; sorted_indices / unsorted_indices: the batch permutation into and out of
    length order (None when the batch was already sorted)."""

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None

    def to(self, *args, **kwargs) -> "PackedSequence":
        return self._replace(data=self.data.to(*args, **kwargs))

    def float(self) -> "PackedSequence":
        return self._replace(data=self.data.float())

    def double(self) -> "PackedSequence":
        return self._replace(data=self.data.double())

    @property
    def is_cuda(self) -> bool:
        return False


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of a permutation of 0..n-1 (None stays None)."""
    if permutation is None:
        return None
    p = np.asarray(permutation.tolist(), dtype=np.int64)
    inv = np.empty_like(p)
    inv[p] = np.arange(p.size)
    return tensor(inv)


def _lengths_list(lengths) -> list:
    if isinstance(lengths, Tensor):
        return [int(v) for v in lengths.reshape(-1).tolist()]
    return [int(v) for v in lengths]


def _step_rows(batch_sizes: list):
    """(time index, batch index) of each packed row."""
    t = np.repeat(np.arange(len(batch_sizes)), batch_sizes)
    b = np.concatenate([np.arange(n) for n in batch_sizes]) if batch_sizes else np.zeros(0, np.int64)
    return tensor(t.astype(np.int64)), tensor(b.astype(np.int64))


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Packs a padded batch (T, B, *) ((B, T, *) with batch_first) of sequences of the given
    lengths. With enforce_sorted the lengths must be non-increasing; otherwise the batch is
    sorted by length and the permutation kept for the layers to undo."""
    lengths = _lengths_list(lengths)
    if not lengths or min(lengths) <= 0:
        raise RuntimeError("[pack_padded_sequence] Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    batch_dim = 0 if batch_first else 1
    if len(lengths) != input.shape[batch_dim]:
        raise ValueError(f"[pack_padded_sequence] got {len(lengths)} lengths for a batch of {input.shape[batch_dim]}")
    sorted_indices = None
    if enforce_sorted:
        if any(a < b for a, b in zip(lengths, lengths[1:])):
            raise RuntimeError("[pack_padded_sequence] `lengths` array must be sorted in decreasing order when "
                               "`enforce_sorted` is True. You can pass `enforce_sorted=False` to "
                               "pack_padded_sequence and/or pack_sequence to sidestep this requirement if you do "
                               "not need ONNX exportability.")
    else:
        order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
        lengths = [lengths[i] for i in order]
        sorted_indices = tensor(np.asarray(order, dtype=np.int64))
        input = O.index_select(input, batch_dim, sorted_indices)
    if batch_first:
        input = O.transpose(input, 0, 1)
    if lengths[0] > input.shape[0]:
        raise ValueError(f"[pack_padded_sequence] a length of {lengths[0]} exceeds the {input.shape[0]} time "
                         "steps of the input")
    counts = np.bincount(np.asarray(lengths) - 1, minlength=lengths[0])
    batch_sizes = np.cumsum(counts[::-1])[::-1].tolist()
    t, b = _step_rows(batch_sizes)
    return PackedSequence(input[t, b], tensor(np.asarray(batch_sizes, dtype=np.int64)), sorted_indices,
                          invert_permutation(sorted_indices))


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None):
    """Inverse of pack_padded_sequence: (padded (T, B, *) or (B, T, *), lengths int64 (B,)),
    in the original batch order; T = total_length when given."""
    data, batch_sizes, sorted_indices, unsorted_indices = sequence
    sizes = [int(v) for v in batch_sizes.tolist()]
    steps = len(sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError("[pad_packed_sequence] Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max sequence length "
                             f"being {steps}")
        steps = total_length
    batch = sizes[0]
    padded = full([steps, batch] + list(data.shape[1:]), padding_value, dtype=data.dtype)
    t, b = _step_rows(sizes)
    padded[t, b] = data
    lengths = np.bincount(np.concatenate([np.arange(n) for n in sizes]), minlength=batch).astype(np.int64)
    lengths = tensor(lengths)
    if unsorted_indices is not None:
        padded = O.index_select(padded, 1, unsorted_indices)
        lengths = O.index_select(lengths, 0, unsorted_indices)
    if batch_first:
        padded = O.transpose(padded, 0, 1)
    return padded, lengths


def pad_sequence(sequences: Sequence[Tensor], batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stacks sequences (L_i, *) into (max L, B, *) ((B, max L, *) with batch_first), padding
    each on the right (or left) with padding_value."""
    if padding_side not in ("left", "right"):
        raise ValueError(f"[pad_sequence] Expected padding_side to be one of left or right, but got {padding_side}.")
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("[pad_sequence] received an empty list of sequences")
    from .. import functional as F

    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        gap = longest - s.shape[0]
        pads = [0, 0] * (s.ndim - 1) + ([0, gap] if padding_side == "right" else [gap, 0])
        padded.append(F.pad(s, pads, value=padding_value) if gap else s)
    return O.stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list:
    """The list of sequences (L_i, *) held in a padded batch."""
    lengths = _lengths_list(lengths)
    if not batch_first:
        padded_sequences = O.transpose(padded_sequences, 0, 1)
    return [padded_sequences[i, :n] for i, n in enumerate(lengths)]


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Packs a list of sequences (L_i, *), longest first unless enforce_sorted is False."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The list of sequences a PackedSequence holds, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
