"""Optimizers: update rules against PyTorch's over 50 steps, parameter groups, argument errors,
``zero_grad`` and closures, state dicts (resume bit for bit, load PyTorch's), and in-place
updates that build no graph.

PyTorch is the contract (API.md), so where it is installed it is the oracle: the same model,
the same initial weights and data, and every parameter must agree after every step to the
rounding of the dtype. The tests that need no oracle run without torch.
"""

import numpy as np
import pytest

import minigrad as mg

_RNG = np.random.default_rng(1234)
X = _RNG.standard_normal((16, 6))
Y = _RNG.standard_normal((16, 3))
LABELS = _RNG.integers(0, 3, 16)

# (class, kwargs, loss, float32 tolerance). A tolerance is ~10x the worst deviation from
# PyTorch seen over 50 steps (as both rtol and atol), so a real change of rule fails.
CASES = {
    "sgd": ("SGD", dict(lr=0.1), "mse", 1e-6),
    "sgd-momentum": ("SGD", dict(lr=0.1, momentum=0.9), "mse", 7e-6),
    "sgd-dampening": ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1), "mse", 2e-6),
    "sgd-nesterov": ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True), "ce", 2e-6),
    "sgd-weight_decay": ("SGD", dict(lr=0.1, weight_decay=0.1), "mse", 1e-6),
    "sgd-momentum-weight_decay": ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.1), "mse",
                                  7e-6),
    "sgd-maximize": ("SGD", dict(lr=0.01, momentum=0.5, maximize=True), "mse", 1e-6),
    "adam": ("Adam", dict(), "mse", 1e-6),
    "adam-lr": ("Adam", dict(lr=0.01), "ce", 3e-6),
    "adam-amsgrad": ("Adam", dict(lr=0.01, amsgrad=True), "mse", 2e-6),
    "adam-weight_decay": ("Adam", dict(lr=0.01, weight_decay=0.1), "mse", 1e-6),
    "adam-maximize": ("Adam", dict(lr=0.01, maximize=True), "ce", 2e-6),
    "adamw": ("AdamW", dict(lr=0.01), "mse", 2e-6),
    "adamw-wd-amsgrad": ("AdamW", dict(lr=0.01, weight_decay=0.3, amsgrad=True), "ce", 3e-6),
    "rmsprop": ("RMSprop", dict(), "mse", 5e-6),
    "rmsprop-momentum": ("RMSprop", dict(lr=0.01, momentum=0.9), "mse", 2e-4),
    "rmsprop-centered": ("RMSprop", dict(lr=0.01, centered=True), "ce", 8e-6),
    "rmsprop-weight_decay": ("RMSprop", dict(lr=0.01, weight_decay=0.1), "mse", 1.5e-6),
    "rmsprop-all": ("RMSprop", dict(lr=1e-3, alpha=0.9, momentum=0.5, centered=True), "mse",
                    1e-5),
}
FLOAT64_CASES = {"sgd-nesterov": 3e-15, "adam-amsgrad": 3e-15, "adamw": 5e-15,
                 "rmsprop-momentum": 1e-13, "rmsprop-centered": 5e-14}


def _label(name, kwargs):
    return f"{name}(" + ",".join(f"{k}={v}" for k, v in kwargs.items()) + ")"


def _optimizers(*pairs):
    """pytest params of ``(class name, kwargs)``, each labelled like the constructor call."""
    return [pytest.param(name, kwargs, id=_label(name, kwargs)) for name, kwargs in pairs]


def _mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3))


def _twin_models(torch, dtype="float32"):
    """A torch MLP and a minigrad MLP holding the same weights, in ``dtype``."""
    torch.manual_seed(0)
    t_model, m_model = _mlp(torch), _mlp(mg)
    if dtype == "float64":
        t_model.double()
        m_model.double()
    m_model.load_state_dict({k: v.numpy() for k, v in t_model.state_dict().items()})
    return t_model, m_model


def _loss_fn(lib, loss, dtype="float32"):
    """``model -> scalar loss`` on the fixed data, in ``lib`` (torch or minigrad)."""
    x = lib.tensor(X.astype(dtype))
    if loss == "mse":
        target = lib.tensor(Y.astype(dtype))
        return lambda model: lib.nn.functional.mse_loss(model(x), target)
    labels = lib.tensor(LABELS)
    return lambda model: lib.nn.functional.cross_entropy(model(x), labels)


def _train_step(optimizer, model, loss_fn):
    optimizer.zero_grad()
    loss = loss_fn(model)
    loss.backward()
    optimizer.step()
    return loss


def _assert_same_weights(t_model, m_model, tol, what):
    for (name, expected), actual in zip(t_model.state_dict().items(),
                                        m_model.state_dict().values()):
        np.testing.assert_allclose(actual, expected.numpy(), rtol=tol, atol=tol,
                                   err_msg=f"{name} {what}")


def _run_parity(case, dtype, tol, steps=50):
    torch = pytest.importorskip("torch")
    name, kwargs, loss, _ = CASES[case]
    t_model, m_model = _twin_models(torch, dtype)
    t_opt = getattr(torch.optim, name)(t_model.parameters(), **kwargs)
    m_opt = getattr(mg.optim, name)(m_model.parameters(), **kwargs)
    t_loss, m_loss = _loss_fn(torch, loss, dtype), _loss_fn(mg, loss, dtype)
    for step in range(steps):
        _train_step(t_opt, t_model, t_loss)
        _train_step(m_opt, m_model, m_loss)
        _assert_same_weights(t_model, m_model, tol, f"after step {step + 1}")


# ---------------------------------------------------------------- PyTorch trajectories
# NOTE: on every backend (the ``backend`` fixture): Numba's SGD is its own compiled pass
@pytest.mark.parametrize("case", list(CASES))
def test_trajectory_matches_torch_float32(case, backend):
    _run_parity(case, "float32", CASES[case][3])


@pytest.mark.parametrize("case", list(FLOAT64_CASES))
def test_trajectory_matches_torch_float64(case, backend):
    _run_parity(case, "float64", FLOAT64_CASES[case])


def test_param_groups_and_add_param_group_match_torch():
    """Two groups with their own lr and momentum, then a third layer added after 5 steps."""
    torch = pytest.importorskip("torch")
    t_model, m_model = _twin_models(torch)
    t_extra, m_extra = torch.nn.Parameter(torch.ones(3)), mg.nn.Parameter(mg.ones(3))
    opts = []
    for lib, model in ((torch, t_model), (mg, m_model)):
        groups = [{"params": model[0].parameters(), "lr": 0.05, "momentum": 0.5},
                  {"params": [model[2].weight]}]
        opts.append(lib.optim.SGD(groups, lr=0.1, momentum=0.9))
    t_loss, m_loss = _loss_fn(torch, "mse"), _loss_fn(mg, "mse")
    for step in range(15):
        if step == 5:
            for opt, model, extra in ((opts[0], t_model, t_extra), (opts[1], m_model, m_extra)):
                opt.add_param_group({"params": [model[2].bias, extra], "lr": 0.02})
        _train_step(opts[0], t_model, lambda m: t_loss(m) + (t_extra * t_extra).sum())
        _train_step(opts[1], m_model, lambda m: m_loss(m) + (m_extra * m_extra).sum())
        _assert_same_weights(t_model, m_model, 1e-6, f"after step {step + 1}")
        np.testing.assert_allclose(m_extra.numpy(), t_extra.detach().numpy(), rtol=1e-6)
    assert [g["lr"] for g in opts[1].param_groups] == [0.05, 0.1, 0.02]
    assert [g["momentum"] for g in opts[1].param_groups] == [0.5, 0.9, 0.9]


# ---------------------------------------------------------------- param groups, no torch
def test_each_group_uses_its_own_lr():
    model = _mlp(mg)
    opt = mg.optim.SGD([{"params": model[0].parameters(), "lr": 0.5},
                        {"params": model[2].parameters()}], lr=0.01)
    _loss_fn(mg, "mse")(model).backward()
    before = {id(p): (p.numpy().copy(), p.grad.numpy().copy()) for p in model.parameters()}
    opt.step()
    for group, lr in zip(opt.param_groups, (0.5, 0.01)):
        assert group["lr"] == lr and group["momentum"] == 0
        for p in group["params"]:
            data, grad = before[id(p)]
            np.testing.assert_array_equal(p.numpy(), data + np.float32(-lr) * grad)


def test_add_param_group_fills_defaults_and_is_stepped():
    model = _mlp(mg)
    opt = mg.optim.Adam(model[0].parameters(), lr=0.01, betas=(0.8, 0.9))
    opt.add_param_group({"params": model[2].parameters(), "lr": 0.1})
    assert opt.param_groups[1]["lr"] == 0.1 and opt.param_groups[1]["betas"] == (0.8, 0.9)
    before = model[2].weight.numpy().copy()
    _train_step(opt, model, _loss_fn(mg, "mse"))
    # NOTE: Adam's first step moves each element by lr (to 1e-6) against its gradient's sign
    np.testing.assert_allclose(np.abs(model[2].weight.numpy() - before), 0.1, rtol=1e-4)


def test_invalid_param_lists_raise():
    model = _mlp(mg)
    weight = model[0].weight
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter"):
        mg.optim.SGD([{"params": [weight]}, {"params": [weight, model[0].bias]}], lr=0.1)
    opt = mg.optim.SGD([weight], lr=0.1)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter"):
        opt.add_param_group({"params": weight})
    assert len(opt.param_groups) == 1
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        mg.optim.Adam([])
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        mg.optim.SGD([weight * 2], lr=0.1)


# ---------------------------------------------------------------- hyperparameter errors
ERRORS = [
    ("SGD", dict(lr=-0.1), "Invalid learning rate: -0.1"),
    ("SGD", dict(lr=0.1, nesterov=True), "Nesterov momentum requires a momentum and zero "
     "dampening"),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov momentum "
     "requires a momentum and zero dampening"),
    ("SGD", dict(lr=0.1, momentum=-0.5), "Invalid momentum value: -0.5"),
    ("SGD", dict(lr=0.1, weight_decay=-0.01), "Invalid weight_decay value: -0.01"),
    ("Adam", dict(lr=-1e-3), "Invalid learning rate: -0.001"),
    ("Adam", dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    ("Adam", dict(betas=(-0.1, 0.999)), "Invalid beta parameter at index 0: -0.1"),
    ("Adam", dict(betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
    ("Adam", dict(eps=-1e-8), "Invalid epsilon value: -1e-08"),
    ("Adam", dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    ("AdamW", dict(betas=(0.9, 1.5)), "Invalid beta parameter at index 1: 1.5"),
    ("AdamW", dict(lr=-1.0), "Invalid learning rate: -1.0"),
    ("RMSprop", dict(alpha=-0.5), "Invalid alpha value: -0.5"),
    ("RMSprop", dict(eps=-1.0), "Invalid epsilon value: -1.0"),
    ("RMSprop", dict(momentum=-0.1), "Invalid momentum value: -0.1"),
    ("RMSprop", dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
]
ERROR_PARAMS = [pytest.param(*error, id=_label(*error[:2])) for error in ERRORS]


@pytest.mark.parametrize("name, kwargs, message", ERROR_PARAMS)
def test_invalid_hyperparameters_raise_pytorchs_message(name, kwargs, message):
    with pytest.raises(ValueError) as info:
        getattr(mg.optim, name)([mg.nn.Parameter(mg.zeros(2))], **kwargs)
    assert str(info.value) == message


@pytest.mark.parametrize("name, kwargs, message", ERROR_PARAMS)
def test_error_messages_are_pytorchs(name, kwargs, message):
    """Guards the expected strings above: they are what PyTorch says."""
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError) as info:
        getattr(torch.optim, name)([torch.nn.Parameter(torch.zeros(2))], **kwargs)
    assert str(info.value) == message


# ---------------------------------------------------------------- zero_grad, closures
def test_zero_grad_to_none_and_to_zeros():
    model = _mlp(mg)
    opt = mg.optim.SGD(model.parameters(), lr=0.1)
    _loss_fn(mg, "mse")(model).backward()
    grads = [p.grad for p in model.parameters()]
    opt.zero_grad(set_to_none=False)
    for p, g in zip(model.parameters(), grads):
        assert p.grad is g
        np.testing.assert_array_equal(p.grad.numpy(), np.zeros(p.shape, np.float32))
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize("name, kwargs", _optimizers(
    ("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict()), ("RMSprop", dict(centered=True))))
def test_params_without_grad_are_skipped(name, kwargs):
    model = _mlp(mg)
    unused = mg.nn.Parameter(mg.ones(4))
    opt = getattr(mg.optim, name)([*model.parameters(), unused], **kwargs)
    version = unused._version
    for _ in range(2):
        _train_step(opt, model, _loss_fn(mg, "mse"))
    np.testing.assert_array_equal(unused.numpy(), np.ones(4, np.float32))
    assert unused not in opt.state and unused._version == version
    assert sorted(opt.state_dict()["state"]) == [0, 1, 2, 3]


def test_step_closure_runs_with_grad_enabled_and_returns_its_loss():
    model = _mlp(mg)
    loss_fn = _loss_fn(mg, "mse")
    opt = mg.optim.SGD(model.parameters(), lr=0.1)
    calls, losses = [], []

    def closure():  # LBFGS-style: the closure clears, recomputes and back-propagates
        calls.append(mg.is_grad_enabled())
        opt.zero_grad()
        losses.append(loss_fn(model))
        losses[-1].backward()
        return losses[-1]

    twin = _mlp(mg)
    twin.load_state_dict(model.state_dict())
    with mg.no_grad():
        loss = opt.step(closure)
    assert calls == [True] and loss is losses[0]
    assert float(loss) == pytest.approx(float(loss_fn(twin)), rel=1e-6)
    _train_step(mg.optim.SGD(twin.parameters(), lr=0.1), twin, loss_fn)
    for a, b in zip(model.state_dict().values(), twin.state_dict().values()):
        np.testing.assert_array_equal(a, b)
    assert opt.step() is None


# ---------------------------------------------------------------- state dicts
def _run(model, opt, steps):
    loss_fn = _loss_fn(mg, "ce")
    for _ in range(steps):
        _train_step(opt, model, loss_fn)


@pytest.mark.parametrize("name, kwargs", _optimizers(
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)), ("AdamW", dict(lr=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True))))
def test_resume_from_state_dict_is_bit_for_bit(name, kwargs):
    model = _mlp(mg)
    start = model.state_dict()
    opt = getattr(mg.optim, name)(model.parameters(), **kwargs)
    _run(model, opt, 4)
    saved_model, saved_opt = model.state_dict(), opt.state_dict()
    _run(model, opt, 10)

    resumed = _mlp(mg)
    resumed.load_state_dict(start)   # NOTE: different weights first, so loading must matter
    resumed.load_state_dict(saved_model)
    resumed_opt = getattr(mg.optim, name)(resumed.parameters(), lr=123.0)
    resumed_opt.load_state_dict(saved_opt)
    assert resumed_opt.param_groups[0]["lr"] == kwargs["lr"]
    _run(resumed, resumed_opt, 10)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[key], value, err_msg=key)


def test_state_dict_holds_copies_and_numbered_params():
    model = _mlp(mg)
    opt = mg.optim.Adam([{"params": model[0].parameters()},
                         {"params": model[2].parameters(), "lr": 0.1}])
    _run(model, opt, 3)
    saved = opt.state_dict()
    assert set(saved) == {"state", "param_groups"}
    assert [g["params"] for g in saved["param_groups"]] == [[0, 1], [2, 3]]
    assert saved["param_groups"][1]["lr"] == 0.1
    assert sorted(saved["state"]) == [0, 1, 2, 3]
    entry = saved["state"][2]
    assert set(entry) == {"step", "exp_avg", "exp_avg_sq"} and entry["step"] == 3
    kept = entry["exp_avg"].copy()
    _run(model, opt, 1)
    np.testing.assert_array_equal(entry["exp_avg"], kept)


def test_load_state_dict_with_wrong_groups_raises():
    model = _mlp(mg)
    opt = mg.optim.Adam(model.parameters())
    _run(model, opt, 1)
    saved = opt.state_dict()
    two_groups = mg.optim.Adam([{"params": model[0].parameters()},
                                {"params": model[2].parameters()}])
    with pytest.raises(ValueError, match="different number of parameter groups"):
        two_groups.load_state_dict(saved)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        mg.optim.Adam(model[0].parameters()).load_state_dict(saved)


@pytest.mark.parametrize("name, kwargs", _optimizers(
    ("SGD", dict(lr=0.1)), ("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(amsgrad=True)),
    ("RMSprop", dict(momentum=0.9, centered=True))))
def test_state_dict_structure_mirrors_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    t_model, m_model = _twin_models(torch)
    saved = []
    for lib, model in ((torch, t_model), (mg, m_model)):
        opt = getattr(lib.optim, name)([{"params": model[0].parameters()},
                                        {"params": model[2].parameters(), "lr": 0.5}],
                                       **kwargs)
        _train_step(opt, model, _loss_fn(lib, "mse"))
        saved.append(opt.state_dict())
    t_saved, m_saved = saved
    assert set(m_saved) == set(t_saved)
    assert {i: set(s) for i, s in m_saved["state"].items()} == \
        {i: set(s) for i, s in t_saved["state"].items()}
    for m_group, t_group in zip(m_saved["param_groups"], t_saved["param_groups"]):
        assert m_group["params"] == t_group["params"]
        assert set(m_group) <= set(t_group)
        assert {k: m_group[k] for k in m_group} == {k: t_group[k] for k in m_group}


def _from_torch(state_dict, convert_step=float):
    """A torch optimizer's state dict as NumPy arrays and numbers."""
    return {"state": {i: {k: (convert_step(v) if k == "step" else v.numpy())
                          for k, v in entry.items()}
                      for i, entry in state_dict["state"].items()},
            "param_groups": [dict(g) for g in state_dict["param_groups"]]}


def _load_torch_adam_and_continue(torch, convert_step):
    """Adam run 5 steps in torch, carried on in torch and (from its state dict) in
    minigrad; returns the minigrad weights after each of 10 more steps and torch's."""
    t_model, m_model = _twin_models(torch)
    t_loss, m_loss = _loss_fn(torch, "ce"), _loss_fn(mg, "ce")
    t_opt = torch.optim.Adam(t_model.parameters(), lr=0.01, amsgrad=True)
    for _ in range(5):
        _train_step(t_opt, t_model, t_loss)
    m_model.load_state_dict({k: v.numpy() for k, v in t_model.state_dict().items()})
    m_opt = mg.optim.Adam(m_model.parameters())
    m_opt.load_state_dict(_from_torch(t_opt.state_dict(), convert_step))
    assert m_opt.param_groups[0]["lr"] == 0.01 and m_opt.param_groups[0]["amsgrad"]
    trajectory = []
    for _ in range(10):
        _train_step(t_opt, t_model, t_loss)
        _train_step(m_opt, m_model, m_loss)
        trajectory.append((m_model.state_dict(),
                           {k: v.numpy().copy() for k, v in t_model.state_dict().items()}))
    return trajectory


def test_load_torch_adam_state_dict_and_continue():
    torch = pytest.importorskip("torch")
    for step, (mine, theirs) in enumerate(_load_torch_adam_and_continue(torch, float)):
        for key in mine:
            np.testing.assert_allclose(mine[key], theirs[key], rtol=1e-6, atol=1e-6,
                                       err_msg=f"{key} after step {step + 1}")


def test_step_saved_as_numpy_scalar_continues_like_a_float_step():
    """``tensor.numpy()`` turns torch's ``step`` into a 0-d float32 array; the bias
    corrections must still be computed from its value in double precision, as PyTorch
    does (``step.item()``), so the run is bit-identical to loading ``float(step)``."""
    torch = pytest.importorskip("torch")
    as_float = _load_torch_adam_and_continue(torch, float)
    as_array = _load_torch_adam_and_continue(torch, lambda v: v.numpy())
    for step, ((mine, _), (expected, _)) in enumerate(zip(as_array, as_float)):
        for key in mine:
            np.testing.assert_array_equal(mine[key], expected[key],
                                          err_msg=f"{key} after step {step + 1}")


# ---------------------------------------------------------------- in place, no graph
@pytest.mark.parametrize("name, kwargs", _optimizers(
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.1)), ("Adam", dict(weight_decay=0.1)),
    ("AdamW", dict()), ("RMSprop", dict(momentum=0.9, centered=True))))
def test_step_updates_in_place_without_a_graph(name, kwargs):
    model = _mlp(mg)
    params = list(model.parameters())
    opt = getattr(mg.optim, name)(params, **kwargs)
    for _ in range(2):
        versions = [p._version for p in params]
        _train_step(opt, model, _loss_fn(mg, "mse"))
        for p, version, again in zip(params, versions, model.parameters()):
            assert p is again and p.is_leaf and p.requires_grad
            assert p.grad_fn is None
            assert p._version > version
            assert isinstance(p.data, np.ndarray) and p.data.dtype == np.float32


@pytest.mark.parametrize("case", list(CASES))
def test_a_0d_parameter_follows_torchs_trajectory(case, backend):
    """Ops on 0-d arrays give NumPy scalars, which in-place updates must not lose."""
    torch = pytest.importorskip("torch")
    name, kwargs, _, tol = CASES[case]
    t_param = torch.nn.Parameter(torch.tensor(1.5))
    m_param = mg.nn.Parameter(mg.tensor(1.5))
    t_opt = getattr(torch.optim, name)([t_param], **kwargs)
    m_opt = getattr(mg.optim, name)([m_param], **kwargs)
    for step in range(5):
        for param, lib in ((t_param, torch), (m_param, mg)):
            param.grad = lib.tensor(0.5 * step - 1.0)
        t_opt.step()
        m_opt.step()
        assert m_param.shape == ()
        np.testing.assert_allclose(m_param.numpy(), t_param.detach().numpy(), rtol=tol,
                                   atol=tol, err_msg=f"after step {step + 1}")
