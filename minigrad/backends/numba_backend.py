"""The Numba backend: NumPy arrays as storage, with the hot ops (activations, batch and
layer norm, softmax, cross entropy, the dropout mask) replaced by fused kernels compiled
by Numba. Every other op runs the NumPy code unchanged."""

import importlib.util

import numpy as np

from minigrad.backends.numpy_backend import NumpyBackend


class NumbaBackend(NumpyBackend):
    """NumPy storage, Numba-compiled fused kernels (compiled on first use, cached on disk)."""

    name = "numba"
    install_hint = "pip install 'minigrad[numba]'"

    def __init__(self):
        super().__init__()
        from minigrad.backends.numba_kernels import fused  # imports numba: only now

        self._loops = fused.loops
        self.kernels = dict(fused.KERNELS)

    @classmethod
    def is_available(cls):
        return importlib.util.find_spec("numba") is not None

    def dropout_mask(self, shape, p, dtype):
        if p == 1:
            return np.zeros(shape, dtype=dtype)
        mask = self.rng.random(shape, dtype=dtype)
        self._loops.dropout_mask(mask.reshape(-1), p, 1.0 / (1.0 - p))
        return mask
