"""The backend layer: the interface every backend fills in, the kernel tables, Numba's disk
cache, and choosing backends. Numerical agreement across backends is swept in
test_op_registry.py; these are the structural checks, which need no GPU."""

import inspect
import subprocess
import sys

import numpy as np
import pytest

import minigrad as mg
from minigrad.backends import Backend, available_backends
from minigrad.backends.cupy_backend import CupyBackend
from minigrad.backends.numba_backend import NumbaBackend
from minigrad.backends.numpy_backend import NumpyBackend
from minigrad.testing.op_db import OPS_BY_NAME

needs_numba = pytest.mark.skipif("numba" not in available_backends(),
                                 reason="numba backend not usable here: "
                                        f"{NumbaBackend.install_hint}")


def _own_methods(cls):
    return {name for name, member in vars(cls).items()
            if inspect.isfunction(member) and not name.startswith("__")}


def test_cupy_backend_implements_everything_the_numpy_backend_does():
    missing = _own_methods(NumpyBackend) - _own_methods(CupyBackend)
    assert missing == set()


def test_every_abstract_backend_method_is_implemented_by_each_backend():
    abstract = {name for name, member in vars(Backend).items() if inspect.isfunction(member)
                and "raise NotImplementedError" in inspect.getsource(member)}
    for cls in (NumpyBackend, NumbaBackend, CupyBackend):
        unimplemented = {m for m in abstract if getattr(cls, m) is getattr(Backend, m)}
        assert unimplemented == set(), cls.__name__


def test_cupy_fuses_every_elementwise_kernel_numba_fuses():
    from minigrad.backends.cupy_kernels import ELEMENTWISE_SOURCES, KERNEL_CLASSES
    from minigrad.backends.numba_kernels.fused import KERNELS, FusedElementwise

    numba_elementwise = {name for name, k in KERNELS.items()
                         if issubclass(k, FusedElementwise)}
    assert numba_elementwise <= set(KERNEL_CLASSES) == set(ELEMENTWISE_SOURCES)


@needs_numba
def test_every_fused_kernel_replaces_a_registered_op():
    """Kernels are looked up by op name: each must name an op the registry sweeps."""
    from minigrad.backends.numba_kernels.fused import KERNELS

    assert set(KERNELS) <= set(OPS_BY_NAME)


@needs_numba
def test_fused_kernels_cover_small_tensors_and_leave_other_layouts_to_the_generic_op():
    mg.set_default_backend("numba")
    small = mg.randn(3, 4, requires_grad=True)
    assert small.sigmoid().grad_fn.fused is True
    assert small.softmax(dim=1).grad_fn.fused is True
    assert small.softmax(dim=0).grad_fn.fused is False
    # where NumPy's vectorized exp and tanh beat Numba's scalar ones (measured)
    assert mg.randn(3, 100, requires_grad=True).softmax(dim=1).grad_fn.fused is False
    assert mg.nn.functional.gelu(small, approximate="tanh").grad_fn.fused is False
    assert "tanh" not in small._backend.kernels
    for dim in (0, 1):
        reference = mg.tensor(small.numpy(), backend="numpy").softmax(dim=dim)
        np.testing.assert_allclose(small.softmax(dim=dim).numpy(), reference.numpy(),
                                   rtol=1e-6)


@needs_numba
def test_numba_kernels_load_from_the_disk_cache_in_a_new_process():
    script = ("import minigrad as mg\n"
              "mg.set_default_backend('numba')\n"
              "x = mg.randn(8192, requires_grad=True)\n"
              "x.sigmoid().sum().backward()\n"
              "from minigrad.backends.numba_kernels import loops\n"
              "print(len(loops.sigmoid_forward.stats.cache_hits))\n")
    for _ in range(2):  # the first run may compile and write the cache
        result = subprocess.run([sys.executable, "-c", script], capture_output=True,
                                text=True, timeout=300)
        assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) >= 1


@needs_numba
def test_tensor_moves_between_backends():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x.to("numba")
    assert y.backend == "numba" and y.requires_grad and y.is_leaf
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    model = mg.nn.Linear(3, 2).to("numba")
    assert {p.backend for p in model.parameters()} == {"numba"}


@needs_numba
def test_numba_and_numpy_draw_the_same_random_numbers_from_a_seed():
    mg.manual_seed(3)
    a = mg.randn(5, backend="numpy")
    mg.manual_seed(3)
    b = mg.randn(5, backend="numba")
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_a_backend_that_is_not_usable_names_its_install_hint():
    if "cupy" in available_backends():
        pytest.skip("cupy is usable here")
    with pytest.raises(RuntimeError, match=r"minigrad\[cupy\]"):
        mg.set_default_backend("cupy")


@needs_numba
def test_numba_sgd_and_clipping_norm_run_its_compiled_routines(monkeypatch):
    from minigrad.backends.numba_kernels import fused

    monkeypatch.setattr(fused, "ROUTINE_MIN", 0)
    mg.set_default_backend("numba")
    backend = mg.randn(1)._backend
    calls = []
    for name, routine in list(backend.routines.items()):
        monkeypatch.setitem(backend.routines, name,
                            lambda *a, _name=name, _r=routine: calls.append(_name) or _r(*a))
    weight = mg.nn.Parameter(mg.randn(5, 3))
    (weight * weight).sum().backward()
    expected_norm = float(np.linalg.norm(weight.grad.numpy()))
    norm = mg.nn.utils.clip_grad_norm_([weight], max_norm=1.0)
    before = weight.numpy().copy()
    clipped = weight.grad.numpy().copy()
    optimizer = mg.optim.SGD([weight], lr=0.1, momentum=0.9)
    optimizer.step()  # the first step sets the momentum buffer: the generic code
    optimizer.step()  # buffer 0.9 * g + g
    assert calls == ["sum_of_squares", "sgd_momentum_step"]
    np.testing.assert_allclose(float(norm), expected_norm, rtol=1e-6)
    np.testing.assert_allclose(weight.numpy(), before - 0.1 * 2.9 * clipped, rtol=1e-5)


@needs_numba
def test_cupy_has_every_routine_numba_has():
    """Checked from the source, since building the kernels needs a GPU."""
    from minigrad.backends import cupy_kernels
    from minigrad.backends.numba_kernels import fused

    source = inspect.getsource(cupy_kernels.routines)
    assert all(f'"{name}": {name}' in source for name in fused.ROUTINES)


@needs_numba
def test_numba_leaves_float16_and_empty_layer_norm_to_the_generic_code():
    """Its loops are built for float32 and float64; other dtypes take the generic ops and
    the generic optimizer and clipping code, and give the NumPy backend's answers."""
    results = {}
    for name in ("numpy", "numba"):
        mg.set_default_backend(name)
        mg.manual_seed(0)
        model = mg.nn.Sequential(mg.nn.Linear(6, 8), mg.nn.LayerNorm(8), mg.nn.ReLU(),
                                 mg.nn.Linear(8, 3)).to(mg.float16)
        optimizer = mg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        x = mg.tensor(np.linspace(-1, 1, 24).reshape(4, 6), dtype=mg.float16)
        for _ in range(3):
            optimizer.zero_grad()
            mg.nn.functional.cross_entropy(model(x).softmax(dim=1), mg.tensor([0, 1, 2, 0])
                                           ).backward()
            mg.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            optimizer.step()
        results[name] = [p.numpy() for p in model.parameters()]
        with np.errstate(invalid="ignore"):  # NumPy's 0 / 0 for the mean of nothing
            empty = mg.nn.functional.layer_norm(mg.randn(4, 0), (0,))
        assert empty.shape == (4, 0)
    for numpy_param, numba_param in zip(results["numpy"], results["numba"]):
        assert numba_param.dtype == np.float16
        np.testing.assert_array_equal(numba_param, numpy_param)


@needs_numba
def test_numba_leaves_small_arrays_to_numpy_in_its_routines():
    from minigrad.backends.numba_kernels import fused

    small, large = np.ones(fused.ROUTINE_MIN - 1, np.float32), np.ones(fused.ROUTINE_MIN)
    assert fused.sum_of_squares(small) is None
    assert fused.sum_of_squares(large) == fused.ROUTINE_MIN
    assert fused.sgd_momentum_step(small, small, small.copy(), 0.1, 0.9, 0, False) is False
