"""How minigrad computes in parallel, under PyTorch's names: the threads inside an op
(``set_num_threads``: the BLAS under NumPy's products, through threadpoolctl, and Numba's
thread pool), the inter-op threads (accepted: minigrad runs one op after another), and
deterministic algorithms (``use_deterministic_algorithms``)."""

import importlib
import importlib.util
import os

_num_threads = None  # what set_num_threads set; None: the libraries' own defaults
_num_interop_threads = None
_deterministic = False
_deterministic_warn_only = False


def _check_count(op, n):
    if isinstance(n, bool) or not isinstance(n, int):
        raise RuntimeError(f"{op} expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError(f"{op} expects a positive integer")


def _blas():
    """A threadpoolctl controller of the BLAS libraries loaded in this process."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController().select(user_api="blas")


def set_num_threads(n):
    """Compute each op with ``n`` threads: the BLAS behind NumPy's matmul (through
    threadpoolctl) and, where Numba is installed, Numba's thread pool (``numba.set_num_threads``,
    capped at the ``NUMBA_NUM_THREADS`` it started with)."""
    global _num_threads
    _check_count("set_num_threads", n)
    _blas().limit(limits=n)
    if importlib.util.find_spec("numba") is not None:
        numba = importlib.import_module("numba")
        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    _num_threads = n


def get_num_threads():
    """The number of threads an op uses (an int): what ``set_num_threads`` set, otherwise
    the BLAS's own count (the CPU count where no BLAS is loaded)."""
    if _num_threads is not None:
        return _num_threads
    counts = [info["num_threads"] for info in _blas().info()]
    return max(counts) if counts else os.cpu_count() or 1


def set_num_interop_threads(n):
    """Accepted for PyTorch code that sets it: minigrad runs ops one after another, with no
    inter-op thread pool, so ``n`` is only remembered for ``get_num_interop_threads``."""
    global _num_interop_threads
    _check_count("set_num_interop_threads", n)
    _num_interop_threads = n


def get_num_interop_threads():
    """What ``set_num_interop_threads`` set (the CPU count until then, PyTorch's default)."""
    return _num_interop_threads if _num_interop_threads is not None else os.cpu_count() or 1


def _check_flag(name, value, position=""):
    if not isinstance(value, bool):
        raise TypeError(f"use_deterministic_algorithms(): argument '{name}'{position} must be "
                        f"bool, not {type(value).__name__}")


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Ask for ops that give the same bits on every run with the same inputs.

    Accepted and recorded (``are_deterministic_algorithms_enabled``); nothing changes,
    because on the CPU backends every op is deterministic already: NumPy's and Numba's
    loops, reductions and ``np.add.at`` accumulate in a fixed order (the BLAS, for a fixed
    ``set_num_threads``, too). On the CuPy backend the ops that accumulate through an atomic
    scatter-add may add in a different order from run to run (the same values up to float
    rounding): ``scatter_add`` and the backward of ``gather``, ``index_select``, indexing
    with index tensors, ``embedding``, ``repeat_interleave``, max pooling, adaptive average
    pooling, ``interpolate`` and reflect/replicate padding. Every other op is deterministic
    there too.
    """
    global _deterministic, _deterministic_warn_only
    _check_flag("mode", mode, " (position 1)")
    _check_flag("warn_only", warn_only)
    _deterministic, _deterministic_warn_only = mode, warn_only


def are_deterministic_algorithms_enabled():
    """Whether ``use_deterministic_algorithms(True)`` is in effect."""
    return _deterministic


def is_deterministic_algorithms_warn_only_enabled():
    """Whether it was set with ``warn_only=True``."""
    return _deterministic_warn_only
