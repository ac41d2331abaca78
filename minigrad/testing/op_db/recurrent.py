"""Registry entries of the recurrent cell steps and a GRU sequence
(``minigrad/ops/recurrent.py``)."""


import minigrad as mg
from minigrad.nn.layers.recurrent import run_layers
from minigrad.ops import recurrent
from minigrad.testing.op_db.base import Domain, ModuleInfo, OpInfo, SampleInput


def _cell_samples(gates, with_cell=False):
    def samples(make):
        batch, inputs, hidden = 3, 4, 5
        states = (make(batch, hidden),) * (2 if with_cell else 1)
        weights = (make(gates * hidden, inputs, low=-0.7, high=0.7),
                   make(gates * hidden, hidden, low=-0.7, high=0.7))
        biases = (make(gates * hidden), make(gates * hidden))
        return [SampleInput((make(batch, inputs), *states, *weights, *biases), name="bias"),
                SampleInput((make(batch, inputs), *states, *weights), name="no_bias")]
    return samples


def _sequence_samples(make):
    """A 2-layer GRU over 4 steps and over 1: inputs, initial states and every weight."""
    batch, inputs, hidden = 2, 3, 4

    def layer(width_in):
        return (make(3 * hidden, width_in, low=-0.7, high=0.7),
                make(3 * hidden, hidden, low=-0.7, high=0.7), make(3 * hidden),
                make(3 * hidden))
    return [SampleInput((make(steps, batch, inputs), make(2, batch, hidden), *layer(inputs),
                         *layer(hidden)), name=f"{steps}_steps") for steps in (4, 1)]


def _sigmoid_ref(xp, x):
    return 1 / (1 + xp.exp(-x))


def _rnn_cell_ref(xp, x, h, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh"):
    pre = x @ w_ih.T + h @ w_hh.T + (0 if b_ih is None else b_ih + b_hh)
    return xp.tanh(pre) if nonlinearity == "tanh" else xp.maximum(pre, 0)


def _lstm_cell_ref(xp, x, h, c, w_ih, w_hh, b_ih=None, b_hh=None):
    gates = x @ w_ih.T + h @ w_hh.T + (0 if b_ih is None else b_ih + b_hh)
    i, f, g, o = xp.split(gates, 4, axis=1)
    c_next = _sigmoid_ref(xp, f) * c + _sigmoid_ref(xp, i) * xp.tanh(g)
    return _sigmoid_ref(xp, o) * xp.tanh(c_next)


def _gru_cell_ref(xp, x, h, w_ih, w_hh, b_ih=None, b_hh=None):
    a = x @ w_ih.T + (0 if b_ih is None else b_ih)
    b = h @ w_hh.T + (0 if b_hh is None else b_hh)
    (a_r, a_z, a_n), (b_r, b_z, b_n) = xp.split(a, 3, axis=1), xp.split(b, 3, axis=1)
    r, z = _sigmoid_ref(xp, a_r + b_r), _sigmoid_ref(xp, a_z + b_z)
    n = xp.tanh(a_n + r * b_n)
    return (1 - z) * n + z * h


def _gru_sequence_ref(xp, x, h0, *weights):
    outputs = list(x)
    for layer in range(2):
        h = h0[layer]
        step_outputs = []
        for x_t in outputs:
            h = _gru_cell_ref(xp, x_t, h, *weights[4 * layer:4 * layer + 4])
            step_outputs.append(h)
        outputs = step_outputs
    return xp.stack(outputs)


def _gru_sequence(x, h0, *weights):
    steps, _ = run_layers("GRU", list(mg.unbind(x, 0)), list(mg.unbind(h0, 0)),
                          [weights[:4], weights[4:]])
    return mg.stack(steps, 0)


OPS = [
    OpInfo("rnn_cell", lambda *a, **kw: recurrent.rnn_cell(*a, **kw), recurrent.RNNCellStep,
           _rnn_cell_ref,
           lambda make: _cell_samples(1)(make) + [
               SampleInput(s.args, {"nonlinearity": "relu"}, name=s.name + "_relu")
               for s in _cell_samples(1)(make)],
           domain=Domain(away_from=(0.0,), margin=0.05),
           torch_op=lambda torch, *a, nonlinearity="tanh": (
               torch.rnn_tanh_cell if nonlinearity == "tanh" else torch.rnn_relu_cell)(*a)),
    OpInfo("lstm_cell", lambda *a: recurrent.lstm_cell(*a)[0], recurrent.LSTMCellStep,
           _lstm_cell_ref, _cell_samples(4, with_cell=True),
           torch_op=lambda torch, x, h, c, *w: torch.lstm_cell(x, (h, c), *w)[0]),
    OpInfo("lstm_cell_state", lambda *a: recurrent.lstm_cell(*a)[1], recurrent.LSTMCellStep,
           lambda xp, x, h, c, w_ih, w_hh, b_ih=None, b_hh=None: (
               lambda g: _sigmoid_ref(xp, g[1]) * c + _sigmoid_ref(xp, g[0]) * xp.tanh(g[2]))(
               xp.split(x @ w_ih.T + h @ w_hh.T + (0 if b_ih is None else b_ih + b_hh), 4,
                        axis=1)),
           _cell_samples(4, with_cell=True),
           torch_op=lambda torch, x, h, c, *w: torch.lstm_cell(x, (h, c), *w)[1]),
    OpInfo("gru_cell", lambda *a: recurrent.gru_cell(*a), recurrent.GRUCellStep, _gru_cell_ref,
           _cell_samples(3), torch_op=lambda torch, *a: torch.gru_cell(*a)),
    OpInfo("gru_sequence", _gru_sequence, recurrent.GRUCellStep, _gru_sequence_ref,
           _sequence_samples),
]

# NOTE: recurrent layers return (output, state), so only their state dicts and reprs are
# swept here (no input_shapes); their values and gradients against PyTorch are
# tests/test_recurrent.py's
MODULES = [
    ModuleInfo("RNN", lambda nn: nn.RNN(3, 4, num_layers=2, nonlinearity="relu",
                                        batch_first=True), input_shapes=()),
    ModuleInfo("LSTM", lambda nn: nn.LSTM(3, 4, bias=False), input_shapes=()),
    ModuleInfo("GRU", lambda nn: nn.GRU(3, 4, num_layers=2), input_shapes=()),
    ModuleInfo("RNNCell", lambda nn: nn.RNNCell(3, 4), input_shapes=()),
    ModuleInfo("LSTMCell", lambda nn: nn.LSTMCell(3, 4), input_shapes=()),
    ModuleInfo("GRUCell", lambda nn: nn.GRUCell(3, 4, bias=False), input_shapes=()),
]
