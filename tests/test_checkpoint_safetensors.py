"""``.safetensors`` files through ``mg.save`` / ``mg.load``: a flat dict of tensors whose
dtypes and shapes survive the trip, that ``safetensors.torch`` reads and writes, and whose
readers refuse malformed files with a ``CheckpointError`` naming the problem."""

import json
import struct
import sys

import numpy as np
import pytest

import minigrad as mg
from minigrad.data import safetensors_format
from minigrad.data.checkpoint import CheckpointError

safetensors = pytest.importorskip("safetensors", reason=f"safetensors not installed: "
                                  f"{safetensors_format.INSTALL_HINT}")

DTYPES = ["float16", "float32", "float64", "uint8", "int8", "int16", "int32", "int64", "bool"]


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="torch not installed: pip install "
                               "'minigrad[parity]'")


def values(dtype, shape):
    flat = np.arange(int(np.prod(shape)), dtype=np.float64) * 1.25 - 3
    return (flat > 0).reshape(shape) if dtype == "bool" else flat.astype(dtype).reshape(shape)


def everything():
    """One tensor per dtype and shape: 0-d, one element, empty and a matrix."""
    shapes = {"matrix": (3, 4), "scalar": (), "one": (1,), "empty": (0, 3)}
    return {f"{dtype}.{name}": mg.tensor(values(dtype, shape))
            for dtype in DTYPES for name, shape in shapes.items()}


def assert_same_tensors(expected, loaded):
    assert sorted(loaded) == sorted(expected)
    for name, tensor in expected.items():
        assert isinstance(loaded[name], mg.Tensor), name
        assert loaded[name].dtype == tensor.dtype, name
        assert tuple(loaded[name].shape) == tuple(tensor.shape), name
        np.testing.assert_array_equal(loaded[name].numpy(), tensor.numpy(), err_msg=name)


def test_round_trip_keeps_dtype_shape_and_values(tmp_path):
    expected = everything()
    mg.save(expected, tmp_path / "m.safetensors")
    assert_same_tensors(expected, mg.load(tmp_path / "m.safetensors"))


def test_arrays_and_views_are_stored_as_their_values(tmp_path):
    base = np.arange(12.0).reshape(3, 4)
    mg.save({"t": base.T, "step": base[::2, 1:], "tensor": mg.tensor(base).t()},
            tmp_path / "v.safetensors")
    loaded = mg.load(tmp_path / "v.safetensors")
    np.testing.assert_array_equal(loaded["t"].numpy(), base.T)
    np.testing.assert_array_equal(loaded["step"].numpy(), base[::2, 1:])
    np.testing.assert_array_equal(loaded["tensor"].numpy(), base.T)


def test_safetensors_torch_reads_what_mg_writes_and_back(tmp_path, torch):
    from safetensors.torch import load_file, save_file

    expected = everything()
    mg.save(expected, tmp_path / "ours.safetensors")
    theirs = load_file(tmp_path / "ours.safetensors")
    for name, tensor in expected.items():
        assert str(theirs[name].dtype) == str(tensor.dtype).replace("minigrad", "torch")
        assert tuple(theirs[name].shape) == tuple(tensor.shape)
        np.testing.assert_array_equal(theirs[name].numpy(), tensor.numpy())
    save_file(theirs, tmp_path / "theirs.safetensors")
    assert_same_tensors(expected, mg.load(tmp_path / "theirs.safetensors"))


def test_a_model_moves_between_frameworks_through_safetensors(tmp_path, torch):
    from safetensors.torch import load_file, save_file

    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4)).eval()
    ours = mg.nn.Sequential(mg.nn.Linear(3, 4), mg.nn.BatchNorm1d(4)).eval()
    save_file(theirs.state_dict(), tmp_path / "theirs.safetensors")
    ours.load_state_dict(mg.load(tmp_path / "theirs.safetensors"))
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    np.testing.assert_allclose(ours(mg.tensor(x)).numpy(),
                               theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-6)
    ours[0].weight.data *= 2
    mg.save(ours.state_dict(), tmp_path / "ours.safetensors")
    theirs.load_state_dict(load_file(tmp_path / "ours.safetensors"))
    np.testing.assert_array_equal(theirs[0].weight.detach().numpy(), ours[0].weight.numpy())


def test_format_and_map_location(tmp_path):
    expected = {"w": mg.ones(2, 3)}
    mg.save(expected, tmp_path / "weights.bin", format="safetensors")
    assert_same_tensors(expected, mg.load(tmp_path / "weights.bin"))  # found by its content
    for backend in mg.available_backends():
        loaded = mg.load(tmp_path / "weights.bin", map_location=backend, format="safetensors")
        assert loaded["w"].backend == backend


@pytest.mark.parametrize("obj, match", [
    ({"layer": {"weight": mg.ones(2)}}, "'layer' holds a dict"),
    ({"w": mg.ones(2), "step": 3}, "'step' holds a int"),
    ({0: mg.ones(2)}, "key 0 is a int"),
    ([mg.ones(2)], "holds a dict of tensors, not a list"),
], ids=["nested", "number", "int key", "list"])
def test_what_is_not_a_flat_dict_of_tensors_is_refused(tmp_path, obj, match):
    with pytest.raises(TypeError, match=match):
        mg.save(obj, tmp_path / "bad.safetensors")
    assert list(tmp_path.iterdir()) == [], "a refused save left a file behind"


def test_without_the_package_both_directions_say_how_to_install_it(tmp_path, monkeypatch):
    mg.save({"w": mg.ones(2)}, tmp_path / "w.safetensors")
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    for call in (lambda: mg.save({"w": mg.ones(2)}, tmp_path / "x.safetensors"),
                 lambda: mg.load(tmp_path / "w.safetensors")):
        with pytest.raises(ModuleNotFoundError, match="pip install safetensors"):
            call()


# ---------------------------------------------------------------------- hostile files
def file_of(header, data=b""):
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def refused(path, content, match):
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=match) as caught:
        mg.load(path, format="safetensors")
    assert str(path) in str(caught.value)


def test_every_truncation_is_refused(tmp_path):
    mg.save(everything(), tmp_path / "good.safetensors")
    data = (tmp_path / "good.safetensors").read_bytes()
    for size in sorted({*range(0, len(data), 23), len(data) - 1}):
        refused(tmp_path / "cut.safetensors", data[:size], "safetensors file")


@pytest.mark.parametrize("content, match", [
    (b"PK\x03\x04" + bytes(60), "declare a header of"),
    (struct.pack("<Q", 2 ** 62) + b"{}", "declare a header of 4611686018427387904 bytes"),
    (struct.pack("<Q", 4) + b"nope", "unreadable header"),
    (file_of([1, 2]), "its header is a list"),
    (b"\x00" * 5, "fewer than the 8"),
], ids=["zip", "huge header", "not json", "not an object", "short"])
def test_a_file_that_is_not_safetensors_is_refused(tmp_path, content, match):
    refused(tmp_path / "x.safetensors", content, match)


@pytest.mark.parametrize("header, data, match", [
    ({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, bytes(8), "not fully"),
    ({"w": {"dtype": "F32", "shape": [2 ** 40], "data_offsets": [0, 8]}}, bytes(8),
     "invalid shape"),
    ({"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, bytes(8), "offset"),
    ({"w": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}, bytes(4),
     "'w' has dtype 'BF16', which minigrad lacks"),
    ({"w": [1]}, b"", "'w' has dtype None"),
], ids=["beyond the file", "oversized shape", "gap", "bfloat16", "no dtype"])
def test_a_header_that_lies_about_its_tensors_is_refused(tmp_path, header, data, match):
    refused(tmp_path / "lie.safetensors", file_of(header, data), match)


def test_max_bytes_bounds_what_a_load_reads(tmp_path):
    mg.save({"w": mg.zeros(1000)}, tmp_path / "w.safetensors")
    with pytest.raises(CheckpointError, match="max_bytes=100"):
        mg.load(tmp_path / "w.safetensors", max_bytes=100)
