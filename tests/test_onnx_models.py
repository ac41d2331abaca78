"""ONNX export of the models the issue names, each run in onnxruntime at the exported
batch size and another: an MLP with batch norm and dropout, a small CNN (at three opsets),
an embedding model, sizes taken from ``x.shape``, the recurrent layers and cells, a
Transformer encoder and attention, and the trained digits demo."""

import numpy as np
import pytest
from onnx_helpers import assert_same, dynamic, exported, needs_onnx, onnx, ort_session, run

import minigrad as mg
from minigrad import nn


def _check_model(model, x, grown, **kwargs):
    """Export at x's batch size with a dynamic batch, run at x's and at ``grown``'s."""
    names = kwargs.pop("input_names", ["input"])
    session = exported(model, (x,), input_names=names, output_names=["logits"],
                       dynamic_axes=dynamic(names + ["logits"]), **kwargs)
    for batch in (x, grown):
        assert_same(run(session, [batch]), model, (batch,))
    return session


@needs_onnx
def test_mlp_with_batch_norm_and_dropout():
    """BatchNorm exports its running statistics (trained, not the initial ones) as one
    BatchNormalization; Dropout leaves no node; parameters keep their state_dict names."""
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(10, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.5),
                          nn.Linear(16, 3))
    for _ in range(3):
        model(mg.randn(32, 10) * 2 + 1)  # NOTE: moves the running statistics
    proto = mg.onnx.export(model, mg.randn(4, 10), input_names=["input"],
                           dynamic_axes=dynamic(["input", "output"]))
    assert [n.op_type for n in proto.graph.node] == ["Gemm", "BatchNormalization", "Relu",
                                                     "Gemm"]
    stored = {t.name: onnx.numpy_helper.to_array(t) for t in proto.graph.initializer}
    expected = {k: v for k, v in model.state_dict().items()
                if not k.endswith("num_batches_tracked")}
    assert sorted(stored) == sorted(expected)
    for name, value in expected.items():
        np.testing.assert_array_equal(stored[name], value)
    assert model.training, "export puts the model back in its own mode"
    model.eval()
    session = ort_session(proto)
    for batch in (4, 7):
        x = mg.randn(batch, 10)
        assert_same(run(session, [x]), model, (x,))
    assert session.get_inputs()[0].shape == ["batch", 10]


@needs_onnx
@pytest.mark.parametrize("opset", [17, 18, 21])
def test_small_cnn(opset):
    mg.manual_seed(1)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 8, 3, stride=2, padding=1), nn.GELU(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(8 * 2 * 2, 5), nn.LogSoftmax(dim=1))
    model(mg.randn(8, 1, 16, 16))
    model.eval()
    _check_model(model, mg.randn(4, 1, 16, 16), mg.randn(7, 1, 16, 16), opset_version=opset)


class _Bag(nn.Module):
    """Token embeddings averaged per sequence, then a classifier."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(20, 8, padding_idx=0)
        self.norm = nn.LayerNorm(8)
        self.head = nn.Linear(8, 3)

    def forward(self, tokens):
        return self.head(self.norm(self.embed(tokens).mean(dim=1)))


@needs_onnx
def test_embedding_model():
    mg.manual_seed(2)
    model = _Bag().eval()
    tokens, grown = mg.randint(0, 20, (4, 6)), mg.randint(0, 20, (7, 6))
    session = _check_model(model, tokens, grown, input_names=["tokens"])
    assert "Gather" in [n.op_type for n in onnx.load_from_string(
        mg.onnx.export(model, tokens).SerializeToString()).graph.node]
    assert session.get_inputs()[0].type == "tensor(int64)"


class _Reshaper(nn.Module):
    """Reshapes, slices and reductions whose sizes follow the batch."""

    def forward(self, x):
        b = x.shape[0]
        heads = x.reshape(b, 3, 2, 4).permute(0, 2, 1, 3)  # (b, 2, 3, 4)
        merged = heads.reshape(b * 2, 12)[:, 1:11:2]
        pooled = merged.reshape(b, -1) + x[:, None, ::-3].flatten(1).sum(-1, keepdim=True)
        return pooled.var(0, keepdim=True) + pooled.mean(0) + pooled.amax(dim=1, keepdim=True)


@needs_onnx
@pytest.mark.parametrize("opset", [17, 18])
def test_sizes_that_follow_the_batch(opset):
    """Numbers taken from x.shape are literal in the trace; the export runs the model twice
    to see which follow the batch, so the graph takes any batch size."""
    model = _Reshaper()
    _check_model(model, mg.randn(4, 24), mg.randn(9, 24), opset_version=opset)


@needs_onnx
@pytest.mark.parametrize("layer", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_recurrent_layers_become_onnx_recurrent_ops(layer, batch_first):
    mg.manual_seed(3)
    kwargs = {"nonlinearity": "relu"} if layer == "RNN" and batch_first else {}
    model = getattr(nn, layer)(6, 5, num_layers=2, batch_first=batch_first, **kwargs).eval()
    axis = 0 if batch_first else 1
    x = mg.randn(*((4, 3, 6) if batch_first else (3, 4, 6)))
    proto = mg.onnx.export(model, (x,), input_names=["x"], dynamic_axes={"x": {axis: "b"}})
    assert [n.op_type for n in proto.graph.node].count(layer) == 2
    session = ort_session(proto)
    for batch in (4, 7):
        shape = (batch, 3, 6) if batch_first else (3, batch, 6)
        x = mg.randn(*shape)
        assert_same(run(session, [x]), model, (x,))


class _WithState(nn.Module):
    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x, h, c=None):
        return self.layer(x, h if c is None else (h, c))


@needs_onnx
@pytest.mark.parametrize("layer", ["RNN", "LSTM", "GRU"])
def test_recurrent_layers_with_initial_state_and_unbatched(layer):
    mg.manual_seed(4)
    module = getattr(nn, layer)(6, 5, num_layers=2).eval()
    states = (mg.randn(2, 4, 5),) * (2 if layer == "LSTM" else 1)
    model, args = _WithState(module), (mg.randn(3, 4, 6), *states)
    assert_same(run(exported(model, args), list(args)), model, args)
    x = mg.randn(3, 6)
    assert_same(run(exported(module, (x,)), [x]), module, (x,))


class _Unrolled(nn.Module):
    """A cell stepped over the sequence in Python: exported unrolled, one step per time."""

    def __init__(self, cell):
        super().__init__()
        self.cell = cell

    def forward(self, x, h, c):
        for step in x.unbind(1):
            if isinstance(self.cell, nn.LSTMCell):
                h, c = self.cell(step, (h, c))
            else:
                h = self.cell(step, h)
        return h


@needs_onnx
@pytest.mark.parametrize("cell", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_unroll(cell):
    mg.manual_seed(5)
    model = _Unrolled(getattr(nn, cell)(6, 5)).eval()
    args = (mg.randn(4, 3, 6), mg.randn(4, 5), mg.randn(4, 5))
    names = ["x", "h", "c"]
    session = exported(model, args, input_names=names, dynamic_axes=dynamic(names))
    for batch in (4, 7):
        args = (mg.randn(batch, 3, 6), mg.randn(batch, 5), mg.randn(batch, 5))
        assert_same(run(session, list(args)), model, args)


@needs_onnx
def test_transformer_encoder_and_attention():
    mg.manual_seed(6)
    layer = nn.TransformerEncoderLayer(16, 4, 32, batch_first=True)
    model = nn.TransformerEncoder(layer, 2).eval()
    _check_model(model, mg.randn(4, 5, 16), mg.randn(7, 5, 16))
    attention = nn.MultiheadAttention(16, 4).eval()
    q, k = mg.randn(5, 4, 16), mg.randn(6, 4, 16)
    assert_same(run(exported(attention, (q, k, k)), [q, k, k]), attention, (q, k, k))


@needs_onnx
def test_the_trained_digits_demo_serves_in_onnxruntime(tmp_path):
    """The issue's bar: the demo's MLP (BatchNorm, Dropout), trained, exported to a file and
    served by onnxruntime, gives the test accuracy exactly and the logits to 1e-5."""
    pytest.importorskip("sklearn", reason="load_digits needs pip install 'minigrad[demo]'")
    from minigrad import demo
    from minigrad.data import load_digits

    model, accuracy, _ = demo.train(epochs=3)
    split = load_digits(seed=0)
    path = tmp_path / "digits.onnx"
    mg.onnx.export(model, split.x_test[:4], path, input_names=["pixels"],
                   output_names=["logits"], dynamic_axes=dynamic(["pixels", "logits"]))
    logits = ort_session(onnx.load(path)).run(None, {"pixels": split.x_test.numpy()})[0]
    model.eval()
    with mg.no_grad():
        expected = model(split.x_test).numpy()
    np.testing.assert_allclose(logits, expected, rtol=1e-5, atol=1e-5)
    assert float((logits.argmax(1) == split.y_test.numpy()).mean()) == accuracy > 0.9




class _Scaled(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.LayerNorm(8))

    def forward(self, x, scale=None):
        return self.body(x) * scale


@needs_onnx
def test_float64_and_keyword_inputs():
    """A float64 model exports in float64 (to float64 rounding); a tensor passed in
    ``kwargs`` is a graph input named after its keyword."""
    mg.manual_seed(7)
    model = _Scaled().double().eval()
    x, scale = mg.randn(3, 4, dtype=mg.float64), mg.randn(8, dtype=mg.float64)
    proto = mg.onnx.export(model, (x,), kwargs={"scale": scale})
    assert [i.name for i in proto.graph.input] == ["x", "scale"]
    got = run(ort_session(proto), [x, scale])
    assert_same(got, lambda *a: model(a[0], scale=a[1]), (x, scale), rtol=1e-12, atol=1e-12)
