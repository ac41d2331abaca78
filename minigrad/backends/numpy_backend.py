"""The NumPy backend: the reference implementation every other backend is checked against."""

import math

import numpy as np

from minigrad.backends.base import Backend

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_ERF_SATURATION = 6.0  # NOTE: erfc(6) ~ 2e-17, so erf is +-1 in float64 beyond this point


class NumpyBackend(Backend):
    """Tensors stored as ``numpy.ndarray`` on the host."""

    name = "numpy"
    install_hint = "pip install numpy"

    def __init__(self):
        super().__init__(np)

    @classmethod
    def is_available(cls):
        return True

    def asarray(self, data, dtype=None, copy=False):
        if copy:
            return np.array(data, dtype=dtype, copy=True)
        return np.asarray(data, dtype=dtype)

    def is_array(self, obj):
        return isinstance(obj, (np.ndarray, np.generic))

    def ensure_array(self, value):
        return value if type(value) is np.ndarray else np.asarray(value)

    def to_numpy(self, array):
        return np.asarray(array)

    def scatter_add(self, target, index, values):
        np.add.at(target, index, values)

    def erf(self, x):
        """erf via Kummer's series, which has only positive terms (no cancellation).

        erf(x) = 2x/sqrt(pi) * exp(-x^2) * sum_n (2x^2)^n / (1*3*...*(2n+1)).
        Terms are added until none changes any element's sum, so float64 results agree with
        ``math.erf`` to a few ulps; |x| >= 6 saturates to +-1.
        """
        a = np.minimum(np.abs(x), _ERF_SATURATION).astype(np.float64)
        two_a2 = 2.0 * a * a
        term = np.ones_like(a)
        total = np.ones_like(a)
        n = 0
        while True:
            n += 1
            term = term * two_a2 / (2 * n + 1)
            total += term
            if not (term > total * 1e-17).any():
                break
        result = np.sign(x) * _TWO_OVER_SQRT_PI * a * np.exp(-a * a) * total
        return np.minimum(result, 1.0).astype(x.dtype, copy=False)

    def new_generator(self, seed):
        return np.random.Generator(np.random.PCG64(seed))

    def get_rng_state(self):
        return self.rng.bit_generator.state

    def set_rng_state(self, state):
        self.rng.bit_generator.state = state
