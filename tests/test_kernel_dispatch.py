"""Backend kernels are wired, not just written: every key of every kernel table names a
registered op, every built-in op declares the name its kernels are keyed by, and running
each such op's registry samples on the backend really enters the kernel (a spy counts the
calls). A renamed op, a dropped ``op_name`` or a misspelt key fails here, instead of the
backend silently falling back to the generic code while every value test stays green."""

import pytest

import minigrad as mg
from minigrad.autograd.function import Function
from minigrad.backends import available_backends, get_backend
from minigrad.testing.gradcheck_sweep import make_args, samples_of
from minigrad.testing.op_db import OP_DB

USABLE = available_backends()


def _kernel_tables():
    """name -> the backend's kernel table, read without needing the backend's device."""
    from minigrad.backends.cupy_kernels import KERNEL_CLASSES

    tables = {"cupy": KERNEL_CLASSES}
    if "numba" in USABLE:
        from minigrad.backends.numba_kernels.fused import KERNELS

        tables["numba"] = KERNELS
    return tables


TABLES = _kernel_tables()
REGISTERED = {info.function.kernel_name for info in OP_DB}


def _builtin_functions():
    import minigrad.nn  # noqa: F401 - its hook Functions count too

    pending, found = list(Function.__subclasses__()), []
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        if cls.__module__.startswith("minigrad.") and not cls.__name__.startswith("_"):
            found.append(cls)
    return sorted(found, key=lambda c: (c.__module__, c.__name__))


@pytest.mark.parametrize("name", list(TABLES))
def test_every_kernel_key_is_a_registered_op_name(name):
    assert set(TABLES[name]) - REGISTERED == set()


@pytest.mark.parametrize("cls", _builtin_functions(), ids=lambda c: c.__name__)
def test_every_builtin_op_declares_its_name(cls):
    assert cls.kernel_name is not None, f"{cls.__name__} must declare op_name = '...'"
    assert cls.kernel_name == cls.op_name


def test_op_names_are_unique():
    names = [cls.op_name for cls in _builtin_functions()]
    assert sorted(n for n in set(names) if names.count(n) > 1) == []


class _Shifted(Function):
    """A user's op that declares the name of a built-in op with a kernel."""

    op_name = "relu"

    @staticmethod
    def forward(ctx, x):
        return x + 100

    @staticmethod
    def backward(ctx, g):
        return g


def test_a_users_function_never_picks_up_a_kernel(backend):
    class ReLU(Function):  # named like the built-in one, declaring no name
        @staticmethod
        def forward(ctx, x):
            return x

    assert ReLU.op_name == "re_lu" and ReLU.kernel_name is None
    assert _Shifted.kernel_name is None
    out = _Shifted.apply(mg.tensor([-1.0, 2.0], requires_grad=True))
    assert out.numpy().tolist() == [99.0, 102.0]


def _kernel_cases():
    cases = []
    for backend, table in TABLES.items():
        for key in table:
            marks = pytest.mark.skipif(backend not in USABLE,
                                       reason=f"{backend} backend not usable here")
            cases.append(pytest.param(backend, key, id=f"{backend}-{key}", marks=marks))
    return cases


@pytest.mark.parametrize("backend, key", _kernel_cases())
def test_running_the_op_enters_its_kernel(backend, key, monkeypatch):
    kernel = get_backend(backend).kernels[key]
    original = kernel.forward
    contexts = []

    def spy(ctx, *args):
        contexts.append(ctx)
        return original(ctx, *args)

    monkeypatch.setattr(kernel, "forward", staticmethod(spy))
    infos = [info for info in OP_DB if info.function.kernel_name == key]
    for info in infos:
        for sample in samples_of(info):
            info.op(*make_args(sample, backend, mg.float32), **sample.kwargs)
    assert contexts, f"no sample of {[i.name for i in infos]} reached the {backend} kernel"
    # NOTE: entering is not enough: some sample must take the compiled path itself
    assert any(getattr(ctx, "fused", True) for ctx in contexts), \
        f"every sample of {key} fell back to the generic op on {backend}"

