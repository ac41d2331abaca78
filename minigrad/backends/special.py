"""The error function for array backends without one (NumPy has no ``erf``).

W. J. Cody's rational approximations ("Rational Chebyshev approximations for the error
function", Math. Comp. 23, 1969), the ones behind most C and Fortran libraries, on three
ranges of |x|: erf itself near 0, and erfc = exp(-x^2) R(x) beyond, where erf = 1 - erfc
loses nothing because erfc < 0.51 there. Each range is one ratio of polynomials, so the
whole array costs a few dozen multiply-adds per element and agrees with ``math.erf`` to a
few units in the last place.
"""

import math

# NOTE: coefficients ordered highest power first, as xp.polyval takes them
_NEAR_NUM = (1.85777706184603153e-1, 3.16112374387056560e00, 1.13864154151050156e02,
             3.77485237685302021e02, 3.20937758913846947e03)
_NEAR_DEN = (1.0, 2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
             2.84423683343917062e03)
_MID_NUM = (2.15311535474403846e-8, 5.64188496988670089e-1, 8.88314979438837594e00,
            6.61191906371416295e01, 2.98635138197400131e02, 8.81952221241769090e02,
            1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03)
_MID_DEN = (1.0, 1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
            1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
            3.43936767414372164e03, 1.23033935480374942e03)
_FAR_NUM = (1.63153871373020978e-2, 3.05326634961232344e-1, 3.60344899949804439e-1,
            1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4)
_FAR_DEN = (1.0, 2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
            6.05183413124413191e-2, 2.33520497626869185e-3)
_NEAR_LIMIT, _MID_LIMIT = 0.46875, 4.0
_SATURATION = 6.0  # NOTE: erfc(6) ~ 2e-17 < half an ulp of 1: erf is +-1 beyond
_INV_SQRT_PI = 1.0 / math.sqrt(math.pi)


def _polynomial(xp, coefficients, x):
    """Horner's rule in place: one temporary array, however high the degree."""
    y = x * coefficients[0]
    y += coefficients[1]
    for c in coefficients[2:]:
        y *= x
        y += c
    return y


def erf(xp, x):
    """erf(x) elementwise, computed in ``x``'s precision (float32 for float16 and below).

    NOTE: float32 arithmetic is enough for float32 results (within 4 ulps, as float64's
    are within 4 of theirs) and halves the memory traffic, which is what this costs.
    """
    dtype = xp.float64 if x.dtype == xp.float64 else xp.float32
    x = x.astype(dtype, copy=False)
    a = xp.minimum(xp.abs(x), dtype(_SATURATION))
    square = a * a
    near = _polynomial(xp, _NEAR_NUM, square)
    near /= _polynomial(xp, _NEAR_DEN, square)
    near *= x
    ratio = _polynomial(xp, _MID_NUM, a)
    ratio /= _polynomial(xp, _MID_DEN, a)
    if bool((a > _MID_LIMIT).any()):
        tail = xp.maximum(a, dtype(_MID_LIMIT))  # NOTE: only where a > 4 is this kept
        u = 1.0 / (tail * tail)
        far = (_INV_SQRT_PI - u * _polynomial(xp, _FAR_NUM, u) / _polynomial(xp, _FAR_DEN, u))
        far /= tail
        ratio = xp.where(a > _MID_LIMIT, far, ratio)
    erfc = xp.exp(-square)
    erfc *= ratio
    return xp.where(a <= _NEAR_LIMIT, near, xp.copysign(1.0 - erfc, x))
