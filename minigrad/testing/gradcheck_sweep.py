"""Sweeps over the op registry: turn samples into tensors and gradcheck every op on every
backend. Used by the test suite and by ``python -m minigrad gradcheck``."""

import warnings
from dataclasses import dataclass

import minigrad as mg
from minigrad.autograd.gradcheck import check_gradients
from minigrad.backends import available_backends, get_backend
from minigrad.testing.op_db import OP_DB, SampleMaker


@dataclass
class SweepRow:
    """One op on one backend: how many samples and inputs were checked, the worst errors."""

    op: str
    backend: str
    samples: int
    inputs_checked: int
    max_abs_error: float
    max_rel_error: float
    passed: bool
    failure: str = ""


def samples_of(info, seed=0):
    """The op's sample inputs as float64 host arrays, the same for every run with ``seed``."""
    host = get_backend("numpy")
    return info.samples(SampleMaker(info.domain, host.new_generator(seed), host.xp))


def _is_array(value):
    return hasattr(value, "dtype") and hasattr(value, "shape")


def make_args(sample, backend="numpy", dtype=mg.float64, requires_grad=True):
    """Tensors for a sample: float arrays in ``dtype`` (requiring grad), others as they are."""
    def convert(position, value):
        if not _is_array(value):
            return value
        if value.dtype.kind == "f":
            grad = requires_grad and position not in sample.frozen
            return mg.tensor(value, dtype=dtype, requires_grad=grad, backend=backend)
        return mg.tensor(value, backend=backend)
    return tuple(convert(i, a) for i, a in enumerate(sample.args))


def bind_kwargs(op, kwargs):
    """``op`` with a sample's keyword arguments fixed, taking only the tensors."""
    return lambda *tensors: op(*tensors, **kwargs)


def reference_output(info, sample):
    """The op's float64 reference result for a sample, on the host."""
    return info.ref(get_backend("numpy").xp, *sample.args, **sample.kwargs)


def gradcheck_op(info, backend="numpy", eps=1e-6, atol=1e-5, rtol=1e-3):
    """Gradcheck every sample of one op on one backend, in float64."""
    row = SweepRow(info.name, backend, 0, 0, 0.0, 0.0, True)
    for sample in samples_of(info):
        args = make_args(sample, backend)
        if not any(isinstance(a, mg.Tensor) and a.requires_grad for a in args):
            continue
        with warnings.catch_warnings():
            # NOTE: some samples take a path PyTorch warns about on purpose (a loss's target
            # broadcast against its input, kl_div's 'mean'); the check is of the gradient
            warnings.simplefilter("ignore", UserWarning)
            report = check_gradients(bind_kwargs(info.op, sample.kwargs), args,
                                     eps=eps, atol=atol, rtol=rtol)
        row.samples += 1
        row.inputs_checked += report.inputs_checked
        row.max_abs_error = max(row.max_abs_error, report.max_abs_error)
        row.max_rel_error = max(row.max_rel_error, report.max_rel_error)
        if not report.passed and row.passed:
            row.passed = False
            row.failure = f"sample {sample.name!r}: {report.message}"
    return row


def gradcheck_sweep(op_names=None, backends=None):
    """Rows of ``gradcheck_op`` for the named ops (all) on the named backends (all usable)."""
    infos = [i for i in OP_DB if op_names is None or i.name in op_names]
    unknown = set(op_names or ()) - {i.name for i in infos}
    if unknown:
        raise ValueError(f"no registered op named {sorted(unknown)}; known: "
                         f"{[i.name for i in OP_DB]}")
    backends = available_backends() if backends is None else backends
    return [gradcheck_op(info, b) for info in infos for b in backends]
