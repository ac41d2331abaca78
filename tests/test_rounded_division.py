"""Rounded division against PyTorch: ``//``, ``floor_divide``, ``div(rounding_mode=...)``
and ``%`` on integer and float tensors, with Python numbers on either side, the dtypes they
keep, and their zero gradient."""

import numpy as np
import pytest
from torch_pairs import assert_same, both

import minigrad as mg

torch = pytest.importorskip("torch")

CASES = {
    "int64": (np.array([7, -7, 7, -7, 0, 9]), np.array([2, 2, -2, -2, 3, 3])),
    "float32": (np.array([7.5, -7.5, 3.0, -1.0, 0.25, 9.0], np.float32),
                np.array([2.0, 2.0, -2.0, 3.0, 0.5, -4.0], np.float32)),
}
CALLS = {
    "floordiv_operator": lambda lib, a, b: a // b,
    "floor_divide": lambda lib, a, b: lib.floor_divide(a, b),
    "div_floor": lambda lib, a, b: lib.div(a, b, rounding_mode="floor"),
    "div_trunc": lambda lib, a, b: lib.div(a, b, rounding_mode="trunc"),
    "method_div_trunc": lambda lib, a, b: a.div(b, rounding_mode="trunc"),
    "mod_operator": lambda lib, a, b: a % b,
    "number_floordiv": lambda lib, a, b: 17 // b,
    "floordiv_number": lambda lib, a, b: a // 3,
    "number_mod": lambda lib, a, b: 17 % b,
}


@pytest.mark.parametrize("dtype", list(CASES))
@pytest.mark.parametrize("call", list(CALLS))
def test_rounded_division_matches_torch(call, dtype):
    (a, ta), (b, tb) = both(CASES[dtype][0]), both(CASES[dtype][1])
    mine, theirs = CALLS[call](mg, a, b), CALLS[call](torch, ta, tb)
    # NOTE: compared with == so that trunc's -0.0 (PyTorch) and 0.0 agree, as they should
    assert_same(mine, theirs)


def test_rounded_division_passes_a_zero_gradient():
    x = mg.tensor([3.0, -4.5], requires_grad=True)
    ((x // 2) + mg.div(x, 3.0, rounding_mode="trunc")).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]


def test_an_unknown_rounding_mode_is_refused_as_in_torch():
    with pytest.raises(ValueError, match="rounding_mode"):
        mg.div(mg.tensor([1.0]), 2.0, rounding_mode="round")
