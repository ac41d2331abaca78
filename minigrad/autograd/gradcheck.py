"""``gradcheck``: compare analytic gradients with central finite differences.

With one random cotangent ``v`` per output, the backward pass gives ``v^T J`` for every input
at once; the same row is measured numerically by nudging each input element by ``+-eps`` and
differencing ``<v, f(x)>``. A wrong backward disagrees for almost every ``v``, and the cost is
one backward plus two forwards per input element. ``fast_mode`` also draws a random input
direction ``u`` and compares the single number ``v^T J u`` (two forwards in all).
"""

import warnings
from dataclasses import dataclass

from minigrad.autograd import engine
from minigrad.autograd.grad_mode import no_grad
from minigrad.tensor import Tensor


class GradcheckError(RuntimeError):
    """Analytic and numerical gradients disagree (the message names input and element)."""


@dataclass
class GradcheckReport:
    """What one gradient check found: the worst errors and, on failure, why."""

    passed: bool
    inputs_checked: int
    max_abs_error: float
    max_rel_error: float
    message: str = ""


def gradcheck(fn, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              fast_mode=False, nondet_tol=0.0):
    """Check the gradients of ``fn(*inputs)`` against finite differences.

    Every input tensor with ``requires_grad`` is checked; inputs should be float64 (a
    warning says so otherwise). Returns True, or raises ``GradcheckError`` naming the input,
    the worst element and both values (returns False with ``raise_exception=False``).

    >>> x = mg.randn(3, dtype=mg.float64, requires_grad=True)
    >>> mg.autograd.gradcheck(lambda t: (t * t).sum(), (x,))
    True
    """
    report = check_gradients(fn, inputs, eps=eps, atol=atol, rtol=rtol, fast_mode=fast_mode,
                             nondet_tol=nondet_tol)
    if report.passed:
        return True
    if raise_exception:
        raise GradcheckError(report.message)
    return False


def check_gradients(fn, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, fast_mode=False,
                    nondet_tol=0.0, seed=0):
    """The comparison behind ``gradcheck``, returned as a ``GradcheckReport``."""
    if not nondet_tol >= 0:
        raise ValueError(f"gradcheck: nondet_tol must be a tolerance >= 0, got {nondet_tol}")
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check")
    for i in checked:
        if inputs[i].dtype.name != "float64":
            warnings.warn(f"gradcheck: input {i} is {inputs[i].dtype.name}, not float64; "
                          "finite differences in low precision give loose, unreliable checks",
                          stacklevel=3)
    backend = inputs[checked[0]]._backend
    rng = backend.new_generator(seed)
    xp = backend.xp

    result = fn(*inputs)
    outputs = _float_outputs(result)
    if not outputs:
        raise TypeError(f"gradcheck: fn returned {type(result).__name__}, no floating point "
                        "Tensor (or tuple holding one), so there is nothing to check")
    if not any(o.requires_grad for o in outputs):
        # NOTE: stricter than PyTorch, which passes such a function when its numerical
        # gradient is zero: a check that compares nothing must not pass
        return GradcheckReport(False, len(checked), 0.0, 0.0,
                               "gradcheck: none of the outputs require grad (they do not "
                               "depend on any input that requires grad, or were detached), "
                               "so no gradient would be checked")
    cotangents = [_random_like(rng, xp, out.data) for out in outputs]
    analytic = _vector_jacobian(outputs, cotangents, [inputs[i] for i in checked])
    # NOTE: as PyTorch's gradcheck, a second backward always runs: the two must agree
    # exactly, or within nondet_tol for an op that is known not to be deterministic
    again = _vector_jacobian(_float_outputs(fn(*inputs)), cotangents,
                             [inputs[i] for i in checked])
    drift = max((float(xp.abs(a - b).max()) for a, b in zip(analytic, again) if a.size),
                default=0.0)
    if drift > nondet_tol:
        return GradcheckReport(False, len(checked), drift, float("nan"),
                               f"gradcheck: backward is not deterministic: two runs differ "
                               f"by up to {drift:.3e} (nondet_tol={nondet_tol})")

    def projected(_):
        """<v, f(inputs)> as a Python float, without recording a graph."""
        with no_grad():
            outs = _float_outputs(fn(*inputs))
        return sum(float((v * o.data).sum()) for v, o in zip(cotangents, outs))

    if fast_mode:
        return _check_direction(inputs, checked, analytic, projected, rng, xp, eps, atol, rtol)
    return _check_elements(inputs, checked, analytic, projected, eps, atol, rtol)


def _float_outputs(result):
    outs = result if isinstance(result, (tuple, list)) else (result,)
    return [o for o in outs if isinstance(o, Tensor) and o.data.dtype.kind == "f"]


def _random_like(rng, xp, array):
    return xp.asarray(rng.standard_normal(array.shape)).astype(array.dtype)


def _vector_jacobian(outputs, cotangents, inputs):
    """v^T J for each input (zeros where the outputs do not depend on it)."""
    pairs = [(o, v) for o, v in zip(outputs, cotangents) if o.requires_grad]
    grads = [None] * len(inputs)
    if pairs:
        grads = engine.grad([o for o, _ in pairs], inputs,
                            grad_outputs=[Tensor._make(v, o._backend) for o, v in pairs],
                            retain_graph=False, allow_unused=True)
    return [t._backend.xp.zeros_like(t.data) if g is None else g.data
            for t, g in zip(inputs, grads)]


def _check_elements(inputs, checked, analytic, projected, eps, atol, rtol):
    worst = None  # (excess, message)
    max_abs = max_rel = 0.0
    for position, i in enumerate(checked):
        t = inputs[i]
        original = t.data
        t.data = original.copy()  # C-ordered, so reshape(-1) below is a view
        flat = t.data.reshape(-1)
        numeric = t._backend.xp.zeros(flat.shape, dtype=t.data.dtype)
        try:
            for j in range(flat.size):
                value = flat[j].item()
                flat[j] = value + eps
                plus = projected(None)
                flat[j] = value - eps
                minus = projected(None)
                flat[j] = value
                numeric[j] = (plus - minus) / (2 * eps)
        finally:
            t.data = original
        exact = analytic[position].reshape(-1)
        abs_err = abs(exact - numeric)
        if not abs_err.size:
            continue
        allowed = atol + rtol * abs(numeric)
        excess = abs_err / allowed
        j = int(excess.argmax())
        max_abs = max(max_abs, float(abs_err.max()))
        max_rel = max(max_rel, float((abs_err / (abs(numeric) + atol)).max()))
        if float(excess[j]) > 1 and (worst is None or float(excess[j]) > worst[0]):
            index = tuple(int(k) for k in _unravel(j, original.shape))
            worst = (float(excess[j]),
                     f"gradcheck: gradient mismatch for input {i} (shape "
                     f"{tuple(original.shape)}, {t.dtype.name}) at element {index}: analytic "
                     f"{float(exact[j]):.6g} vs numerical {float(numeric[j]):.6g} (abs error "
                     f"{float(abs_err[j]):.3e}, allowed {float(allowed[j]):.3e} = atol {atol} + "
                     f"rtol {rtol} * |numerical|)")
    if worst is not None:
        return GradcheckReport(False, len(checked), max_abs, max_rel, worst[1])
    return GradcheckReport(True, len(checked), max_abs, max_rel)


def _check_direction(inputs, checked, analytic, projected, rng, xp, eps, atol, rtol):
    directions = [_random_like(rng, xp, inputs[i].data) for i in checked]
    originals = [inputs[i].data for i in checked]

    def shifted(step):
        for i, original, u in zip(checked, originals, directions):
            inputs[i].data = original + step * u
        return projected(None)

    try:
        numeric = (shifted(eps) - shifted(-eps)) / (2 * eps)
    finally:
        for i, original in zip(checked, originals):
            inputs[i].data = original
    exact = sum(float((a * u).sum()) for a, u in zip(analytic, directions))
    abs_err = abs(exact - numeric)
    rel_err = abs_err / (abs(numeric) + atol)
    if abs_err > atol + rtol * abs(numeric):
        return GradcheckReport(False, len(checked), abs_err, rel_err,
                               f"gradcheck (fast mode): the directional derivative v^T J u is "
                               f"{exact:.6g} analytically but {numeric:.6g} numerically (abs "
                               f"error {abs_err:.3e}) over inputs {checked}")
    return GradcheckReport(True, len(checked), abs_err, rel_err)


def _unravel(flat_index, shape):
    index = []
    for n in reversed(shape):
        index.append(flat_index % n)
        flat_index //= n
    return tuple(reversed(index))
