"""The CuPy backend: tensors in GPU memory, the generic ops running as CuPy kernels, and the
activations and the dropout mask fused into single ``ElementwiseKernel`` launches.

Random numbers are drawn on the host by the same NumPy generator the NumPy backend uses and
copied over, so a seed gives the same weights and masks on every backend and the random
state can be saved in a checkpoint. CuPy is imported only when this backend is used; with
no CuPy or no GPU, ``available_backends()`` leaves it out.
"""

import importlib.util

import numpy as np

from minigrad.backends.base import Backend
from minigrad.backends.cupy_kernels import KERNEL_CLASSES, routines


class _DeviceGenerator:
    """NumPy's generator on the host, handing out device arrays."""

    def __init__(self, host, cupy):
        self.host, self.cupy = host, cupy

    def __getattr__(self, name):
        method = getattr(self.host, name)

        def draw(*args, **kwargs):
            return self.cupy.asarray(method(*args, **kwargs))
        return draw


class CupyBackend(Backend):
    """Tensors stored as ``cupy.ndarray`` on the current GPU."""

    name = "cupy"
    install_hint = "pip install 'minigrad[cupy]' (and a CUDA GPU)"

    def __init__(self):
        import cupy
        import cupyx
        import cupyx.scipy.special

        self._cupy, self._cupyx = cupy, cupyx
        super().__init__(cupy)
        for kernel in KERNEL_CLASSES.values():
            kernel.compile(cupy)
        self.kernels = dict(KERNEL_CLASSES)
        self.routines = routines(cupy)
        self._erf = cupyx.scipy.special.erf
        self._mask_kernel = cupy.ElementwiseKernel(
            "T u, float64 p, float64 scale", "T mask", "mask = u >= (T)p ? (T)scale : (T)0",
            "minigrad_dropout_mask")

    @classmethod
    def is_available(cls):
        if importlib.util.find_spec("cupy") is None:
            return False
        try:
            import cupy

            return cupy.cuda.runtime.getDeviceCount() > 0
        except Exception:  # no driver, no device: not usable here
            return False

    def asarray(self, data, dtype=None, copy=False):
        if copy:
            return self._cupy.array(data, dtype=dtype, copy=True)
        return self._cupy.asarray(data, dtype=dtype)

    def is_array(self, obj):
        return isinstance(obj, self._cupy.ndarray)

    def ensure_array(self, value):
        return value if isinstance(value, self._cupy.ndarray) else self._cupy.asarray(value)

    def to_numpy(self, array):
        return self._cupy.asnumpy(array)

    def scatter_add(self, target, index, values):
        self._cupyx.scatter_add(target, index, values)

    def erf(self, x):
        return self._erf(x)

    def dropout_mask(self, shape, p, dtype):
        if p == 1:
            return self._cupy.zeros(shape, dtype=dtype)
        draws = self.rng.random(shape, dtype=dtype)
        return self._mask_kernel(draws, p, 1.0 / (1.0 - p))

    def new_generator(self, seed):
        import cupy

        return _DeviceGenerator(np.random.Generator(np.random.PCG64(seed)), cupy)

    def get_rng_state(self):
        return self.rng.host.bit_generator.state

    def set_rng_state(self, state):
        self.rng.host.bit_generator.state = state
