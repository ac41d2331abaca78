"""Learning-rate scheduler state: resuming through ``mg.save`` is checked against an
uninterrupted minigrad run, bit for bit; every state dict is plain data that saves; and, as in
PyTorch, the state of callable objects (not of functions or lambdas) is kept.
"""

import functools
import warnings

import lr_scheduler_helpers
import numpy as np
import pytest
from lr_scheduler_cases import CASES
from lr_scheduler_helpers import as_tuple, make_optimizer, run, sched, train

import minigrad as mg

lib = lr_scheduler_helpers.lib  # the fixture: assigned, not imported (see its NOTE)


def is_plain(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, (str, int)) and is_plain(v) for k, v in value.items())
    return False


RESUMABLE = ["StepLR", "MultiStepLR-repeated-milestone", "CosineAnnealingLR-eta_min-past-T_max",
             "LambdaLR-per-group", "CyclicLR-triangular-sgd-momentum", "CyclicLR-exp_range-adam",
             "CyclicLR-scale_fn-iterations", "OneCycleLR-cos-sgd",
             "OneCycleLR-three_phase-linear-adam", "Plateau-min-rel", "Plateau-max-abs-adam",
             "Plateau-min-rel-negative-metric", "SequentialLR-warmup-cosine",
             "SequentialLR-three-schedulers", "SequentialLR-with-LambdaLR",
             "ChainedScheduler-optimizer-given"]


@functools.cache
def uninterrupted_run(name):
    """minigrad's whole run of ``CASES[name]``, shared by the resume tests (read only)."""
    return run(mg, CASES[name])


@pytest.mark.parametrize("stop", [0, 20, 97])  # 20: SequentialLR-warmup-cosine's milestone
@pytest.mark.parametrize("name", RESUMABLE)
def test_resume_through_save_continues_exactly(name, stop, tmp_path):
    """Optimizer, scheduler and parameters through ``mg.save``/``mg.load`` after ``stop``
    steps, loaded into ones built the normal way: the rest of the run is bit for bit the
    uninterrupted one, and no step-order warning is raised."""
    case = CASES[name]
    uninterrupted, final_params = uninterrupted_run(name)

    optimizer = make_optimizer(mg, case.kind)
    (scheduler,) = as_tuple(case.factory(mg, optimizer))
    train(mg, optimizer, (scheduler,), 0, stop, case.metrics)
    state = scheduler.state_dict()
    assert is_plain(state), state
    assert "optimizer" not in state
    path = tmp_path / "checkpoint.mg"
    mg.save({"optimizer": optimizer.state_dict(), "scheduler": state,
             "params": [p.numpy() for g in optimizer.param_groups for p in g["params"]]}, path)
    checkpoint = mg.load(path)
    assert checkpoint["scheduler"] == state

    resumed = make_optimizer(mg, case.kind)
    (resumed_scheduler,) = as_tuple(case.factory(mg, resumed))
    resumed.load_state_dict(checkpoint["optimizer"])
    resumed_scheduler.load_state_dict(checkpoint["scheduler"])
    for p, saved in zip([p for g in resumed.param_groups for p in g["params"]],
                        checkpoint["params"], strict=True):
        p.data[...] = saved
    assert resumed_scheduler.get_last_lr() == uninterrupted[stop][:2]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rest = train(mg, resumed, (resumed_scheduler,), stop, case.steps, case.metrics)
    assert not [w for w in caught if issubclass(w.category, UserWarning)]
    assert rest == uninterrupted[stop + 1:]
    for p, expected in zip([p for g in resumed.param_groups for p in g["params"]],
                           final_params, strict=True):
        np.testing.assert_array_equal(p.numpy(), expected)


@pytest.mark.parametrize("steps", [0, 5])  # 0: ReduceLROnPlateau's best is still inf
@pytest.mark.parametrize("name", list(CASES))
def test_state_dict_is_plain_and_saves(name, steps, tmp_path):
    """API.md: no functions, no optimizer, only numbers, strings and lists of them."""
    case = CASES[name]
    optimizer = make_optimizer(mg, case.kind)
    schedulers = as_tuple(case.factory(mg, optimizer))
    train(mg, optimizer, schedulers, 0, steps, case.metrics)
    for scheduler in schedulers:
        state = scheduler.state_dict()
        assert is_plain(state), state
        mg.save(state, tmp_path / "scheduler.mg")
        assert mg.load(tmp_path / "scheduler.mg") == state


class Warmup:
    """A callable object holding state, which PyTorch's state dicts keep (functions and
    lambdas they cannot)."""

    def __init__(self):
        self.scale = 1.0

    def __call__(self, x):
        return self.scale / (1.0 + x)


STATEFUL = {
    "LambdaLR": lambda lib, opt, fn: sched(lib).LambdaLR(opt, [fn, lambda e: 1.0]),
    "MultiplicativeLR": lambda lib, opt, fn: sched(lib).MultiplicativeLR(opt, fn),
    "CyclicLR": lambda lib, opt, fn: sched(lib).CyclicLR(opt, 0.01, 0.1, step_size_up=4,
                                                         scale_fn=fn),
}


@pytest.mark.parametrize("name", list(STATEFUL))
def test_state_dict_keeps_the_state_of_callable_objects(lib, name):
    """PyTorch: "The learning rate lambda functions will only be saved if they are callable
    objects and not if they are functions or lambdas" (likewise CyclicLR's ``scale_fn``)."""
    fn = Warmup()
    scheduler = STATEFUL[name](lib, make_optimizer(lib), fn)
    fn.scale = 0.25
    state = scheduler.state_dict()
    fresh = Warmup()
    STATEFUL[name](lib, make_optimizer(lib), fresh).load_state_dict(state)
    assert fresh.scale == 0.25
