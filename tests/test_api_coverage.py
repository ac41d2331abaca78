"""minigrad's public names are PyTorch's: everything a package exports (its ``__all__``,
which the op and layer families fill in) exists under the same name at the mirrored place
in PyTorch, so a new op or layer is checked the moment it is exported."""

import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

# minigrad package -> the PyTorch namespace it mirrors
MIRRORS = {
    "minigrad.nn": (mg.nn, torch.nn),
    "minigrad.nn.functional": (mg.nn.functional, torch.nn.functional),
    "minigrad.nn.init": (mg.nn.init, torch.nn.init),
    "minigrad.optim": (mg.optim, torch.optim),
    "minigrad.optim.lr_scheduler": (mg.optim.lr_scheduler, torch.optim.lr_scheduler),
    "minigrad.utils.data": (mg.utils.data, torch.utils.data),
    "minigrad.cuda": (mg.cuda, torch.cuda),
}


def _exported(module):
    return getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]


@pytest.mark.parametrize("name", list(MIRRORS))
def test_every_exported_name_is_pytorchs(name):
    ours, theirs = MIRRORS[name]
    assert [n for n in _exported(ours) if not hasattr(theirs, n)] == []


def test_every_registered_activation_is_exported():
    """An activation in the registry is reachable by users (``F`` or ``mg.ops``), not only
    by the tests."""
    from minigrad.testing.op_db import OP_DB

    functional = set(mg.nn.functional.__all__) | set(mg.ops.__all__)
    activations = {info.name for info in OP_DB
                   if info.function.__module__ == "minigrad.ops.activation"}
    assert activations - functional == set()
