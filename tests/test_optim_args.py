"""Optimizer arguments and step mechanics: PyTorch's signatures, parameter groups, the
hyperparameter errors (PyTorch's messages), the implementation flags that change nothing
here, ``zero_grad``, closures, parameters without gradients, and in-place updates that build
no graph.

The tests that need no oracle run without torch; those that compare with PyTorch skip
without it.
"""

import inspect

import numpy as np
import pytest
from optim_helpers import label, make_loss, mlp, optimizers, train_step

import minigrad as mg

OPTIMIZERS = [name for name in mg.optim.__all__
              if name not in ("Optimizer", "lr_scheduler", "swa_utils")]


# ---------------------------------------------------------------- signatures
def _parameters(cls):
    return [(p.name, p.kind, p.default) for p in inspect.signature(cls).parameters.values()]


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_signature_is_pytorchs(name):
    """Argument names, order, defaults and keyword-only markers, as PyTorch 2.13's (RMSprop
    and ASGD take everything by position; the others mark flags keyword-only)."""
    torch = pytest.importorskip("torch")
    assert _parameters(getattr(mg.optim, name)) == _parameters(getattr(torch.optim, name))


# ---------------------------------------------------------------- param groups, no torch
def test_each_group_uses_its_own_lr():
    model = mlp(mg)
    opt = mg.optim.SGD([{"params": model[0].parameters(), "lr": 0.5},
                        {"params": model[2].parameters()}], lr=0.01)
    make_loss(mg, "mse")(model).backward()
    before = {id(p): (p.numpy().copy(), p.grad.numpy().copy()) for p in model.parameters()}
    opt.step()
    for group, lr in zip(opt.param_groups, (0.5, 0.01)):
        assert group["lr"] == lr and group["momentum"] == 0
        for p in group["params"]:
            data, grad = before[id(p)]
            np.testing.assert_array_equal(p.numpy(), data + np.float32(-lr) * grad)


def test_add_param_group_fills_defaults_and_is_stepped():
    model = mlp(mg)
    opt = mg.optim.Adam(model[0].parameters(), lr=0.01, betas=(0.8, 0.9))
    opt.add_param_group({"params": model[2].parameters(), "lr": 0.1})
    assert opt.param_groups[1]["lr"] == 0.1 and opt.param_groups[1]["betas"] == (0.8, 0.9)
    before = model[2].weight.numpy().copy()
    train_step(opt, model, make_loss(mg, "mse"))
    # NOTE: Adam's first step moves each element by lr (to 1e-6) against its gradient's sign
    np.testing.assert_allclose(np.abs(model[2].weight.numpy() - before), 0.1, rtol=1e-4)


def test_invalid_param_lists_raise():
    model = mlp(mg)
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
    ("Adam", dict(betas=(0, 0.999)), "betas must be either both floats or both Tensors"),
    ("Adagrad", dict(lr=-0.1), "Invalid learning rate: -0.1"),
    ("Adagrad", dict(lr_decay=-1e-3), "Invalid lr_decay value: -0.001"),
    ("Adagrad", dict(weight_decay=-0.5), "Invalid weight_decay value: -0.5"),
    ("Adagrad", dict(initial_accumulator_value=-0.1),
     "Invalid initial_accumulator_value value: -0.1"),
    ("Adagrad", dict(eps=-1e-10), "Invalid epsilon value: -1e-10"),
    ("Adadelta", dict(lr=-1.0), "Invalid learning rate: -1.0"),
    ("Adadelta", dict(rho=1.5), "Invalid rho value: 1.5"),
    ("Adadelta", dict(rho=-0.1), "Invalid rho value: -0.1"),
    ("Adadelta", dict(eps=-1e-6), "Invalid epsilon value: -1e-06"),
    ("Adadelta", dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    ("Adamax", dict(lr=-2e-3), "Invalid learning rate: -0.002"),
    ("Adamax", dict(betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
    ("Adamax", dict(eps=-1.0), "Invalid epsilon value: -1.0"),
    ("Adamax", dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    ("NAdam", dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    ("NAdam", dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    ("NAdam", dict(momentum_decay=-4e-3), "Invalid momentum_decay value: -0.004"),
    ("RAdam", dict(lr=-1e-3), "Invalid learning rate: -0.001"),
    ("RAdam", dict(eps=-1e-8), "Invalid epsilon value: -1e-08"),
    ("RAdam", dict(betas=(0.9, -0.5)), "Invalid beta parameter at index 1: -0.5"),
    ("ASGD", dict(lr=-0.01), "Invalid learning rate: -0.01"),
    ("ASGD", dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    ("Rprop", dict(lr=-0.01), "Invalid learning rate: -0.01"),
    ("Rprop", dict(etas=(1.0, 1.2)), "Invalid eta values: 1.0, 1.2"),
    ("Rprop", dict(etas=(0.5, 1.0)), "Invalid eta values: 0.5, 1.0"),
    ("Rprop", dict(etas=(0.0, 2.0)), "Invalid eta values: 0.0, 2.0"),
]
ERROR_PARAMS = [pytest.param(*error, id=label(*error[:2])) for error in ERRORS]


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


# ---------------------------------------------------------------- implementation flags
FLAGS = ("foreach", "fused", "capturable")


def _flags_of(name):
    return [flag for flag in FLAGS if flag in inspect.signature(getattr(mg.optim, name)).parameters]


def _trajectory(name, **kwargs):
    mg.manual_seed(0)
    model = mlp(mg)
    opt = getattr(mg.optim, name)(model.parameters(), **kwargs)
    for _ in range(3):
        train_step(opt, model, make_loss(mg, "ce"))
    return opt, model.state_dict()


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_implementation_flags_are_kept_and_change_nothing(name):
    """``foreach``, ``fused`` and ``capturable`` pick one of PyTorch's implementations; the
    groups keep them (as PyTorch's do) and the trajectory is the same to the bit."""
    _, expected = _trajectory(name)
    for flag in _flags_of(name):
        opt, got = _trajectory(name, **{flag: True})
        assert opt.param_groups[0][flag] is True and opt.defaults[flag] is True
        for key, value in expected.items():
            np.testing.assert_array_equal(got[key], value, err_msg=f"{flag}=True: {key}")


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_differentiable_is_refused_by_name(name):
    with pytest.raises(NotImplementedError, match=f"{name}: differentiable=True"):
        getattr(mg.optim, name)([mg.nn.Parameter(mg.zeros(2))], differentiable=True)


@pytest.mark.parametrize("name", [name for name in OPTIMIZERS if "fused" in _flags_of(name)])
@pytest.mark.parametrize("lib_name", ["minigrad", "torch"])
def test_fused_and_foreach_together_raise_runtime_error(name, lib_name):
    lib = mg if lib_name == "minigrad" else pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="`fused` and `foreach` cannot be `True` together"):
        getattr(lib.optim, name)([lib.nn.Parameter(lib.zeros(2))], fused=True, foreach=True)


# ---------------------------------------------------------------- zero_grad, closures
def test_zero_grad_to_none_and_to_zeros():
    model = mlp(mg)
    opt = mg.optim.SGD(model.parameters(), lr=0.1)
    make_loss(mg, "mse")(model).backward()
    grads = [p.grad for p in model.parameters()]
    opt.zero_grad(set_to_none=False)
    for p, g in zip(model.parameters(), grads):
        assert p.grad is g
        np.testing.assert_array_equal(p.grad.numpy(), np.zeros(p.shape, np.float32))
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize("name, kwargs", optimizers(
    ("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict()), ("RMSprop", dict(centered=True)),
    ("Adadelta", dict()), ("Adamax", dict()), ("NAdam", dict()), ("RAdam", dict()),
    ("ASGD", dict()), ("Rprop", dict())))
def test_params_without_grad_are_skipped(name, kwargs):
    model = mlp(mg)
    unused = mg.nn.Parameter(mg.ones(4))
    opt = getattr(mg.optim, name)([*model.parameters(), unused], **kwargs)
    version = unused._version
    for _ in range(2):
        train_step(opt, model, make_loss(mg, "mse"))
    np.testing.assert_array_equal(unused.numpy(), np.ones(4, np.float32))
    assert unused not in opt.state and unused._version == version
    assert sorted(opt.state_dict()["state"]) == [0, 1, 2, 3]


def test_adagrad_has_state_for_every_param_from_the_start():
    """As PyTorch's: Adagrad makes its state when built, so a parameter never stepped has
    ``step`` 0 and ``sum`` at ``initial_accumulator_value``, and is left unchanged."""
    model = mlp(mg)
    unused = mg.nn.Parameter(mg.ones(4))
    opt = mg.optim.Adagrad([*model.parameters(), unused], initial_accumulator_value=0.5)
    train_step(opt, model, make_loss(mg, "mse"))
    np.testing.assert_array_equal(unused.numpy(), np.ones(4, np.float32))
    saved = opt.state_dict()["state"]
    assert sorted(saved) == [0, 1, 2, 3, 4]
    assert saved[4]["step"] == 0.0 and saved[0]["step"] == 1.0
    np.testing.assert_array_equal(saved[4]["sum"], np.full(4, 0.5, np.float32))


def test_step_closure_runs_with_grad_enabled_and_returns_its_loss():
    model = mlp(mg)
    loss_fn = make_loss(mg, "mse")
    opt = mg.optim.SGD(model.parameters(), lr=0.1)
    calls, losses = [], []

    def closure():  # LBFGS-style: the closure clears, recomputes and back-propagates
        calls.append(mg.is_grad_enabled())
        opt.zero_grad()
        losses.append(loss_fn(model))
        losses[-1].backward()
        return losses[-1]

    twin = mlp(mg)
    twin.load_state_dict(model.state_dict())
    with mg.no_grad():
        loss = opt.step(closure)
    assert calls == [True] and loss is losses[0]
    assert float(loss) == pytest.approx(float(loss_fn(twin)), rel=1e-6)
    train_step(mg.optim.SGD(twin.parameters(), lr=0.1), twin, loss_fn)
    for a, b in zip(model.state_dict().values(), twin.state_dict().values()):
        np.testing.assert_array_equal(a, b)
    assert opt.step() is None


# ---------------------------------------------------------------- in place, no graph
@pytest.mark.parametrize("name, kwargs", optimizers(
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.1)), ("Adam", dict(weight_decay=0.1)),
    ("AdamW", dict()), ("RMSprop", dict(momentum=0.9, centered=True)),
    ("Adagrad", dict(weight_decay=0.1)), ("Adadelta", dict(weight_decay=0.1)),
    ("Adamax", dict()), ("NAdam", dict(weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(weight_decay=0.1)), ("ASGD", dict(t0=0)), ("Rprop", dict())))
def test_step_updates_in_place_without_a_graph(name, kwargs):
    model = mlp(mg)
    params = list(model.parameters())
    opt = getattr(mg.optim, name)(params, **kwargs)
    for _ in range(2):
        versions = [p._version for p in params]
        train_step(opt, model, make_loss(mg, "mse"))
        for p, version, again in zip(params, versions, model.parameters()):
            assert p is again and p.is_leaf and p.requires_grad
            assert p.grad_fn is None
            assert p._version > version
            assert isinstance(p.data, np.ndarray) and p.data.dtype == np.float32
