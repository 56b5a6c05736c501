"""Recurrent layers and cells, with PyTorch's names, parameter layout and semantics.

Each layer (all its directions) runs as one fused C++ op, forward and backward through time;
see ``functional.rnn``. Parameters are ``weight_ih_l{k}[_reverse]``, ``weight_hh_l{k}``,
``bias_ih_l{k}``, ``bias_hh_l{k}`` and, for LSTM with ``proj_size``, ``weight_hr_l{k}``, so a
PyTorch state_dict loads unchanged.
"""
from __future__ import annotations

import math
import numbers
import warnings

from ..autograd import ops as O
from ..tensor import Tensor, empty
from . import functional as F
from . import init
from .module import Module, Parameter
from .utils.rnn import PackedSequence

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


class RNNBase(Module):
    """Base of RNN, LSTM and GRU: parameters, checks, and the forward shared by all three.

    Args:
        mode: ``"RNN_TANH"``, ``"RNN_RELU"``, ``"LSTM"`` or ``"GRU"``.
        input_size, hidden_size: feature sizes of x and h.
        num_layers: stacked layers. bias: use b_ih and b_hh. batch_first: input and output are
            (batch, seq, feature). dropout: dropout on each layer's output but the last, in
            training. bidirectional: a second, time-reversed direction per layer.
        proj_size: LSTM only, projects h to this size (``weight_hr``).
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device=None, dtype=None):
        super().__init__()
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}", stacklevel=2)
        for name, value in (("bias", bias), ("batch_first", batch_first)):
            if not isinstance(value, bool):
                raise TypeError(f"{name} should be of type bool, got: {type(value).__name__}")
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
            if not isinstance(value, int):
                raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
            if value <= 0:
                raise ValueError(f"{name} must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode, self.input_size, self.hidden_size, self.num_layers = mode, input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        dirs = 2 if bidirectional else 1
        self._flat_weights_names, self._all_weights = [], []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else real_hidden * dirs
            for direction in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                params = [("weight_ih" + sfx, (gate_size, layer_input)), ("weight_hh" + sfx, (gate_size, real_hidden))]
                if bias:
                    params += [("bias_ih" + sfx, (gate_size,)), ("bias_hh" + sfx, (gate_size,))]
                if proj_size > 0:
                    params.append(("weight_hr" + sfx, (proj_size, hidden_size)))
                for name, shape in params:
                    setattr(self, name, Parameter(empty(*shape, dtype=dtype)))
                names = [n for n, _ in params]
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """A no-op kept for compatibility: the weights are always used in place."""

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def _layer_weights(self) -> list:
        """Per layer, per direction [w_ih, w_hh, b_ih, b_hh, w_hr] (None where absent)."""
        dirs = 2 if self.bidirectional else 1
        out = []
        for layer in range(self.num_layers):
            per_dir = []
            for direction in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                per_dir.append([getattr(self, n + sfx, None) for n in
                                ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")])
            out.append(per_dir)
        return out

    def _state_size(self) -> int:
        return self.proj_size if self.proj_size > 0 else self.hidden_size

    def forward(self, input, hx=None):
        name = "LSTM" if self.mode == "LSTM" else ("GRU" if self.mode == "GRU" else "RNN")
        lstm = self.mode == "LSTM"
        packed = isinstance(input, PackedSequence)
        if packed:
            data, batch_sizes, sorted_indices, unsorted_indices = input
            batch_sizes = batch_sizes.tolist()
            if hx is not None and sorted_indices is not None:
                hx = tuple(O.index_select(h, 1, sorted_indices) for h in hx) if lstm else \
                    O.index_select(hx, 1, sorted_indices)
        else:
            if input.ndim not in (2, 3):
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.ndim}D "
                                 f"{'instead' if lstm else 'tensor instead'}")
            batched = input.ndim == 3
            data, batch_sizes = input, None
            if not batched:
                data = O.unsqueeze(input, 0 if self.batch_first else 1)
            if self.batch_first:
                data = O.transpose(data, 0, 1)
            if hx is not None:
                states = hx if lstm else (hx,)
                dims = tuple(h.ndim for h in states)
                if any(d != (3 if batched else 2) for d in dims):
                    kind = "batched 3-D" if batched else "unbatched 2-D"
                    names = "hx and cx" if lstm else "hx"
                    raise RuntimeError(f"For {kind} input, {names} should also be {3 if batched else 2}-D but got "
                                       f"({', '.join(f'{d}-D' for d in dims)}) tensor{'s' if lstm else ''}")
                if not batched:
                    hx = tuple(O.unsqueeze(h, 1) for h in hx) if lstm else O.unsqueeze(hx, 1)
        output, h_n, c_n = F.rnn(self.mode, data, hx, self._layer_weights(), self.num_layers, self.dropout,
                                 self.training, self.bidirectional, batch_sizes)
        if packed:
            if unsorted_indices is not None:
                h_n = O.index_select(h_n, 1, unsorted_indices)
                c_n = None if c_n is None else O.index_select(c_n, 1, unsorted_indices)
            output = PackedSequence(output, input.batch_sizes, sorted_indices, unsorted_indices)
        else:
            if self.batch_first:
                output = O.transpose(output, 0, 1)
            if not batched:
                output = O.squeeze(output, 0 if self.batch_first else 1)
                h_n = O.squeeze(h_n, 1)
                c_n = None if c_n is None else O.squeeze(c_n, 1)
        return output, ((h_n, c_n) if lstm else h_n)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


class RNN(RNNBase):
    """Elman RNN, h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) (or ReLU).

    Shape: input (L, N, H_in) ((N, L, H_in) with batch_first, (L, H_in) unbatched) or a
    PackedSequence; h_0 (D * num_layers, N, H_out). Returns (output (L, N, D * H_out), h_n).

    Example::

        >>> rnn = nn.RNN(10, 20, 2)
        >>> output, hn = rnn(tensorforge.randn(5, 3, 10), tensorforge.randn(2, 3, 20))
    """

    def __init__(self, *args, **kwargs):
        nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if len(args) > 3:
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__(mode, *args, **kwargs)


class LSTM(RNNBase):
    """Long short-term memory, gates i, f, g, o as in PyTorch; optional projection proj_size.

    Shape: input as RNN; hx = (h_0 (D * num_layers, N, P), c_0 (D * num_layers, N, H)) with
    P = proj_size or hidden_size. Returns (output (L, N, D * P), (h_n, c_n)).

    Example::

        >>> lstm = nn.LSTM(10, 20, 2)
        >>> output, (hn, cn) = lstm(tensorforge.randn(5, 3, 10))
    """

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit, gates r, z, n with n = tanh(W_in x + b_in + r * (W_hn h + b_hn)).

    Shape: as RNN. Returns (output (L, N, D * H_out), h_n).

    Example::

        >>> gru = nn.GRU(10, 20, 2)
        >>> output, hn = gru(tensorforge.randn(5, 3, 10))
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


class RNNCellBase(Module):
    """Base of the cells: weight_ih (G * hidden, input), weight_hh (G * hidden, hidden), biases."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = Parameter(empty(num_chunks * hidden_size, input_size, dtype=dtype))
        self.weight_hh = Parameter(empty(num_chunks * hidden_size, hidden_size, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, dtype=dtype))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _batched(self, input: Tensor, states: tuple, name: str):
        """Checks dims and lifts unbatched (1-D) input and states to a batch of one."""
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        for i, s in enumerate(states):
            if s is not None and s.ndim not in (1, 2):
                what = f"hx[{i}]" if len(states) > 1 else "hidden"
                raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {s.ndim}D instead")
        if input.ndim == 2:
            return input, states, True
        return O.unsqueeze(input, 0), tuple(None if s is None else O.unsqueeze(s, 0) for s in states), False


class RNNCell(RNNCellBase):
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or ReLU). Input (N, H_in) or (H_in,)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 1, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, (h,), batched = self._batched(input, (hx,), "RNNCell")
        if self.nonlinearity == "tanh":
            out = F.rnn_tanh_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        elif self.nonlinearity == "relu":
            out = F.rnn_relu_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        else:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return out if batched else O.squeeze(out, 0)


class LSTMCell(RNNCellBase):
    """One LSTM step. Input (N, H_in) or (H_in,), hx = (h, c) or None. Returns (h', c')."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, dtype=dtype)

    def forward(self, input: Tensor, hx=None):
        states = tuple(hx) if hx is not None else (None, None)
        x, states, batched = self._batched(input, states, "LSTMCell")
        h, c = F.lstm_cell(x, states, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return (h, c) if batched else (O.squeeze(h, 0), O.squeeze(c, 0))


class GRUCell(RNNCellBase):
    """One GRU step. Input (N, H_in) or (H_in,), hx (N, H) or None. Returns h'."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, (h,), batched = self._batched(input, (hx,), "GRUCell")
        out = F.gru_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return out if batched else O.squeeze(out, 0)
