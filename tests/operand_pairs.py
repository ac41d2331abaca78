"""Operand pairs for ops held against PyTorch across dtypes (comparisons, bitwise ops).

A test file keeps a table of 2-D NumPy arrays by dtype name, each with at least one row and
four columns; a spec is a dtype name from that table or a Python number, which stays itself.
"""

import numpy as np

import minigrad as mg


def both(arrays, spec, view=slice(None)):
    """(minigrad operand, torch operand) for a dtype name (``arrays[spec][view]``) or a number."""
    if not isinstance(spec, str):
        return spec, spec
    import torch

    array = np.array(arrays[spec][view])  # a 0-d array, not a NumPy scalar
    return mg.tensor(array), torch.from_numpy(array.copy())


def arrangements(arrays, pair):
    """Every (label, ours, theirs) arrangement of a pair: same shape, broadcast (a row against
    a column), a 0-d input against the other, the other 0-d, both 0-d, and empty."""
    a, b = pair
    rows, columns = (slice(0, 1), slice(None)), (slice(None), slice(0, 1))
    yield "same", both(arrays, a), both(arrays, b)
    yield "broadcast", both(arrays, a, rows), both(arrays, b, columns)
    yield "0-d input", both(arrays, a, (0, 1)), both(arrays, b)
    yield "0-d other", both(arrays, a), both(arrays, b, (0, 2))
    yield "both 0-d", both(arrays, a, (0, 0)), both(arrays, b, (0, 3))
    yield "empty", both(arrays, a, (slice(0, 0), slice(None))), both(arrays, b, rows)
