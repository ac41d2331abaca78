"""``mg.load`` of files that are not checkpoints: never unpickled, always a ``CheckpointError``
that names the file, and no more memory than the limits allow."""

import io
import json
import pickle
import tracemalloc
import zipfile

import numpy as np
import pytest
from checkpoint_helpers import Payload

import minigrad as mg
from minigrad.data import checkpoint as ck
from minigrad.data.checkpoint import CheckpointError


def write_zip(path, entries, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def header(tree=None, **changes):
    fields = {"format": ck.FORMAT, "version": ck.VERSION, "tree": tree}
    fields.update(changes)
    return json.dumps(fields)


def npy(array, allow_pickle=False):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def assert_rejected(path, match=None, **kwargs):
    with pytest.raises(CheckpointError, match=match) as caught:
        mg.load(path, **kwargs)
    assert isinstance(caught.value, ValueError)
    assert str(path) in str(caught.value), f"the message does not name the file: {caught.value}"
    return caught.value


def test_a_pickle_file_is_rejected_without_running_it(tmp_path, marker):
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"model": Payload(marker)}))
    assert_rejected(path, "not a minigrad checkpoint")


def test_a_torch_style_zip_with_a_pickle_inside_is_rejected(tmp_path, marker):
    pickled = pickle.dumps(Payload(marker))
    path = write_zip(tmp_path / "torch.pt", {"archive/data.pkl": pickled, "archive/version": "3"})
    assert_rejected(path, "refused global io.open")  # read as PyTorch's format, never run


def test_an_array_entry_holding_a_pickled_object_array_is_rejected(tmp_path, marker):
    evil = np.empty(1, dtype=object)
    evil[0] = Payload(marker)
    path = write_zip(tmp_path / "evil.mg", {ck.HEADER: header({"__array__": 0}),
                                            "0.npy": npy(evil, allow_pickle=True)})
    assert_rejected(path, "0.npy")


def test_a_pickled_header_is_rejected(tmp_path, marker):
    path = write_zip(tmp_path / "evil.mg", {ck.HEADER: pickle.dumps(Payload(marker))})
    assert_rejected(path, "header")


def test_every_truncation_of_a_checkpoint_is_rejected(tmp_path):
    good = tmp_path / "good.mg"
    mg.save({"w": np.arange(50.0), "name": "model", "t": mg.ones(3)}, good)
    data = good.read_bytes()
    cut = tmp_path / "cut.mg"
    for size in sorted({len(data) // 2, *range(0, len(data), 37), len(data) - 1}):
        cut.write_bytes(data[:size])
        assert_rejected(cut)


@pytest.mark.parametrize("content", [b"", np.random.default_rng(0).bytes(4096),
                                     b"PK\x03\x04" + bytes(200), b"\x93NUMPY"],
                         ids=["empty", "random", "zip signature", "npy magic"])
def test_random_bytes_are_rejected(tmp_path, content):
    path = tmp_path / "noise.mg"
    path.write_bytes(content)
    assert_rejected(path, "not a minigrad checkpoint")


def test_a_zip_without_the_header_is_rejected(tmp_path):
    path = write_zip(tmp_path / "plain.zip", {"0.npy": npy(np.zeros(3))})
    assert_rejected(path, "no header.json")


@pytest.mark.parametrize("text", [b"not json", b"{\"format\": ", b"\xff\xfe\x00garbage"],
                         ids=["text", "cut json", "not utf-8"])
def test_a_header_that_is_not_json_is_rejected(tmp_path, text):
    path = write_zip(tmp_path / "bad.mg", {ck.HEADER: text})
    assert_rejected(path, "header")


@pytest.mark.parametrize("text", [
    json.dumps([1, 2]), json.dumps("minigrad-checkpoint"),
    header(format="pytorch"), json.dumps({"version": ck.VERSION, "tree": None}),
], ids=["list", "string", "other format", "no format"])
def test_a_header_of_another_format_is_rejected(tmp_path, text):
    path = write_zip(tmp_path / "other.mg", {ck.HEADER: text})
    assert_rejected(path, "not a minigrad checkpoint")


@pytest.mark.parametrize("version", [ck.VERSION + 1, 0, None, "1"])
def test_a_header_of_another_version_is_rejected(tmp_path, version):
    path = write_zip(tmp_path / "future.mg", {ck.HEADER: header(version=version)})
    assert_rejected(path, "version")


@pytest.mark.parametrize("text", [
    json.dumps({"format": ck.FORMAT, "version": ck.VERSION}),
    header({"__float__": "not a number"}),
    header({"__dict__": 5}),
    header({"__dict__": [[1]]}),
    header({"__dict__": [[{"__dict__": []}, 1]]}),
    header({"__tuple__": 3}),
    header({"__tensor__": 0, "backend": "no-such-backend"}),
    header({"__array__": 1}),
    header({"__array__": "0"}),
    header({"surprise": 1}),
    '{"format": "minigrad-checkpoint", "version": 1, "tree": ' + "[" * 50_000 + "]" * 50_000 + "}",
], ids=["no tree", "bad float", "dict not pairs", "short pair", "unhashable key", "bad tuple",
        "unknown backend", "missing array", "array name", "unknown entry", "deep nesting"])
def test_a_malformed_tree_is_rejected(tmp_path, text):
    path = write_zip(tmp_path / "odd.mg", {ck.HEADER: text, "0.npy": npy(np.zeros(2))})
    assert_rejected(path)


def test_an_array_whose_npy_header_claims_a_huge_shape_is_rejected(tmp_path):
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": "<f8", "fortran_order": False, "shape": (2 ** 40,)})
    buffer.write(bytes(16))
    path = write_zip(tmp_path / "liar.mg", {ck.HEADER: header({"__array__": 0}),
                                            "0.npy": buffer.getvalue()})
    assert_rejected(path)


def test_a_header_claiming_a_huge_size_is_rejected_before_it_is_read(tmp_path):
    path = tmp_path / "bomb.mg"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open(ck.HEADER, "w", force_zip64=True) as entry:
            entry.write(header()[:-1].encode())
            chunk = b" " * 2 ** 20
            for _ in range(100):
                entry.write(chunk)
            entry.write(b"}")
    assert path.stat().st_size < 2 ** 20
    tracemalloc.start()
    try:
        assert_rejected(path, "header claims")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 ** 23, f"load allocated {peak} bytes for a rejected file"


def test_the_header_size_limit_applies_to_real_checkpoints(tmp_path, monkeypatch):
    path = tmp_path / "long.mg"
    mg.save({"notes": "x" * 5000}, path)
    assert mg.load(path)["notes"] == "x" * 5000
    monkeypatch.setattr(ck, "MAX_HEADER_BYTES", 1000)
    assert_rejected(path, "more than the 1000 allowed")


def test_max_bytes_is_enforced(tmp_path):
    path = tmp_path / "big.mg"
    mg.save({"w": np.zeros(10_000)}, path)
    with zipfile.ZipFile(path) as archive:
        total = sum(info.file_size for info in archive.infolist())
    assert total > 80_000
    assert mg.load(path, max_bytes=total)["w"].shape == (10_000,)
    assert_rejected(path, "max_bytes", max_bytes=total - 1)
    assert_rejected(path, "max_bytes", max_bytes=1000)
