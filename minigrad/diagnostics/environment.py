"""What a run's numbers depend on besides its code and seed, in a few printable lines.

Chaotic training runs (an exploding RNN, a high learning rate) amplify the last bit of
every sum, and the order of a BLAS library's sums depends on the kernel it picked for the
CPU (``OPENBLAS_CORETYPE`` forces one) and on its thread count. A notebook that prints this
first tells its reader which of those it ran on.
"""

import os
import platform


def _blas_lines():
    from threadpoolctl import threadpool_info

    lines = []
    for pool in threadpool_info():
        if pool.get("user_api") != "blas":
            continue
        kernel = pool.get("architecture") or "unknown"
        lines.append(f"BLAS: {pool.get('internal_api')} {pool.get('version')}, {kernel} kernel, "
                     f"{pool.get('num_threads')} thread(s)")
    return lines or ["BLAS: none loaded yet"]


def environment():
    """The library versions, default backend, BLAS kernel and thread count, as text."""
    import minigrad as mg

    numpy = mg.backends.get_backend("numpy").xp
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    lines = [f"minigrad {mg.__version__} on Python {platform.python_version()}, "
             f"NumPy {numpy.__version__}, backend {mg.backends.get_default_backend()}, "
             f"{platform.machine()}",
             *_blas_lines(),
             f"OPENBLAS_CORETYPE={coretype}" if coretype else "OPENBLAS_CORETYPE not set "
             "(OpenBLAS picks the kernel for this CPU)"]
    return "\n".join(lines)
