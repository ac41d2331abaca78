"""``Generator``: a stream of random numbers of its own, as ``torch.Generator``.

Every minigrad random number comes from NumPy's PCG64 on the host (the CuPy backend draws
there too and copies), so a ``Generator`` holds one host generator made by the backend
layer. Pass it as ``generator=`` to ``mg.rand``, ``mg.randn`` and the other samplers
(``randint``, ``randperm``, ``normal``, ``bernoulli``, ``multinomial``), the in-place fills
(``normal_``, ``uniform_``, ``bernoulli_``), ``nn.init``, the data samplers, ``random_split``
or the ``DataLoader``: its numbers repeat with its seed and no other draw disturbs them.
A seed gives a Generator the numbers ``mg.manual_seed`` with that seed gives the shared
generator.
"""

import secrets

from minigrad.backends import device_of, get_backend
from minigrad.backends.base import SEED_BITS, checked_seed

_DEFAULT_SEED = 67280421310721  # NOTE: PyTorch's: a new Generator repeats until it is reseeded


class Generator:
    """An independent random-number generator, as ``torch.Generator(device="cpu")``.

    >>> g = mg.Generator().manual_seed(0)
    >>> mg.rand(3, generator=g)   # the same three numbers on every run

    ``get_state()`` is a dict of plain numbers and strings, so ``mg.save`` can store it and
    ``set_state`` resumes the stream exactly where it was.
    """

    def __init__(self, device="cpu"):
        self.device = device_of(get_backend(device))  # "cuda" raises where CuPy is missing
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed):
        """Restart the stream from ``seed``; returns the generator itself."""
        self._initial_seed = checked_seed(seed)
        # NOTE: every backend draws on the host from NumPy's generator, so the NumPy
        # backend's generator serves every device
        self._host = get_backend("numpy").new_generator(self._initial_seed)
        return self

    def seed(self):
        """Reseed from the operating system's entropy (not repeatable); returns the seed."""
        seed = secrets.randbits(SEED_BITS)
        self.manual_seed(seed)
        return seed

    def initial_seed(self):
        """The seed the stream started from (``manual_seed``'s, ``seed()``'s or the default)."""
        return self._initial_seed

    def get_state(self):
        """The generator's position: ``{"initial_seed": int, "bit_generator": dict}``."""
        return {"initial_seed": self._initial_seed,
                "bit_generator": self._host.bit_generator.state}

    def set_state(self, new_state):
        """Return to a position ``get_state`` returned; returns the generator itself."""
        if not isinstance(new_state, dict) or set(new_state) != {"initial_seed",
                                                                 "bit_generator"}:
            raise TypeError("Generator.set_state: expected a state returned by "
                            f"Generator.get_state(), but got {type(new_state).__name__}")
        self._host.bit_generator.state = new_state["bit_generator"]
        self._initial_seed = checked_seed(new_state["initial_seed"])
        return self


def host_generator(generator, op, backend=None):
    """The host generator that ``generator`` draws with, for a tensor on ``backend`` (for
    host work, like a sampler's indices, when ``None``). As in PyTorch, the generator's
    device must be where the numbers go."""
    if not isinstance(generator, Generator):
        raise TypeError(f"{op}: generator must be a minigrad Generator, got "
                        f"{type(generator).__name__}")
    wanted = "cpu" if backend is None else device_of(backend).type
    if generator.device.type != wanted:
        raise RuntimeError(f"{op}: expected a '{wanted}' device type for generator but found "
                           f"'{generator.device.type}'")
    return generator._host


def draw_seed():
    """A seed drawn from the default backend's shared generator, so ``mg.manual_seed``
    makes whatever it seeds repeat."""
    return int(get_backend().rng.integers(2 ** 63))


def generator_or_default(generator):
    """``generator``, or when ``None`` a fresh one seeded by ``draw_seed()``: what PyTorch's
    samplers do when no generator is given."""
    return Generator().manual_seed(draw_seed()) if generator is None else generator


def draw(op, backend, generator, method, *args, **kwargs):
    """The draws of ``method`` (a NumPy ``Generator`` method: ``"random"``, ``"normal"``...)
    as an array on ``backend``: from ``generator``'s stream, or from the backend's shared
    generator when ``None``."""
    if generator is None:
        return getattr(backend.rng, method)(*args, **kwargs)
    host = host_generator(generator, op, backend)
    return backend.asarray(getattr(host, method)(*args, **kwargs))


def require_float(op, dtype):
    """``dtype`` when it is a floating-point DType; PyTorch's NotImplementedError else."""
    if not dtype.is_floating_point:
        raise NotImplementedError(f"{op}: draws floating-point values, so it needs a float "
                                  f"dtype, not {dtype.name}")
    return dtype


def check_std(op, std):
    """PyTorch's check of a normal distribution's float ``std``."""
    if std < 0:
        raise RuntimeError(f"{op}: expects std >= 0.0, but found std {std}")


def check_probabilities(op, p):
    """PyTorch's check that probabilities ``p`` (a number or a backend array) lie in [0, 1];
    a NaN fails it too."""
    if isinstance(p, (int, float)):
        if not 0 <= p <= 1:
            raise RuntimeError(f"{op}: expects p to be in [0, 1], but got p={p}")
    elif not bool(((p >= 0) & (p <= 1)).all()):
        raise RuntimeError(f"{op}: expects every probability to be in [0, 1] (p of shape "
                           f"{tuple(p.shape)})")
