"""Numerical stability of every registered op (issue 15): each sample's float arguments
scaled by 1e4 and by 1e30, and with +inf and -inf written into them, on every backend, in
float64.

Forward: where the op's float64 reference (its formula, written in NumPy) is finite, the
result is close to it; where the reference is infinite, the result is the same infinity;
where it is NaN, NaN is allowed (and only there). An op may instead refuse an input
outside its domain, where its reference is NaN (binary_cross_entropy of input outside
[0, 1] raises, as PyTorch's does). Backward: every gradient is close to PyTorch's float64
gradient wherever that is finite.

``EXCLUDED`` lists, per op, the stress and the check left out with the reason: where the
reference takes a limit that PyTorch's own formula does not (minigrad then computes what
PyTorch computes, which ``test_excluded_forwards_are_pytorchs`` holds), or a known gap.
"""

import zlib

import numpy as np
import pytest

import minigrad as mg
from minigrad.testing.gradcheck_sweep import make_args, samples_of
from minigrad.testing.op_db import OP_DB, OPS_BY_NAME, SampleInput

STRESSES = ("scaled_1e4", "scaled_1e30", "with_inf")
RTOL = 1e-6
_INF_MINUS_INF = ("the reference takes the limit where PyTorch's formula, and minigrad's, "
                  "meets inf - inf or 0 * inf and gives NaN")
EXCLUDED = {  # op: (stress, check, reason)
    "hardswish": ("with_inf", "forward",
                  "x relu6(x + 3) / 6 at x = -inf is -inf * 0: NaN in PyTorch; the "
                  "reference's pieces give 0"),
    "lerp": ("with_inf", "forward",
             "input + weight (end - input) at an infinite input is inf - inf: NaN in "
             "PyTorch; the reference's two-sided form gives inf"),
    "binary_cross_entropy_with_logits": ("with_inf", "forward", _INF_MINUS_INF),
    "kl_div": ("with_inf", "forward", _INF_MINUS_INF),
    "scaled_dot_product_attention": (
        "with_inf", "forward",
        "+inf in a float mask makes a row's softmax inf / inf: NaN in PyTorch; the "
        "reference drops non-finite scores"),
    "gaussian_nll_loss": ("with_inf", "both",
                          "var = -inf raises ValueError, as PyTorch; the reference clamps var"),
    "lstm_cell_state": (
        "with_inf", "gradients",
        "h' is unused and the engine hands LSTMCellStep a zero gradient for it, which "
        "meets the NaN gates of an infinite input as 0 * NaN; PyTorch skips an unused "
        "output (a known gap of multi-output ops, not of the LSTM's math)"),
}
FORWARD_INFOS = [pytest.param(info, id=info.name) for info in OP_DB]
TORCH_INFOS = [pytest.param(info, id=info.name) for info in OP_DB if info.torch_op is not None]


def _is_float_array(value):
    return isinstance(value, np.ndarray) and value.dtype.kind == "f"


def _stress(array, stress, position):
    """``array`` scaled, or with +inf and -inf written in: at entries that move with the
    argument's ``position``, so two operands' infinities mostly meet finite numbers (and
    one-element operands alternate, +inf at even positions, -inf at odd ones)."""
    if stress == "scaled_1e4":  # NOTE: asarray: a 0-d array times a number is a NumPy scalar
        return np.asarray(array * 1e4)
    if stress == "scaled_1e30":
        return np.asarray(array * 1e30)
    stressed = array.copy()
    flat = stressed.reshape(-1)  # NOTE: a view: writes land in ``stressed``
    if flat.size == 1:
        flat[0] = -np.inf if position % 2 else np.inf
    if flat.size > 1:
        flat[position % flat.size] = np.inf
        flat[(position + flat.size // 2) % flat.size] = -np.inf
    return stressed


def _stressed(sample, stress):
    """The sample with each float argument that carries a gradient stressed; frozen ones
    (class weights, masks, labels) stay as they are."""
    args = tuple(_stress(a, stress, i) if _is_float_array(a) and i not in sample.frozen else a
                 for i, a in enumerate(sample.args))
    return SampleInput(args, sample.kwargs, f"{sample.name}-{stress}", sample.frozen)


def _excluded(name, stress, check):
    excluded_stress, excluded_check, _ = EXCLUDED.get(name, (None, None, None))
    return stress == excluded_stress and excluded_check in (check, "both")


def _cases(info, check):
    return [_stressed(sample, stress) for sample in samples_of(info) for stress in STRESSES
            if not _excluded(info.name, stress, check)]


def _reference(info, sample):
    with np.errstate(all="ignore"):
        return np.asarray(info.ref(np, *sample.args, **sample.kwargs), dtype=np.float64)


def _largest(array):
    """The largest magnitude among the finite entries of ``array`` (0 if none)."""
    array = np.asarray(array)
    return float(np.abs(array[np.isfinite(array)]).max(initial=0.0))


def _wrong(actual, expected, unit=0.0):
    """Where ``actual`` misses ``expected``: not close where expected is finite (to RTOL of
    its own size, of its largest entry or of ``unit``), not the same infinity where it is
    infinite; anything matches a NaN."""
    scale = max(_largest(expected), unit)
    close = np.isclose(actual, expected, rtol=RTOL, atol=RTOL * scale)
    return (np.isfinite(expected) & ~close) | (np.isinf(expected) & (actual != expected))


def _mismatch(actual, expected, unit=0.0):
    """Why ``actual`` does not match ``expected`` (None if it does; see ``_wrong``)."""
    if actual.shape != expected.shape:
        return f"shape {actual.shape}, expected {expected.shape}"
    wrong = _wrong(actual, expected, unit)
    if not wrong.any():
        return None
    where = tuple(int(i) for i in np.argwhere(wrong)[0])
    return (f"{wrong.sum()} of {wrong.size} wrong, e.g. at {where}: {actual[where]!r}, "
            f"expected {expected[where]!r}")


def _failures(info, check_name, check):
    """``check(sample)`` for every stressed sample: the messages of those that fail."""
    found = []
    for sample in _cases(info, check_name):
        problem = check(sample)
        if problem:
            found.append(f"{sample.name}: {problem}")
    return found


def _run(info, sample, args):
    """The op's output on ``args``, or None where it refuses an input outside its domain
    (its reference is NaN there)."""
    try:
        with np.errstate(all="ignore"):
            return info.op(*args, **sample.kwargs)
    except (ValueError, RuntimeError):
        if np.isnan(_reference(info, sample)).any():
            return None
        raise


@pytest.mark.parametrize("info", FORWARD_INFOS)
def test_forward_matches_the_reference_at_extreme_inputs(info, backend):
    def check(sample):
        out = _run(info, sample, make_args(sample, backend, requires_grad=False))
        return out is not None and _mismatch(out.numpy(), _reference(info, sample))
    failures = _failures(info, "forward", check)
    assert not failures, f"{info.name} on {backend}:\n" + "\n".join(failures)


def _torch_args(torch, sample):
    def convert(position, value):
        if _is_float_array(value):
            return torch.tensor(value, requires_grad=position not in sample.frozen)
        return torch.tensor(value) if isinstance(value, np.ndarray) else value
    return [convert(i, a) for i, a in enumerate(sample.args)]


def _torch_grads(torch, info, sample, cotangent):
    args = _torch_args(torch, sample)
    out = info.torch_op(torch, *args, **sample.kwargs)
    out.backward(torch.tensor(cotangent))
    return [None if a.grad is None else a.grad.numpy() for a in args
            if isinstance(a, torch.Tensor) and a.requires_grad]


def _gradient_unit(cotangent, out, inputs):
    """What a gradient's rounding is measured against besides its own size: the cotangent
    times the output's size over the inputs' (a derivative's units). Where the true
    gradient is far smaller, float64 keeps no digit of it in either library (PyTorch's
    softsign at |x| = 1e30 gives 1e-46, where 1 / (1 + |x|)^2 is 1e-60)."""
    inputs_size = max([_largest(x.numpy()) for x in inputs], default=0.0)
    if not inputs_size:
        return 0.0
    return _largest(cotangent) * _largest(out.numpy()) / inputs_size


@pytest.mark.parametrize("info", TORCH_INFOS)
def test_gradients_match_torch_at_extreme_inputs(info, backend):
    torch = pytest.importorskip("torch")

    def check(sample):
        args = make_args(sample, backend)
        out = _run(info, sample, args)
        if out is None:
            return None
        cotangent = np.random.default_rng(zlib.crc32(sample.name.encode())).standard_normal(
            out.shape)
        with np.errstate(all="ignore"):
            out.backward(mg.tensor(cotangent, dtype=mg.float64))
            expected = _torch_grads(torch, info, sample, cotangent)
        inputs = [a for a in args if isinstance(a, mg.Tensor) and a.requires_grad]
        unit = _gradient_unit(cotangent, out, inputs)
        problems = []
        for position, (x, theirs) in enumerate(zip(inputs, expected)):
            ours = np.zeros(x.shape) if x.grad is None else x.grad.numpy()
            theirs = np.zeros(x.shape) if theirs is None else theirs
            finite = np.isfinite(theirs)
            problem = _mismatch(np.where(finite, ours, 0.0), np.where(finite, theirs, 0.0), unit)
            if problem:
                problems.append(f"gradient of input {position}: {problem}")
        return "; ".join(problems)
    failures = _failures(info, "gradients", check)
    assert not failures, f"{info.name} on {backend}:\n" + "\n".join(failures)


FORWARD_EXCLUSIONS = [pytest.param(name, id=name) for name, (_, check, _) in EXCLUDED.items()
                      if check in ("forward", "both")]


def _outcome(run, *args):
    """``run(*args)``, or the ValueError or RuntimeError it raises."""
    try:
        with np.errstate(all="ignore"):
            return run(*args)
    except (ValueError, RuntimeError) as err:
        return err


def _minigrad_forward(info, sample, backend):
    return info.op(*make_args(sample, backend, requires_grad=False), **sample.kwargs).numpy()


def _torch_forward(torch, info, sample):
    return info.torch_op(torch, *_torch_args(torch, sample), **sample.kwargs).detach().numpy()


@pytest.mark.parametrize("name", FORWARD_EXCLUSIONS)
def test_excluded_forwards_are_pytorchs(name, backend):
    """Where an excluded forward departs from the reference it computes what PyTorch does
    (the same numbers, NaN where PyTorch's is NaN), or raises the same kind of error."""
    torch = pytest.importorskip("torch")
    info = OPS_BY_NAME[name]
    stress = EXCLUDED[name][0]
    for sample in samples_of(info):
        stressed = _stressed(sample, stress)
        ours = _outcome(_minigrad_forward, info, stressed, backend)
        theirs = _outcome(_torch_forward, torch, info, stressed)
        what = f"{name} {stressed.name}: {ours!r}, PyTorch {theirs!r}"
        if isinstance(theirs, np.ndarray):
            assert isinstance(ours, np.ndarray), what
            departs = _wrong(ours, _reference(info, stressed))
            np.testing.assert_allclose(ours[departs], theirs[departs], rtol=1e-12,
                                       equal_nan=True, err_msg=what)
        else:
            kind = ValueError if isinstance(theirs, ValueError) else RuntimeError
            assert isinstance(ours, kind), what


def test_exclusions_name_registered_ops_and_stresses():
    for name, (stress, check, reason) in EXCLUDED.items():
        assert name in OPS_BY_NAME and stress in STRESSES, name
        assert check in ("forward", "gradients", "both") and reason, name
