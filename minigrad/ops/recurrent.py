"""Recurrent cell steps, each one explicit Function: the vanilla (Elman) RNN, the LSTM and
the GRU, with PyTorch's gate layouts. A step computes every gate of every unit with two
matrix products (one on the input, one on the hidden state), and its backward is written
out below. Sequence layers (``nn.RNN``, ``nn.LSTM``, ``nn.GRU``) chain these steps; the
engine then runs backpropagation through time over the chain.
"""

from minigrad.autograd.function import Function
from minigrad.errors import ShapeError
from minigrad.ops._operands import require_float
from minigrad.ops.activation import logistic
from minigrad.tensor import Tensor


def _affine(x, weight, bias):
    y = x @ weight.T
    return y if bias is None else y + bias


def _linear_grads(ctx, g_pre_x, g_pre_h, x, h, w_ih, w_hh, first_weight):
    """Gradients of the two products gates = x W_ih^T + b_ih + h W_hh^T + b_hh, given the
    gradients of their pre-activations (which differ only for the GRU's n gate)."""
    needs = ctx.needs_input_grad
    w = first_weight
    return (g_pre_x @ w_ih if needs[0] else None,
            g_pre_h @ w_hh if needs[1] else None,
            g_pre_x.T @ x if needs[w] else None,
            g_pre_h.T @ h if needs[w + 1] else None,
            g_pre_x.sum(axis=0) if needs[w + 2] else None,
            g_pre_h.sum(axis=0) if needs[w + 3] else None)


class RNNCellStep(Function):
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act tanh or relu.

    g_pre = g_h' * act'(pre) (1 - h'^2 for tanh, [h' > 0] for relu); then g_x = g_pre W_ih,
    g_h = g_pre W_hh, g_W_ih = g_pre^T x, g_W_hh = g_pre^T h, g_b = sum of g_pre.
    """

    op_name = "rnn_cell"

    @staticmethod
    def forward(ctx, x, h, w_ih, w_hh, b_ih, b_hh, nonlinearity):
        pre = _affine(x, w_ih, b_ih) + _affine(h, w_hh, b_hh)
        h_next = ctx.xp.tanh(pre) if nonlinearity == "tanh" else ctx.xp.maximum(pre, 0)
        ctx.save_for_backward(x, h, w_ih, w_hh, h_next)
        ctx.nonlinearity = nonlinearity
        return h_next

    @staticmethod
    def backward(ctx, g_h_next):
        x, h, w_ih, w_hh, h_next = ctx.saved_tensors
        if ctx.nonlinearity == "tanh":
            g_pre = g_h_next * (1 - h_next * h_next)
        else:  # NOTE: PyTorch's relu mask, "not h' <= 0", which lets a NaN's gradient through
            g_pre = ctx.xp.where(h_next <= 0, 0, g_h_next)
        return (*_linear_grads(ctx, g_pre, g_pre, x, h, w_ih, w_hh, 2), None)


class LSTMCellStep(Function):
    """Gates (i, f, g, o) = (sigma, sigma, tanh, sigma)(x W_ih^T + b_ih + h W_hh^T + b_hh);
    c' = f c + i g;  h' = o tanh(c').

    Backward, with t = tanh(c'): g_o = g_h' t; g_c' total = g_c' + g_h' o (1 - t^2);
    g_i = g_c' g, g_f = g_c' c, g_g = g_c' i, g_c = g_c' f; each gate's pre-activation
    gradient multiplies by its activation's slope, and the products' gradients follow.
    """

    op_name = "lstm_cell"

    @staticmethod
    def forward(ctx, x, h, c, w_ih, w_hh, b_ih, b_hh):
        xp = ctx.xp
        gates = _affine(x, w_ih, b_ih) + _affine(h, w_hh, b_hh)
        i, f, g, o = xp.split(gates, 4, axis=1)
        i, f, o = logistic(xp, i), logistic(xp, f), logistic(xp, o)
        g = xp.tanh(g)
        c_next = f * c + i * g
        tanh_c = xp.tanh(c_next)
        h_next = o * tanh_c
        ctx.save_for_backward(x, h, c, w_ih, w_hh, i, f, g, o, tanh_c)
        return h_next, c_next

    @staticmethod
    def backward(ctx, g_h_next, g_c_next):
        xp = ctx.xp
        x, h, c, w_ih, w_hh, i, f, g, o, tanh_c = ctx.saved_tensors
        g_c_total = g_c_next + g_h_next * o * (1 - tanh_c * tanh_c)
        g_gates = xp.concatenate([
            g_c_total * g * i * (1 - i),                 # input gate
            g_c_total * c * f * (1 - f),                 # forget gate
            g_c_total * i * (1 - g * g),                 # cell candidate
            g_h_next * tanh_c * o * (1 - o),             # output gate
        ], axis=1)
        g_x, g_h, *g_params = _linear_grads(ctx, g_gates, g_gates, x, h, w_ih, w_hh, 3)
        g_c = g_c_total * f if ctx.needs_input_grad[2] else None
        return (g_x, g_h, g_c, *g_params)


class GRUCellStep(Function):
    """With a = x W_ih^T + b_ih and b = h W_hh^T + b_hh, split into (r, z, n) thirds:
    r = sigma(a_r + b_r), z = sigma(a_z + b_z), n = tanh(a_n + r b_n), h' = (1 - z) n + z h.

    Backward: g_n = g_h' (1 - z), g_z = g_h' (h - n); the n pre-activation gets
    g_n (1 - n^2), which reaches a_n directly and b_n through r; r's pre-activation gets
    g_n (1 - n^2) b_n r (1 - r); h also gets g_h' z directly.
    """

    op_name = "gru_cell"

    @staticmethod
    def forward(ctx, x, h, w_ih, w_hh, b_ih, b_hh):
        xp = ctx.xp
        a_r, a_z, a_n = xp.split(_affine(x, w_ih, b_ih), 3, axis=1)
        b_r, b_z, b_n = xp.split(_affine(h, w_hh, b_hh), 3, axis=1)
        r = logistic(xp, a_r + b_r)
        z = logistic(xp, a_z + b_z)
        n = xp.tanh(a_n + r * b_n)
        h_next = (1 - z) * n + z * h
        ctx.save_for_backward(x, h, w_ih, w_hh, r, z, n, b_n)
        return h_next

    @staticmethod
    def backward(ctx, g_h_next):
        xp = ctx.xp
        x, h, w_ih, w_hh, r, z, n, b_n = ctx.saved_tensors
        g_n_pre = g_h_next * (1 - z) * (1 - n * n)
        g_r_pre = g_n_pre * b_n * r * (1 - r)
        g_z_pre = g_h_next * (h - n) * z * (1 - z)
        g_a = xp.concatenate([g_r_pre, g_z_pre, g_n_pre], axis=1)
        g_b = xp.concatenate([g_r_pre, g_z_pre, g_n_pre * r], axis=1)
        g_x, g_h, *g_params = _linear_grads(ctx, g_a, g_b, x, h, w_ih, w_hh, 2)
        if g_h is not None:
            g_h = g_h + g_h_next * z
        return (g_x, g_h, *g_params)


def check_step(op, gates, x, states, w_ih, w_hh, b_ih, b_hh):
    """DTypeError unless every argument is a float tensor, ShapeError naming ``op`` and the
    shapes unless input (batch, input_size), each state (batch, hidden_size), w_ih
    (gates * hidden_size, input_size), w_hh (gates * hidden_size, hidden_size) and the
    biases (gates * hidden_size,) fit together (NumPy's matmul would broadcast extra dims).

    NOTE: a cell function runs this at every call (the sequence layers, once per layer), so
    the common case is a few comparisons of shapes and dtypes, in straight-line code; only a
    failure builds the message."""
    if not _step_fits(gates, x, states, w_ih, w_hh, b_ih, b_hh):
        _explain_step(op, gates, x, states, w_ih, w_hh, b_ih, b_hh)


def _is_float_tensor(t):
    return isinstance(t, Tensor) and t.data.dtype.kind == "f"


def _step_fits(gates, x, states, w_ih, w_hh, b_ih, b_hh):
    h = states[0]
    if not (_is_float_tensor(x) and _is_float_tensor(h) and _is_float_tensor(w_ih)
            and _is_float_tensor(w_hh)):
        return False
    x_shape, h_shape = x.data.shape, h.data.shape
    if len(x_shape) != 2 or len(h_shape) != 2 or x_shape[0] != h_shape[0]:
        return False
    rows = gates * h_shape[1]
    if w_ih.data.shape != (rows, x_shape[1]) or w_hh.data.shape != (rows, h_shape[1]):
        return False
    if len(states) > 1 and not (_is_float_tensor(states[1]) and states[1].data.shape == h_shape):
        return False
    for b in (b_ih, b_hh):
        if b is not None and not (_is_float_tensor(b) and b.data.shape == (rows,)):
            return False
    return True


def _explain_step(op, gates, x, states, w_ih, w_hh, b_ih, b_hh):
    """The error ``check_step`` found, in words."""
    named = {"input": x, "hx": states[0], "cx": states[-1] if len(states) > 1 else None,
             "w_ih": w_ih, "w_hh": w_hh, "b_ih": b_ih, "b_hh": b_hh}
    for t in named.values():
        if t is not None:
            require_float(op, t)
    h = states[0]
    if x.ndim != 2 or h.ndim != 2 or h.shape[0] != x.shape[0]:
        raise ShapeError(f"{op}: expected input (batch, input_size) and hx (batch, "
                         f"hidden_size) of one batch, got input {tuple(x.shape)} and hx "
                         f"{tuple(h.shape)}")
    rows = gates * h.shape[1]
    expected = {"input": tuple(x.shape), "hx": tuple(h.shape), "cx": tuple(h.shape),
                "w_ih": (rows, x.shape[1]), "w_hh": (rows, h.shape[1]), "b_ih": (rows,),
                "b_hh": (rows,)}
    for name, t in named.items():
        if t is not None and tuple(t.shape) != expected[name]:
            raise ShapeError(f"{op}: {name} has shape {tuple(t.shape)}, expected "
                             f"{expected[name]} for input {tuple(x.shape)} and hx "
                             f"{tuple(h.shape)}")


def rnn_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh"):
    """One Elman RNN step (``nonlinearity`` "tanh" or "relu")."""
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                         "'relu'.")
    check_step("rnn_cell", 1, x, (h,), w_ih, w_hh, b_ih, b_hh)
    return RNNCellStep.apply(x, h, w_ih, w_hh, b_ih, b_hh, nonlinearity)


def lstm_cell(x, h, c, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step; returns ``(h', c')``."""
    check_step("lstm_cell", 4, x, (h, c), w_ih, w_hh, b_ih, b_hh)
    return LSTMCellStep.apply(x, h, c, w_ih, w_hh, b_ih, b_hh)


def gru_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step."""
    check_step("gru_cell", 3, x, (h,), w_ih, w_hh, b_ih, b_hh)
    return GRUCellStep.apply(x, h, w_ih, w_hh, b_ih, b_hh)
