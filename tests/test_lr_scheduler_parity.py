"""Learning-rate schedulers against PyTorch: every schedule in ``CASES``, and the PyTorch
behaviours the sequences alone do not show.

PyTorch is the contract (API.md: "for the same arguments the sequence of ``get_last_lr()``
equals PyTorch's to 1e-12 relative"), so the parity tests build the same optimizer (two
parameter groups with different lrs) and the same scheduler in both libraries through one
factory ``lambda lib, opt: ...``, train a few hundred steps, and compare every group's lr and
momentum (``momentum`` for SGD, ``betas[0]`` for Adam) after every step, and the parameters
at the end.
"""

import lr_scheduler_helpers
import numpy as np
import pytest
from lr_scheduler_cases import CASES, one_cycle
from lr_scheduler_helpers import GROUP_LRS, make_optimizer, run, sched

import minigrad as mg

lib = lr_scheduler_helpers.lib  # the fixture: assigned, not imported (see its NOTE)

RTOL, ATOL = 1e-12, 1e-15  # API.md's bound; ATOL only matters for values that reach ~0


def assert_same_run(got, expected):
    """Step by step, value by value, to RTOL (ATOL near zero), naming the first difference."""
    assert len(got) == len(expected)
    for step, (row_got, row_expected) in enumerate(zip(got, expected)):
        for column, (a, b) in enumerate(zip(row_got, row_expected, strict=True)):
            assert abs(a - b) <= max(RTOL * abs(b), ATOL), (
                f"step {step}, column {column} (lrs, group lrs, momenta): minigrad {a!r}, "
                f"torch {b!r}\nminigrad row {row_got}\ntorch row    {row_expected}")


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
