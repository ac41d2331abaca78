"""Optimizer hooks, each test run with minigrad and with PyTorch (the ``lib`` fixture) to show
the behaviour is PyTorch's: step pre and post hooks (what they are given, replacing the
step's arguments, order, removal, global hooks), hooks on ``state_dict`` and
``load_state_dict``, and a custom optimizer's own ``step`` getting them too.

PyTorch 2.13 has no ``zero_grad`` hooks on optimizers and no hooks on learning-rate
schedulers; neither does minigrad.
"""

import importlib
import warnings

import pytest

import minigrad as mg


@pytest.fixture(params=["minigrad", "torch"])
def lib(request):
    return mg if request.param == "minigrad" else pytest.importorskip("torch")


def _sgd(lib, lr=0.1):
    p = lib.nn.Parameter(lib.ones(2))
    p.grad = lib.ones(2)
    return lib.optim.SGD([p], lr=lr)


def _registers(cls):
    return sorted(name for name in dir(cls) if name.startswith("register_"))


def test_the_same_hooks_as_pytorch():
    torch = pytest.importorskip("torch")
    assert _registers(mg.optim.Optimizer) == _registers(torch.optim.Optimizer)
    assert _registers(mg.optim.lr_scheduler.LRScheduler) == []
    assert _registers(torch.optim.lr_scheduler.LRScheduler) == []


# ---------------------------------------------------------------- step hooks
@pytest.mark.parametrize("call", ["step()", "step(closure)", "step(closure=closure)"])
def test_step_hooks_see_the_optimizer_and_the_arguments_as_given(lib, call):
    """``args`` begins with the optimizer itself, then the positional arguments."""
    opt = _sgd(lib)
    seen = []
    opt.register_step_pre_hook(lambda o, args, kwargs: seen.append(("pre", o, args, kwargs)))
    opt.register_step_post_hook(lambda o, args, kwargs: seen.append(("post", o, args, kwargs)))
    closure = lambda: 1.0
    eval(f"opt.{call}")
    expected_args = (opt, closure) if call == "step(closure)" else (opt,)
    expected_kwargs = {"closure": closure} if "=" in call else {}
    assert seen == [("pre", opt, expected_args, expected_kwargs),
                    ("post", opt, expected_args, expected_kwargs)]


def test_a_pre_hook_may_replace_the_steps_arguments(lib):
    """The step runs with the returned ``(args, kwargs)``, and the post hooks see them."""
    opt = _sgd(lib)
    replacement = lambda: 7.0
    opt.register_step_pre_hook(lambda o, args, kwargs: (args[:1], {"closure": replacement}))
    seen = []
    opt.register_step_post_hook(lambda o, args, kwargs: seen.append(kwargs))
    assert opt.step(lambda: 1.0) == 7.0
    assert seen == [{"closure": replacement}]


def test_a_pre_hook_returning_anything_else_raises(lib):
    opt = _sgd(lib)
    opt.register_step_pre_hook(lambda o, args, kwargs: 5)
    with pytest.raises(RuntimeError, match=r"must return None or a tuple of \(new_args, "
                                           r"new_kwargs\), but got 5"):
        opt.step()


def test_hook_order_global_then_own_and_removal(lib):
    """Global pre hooks run before the optimizer's own, global post hooks after; a removed
    hook (``handle.remove()`` or leaving its ``with`` block) runs no more."""
    optimizer_module = importlib.import_module(f"{lib.__name__}.optim.optimizer")
    opt, calls = _sgd(lib), []
    own_pre = opt.register_step_pre_hook(lambda *a: calls.append("own pre"))
    opt.register_step_post_hook(lambda *a: calls.append("own post"))
    with optimizer_module.register_optimizer_step_pre_hook(lambda *a: calls.append("pre")), \
            optimizer_module.register_optimizer_step_post_hook(lambda *a: calls.append("post")):
        opt.step()
    assert calls == ["pre", "own pre", "own post", "post"]
    own_pre.remove()
    calls.clear()
    opt.step()
    assert calls == ["own post"]


def test_the_step_still_updates_with_hooks(lib):
    opt = _sgd(lib, lr=0.5)
    opt.register_step_pre_hook(lambda *a: None)
    opt.step()
    (p,) = opt.param_groups[0]["params"]
    assert [float(v) for v in p.detach().numpy()] == [0.5, 0.5]


def test_a_custom_step_gets_the_hooks_and_is_counted_by_schedulers(lib):
    """A custom optimizer written as PyTorch code writes one, with its own ``step``: the step
    runs the hooks, and a scheduler stepped after it does not warn."""
    calls = []

    class Custom(lib.optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {"lr": 0.1})

        def step(self, closure=None):
            calls.append("step")

    opt = Custom([lib.nn.Parameter(lib.ones(2))])
    opt.register_step_post_hook(lambda *a: calls.append("post"))
    scheduler = lib.optim.lr_scheduler.StepLR(opt, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        scheduler.step()
    assert calls == ["step", "post"]


def test_a_custom_step_calling_super_runs_each_hook_once():
    """(minigrad; PyTorch runs them twice here once any plain SGD has been built.)"""
    calls = []

    class Counting(mg.optim.SGD):
        def step(self, closure=None):
            calls.append("step")
            return super().step(closure)

    opt = Counting([mg.nn.Parameter(mg.ones(2))], lr=0.1)
    opt.register_step_pre_hook(lambda *a: calls.append("pre"))
    opt.register_step_post_hook(lambda *a: calls.append("post"))
    opt.step()
    assert calls == ["pre", "step", "post"]
    assert opt._step_count == 1


# ---------------------------------------------------------------- state dict hooks
def test_state_dict_hooks(lib):
    """Pre hooks see the optimizer; post hooks may edit the dict or return a new one;
    ``prepend`` runs a hook before those already registered."""
    opt, calls = _sgd(lib), []
    opt.register_state_dict_pre_hook(lambda o: calls.append(("pre", o is opt)))
    opt.register_state_dict_pre_hook(lambda o: calls.append(("first pre", o is opt)),
                                     prepend=True)
    opt.register_state_dict_post_hook(lambda o, sd: sd.update(edited=True))
    assert opt.state_dict()["edited"] is True
    assert calls == [("first pre", True), ("pre", True)]
    replace = opt.register_state_dict_post_hook(lambda o, sd: {"replaced": sorted(sd)})
    assert opt.state_dict() == {"replaced": ["edited", "param_groups", "state"]}
    replace.remove()
    assert "replaced" not in opt.state_dict()


def test_load_state_dict_hooks(lib):
    """The pre hook gets a shallow copy of the given dict (its edits leave the caller's dict
    alone) and may return another dict to load; the post hook runs after loading."""
    source, target = _sgd(lib, lr=0.25), _sgd(lib)
    saved = source.state_dict()
    seen = []

    def pre(optimizer, state_dict):
        seen.append(state_dict is saved)
        state_dict["extra"] = 1
        groups = [dict(group, lr=0.75) for group in state_dict["param_groups"]]
        return {"state": state_dict["state"], "param_groups": groups}

    target.register_load_state_dict_pre_hook(pre)
    target.register_load_state_dict_post_hook(
        lambda o: seen.append(o.param_groups[0]["lr"]))
    target.load_state_dict(saved)
    assert seen == [False, 0.75]
    assert "extra" not in saved and saved["param_groups"][0]["lr"] == 0.25
    assert target.param_groups[0]["lr"] == 0.75
