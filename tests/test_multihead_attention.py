"""``nn.MultiheadAttention`` against ``torch.nn.MultiheadAttention``: PyTorch's (randomized)
weights loaded through ``load_state_dict``, the same inputs, masks and cotangents; outputs,
attention weights, input gradients and every parameter gradient agree, in float32 and
float64, over the layer's options and the masks it takes."""

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

L, S, N, E, HEADS = 4, 5, 3, 8, 2
MG_DTYPE = {np.float32: mg.float32, np.float64: mg.float64}
TORCH_DTYPE = {np.float32: torch.float32, np.float64: torch.float64}
TOL = {np.float32: {"rtol": 2e-4, "atol": 2e-5}, np.float64: {"rtol": 1e-10, "atol": 1e-12}}
DTYPES = [pytest.param(np.float32, id="float32"), pytest.param(np.float64, id="float64")]


def _pair(dtype, seed=0, **options):
    """The layer in both frameworks; torch's parameters randomized (so its zero biases hide
    nothing) and loaded into minigrad's."""
    theirs = torch.nn.MultiheadAttention(**options, dtype=TORCH_DTYPE[dtype])
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in theirs.parameters():
            p.uniform_(-0.6, 0.6, generator=generator)
    mine = mg.nn.MultiheadAttention(**options, dtype=MG_DTYPE[dtype])
    result = mine.load_state_dict(theirs.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    return mine, theirs


def _inputs(rng, dtype, kind, batched=True, batch_first=False, kdim=E, vdim=E):
    """Query, key, value arrays and which of them are one tensor: "self" (query is key is
    value), "cross" (key is value) or "separate"."""
    def draw(length, features):
        shape = ((N, length) if batch_first else (length, N)) if batched else (length,)
        return rng.standard_normal(shape + (features,)).astype(dtype)
    query = draw(L if kind != "self" else S, E)
    if kind == "self":
        return query, query, query
    key = draw(S, kdim)
    return query, key, (key if kind == "cross" else draw(S, vdim))


def _as_tensors(lib, arrays, requires_grad):
    made = {}
    for a in arrays:
        if id(a) not in made:
            made[id(a)] = lib.tensor(a, requires_grad=requires_grad)
    return [made[id(a)] for a in arrays]


def _assert_close(label, got, want, dtype):
    want = want.detach().numpy()
    assert got.shape == want.shape, f"{label}: shape {got.shape}, torch {want.shape}"
    np.testing.assert_allclose(got.numpy(), want, **TOL[dtype], err_msg=label)


def _compare(mine, theirs, arrays, dtype, masks=None, rng=None, **call):
    """One forward and backward in both (a random cotangent on the output and on the
    weights), comparing outputs, weights and every gradient."""
    masks = masks or {}
    rng = rng or np.random.default_rng(1)
    ours = _as_tensors(mg, arrays, True)
    torchs = _as_tensors(torch, arrays, True)
    our_masks = {k: mg.tensor(v, requires_grad=v.dtype.kind == "f") for k, v in masks.items()}
    torch_masks = {k: torch.tensor(v, requires_grad=v.dtype.kind == "f")
                   for k, v in masks.items()}
    out, weights = mine(*ours, **our_masks, **call)
    t_out, t_weights = theirs(*torchs, **torch_masks, **call)
    _assert_close("output", out, t_out, dtype)
    assert (weights is None) == (t_weights is None)
    c_out = rng.standard_normal(tuple(t_out.shape)).astype(dtype)
    loss = (out * mg.tensor(c_out)).sum()
    t_loss = (t_out * torch.tensor(c_out)).sum()
    if weights is not None:
        _assert_close("weights", weights, t_weights, dtype)
        c_weights = rng.standard_normal(tuple(t_weights.shape)).astype(dtype)
        loss = loss + (weights * mg.tensor(c_weights)).sum()
        t_loss = t_loss + (t_weights * torch.tensor(c_weights)).sum()
    loss.backward()
    t_loss.backward()
    for name, a, b in zip(("query", "key", "value"), ours, torchs):
        _assert_close(f"gradient of {name}", a.grad, b.grad, dtype)
    for name in masks:
        if torch_masks[name].requires_grad and torch_masks[name].grad is None:
            assert our_masks[name].grad is None, f"{name} is unused by torch but got a gradient"
        elif torch_masks[name].requires_grad:
            _assert_close(f"gradient of {name}", our_masks[name].grad, torch_masks[name].grad,
                          dtype)
    torch_params = dict(theirs.named_parameters())
    our_params = dict(mine.named_parameters())
    assert list(our_params) == list(torch_params)
    for name, p in torch_params.items():
        _assert_close(f"gradient of {name}", our_params[name].grad, p.grad, dtype)


LAYERS = {
    "plain": {},
    "batch_first": {"batch_first": True},
    "no_bias": {"bias": False},
    "bias_kv": {"add_bias_kv": True},
    "zero_attn": {"add_zero_attn": True},
    "kdim_vdim": {"kdim": 3, "vdim": 6},
    "everything": {"kdim": 3, "vdim": 6, "add_bias_kv": True, "add_zero_attn": True,
                   "batch_first": True},
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("layer", list(LAYERS))
def test_layer_options_match_torch(layer, mode, dtype):
    options = LAYERS[layer]
    mine, theirs = _pair(dtype, embed_dim=E, num_heads=HEADS, **options)
    if mode == "eval":
        mine.eval()
        theirs.eval()
    rng = np.random.default_rng(2)
    kinds = ["separate"] if "kdim" in options else ["self", "cross", "separate"]
    for kind in kinds:
        arrays = _inputs(rng, dtype, kind, batch_first=options.get("batch_first", False),
                         kdim=options.get("kdim", E), vdim=options.get("vdim", E))
        _compare(mine, theirs, arrays, dtype, rng=rng)
        mine.zero_grad()
        theirs.zero_grad()


def _masks(rng, case, dtype):
    """(masks, call options) for a mask case; boolean True means "do not attend"."""
    padding = np.zeros((N, S), dtype=bool)
    padding[0, -2:] = padding[2, 3] = True  # NOTE: no query left without a key (causal too)
    blocked = rng.random((L, S)) < 0.3
    blocked[:, 1] = False  # every query keeps a key
    per_head = rng.random((N * HEADS, L, S)) < 0.3
    per_head[..., 1] = False
    causal = np.triu(np.ones((S, S), dtype=bool), 1)
    return {
        "key_padding": ({"key_padding_mask": padding}, {}),
        "key_padding_float": ({"key_padding_mask": np.where(padding, -np.inf, 0.0)
                               .astype(dtype)}, {}),
        "bool_2d": ({"attn_mask": blocked}, {}),
        "float_2d": ({"attn_mask": rng.standard_normal((L, S)).astype(dtype)}, {}),
        "bool_3d": ({"attn_mask": per_head}, {}),
        "float_3d": ({"attn_mask": rng.standard_normal((N * HEADS, L, S)).astype(dtype)}, {}),
        "both": ({"attn_mask": blocked, "key_padding_mask": padding}, {}),
        "causal": ({"attn_mask": causal}, {"is_causal": True}),
        "causal_float": ({"attn_mask": np.where(causal, -np.inf, 0.0).astype(dtype)},
                         {"is_causal": True}),
        "causal_key_padding": ({"attn_mask": causal, "key_padding_mask": padding},
                               {"is_causal": True}),
    }[case]


MASKS = ["key_padding", "key_padding_float", "bool_2d", "float_2d", "bool_3d", "float_3d",
         "both", "causal", "causal_float", "causal_key_padding"]
WEIGHTS = {"averaged": {}, "per_head": {"average_attn_weights": False},
           "none": {"need_weights": False}}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weights", list(WEIGHTS))
@pytest.mark.parametrize("case", MASKS)
def test_masks_match_torch(case, weights, dtype):
    mine, theirs = _pair(dtype, embed_dim=E, num_heads=HEADS, add_bias_kv=case == "both")
    rng = np.random.default_rng(3)
    kind = "self" if case.startswith("causal") else "cross"
    arrays = _inputs(rng, dtype, kind)
    masks, call = _masks(rng, case, dtype)
    _compare(mine, theirs, arrays, dtype, masks, rng, **call, **WEIGHTS[weights])


@pytest.mark.parametrize("weights", list(WEIGHTS))
@pytest.mark.parametrize("batch_first", [False, True])
def test_unbatched_input_matches_torch(batch_first, weights):
    mine, theirs = _pair(np.float64, embed_dim=E, num_heads=HEADS, batch_first=batch_first)
    rng = np.random.default_rng(4)
    padding = np.array([0.0, -np.inf, 0.0, 0.0, -np.inf])
    masks = {"key_padding_mask": padding, "attn_mask": rng.standard_normal((HEADS, L, S))}
    for kind in ("self", "separate"):
        arrays = _inputs(rng, np.float64, kind, batched=False)
        _compare(mine, theirs, arrays, np.float64, masks if kind == "separate" else None, rng,
                 **WEIGHTS[weights])


def test_fast_path_of_torch_in_eval_without_grad_agrees():
    """PyTorch takes its fused kernel here (eval, no grad, batch-first self-attention)."""
    mine, theirs = _pair(np.float32, embed_dim=E, num_heads=HEADS, batch_first=True)
    mine.eval()
    theirs.eval()
    x = np.random.default_rng(5).standard_normal((N, S, E)).astype(np.float32)
    with mg.no_grad(), torch.no_grad():
        out, weights = mine(*[mg.tensor(x)] * 3)
        t_out, t_weights = theirs(*[torch.tensor(x)] * 3)
    _assert_close("output", out, t_out, np.float32)
    _assert_close("weights", weights, t_weights, np.float32)


def test_minigrad_weights_load_into_torch_and_give_its_outputs():
    mine = mg.nn.MultiheadAttention(E, HEADS, kdim=3, vdim=6, add_bias_kv=True,
                                    dtype=mg.float64)
    theirs = torch.nn.MultiheadAttention(E, HEADS, kdim=3, vdim=6, add_bias_kv=True,
                                         dtype=torch.float64)
    theirs.load_state_dict({k: torch.tensor(v) for k, v in mine.state_dict().items()})
    _compare(mine, theirs, _inputs(np.random.default_rng(6), np.float64, "separate", kdim=3,
                                   vdim=6), np.float64)


def test_initialization_follows_torch():
    layer = mg.nn.MultiheadAttention(64, 4, add_bias_kv=True)
    bound = np.sqrt(6 / (64 + 3 * 64))  # xavier_uniform_ on (3E, E)
    weight = layer.in_proj_weight.numpy()
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.9 * bound
    assert not layer.in_proj_bias.numpy().any() and not layer.out_proj.bias.numpy().any()
    assert layer.bias_k.shape == (1, 1, 64) and layer.bias_k.numpy().std() > 0
    assert type(layer.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    assert isinstance(layer.out_proj, mg.nn.Linear)


def test_dropout_in_training_is_seeded_and_off_in_eval():
    mine, theirs = _pair(np.float64, embed_dim=E, num_heads=HEADS, dropout=0.5)
    x = mg.tensor(np.random.default_rng(7).standard_normal((S, N, E)))
    mg.manual_seed(1)
    first, _ = mine(x, x, x)
    mg.manual_seed(1)
    again, _ = mine(x, x, x)
    np.testing.assert_array_equal(first.numpy(), again.numpy())
    mine.eval()
    theirs.eval()
    out, _ = mine(x, x, x)
    t_out, _ = theirs(*[torch.tensor(x.numpy())] * 3)
    assert not np.allclose(first.numpy(), out.numpy())
    _assert_close("eval output", out, t_out, np.float64)


def test_a_query_with_every_key_padded_gets_zeros_without_weights_as_torch():
    mine, theirs = _pair(np.float64, embed_dim=E, num_heads=HEADS, bias=False)
    padding = np.zeros((N, S), dtype=bool)
    padding[1] = True
    arrays = _inputs(np.random.default_rng(8), np.float64, "self")
    _compare(mine, theirs, arrays, np.float64, {"key_padding_mask": padding},
             need_weights=False)


def _layer_errors():
    x = mg.randn(L, N, E)
    layer = mg.nn.MultiheadAttention(E, HEADS)
    return {
        "not_divisible": (lambda: mg.nn.MultiheadAttention(6, 4), AssertionError,
                          "divisible by num_heads"),
        "zero_heads": (lambda: mg.nn.MultiheadAttention(6, 0), ValueError, "greater than 0"),
        "key_value_mismatch": (lambda: layer(x, mg.randn(S, N, E), mg.randn(S + 1, N, E)),
                               AssertionError, r"\(5, 3, 8\) does not match value shape"),
        "embedding": (lambda: layer(mg.randn(L, N, 6), x, x), AssertionError,
                      "embedding dimension of 8, but got 6"),
        "query_rank": (lambda: layer(mg.randn(1, L, N, E), x, x), AssertionError, "4-D"),
        "mask_2d": (lambda: layer(x, x, x, attn_mask=mg.zeros(L, L + 1)), RuntimeError,
                    r"2D attn_mask is \(4, 5\), but should be \(4, 4\)"),
        "mask_3d": (lambda: layer(x, x, x, attn_mask=mg.zeros(N, L, L)), RuntimeError,
                    r"3D attn_mask is \(3, 4, 4\), but should be \(6, 4, 4\)"),
        "mask_rank": (lambda: layer(x, x, x, attn_mask=mg.zeros(1, 1, L, L)), AssertionError,
                      "2-D or 3-D"),
        "padding_shape": (lambda: layer(x, x, x, key_padding_mask=mg.zeros(N, L + 1,
                                                                           dtype=mg.bool)),
                          AssertionError, r"\(3, 4\).*\(3, 5\)"),
        "integer_mask": (lambda: layer(x, x, x, attn_mask=mg.zeros(L, L, dtype=mg.int64)),
                         AssertionError, "only bool and floating"),
        "causal_without_mask": (lambda: layer(x, x, x, is_causal=True), RuntimeError,
                                "Need attn_mask"),
    }


@pytest.mark.parametrize("case", list(_layer_errors()))
def test_errors_match_torch_and_name_the_shapes(case):
    call, kind, pattern = _layer_errors()[case]
    with pytest.raises(kind, match=pattern):
        call()


def test_mismatched_mask_types_warn_as_torch():
    layer = mg.nn.MultiheadAttention(E, HEADS)
    x = mg.randn(L, N, E)
    with pytest.warns(UserWarning, match="mismatched key_padding_mask and attn_mask"):
        layer(x, x, x, key_padding_mask=mg.zeros(N, L, dtype=mg.bool),
              attn_mask=mg.zeros(L, L))
