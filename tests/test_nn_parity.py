"""``mg.nn`` against ``torch.nn``: the same layer, weights copied through ``load_state_dict``,
the same inputs and cotangent; forward, input gradient and every parameter gradient agree.
Each failure message gives the max abs error against PyTorch."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.testing.op_db import MODULE_DB

torch = pytest.importorskip("torch")

F32, F64 = np.float32, np.float64
MG_DTYPE = {F32: mg.float32, F64: mg.float64}
TORCH_DTYPE = {F32: torch.float32, F64: torch.float64}
TOL = {F32: {"rtol": 1e-4, "atol": 1e-5}, F64: {"rtol": 1e-10, "atol": 1e-12}}


@pytest.fixture(autouse=True)
def _on_every_backend(backend):
    """Every test here runs once per backend (the ``backend`` fixture of conftest)."""


def check(label, got, want, dtype):
    """Assert minigrad's ``got`` matches PyTorch's ``want``; the message names the max error."""
    if isinstance(want, torch.Tensor):
        want = want.detach().numpy()
    got = np.asarray(got.numpy() if isinstance(got, mg.Tensor) else got)
    assert got.shape == want.shape, f"{label}: shape {got.shape}, torch {want.shape}"
    err = float(np.max(np.abs(got.astype(F64) - want.astype(F64)), initial=0.0))
    tol = TOL[dtype]
    assert np.allclose(got, want, **tol, equal_nan=False), \
        f"{label}: max abs error {err:.3g} vs torch ({np.dtype(dtype).name}, {tol})"
    return err


def load_from_torch(mg_module, torch_module):
    result = mg_module.load_state_dict(
        {k: v.numpy() for k, v in torch_module.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []


def paired(make, dtype=F32, seed=0):
    """``make(nn)`` in both frameworks; PyTorch's parameters are randomized (so weight = 1,
    bias = 0 defaults hide nothing) and copied into minigrad's."""
    torch_layer = make(torch.nn).to(TORCH_DTYPE[dtype])
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in torch_layer.parameters():
            p.uniform_(0.5, 1.5, generator=generator)
    mg_layer = make(mg.nn).to(MG_DTYPE[dtype])
    load_from_torch(mg_layer, torch_layer)
    return mg_layer, torch_layer


def compare_pass(label, mg_layer, torch_layer, x, rng, dtype=None):
    """One forward and backward (random cotangent) in both; compares output, input gradient
    and every parameter gradient. Parameter gradients are cleared afterwards. Integer ``x``
    (indices) gets no gradient; ``dtype`` is then the layer's float dtype."""
    dtype = dtype or x.dtype.type
    float_input = x.dtype.kind == "f"
    x_mg = mg.tensor(x, requires_grad=float_input)
    x_torch = torch.tensor(x, requires_grad=float_input)
    y_mg, y_torch = mg_layer(x_mg), torch_layer(x_torch)
    check(f"{label} forward", y_mg, y_torch, dtype)
    cotangent = np.asarray(rng.standard_normal(tuple(y_torch.shape)), dtype)
    y_mg.backward(mg.tensor(cotangent))
    y_torch.backward(torch.tensor(cotangent))
    if float_input:
        check(f"{label} input grad", x_mg.grad, x_torch.grad, dtype)
    mg_params = dict(mg_layer.named_parameters())
    torch_params = dict(torch_layer.named_parameters())
    assert list(mg_params) == list(torch_params)
    for name, p in torch_params.items():
        check(f"{label} grad of {name}", mg_params[name].grad, p.grad, dtype)
    mg_layer.zero_grad()
    torch_layer.zero_grad()


def randn(rng, *shape, dtype=F32, scale=1.0):
    return (scale * rng.standard_normal(shape)).astype(dtype)


# ----------------------------------------------------------------------------- the module registry
@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("info", [i for i in MODULE_DB if i.input_shapes], ids=lambda i: i.name)
def test_module_matches_torch(info, dtype):
    """Every registered layer: output, input gradient and parameter gradients on each of
    its input shapes, with PyTorch's (randomized) weights loaded into minigrad's."""
    rng = np.random.default_rng(4)
    mg_layer, torch_layer = paired(info.make, dtype)
    if info.eval_mode:
        mg_layer.eval()
        torch_layer.eval()
    for shape in info.input_shapes:
        if info.index_high:
            x = rng.integers(0, info.index_high, size=shape)
        else:
            x = randn(rng, *shape, dtype=dtype, scale=info.scale) + dtype(info.shift)
        compare_pass(info.name, mg_layer, torch_layer, x, rng, dtype)


@pytest.mark.parametrize("info", MODULE_DB, ids=lambda info: info.name)
def test_module_state_dict_and_repr_match_torch(info):
    """The same keys in the same order with the same shapes, a round trip through PyTorch
    that changes no value, and PyTorch's repr."""
    mg_layer, torch_layer = info.make(mg.nn), info.make(torch.nn)
    mg_state, torch_state = mg_layer.state_dict(), torch_layer.state_dict()
    assert list(mg_state) == list(torch_state)
    for name, value in torch_state.items():
        assert mg_state[name].shape == tuple(value.shape), name
    torch_layer.load_state_dict({k: torch.tensor(v) for k, v in mg_state.items()})
    for name, value in torch_layer.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), mg_state[name], err_msg=name)
    assert repr(mg_layer) == repr(torch_layer)


# ----------------------------------------------------------------------------- BatchNorm1d
def check_running_stats(label, mg_bn, torch_bn, dtype):
    check(f"{label} running_mean", mg_bn.running_mean, torch_bn.running_mean, dtype)
    check(f"{label} running_var", mg_bn.running_var, torch_bn.running_var, dtype)
    assert int(mg_bn.num_batches_tracked.item()) == int(torch_bn.num_batches_tracked), label


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("shape", [(8, 4), (6, 4, 5)], ids=["NC", "NCL"])
def test_batch_norm_training_steps_then_eval(shape, momentum, dtype):
    rng = np.random.default_rng(1)
    mg_bn, torch_bn = paired(lambda nn: nn.BatchNorm1d(4, momentum=momentum), dtype)
    for step in range(5):
        x = randn(rng, *shape, dtype=dtype, scale=step + 1) + step
        compare_pass(f"BatchNorm1d step {step}", mg_bn, torch_bn, x, rng)
        check_running_stats(f"BatchNorm1d step {step}", mg_bn, torch_bn, dtype)
    mg_bn.eval()
    torch_bn.eval()
    compare_pass("BatchNorm1d eval", mg_bn, torch_bn, randn(rng, *shape, dtype=dtype), rng)
    check_running_stats("BatchNorm1d after eval", mg_bn, torch_bn, dtype)


@pytest.mark.parametrize("shape", [(8, 4), (6, 4, 5)], ids=["NC", "NCL"])
def test_batch_norm_without_affine(shape):
    rng = np.random.default_rng(2)
    mg_bn, torch_bn = paired(lambda nn: nn.BatchNorm1d(4, affine=False))
    assert list(mg_bn.state_dict()) == list(torch_bn.state_dict())
    for _ in range(2):
        compare_pass("BatchNorm1d(affine=False)", mg_bn, torch_bn, randn(rng, *shape) + 3, rng)
    check_running_stats("BatchNorm1d(affine=False)", mg_bn, torch_bn, F32)
    mg_bn.eval()
    torch_bn.eval()
    compare_pass("BatchNorm1d(affine=False) eval", mg_bn, torch_bn, randn(rng, *shape), rng)


@pytest.mark.parametrize("shape", [(8, 4), (6, 4, 5)], ids=["NC", "NCL"])
def test_batch_norm_without_running_stats(shape):
    rng = np.random.default_rng(3)
    mg_bn, torch_bn = paired(lambda nn: nn.BatchNorm1d(4, track_running_stats=False))
    assert list(mg_bn.state_dict()) == list(torch_bn.state_dict()) == ["weight", "bias"]
    compare_pass("BatchNorm1d(no stats)", mg_bn, torch_bn, randn(rng, *shape) - 2, rng)
    mg_bn.eval()
    torch_bn.eval()
    compare_pass("BatchNorm1d(no stats) eval", mg_bn, torch_bn, randn(rng, *shape) * 3, rng)


# ----------------------------------------------------------------------------- losses
def compare_loss(label, make, x, target, rng, target_grad=False):
    """``make(nn, tensor)`` builds the loss (``tensor`` turns weights into the framework's
    tensors); compares the loss, the input gradient and, if asked, the target gradient."""
    dtype = x.dtype.type
    mg_loss, torch_loss = make(mg.nn, mg.tensor), make(torch.nn, torch.tensor)
    x_mg, x_torch = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    t_mg = mg.tensor(target, requires_grad=target_grad)
    t_torch = torch.tensor(target, requires_grad=target_grad)
    out_mg, out_torch = mg_loss(x_mg, t_mg), torch_loss(x_torch, t_torch)
    check(f"{label} forward", out_mg, out_torch, dtype)
    cotangent = np.asarray(rng.standard_normal(tuple(out_torch.shape)), dtype)
    out_mg.backward(mg.tensor(cotangent))
    out_torch.backward(torch.tensor(cotangent))
    check(f"{label} input grad", x_mg.grad, x_torch.grad, dtype)
    if target_grad:
        check(f"{label} target grad", t_mg.grad, t_torch.grad, dtype)


REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("loss", ["MSELoss", "L1Loss"])
def test_pointwise_losses(loss, reduction, dtype):
    rng = np.random.default_rng(6)
    x, target = randn(rng, 5, 3, dtype=dtype), randn(rng, 5, 3, dtype=dtype)
    compare_loss(loss, lambda nn, _: getattr(nn, loss)(reduction=reduction), x, target, rng,
                 target_grad=True)


CLASS_WEIGHT = [0.5, 2.0, 1.0, 0.25]
CROSS_ENTROPY_CASES = {
    "plain": {},
    "weight": {"weight": CLASS_WEIGHT},
    "ignore_index": {"ignore_index": 2},
    "smoothing": {"label_smoothing": 0.1},
    "all": {"weight": CLASS_WEIGHT, "ignore_index": 2, "label_smoothing": 0.3},
}


def class_loss_factory(name, kwargs, reduction):
    def make(nn, tensor):
        options = dict(kwargs, reduction=reduction)
        if "weight" in options:
            options["weight"] = tensor(np.asarray(options["weight"], F32))
        return getattr(nn, name)(**options)
    return make


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", list(CROSS_ENTROPY_CASES))
@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 5)], ids=["NC", "NCL"])
def test_cross_entropy(shape, case, reduction):
    rng = np.random.default_rng(7)
    x = randn(rng, *shape, scale=3)
    target_shape = (shape[0],) + shape[2:]
    target = rng.integers(0, 4, size=target_shape)
    target.reshape(-1)[:3] = [2, 0, 2]  # make sure ignore_index=2 is present
    compare_loss(f"CrossEntropyLoss[{case}, {reduction}]",
                 class_loss_factory("CrossEntropyLoss", CROSS_ENTROPY_CASES[case], reduction),
                 x, target, rng)


def test_cross_entropy_float64_with_huge_logits():
    rng = np.random.default_rng(8)
    x = randn(rng, 6, 4, dtype=F64, scale=300)
    target = rng.integers(0, 4, size=6)
    compare_loss("CrossEntropyLoss[float64, huge logits]",
                 class_loss_factory("CrossEntropyLoss", {"label_smoothing": 0.2}, "mean"), x,
                 target, rng)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", ["plain", "weight", "ignore_index"])
def test_nll_loss(case, reduction):
    rng = np.random.default_rng(9)
    logits = randn(rng, 6, 4)
    log_p = (logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))).astype(F32)
    target = np.array([2, 0, 1, 3, 2, 1])
    compare_loss(f"NLLLoss[{case}, {reduction}]",
                 class_loss_factory("NLLLoss", CROSS_ENTROPY_CASES[case], reduction), log_p,
                 target, rng)


BCE_CASES = {
    "plain": {},
    "weight": {"weight": np.linspace(0.5, 2.0, 3)},
    "weight_per_element": {"weight": np.linspace(0.1, 1.0, 18).reshape(6, 3)},
    "pos_weight": {"pos_weight": np.array([0.5, 3.0, 1.0])},
    "both": {"weight": np.linspace(0.5, 2.0, 3), "pos_weight": np.array([2.0, 0.25, 5.0])},
}


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", list(BCE_CASES))
def test_bce_with_logits(case, reduction, dtype):
    rng = np.random.default_rng(10)
    x = randn(rng, 6, 3, dtype=dtype, scale=4)
    x[0] = [50.0, -50.0, 0.0]  # exp(50) overflows neither framework in a stable form
    x[1] = [-50.0, 50.0, 1e-3]
    target = rng.uniform(size=(6, 3)).astype(dtype)
    target[:2] = [[1.0, 0.0, 1.0], [1.0, 0.0, 0.0]]

    def make(nn, tensor):
        options = {k: tensor(v.astype(dtype)) for k, v in BCE_CASES[case].items()}
        return nn.BCEWithLogitsLoss(reduction=reduction, **options)

    compare_loss(f"BCEWithLogitsLoss[{case}, {reduction}]", make, x, target, rng,
                 target_grad=True)


# ----------------------------------------------------------------------------- state dicts
def mixed_model(nn):
    return nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.3),
                         nn.LayerNorm(8), nn.Linear(8, 3))


def test_state_dict_torch_to_minigrad():
    rng = np.random.default_rng(11)
    torch.manual_seed(0)
    torch_model = mixed_model(torch.nn)
    with torch.no_grad():
        torch_model[4].weight.uniform_(0.5, 1.5)
        torch_model[4].bias.uniform_(-1, 1)
        for _ in range(3):  # running statistics and num_batches_tracked off their defaults
            torch_model(torch.tensor(randn(rng, 16, 6, scale=2) + 1))
    mg_model = mixed_model(mg.nn)
    assert list(mg_model.state_dict()) == list(torch_model.state_dict())
    load_from_torch(mg_model, torch_model)
    assert int(mg_model[1].num_batches_tracked.item()) == 3
    mg_model.eval()
    torch_model.eval()
    compare_pass("Sequential (torch -> minigrad)", mg_model, torch_model, randn(rng, 5, 6), rng)


def test_state_dict_minigrad_to_torch():
    rng = np.random.default_rng(12)
    mg_model = mixed_model(mg.nn)
    mg.nn.init.uniform_(mg_model[4].weight, 0.5, 1.5)
    mg.nn.init.uniform_(mg_model[4].bias, -1, 1)
    with mg.no_grad():
        for _ in range(3):
            mg_model(mg.tensor(randn(rng, 16, 6, scale=2) + 1))
    torch_model = mixed_model(torch.nn)
    state = mg_model.state_dict()
    assert list(state) == list(torch_model.state_dict())
    torch_model.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    assert int(torch_model[1].num_batches_tracked) == 3
    assert torch_model[1].num_batches_tracked.dtype == torch.int64
    mg_model.eval()
    torch_model.eval()
    compare_pass("Sequential (minigrad -> torch)", mg_model, torch_model, randn(rng, 5, 6), rng)


def test_load_state_dict_accepts_torch_tensors_directly():
    torch.manual_seed(1)
    torch_model = mixed_model(torch.nn)
    mg_model = mixed_model(mg.nn)
    mg_model.load_state_dict(torch_model.state_dict())
    for name, value in torch_model.state_dict().items():
        np.testing.assert_array_equal(mg_model.state_dict()[name], value.numpy(), err_msg=name)


def test_repr_matches_the_installed_torch():
    assert repr(mixed_model(mg.nn)) == repr(mixed_model(torch.nn))


# ----------------------------------------------------------------------------- training loop
def test_seed_training_loop_matches_pytorch():
    """Linear(10,5)-ReLU-Linear(5,2), MSE, plain gradient descent (lr 0.1) for 5 steps from
    PyTorch's initial weights: the losses and final weights agree to float32 rounding."""
    torch.manual_seed(0)
    torch_net = torch.nn.Sequential(torch.nn.Linear(10, 5), torch.nn.ReLU(),
                                    torch.nn.Linear(5, 2))
    mg_net = mg.nn.Sequential(mg.nn.Linear(10, 5), mg.nn.ReLU(), mg.nn.Linear(5, 2))
    load_from_torch(mg_net, torch_net)
    rng = np.random.default_rng(13)
    x, y = randn(rng, 16, 10), randn(rng, 16, 2)
    lr = 0.1
    mg_losses, torch_losses = [], []
    for _ in range(5):
        mg_net.zero_grad()
        loss = mg.nn.MSELoss()(mg_net(mg.tensor(x)), mg.tensor(y))
        loss.backward()
        with mg.no_grad():
            for p in mg_net.parameters():
                p.sub_(lr * p.grad)
        mg_losses.append(loss.item())

        torch_net.zero_grad()
        loss = torch.nn.MSELoss()(torch_net(torch.tensor(x)), torch.tensor(y))
        loss.backward()
        with torch.no_grad():
            for p in torch_net.parameters():
                p.sub_(lr * p.grad)
        torch_losses.append(loss.item())
    err = np.max(np.abs(np.subtract(mg_losses, torch_losses)))
    np.testing.assert_allclose(mg_losses, torch_losses, rtol=1e-5,
                               err_msg=f"losses: max abs error {err:.3g}")
    assert mg_losses[-1] < mg_losses[0]
    final = mg_net.state_dict()
    for name, value in torch_net.state_dict().items():
        check(f"final {name}", final[name], value, F32)
