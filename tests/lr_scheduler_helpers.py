"""The ``lib`` fixture and the training loop shared by the ``test_lr_scheduler_*.py`` files.

Not a test module (pytest collects only ``test_*.py``); the test files import it by name
because pytest puts tests/ on sys.path (tests/ has no __init__.py, and the default "prepend"
import mode is in use). Every helper takes ``lib``, minigrad or PyTorch, so one factory
``lambda lib, opt: ...`` builds the same optimizer and scheduler in both libraries.
"""

import numpy as np
import pytest

import minigrad as mg

GROUP_LRS = (0.1, 0.03)


# NOTE: test files bind this fixture by assignment, `lib = lr_scheduler_helpers.lib`: a
# `from ... import lib` would make every test argument named `lib` read to ruff as a
# redefinition of an unused import (F811)
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
