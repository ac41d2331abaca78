"""PyTorch's deprecated ``scheduler.step(epoch)`` and ``CosineAnnealingWarmRestarts`` checked
the way PyTorch's own scheduler tests check them, in minigrad's words.

``step(epoch)`` jumps to ``epoch``: schedules with a closed form take their lr from it, the
others (lambdas, cyclic schedules) from ``get_lr()`` at that epoch, and every such call warns
with PyTorch's ``EPOCH_DEPRECATION_WARNING``. Each run below is done in both libraries and
compared value for value: the lrs and momenta, ``last_epoch``, and the warnings raised.
"""

import math
import warnings

import lr_scheduler_helpers
import pytest
from lr_scheduler_helpers import make_optimizer, sched, set_grads, snapshot

import minigrad as mg

lib = lr_scheduler_helpers.lib  # the fixture: assigned, not imported (see its NOTE)

CLOSED_FORM = {
    "StepLR": lambda lib, opt: sched(lib).StepLR(opt, step_size=3, gamma=0.5),
    "MultiStepLR": lambda lib, opt: sched(lib).MultiStepLR(opt, [2, 5, 5, 9], gamma=0.3),
    "ExponentialLR": lambda lib, opt: sched(lib).ExponentialLR(opt, gamma=0.9),
    "ConstantLR": lambda lib, opt: sched(lib).ConstantLR(opt, factor=0.25, total_iters=4),
    "LinearLR": lambda lib, opt: sched(lib).LinearLR(opt, 1 / 3, 0.7, total_iters=4),
    "PolynomialLR": lambda lib, opt: sched(lib).PolynomialLR(opt, total_iters=6, power=0.9),
    "CosineAnnealingLR": lambda lib, opt: sched(lib).CosineAnnealingLR(opt, 5, eta_min=1e-3),
}
FROM_GET_LR = {
    "LambdaLR": lambda lib, opt: sched(lib).LambdaLR(opt, [lambda e: 0.9 ** e,
                                                           lambda e: 1 / (1 + e)]),
    "MultiplicativeLR": lambda lib, opt: sched(lib).MultiplicativeLR(opt, lambda e: 0.95),
    "CyclicLR": lambda lib, opt: sched(lib).CyclicLR(opt, 0.01, 0.1, step_size_up=3),
    "OneCycleLR": lambda lib, opt: sched(lib).OneCycleLR(opt, 0.1, total_steps=20),
}
EPOCH_STEPPED = {**CLOSED_FORM, **FROM_GET_LR}

# jumps forward and back, repeats, and epoch 0 again; None is a plain ``step()``
JUMPS = [0, 1, 2, 2, 5, None, None, 3, 7, 8, 12, 11, 1, None, 0, 4, 9, 10, 15, None]


def run(lib, factory, epochs, kind="sgd"):
    """Optimizer and scheduler stepped along ``epochs``; after each step the lrs and momenta,
    ``last_epoch`` and the texts of the warnings that step raised."""
    optimizer = make_optimizer(lib, kind)
    scheduler = factory(lib, optimizer)
    rows = [snapshot(optimizer, (scheduler,))]
    for index, epoch in enumerate(epochs):
        set_grads(lib, optimizer, index)
        optimizer.step()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if epoch is None:
                scheduler.step()
            else:
                scheduler.step(epoch)
        rows.append(snapshot(optimizer, (scheduler,))
                    + [scheduler.last_epoch, [str(w.message) for w in caught]])
    return rows


def test_the_warning_text_is_pytorchs():
    torch = pytest.importorskip("torch")
    assert mg.optim.lr_scheduler.EPOCH_DEPRECATION_WARNING == \
        torch.optim.lr_scheduler.EPOCH_DEPRECATION_WARNING


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("name", list(EPOCH_STEPPED))
def test_step_epoch_matches_pytorch(name, kind):
    torch = pytest.importorskip("torch")
    factory = EPOCH_STEPPED[name]
    got, expected = run(mg, factory, JUMPS, kind), run(torch, factory, JUMPS, kind)
    assert got == expected
    text = mg.optim.lr_scheduler.EPOCH_DEPRECATION_WARNING
    assert [row[-1] for row in got[1:]] == [[] if e is None else [text] for e in JUMPS]


@pytest.mark.parametrize("name", list(CLOSED_FORM))
def test_the_same_epoch_again_keeps_the_lr(lib, name):
    """A jump to the epoch the schedule is at changes nothing (the closed form is used, not
    the chainable form, which would apply the epoch's factor once more)."""
    rows = run(lib, CLOSED_FORM[name], [2] * 6)
    assert len({tuple(row[:2]) for row in rows[1:]}) == 1


@pytest.mark.parametrize("name", list(CLOSED_FORM))
def test_epoch_by_epoch_jumps_equal_plain_steps(name):
    """``step(0)``, ``step(1)``, ... gives the chainable sequence (to rounding)."""
    plain = run(mg, CLOSED_FORM[name], [None] * 20)
    jumped = run(mg, CLOSED_FORM[name], list(range(1, 21)))
    for row_plain, row_jumped in zip(plain, jumped):
        assert row_jumped[:4] == pytest.approx(row_plain[:4], rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("build", ["SequentialLR", "ChainedScheduler"])
def test_combined_schedulers_take_no_epoch(lib, build):
    optimizer = make_optimizer(lib)
    s = sched(lib)
    members = [s.ConstantLR(optimizer, factor=0.5), s.ExponentialLR(optimizer, 0.9)]
    scheduler = s.SequentialLR(optimizer, members, milestones=[3]) \
        if build == "SequentialLR" else s.ChainedScheduler(members)
    with pytest.raises(TypeError):
        scheduler.step(3)


def test_plateau_epoch_sets_last_epoch_and_warns(lib):
    optimizer = make_optimizer(lib)
    scheduler = sched(lib).ReduceLROnPlateau(optimizer, patience=0)
    text = lib.optim.lr_scheduler.EPOCH_DEPRECATION_WARNING
    with pytest.warns(UserWarning) as caught:
        scheduler.step(1.0, 7)
        scheduler.step(2.0, 3)
    assert [str(w.message) for w in caught] == [text, text]
    assert scheduler.last_epoch == 3 and optimizer.param_groups[0]["lr"] == pytest.approx(0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler.step(3.0)
    assert scheduler.last_epoch == 4


# ------------------------------------------------------------ CosineAnnealingWarmRestarts
ETA_MIN = 1e-10


def sgdr(base, t_cur, t_i):
    """The SGDR formula itself: the oracle for the runs below."""
    return ETA_MIN + (base - ETA_MIN) * (1 + math.cos(math.pi * t_cur / t_i)) / 2


def restarts(lib, **kwargs):
    optimizer = make_optimizer(lib)
    return optimizer, sched(lib).CosineAnnealingWarmRestarts(optimizer, eta_min=ETA_MIN,
                                                             **kwargs)


def lrs_along(lib, epochs, **kwargs):
    """Both groups' lrs after each ``step(epoch)`` (None: ``step()``) and the scheduler's
    ``T_cur`` and ``T_i`` then."""
    optimizer, scheduler = restarts(lib, **kwargs)
    rows = []
    for epoch in epochs:
        if epoch is None:
            scheduler.step()
        else:
            scheduler.step(epoch)
        rows.append(([g["lr"] for g in optimizer.param_groups], scheduler.T_cur,
                     scheduler.T_i))
    return rows


@pytest.mark.parametrize("t_mult", [1, 2, 4])
def test_warm_restarts_plain_steps_follow_the_formula(lib, t_mult):
    """100 epochs of ``step()``: each period restarts at the base lr, ``T_mult`` times
    longer than the one before."""
    rows = lrs_along(lib, [None] * 99, T_0=10, T_mult=t_mult)
    t_cur, t_i = 0, 10
    for lrs, _, _ in rows:
        t_cur += 1
        if t_cur >= t_i:
            t_cur, t_i = t_cur - t_i, t_i * t_mult
        assert lrs == pytest.approx([sgdr(b, t_cur, t_i) for b in (0.1, 0.03)], rel=1e-12)


@pytest.mark.parametrize("t_mult", [1, 2, 4])
def test_warm_restarts_tenths_of_epochs(t_mult):
    """``step(epoch)`` every tenth of an epoch over 30 epochs: the lr of the fraction
    reached, through the restarts; minigrad's sequence is PyTorch's."""
    torch = pytest.importorskip("torch")
    epochs = [round(0.1 * i, 1) for i in range(300)]
    got = lrs_along(mg, epochs, T_0=10, T_mult=t_mult)
    assert got == lrs_along(torch, epochs, T_0=10, T_mult=t_mult)
    start, t_i = 0, 10
    for epoch, (lrs, _, _) in zip(epochs, got):
        if epoch >= start + t_i:
            start, t_i = start + t_i, t_i * t_mult
        assert lrs[0] == pytest.approx(sgdr(0.1, epoch - start, t_i), rel=1e-9)


# epochs jumped to (interleaved with plain steps) -> the expected (T_cur, T_i) after each
INTERLEAVED = {
    1: ([0, None, None, 4, 13, None, 29, 3, None, 10.5],
        [(0, 10), (1, 10), (2, 10), (4, 10), (3, 10), (4, 10), (9, 10), (3, 10), (4, 10),
         (0.5, 10)]),
    2: ([0, 9, None, 29, None, 31, 75, 70, None, 2],
        [(0, 10), (9, 10), (0, 20), (19, 20), (0, 40), (1, 40), (5, 80), (0, 80), (1, 80),
         (2, 10)]),
    3: ([0.25, 9.5, 10.5, 39.75, 40, None, 130, 5],
        [(0.25, 10), (9.5, 10), (0.5, 30), (29.75, 30), (0, 90), (1, 90), (0, 270),
         (5, 10)]),
}


@pytest.mark.parametrize("t_mult", list(INTERLEAVED))
def test_warm_restarts_jumps_land_in_the_right_period(lib, t_mult):
    epochs, expected = INTERLEAVED[t_mult]
    rows = lrs_along(lib, epochs, T_0=10, T_mult=t_mult)
    for (lrs, t_cur, t_i), (want_cur, want_i) in zip(rows, expected, strict=True):
        assert (t_cur, t_i) == (pytest.approx(want_cur, abs=1e-12), want_i)
        assert lrs == pytest.approx([sgdr(b, want_cur, want_i) for b in (0.1, 0.03)],
                                    rel=1e-9)


def test_warm_restarts_t_cur_past_the_period_wraps(lib):
    """A ``T_cur`` set beyond the period wraps modulo ``T_0`` on the next step."""
    _, scheduler = restarts(lib, T_0=4)
    for t_cur in (7, 8, 9):
        scheduler.T_cur = t_cur
        scheduler.step()
        assert scheduler.T_cur == (t_cur + 1) % 4


def test_warm_restarts_state_dict_carries_the_period(lib):
    optimizer, scheduler = restarts(lib, T_0=10, T_mult=2)
    for _ in range(13):
        optimizer.step()
        scheduler.step()
    other = sched(lib).CosineAnnealingWarmRestarts(optimizer, T_0=100)
    other.load_state_dict(scheduler.state_dict())
    assert (other.T_0, other.T_i, other.T_cur, other.T_mult) == (10, 20, 3, 2)
    assert other.get_last_lr() == scheduler.get_last_lr()


def test_warm_restarts_negative_epoch_raises(lib):
    _, scheduler = restarts(lib, T_0=3)
    with pytest.raises(ValueError, match="non-negative epoch"):
        scheduler.step(-1)
