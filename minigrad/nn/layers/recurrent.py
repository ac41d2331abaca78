"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` over sequences and the single-step cells
``RNNCell``, ``LSTMCell``, ``GRUCell``, with PyTorch's arguments, gate order, parameter
names and initialization, so a PyTorch state dict loads and the outputs agree.

A sequence layer splits its input into time steps (one ``unbind`` node), applies the cell
step of each layer at each time step, and stacks the last layer's outputs. Backward then
runs through every step in reverse: backpropagation through time, with memory for the
saved gate activations of each step. ``h.detach()`` between chunks of a long sequence
truncates it, as in PyTorch.
"""

import math
import warnings

from minigrad import creation
from minigrad.errors import ShapeError
from minigrad.nn import functional as F
from minigrad.nn import init
from minigrad.nn.module import Module
from minigrad.nn.parameter import Parameter
from minigrad.ops import recurrent
from minigrad.ops._operands import require_tensor
from minigrad.ops.shape import stack, unbind

__all__ = ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"]

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


CELLS = {"RNN_TANH": "rnn_cell", "RNN_RELU": "rnn_cell", "LSTM": "lstm_cell",
         "GRU": "gru_cell"}


def _step(mode, x, state, weights):
    """One time step of one layer; ``state`` is h, or (h, c) for the LSTM.

    NOTE: the step Functions themselves, not ``rnn_cell`` and friends, which check their
    arguments: ``run_layers`` checks a layer's first step, and every later step has the
    same shapes and dtypes, so none is checked again."""
    if mode == "LSTM":
        return recurrent.LSTMCellStep.apply(x, state[0], state[1], *weights)
    if mode == "GRU":
        return recurrent.GRUCellStep.apply(x, state, *weights)
    return recurrent.RNNCellStep.apply(x, state, *weights,
                                       "tanh" if mode == "RNN_TANH" else "relu")


def run_layers(mode, steps, states, layer_weights, dropout=0.0, training=False):
    """Run a stack of recurrent layers over a sequence.

    ``steps`` is a list of (batch, features) tensors, one per time step; ``states`` the
    initial state of each layer; ``layer_weights`` each layer's (w_ih, w_hh, b_ih, b_hh).
    Returns the last layer's outputs (a list per time step) and each layer's final state.
    Dropout applies to the outputs of every layer but the last, in training.
    """
    finals = []
    for index, (state, weights) in enumerate(zip(states, layer_weights)):
        if steps:
            recurrent.check_step(CELLS[mode], GATES[mode], steps[0],
                                 state if mode == "LSTM" else (state,), *weights)
        outputs = []
        for x in steps:
            state = _step(mode, x, state, weights)
            outputs.append(state[0] if mode == "LSTM" else state)
        finals.append(state)
        last = index == len(layer_weights) - 1
        steps = outputs if last or not dropout else [F.dropout(o, dropout, training)
                                                    for o in outputs]
    return steps, finals


class _RNNBase(Module):
    """What the three sequence layers share: parameters, initial states, batch_first."""

    mode = None

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, dtype=None, backend=None):
        super().__init__()
        if bidirectional:
            raise NotImplementedError("bidirectional recurrent layers are not supported")
        if not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        if hidden_size <= 0 or num_layers <= 0:
            raise ValueError("hidden_size and num_layers must be positive")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        width = GATES[self.mode] * hidden_size
        for layer in range(num_layers):
            inputs = input_size if layer == 0 else hidden_size
            shapes = {f"weight_ih_l{layer}": (width, inputs),
                      f"weight_hh_l{layer}": (width, hidden_size)}
            if bias:
                shapes.update({f"bias_ih_l{layer}": (width,), f"bias_hh_l{layer}": (width,)})
            for name, shape in shapes.items():
                setattr(self, name, Parameter(creation.zeros(shape, dtype=dtype,
                                                             backend=backend)))
        self.reset_parameters()

    def reset_parameters(self):
        """Every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _layer_weights(self):
        def get(name, layer):
            return getattr(self, f"{name}_l{layer}") if self.bias or "weight" in name else None
        return [tuple(get(n, k) for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
                for k in range(self.num_layers)]

    def _zeros(self, batch, like):
        shape = (self.num_layers, batch, self.hidden_size) if batch is not None \
            else (self.num_layers, self.hidden_size)
        return creation.zeros(shape, dtype=like.dtype, backend=like.backend)

    def forward(self, input, hx=None):
        require_tensor(type(self).__name__, "input", input)
        batched = input.ndim == 3
        if input.ndim not in (2, 3):
            raise ShapeError(f"{type(self).__name__}: expected input of 2 or 3 dims, got "
                             f"shape {tuple(input.shape)}")
        if input.shape[-1] != self.input_size:
            raise ShapeError(f"{type(self).__name__}: input has {input.shape[-1]} features, "
                             f"expected input_size={self.input_size} (input "
                             f"{tuple(input.shape)})")
        x = input if batched else input.unsqueeze(1)
        if batched and self.batch_first:
            x = x.transpose(0, 1)
        if x.shape[0] == 0:
            raise ShapeError(f"{type(self).__name__}: expected a sequence of length > 0, got "
                             f"input {tuple(input.shape)} (batch_first={self.batch_first})")
        batch = x.shape[1]
        states = self._initial_states(hx, batch, x, batched)
        steps, finals = run_layers(self.mode, list(unbind(x, 0)), states,
                                   self._layer_weights(), self.dropout, self.training)
        output = stack(steps, 0)
        if batched and self.batch_first:
            output = output.transpose(0, 1)
        if not batched:
            output = output.squeeze(1)
        return output, self._final(finals, batched)

    def _initial_states(self, hx, batch, x, batched):
        if hx is None:
            return list(unbind(self._zeros(batch, x), 0))
        if not batched:
            hx = hx.unsqueeze(1)
        expected = (self.num_layers, batch, self.hidden_size)
        if tuple(hx.shape) != expected:
            raise ShapeError(f"{type(self).__name__}: expected hidden size {expected}, got "
                             f"{tuple(hx.shape)}")
        return list(unbind(hx, 0))

    def _final(self, finals, batched):
        h_n = stack(finals, 0)
        return h_n if batched else h_n.squeeze(1)

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        return text


class RNN(_RNNBase):
    """Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act tanh or relu.
    Returns ``(output, h_n)``."""

    mode = "RNN_TANH"

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, dtype=None,
                 backend=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype, backend)
        self.nonlinearity = nonlinearity
        self.mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"



class LSTM(_RNNBase):
    """Long short-term memory (Hochreiter and Schmidhuber, 1997), PyTorch's gate order
    (input, forget, cell, output). Returns ``(output, (h_n, c_n))``."""

    mode = "LSTM"

    def _initial_states(self, hx, batch, x, batched):
        if hx is None:
            zeros = super()._initial_states(None, batch, x, batched)
            return list(zip(zeros, super()._initial_states(None, batch, x, batched)))
        if not isinstance(hx, tuple) or len(hx) != 2:
            raise TypeError("LSTM: hx must be a tuple (h_0, c_0)")
        hs = super()._initial_states(hx[0], batch, x, batched)
        cs = super()._initial_states(hx[1], batch, x, batched)
        return list(zip(hs, cs))

    def _final(self, finals, batched):
        return (super()._final([h for h, _ in finals], batched),
                super()._final([c for _, c in finals], batched))


class GRU(_RNNBase):
    """Gated recurrent unit (Cho et al., 2014), PyTorch's gate order (reset, update, new).
    Returns ``(output, h_n)``."""

    mode = "GRU"


class _CellBase(Module):
    """Parameters and checks of the single-step cells."""

    gates = 1

    def __init__(self, input_size, hidden_size, bias=True, dtype=None, backend=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        width = self.gates * hidden_size

        def param(*shape):
            return Parameter(creation.zeros(shape, dtype=dtype, backend=backend))
        self.weight_ih = param(width, input_size)
        self.weight_hh = param(width, hidden_size)
        if bias:
            self.bias_ih, self.bias_hh = param(width), param(width)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        bound = 1.0 / math.sqrt(hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _weights(self):
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def _state(self, input, hx):
        """(input as a batch, hx or zeros as a batch, whether the input was batched)."""
        name = type(self).__name__
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ShapeError(f"{name}: expected input of shape (batch, {self.input_size}) or "
                             f"({self.input_size},), got {tuple(input.shape)}")
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        if hx is None:
            return x, creation.zeros(x.shape[0], self.hidden_size, dtype=x.dtype,
                                     backend=x.backend), batched
        expected = (x.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        if tuple(hx.shape) != expected:
            raise ShapeError(f"{name}: input batch size {x.shape[0]} needs a hidden state of "
                             f"shape {expected}, got {tuple(hx.shape)}")
        return x, hx if batched else hx.unsqueeze(0), batched

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        return text if nonlinearity == "tanh" else f"{text}, nonlinearity={nonlinearity}"


def _unbatch(t, batched):
    return t if batched else t.squeeze(0)


class RNNCell(_CellBase):
    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", dtype=None,
                 backend=None):
        super().__init__(input_size, hidden_size, bias, dtype, backend)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, h, batched = self._state(input, hx)
        return _unbatch(recurrent.rnn_cell(x, h, *self._weights(), self.nonlinearity), batched)


class LSTMCell(_CellBase):
    gates = 4

    def forward(self, input, hx=None):
        x, h, batched = self._state(input, None if hx is None else hx[0])
        c = self._state(input, None if hx is None else hx[1])[1]
        h_next, c_next = recurrent.lstm_cell(x, h, c, *self._weights())
        return _unbatch(h_next, batched), _unbatch(c_next, batched)


class GRUCell(_CellBase):
    gates = 3

    def forward(self, input, hx=None):
        x, h, batched = self._state(input, hx)
        return _unbatch(recurrent.gru_cell(x, h, *self._weights()), batched)
