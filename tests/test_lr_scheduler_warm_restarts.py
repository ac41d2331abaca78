"""``CosineAnnealingWarmRestarts`` beyond the whole-epoch sequences of ``CASES``: stepped
with fractional epochs as PyTorch documents (``scheduler.step(epoch + i / iters)``), jumps
mixed with plain steps, resuming mid-epoch through ``mg.save``, and no step-order warning
(PyTorch's own step for this scheduler has none).
"""

import warnings

import lr_scheduler_helpers
import pytest
from lr_scheduler_helpers import make_optimizer, sched, set_grads, snapshot

import minigrad as mg

lib = lr_scheduler_helpers.lib  # the fixture: assigned, not imported (see its NOTE)

ITERS = 7  # batches per epoch: i / 7 is no binary fraction, so epochs are inexact floats


def batch_epochs(epochs, iters=ITERS):
    return [epoch + i / iters for epoch in range(epochs) for i in range(iters)]


def run(lib, epochs, kind="sgd", step_at=None, **kwargs):
    """Optimizer and scheduler stepped at each of ``epochs`` (None: a plain ``step()``);
    ``step_at`` continues an existing ``(optimizer, scheduler)`` instead of building one.
    Returns the snapshots (lrs and momenta) after each step, and the pair."""
    optimizer, scheduler = step_at or (None, None)
    if optimizer is None:
        optimizer = make_optimizer(lib, kind)
        scheduler = sched(lib).CosineAnnealingWarmRestarts(optimizer, **kwargs)
    trace = []
    for index, epoch in enumerate(epochs):
        set_grads(lib, optimizer, index)
        optimizer.step()
        if epoch is None:
            scheduler.step()
        else:
            scheduler.step(epoch)
        trace.append(snapshot(optimizer, (scheduler,)) + [scheduler.last_epoch])
    return trace, (optimizer, scheduler)


FRACTIONAL = {
    "T_mult-1": dict(T_0=3, eta_min=1e-3),
    "T_mult-2": dict(T_0=2, T_mult=2),
    "T_mult-3-eta_min": dict(T_0=1, T_mult=3, eta_min=0.01),
}
SEQUENCES = {
    "batches": batch_epochs(30),
    "jumps-and-steps": [None] * 20 + [26, None, None, 3.5, None, 0, 1e-9, 13.999, 14, None],
}


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("sequence", list(SEQUENCES))
@pytest.mark.parametrize("name", list(FRACTIONAL))
def test_fractional_epochs_match_pytorch(name, sequence, kind):
    """Every batch's lr through restarts (the growing periods found from the epoch by
    PyTorch's closed form), and ``last_epoch`` the whole epoch: equal to PyTorch's."""
    torch = pytest.importorskip("torch")
    epochs = SEQUENCES[sequence]
    got, _ = run(mg, epochs, kind, **FRACTIONAL[name])
    expected, _ = run(torch, epochs, kind, **FRACTIONAL[name])
    assert got == expected


def test_within_an_epoch_the_lr_follows_the_cosine():
    """Half-way through the first period the lr is half-way between base and ``eta_min``."""
    trace, _ = run(mg, [0.5, 1.0, 1.5], T_0=3, eta_min=0.0)
    base = make_optimizer(mg).param_groups[0]["lr"]
    assert trace[2][0] == pytest.approx(base / 2, rel=1e-15)
    assert trace[0][0] > trace[1][0] > trace[2][0]


def test_jumps_and_plain_steps_interleave_as_pytorch(lib):
    """PyTorch's documented example: after ``step(26)`` a plain ``step()`` goes to 27."""
    jumped, _ = run(lib, [None] * 20 + [26, None, None, 3.5, None], T_0=10, T_mult=2)
    straight, _ = run(lib, [*range(20), 26, 27, 28, 3.5, 4.5], T_0=10, T_mult=2)
    assert [row[-1] for row in jumped[-5:]] == [26, 27, 28, 3, 4]
    assert jumped[-5:] == straight[-5:]


@pytest.mark.parametrize("stop", [5, 33])  # mid-epoch: 5 / 7 and 4 + 5 / 7
def test_resume_mid_epoch_through_save_continues_exactly(stop, tmp_path):
    epochs = batch_epochs(12)
    kwargs = dict(T_0=2, T_mult=2, eta_min=1e-4)
    uninterrupted, _ = run(mg, epochs, **kwargs)
    _, (optimizer, scheduler) = run(mg, epochs[:stop], **kwargs)
    path = tmp_path / "checkpoint.mg"
    mg.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}, path)
    checkpoint = mg.load(path)

    resumed = make_optimizer(mg)
    resumed_scheduler = sched(mg).CosineAnnealingWarmRestarts(resumed, **kwargs)
    resumed.load_state_dict(checkpoint["optimizer"])
    resumed_scheduler.load_state_dict(checkpoint["scheduler"])
    assert resumed_scheduler.T_cur == scheduler.T_cur and resumed_scheduler.T_i == scheduler.T_i
    rest, _ = run(mg, epochs[stop:], step_at=(resumed, resumed_scheduler), **kwargs)
    assert rest == uninterrupted[stop:]


def test_no_step_order_warning(lib):
    """Stepping it before ``optimizer.step()`` does not warn, in PyTorch either."""
    optimizer = make_optimizer(lib)
    scheduler = sched(lib).CosineAnnealingWarmRestarts(optimizer, T_0=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler.step()
        scheduler.step(0.5)
    assert scheduler.last_epoch == 0
