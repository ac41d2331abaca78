"""Translations of the recurrent cell steps (``RNNCell``, ``LSTMCell``, ``GRUCell`` and any
model that calls the cells itself): each step's formula in ONNX ops, as the op computes
it. The sequence layers are exported whole as ONNX's RNN, LSTM and GRU (``modules.py``)."""

from minigrad.onnx.registry import Table

TABLE = Table()


def _affine(g, x, weight, bias):
    """x W^T + b for a batch of vectors."""
    return g.op("Gemm", x, weight, bias, transB=1)


@TABLE.register("rnn_cell")
def _rnn_cell(g, call):
    x, h, w_ih, w_hh, b_ih, b_hh, nonlinearity = call.args
    pre = g.op("Add", _affine(g, x, w_ih, b_ih), _affine(g, h, w_hh, b_hh))
    return g.op("Tanh" if nonlinearity == "tanh" else "Relu", pre)


@TABLE.register("lstm_cell")
def _lstm_cell(g, call):
    """Gates (i, f, g, o) = (sigma, sigma, tanh, sigma)(...); c' = f c + i g, h' = o tanh(c')."""
    x, h, c, w_ih, w_hh, b_ih, b_hh = call.args
    hidden = h.shape[-1]
    gates = g.op("Add", _affine(g, x, w_ih, b_ih), _affine(g, h, w_hh, b_hh))
    i, f, cell, o = g.split(gates, 1, (hidden,) * 4)
    c_next = g.op("Add", g.op("Mul", g.op("Sigmoid", f), c),
                  g.op("Mul", g.op("Sigmoid", i), g.op("Tanh", cell)))
    h_next = g.op("Mul", g.op("Sigmoid", o), g.op("Tanh", c_next))
    return h_next, c_next


@TABLE.register("gru_cell")
def _gru_cell(g, call):
    """r, z = sigma(a + b) of their thirds, n = tanh(a_n + r b_n), h' = (1 - z) n + z h."""
    x, h, w_ih, w_hh, b_ih, b_hh = call.args
    thirds = (h.shape[-1],) * 3
    a_r, a_z, a_n = g.split(_affine(g, x, w_ih, b_ih), 1, thirds)
    b_r, b_z, b_n = g.split(_affine(g, h, w_hh, b_hh), 1, thirds)
    r = g.op("Sigmoid", g.op("Add", a_r, b_r))
    z = g.op("Sigmoid", g.op("Add", a_z, b_z))
    n = g.op("Tanh", g.op("Add", a_n, g.op("Mul", r, b_n)))
    keep = g.op("Mul", z, h)
    return g.op("Add", g.op("Mul", g.op("Sub", g.scalar(1, h), z), n), keep)
