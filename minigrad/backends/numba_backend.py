"""The Numba backend: NumPy arrays as storage, with the hot ops (activations, batch and
layer norm, softmax, cross entropy, the dropout mask) replaced by fused kernels compiled
by Numba. Every other op runs the NumPy code unchanged."""

import importlib.util
import math
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
        """The mask in one compiled pass of a counter-based generator (SplitMix64) whose key
        is one draw from the shared generator: seeded and checkpointed like every other
        draw, 4x faster than NumPy's uniforms (the masks differ from the NumPy backend's)."""
        mask = np.empty(shape, dtype=dtype)
        key = self.rng.integers(0, 2**64, dtype=np.uint64)
        threshold = np.uint64(math.ceil(p * 2**24))
        self._loops.dropout_mask(key, threshold, mask.dtype.type(1.0 / (1.0 - p)) if p < 1
                                 else mask.dtype.type(0), mask.reshape(-1))
        return mask
