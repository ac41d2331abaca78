"""``detect_anomaly``: find the op where a NaN or inf first appeared.

PyTorch's anomaly mode reports the backward op that produced a non-finite gradient, which is
often far downstream of the cause. Here every forward output is checked as it is computed, so
the error names the first op whose output held a NaN or inf, with its inputs' shapes and the
line of user code that called it; backward is checked too.
"""

import functools
import os
import traceback

from minigrad.autograd.grad_mode import state

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class AnomalyError(RuntimeError):
    """A NaN or inf appeared in a forward output or a backward gradient."""


class detect_anomaly:  # noqa: N801 - PyTorch's name
    """Check every op's output (and every gradient) for NaN/inf while active.

    >>> with mg.autograd.detect_anomaly():
    ...     loss = model(x).log().mean()   # raises AnomalyError naming `log` and this line
    """

    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        self._previous = state.anomaly
        state.anomaly = self.check_nan

    def __exit__(self, *exc_info):
        state.anomaly = self._previous

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return func(*args, **kwargs)

        return wrapper


def is_anomaly_enabled():
    return state.anomaly


def user_call_site():
    """``file:line in function: code`` of the innermost frame outside minigrad."""
    for frame in reversed(traceback.extract_stack()):
        if not os.path.abspath(frame.filename).startswith(_PACKAGE_DIR + os.sep):
            code = f": {frame.line.strip()}" if frame.line else ""
            return f"{frame.filename}:{frame.lineno} in {frame.name}{code}"
    return "<unknown>"


def _non_finite(backend, arrays):
    return [a for a in arrays if a is not None and a.dtype.kind == "f"
            and not backend.all_finite(a)]


def check_forward(ctx, args, out):
    """Raise if this op's output holds a NaN/inf; remember where it was called."""
    ctx.site = user_call_site()
    outputs = out if type(out) is tuple else (out,)
    if not _non_finite(ctx.backend, outputs):
        return
    from minigrad.tensor import Tensor

    inputs = [a for a in args if isinstance(a, Tensor)]
    shapes = ", ".join(str(tuple(t.shape)) for t in inputs) or "none"
    bad_inputs = _non_finite(ctx.backend, [t.data for t in inputs])
    origin = ("its inputs already held NaN/inf" if bad_inputs
              else "its inputs were all finite, so this op is where the NaN/inf arose")
    raise AnomalyError(f"detect_anomaly: {ctx.op_name} produced NaN or inf in its output "
                       f"(inputs of shape {shapes}); {origin}. Called at {ctx.site}")


def check_backward(node, input_grads):
    """Raise if this node's backward returned a NaN/inf gradient."""
    if _non_finite(node.backend, input_grads):
        where = f"; its forward was called at {node.site}" if node.site else ""
        raise AnomalyError(f"detect_anomaly: the backward of {node.op_name} returned a NaN or inf "
                           f"gradient{where}")
