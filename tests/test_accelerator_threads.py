"""Devices, threads, print options and determinism under PyTorch's names:
``mg.accelerator``, ``set_default_device`` and ``device=`` on every creation function,
``set_num_threads`` (BLAS through threadpoolctl, Numba's pool), ``set_printoptions``
(reprs against torch's) and ``use_deterministic_algorithms``."""

import inspect

import numpy as np
import pytest

import minigrad as mg
from minigrad import threads

torch = pytest.importorskip("torch")

NO_GPU = pytest.mark.skipif(mg.cuda.is_available(), reason="checks the machine without a GPU")
GPU = pytest.mark.skipif(not mg.cuda.is_available(),
                         reason="cupy backend not usable here: pip install 'minigrad[cupy]'")


# ----------------------------------------------------------------------------- mg.accelerator
def test_accelerator_names_are_torchs():
    assert [n for n in mg.accelerator.__all__ if not hasattr(torch.accelerator, n)] == []


def test_accelerator_follows_the_cupy_backend():
    available = mg.cuda.is_available()
    assert mg.accelerator.is_available() is available
    assert mg.accelerator.current_accelerator() == (mg.device("cuda") if available else None)
    assert mg.accelerator.current_accelerator(check_available=True) == \
        mg.accelerator.current_accelerator()
    assert mg.accelerator.device_count() == mg.cuda.device_count()
    assert isinstance(mg.accelerator.device_count(), int)


@NO_GPU
def test_without_an_accelerator_as_torch_without_one():
    assert mg.accelerator.current_accelerator() is None
    assert mg.accelerator.device_count() == 0
    for call in (lambda lib: lib.accelerator.synchronize(),
                 lambda lib: lib.accelerator.current_device_index()):
        messages = []
        for lib in (mg, torch):
            with pytest.raises(RuntimeError) as info:
                call(lib)
            messages.append(str(info.value))
        assert messages[0] == messages[1]


@GPU
def test_with_an_accelerator():
    device = mg.accelerator.current_accelerator()
    assert device.type == "cuda" and mg.accelerator.device_count() >= 1
    x = mg.ones(1000, device=device) * 2
    mg.accelerator.synchronize()
    mg.accelerator.synchronize(0)
    assert mg.accelerator.current_device_index() == x.device.index
    with pytest.raises(ValueError, match="cuda"):
        mg.accelerator.synchronize("cpu")


# ----------------------------------------------------------------------------- default device
@pytest.mark.parametrize("spec", ["cpu", "cpu:0", mg.device("cpu"), None],
                         ids=["str", "indexed", "device", "None"])
def test_set_default_device_takes_torchs_forms(spec):
    mg.set_default_device(spec)
    assert mg.get_default_device() == mg.device("cpu")
    assert mg.zeros(1).device.type == "cpu"


@GPU
def test_default_device_cuda():
    mg.set_default_device("cuda")
    try:
        assert mg.get_default_device().type == "cuda" and mg.ones(2).is_cuda
    finally:
        mg.set_default_device(None)


CREATION = {
    "tensor": lambda lib, d: lib.tensor([1.0, 2.0], device=d),
    "as_tensor": lambda lib, d: lib.as_tensor([1, 2], device=d),
    "zeros": lambda lib, d: lib.zeros(2, 3, device=d),
    "ones": lambda lib, d: lib.ones(2, device=d),
    "empty": lambda lib, d: lib.empty(2, device=d),
    "full": lambda lib, d: lib.full((2,), 7.0, device=d),
    "zeros_like": lambda lib, d: lib.zeros_like(lib.ones(2), device=d),
    "ones_like": lambda lib, d: lib.ones_like(lib.ones(2), device=d),
    "empty_like": lambda lib, d: lib.empty_like(lib.ones(2), device=d),
    "full_like": lambda lib, d: lib.full_like(lib.ones(2), 3.0, device=d),
    "eye": lambda lib, d: lib.eye(3, device=d),
    "arange": lambda lib, d: lib.arange(5, device=d),
    "linspace": lambda lib, d: lib.linspace(0, 1, 5, device=d),
    "logspace": lambda lib, d: lib.logspace(0, 1, 5, device=d),
    "rand": lambda lib, d: lib.rand(2, device=d),
    "randn": lambda lib, d: lib.randn(2, device=d),
    "rand_like": lambda lib, d: lib.rand_like(lib.ones(2), device=d),
    "randn_like": lambda lib, d: lib.randn_like(lib.ones(2), device=d),
    "randint": lambda lib, d: lib.randint(0, 5, (3,), device=d),
    "randint_like": lambda lib, d: lib.randint_like(lib.ones(2), 5, device=d),
    "randperm": lambda lib, d: lib.randperm(4, device=d),
    "normal": lambda lib, d: lib.normal(0.0, 1.0, (2,), device=d),
    "from_dlpack": lambda lib, d: lib.from_dlpack(np.ones(2), device=d),
}


@pytest.mark.parametrize("name", list(CREATION))
def test_every_creation_function_takes_device(name):
    for device in ("cpu", mg.device("cpu")):
        made = CREATION[name](mg, device)
        assert made.device == mg.device("cpu"), device
    assert CREATION[name](torch, "cpu").device == torch.device("cpu")


def test_the_creation_list_is_complete():
    """Every public maker in the creation modules that has torch's ``device=`` is above."""
    from minigrad import creation, creation_random

    makers = {n for module in (creation, creation_random) for n, f in vars(module).items()
              if inspect.isfunction(f) and f.__module__ == module.__name__
              and not n.startswith("_") and "device" in inspect.signature(f).parameters}
    assert makers == set(CREATION)


# ----------------------------------------------------------------------------- threads
@pytest.fixture
def thread_settings(monkeypatch):
    """Put the BLAS and Numba thread counts back as they were after the test."""
    monkeypatch.setattr(threads, "_num_threads", None)
    monkeypatch.setattr(threads, "_num_interop_threads", None)
    before = mg.get_num_threads()
    yield
    mg.set_num_threads(before)


def test_set_num_threads_reaches_blas_and_numba(thread_settings):
    from threadpoolctl import ThreadpoolController

    mg.set_num_threads(1)
    assert mg.get_num_threads() == 1 and isinstance(mg.get_num_threads(), int)
    blas = ThreadpoolController().select(user_api="blas").info()
    assert [info["num_threads"] for info in blas] == [1] * len(blas)
    numba = pytest.importorskip("numba", reason="pip install 'minigrad[numba]'")
    assert numba.get_num_threads() == 1
    mg.set_num_threads(64)  # more than this machine has: Numba's share is capped
    assert mg.get_num_threads() == 64
    assert numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS


def test_get_num_threads_before_any_set_is_the_blas_count(thread_settings):
    from threadpoolctl import ThreadpoolController

    counts = [i["num_threads"] for i in ThreadpoolController().select(user_api="blas").info()]
    assert counts, "NumPy's BLAS should be loaded"
    assert mg.get_num_threads() == max(counts)


@pytest.mark.parametrize("value", [0, -2, 1.5, "2", True])
@pytest.mark.parametrize("name", ["set_num_threads", "set_num_interop_threads"])
def test_thread_counts_are_checked_as_torch_checks_them(name, value, thread_settings):
    messages = []
    for lib in (mg, torch):
        with pytest.raises(RuntimeError) as info:
            getattr(lib, name)(value)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_interop_threads_are_remembered(thread_settings):
    assert mg.get_num_interop_threads() >= 1
    mg.set_num_interop_threads(3)
    assert mg.get_num_interop_threads() == 3


# ----------------------------------------------------------------------------- print options
@pytest.fixture
def print_options():
    yield
    mg.set_printoptions(profile="default")
    torch.set_printoptions(profile="default")


rng = np.random.default_rng(0)
VALUES = {
    "fixed": [0.1, 0.25, -3.0],
    "whole": [[1.0, 2.0], [-3.0, 40.0]],
    "scientific": [1e-8, 1.0, 2e3],
    "large": [1e10, 1.0],
    "non_finite": [float("nan"), 1.0, float("inf"), -float("inf")],
    "negative_zero": [-0.0, 2.0],
    "zeros": [0.0, 0.0],
    "scalar": 3.5,
    "int_scalar": 7,
    "ints": rng.integers(-1000, 1000, (4, 30)),
    "bools": [True, False, True],
    "wide": rng.standard_normal((3, 40)).astype(np.float32),
    "3d": rng.standard_normal((4, 5, 6)).astype(np.float32),
    "summarized": rng.standard_normal((12, 100)).astype(np.float32),
    "long_ints": np.arange(2000),
    "empty": np.zeros(0, np.float32),
    "empty_2d": np.zeros((0, 3), np.float32),
    "empty_ints": np.zeros(0, np.int64),
}
OPTIONS = {
    "default": {},
    "precision": {"precision": 2},
    "threshold": {"threshold": 5},
    "edgeitems": {"edgeitems": 1, "threshold": 10},
    "no_edgeitems": {"edgeitems": 0, "threshold": 3},
    "linewidth": {"linewidth": 40},
    "sci_on": {"sci_mode": True},
    "sci_off": {"sci_mode": False},
    "short": {"profile": "short"},
    "full": {"profile": "full"},
}


@pytest.mark.parametrize("options", list(OPTIONS))
def test_repr_is_torchs(options, print_options):
    mg.set_printoptions(**OPTIONS[options])
    torch.set_printoptions(**OPTIONS[options])
    for name, values in VALUES.items():
        ours = repr(mg.tensor(values)).replace("minigrad.", "torch.")
        assert ours == repr(torch.tensor(values)), name


def test_repr_suffixes_and_parameters_are_torchs(print_options):
    cases = [lambda lib: lib.tensor(VALUES["wide"], requires_grad=True),
             lambda lib: lib.nn.Parameter(lib.tensor(VALUES["fixed"])),
             lambda lib: lib.tensor([[1.5, 2.0]], requires_grad=True) * 2]
    for case in cases:
        ours, theirs = repr(case(mg)), repr(case(torch))
        assert ours.split("grad_fn=")[0] == theirs.split("grad_fn=")[0]
    assert repr(mg.tensor([1, 2], dtype=mg.int32)) == "tensor([1, 2], dtype=minigrad.int32)"


def test_printoptions_reset_and_check(print_options):
    mg.set_printoptions(precision=1)
    assert repr(mg.tensor([0.123])) == "tensor([0.1])"
    mg.set_printoptions(profile="default")
    assert repr(mg.tensor([0.123])) == "tensor([0.1230])"
    with pytest.raises(ValueError, match="profile"):
        mg.set_printoptions(profile="long")


# ----------------------------------------------------------------------------- determinism
@pytest.fixture
def determinism(monkeypatch):
    monkeypatch.setattr(threads, "_deterministic", False)
    monkeypatch.setattr(threads, "_deterministic_warn_only", False)


def test_deterministic_algorithms_are_recorded(determinism):
    assert not mg.are_deterministic_algorithms_enabled()
    mg.use_deterministic_algorithms(True, warn_only=True)
    assert mg.are_deterministic_algorithms_enabled()
    assert mg.is_deterministic_algorithms_warn_only_enabled()
    mg.use_deterministic_algorithms(False)
    assert not mg.are_deterministic_algorithms_enabled()
    assert not mg.is_deterministic_algorithms_warn_only_enabled()


# NOTE: torch's own use_deterministic_algorithms imports its compiler (seconds): its
# messages are written out here instead
@pytest.mark.parametrize("call,message", [
    (lambda: mg.use_deterministic_algorithms(1),
     "argument 'mode' (position 1) must be bool, not int"),
    (lambda: mg.use_deterministic_algorithms(True, warn_only=0),
     "argument 'warn_only' must be bool, not int"),
    (lambda: mg.use_deterministic_algorithms(True, True), "positional argument"),
], ids=["int_mode", "int_warn_only", "positional_warn_only"])
def test_deterministic_arguments_are_checked_as_torch_checks_them(call, message, determinism):
    with pytest.raises(TypeError) as info:
        call()
    assert message in str(info.value)
    assert not mg.are_deterministic_algorithms_enabled()
