"""``mg.nn`` recurrent layers (RNN, LSTM, GRU and their cells) against ``torch.nn``: weights
copied through ``load_state_dict``, the same input and cotangents; outputs, final states and
the gradients of the input, the initial states and every parameter agree. Also: names and
default init, long sequences (no recursion, linear memory), truncated BPTT, dropout between
layers, error messages and a float64 gradcheck of a whole module.
Each parity failure message gives the max abs error against PyTorch."""

import math
import tracemalloc

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

F32, F64 = np.float32, np.float64
MG_DTYPE = {F32: mg.float32, F64: mg.float64}
TORCH_DTYPE = {F32: torch.float32, F64: torch.float64}
TOL = {F32: {"rtol": 1e-4, "atol": 1e-5}, F64: {"rtol": 1e-10, "atol": 1e-10}}
INPUT, HIDDEN, SEQ, BATCH = 4, 6, 5, 3

# kind -> (class name, extra constructor arguments)
LAYERS = {"rnn_tanh": ("RNN", {"nonlinearity": "tanh"}),
          "rnn_relu": ("RNN", {"nonlinearity": "relu"}),
          "lstm": ("LSTM", {}),
          "gru": ("GRU", {})}
CELLS = {"rnn_tanh": ("RNNCell", {"nonlinearity": "tanh"}),
         "rnn_relu": ("RNNCell", {"nonlinearity": "relu"}),
         "lstm": ("LSTMCell", {}),
         "gru": ("GRUCell", {})}
# where the batch sits in the input: (batched, batch_first)
LAYOUTS = {"seq_first": (True, False), "batch_first": (True, True), "unbatched": (False, False)}
# (bias, explicit initial state): each value of each, without the full product (runtime)
VARIANTS = [(True, False), (True, True), (False, True)]
VARIANT_IDS = ["bias-zero_state", "bias-given_state", "no_bias-given_state"]


def check(label, got, want, dtype):
    """Assert minigrad's ``got`` matches PyTorch's ``want``; the message names the max error."""
    if isinstance(want, torch.Tensor):
        want = want.detach().numpy()
    assert got is not None, f"{label}: minigrad gave None, torch {np.shape(want)}"
    got = np.asarray(got.numpy() if isinstance(got, mg.Tensor) else got)
    assert got.shape == want.shape, f"{label}: shape {got.shape}, torch {want.shape}"
    assert got.dtype == want.dtype, f"{label}: dtype {got.dtype}, torch {want.dtype}"
    err = float(np.max(np.abs(got.astype(F64) - want.astype(F64)), initial=0.0))
    tol = TOL[dtype]
    assert np.allclose(got, want, **tol), \
        f"{label}: max abs error {err:.3g} vs torch ({np.dtype(dtype).name}, {tol})"
    return err


def paired(table, kind, dtype, *args, **kwargs):
    """The same layer in both frameworks, PyTorch's initial weights loaded into minigrad's."""
    name, extra = table[kind]
    torch_layer = getattr(torch.nn, name)(*args, **extra, **kwargs).to(TORCH_DTYPE[dtype])
    mg_layer = getattr(mg.nn, name)(*args, **extra, **kwargs).to(MG_DTYPE[dtype])
    result = mg_layer.load_state_dict(
        {k: v.detach().numpy() for k, v in torch_layer.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    return mg_layer, torch_layer


def both(array, requires_grad=True):
    """``array`` as a minigrad and a PyTorch leaf tensor."""
    return (mg.tensor(array, requires_grad=requires_grad),
            torch.tensor(array, requires_grad=requires_grad))


def flat_states(state):
    """h, or (h, c), as a list."""
    return list(state) if isinstance(state, tuple) else [state]


def backprop_both(mg_outs, torch_outs, rng, dtype):
    """Backpropagate the same random cotangent on every output, in both frameworks."""
    cotangents = [rng.standard_normal(tuple(t.shape)).astype(dtype) for t in torch_outs]
    mg.autograd.backward(mg_outs, [mg.tensor(g) for g in cotangents])
    torch.autograd.backward(torch_outs, [torch.tensor(g) for g in cotangents])


def check_param_grads(label, mg_layer, torch_layer, dtype):
    mg_params = dict(mg_layer.named_parameters())
    torch_params = dict(torch_layer.named_parameters())
    assert list(mg_params) == list(torch_params)
    for name, p in torch_params.items():
        check(f"{label} grad of {name}", mg_params[name].grad, p.grad, dtype)


# ----------------------------------------------------------------------------- sequence parity
@pytest.mark.parametrize("dtype", [F32, F64], ids=["float32", "float64"])
@pytest.mark.parametrize(("bias", "with_state"), VARIANTS, ids=VARIANT_IDS)
@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("kind", list(LAYERS))
def test_layer_matches_torch(backend, kind, num_layers, layout, bias, with_state, dtype):
    batched, batch_first = LAYOUTS[layout]
    mg_layer, torch_layer = paired(LAYERS, kind, dtype, INPUT, HIDDEN, num_layers=num_layers,
                                   bias=bias, batch_first=batch_first)
    rng = np.random.default_rng(1)
    lead = ((BATCH, SEQ) if batch_first else (SEQ, BATCH)) if batched else (SEQ,)
    x_mg, x_torch = both(rng.standard_normal(lead + (INPUT,)).astype(dtype))
    state_shape = (num_layers, BATCH, HIDDEN) if batched else (num_layers, HIDDEN)
    states = [both(rng.standard_normal(state_shape).astype(dtype))
              for _ in range(2 if kind == "lstm" else 1)] if with_state else []
    if not states:
        out_mg, final_mg = mg_layer(x_mg)
        out_torch, final_torch = torch_layer(x_torch)
    else:
        hx_mg = tuple(s for s, _ in states) if kind == "lstm" else states[0][0]
        hx_torch = tuple(s for _, s in states) if kind == "lstm" else states[0][1]
        out_mg, final_mg = mg_layer(x_mg, hx_mg)
        out_torch, final_torch = torch_layer(x_torch, hx_torch)

    label = f"{kind} {layout}"
    check(f"{label} output", out_mg, out_torch, dtype)
    for name, got, want in zip(("h_n", "c_n"), flat_states(final_mg), flat_states(final_torch)):
        check(f"{label} {name}", got, want, dtype)
    backprop_both([out_mg, *flat_states(final_mg)], [out_torch, *flat_states(final_torch)],
                  rng, dtype)
    check(f"{label} input grad", x_mg.grad, x_torch.grad, dtype)
    for name, (s_mg, s_torch) in zip(("h0", "c0"), states):
        check(f"{label} {name} grad", s_mg.grad, s_torch.grad, dtype)
    check_param_grads(label, mg_layer, torch_layer, dtype)


# ----------------------------------------------------------------------------- cell parity
@pytest.mark.parametrize("dtype", [F32, F64], ids=["float32", "float64"])
@pytest.mark.parametrize("with_state", [False, True], ids=["zero_state", "given_state"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("kind", list(CELLS))
def test_cell_matches_torch(backend, kind, batched, bias, with_state, dtype):
    mg_cell, torch_cell = paired(CELLS, kind, dtype, INPUT, HIDDEN, bias=bias)
    rng = np.random.default_rng(2)
    lead = (BATCH,) if batched else ()
    x_mg, x_torch = both(rng.standard_normal(lead + (INPUT,)).astype(dtype))
    states = [both(rng.standard_normal(lead + (HIDDEN,)).astype(dtype))
              for _ in range(2 if kind == "lstm" else 1)] if with_state else []
    if not states:
        out_mg, out_torch = mg_cell(x_mg), torch_cell(x_torch)
    elif kind == "lstm":
        out_mg = mg_cell(x_mg, tuple(s for s, _ in states))
        out_torch = torch_cell(x_torch, tuple(s for _, s in states))
    else:
        out_mg, out_torch = mg_cell(x_mg, states[0][0]), torch_cell(x_torch, states[0][1])

    label = f"{kind} cell"
    outs_mg, outs_torch = flat_states(out_mg), flat_states(out_torch)
    for name, got, want in zip(("h'", "c'"), outs_mg, outs_torch):
        check(f"{label} {name}", got, want, dtype)
    backprop_both(outs_mg, outs_torch, rng, dtype)
    check(f"{label} input grad", x_mg.grad, x_torch.grad, dtype)
    for name, (s_mg, s_torch) in zip(("h", "c"), states):
        check(f"{label} {name} grad", s_mg.grad, s_torch.grad, dtype)
    check_param_grads(label, mg_cell, torch_cell, dtype)


# ----------------------------------------------------------------------------- names and init
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("kind", list(LAYERS))
def test_parameter_names_shapes_and_init(kind, bias):
    hidden = 16
    for table, kwargs in ((LAYERS, {"num_layers": 3, "bias": bias}), (CELLS, {"bias": bias})):
        name, extra = table[kind]
        torch_layer = getattr(torch.nn, name)(5, hidden, **extra, **kwargs)
        mg_layer = getattr(mg.nn, name)(5, hidden, **extra, **kwargs)
        mg_params = dict(mg_layer.named_parameters())
        torch_params = dict(torch_layer.named_parameters())
        assert list(mg_params) == list(torch_params), name
        bound = 1 / math.sqrt(hidden)
        for key, p in torch_params.items():
            values = mg_params[key].numpy()
            assert values.shape == tuple(p.shape), f"{name}.{key}"
            assert values.dtype == F32, f"{name}.{key}"
            assert np.abs(values).max() <= bound, f"{name}.{key} outside ±1/sqrt(hidden)"
        # NOTE: pooled over every parameter, so that U(-bound, bound) (not zeros, not a
        # narrower or shifted range) is told apart reliably
        pooled = np.concatenate([p.numpy().ravel() for p in mg_params.values()])
        assert np.abs(pooled).max() > 0.95 * bound, name
        assert abs(pooled.mean()) < 0.1 * bound, name
        assert abs(pooled.std() - bound / math.sqrt(3)) < 0.1 * bound, name


@pytest.mark.parametrize("make", [
    lambda nn: nn.RNN(4, 6, num_layers=2, batch_first=True),
    lambda nn: nn.RNN(4, 6, nonlinearity="relu"),
    lambda nn: nn.LSTM(4, 6, bias=False),
    lambda nn: nn.GRU(4, 6, dropout=0.5, num_layers=2),
    lambda nn: nn.LSTM(4, 6, num_layers=3, bias=False, batch_first=True, dropout=0.25),
    lambda nn: nn.RNNCell(4, 6),
    lambda nn: nn.RNNCell(4, 6, nonlinearity="relu"),
    lambda nn: nn.LSTMCell(4, 6, bias=False),
    lambda nn: nn.GRUCell(4, 6),
], ids=["rnn_2_layers_batch_first", "rnn_relu", "lstm_no_bias", "gru_dropout",
        "lstm_everything", "rnn_cell", "rnn_cell_relu", "lstm_cell_no_bias", "gru_cell"])
def test_repr_matches_torch(make):
    assert repr(make(mg.nn)) == repr(make(torch.nn))


# ----------------------------------------------------------------------------- long sequences
def _long_sequence_backward(layer_class, seq_len):
    """Forward and backward over ``seq_len`` steps; returns the input's gradient."""
    mg.manual_seed(3)
    layer = layer_class(4, 8)
    x = mg.randn(seq_len, 2, 4, requires_grad=True)
    output, _ = layer(x)
    (output * output).sum().backward()
    return x.grad


@pytest.mark.parametrize("layer_class", [mg.nn.LSTM, mg.nn.GRU], ids=["lstm", "gru"])
def test_long_sequence_backpropagates(layer_class):
    g_x = _long_sequence_backward(layer_class, 1000).numpy()
    assert g_x.shape == (1000, 2, 4)
    assert np.isfinite(g_x).all()
    assert np.abs(g_x[0]).max() > 0


def _peak_memory(layer_class, seq_len):
    tracemalloc.start()
    try:
        _long_sequence_backward(layer_class, seq_len)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("layer_class", [mg.nn.LSTM, mg.nn.GRU], ids=["lstm", "gru"])
def test_memory_grows_linearly_with_length(layer_class):
    short, long = _peak_memory(layer_class, 250), _peak_memory(layer_class, 1000)
    assert long / short < 6, \
        f"peak traced memory {short / 1e6:.2f} MB at 250 steps, {long / 1e6:.2f} MB at 1000"


# ----------------------------------------------------------------------------- truncated BPTT
@pytest.mark.parametrize("kind", list(LAYERS))
def test_truncated_bptt_matches_torch(kind):
    dtype = F64
    mg_layer, torch_layer = paired(LAYERS, kind, dtype, INPUT, HIDDEN, num_layers=2)
    rng = np.random.default_rng(4)
    chunks = [both(rng.standard_normal((SEQ, BATCH, INPUT))) for _ in range(2)]
    state_mg = state_torch = None
    for index, (x_mg, x_torch) in enumerate(chunks):
        out_mg, state_mg = mg_layer(x_mg, state_mg)
        out_torch, state_torch = torch_layer(x_torch, state_torch)
        check(f"{kind} chunk {index} output", out_mg, out_torch, dtype)
        backprop_both([out_mg], [out_torch], rng, dtype)
        check(f"{kind} chunk {index} input grad", x_mg.grad, x_torch.grad, dtype)
        if index == 0:
            first_grad = chunks[0][0].grad.numpy().copy()
        state_mg = tuple(s.detach() for s in state_mg) if kind == "lstm" \
            else state_mg.detach()
        state_torch = tuple(s.detach() for s in state_torch) if kind == "lstm" \
            else state_torch.detach()
        assert not any(s.requires_grad for s in flat_states(state_mg))
    # the second chunk's loss sent nothing back into the first chunk
    np.testing.assert_array_equal(chunks[0][0].grad.numpy(), first_grad)
    check_param_grads(f"{kind} truncated", mg_layer, torch_layer, dtype)


def test_detached_state_cuts_the_graph():
    layer = mg.nn.GRU(INPUT, HIDDEN)
    first = mg.randn(SEQ, BATCH, INPUT, requires_grad=True)
    second = mg.randn(SEQ, BATCH, INPUT, requires_grad=True)
    _, h = layer(first)
    out, _ = layer(second, h.detach())
    g_first, g_second = mg.autograd.grad(out.sum(), [first, second], allow_unused=True)
    assert g_first is None
    assert g_second is not None and np.abs(g_second.numpy()).max() > 0


# ----------------------------------------------------------------------------- dropout
@pytest.mark.parametrize("kind", list(LAYERS))
def test_dropout_between_layers(kind):
    name, extra = LAYERS[kind]
    layer = getattr(mg.nn, name)(INPUT, HIDDEN, num_layers=2, dropout=0.5, **extra)
    plain = getattr(mg.nn, name)(INPUT, HIDDEN, num_layers=2, **extra)
    plain.load_state_dict(layer.state_dict())
    x = mg.randn(SEQ, BATCH, INPUT)

    first, second = layer(x)[0].numpy(), layer(x)[0].numpy()
    assert not np.allclose(first, second), "train mode: two calls used the same dropout mask"
    assert not np.allclose(first, plain(x)[0].numpy()), "train mode: no dropout applied"

    layer.eval()
    first, second = layer(x)[0].numpy(), layer(x)[0].numpy()
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(first, plain(x)[0].numpy(), rtol=0, atol=0)


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize("kind", list(LAYERS))
def test_wrong_input_size_names_both_sizes(kind):
    name, extra = LAYERS[kind]
    layer = getattr(mg.nn, name)(INPUT, HIDDEN, **extra)
    with pytest.raises(ValueError) as info:
        layer(mg.randn(SEQ, BATCH, 7))
    message = str(info.value)
    assert "7" in message and "input_size=4" in message, message


@pytest.mark.parametrize("kind", list(LAYERS))
def test_wrong_initial_state_shape_names_expected(kind):
    name, extra = LAYERS[kind]
    layer = getattr(mg.nn, name)(INPUT, HIDDEN, num_layers=2, **extra)
    x = mg.randn(SEQ, BATCH, INPUT)
    good, bad = mg.zeros(2, BATCH, HIDDEN), mg.zeros(1, BATCH, HIDDEN)
    attempts = [(bad, good), (good, bad)] if kind == "lstm" else [bad]
    for hx in attempts:
        with pytest.raises(ValueError, match=r"\(2, 3, 6\)"):
            layer(x, hx)
    with pytest.raises(ValueError, match=r"\(2, 1, 6\)"):
        layer(x[0], (bad[:, 0], good[:, 0]) if kind == "lstm" else bad[:, 0])


@pytest.mark.parametrize("kind", list(CELLS))
def test_cell_rejects_wrong_state_shape(kind):
    # NOTE: as PyTorch (RuntimeError "Input batch size 3 doesn't match hidden0 batch size
    # 1"): a batch-1 state must not broadcast over a batch of 3 inputs
    name, extra = CELLS[kind]
    cell = getattr(mg.nn, name)(INPUT, HIDDEN, **extra)
    x, bad = mg.randn(BATCH, INPUT), mg.zeros(1, HIDDEN)
    with pytest.raises(ValueError, match="3"):
        cell(x, (bad, mg.zeros(BATCH, HIDDEN)) if kind == "lstm" else bad)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_bidirectional_is_not_supported(name):
    # NOTE: a documented minigrad limitation; PyTorch supports it
    with pytest.raises(NotImplementedError, match="bidirectional"):
        getattr(mg.nn, name)(INPUT, HIDDEN, bidirectional=True)


def test_invalid_nonlinearity():
    with pytest.raises(ValueError, match="nonlinearity"):
        mg.nn.RNN(INPUT, HIDDEN, nonlinearity="sigmoid")
    cell = mg.nn.RNNCell(INPUT, HIDDEN, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="nonlinearity"):
        cell(mg.randn(BATCH, INPUT))


@pytest.mark.parametrize("dropout", [-0.1, 1.5, True])
@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_dropout_out_of_range(name, dropout):
    with pytest.raises(ValueError, match="dropout"):
        getattr(torch.nn, name)(INPUT, HIDDEN, num_layers=2, dropout=dropout)
    with pytest.raises(ValueError, match="dropout"):
        getattr(mg.nn, name)(INPUT, HIDDEN, num_layers=2, dropout=dropout)


# ----------------------------------------------------------------------------- gradcheck
def test_gradcheck_two_layer_lstm(backend):
    layer = mg.nn.LSTM(3, 4, num_layers=2).double()
    x = mg.randn(3, 2, 3, dtype=mg.float64, requires_grad=True)
    h0 = mg.randn(2, 2, 4, dtype=mg.float64, requires_grad=True)
    c0 = mg.randn(2, 2, 4, dtype=mg.float64, requires_grad=True)

    def run(x, h0, c0, *params):
        output, (h_n, c_n) = layer(x, (h0, c0))
        return output, h_n, c_n

    params = (layer.weight_ih_l0, layer.weight_hh_l1, layer.bias_hh_l1)
    assert mg.autograd.gradcheck(run, (x, h0, c0, *params))
