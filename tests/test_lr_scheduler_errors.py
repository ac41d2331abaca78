"""Learning-rate schedulers refuse what PyTorch refuses, with PyTorch's exception types and
messages: arguments out of range, lists of the wrong length, members SequentialLR and
ChainedScheduler cannot hold, and anything that is not an optimizer.
"""

import types

import lr_scheduler_helpers
import pytest
from lr_scheduler_helpers import make_optimizer, sched

lib = lr_scheduler_helpers.lib  # the fixture: assigned, not imported (see its NOTE)


NOT_AN_OPTIMIZER = {
    "StepLR": lambda s, o: s.StepLR(o, 3),
    "MultiStepLR": lambda s, o: s.MultiStepLR(o, [2]),
    "ExponentialLR": lambda s, o: s.ExponentialLR(o, 0.9),
    "CosineAnnealingLR": lambda s, o: s.CosineAnnealingLR(o, 10),
    "LinearLR": lambda s, o: s.LinearLR(o),
    "ConstantLR": lambda s, o: s.ConstantLR(o),
    "PolynomialLR": lambda s, o: s.PolynomialLR(o),
    "LambdaLR": lambda s, o: s.LambdaLR(o, lambda e: 1.0),
    "MultiplicativeLR": lambda s, o: s.MultiplicativeLR(o, lambda e: 1.0),
    "CyclicLR": lambda s, o: s.CyclicLR(o, 0.01, 0.1),
    "OneCycleLR": lambda s, o: s.OneCycleLR(o, 0.1, total_steps=10),
    "ReduceLROnPlateau": lambda s, o: s.ReduceLROnPlateau(o),
    "CosineAnnealingWarmRestarts": lambda s, o: s.CosineAnnealingWarmRestarts(o, 10),
}


@pytest.mark.parametrize("name", list(NOT_AN_OPTIMIZER))
def test_non_optimizer_raises_type_error(lib, name):
    """Even a duck-typed look-alike with ``param_groups`` and ``defaults`` is refused."""
    fake = types.SimpleNamespace(param_groups=[{"params": [], "lr": 0.1}],
                                 defaults={"lr": 0.1, "momentum": 0.9})
    with pytest.raises(TypeError, match="is not an Optimizer"):
        NOT_AN_OPTIMIZER[name](sched(lib), fake)


def bare_optimizer(lib):
    """An optimizer with neither ``momentum`` nor ``betas`` among its defaults."""
    p = make_optimizer(lib).param_groups[0]["params"][0]
    return lib.optim.Optimizer([p], {"lr": 0.1})


def step_past(lib, opt, total_steps=5):
    scheduler = sched(lib).OneCycleLR(opt, 0.1, total_steps=total_steps)
    for _ in range(total_steps):
        opt.step()
        scheduler.step()
    opt.step()
    scheduler.step()


def other_optimizer_member(lib, opt):
    s = sched(lib)
    other = make_optimizer(lib)
    s.SequentialLR(opt, [s.StepLR(opt, 3), s.StepLR(other, 3)], milestones=[4])


def sequential(lib, opt, members, milestones):
    s = sched(lib)
    s.SequentialLR(opt, [getattr(s, name)(opt, *args) for name, *args in members], milestones)


TWO_MEMBERS = [("LinearLR",), ("StepLR", 3)]
ERRORS = {
    "ConstantLR-factor-above-1": (
        lambda lib, opt: sched(lib).ConstantLR(opt, factor=1.5), ValueError, "between 0 and 1"),
    "ConstantLR-negative-factor": (
        lambda lib, opt: sched(lib).ConstantLR(opt, factor=-0.1), ValueError, "between 0 and 1"),
    "LinearLR-start_factor-0": (
        lambda lib, opt: sched(lib).LinearLR(opt, start_factor=0), ValueError,
        "Starting multiplicative factor"),
    "LinearLR-start_factor-above-1": (
        lambda lib, opt: sched(lib).LinearLR(opt, start_factor=1.5), ValueError,
        "Starting multiplicative factor"),
    "LinearLR-end_factor-above-1": (
        lambda lib, opt: sched(lib).LinearLR(opt, end_factor=1.5), ValueError,
        "Ending multiplicative factor"),
    "OneCycleLR-no-length": (
        lambda lib, opt: sched(lib).OneCycleLR(opt, 0.1), ValueError,
        "must define either total_steps OR"),
    "OneCycleLR-epochs-only": (
        lambda lib, opt: sched(lib).OneCycleLR(opt, 0.1, epochs=3), ValueError,
        "must define either total_steps OR"),
    "OneCycleLR-total_steps-0": (
        lambda lib, opt: sched(lib).OneCycleLR(opt, 0.1, total_steps=0), ValueError,
        "positive integer total_steps"),
    "OneCycleLR-steps_per_epoch-0": (
        lambda lib, opt: sched(lib).OneCycleLR(opt, 0.1, epochs=2, steps_per_epoch=0),
        ValueError, "positive integer steps_per_epoch"),
    "OneCycleLR-int-pct_start": (
        lambda lib, opt: sched(lib).OneCycleLR(opt, 0.1, total_steps=9, pct_start=1),
        ValueError, "pct_start"),
    "OneCycleLR-bad-anneal": (
        lambda lib, opt: sched(lib).OneCycleLR(opt, 0.1, total_steps=9, anneal_strategy="x"),
        ValueError, "anneal_strategy"),
    "OneCycleLR-stepped-past-total_steps": (step_past, ValueError, "Tried to step 6 times"),
    "OneCycleLR-cycle_momentum-without-momentum": (
        lambda lib, opt: sched(lib).OneCycleLR(bare_optimizer(lib), 0.1, total_steps=9),
        ValueError, "must support momentum or beta1"),
    "CyclicLR-cycle_momentum-without-momentum": (
        lambda lib, opt: sched(lib).CyclicLR(bare_optimizer(lib), 0.01, 0.1), ValueError,
        "must support momentum or beta1"),
    "CyclicLR-cycle_momentum-with-Rprop": (  # PyTorch's own case: Rprop has neither
        lambda lib, opt: sched(lib).CyclicLR(
            lib.optim.Rprop(opt.param_groups[0]["params"]), 1, 5, cycle_momentum=True),
        ValueError, "must support momentum or beta1"),
    "CyclicLR-bad-mode": (
        lambda lib, opt: sched(lib).CyclicLR(opt, 0.01, 0.1, mode="square"), ValueError,
        "mode is invalid"),
    "ReduceLROnPlateau-factor-1": (
        lambda lib, opt: sched(lib).ReduceLROnPlateau(opt, factor=1.0), ValueError,
        "Factor should be < 1.0"),
    "ReduceLROnPlateau-factor-2": (
        lambda lib, opt: sched(lib).ReduceLROnPlateau(opt, factor=2.0), ValueError,
        "Factor should be < 1.0"),
    "ReduceLROnPlateau-bad-mode": (
        lambda lib, opt: sched(lib).ReduceLROnPlateau(opt, mode="avg"), ValueError,
        "mode avg is unknown"),
    "ReduceLROnPlateau-bad-threshold_mode": (
        lambda lib, opt: sched(lib).ReduceLROnPlateau(opt, threshold_mode="pct"), ValueError,
        "threshold mode pct is unknown"),
    "SequentialLR-too-few-milestones": (
        lambda lib, opt: sequential(lib, opt, TWO_MEMBERS, []), ValueError,
        "one more than the number of milestone points"),
    "SequentialLR-too-many-milestones": (
        lambda lib, opt: sequential(lib, opt, TWO_MEMBERS, [3, 6]), ValueError,
        "one more than the number of milestone points"),
    "SequentialLR-no-schedulers": (
        lambda lib, opt: sched(lib).SequentialLR(opt, [], []), ValueError,
        "expects at least one scheduler"),
    "SequentialLR-ReduceLROnPlateau-member": (
        lambda lib, opt: sched(lib).SequentialLR(
            opt, [sched(lib).ReduceLROnPlateau(opt)], []), ValueError,
        "does not support `ReduceLROnPlateau`"),
    "SequentialLR-other-optimizer": (
        other_optimizer_member, ValueError, "to belong to the same optimizer"),
    "ChainedScheduler-ReduceLROnPlateau-member": (
        lambda lib, opt: sched(lib).ChainedScheduler(
            [sched(lib).StepLR(opt, 3), sched(lib).ReduceLROnPlateau(opt)]), ValueError,
        "does not support `ReduceLROnPlateau`"),
    "CyclicLR-base_lr-list-length": (
        lambda lib, opt: sched(lib).CyclicLR(opt, [0.01], 0.1), ValueError,
        "base_lr must have the same length as optimizer.param_groups"),
    "CyclicLR-max_lr-list-length": (
        lambda lib, opt: sched(lib).CyclicLR(opt, 0.01, [0.1, 0.2, 0.3]), ValueError,
        "max_lr must have the same length as optimizer.param_groups"),
    "CyclicLR-base_momentum-list-length": (
        lambda lib, opt: sched(lib).CyclicLR(opt, 0.01, 0.1, base_momentum=[0.8]), ValueError,
        "base_momentum must have the same length"),
    "OneCycleLR-max_lr-list-length": (
        lambda lib, opt: sched(lib).OneCycleLR(opt, [0.1], total_steps=9), ValueError,
        "max_lr must have the same length"),
    "OneCycleLR-max_momentum-list-length": (
        lambda lib, opt: sched(lib).OneCycleLR(opt, 0.1, total_steps=9, max_momentum=[0.9]),
        ValueError, "max_momentum must have the same length"),
    "LambdaLR-list-length": (
        lambda lib, opt: sched(lib).LambdaLR(opt, [lambda e: 1.0]), ValueError,
        "Expected 2 lr_lambdas, but got 1"),
    "MultiplicativeLR-list-length": (
        lambda lib, opt: sched(lib).MultiplicativeLR(opt, [lambda e: 1.0] * 3), ValueError,
        "Expected 2 lr_lambdas, but got 3"),
    "MultiplicativeLR-not-callable": (
        lambda lib, opt: sched(lib).MultiplicativeLR(opt, 0.9), TypeError,
        "lr_lambda should be a function"),
    "ReduceLROnPlateau-min_lr-list-length": (
        lambda lib, opt: sched(lib).ReduceLROnPlateau(opt, min_lr=[0.1]), ValueError,
        "expected 2 min_lrs, got 1"),
    "CosineAnnealingWarmRestarts-T_0-0": (
        lambda lib, opt: sched(lib).CosineAnnealingWarmRestarts(opt, 0), ValueError,
        "Expected positive integer T_0, but got 0"),
    "CosineAnnealingWarmRestarts-float-T_0": (
        lambda lib, opt: sched(lib).CosineAnnealingWarmRestarts(opt, 2.5), ValueError,
        "Expected positive integer T_0, but got 2.5"),
    "CosineAnnealingWarmRestarts-T_mult-0": (
        lambda lib, opt: sched(lib).CosineAnnealingWarmRestarts(opt, 5, T_mult=0), ValueError,
        "Expected integer T_mult >= 1, but got 0"),
    "CosineAnnealingWarmRestarts-float-T_mult": (
        lambda lib, opt: sched(lib).CosineAnnealingWarmRestarts(opt, 5, T_mult=1.5),
        ValueError, "Expected integer T_mult >= 1, but got 1.5"),
    "CosineAnnealingWarmRestarts-eta_min-not-a-number": (
        lambda lib, opt: sched(lib).CosineAnnealingWarmRestarts(opt, 5, eta_min="0.1"),
        ValueError, "Expected float or int eta_min, but got 0.1 of type <class 'str'>"),
    "CosineAnnealingWarmRestarts-negative-epoch": (
        lambda lib, opt: sched(lib).CosineAnnealingWarmRestarts(opt, 5).step(-1), ValueError,
        "Expected non-negative epoch, but got -1"),
    "last_epoch-without-initial_lr": (
        lambda lib, opt: sched(lib).StepLR(opt, 3, last_epoch=4), KeyError, "initial_lr"),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_as_pytorch(lib, name):
    build, error, message = ERRORS[name]
    with pytest.raises(error, match=message):
        build(lib, make_optimizer(lib))


def test_cycle_momentum_false_accepts_optimizer_without_momentum(lib):
    optimizer = bare_optimizer(lib)
    scheduler = sched(lib).CyclicLR(optimizer, 0.01, 0.1, step_size_up=2, cycle_momentum=False)
    assert scheduler.get_last_lr() == [0.01]
    assert "momentum" not in optimizer.param_groups[0]
