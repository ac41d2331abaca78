"""The table of scheduler runs every ``test_lr_scheduler_*.py`` sweep draws on: ``CASES``,
one named ``Case`` per schedule (a factory ``lambda lib, opt: ...``, the optimizer kind, the
number of steps, and for ReduceLROnPlateau a scripted metric).

Not a test module: the parity file runs every case against PyTorch, the resume file saves and
resumes them, and the warnings file borrows the combination factories.
"""

import math
import random

from lr_scheduler_helpers import sched

STEPS = 300


class Case:
    def __init__(self, factory, kind="sgd", steps=STEPS, metrics=None):
        self.factory, self.kind, self.steps, self.metrics = factory, kind, steps, metrics


def metric_script(n=STEPS, seed=3):
    """A validation loss with real improvements, exact plateaus, noisy plateaus, creeping
    improvements smaller than the default relative threshold (1e-4), and a NaN now and then
    (never an improvement)."""
    rng = random.Random(seed)
    values, level = [], 10.0
    while len(values) < n:
        kind = rng.choice(["improve", "flat", "noise", "creep"])
        for _ in range(rng.randint(2, 15)):
            if kind == "improve":
                level *= 0.9
            elif kind == "creep":
                level *= 1 - 5e-5
            values.append(level + (rng.uniform(-0.05, 0.05) if kind == "noise" else 0.0))
    return [math.nan if i % 53 == 52 else v for i, v in enumerate(values[:n])]


LOSSES = metric_script()
ACCURACIES = [1.0 / v for v in LOSSES]
NEGATIVE_LOSSES = [v - 12.0 for v in LOSSES]  # rel threshold on a negative best: PyTorch's quirk


def plateau(*, metrics=LOSSES, kind="sgd", **kwargs):
    return Case(lambda lib, opt: sched(lib).ReduceLROnPlateau(opt, **kwargs), kind,
                metrics=metrics)


def warmup_cosine(lib, opt):
    s = sched(lib)
    return s.SequentialLR(opt, [s.LinearLR(opt, start_factor=0.1, total_iters=20),
                                s.CosineAnnealingLR(opt, T_max=200, eta_min=1e-4)],
                          milestones=[20])


def three_phases(lib, opt):
    s = sched(lib)
    return s.SequentialLR(opt, [s.ConstantLR(opt, factor=0.5, total_iters=10),
                                s.ExponentialLR(opt, gamma=0.99),
                                s.StepLR(opt, step_size=30, gamma=0.5)],
                          milestones=[25, 120])


def three_phases_lambda(lib, opt):
    s = sched(lib)
    return s.SequentialLR(opt, [s.LinearLR(opt, start_factor=0.25, total_iters=15),
                                s.LambdaLR(opt, lambda e: 1.0 / (1.0 + 0.05 * e)),
                                s.CosineAnnealingLR(opt, T_max=40)],
                          milestones=[30, 150])


def exponential_and_step(lib, opt):
    s = sched(lib)
    return s.ExponentialLR(opt, gamma=0.995), s.StepLR(opt, step_size=40, gamma=0.5)


def cosine_and_multistep(lib, opt):
    s = sched(lib)
    return (s.CosineAnnealingLR(opt, T_max=50, eta_min=1e-3),
            s.MultiStepLR(opt, milestones=[60, 60, 200], gamma=0.5))


def chained_class(lib, opt):
    s = sched(lib)
    return s.ChainedScheduler([s.ConstantLR(opt, factor=0.5, total_iters=20),
                               s.ExponentialLR(opt, gamma=0.99)])


def chained_class_explicit(lib, opt):
    s = sched(lib)
    return s.ChainedScheduler([s.LinearLR(opt, start_factor=0.2, total_iters=30),
                               s.CosineAnnealingLR(opt, T_max=60, eta_min=1e-3),
                               s.StepLR(opt, step_size=100, gamma=0.3)], optimizer=opt)


def warmup_warm_restarts(lib, opt):
    s = sched(lib)
    return s.SequentialLR(opt, [s.LinearLR(opt, start_factor=0.1, total_iters=15),
                                s.CosineAnnealingWarmRestarts(opt, T_0=30, T_mult=2,
                                                              eta_min=1e-4)],
                          milestones=[15])


def warm_restarts(kind="sgd", **kwargs):
    return Case(lambda lib, opt: sched(lib).CosineAnnealingWarmRestarts(opt, **kwargs), kind)


def cyclic(kind="sgd", **kwargs):
    return Case(lambda lib, opt: sched(lib).CyclicLR(opt, **kwargs), kind)


def one_cycle(kind="sgd", steps=STEPS, **kwargs):
    return Case(lambda lib, opt: sched(lib).OneCycleLR(opt, **kwargs), kind, steps=steps)


CASES = {
    "StepLR": Case(lambda lib, opt: sched(lib).StepLR(opt, step_size=7, gamma=0.5)),
    "StepLR-adam": Case(lambda lib, opt: sched(lib).StepLR(opt, 50), "adam"),
    "MultiStepLR-repeated-milestone": Case(
        lambda lib, opt: sched(lib).MultiStepLR(opt, [150, 30, 80, 80], gamma=0.3)),
    "ExponentialLR": Case(lambda lib, opt: sched(lib).ExponentialLR(opt, gamma=0.99)),
    "CosineAnnealingLR-eta_min-past-T_max": Case(
        lambda lib, opt: sched(lib).CosineAnnealingLR(opt, T_max=70, eta_min=1e-3)),
    "CosineAnnealingLR-adam": Case(
        lambda lib, opt: sched(lib).CosineAnnealingLR(opt, T_max=100), "adam"),
    "LinearLR-warmup": Case(lambda lib, opt: sched(lib).LinearLR(
        opt, start_factor=0.1, end_factor=0.9, total_iters=120)),
    "LinearLR-decay-to-zero": Case(lambda lib, opt: sched(lib).LinearLR(
        opt, start_factor=1.0, end_factor=0.0, total_iters=200)),
    "ConstantLR": Case(lambda lib, opt: sched(lib).ConstantLR(opt, factor=0.25, total_iters=40)),
    "PolynomialLR-power1": Case(
        lambda lib, opt: sched(lib).PolynomialLR(opt, total_iters=250, power=1.0)),
    "PolynomialLR-power2": Case(
        lambda lib, opt: sched(lib).PolynomialLR(opt, total_iters=200, power=2.0), "adam"),
    "LambdaLR-per-group": Case(lambda lib, opt: sched(lib).LambdaLR(
        opt, [lambda e: 0.95 ** e, lambda e: 1.0 / (1.0 + 0.1 * e)])),
    "LambdaLR-one": Case(lambda lib, opt: sched(lib).LambdaLR(opt, lambda e: 0.5 ** (e // 25))),
    "MultiplicativeLR": Case(lambda lib, opt: sched(lib).MultiplicativeLR(
        opt, lambda e: 0.98 if e % 3 else 1.01)),
    "MultiplicativeLR-per-group": Case(lambda lib, opt: sched(lib).MultiplicativeLR(
        opt, [lambda e: 0.99, lambda e: 1.0 - 1e-3 * (e % 5)]), "adam"),
    # CyclicLR: every mode, momentum and beta1 cycling, per-group bounds
    "CyclicLR-triangular-sgd-momentum": cyclic(
        base_lr=[0.01, 0.001], max_lr=[0.1, 0.05], step_size_up=20,
        base_momentum=[0.8, 0.7], max_momentum=[0.95, 0.9]),
    "CyclicLR-triangular-adam-beta1": cyclic(
        "adam", base_lr=1e-3, max_lr=1e-2, step_size_up=23, base_momentum=0.85,
        max_momentum=0.95),
    "CyclicLR-triangular2-down-ne-up": cyclic(
        base_lr=0.01, max_lr=0.2, step_size_up=15, step_size_down=35, mode="triangular2"),
    "CyclicLR-triangular2-adam": cyclic(
        "adam", base_lr=[1e-3, 2e-3], max_lr=[1e-2, 5e-3], step_size_up=10,
        step_size_down=5, mode="triangular2"),
    "CyclicLR-exp_range": cyclic(
        base_lr=0.01, max_lr=0.1, step_size_up=25, mode="exp_range", gamma=0.995),
    "CyclicLR-exp_range-adam": cyclic(
        "adam", base_lr=1e-4, max_lr=1e-2, step_size_up=12, step_size_down=30,
        mode="exp_range", gamma=0.99),
    "CyclicLR-scale_fn-cycle": cyclic(
        base_lr=0.01, max_lr=0.1, step_size_up=17, scale_fn=lambda x: 1.0 / x,
        scale_mode="cycle"),
    "CyclicLR-scale_fn-iterations": cyclic(
        "adam", base_lr=1e-3, max_lr=1e-2, step_size_up=20, step_size_down=13,
        scale_fn=lambda x: 0.5 * (1.0 + math.cos(x / 50.0)), scale_mode="iterations"),
    "CyclicLR-no-cycle_momentum": cyclic(
        base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=30, cycle_momentum=False),
    "CyclicLR-no-cycle_momentum-adam": cyclic(
        "adam", base_lr=1e-3, max_lr=1e-2, step_size_up=30, cycle_momentum=False),
    # OneCycleLR: both anneals, three phases, total_steps or epochs * steps_per_epoch
    "OneCycleLR-cos-sgd": one_cycle(max_lr=[0.1, 0.05], total_steps=STEPS),
    "OneCycleLR-linear-adam": one_cycle(
        "adam", max_lr=1e-2, total_steps=STEPS, anneal_strategy="linear"),
    "OneCycleLR-three_phase": one_cycle(
        max_lr=0.2, total_steps=STEPS, pct_start=0.25, three_phase=True,
        base_momentum=[0.8, 0.85], max_momentum=[0.9, 0.95]),
    "OneCycleLR-three_phase-linear-adam": one_cycle(
        "adam", max_lr=[1e-2, 3e-3], total_steps=STEPS, pct_start=0.33, three_phase=True,
        anneal_strategy="linear"),
    "OneCycleLR-epochs-steps_per_epoch": one_cycle(
        max_lr=0.1, epochs=10, steps_per_epoch=31, steps=310, div_factor=10.0,
        final_div_factor=100.0),
    "OneCycleLR-no-cycle_momentum": one_cycle(
        "adam", max_lr=1e-2, total_steps=STEPS, pct_start=0.1, cycle_momentum=False),
    # CosineAnnealingWarmRestarts: fixed and growing periods (fractional epochs: its own file)
    "CosineAnnealingWarmRestarts-T_mult-1": warm_restarts(T_0=40, eta_min=1e-3),
    "CosineAnnealingWarmRestarts-T_mult-2-adam": warm_restarts("adam", T_0=10, T_mult=2),
    "CosineAnnealingWarmRestarts-T_mult-3-T_0-1": warm_restarts(T_0=1, T_mult=3, eta_min=0.01),
    # ReduceLROnPlateau on a scripted metric
    "Plateau-min-rel": plateau(factor=0.5, patience=3),
    "Plateau-min-abs-cooldown": plateau(
        factor=0.7, patience=2, threshold=0.01, threshold_mode="abs", cooldown=4),
    "Plateau-max-rel": plateau(metrics=ACCURACIES, mode="max", factor=0.5, patience=4,
                               threshold=1e-3),
    "Plateau-max-abs-adam": plateau(metrics=ACCURACIES, kind="adam", mode="max", factor=0.3,
                                    patience=1, threshold=1e-4, threshold_mode="abs",
                                    cooldown=2),
    "Plateau-min_lr-scalar": plateau(factor=0.5, patience=0, min_lr=1e-3),
    "Plateau-min_lr-per-group": plateau(factor=0.5, patience=1, min_lr=[5e-3, 1e-4]),
    "Plateau-eps-skips-small-cuts": plateau(factor=0.5, patience=0, eps=1e-3),
    "Plateau-defaults": plateau(),
    "Plateau-min-rel-negative-metric": plateau(metrics=NEGATIVE_LOSSES, factor=0.5, patience=0,
                                               threshold=1e-2),
    # combinations
    "SequentialLR-warmup-cosine": Case(warmup_cosine),
    "SequentialLR-three-schedulers": Case(three_phases, "adam"),
    "SequentialLR-with-LambdaLR": Case(three_phases_lambda),
    "SequentialLR-warmup-warm-restarts": Case(warmup_warm_restarts, "adam"),
    "two-schedulers-ExponentialLR-StepLR": Case(exponential_and_step),
    "two-schedulers-Cosine-MultiStep": Case(cosine_and_multistep, "adam"),
    "ChainedScheduler": Case(chained_class),
    "ChainedScheduler-optimizer-given": Case(chained_class_explicit),
}
