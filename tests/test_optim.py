"""Optimizers against PyTorch: every rule in ``CASES`` follows PyTorch's trajectory over 50
steps on every backend (the weights after every step) in float32 and, for the rows of
``FLOAT64_CASES``, in float64, and ends with PyTorch's optimizer state; parameter groups;
0-d parameters.

PyTorch is the contract (API.md), so where it is installed it is the oracle: the same model,
the same initial weights and data, and every parameter must agree after every step to the
rounding of the dtype. Arguments and step mechanics are in ``test_optim_args.py``, state
dicts in ``test_optim_state.py``, hooks in ``test_optim_hooks.py``.
"""

import numpy as np
import pytest
from optim_helpers import assert_same_weights, make_loss, train_step, twin_models

import minigrad as mg

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
    "adam-decoupled_weight_decay": ("Adam", dict(lr=0.01, weight_decay=0.3,
                                                 decoupled_weight_decay=True), "ce", 3e-6),
    "adamw": ("AdamW", dict(lr=0.01), "mse", 2e-6),
    "adamw-wd-amsgrad": ("AdamW", dict(lr=0.01, weight_decay=0.3, amsgrad=True), "ce", 3e-6),
    "rmsprop": ("RMSprop", dict(), "mse", 5e-6),
    "rmsprop-momentum": ("RMSprop", dict(lr=0.01, momentum=0.9), "mse", 2e-4),
    "rmsprop-centered": ("RMSprop", dict(lr=0.01, centered=True), "ce", 8e-6),
    "rmsprop-weight_decay": ("RMSprop", dict(lr=0.01, weight_decay=0.1), "mse", 1.5e-6),
    "rmsprop-all": ("RMSprop", dict(lr=1e-3, alpha=0.9, momentum=0.5, centered=True), "mse",
                    1e-5),
    "adagrad": ("Adagrad", dict(), "mse", 1e-6),
    "adagrad-lr_decay-weight_decay": ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1),
                                      "ce", 5e-5),
    "adagrad-initial_accumulator-maximize": (
        "Adagrad", dict(lr=0.01, initial_accumulator_value=0.1, maximize=True), "mse", 1e-6),
    "adadelta": ("Adadelta", dict(), "mse", 1e-6),
    "adadelta-rho-weight_decay": ("Adadelta", dict(lr=0.5, rho=0.5, weight_decay=0.1), "ce",
                                  1e-6),
    "adadelta-maximize": ("Adadelta", dict(lr=0.1, maximize=True), "mse", 1e-6),
    "adamax": ("Adamax", dict(), "mse", 2e-6),
    "adamax-betas-weight_decay": ("Adamax", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1),
                                  "ce", 2e-6),
    "adamax-maximize": ("Adamax", dict(lr=0.01, maximize=True), "mse", 5e-6),
    "nadam": ("NAdam", dict(), "mse", 2e-6),
    "nadam-momentum_decay": ("NAdam", dict(lr=0.01, momentum_decay=0.1), "ce", 3e-5),
    "nadam-weight_decay": ("NAdam", dict(lr=0.01, weight_decay=0.1), "mse", 1e-6),
    "nadam-decoupled_weight_decay": ("NAdam", dict(lr=0.01, weight_decay=0.1,
                                                   decoupled_weight_decay=True), "ce", 7e-6),
    "nadam-maximize": ("NAdam", dict(lr=0.01, maximize=True), "mse", 5e-6),
    "radam": ("RAdam", dict(), "mse", 1e-6),
    "radam-lr-beta2": ("RAdam", dict(lr=0.01, betas=(0.9, 0.9)), "ce", 2e-6),
    "radam-weight_decay": ("RAdam", dict(lr=0.01, weight_decay=0.1), "mse", 1e-6),
    "radam-decoupled_weight_decay": ("RAdam", dict(lr=0.01, weight_decay=0.1,
                                                   decoupled_weight_decay=True), "ce", 1e-6),
    "radam-maximize": ("RAdam", dict(lr=0.01, maximize=True), "mse", 1e-6),
    "asgd": ("ASGD", dict(), "mse", 1e-6),
    "asgd-averaging-from-t0": ("ASGD", dict(lr=0.1, lambd=1e-2, alpha=0.5, t0=10), "ce", 1e-6),
    "asgd-weight_decay-maximize": ("ASGD", dict(lr=0.01, weight_decay=0.1, maximize=True,
                                                t0=5), "mse", 1e-6),
    "rprop": ("Rprop", dict(), "mse", 1e-6),
    "rprop-etas-step_sizes": ("Rprop", dict(lr=0.001, etas=(0.3, 1.5),
                                            step_sizes=(1e-4, 0.01)), "ce", 1e-6),
    "rprop-maximize": ("Rprop", dict(lr=1e-4, step_sizes=(1e-6, 1e-3), maximize=True), "mse",
                       1e-6),
}
FLOAT64_CASES = {"sgd-nesterov": 3e-15, "adam-amsgrad": 3e-15, "adamw": 5e-15,
                 "rmsprop-momentum": 1e-13, "rmsprop-centered": 5e-14,
                 "adagrad-lr_decay-weight_decay": 3e-14, "adadelta-rho-weight_decay": 1e-15,
                 "adamax-betas-weight_decay": 2e-15, "nadam-momentum_decay": 1.5e-14,
                 "nadam-decoupled_weight_decay": 3e-14, "radam-lr-beta2": 4e-15,
                 "asgd-averaging-from-t0": 1e-15, "rprop-etas-step_sizes": 1e-15}


def _run_parity(case, dtype, tol, steps=50):
    """Both libraries through ``steps`` steps of ``CASES[case]``, the weights compared after
    each; returns the two optimizers."""
    torch = pytest.importorskip("torch")
    name, kwargs, loss, _ = CASES[case]
    t_model, m_model = twin_models(torch, dtype)
    t_opt = getattr(torch.optim, name)(t_model.parameters(), **kwargs)
    m_opt = getattr(mg.optim, name)(m_model.parameters(), **kwargs)
    t_loss, m_loss = make_loss(torch, loss, dtype), make_loss(mg, loss, dtype)
    for step in range(steps):
        train_step(t_opt, t_model, t_loss)
        train_step(m_opt, m_model, m_loss)
        assert_same_weights(t_model, m_model, tol, f"after step {step + 1}")
    return t_opt, m_opt


# ---------------------------------------------------------------- PyTorch trajectories
# NOTE: on every backend (the ``backend`` fixture): Numba's SGD is its own compiled pass
@pytest.mark.parametrize("case", list(CASES))
def test_trajectory_matches_torch_float32(case, backend):
    _run_parity(case, "float32", CASES[case][3])


@pytest.mark.parametrize("case", list(FLOAT64_CASES))
def test_trajectory_matches_torch_float64(case, backend):
    _run_parity(case, "float64", FLOAT64_CASES[case])


@pytest.mark.parametrize("case", list(CASES))
def test_state_follows_torchs(case):
    """After 50 steps every state entry is PyTorch's: the same names, the arrays (ASGD's
    average ``ax`` and Rprop's ``prev`` move no weight) to 10x the weights' tolerance (a
    buffer of ``g / sqrt(v)`` amplifies rounding), and the scalars (``step``, NAdam's
    ``mu_product``, ASGD's ``eta`` and ``mu``) exactly."""
    t_opt, m_opt = _run_parity(case, "float32", CASES[case][3])
    tol = 10 * CASES[case][3]
    t_state = t_opt.state_dict()["state"]
    m_state = m_opt.state_dict()["state"]
    assert sorted(m_state) == sorted(t_state)
    for index, expected in t_state.items():
        expected = {k: v for k, v in expected.items() if v is not None}
        assert set(m_state[index]) == set(expected), index
        for key, value in expected.items():
            got = m_state[index][key]
            if value.ndim == 0:
                assert got == value.item(), f"{key} of parameter {index}"
            else:
                np.testing.assert_allclose(got, value.numpy(), rtol=tol, atol=tol,
                                           err_msg=f"{key} of parameter {index}")


def test_param_groups_and_add_param_group_match_torch():
    """Two groups with their own lr and momentum, then a third layer added after 5 steps."""
    torch = pytest.importorskip("torch")
    t_model, m_model = twin_models(torch)
    t_extra, m_extra = torch.nn.Parameter(torch.ones(3)), mg.nn.Parameter(mg.ones(3))
    opts = []
    for lib, model in ((torch, t_model), (mg, m_model)):
        groups = [{"params": model[0].parameters(), "lr": 0.05, "momentum": 0.5},
                  {"params": [model[2].weight]}]
        opts.append(lib.optim.SGD(groups, lr=0.1, momentum=0.9))
    t_loss, m_loss = make_loss(torch, "mse"), make_loss(mg, "mse")
    for step in range(15):
        if step == 5:
            for opt, model, extra in ((opts[0], t_model, t_extra), (opts[1], m_model, m_extra)):
                opt.add_param_group({"params": [model[2].bias, extra], "lr": 0.02})
        train_step(opts[0], t_model, lambda m: t_loss(m) + (t_extra * t_extra).sum())
        train_step(opts[1], m_model, lambda m: m_loss(m) + (m_extra * m_extra).sum())
        assert_same_weights(t_model, m_model, 1e-6, f"after step {step + 1}")
        np.testing.assert_allclose(m_extra.numpy(), t_extra.detach().numpy(), rtol=1e-6)
    assert [g["lr"] for g in opts[1].param_groups] == [0.05, 0.1, 0.02]
    assert [g["momentum"] for g in opts[1].param_groups] == [0.5, 0.9, 0.9]


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
