"""The backend interface: everything an op may ask of an array library.

Ops see a backend through ``ctx.xp`` (its NumPy-compatible array namespace) and ``ctx.backend``
(this object) for the few things the namespaces do not share: conversion to and from host
memory, scatter-add, special functions, the seeded random generator, and fused kernels.
A new backend subclasses ``Backend`` and fills in these methods; nothing else in minigrad
names an array library.
"""

import operator

from minigrad.backends.printing import format_array

SEED_BITS = 64


def checked_seed(seed):
    """``seed`` as PyTorch takes it: an int in [-2**63, 2**64), negatives wrapped to 64 bits
    (``manual_seed(-1)`` is seed 2**64 - 1)."""
    if isinstance(seed, bool) or not hasattr(type(seed), "__index__"):
        raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
    seed = operator.index(seed)
    if not -2 ** (SEED_BITS - 1) <= seed < 2 ** SEED_BITS:
        raise ValueError(f"manual_seed: seed {seed} is outside [-2**63, 2**64)")
    return seed % 2 ** SEED_BITS


class Backend:
    """One array library that tensors can live on."""

    name = "abstract"
    install_hint = ""

    def __init__(self, xp):
        self.xp = xp
        self.kernels = {}  # op name -> fused implementation; empty means "use the generic op"
        # name -> compiled routine outside the graph ("sgd_step", "sum_of_squares"); the
        # optimizers and clipping run their generic array code for a name not here
        self.routines = {}
        self.rng = self.new_generator(None)

    def __repr__(self):
        return f"<minigrad backend {self.name!r}>"

    @classmethod
    def is_available(cls):
        """Whether the library (and, for GPUs, a device) can be used on this machine."""
        raise NotImplementedError

    def asarray(self, data, dtype=None, copy=False):
        """A backend array from ``data`` (a nested list, scalar or any array-like)."""
        raise NotImplementedError

    def is_array(self, obj):
        """Whether ``obj`` is this backend's array type (or one of its array scalars)."""
        raise NotImplementedError

    def ensure_array(self, value):
        """``value`` as a proper array (array scalars become 0-d arrays)."""
        raise NotImplementedError

    def from_dlpack(self, obj):
        """A backend array sharing memory with ``obj`` (anything with ``__dlpack__``)."""
        return self.xp.from_dlpack(obj)

    def to_numpy(self, array):
        """A NumPy array with the same contents (a host copy for device backends)."""
        raise NotImplementedError

    def format(self, array, prefix):
        """The array's values as PyTorch prints them (``mg.set_printoptions``), continuation
        lines indented by the width of ``prefix``."""
        return format_array(self.to_numpy(array), len(prefix))

    def scatter_add(self, target, index, values):
        """``target[index] += values`` where repeated indices accumulate (in place)."""
        raise NotImplementedError

    def erf(self, x):
        """The error function, elementwise, in ``x``'s dtype."""
        raise NotImplementedError

    def dropout_mask(self, shape, p, dtype):
        """Keep each element with probability 1 - p, scaled by 1/(1 - p); zeros for p = 1.
        Drawn from the shared generator, so ``mg.manual_seed`` makes it repeat."""
        if p == 1:
            return self.xp.zeros(shape, dtype=dtype)
        keep = self.rng.random(shape, dtype=dtype) >= p
        return keep.astype(dtype) * (1.0 / (1.0 - p))

    def all_finite(self, array):
        """True when no element is NaN or infinite (a host bool)."""
        return bool(self.xp.isfinite(array).all())

    def new_generator(self, seed):
        """An independent random generator with NumPy's ``Generator`` methods."""
        raise NotImplementedError

    def manual_seed(self, seed):
        """Reseed the backend's shared generator (what ``mg.manual_seed`` calls)."""
        self.rng = self.new_generator(checked_seed(seed))

    def get_rng_state(self):
        """The shared generator's state as plain numbers and strings (for checkpoints)."""
        raise NotImplementedError

    def set_rng_state(self, state):
        """Restore a state returned by ``get_rng_state``."""
        raise NotImplementedError
