"""Optimizer state dicts: resuming from one continues bit for bit, the dict holds copies and
numbered parameters like PyTorch's, wrong group layouts raise, and PyTorch's own state
dicts load and carry on along PyTorch's trajectory.
"""

import numpy as np
import pytest
from optim_helpers import make_loss, mlp, optimizers, train_step, twin_models

import minigrad as mg


def _run(model, opt, steps):
    loss_fn = make_loss(mg, "ce")
    for _ in range(steps):
        train_step(opt, model, loss_fn)


@pytest.mark.parametrize("name, kwargs", optimizers(
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)), ("AdamW", dict(lr=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)),
    ("Adadelta", dict(lr=0.5, weight_decay=0.01)), ("Adamax", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, momentum_decay=0.1)),
    ("RAdam", dict(lr=0.01, decoupled_weight_decay=True, weight_decay=0.1)),
    ("ASGD", dict(lr=0.05, t0=2)), ("Rprop", dict(lr=0.001, etas=(0.4, 1.3)))))
def test_resume_from_state_dict_is_bit_for_bit(name, kwargs):
    model = mlp(mg)
    start = model.state_dict()
    opt = getattr(mg.optim, name)(model.parameters(), **kwargs)
    _run(model, opt, 4)
    saved_model, saved_opt = model.state_dict(), opt.state_dict()
    _run(model, opt, 10)

    resumed = mlp(mg)
    resumed.load_state_dict(start)   # NOTE: different weights first, so loading must matter
    resumed.load_state_dict(saved_model)
    resumed_opt = getattr(mg.optim, name)(resumed.parameters(), lr=123.0)
    resumed_opt.load_state_dict(saved_opt)
    assert resumed_opt.param_groups[0]["lr"] == kwargs["lr"]
    _run(resumed, resumed_opt, 10)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[key], value, err_msg=key)


def test_state_dict_holds_copies_and_numbered_params():
    model = mlp(mg)
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
    model = mlp(mg)
    opt = mg.optim.Adam(model.parameters())
    _run(model, opt, 1)
    saved = opt.state_dict()
    two_groups = mg.optim.Adam([{"params": model[0].parameters()},
                                {"params": model[2].parameters()}])
    with pytest.raises(ValueError, match="different number of parameter groups"):
        two_groups.load_state_dict(saved)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        mg.optim.Adam(model[0].parameters()).load_state_dict(saved)


@pytest.mark.parametrize("name, kwargs", optimizers(
    ("SGD", dict(lr=0.1)), ("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(amsgrad=True)),
    ("RMSprop", dict(momentum=0.9, centered=True)), ("AdamW", dict(foreach=False)),
    ("Adagrad", dict(fused=False)), ("Adadelta", dict(rho=0.5)), ("Adamax", dict()),
    ("NAdam", dict(decoupled_weight_decay=True)), ("RAdam", dict()), ("ASGD", dict()),
    ("Rprop", dict(foreach=True))))
def test_state_dict_structure_mirrors_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    t_model, m_model = twin_models(torch)
    saved = []
    for lib, model in ((torch, t_model), (mg, m_model)):
        opt = getattr(lib.optim, name)([{"params": model[0].parameters()},
                                        {"params": model[2].parameters(), "lr": 0.5}],
                                       **kwargs)
        train_step(opt, model, make_loss(lib, "mse"))
        saved.append(opt.state_dict())
    t_saved, m_saved = saved
    assert set(m_saved) == set(t_saved)
    assert {i: set(s) for i, s in m_saved["state"].items()} == \
        {i: set(s) for i, s in t_saved["state"].items()}
    for m_group, t_group in zip(m_saved["param_groups"], t_saved["param_groups"]):
        assert m_group["params"] == t_group["params"]
        assert set(m_group) <= set(t_group)
        assert {k: m_group[k] for k in m_group} == {k: t_group[k] for k in m_group}


def test_adamw_stays_decoupled_when_loading_an_adam_state_dict():
    """PyTorch's AdamW forces ``decoupled_weight_decay`` on whatever it loads."""
    model = mlp(mg)
    adam = mg.optim.Adam(model.parameters(), weight_decay=0.1)
    adamw = mg.optim.AdamW(model.parameters())
    adamw.load_state_dict(adam.state_dict())
    assert adamw.param_groups[0]["weight_decay"] == 0.1
    assert adamw.param_groups[0]["decoupled_weight_decay"] is True


def _from_torch(state_dict, convert_step=float):
    """A torch optimizer's state dict as NumPy arrays and numbers."""
    return {"state": {i: {k: (convert_step(v) if k == "step" else v.numpy())
                          for k, v in entry.items()}
                      for i, entry in state_dict["state"].items()},
            "param_groups": [dict(g) for g in state_dict["param_groups"]]}


def _load_torch_and_continue(torch, convert_step, name="Adam", kwargs=None):
    """``name`` (by default Adam with amsgrad) run 5 steps in torch, carried on in torch and
    (from its state dict) in minigrad; returns the minigrad weights after each of 10 more
    steps and torch's."""
    kwargs = kwargs or dict(lr=0.01, amsgrad=True)
    t_model, m_model = twin_models(torch)
    t_loss, m_loss = make_loss(torch, "ce"), make_loss(mg, "ce")
    t_opt = getattr(torch.optim, name)(t_model.parameters(), **kwargs)
    for _ in range(5):
        train_step(t_opt, t_model, t_loss)
    m_model.load_state_dict({k: v.numpy() for k, v in t_model.state_dict().items()})
    m_opt = getattr(mg.optim, name)(m_model.parameters())
    m_opt.load_state_dict(_from_torch(t_opt.state_dict(), convert_step))
    assert {k: m_opt.param_groups[0][k] for k in kwargs} == kwargs
    trajectory = []
    for _ in range(10):
        train_step(t_opt, t_model, t_loss)
        train_step(m_opt, m_model, m_loss)
        trajectory.append((m_model.state_dict(),
                           {k: v.numpy().copy() for k, v in t_model.state_dict().items()}))
    return trajectory


def test_load_torch_adam_state_dict_and_continue():
    torch = pytest.importorskip("torch")
    for step, (mine, theirs) in enumerate(_load_torch_and_continue(torch, float)):
        for key in mine:
            np.testing.assert_allclose(mine[key], theirs[key], rtol=1e-6, atol=1e-6,
                                       err_msg=f"{key} after step {step + 1}")


@pytest.mark.parametrize("name, kwargs", optimizers(
    ("NAdam", dict(lr=0.01, momentum_decay=0.1)), ("ASGD", dict(lr=0.05, t0=2)),
    ("Rprop", dict(lr=0.001)), ("Adagrad", dict(lr=0.1, lr_decay=0.01))))
def test_load_torch_state_dict_with_scalar_state_and_continue(name, kwargs):
    """PyTorch's 0-d float32 state (NAdam's ``mu_product``, ASGD's ``eta`` and ``mu``,
    every ``step``) loads as numbers, and the run carries on along PyTorch's."""
    torch = pytest.importorskip("torch")
    trajectory = _load_torch_and_continue(torch, lambda v: v.numpy(), name, kwargs)
    for step, (mine, theirs) in enumerate(trajectory):
        for key in mine:
            np.testing.assert_allclose(mine[key], theirs[key], rtol=1e-6, atol=1e-6,
                                       err_msg=f"{key} after step {step + 1}")


def test_step_saved_as_numpy_scalar_continues_like_a_float_step():
    """``tensor.numpy()`` turns torch's ``step`` into a 0-d float32 array; the bias
    corrections must still be computed from its value in double precision, as PyTorch
    does (``step.item()``), so the run is bit-identical to loading ``float(step)``."""
    torch = pytest.importorskip("torch")
    as_float = _load_torch_and_continue(torch, float)
    as_array = _load_torch_and_continue(torch, lambda v: v.numpy())
    for step, ((mine, _), (expected, _)) in enumerate(zip(as_array, as_float)):
        for key in mine:
            np.testing.assert_array_equal(mine[key], expected[key],
                                          err_msg=f"{key} after step {step + 1}")
