"""The step-order warning of learning-rate schedulers, as PyTorch's: stepping a scheduler
before its optimizer's first ``step()`` warns once (the first value of the schedule would be
skipped), and the right order never warns.
"""

import warnings

import lr_scheduler_helpers
import pytest
from lr_scheduler_cases import chained_class, warmup_cosine
from lr_scheduler_helpers import make_optimizer, sched, set_grads

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
