"""The Transformer layers and stacks against ``torch.nn``: PyTorch's weights loaded through
``load_state_dict`` (and minigrad's loaded back into PyTorch), then outputs, input gradients
and every parameter gradient compared in float32 and float64, in training mode (dropout 0)
and in eval mode (dropout 0.5, which eval turns off), with causal and key padding masks
(float and bool), pre- and post-norm, batch first or not, unbatched, and relu, gelu or a
module as the activation."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.errors import DTypeError

torch = pytest.importorskip("torch")
# NOTE: PyTorch warns that its nested-tensor fast path is off for most of these layers
pytestmark = pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")

D_MODEL, NHEAD, FF, LAYERS = 8, 2, 16, 2
S, T, N = 5, 4, 3  # source length, target length, batch size
F32, F64 = np.float32, np.float64
MG_DTYPE = {F32: mg.float32, F64: mg.float64}
TORCH_DTYPE = {F32: torch.float32, F64: torch.float64}
# NOTE: errors relative to the largest value compared: float32 rounding through two layers
# (PyTorch's own float32 results are as far from its float64 ones)
TOL = {F32: 3e-5, F64: 1e-10}


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """NOTE: on tensors this small PyTorch's worker threads only wait on each other (the
    module runs 4x slower with two of them on two busy cores)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def encoder_layer(nn, **kwargs):
    return nn.TransformerEncoderLayer(D_MODEL, NHEAD, FF, dropout=0.0, **kwargs)


def decoder_layer(nn, **kwargs):
    return nn.TransformerDecoderLayer(D_MODEL, NHEAD, FF, dropout=0.0, **kwargs)


BUILDERS = {
    "EncoderLayer": encoder_layer,
    "DecoderLayer": decoder_layer,
    "Encoder": lambda nn, **kw: nn.TransformerEncoder(
        encoder_layer(nn, **kw), LAYERS, norm=nn.LayerNorm(D_MODEL), enable_nested_tensor=False),
    "Decoder": lambda nn, **kw: nn.TransformerDecoder(
        decoder_layer(nn, **kw), LAYERS, norm=nn.LayerNorm(D_MODEL)),
    "Transformer": lambda nn, **kw: nn.Transformer(D_MODEL, NHEAD, LAYERS, LAYERS, FF,
                                                   dropout=0.0, **kw),
}

# name: (constructor keywords given the framework's nn, the masks passed)
CASES = {
    "post_norm": (lambda nn: {}, ()),
    "pre_norm_batch_first_float_masks": (lambda nn: {"norm_first": True, "batch_first": True},
                                         ("causal", "padding", "memory")),
    "gelu_bool_masks_causal_hint": (lambda nn: {"activation": "gelu"},
                                    ("causal_bool", "padding_bool", "hint")),
    "no_bias_float_padding": (lambda nn: {"bias": False}, ("padding",)),
    "module_activation_unbatched": (
        lambda nn: {"activation": nn.GELU(approximate="tanh"), "norm_first": True},
        ("causal", "padding", "unbatched")),
}


def paired(kind, case, dtype, seed=0):
    """The module built by both frameworks; PyTorch's parameters are nudged off their
    initial values (zero biases, unit LayerNorm weights, identical stacked copies hide bugs)
    and loaded into minigrad's."""
    options = CASES[case][0]
    torch.manual_seed(seed)
    theirs = BUILDERS[kind](torch.nn, **options(torch.nn)).to(TORCH_DTYPE[dtype])
    with torch.no_grad():
        for p in theirs.parameters():
            p.add_(0.3 * torch.randn_like(p))
    mine = BUILDERS[kind](mg.nn, **options(mg.nn)).to(MG_DTYPE[dtype])
    result = mine.load_state_dict(theirs.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    return mine, theirs


def make_arrays(case, dtype, rng):
    """The inputs and masks of ``case`` as NumPy arrays: src (S, N, E), tgt and memory
    (batch first, or without N when unbatched), masks by argument name."""
    masks = CASES[case][1]
    batch_first = CASES[case][0](torch.nn).get("batch_first", False)

    def sequence(length):
        shape = ((length, D_MODEL) if "unbatched" in masks else
                 (N, length, D_MODEL) if batch_first else (length, N, D_MODEL))
        return rng.standard_normal(shape).astype(dtype)

    def padding(length):
        padded = np.arange(length) >= length - np.arange(N)[:, None]  # row i: last i keys
        padded = padded[-1] if "unbatched" in masks else padded
        return padded if "padding_bool" in masks else \
            np.where(padded, -np.inf, rng.standard_normal(padded.shape)).astype(dtype)

    def causal(length):
        above = np.triu(np.ones((length, length), bool), 1)
        return above if "causal_bool" in masks else np.where(above, -np.inf, 0).astype(dtype)

    arrays = {"src": sequence(S), "tgt": sequence(T), "memory": sequence(S)}
    if "causal" in masks or "causal_bool" in masks:
        arrays.update(src_mask=causal(S), tgt_mask=causal(T))
    if "padding" in masks or "padding_bool" in masks:
        arrays.update(src_key_padding_mask=padding(S), tgt_key_padding_mask=padding(T),
                      memory_key_padding_mask=padding(S))
    if "memory" in masks:
        arrays["memory_mask"] = rng.standard_normal((T, S)).astype(dtype)
    return arrays


def call(kind, module, given, hint):
    """``module`` applied to the entries of ``given`` its ``forward`` takes, with the
    ``is_causal`` hints set when ``hint``."""
    def masks(*names):
        return {name: given.get(name) for name in names}

    if kind == "EncoderLayer":
        return module(given["src"], **masks("src_mask", "src_key_padding_mask"),
                      is_causal=hint)
    if kind == "Encoder":
        return module(given["src"], mask=given.get("src_mask"),
                      src_key_padding_mask=given.get("src_key_padding_mask"),
                      is_causal=hint or None)
    decoder_masks = masks("tgt_mask", "memory_mask", "tgt_key_padding_mask",
                          "memory_key_padding_mask")
    if kind == "DecoderLayer":
        return module(given["tgt"], given["memory"], **decoder_masks, tgt_is_causal=hint)
    if kind == "Decoder":
        return module(given["tgt"], given["memory"], **decoder_masks,
                      tgt_is_causal=hint or None)
    return module(given["src"], given["tgt"], **masks("src_mask", "src_key_padding_mask"),
                  **decoder_masks, src_is_causal=hint or None, tgt_is_causal=hint or None)


INPUTS = {"EncoderLayer": ("src",), "Encoder": ("src",), "DecoderLayer": ("tgt", "memory"),
          "Decoder": ("tgt", "memory"), "Transformer": ("src", "tgt")}


def check(label, got, want, dtype):
    """minigrad's ``got`` equals PyTorch's ``want`` to the tolerance of ``dtype``."""
    want = want.detach().numpy()
    got = got.numpy()
    assert got.shape == want.shape, f"{label}: shape {got.shape}, torch {want.shape}"
    assert got.dtype == want.dtype, f"{label}: dtype {got.dtype}, torch {want.dtype}"
    err = float(np.max(np.abs(got.astype(F64) - want), initial=0.0))
    bound = TOL[dtype] * (1 + float(np.max(np.abs(want), initial=0.0)))
    assert err <= bound, f"{label}: max abs error {err:.3g} > {bound:.3g}"


def compare_pass(label, kind, mine, theirs, arrays, rng, hint=False):
    """One forward and backward (random cotangent) in both frameworks: output, the input
    gradients and every parameter gradient agree. Gradients are cleared afterwards."""
    def inputs(tensor):
        return {name: tensor(array, requires_grad=name in INPUTS[kind])
                for name, array in arrays.items()}

    given_mg, given_torch = inputs(mg.tensor), inputs(torch.tensor)
    out_mg, out_torch = call(kind, mine, given_mg, hint), call(kind, theirs, given_torch, hint)
    dtype = arrays["src"].dtype.type
    check(f"{label} output", out_mg, out_torch, dtype)
    cotangent = rng.standard_normal(tuple(out_torch.shape)).astype(dtype)
    out_mg.backward(mg.tensor(cotangent))
    out_torch.backward(torch.tensor(cotangent))
    for name in INPUTS[kind]:
        check(f"{label} grad of {name}", given_mg[name].grad, given_torch[name].grad, dtype)
    params_mg, params_torch = dict(mine.named_parameters()), dict(theirs.named_parameters())
    assert list(params_mg) == list(params_torch)
    for name, p in params_torch.items():
        check(f"{label} grad of {name}", params_mg[name].grad, p.grad, dtype)
    mine.zero_grad()
    theirs.zero_grad()


def set_dropout(module, p):
    """Every dropout probability in ``module`` (its Dropouts' and its attentions') set to p."""
    for sub in module.modules():
        if type(sub).__name__ == "Dropout":
            sub.p = p
        elif type(sub).__name__ == "MultiheadAttention":
            sub.dropout = p


# NOTE: PyTorch's TransformerDecoderLayer.__setstate__ sets ``activation = F.relu`` over a
# module activation in every deep copy, so its decoder stacks ignore one: pairs left out.
PAIRS = [(kind, case) for kind in BUILDERS for case in CASES
         if not (case == "module_activation_unbatched" and kind in ("Decoder", "Transformer"))]


@pytest.mark.parametrize("dtype", [F32, F64], ids=["float32", "float64"])
@pytest.mark.parametrize(("kind", "case"), PAIRS)
def test_matches_torch_in_train_and_eval_mode(kind, case, dtype):
    rng = np.random.default_rng(1)
    mine, theirs = paired(kind, case, dtype)
    arrays = make_arrays(case, dtype, rng)
    hint = "hint" in CASES[case][1]
    compare_pass(f"{kind}[{case}] train", kind, mine, theirs, arrays, rng, hint)
    for module in (mine, theirs):
        set_dropout(module, 0.5)
        module.eval()
    compare_pass(f"{kind}[{case}] eval", kind, mine, theirs, arrays, rng, hint)


@pytest.mark.parametrize("dtype", [F32, F64], ids=["float32", "float64"])
def test_transformer_matches_torch_on_every_backend(backend, dtype):
    """The whole model (both stacks, every mask) on each backend's kernels."""
    rng = np.random.default_rng(8)
    mine, theirs = paired("Transformer", "pre_norm_batch_first_float_masks", dtype)
    arrays = make_arrays("pre_norm_batch_first_float_masks", dtype, rng)
    compare_pass(f"Transformer on {backend}", "Transformer", mine, theirs, arrays, rng)


def test_torch_encoder_state_dict_loads_into_minigrad_and_back():
    """A torch.nn.TransformerEncoder state_dict loads into minigrad's and gives the same
    outputs and gradients to float32 rounding, and back: minigrad's own (freshly
    initialized, then trained one step) state dict loads into PyTorch's with the same
    result."""
    rng = np.random.default_rng(2)
    arrays = make_arrays("post_norm", F32, rng)
    mine, theirs = paired("Encoder", "post_norm", F32, seed=3)
    compare_pass("torch -> minigrad", "Encoder", mine, theirs, arrays, rng)

    mg.manual_seed(4)
    mine = BUILDERS["Encoder"](mg.nn)
    call("Encoder", mine, {"src": mg.tensor(arrays["src"])}, False).sum().backward()
    with mg.no_grad():
        for p in mine.parameters():
            p.sub_(0.5 * p.grad)
    mine.zero_grad()
    theirs = BUILDERS["Encoder"](torch.nn)
    state = mine.state_dict()
    assert list(state) == list(theirs.state_dict())
    theirs.load_state_dict({name: torch.tensor(value) for name, value in state.items()})
    for name, value in theirs.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), state[name], err_msg=name)
    compare_pass("minigrad -> torch", "Encoder", mine, theirs, arrays, rng)


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_state_dict_keys_and_repr_match_torch(kind):
    mine, theirs = BUILDERS[kind](mg.nn), BUILDERS[kind](torch.nn)
    state_mg, state_torch = mine.state_dict(), theirs.state_dict()
    assert list(state_mg) == list(state_torch)
    assert [state_mg[k].shape for k in state_mg] == [tuple(v.shape) for v in state_torch.values()]
    assert repr(mine) == repr(theirs)


def test_stacked_layers_are_independent_copies():
    layer = encoder_layer(mg.nn)
    encoder = mg.nn.TransformerEncoder(layer, 3)
    weights = [encoder.layers[i].linear1.weight for i in range(3)] + [layer.linear1.weight]
    assert len({id(w) for w in weights}) == 4
    for w in weights[1:]:
        np.testing.assert_array_equal(w.numpy(), weights[0].numpy())
    with mg.no_grad():
        encoder.layers[0].linear1.weight.add_(1.0)
    np.testing.assert_array_equal(encoder.layers[1].linear1.weight.numpy(),
                                  layer.linear1.weight.numpy())
    assert [name for name, _ in encoder.named_children()] == ["layers"]
    assert encoder.num_layers == 3 and encoder.norm is None


def test_transformer_initializes_matrices_xavier_uniform():
    """Every parameter with more than one dimension ~ U(-a, a), a = sqrt(6 / (fan_in +
    fan_out)): linear1's bound (0.5) is past Linear's own (1/sqrt(8)); LayerNorm parameters
    and the attention biases keep their defaults."""
    mg.manual_seed(5)
    model = mg.nn.Transformer(D_MODEL, NHEAD, LAYERS, LAYERS, FF)
    for name, p in model.named_parameters():
        values = p.numpy()
        if p.dim() > 1:
            fan_out, fan_in = p.shape
            bound = np.sqrt(6 / (fan_in + fan_out))
            assert np.abs(values).max() <= bound, name
            assert np.abs(values).max() > 0.8 * bound, name
        elif "norm" in name:
            np.testing.assert_array_equal(values, 1.0 if name.endswith("weight") else 0.0)
        elif "attn" in name:
            np.testing.assert_array_equal(values, 0.0, err_msg=name)
    linear1 = model.encoder.layers[0].linear1.weight.numpy()
    assert np.abs(linear1).max() > 1 / np.sqrt(D_MODEL)
    assert model.d_model == D_MODEL and model.nhead == NHEAD and model.batch_first is False


@pytest.mark.parametrize("dtype", [None, "float64"])
def test_generate_square_subsequent_mask(dtype):
    mine = mg.nn.Transformer.generate_square_subsequent_mask(
        4, dtype=None if dtype is None else getattr(mg, dtype))
    theirs = torch.nn.Transformer.generate_square_subsequent_mask(
        4, dtype=None if dtype is None else getattr(torch, dtype))
    assert mine.dtype.name == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(mine.numpy(), theirs.numpy())


def test_causal_hint_detection_matches_torch():
    """``is_causal=None`` on the stacks: each layer is told the mask is causal exactly when
    PyTorch tells its layers so (a causal float or bool mask, not another mask)."""
    causal = np.triu(np.ones((S, S), bool), 1)
    masks = {"float causal": np.where(causal, -np.inf, 0).astype(F32), "bool causal": causal,
             "other": np.where(causal.T, -np.inf, 0).astype(F32), "none": None}

    src = make_arrays("post_norm", F32, np.random.default_rng(6))["src"]

    def hints(module, mask, tensor):
        """The ``is_causal`` each layer of ``module`` is called with."""
        seen = []
        for layer in module.layers:
            def spy(*args, forward=layer.forward, **kwargs):
                seen.append(kwargs["is_causal"])
                return forward(*args, **kwargs)
            layer.forward = spy
        module(tensor(src), mask=None if mask is None else tensor(mask))
        return seen

    for label, mask in masks.items():
        mine, theirs = BUILDERS["Encoder"](mg.nn), BUILDERS["Encoder"](torch.nn)
        assert hints(mine, mask, mg.tensor) == hints(theirs, mask, torch.tensor), label


def test_decoder_copies_keep_a_module_activation():
    """Each copy in a minigrad decoder stack keeps the module given as ``activation`` (a
    PyTorch deep copy replaces it by F.relu, see PAIRS)."""
    decoder = mg.nn.TransformerDecoder(decoder_layer(mg.nn, activation=mg.nn.GELU("tanh")), 2)
    for layer in decoder.layers:
        assert isinstance(layer.activation, mg.nn.GELU) and layer.activation.approximate == "tanh"
        assert "activation" in dict(layer.named_children())


def test_layers_check_their_arguments():
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        mg.nn.TransformerEncoderLayer(D_MODEL, NHEAD, activation="tanh")
    model = mg.nn.Transformer(D_MODEL, NHEAD, 1, 1, FF)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(mg.randn(S, N, D_MODEL), mg.randn(T, N + 1, D_MODEL))
    with pytest.raises(RuntimeError, match="feature number of src and tgt must be equal"):
        model(mg.randn(S, N, D_MODEL), mg.randn(T, N, D_MODEL - 2))
    with pytest.raises(DTypeError):
        encoder_layer(mg.nn)(mg.randn(S, N, D_MODEL, dtype=mg.float64))


def test_dropout_is_random_in_training_and_off_in_eval():
    layer = mg.nn.TransformerEncoderLayer(D_MODEL, NHEAD, FF, dropout=0.5)
    src = mg.randn(S, N, D_MODEL)
    assert not np.allclose(layer(src).numpy(), layer(src).numpy())
    layer.eval()
    np.testing.assert_array_equal(layer(src).numpy(), layer(src).numpy())


def test_eval_forward_matches_torch_fast_path():
    """Under ``no_grad`` in eval mode PyTorch runs its fused encoder-layer kernel; the
    composed minigrad layer gives the same values."""
    rng = np.random.default_rng(7)
    mine, theirs = paired("EncoderLayer", "pre_norm_batch_first_float_masks", F32)
    mine.eval()
    theirs.eval()
    arrays = make_arrays("pre_norm_batch_first_float_masks", F32, rng)
    padding = arrays["src_key_padding_mask"] == -np.inf
    with mg.no_grad(), torch.no_grad():
        out_mg = mine(mg.tensor(arrays["src"]), src_key_padding_mask=mg.tensor(padding))
        out_torch = theirs(torch.tensor(arrays["src"]),
                           src_key_padding_mask=torch.tensor(padding))
    check("fast path", out_mg, out_torch, F32)
