"""The step-order warnings of learning-rate schedulers, PyTorch's texts in PyTorch's
situations: stepping a scheduler before its optimizer's first ``step()`` warns once (the
first value of the schedule would be skipped), an optimizer ``step`` replaced after the
scheduler attached is warned about, and the right order never warns.
"""

import types
import warnings

import lr_scheduler_helpers
import pytest
from lr_scheduler_cases import chained_class, warmup_cosine
from lr_scheduler_helpers import make_optimizer, sched, set_grads

import minigrad as mg

lib = lr_scheduler_helpers.lib  # the fixture: assigned, not imported (see its NOTE)


WARN_FACTORIES = {
    "StepLR": lambda lib, opt: sched(lib).StepLR(opt, 3),
    "ExponentialLR": lambda lib, opt: sched(lib).ExponentialLR(opt, 0.9),
    "LambdaLR": lambda lib, opt: sched(lib).LambdaLR(opt, lambda e: 0.9 ** e),
    "CyclicLR": lambda lib, opt: sched(lib).CyclicLR(opt, 0.01, 0.1, step_size_up=4),
    "OneCycleLR": lambda lib, opt: sched(lib).OneCycleLR(opt, 0.1, total_steps=10),
    "SequentialLR": warmup_cosine,
    "ChainedScheduler": chained_class,
}


@pytest.mark.parametrize("name", list(WARN_FACTORIES))
def test_scheduler_step_before_optimizer_step_warns(lib, name):
    optimizer = make_optimizer(lib)
    scheduler = WARN_FACTORIES[name](lib, optimizer)
    with pytest.warns(UserWarning, match=r"`optimizer\.step\(\)`"):
        scheduler.step()


@pytest.mark.parametrize("name", [*WARN_FACTORIES, "ReduceLROnPlateau"])
def test_right_order_does_not_warn(lib, name):
    optimizer = make_optimizer(lib)
    if name == "ReduceLROnPlateau":
        scheduler = sched(lib).ReduceLROnPlateau(optimizer, patience=0)
        step = lambda: scheduler.step(1.0)
    else:
        scheduler = WARN_FACTORIES[name](lib, optimizer)
        step = scheduler.step
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(6):
            set_grads(lib, optimizer, i)
            optimizer.step()
            step()
    assert [str(w.message) for w in caught] == []


def test_step_order_warning_when_scheduler_is_built_mid_training(lib):
    """A scheduler added to an optimizer that has already stepped (a fine-tuning phase, say)
    still warns if it is stepped before the next ``optimizer.step()``: its first value would
    be skipped all the same."""
    optimizer = make_optimizer(lib)
    set_grads(lib, optimizer, 0)
    optimizer.step()
    scheduler = sched(lib).StepLR(optimizer, 3)
    with pytest.warns(UserWarning, match=r"`optimizer\.step\(\)`"):
        scheduler.step()


def test_step_order_warning_only_on_first_step(lib):
    optimizer = make_optimizer(lib)
    scheduler = sched(lib).StepLR(optimizer, 3)
    with pytest.warns(UserWarning, match="optimizer.step"):
        scheduler.step()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scheduler.step()
        optimizer.step()
        scheduler.step()
    assert caught == []


# ------------------------------------------------- PyTorch's texts, resuming, a replaced step
def _first_step_warnings(lib, *, replace_step=None, last_epoch=-1, optimizer_first=False):
    """The warnings of a StepLR's first ``step()``. ``replace_step`` ("before" or "after"
    the scheduler is built) swaps the optimizer's ``step`` for a wrapper of it, as code that
    patches optimizers does; ``last_epoch`` resumes the schedule."""
    optimizer = make_optimizer(lib)

    def replace():
        original = optimizer.step
        optimizer.step = types.MethodType(lambda self, *a, **k: original(*a, **k), optimizer)

    if last_epoch != -1:
        for group in optimizer.param_groups:
            group["initial_lr"] = 0.01
    if replace_step == "before":
        replace()
    scheduler = sched(lib).StepLR(optimizer, 3, last_epoch=last_epoch)
    if replace_step == "after":
        replace()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if optimizer_first:
            set_grads(lib, optimizer, 0)
            optimizer.step()
        scheduler.step()
    return [str(w.message) for w in caught]


SITUATIONS = {
    "scheduler-first": dict(),
    "scheduler-first-resumed": dict(last_epoch=10),
    "step-replaced-after": dict(replace_step="after", optimizer_first=True),
    "step-replaced-after-scheduler-first": dict(replace_step="after", last_epoch=10),
    "step-replaced-before": dict(replace_step="before", optimizer_first=True),
    "step-replaced-before-scheduler-first": dict(replace_step="before"),
    "right-order-resumed": dict(last_epoch=10, optimizer_first=True),
}
EXPECTED = {"scheduler-first": "before", "scheduler-first-resumed": "before",
            "step-replaced-after": "overridden", "step-replaced-after-scheduler-first":
            "overridden", "step-replaced-before-scheduler-first": "before"}


@pytest.mark.parametrize("situation", list(SITUATIONS))
def test_first_step_warnings_are_pytorchs(situation):
    """The same warning, word for word, in the same situations: a scheduler stepped before
    its optimizer (resumed or not), and an optimizer whose ``step`` was replaced after the
    scheduler attached (whose calls the scheduler cannot see)."""
    torch = pytest.importorskip("torch")
    got = _first_step_warnings(mg, **SITUATIONS[situation])
    assert got == _first_step_warnings(torch, **SITUATIONS[situation])
    kind = EXPECTED.get(situation)
    assert len(got) == (kind is not None)
    if kind == "before":
        assert got[0].startswith("Detected call of `lr_scheduler.step()` before")
    elif kind == "overridden":
        assert "`optimizer.step()` has been overridden" in got[0]
