"""ONNX export (``minigrad.onnx``) against the registry: every translated op on its
registry samples and every registered layer, exported, checked by ``onnx.checker`` and run in
onnxruntime against minigrad's own output in float32, layers also at a batch size other than
the exported one; the list of ops without a translation; the errors and arguments. The
models of the issue are in ``test_onnx_models.py``."""

import io
import warnings

import numpy as np
import pytest
from onnx_helpers import ATOL, BATCH, RTOL, Lambda, assert_same, exported, needs_onnx, onnx, run

import minigrad as mg
from minigrad import nn
from minigrad.autograd.function import Function
from minigrad.onnx.errors import OnnxExporterError, OnnxExporterWarning, UnsupportedOperatorError
from minigrad.onnx.translations import TRANSLATIONS
from minigrad.testing.gradcheck_sweep import make_args, samples_of
from minigrad.testing.op_db import MODULE_DB, OP_DB

# ops minigrad defines that have no ONNX translation, each on purpose: a new op fails
# test_every_op_has_a_translation_or_is_listed until it gets one or is added here
UNTRANSLATED = {
    # losses: a served model computes predictions, not its training loss
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cosine_embedding_loss",
    "cross_entropy", "gaussian_nll_loss", "huber_loss", "kl_div", "l1_loss",
    "margin_ranking_loss", "mse_loss", "nll_loss", "poisson_nll_loss", "smooth_l1_loss",
    "soft_margin_loss",
    # random draws, and the taps of backward hooks (never run under no_grad)
    "bernoulli", "normal", "backward_hook", "input_grad_tap", "output_grad_tap",
    # no ONNX op, and no formula written yet
    "atan2", "cumprod", "diag", "diagonal", "fold", "masked_select", "nan_to_num",
    "repeat_interleave", "trace", "unfold",
    # the global batch's statistics need every rank (in evaluation the layer normalizes
    # with its running statistics, through ops that have translations)
    "sync_batch_norm",
}


def _builtin_ops():
    """The op name of every Function minigrad defines (all of its modules imported)."""
    found, stack = set(), [Function]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.kernel_name is not None:
            found.add(cls.op_name)
    return found


def test_every_op_has_a_translation_or_is_listed():
    ops = _builtin_ops()
    assert {info.function.op_name for info in OP_DB} <= ops
    assert sorted(ops - set(TRANSLATIONS)) == sorted(UNTRANSLATED)
    assert sorted(set(TRANSLATIONS) - ops) == [], "a translation of an op that is gone"



class _Pair(nn.Module):
    """A model of two inputs."""

    def __init__(self, function):
        super().__init__()
        self.function = function

    def forward(self, x, y):
        return self.function(x, y)


class _Call(nn.Module):
    """A model that calls one op: its tensor arguments are the graph's inputs."""

    def __init__(self, op, kwargs):
        super().__init__()
        self.op, self.kwargs = op, kwargs

    def forward(self, *args):
        return self.op(*args, **self.kwargs)


# ---------------------------------------------------------------- every translated op
# registry samples whose training-mode randomness the evaluation graph leaves out
TRAINING_ONLY = {"dropout", "scaled_dot_product_attention-dropout_mask"}
# onnxruntime's LayerNormalization, as PyTorch's float32 kernel, loses digits on rows offset
# by 1e4 that minigrad's corrected two-pass variance keeps
LOOSER = {"layer_norm-offset_1e4": 1e-3}
OP_CASES = [pytest.param(info, sample, id=f"{info.name}-{sample.name}") for info in OP_DB
            if info.function.op_name in TRANSLATIONS and not info.random
            for sample in samples_of(info)
            if not {info.name, f"{info.name}-{sample.name}"} & TRAINING_ONLY]


@needs_onnx
@pytest.mark.filterwarnings("ignore::minigrad.onnx.errors.OnnxExporterWarning")  # index lists
@pytest.mark.parametrize(("info", "sample"), OP_CASES)
def test_op_runs_in_onnxruntime_as_in_minigrad(info, sample):
    args = make_args(sample, dtype=mg.float32, requires_grad=False)
    model = _Call(info.op, sample.kwargs)
    session = exported(model, args)
    atol = LOOSER.get(f"{info.name}-{sample.name}", ATOL)
    assert_same(run(session, [a for a in args if isinstance(a, mg.Tensor)]), model, args,
                 rtol=max(RTOL, info.forward_rtol32), atol=atol)


# ---------------------------------------------------------------- every registered layer
MODULE_CASES = [pytest.param(info, shape, id=f"{info.name}-{'x'.join(map(str, shape))}")
                for info in MODULE_DB for shape in info.input_shapes]


def _module_input(info, shape, rng):
    if info.index_high:
        return mg.tensor(rng.integers(0, info.index_high, size=shape))
    return mg.tensor((rng.standard_normal(shape) * info.scale + info.shift).astype("float32"))


# layers built on ops with no translation: the error names the op and the layer
UNSUPPORTED_LAYERS = {"Unfold": "unfold", "Fold": "fold"}


@needs_onnx
@pytest.mark.filterwarnings("ignore:input's size at dim")  # NOTE: InstanceNorm, dim 0 grown
@pytest.mark.parametrize(("info", "shape"), MODULE_CASES)
def test_layer_runs_in_onnxruntime_as_in_minigrad(info, shape):
    """Exported with dim 0 dynamic, run on the exported shape and on dim 0 grown by 3 where
    minigrad takes that shape too (dim 0 is not always a batch: an unbatched image's is
    its channels)."""
    rng = np.random.default_rng(0)
    mg.manual_seed(0)
    model = info.make(nn)
    x = _module_input(info, shape, rng)
    op = UNSUPPORTED_LAYERS.get(info.name.split("-")[0])
    if op is not None:
        with pytest.raises(UnsupportedOperatorError, match=f"'{op}' .*{type(model).__name__}"):
            mg.onnx.export(model, (x,))
        return
    grown = _module_input(info, (shape[0] + 3,) + tuple(shape[1:]), rng)
    model.eval()
    try:
        with mg.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model(grown)
    except (ValueError, RuntimeError, IndexError):
        grown = None  # NOTE: dim 0 is no batch here
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NOTE: the layers' own, for a grown dim 0
        warnings.simplefilter("error", OnnxExporterWarning)
        session = exported(model, (x,), input_names=["input"],
                          dynamic_axes=None if grown is None else BATCH)
    assert_same(run(session, [x]), model, (x,))
    if grown is not None:
        assert_same(run(session, [grown]), model, (grown,))


# ---------------------------------------------------------------- errors and arguments
def test_export_without_onnx_says_what_to_install(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "onnx", None)
    with pytest.raises(ImportError, match=r"pip install 'minigrad\[onnx\]'"):
        mg.onnx.export(nn.ReLU(), mg.randn(2))


@needs_onnx
def test_an_op_without_translation_names_the_op_and_its_module():
    model = nn.Sequential(nn.Linear(3, 3), Lambda(lambda x: mg.cumprod(x, 1)))
    with pytest.raises(UnsupportedOperatorError,
                       match=r"'cumprod' \(run by module '1' \(Lambda\)\)"):
        mg.onnx.export(model, mg.randn(2, 3))


@needs_onnx
def test_an_output_with_no_translation_is_refused_where_used():
    model = nn.MaxPool2d(2, return_indices=True)
    with pytest.raises(UnsupportedOperatorError, match="output 1 of max_pool2d"):
        mg.onnx.export(model, mg.randn(1, 2, 4, 4))
    values_only = Lambda(lambda x: model(x)[0] * 2)
    x = mg.randn(1, 2, 4, 4)
    assert_same(run(exported(values_only, x), [x]), values_only, (x,))


@needs_onnx
def test_an_in_place_change_is_refused():
    def add_in_place(x):
        y = x * 2
        y += 1
        return y.relu()
    with pytest.raises(OnnxExporterError, match="changed in place"):
        mg.onnx.export(Lambda(add_in_place), mg.randn(2, 3))


@needs_onnx
def test_tensors_made_in_forward_are_constants_that_cannot_follow_dynamic_axes():
    model = Lambda(lambda x: x + mg.ones(3))
    with pytest.warns(OnnxExporterWarning, match="exported as a constant"):
        session = exported(model, mg.randn(2, 3), input_names=["input"], dynamic_axes=BATCH)
    x = mg.randn(5, 3)
    assert_same(run(session, [x]), model, (x,))
    following = Lambda(lambda x: x + mg.zeros(x.shape[0], 3))
    with pytest.raises(OnnxExporterError, match="shape follows the dynamic axes"):
        mg.onnx.export(following, mg.randn(2, 3), input_names=["input"], dynamic_axes=BATCH)


@needs_onnx
def test_sizes_fixed_by_the_trace_cannot_follow_dynamic_axes():
    model = Lambda(lambda x: x[: x.shape[0] - 1])
    with pytest.raises(OnnxExporterError, match="getitem .* takes sizes that change"):
        mg.onnx.export(model, mg.randn(4, 3), input_names=["input"], dynamic_axes=BATCH)
    proto = mg.onnx.export(model, mg.randn(4, 3))  # NOTE: a fixed batch is fine
    assert proto.graph.output[0].type.tensor_type.shape.dim[0].dim_value == 3


@needs_onnx
@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"opset_version": 16}, ValueError, "opset_version 16 is not supported"),
    ({"dynamic_axes": {"input": {0: "b"}}}, ValueError, "dynamic_axes names 'input'"),
    ({"dynamic_axes": {"x": {2: "b"}}}, ValueError, "dynamic axis 2 of 'x'"),
    ({"input_names": ["a", "b"]}, ValueError, "input_names must give 1 distinct names"),
    ({"output_names": ["y", "y"]}, ValueError, "output_names must give 2 distinct names"),
])
def test_bad_arguments(kwargs, error, match):
    model = Lambda(lambda x: (x.relu(), x.tanh()))
    with pytest.raises(error, match=match):
        mg.onnx.export(model, mg.randn(2, 3), **kwargs)


@needs_onnx
def test_only_modules_are_exported():
    with pytest.raises(TypeError, match="must be a minigrad.nn.Module"):
        mg.onnx.export(mg.relu, mg.randn(2))


@needs_onnx
def test_file_outputs_names_and_modes(tmp_path):
    """A path or a binary file receives the model, which is also returned; inputs are named
    after forward's arguments; dynamic axes given as a list get PyTorch's dim names; every
    module's mode is restored; ``is_in_onnx_export`` is true only during the run."""
    seen = []
    model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5),
                          Lambda(lambda x: seen.append(mg.onnx.is_in_onnx_export()) or x))
    model[1].eval()
    buffer = io.BytesIO()
    proto = mg.onnx.export(model, (mg.randn(2, 3),), buffer, dynamic_axes={"input": [0]})
    mg.onnx.export(model, (mg.randn(2, 3),), tmp_path / "m.onnx", dynamic_axes={"input": [0]})
    assert onnx.load_from_string(buffer.getvalue()) == proto == onnx.load(tmp_path / "m.onnx")
    assert seen == [True] * 4 and not mg.onnx.is_in_onnx_export()
    assert [m.training for m in model] == [True, False, True]
    (graph_input,) = proto.graph.input
    assert graph_input.name == "input"
    assert graph_input.type.tensor_type.shape.dim[0].dim_param == "input_dynamic_axes_1"
    assert [o.name for o in proto.graph.output] == ["output"]


def test_the_names_are_pytorchs():
    torch = pytest.importorskip("torch")
    assert [n for n in mg.onnx.__all__ if not hasattr(torch.onnx, n)] == []
    assert [n for n in mg.onnx.errors.__all__ if not hasattr(torch.onnx.errors, n)] == []


@needs_onnx
@pytest.mark.parametrize("mode", ["floor", "trunc"])
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_rounded_division_matches_numpy(mode, dtype):
    """NumPy's floor division (1 // 0.1 is 9: 0.1 is a little more than a tenth) and its
    truncation, signs of every kind, for floats and integers."""
    if dtype == "float32":
        a, b = [1, -1, 7.5, -7.5, 3, -3, 0.3, 1, 5], [0.1, 0.1, 2, 2, -2, -2, 0.1, 3, -5]
    else:
        a, b = [7, -7, 7, -7, 6, -6, 0, 9], [2, 2, -2, -2, 3, 3, 5, -3]
    a, b = mg.tensor(np.array(a, dtype=dtype)), mg.tensor(np.array(b, dtype=dtype))
    model = _Pair(lambda x, y: mg.div(x, y, rounding_mode=mode))
    got = run(exported(model, (a, b)), [a, b])[0]
    np.testing.assert_array_equal(got, model(a, b).numpy())
    assert got.dtype == dtype
