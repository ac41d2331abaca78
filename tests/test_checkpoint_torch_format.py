"""PyTorch's checkpoint format without PyTorch: files written by ``torch.save`` load through
``mg.load`` (state dicts, optimizer state, nested containers, every dtype minigrad has,
non-contiguous and shared storages), even where ``import torch`` fails, and ``mg.save`` to a
``.pt`` file writes what ``torch.load(..., weights_only=True)`` reads."""

import collections
import math
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

import minigrad as mg
from minigrad.backends import cpu_backend_name
from minigrad.data.checkpoint import CheckpointError

TORCH_HINT = "torch not installed: pip install 'minigrad[parity]'"
DTYPES = ["float16", "float32", "float64", "uint8", "int8", "int16", "int32", "int64", "bool"]


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason=TORCH_HINT)


def sample(torch, dtype, shape=(3, 4)):
    values = torch.arange(math.prod(shape), dtype=torch.float64).reshape(shape) - 5
    return (values > 0) if dtype == "bool" else (values * 1.25).to(getattr(torch, dtype))


def assert_matches(torch_tensor, tensor):
    """A minigrad tensor with the values, dtype, shape and requires_grad of a torch tensor."""
    assert isinstance(tensor, mg.Tensor), type(tensor)
    expected = torch_tensor.detach()
    assert str(tensor.dtype) == str(expected.dtype).replace("torch", "minigrad")
    assert tuple(tensor.shape) == tuple(expected.shape)
    assert tensor.requires_grad == torch_tensor.requires_grad
    np.testing.assert_array_equal(tensor.numpy(), expected.numpy())


# -------------------------------------------------------------------- torch.save -> mg.load
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 4), (), (1,), (0, 3)], ids=["3x4", "0-d", "one", "empty"])
def test_every_dtype_and_shape_loads(tmp_path, torch, dtype, shape):
    expected = sample(torch, dtype, shape)
    torch.save({"t": expected}, tmp_path / "t.pt")
    assert_matches(expected, mg.load(tmp_path / "t.pt", weights_only=True)["t"])


def test_bfloat16_becomes_float32_exactly(tmp_path, torch):
    expected = torch.tensor([1.5, -2.0, 3.140625, 1e30], dtype=torch.bfloat16)
    torch.save([expected], tmp_path / "bf16.pt")
    (loaded,) = mg.load(tmp_path / "bf16.pt")
    assert loaded.dtype == mg.float32
    np.testing.assert_array_equal(loaded.numpy(), expected.float().numpy())


def test_non_contiguous_views_and_shared_storages(tmp_path, torch):
    base = torch.arange(24.0).reshape(4, 6)
    views = {"base": base, "t": base.t(), "corner": base[1:, 2:], "step": base[::2, ::3],
             "expanded": torch.arange(3.0)[:, None].expand(3, 5), "flat": base.view(-1)[5:9],
             "diagonal": base.diagonal(), "again": base}
    torch.save(views, tmp_path / "views.pt")
    loaded = mg.load(tmp_path / "views.pt")
    for name, view in views.items():
        assert_matches(view, loaded[name])
    assert loaded["again"] is loaded["base"]  # one object in the file stays one object
    assert loaded["t"] is not loaded["base"]


def test_nested_containers_and_plain_values(tmp_path, torch):
    weight = torch.ones(2, 2)
    obj = {"ordered": collections.OrderedDict([("b", 1), ("a", [weight, (weight, None)])]),
           3: "int key", "text": "héllo ✓", "numbers": [0, -7, 255, 65536, -2 ** 31, 2 ** 70,
                                                       -2 ** 90, 1.5, math.inf, True, None],
           "tuple": (1, (2, "x"), ()), "bytes": b"\x00raw", "set": {1, 2},
           "size": torch.Size([2, 3]), "dtype": torch.float64, "device": torch.device("cpu"),
           "counter": collections.Counter("aab")}
    torch.save(obj, tmp_path / "nested.pt")
    loaded = mg.load(tmp_path / "nested.pt")
    assert type(loaded["ordered"]) is collections.OrderedDict and list(loaded["ordered"]) == [
        "b", "a"]
    first, (second, nothing) = loaded["ordered"]["a"]
    assert first is second and nothing is None
    assert_matches(weight, first)
    rest = {k: v for k, v in loaded.items() if k != "ordered"}
    assert rest == {3: "int key", "text": "héllo ✓", "numbers": obj["numbers"],
                    "tuple": (1, (2, "x"), ()), "bytes": b"\x00raw", "set": {1, 2},
                    "size": (2, 3), "dtype": mg.float64, "device": mg.device("cpu"),
                    "counter": collections.Counter(a=2, b=1)}
    assert type(loaded["counter"]) is collections.Counter


def test_parameters_and_requires_grad(tmp_path, torch):
    obj = {"param": torch.nn.Parameter(torch.ones(3)), "frozen": torch.nn.Parameter(
        torch.zeros(2), requires_grad=False), "leaf": torch.ones(2, requires_grad=True)}
    torch.save(obj, tmp_path / "params.pt")
    loaded = mg.load(tmp_path / "params.pt")
    assert isinstance(loaded["param"], mg.nn.Parameter) and loaded["param"].requires_grad
    assert isinstance(loaded["frozen"], mg.nn.Parameter) and not loaded["frozen"].requires_grad
    assert not isinstance(loaded["leaf"], mg.nn.Parameter) and loaded["leaf"].requires_grad


def models(torch):
    """The same architecture in both frameworks (BatchNorm for buffers and _metadata)."""
    def build(nn):
        return nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(),
                             nn.Linear(12, 4))
    torch.manual_seed(0)
    return build(torch.nn), build(mg.nn)


def test_a_torch_model_s_state_dict_loads_into_minigrad(tmp_path, torch):
    theirs, ours = models(torch)
    theirs(torch.randn(5, 2, 4, 4))  # running statistics move away from their defaults
    theirs.eval()
    ours.eval()
    torch.save(theirs.state_dict(), tmp_path / "torch_model.pt")
    ours.load_state_dict(mg.load(tmp_path / "torch_model.pt"))
    x = np.random.default_rng(0).standard_normal((2, 2, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(ours(mg.tensor(x)).numpy(),
                               theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-5,
                               atol=1e-6)


def test_a_torch_optimizer_state_dict_loads_with_its_structure(tmp_path, torch):
    # NOTE: written out as torch.optim.Adam(...).state_dict() returns it after a step: a real
    # optimizer costs 5 s of imports on the first use
    group = {"lr": 0.01, "betas": (0.8, 0.9), "eps": 1e-08, "weight_decay": 0,
             "amsgrad": False, "maximize": False, "foreach": None, "capturable": False,
             "differentiable": False, "fused": None, "decoupled_weight_decay": False,
             "params": [0, 1]}
    state = {index: {"step": torch.tensor(3.0), "exp_avg": torch.randn(shape),
                     "exp_avg_sq": torch.rand(shape)} for index, shape in [(0, (4, 2)), (1, (4,))]}
    torch.save({"state": state, "param_groups": [group]}, tmp_path / "adam.pt")
    loaded = mg.load(tmp_path / "adam.pt")
    assert loaded["param_groups"] == [group]  # tuples, None, floats, bools, lists
    assert list(loaded["state"]) == [0, 1]
    for index, entries in state.items():
        assert list(loaded["state"][index]) == list(entries)
        for name, value in entries.items():
            assert_matches(value, loaded["state"][index][name])


def test_map_location_and_a_saved_gpu_location(tmp_path, torch):
    torch.save({"w": torch.ones(2)}, tmp_path / "w.pt")
    for backend in mg.available_backends():
        assert mg.load(tmp_path / "w.pt", map_location=backend)["w"].backend == backend
    on_gpu = rewrite(tmp_path / "w.pt", "data.pkl", lambda data: data.replace(
        b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0"))
    expected = "cupy" if "cupy" in mg.available_backends() else cpu_backend_name()
    assert mg.load(on_gpu)["w"].backend == expected  # no GPU here: the CPU, as minigrad's own
    with pytest.raises(TypeError, match="map_location"):
        mg.load(tmp_path / "w.pt", map_location={"cuda:0": "cpu"})


NO_TORCH = textwrap.dedent("""
    import importlib.abc, sys

    class NoTorch(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "torch" or name.startswith("torch."):
                raise ImportError(f"{name} is blocked in this process")

    sys.meta_path.insert(0, NoTorch())
    try:
        import torch
    except ImportError:
        pass
    else:
        raise SystemExit("torch imported although blocked")
    import numpy as np
    import minigrad as mg
    model = mg.nn.Sequential(mg.nn.Conv2d(2, 3, 3), mg.nn.BatchNorm2d(3), mg.nn.ReLU(),
                             mg.nn.Flatten(), mg.nn.Linear(12, 4)).eval()
    model.load_state_dict(mg.load(sys.argv[1], weights_only=True))
    out = model(mg.tensor(np.load(sys.argv[2]))).numpy()
    assert not any(name.split(".")[0] == "torch" for name in sys.modules)
    np.save(sys.argv[3], out)
""")


def test_a_torch_state_dict_loads_where_torch_cannot_be_imported(tmp_path, torch):
    theirs, _ = models(torch)
    theirs(torch.randn(5, 2, 4, 4))
    theirs.eval()
    torch.save(theirs.state_dict(), tmp_path / "model.pt")
    x = np.random.default_rng(1).standard_normal((2, 2, 4, 4)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    done = subprocess.run([sys.executable, "-c", NO_TORCH, str(tmp_path / "model.pt"),
                           str(tmp_path / "x.npy"), str(tmp_path / "out.npy")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"),
                               theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-5,
                               atol=1e-6)


# -------------------------------------------------------------------- mg.save -> torch.load
def test_mg_save_writes_what_torch_load_reads_with_weights_only(tmp_path, torch):
    shared = mg.arange(6).reshape(2, 3)
    obj = collections.OrderedDict(
        tensors={dtype: mg.tensor(sample(torch, dtype).numpy()) for dtype in DTYPES},
        shapes=[mg.tensor(2.5), mg.zeros(0, 3), mg.ones(1), np.arange(4.0)[::2]],
        shared=[shared, shared], many=[mg.tensor([i]) for i in range(300)],
        grad=mg.ones(2, requires_grad=True),
        param=mg.nn.Parameter(mg.ones(2)), plain=(None, True, 2 ** 70, -5, 1.5, "ü", ()),
        keys={0: "int", -1: [], 300: {}})
    mg.save(obj, tmp_path / "x.pt")
    assert "archive/data.pkl" in zipfile.ZipFile(tmp_path / "x.pt").namelist()
    loaded = torch.load(tmp_path / "x.pt", weights_only=True)
    assert type(loaded) is collections.OrderedDict
    for dtype, tensor in obj["tensors"].items():
        assert_matches(loaded["tensors"][dtype], tensor)
    for theirs, ours in zip(loaded["shapes"], obj["shapes"]):
        assert_matches(theirs, mg.tensor(ours))
    assert loaded["shared"][0] is loaded["shared"][1]
    assert [int(t) for t in loaded["many"]] == list(range(300))  # memo indices past 255
    assert loaded["grad"].requires_grad and loaded["grad"].is_leaf
    assert isinstance(loaded["param"], torch.nn.Parameter) and loaded["param"].requires_grad
    assert loaded["plain"] == obj["plain"] and loaded["keys"] == obj["keys"]


def test_a_minigrad_model_moves_to_torch_and_back(tmp_path, torch):
    theirs, ours = models(torch)
    ours(mg.randn(5, 2, 4, 4))
    ours.eval()
    theirs.eval()
    mg.save(ours.state_dict(), tmp_path / "ours.pth")
    theirs.load_state_dict(torch.load(tmp_path / "ours.pth", weights_only=True))
    x = np.random.default_rng(2).standard_normal((2, 2, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(theirs(torch.from_numpy(x)).detach().numpy(),
                               ours(mg.tensor(x)).numpy(), rtol=1e-5, atol=1e-6)
    torch.save(theirs.state_dict(), tmp_path / "theirs.pt")
    again = mg.load(tmp_path / "theirs.pt")
    mg.save(again, tmp_path / "again.pt")  # torch's _metadata survives the trip
    assert torch.load(tmp_path / "again.pt")._metadata == theirs.state_dict()._metadata


def test_what_a_pt_file_cannot_hold_raises_and_leaves_no_file(tmp_path):
    for bad, match in [({"set": {1, 2}}, "cannot store a set"), ([object()], "a object"),
                       ({"x": np.array(["text"])}, "dtype <U4"), (2 ** 3000, "3001 bits")]:
        with pytest.raises(TypeError, match=match):
            mg.save(bad, tmp_path / "bad.pt")
    assert list(tmp_path.iterdir()) == []


def test_round_trip_through_the_torch_format_without_torch(tmp_path):
    shared = mg.ones(2, 2)
    obj = {"w": mg.randn(3, 4), "i": mg.arange(5), "b": mg.tensor([True]), "s": shared,
           "list": [shared, 1, (2.5, "x")], "param": mg.nn.Parameter(mg.zeros(2)),
           "many": [mg.tensor([i]) for i in range(300)]}
    obj["many"].append(obj["many"][-1])  # a reference through LONG_BINGET
    mg.save(obj, tmp_path / "x.pt")
    loaded = mg.load(tmp_path / "x.pt")
    for key in ("w", "i", "b", "s", "param"):
        assert loaded[key].dtype == obj[key].dtype
        np.testing.assert_array_equal(loaded[key].numpy(), obj[key].numpy())
    assert loaded["list"][0] is loaded["s"] and loaded["list"][1:] == [1, (2.5, "x")]
    assert isinstance(loaded["param"], mg.nn.Parameter)
    assert [int(t.item()) for t in loaded["many"]] == [*range(300), 299]
    assert loaded["many"][-1] is loaded["many"][-2]


def test_training_resumes_bit_for_bit_through_a_pt_file(tmp_path):
    """A minigrad optimizer's state (NumPy arrays, floats) comes back as tensors, which
    ``load_state_dict`` takes: the resumed run equals the uninterrupted one."""
    x = mg.tensor(np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32))

    def train(resume_at=None):
        mg.manual_seed(0)
        model = mg.nn.Linear(3, 2)
        optimizer = mg.optim.Adam(model.parameters(), lr=0.1)
        for step in range(4):
            if step == resume_at:
                mg.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()},
                        tmp_path / "resume.pt")
                model = mg.nn.Linear(3, 2)
                optimizer = mg.optim.Adam(model.parameters(), lr=0.1)
                state = mg.load(tmp_path / "resume.pt")
                model.load_state_dict(state["model"])
                optimizer.load_state_dict(state["optimizer"])
            optimizer.zero_grad()
            (model(x) ** 2).sum().backward()
            optimizer.step()
        return model.weight.numpy()

    np.testing.assert_array_equal(train(resume_at=2), train())


# ---------------------------------------------------------------------- choosing a format
def test_the_suffix_picks_the_format_and_load_reads_any_name(tmp_path):
    obj = {"w": mg.ones(2)}
    mg.save(obj, tmp_path / "a.pt")
    mg.save(obj, tmp_path / "a.mg")
    mg.save(obj, tmp_path / "b.pt", format="minigrad")
    mg.save(obj, tmp_path / "b.ckpt", format="torch")
    assert "header.json" in zipfile.ZipFile(tmp_path / "a.mg").namelist()
    assert "header.json" in zipfile.ZipFile(tmp_path / "b.pt").namelist()
    assert "archive/data.pkl" in zipfile.ZipFile(tmp_path / "b.ckpt").namelist()
    for name in ("a.pt", "a.mg", "b.pt", "b.ckpt"):  # by content, whatever the name
        np.testing.assert_array_equal(mg.load(tmp_path / name)["w"].numpy(), np.ones(2))
    with pytest.raises(CheckpointError, match="0 data.pkl records"):
        mg.load(tmp_path / "a.mg", format="torch")
    with pytest.raises(ValueError, match="format must be one of"):
        mg.save(obj, tmp_path / "c.pt", format="pickle")


def test_weights_only_false_is_refused_with_the_reason(tmp_path):
    mg.save({"w": mg.ones(2)}, tmp_path / "w.pt")
    with pytest.raises(ValueError, match="weights_only=False .* never"):
        mg.load(tmp_path / "w.pt", weights_only=False)
    assert mg.load(tmp_path / "w.pt", weights_only=True)["w"].shape == (2,)


def rewrite(path, suffix, change):
    """A copy of the zip at ``path`` with ``change`` applied to the entry ending in
    ``suffix`` (CRCs recomputed, so the zip itself stays valid)."""
    new = path.with_name("changed-" + path.name)
    with zipfile.ZipFile(path) as old, zipfile.ZipFile(new, "w") as out:
        for info in old.infolist():
            data = old.read(info)
            out.writestr(info.filename, change(data) if info.filename.endswith(suffix) else
                         data)
    return new
