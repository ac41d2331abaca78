"""Devices, PyTorch's names for backends: ``mg.device`` reads and prints as ``torch.device``,
``"cpu"`` is the default CPU backend and ``"cuda"`` the CuPy one, and a PyTorch program that
picks its device with ``torch.cuda.is_available()`` runs unchanged. Where no GPU is usable,
a stand-in CUDA backend (NumPy arrays under the name ``"cupy"``) checks the CUDA paths."""

import pickle

import numpy as np
import pytest

import minigrad as mg
from minigrad import backends
from minigrad.backends.numpy_backend import NumpyBackend

torch = pytest.importorskip("torch")

SPECS = [("cpu",), ("cuda",), ("cuda:0",), ("cuda:12",), ("cuda", 1), ("cpu", 0)]
BAD_SPECS = [("gpu",), ("cuda:x",), ("cuda:-1",), ("cpu:0:1",), ("cuda:01",), ("cuda:",),
             (":0",), (" cpu",), ("cuda:0", 1), ("cuda", -1), ("cuda", True), (None,)]


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_device_reads_and_prints_as_torchs(spec):
    ours, theirs = mg.device(*spec), torch.device(*spec)
    assert (str(ours), repr(ours)) == (str(theirs), repr(theirs))
    assert (ours.type, ours.index) == (theirs.type, theirs.index)


def test_device_keywords_and_copies():
    assert mg.device(type="cuda", index=2) == mg.device("cuda:2")
    d = mg.device("cuda", 3)
    assert mg.device(d) is d
    assert pickle.loads(pickle.dumps(d)) == d and repr(pickle.loads(pickle.dumps(d))) == repr(d)


@pytest.mark.parametrize("spec", BAD_SPECS, ids=str)
def test_bad_devices_raise_torchs_error(spec):
    with pytest.raises(Exception) as theirs:
        torch.device(*spec)
    with pytest.raises(type(theirs.value)) as ours:
        mg.device(*spec)
    message = str(theirs.value)
    if message.startswith(("Invalid device string", "type (string)", "Device index", "device(): ")):
        assert str(ours.value) == message
    else:  # torch lists device types minigrad does not have, or its overloads
        assert str(ours.value).startswith(("Expected one of cpu, cuda device type", "device()"))


def test_devices_equal_devices_only_as_in_torch():
    assert mg.device("cpu") == mg.device("cpu") and hash(mg.device("cpu")) == hash(
        mg.device(type="cpu"))
    assert mg.device("cuda") != mg.device("cuda:0")
    assert (torch.device("cuda") == torch.device("cuda:0")) is False
    assert (mg.device("cpu") == "cpu") is (torch.device("cpu") == "cpu") is False
    assert ("cpu" == mg.device("cpu")) is False and mg.device("cpu") != "cpu"
    assert {mg.device("cpu"): 1}.get(mg.device("cpu")) == 1
    assert mg.device("cpu").type == "cpu" and f"{mg.device('cuda:1')}" == "cuda:1"


NO_GPU = pytest.mark.skipif(mg.cuda.is_available(), reason="a GPU is usable here")


@NO_GPU
def test_a_bare_index_needs_a_gpu_as_in_torch():
    with pytest.raises(RuntimeError, match="Cannot access accelerator device"):
        mg.device(0)


def _device_type(backend):
    return "cuda" if backend == "cupy" else "cpu"


def test_a_tensor_is_on_its_backends_device(backend):
    kind = _device_type(backend)
    x = mg.ones(2)
    assert x.device.type == kind and x.is_cpu == (kind == "cpu") and x.is_cuda == (
        kind == "cuda")
    assert x.to(kind) is x and x.to(mg.device(kind)) is x and x.to(x.device) is x
    assert mg.get_default_device() == x.device
    assert (x.cpu() is x) == (kind == "cpu")


def test_cpu_is_the_default_backend_if_it_is_a_cpu_one_else_numpy(fake_gpu):
    mg.set_default_backend("numpy")
    assert backends.get_backend("cpu").name == "numpy"
    if "numba" in mg.available_backends():
        mg.set_default_backend("numba")
        assert backends.get_backend(mg.device("cpu")).name == "numba"
        # NOTE: a tensor already on the CPU stays where it is, as torch returns self
        on_numpy = mg.ones(1, backend="numpy")
        assert on_numpy.cpu() is on_numpy and on_numpy.to("cpu") is on_numpy
        assert on_numpy.to("numba").backend == "numba"  # a backend name still moves it
    mg.set_default_backend("cuda")
    assert mg.get_default_backend() == "cupy" and backends.get_backend("cpu").name == "numpy"
    assert mg.ones(1).cpu().backend == "numpy"


def test_to_takes_torchs_three_forms_and_their_keywords(backend):
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    assert x.to(mg.float64).dtype == mg.float64 and x.to("float64").dtype == mg.float64
    assert x.to("cpu", mg.float64).dtype == mg.float64
    assert x.to(device="cpu", dtype=mg.float64, non_blocking=True).dtype == mg.float64
    assert x.to(mg.float64, True, False).dtype == mg.float64  # (dtype, non_blocking, copy)
    other = mg.zeros(1, dtype=mg.float64)
    assert x.to(other).dtype == mg.float64 and x.to(other).backend == other.backend
    assert x.to(mg.float32) is x and x.to(dtype=mg.float32, non_blocking=True) is x
    with pytest.raises(TypeError, match="invalid combination of arguments"):
        x.to(mg.float64, "cpu", True, False, 1)
    with pytest.raises(TypeError, match="invalid combination"):
        x.to(memory_layout=1)


def test_to_with_copy_is_a_new_tensor_gradients_still_flow():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x.to(x.device, copy=True)
    assert y is not x and not np.shares_memory(y.data, x.data) and not y.is_leaf
    (3 * y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


@NO_GPU
def test_cuda_without_a_gpu_names_the_install_hint():
    for move in (lambda: mg.ones(1).cuda(), lambda: mg.ones(1).to("cuda"),
                 lambda: mg.zeros(2, device="cuda"), lambda: mg.set_default_device("cuda")):
        with pytest.raises(RuntimeError, match=r"'cuda' is the CuPy backend.*minigrad\[cupy\]"):
            move()
    assert mg.cuda.device_count() == 0
    mg.cuda.manual_seed(0)  # safe without a GPU, as in PyTorch
    mg.cuda.manual_seed_all(0)
    mg.cuda.empty_cache()
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        mg.cuda.synchronize()


MAKERS = {
    "tensor": lambda **kw: mg.tensor([1.0], **kw), "zeros": lambda **kw: mg.zeros(2, **kw),
    "ones": lambda **kw: mg.ones(2, **kw), "full": lambda **kw: mg.full((2,), 3.0, **kw),
    "arange": lambda **kw: mg.arange(3, **kw), "randn": lambda **kw: mg.randn(2, **kw),
    "rand": lambda **kw: mg.rand(2, **kw),
}
LIKE_MAKERS = {"zeros_like": mg.zeros_like, "ones_like": mg.ones_like}


@pytest.mark.parametrize("name", list(MAKERS) + list(LIKE_MAKERS))
def test_creation_functions_take_a_device(name, backend):
    kind = _device_type(backend)
    make = MAKERS.get(name) or (lambda **kw: LIKE_MAKERS[name](mg.ones(2), **kw))
    assert make(device=kind).backend == backend
    assert make(device=mg.device(kind)).device.type == kind
    if name in MAKERS:
        with pytest.raises(ValueError, match="backend= or device=, not both"):
            make(backend="numpy", device=kind)


def test_device_as_a_with_block_sets_where_new_tensors_go(fake_gpu):
    with mg.device("cuda"):
        assert mg.ones(1).is_cuda and mg.get_default_device() == mg.device("cuda", 0)
        with mg.device("cpu"):
            assert mg.ones(1).backend == "numpy"
        assert mg.ones(1).backend == "cupy"
    assert mg.get_default_backend() == "numpy"
    mg.set_default_device("cuda")
    assert mg.zeros(1).is_cuda
    mg.set_default_device(None)
    assert mg.get_default_device() == mg.device("cpu")


# --------------------------------------------------------------------------- a stand-in GPU
class _StandInCuda(NumpyBackend):
    """NumPy arrays under the CuPy backend's name: what the CUDA paths see of a GPU."""

    name = "cupy"

    @classmethod
    def is_available(cls):
        return True


@pytest.fixture
def fake_gpu(monkeypatch):
    """A usable "cuda" (see ``_StandInCuda``) where there is no GPU; the real one where
    there is."""
    if not mg.cuda.is_available():
        monkeypatch.setitem(backends._CLASSES, "cupy", _StandInCuda)
        monkeypatch.setattr(backends, "_instances", {
            name: b for name, b in backends._instances.items() if name != "cupy"})
        monkeypatch.setattr(backends, "_cuda_index", lambda backend: 0)
    yield
    mg.set_default_backend("numpy")


def test_cuda_tensors_and_their_device(fake_gpu):
    assert mg.cuda.is_available() and mg.cuda.current_device() == 0
    assert mg.device(0) == mg.device("cuda:0")  # a bare index is a CUDA device
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x.cuda()
    assert y.is_cuda and not y.is_cpu and y.device == mg.device("cuda", 0)
    assert y.backend == "cupy" and y.requires_grad and y.is_leaf
    assert y.to("cuda") is y and y.cuda(0) is y and x.to("cuda:0").is_cuda
    assert y.cpu().backend == "numpy" and y.to(x).backend == "numpy"
    with pytest.raises(RuntimeError, match="one GPU"):
        x.to("cuda:1")
    with pytest.raises(RuntimeError, match="must be cuda device"):
        x.cuda("cpu")
    assert mg.zeros(2, device="cuda").is_cuda and mg.zeros_like(x, device="cuda").is_cuda


def test_cuda_manual_seed_seeds_the_gpus_draws(fake_gpu):
    mg.cuda.manual_seed(5)
    on_gpu = mg.randn(4, device="cuda")
    mg.manual_seed(5)
    np.testing.assert_array_equal(on_gpu.numpy(), mg.randn(4).numpy())
    mg.cuda.manual_seed_all(5)
    np.testing.assert_array_equal(mg.randn(4, device="cuda").numpy(), on_gpu.numpy())


def test_a_pytorch_program_picks_its_device_and_runs(fake_gpu):
    mg.manual_seed(0)
    for name in ("cuda", "cpu"):
        device = mg.device(name if mg.cuda.is_available() else "cpu")
        model = mg.nn.Sequential(mg.nn.Linear(3, 4), mg.nn.ReLU(), mg.nn.Linear(4, 1))
        assert model.to(device) is model
        x, target = mg.randn(8, 3).to(device), mg.randn(8, 1).to(device)
        loss = mg.nn.functional.mse_loss(model(x), target)
        loss.backward()
        # NOTE: by type: as in PyTorch, "cuda" names the current GPU, tensors say "cuda:0"
        assert {p.device.type for p in model.parameters()} == {device.type}, name
        assert {p.grad.device.type for p in model.parameters()} == {device.type}, name
        assert loss.device.type == device.type


@pytest.mark.skipif("numba" not in mg.available_backends(), reason="needs the numba backend")
def test_to_the_device_a_tensor_is_on_keeps_it_and_its_graph():
    w = mg.randn(3, requires_grad=True, backend="numba")
    h = w * 3
    assert h.to(mg.device("cpu")) is h and h.cpu() is h
    h.to("cpu").sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 3.0, 3.0])
