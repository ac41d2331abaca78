"""The NumPy backend: the reference implementation every other backend is checked against."""

import numpy as np

from minigrad.backends import special
from minigrad.backends.base import Backend


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
        return special.erf(np, x).astype(x.dtype, copy=False)

    def new_generator(self, seed):
        return np.random.Generator(np.random.PCG64(seed))

    def get_rng_state(self):
        return self.rng.bit_generator.state

    def set_rng_state(self, state):
        self.rng.bit_generator.state = state
