"""The same values in minigrad and in PyTorch, and one check that two results agree in
shape, dtype and values: what the forward-parity tests of the tensor ops share."""

import numpy as np


def both(array, requires_grad=False):
    """``array`` as a minigrad tensor and as a torch tensor."""
    import torch

    import minigrad as mg

    return (mg.tensor(array, requires_grad=requires_grad),
            torch.tensor(array, requires_grad=requires_grad))


def assert_same(mine, theirs, rtol=0.0):
    """Equal shape, dtype name and values (NaN where NaN; ``rtol`` for computed floats)."""
    theirs = theirs.detach()
    assert mine.shape == tuple(theirs.shape)
    assert mine.dtype.name == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=rtol, atol=0)
