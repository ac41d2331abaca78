"""Learning-rate schedulers: PyTorch parity of every schedule, resuming through ``mg.save``,
the step-order warning, and PyTorch's errors.

PyTorch is the contract (API.md: "for the same arguments the sequence of ``get_last_lr()``
equals PyTorch's to 1e-12 relative"), so the parity tests build the same optimizer (two
parameter groups with different lrs) and the same scheduler in both libraries through one
factory ``lambda lib, opt: ...``, train a few hundred steps, and compare every group's lr and
momentum (``momentum`` for SGD, ``betas[0]`` for Adam) after every step, and the parameters
at the end. Resuming is checked against an uninterrupted minigrad run, bit for bit.
"""

import functools
import math
import random
import types
import warnings

import numpy as np
import pytest

import minigrad as mg

STEPS = 300
GROUP_LRS = (0.1, 0.03)
RTOL, ATOL = 1e-12, 1e-15  # API.md's bound; ATOL only matters for values that reach ~0


@pytest.fixture(params=["minigrad", "torch"])
def lib(request):
    """The library under test: minigrad, or PyTorch to show the expectation is PyTorch's."""
    return mg if request.param == "minigrad" else pytest.importorskip("torch")


def sched(lib):
    return lib.optim.lr_scheduler


# ------------------------------------------------------------------ the shared training loop
def make_optimizer(lib, kind="sgd"):
    """SGD with momentum or Adam over two float64 parameters, one per group, each group with
    its own lr (and, for SGD, its own momentum)."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(3), rng.standard_normal((2, 2))]
    if lib is mg:
        params = [mg.tensor(a, dtype=mg.float64, requires_grad=True) for a in arrays]
    else:
        params = [lib.tensor(a, requires_grad=True) for a in arrays]
    groups = [{"params": [params[0]], "lr": GROUP_LRS[0]},
              {"params": [params[1]], "lr": GROUP_LRS[1]}]
    if kind == "sgd":
        groups[1]["momentum"] = 0.5
        return lib.optim.SGD(groups, lr=0.5, momentum=0.9)
    if kind == "adam":
        groups[1]["betas"] = (0.8, 0.99)
        return lib.optim.Adam(groups, lr=0.5, betas=(0.9, 0.999))
    raise ValueError(kind)


def set_grads(lib, optimizer, step):
    """A deterministic gradient for each parameter at ``step`` (the same in both libraries)."""
    for index, group in enumerate(optimizer.param_groups):
        for p in group["params"]:
            size = int(np.prod(tuple(p.shape)))
            g = np.cos(0.3 * step + np.arange(size) + index).reshape(tuple(p.shape))
            p.grad = mg.tensor(g, dtype=mg.float64) if lib is mg else lib.tensor(g)


def momentum_of(group):
    return group["betas"][0] if "betas" in group else group["momentum"]


def snapshot(optimizer, schedulers):
    """Every group's lr from ``get_last_lr()`` and from the group itself, and its momentum."""
    lrs = [float(lr) for lr in schedulers[-1].get_last_lr()]
    groups = optimizer.param_groups
    return (lrs + [float(g["lr"]) for g in groups]
            + [float(momentum_of(g)) for g in groups])


def as_tuple(schedulers):
    return tuple(schedulers) if isinstance(schedulers, (list, tuple)) else (schedulers,)


def train(lib, optimizer, schedulers, first, last, metrics=None):
    """Steps ``first`` to ``last - 1``: gradients, ``optimizer.step()``, then every scheduler
    (with the step's metric for ReduceLROnPlateau); one snapshot after each step."""
    trace = []
    for step in range(first, last):
        set_grads(lib, optimizer, step)
        optimizer.step()
        for scheduler in schedulers:
            if metrics is None:
                scheduler.step()
            else:
                scheduler.step(metrics[step])
        trace.append(snapshot(optimizer, schedulers))
    return trace


def run(lib, case):
    """The whole run of ``case``: (snapshots from construction on, final parameters)."""
    optimizer = make_optimizer(lib, case.kind)
    schedulers = as_tuple(case.factory(lib, optimizer))
    trace = [snapshot(optimizer, schedulers)]
    trace += train(lib, optimizer, schedulers, 0, case.steps, case.metrics)
    params = [np.array(p.detach().numpy() if lib is not mg else p.numpy())
              for g in optimizer.param_groups for p in g["params"]]
    return trace, params


def assert_same_run(got, expected):
    """Step by step, value by value, to RTOL (ATOL near zero), naming the first difference."""
    assert len(got) == len(expected)
    for step, (row_got, row_expected) in enumerate(zip(got, expected)):
        for column, (a, b) in enumerate(zip(row_got, row_expected, strict=True)):
            assert abs(a - b) <= max(RTOL * abs(b), ATOL), (
                f"step {step}, column {column} (lrs, group lrs, momenta): minigrad {a!r}, "
                f"torch {b!r}\nminigrad row {row_got}\ntorch row    {row_expected}")


# ----------------------------------------------------------------------------- the cases
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
    "two-schedulers-ExponentialLR-StepLR": Case(exponential_and_step),
    "two-schedulers-Cosine-MultiStep": Case(cosine_and_multistep, "adam"),
    "ChainedScheduler": Case(chained_class),
    "ChainedScheduler-optimizer-given": Case(chained_class_explicit),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_pytorch(name):
    torch = pytest.importorskip("torch")
    case = CASES[name]
    got, got_params = run(mg, case)
    expected, expected_params = run(torch, case)
    assert len(got) == case.steps + 1
    assert_same_run(got, expected)
    for a, b in zip(got_params, expected_params, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_one_cycle_epochs_equal_total_steps():
    """``epochs * steps_per_epoch`` is the same schedule as that many ``total_steps``."""
    by_epochs = one_cycle(max_lr=0.1, epochs=10, steps_per_epoch=30)
    by_total = one_cycle(max_lr=0.1, total_steps=300)
    assert run(mg, by_epochs)[0] == run(mg, by_total)[0]


def test_cosine_annealing_rises_again_past_t_max():
    """Past ``T_max`` the recursive cosine climbs back to the base lr (PyTorch's behaviour)."""
    trace, _ = run(mg, CASES["CosineAnnealingLR-eta_min-past-T_max"])
    lrs = [row[0] for row in trace]
    assert lrs[70] == pytest.approx(1e-3, rel=1e-9)
    assert lrs[140] == pytest.approx(GROUP_LRS[0], rel=1e-9)
    assert lrs[100] > lrs[70]


# --------------------------------------------------------------------------------- resume
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


# ------------------------------------------------------------------------------- warnings
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


# --------------------------------------------------------------------------------- errors
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


# --------------------------------------------------- PyTorch behaviours beyond the sequences
def test_plateau_reduces_a_param_group_added_later(lib):
    """``add_param_group`` after the scheduler was built (unfreezing a layer): a scalar
    ``min_lr`` applies to the new group too, and its lr is cut like the others."""
    optimizer = make_optimizer(lib)
    scheduler = sched(lib).ReduceLROnPlateau(optimizer, factor=0.5, patience=0, min_lr=1e-6)
    scheduler.step(1.0)
    extra = make_optimizer(lib).param_groups[0]["params"][0]
    optimizer.add_param_group({"params": [extra], "lr": 0.2})
    scheduler.step(2.0)
    assert scheduler.get_last_lr() == pytest.approx([0.05, 0.015, 0.1], rel=1e-15)
    assert scheduler.min_lrs == [1e-6] * 3


def test_plateau_per_group_min_lr_refuses_a_group_added_later(lib):
    """With one ``min_lr`` per group there is none for the new group: PyTorch raises rather
    than leaving that group's lr uncut."""
    optimizer = make_optimizer(lib)
    scheduler = sched(lib).ReduceLROnPlateau(optimizer, patience=0, min_lr=[0.0, 0.0])
    scheduler.step(1.0)
    extra = make_optimizer(lib).param_groups[0]["params"][0]
    optimizer.add_param_group({"params": [extra], "lr": 0.2})
    with pytest.raises(RuntimeError, match="number of param groups"):
        scheduler.step(2.0)


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
