"""The Numba backend: NumPy arrays as storage, with the hot ops (activations, batch and
layer norm, softmax, cross entropy, the dropout mask) replaced by fused kernels compiled
by Numba. Every other op runs the NumPy code unchanged."""

import importlib.util
import os

import numpy as np

from minigrad.backends.numpy_backend import NumpyBackend


class NumbaBackend(NumpyBackend):
    """NumPy storage, Numba-compiled fused kernels (compiled on first use, cached on disk)."""

    name = "numba"
    install_hint = "pip install 'minigrad[numba]'"

    def __init__(self):
        super().__init__()
        import numba

        # NOTE: Numba's default OpenMP pool spins while it waits; on a small shared machine
        # its threads fight BLAS's and other processes' for the cores (measured here: 5x
        # slower layers). The work-queue pool sleeps instead. An explicit choice by the
        # user (NUMBA_THREADING_LAYER) wins.
        if "NUMBA_THREADING_LAYER" not in os.environ:
            numba.config.THREADING_LAYER = "workqueue"
        from minigrad.backends.numba_kernels import fused

        self._loops = fused.loops
        self.kernels = dict(fused.KERNELS)
        self.routines = dict(fused.ROUTINES)

    @classmethod
    def is_available(cls):
        return importlib.util.find_spec("numba") is not None

    def dropout_mask(self, shape, p, dtype):
        if p == 1:
            return np.zeros(shape, dtype=dtype)
        mask = self.rng.random(shape, dtype=dtype)
        self._loops.dropout_mask(mask.reshape(-1), p, 1.0 / (1.0 - p))
        return mask
