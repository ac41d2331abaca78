"""The backends' error function (minigrad.backends.special): Cody's rational approximations
agree with the C library's erf to a few units in the last place on every range, keep the
dtype, and handle signed zeros, infinities and NaN."""

import math

import numpy as np
import pytest

from minigrad.backends import special


def _ulps(got, want, dtype):
    return np.abs(got - want) / np.spacing(np.abs(want).astype(dtype)).astype(np.float64)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_erf_within_a_few_ulps_of_the_c_library_on_every_range(dtype):
    # NOTE: the grid straddles the range boundaries 0.46875 and 4 and the saturation at 6
    x = np.concatenate([np.linspace(-7, 7, 20001), [0.46875, -0.46875, 4.0, -4.0, 5.9, 1e-30]])
    x = x.astype(dtype)
    want = np.array([math.erf(v) for v in x.astype(np.float64)])
    got = special.erf(np, x)
    assert got.dtype == dtype
    nonzero = want != 0
    assert _ulps(got.astype(np.float64), want, dtype)[nonzero].max() <= 8


def test_erf_of_special_values():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e300, -1e300])
    got = special.erf(np, x)
    assert np.array_equal(got[:4], [0.0, -0.0, 1.0, -1.0])
    assert np.signbit(got[1]) and np.isnan(got[4])
    assert np.array_equal(got[5:], [1.0, -1.0])


def test_erf_computes_half_precision_in_single():
    x = np.linspace(-3, 3, 101).astype(np.float16)
    got = special.erf(np, x)
    assert got.dtype == np.float32  # the backend casts back to the input's dtype
    want = np.array([math.erf(v) for v in x.astype(np.float64)])
    assert np.allclose(got, want, rtol=1e-6, atol=1e-7)
