"""PyTorch-format files from anyone are safe to ``mg.load``: a malicious pickle is refused,
naming the global or opcode, before any of it runs; truncated, oversized and wrong-magic
files raise ``CheckpointError`` naming the file and the problem, without allocating more than
the file's size allows. Needs no torch: the files are built here, byte by byte."""

import pickle
import tracemalloc
import zipfile

import numpy as np
import pytest
from checkpoint_helpers import Payload

import minigrad as mg
from minigrad.data import torch_unpickler
from minigrad.data.checkpoint import CheckpointError

MiB = 2 ** 20


def ops(value):
    """The opcodes that push ``value`` (a protocol-2 pickle without PROTO and STOP)."""
    return pickle.dumps(value, protocol=2)[2:-1]


def tensor_ops(numel=2, size=(2,), stride=(1,), offset=0, storage=b"torch\nFloatStorage",
               key="0", requires_grad=False, dtype=None):
    """``_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict())``;
    with ``dtype``, ``_rebuild_tensor_v3(..., dtype)``, as PyTorch writes the newer dtypes."""
    rebuild, dtype_ops = (b"v2", b"") if dtype is None else (b"v3", b"ctorch\n" + dtype + b"\n")
    return (b"ctorch._utils\n_rebuild_tensor_" + rebuild + b"\n((" + ops("storage") + b"c"
            + storage + b"\n" + ops(key) + ops("cpu") + ops(numel) + b"tQ" + ops(offset)
            + ops(size) + ops(stride) + ops(requires_grad) + b"ccollections\nOrderedDict\n)R"
            + dtype_ops + b"tR")


UNTYPED = b"torch.storage\nUntypedStorage"


def state_dict_pickle(*values):
    """``{"0": values[0], "1": values[1], ...}`` from the opcodes of each value."""
    items = b"".join(ops(str(index)) + value for index, value in enumerate(values))
    return b"\x80\x02}(" + items + b"u."


def torch_zip(path, pickled, records=None, **extra):
    """A zip laid out as torch.save lays it out, holding ``pickled`` as its data.pkl."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickled)
        archive.writestr("archive/byteorder", extra.get("byteorder", "little"))
        for key, data in (records or {"0": np.arange(2, dtype=np.float32).tobytes()}).items():
            archive.writestr(f"archive/data/{key}", data)
        archive.writestr("archive/version", "3\n")
    return path


def rejected(path, match):
    """The CheckpointError that loading ``path`` raises, and the peak of allocations."""
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError, match=match) as caught:
            mg.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(path) in str(caught.value), f"the message does not name the file: {caught.value}"
    return caught.value, peak


def test_a_hand_built_file_loads(tmp_path):
    """The helpers build valid files: each refusal below comes from the one fault added."""
    untyped = tensor_ops(numel=8, storage=UNTYPED, dtype=b"float32")  # the same 8 bytes
    path = torch_zip(tmp_path / "good.pt", state_dict_pickle(tensor_ops(), ops([1, "a"]),
                                                             untyped))
    loaded = mg.load(path)
    for key in ("0", "2"):
        assert loaded[key].dtype == mg.float32
        np.testing.assert_array_equal(loaded[key].numpy(), np.arange(2, dtype=np.float32))
    assert loaded["1"] == [1, "a"]


# -------------------------------------------------------------------- malicious pickles
EVAL = b"c__builtin__\neval\n(X%d\x00\x00\x00%stR"
SYSTEM = b"cos\nsystem\n(X%d\x00\x00\x00%stR"


def _shell(template, code):
    return template % (len(code), code)


@pytest.mark.parametrize("payload, refused", [
    (lambda m: pickle.dumps({"model": Payload(m)}, protocol=2), f"{open.__module__}.open"),
    (lambda m: pickle.dumps({"model": Payload(m)}, protocol=4), f"{open.__module__}.open"),
    (lambda m: state_dict_pickle(_shell(SYSTEM, f"touch {m}".encode())), "os.system"),
    (lambda m: state_dict_pickle(_shell(EVAL, f"open({str(m)!r}, 'w')".encode())),
     "builtins.eval"),
], ids=["reduce protocol 2", "reduce protocol 4", "os.system", "builtins.eval"])
def test_a_malicious_pickle_is_refused_naming_the_global(tmp_path, marker, payload, refused):
    path = torch_zip(tmp_path / "evil.pt", payload(marker))
    error, _ = rejected(path, f"refused global {refused}")
    assert "nothing in the file was run" in str(error)


def test_a_payload_after_real_tensors_is_refused_before_any_opcode_runs(
        tmp_path, marker, monkeypatch):
    calls = []
    monkeypatch.setitem(torch_unpickler.ALLOWED, "torch._utils._rebuild_tensor_v2",
                        lambda *args: calls.append(args))
    evil = ops((str(marker), "w")).join([b"cio\nopen\n", b"R"])
    path = torch_zip(tmp_path / "evil.pt", state_dict_pickle(tensor_ops(), evil))
    rejected(path, "refused global io.open")
    assert calls == [], "the pickle ran up to the refused global"


def test_a_pickle_cannot_make_the_unpickler_allocate_far_more_than_its_size(tmp_path):
    memo_bomb = b"\x80\x02Nr\xff\xff\xff\x7f."  # LONG_BINPUT 2**31 - 1: a 16 GiB memo
    _, peak = rejected(torch_zip(tmp_path / "memo.pt", memo_bomb), "refused memo index")
    assert peak < MiB, f"{peak} bytes allocated for a refused file"
    long_bytes = b"\x80\x04\x8e" + (2 ** 40).to_bytes(8, "little") + b"abc."  # BINBYTES8
    _, peak = rejected(torch_zip(tmp_path / "bytes.pt", long_bytes), "not a readable pickle")
    assert peak < MiB, f"{peak} bytes allocated for a refused file"


@pytest.mark.parametrize("pickled, opcode", [
    (b"\x80\x02(X\x04\x00\x00\x00echoios\nsystem\n.", "INST"),
    (b"\x80\x02(ccollections\nOrderedDict\no.", "OBJ"),
    (b"\x80\x02ccollections\nOrderedDict\n)\x81.", "NEWOBJ"),
    (b"\x80\x02\x82\x01.", "EXT1"),
    (b"\x80\x02S'text'\n.", "STRING"),
], ids=["INST", "OBJ", "NEWOBJ", "EXT1", "STRING"])
def test_opcodes_pytorch_never_writes_are_refused(tmp_path, pickled, opcode):
    rejected(torch_zip(tmp_path / "odd.pt", pickled), f"refused pickle opcode {opcode}")


def test_stack_global_names_are_read_through_the_memo_and_computed_ones_refused(tmp_path):
    through_memo = b"\x80\x04X\x02\x00\x00\x00os\x94X\x06\x00\x00\x00system\x94h\x00h\x01\x93."
    rejected(torch_zip(tmp_path / "memo.pt", through_memo), "refused global os.system")
    computed = b"\x80\x04]\x94X\x06\x00\x00\x00system\x94h\x00\x93."
    rejected(torch_zip(tmp_path / "computed.pt", computed), "STACK_GLOBAL whose name")


def test_a_pickle_cannot_set_the_state_of_what_it_builds(tmp_path):
    on_tensor = state_dict_pickle(tensor_ops() + ops({"data": 1}) + b"b")
    rejected(torch_zip(tmp_path / "tensor.pt", on_tensor), "sets the state of a TensorRecord")
    on_dict = state_dict_pickle(b"ccollections\nOrderedDict\n)R" + ops({"__class__": 1}) + b"b")
    rejected(torch_zip(tmp_path / "dict.pt", on_dict), r"attributes \['__class__'\]")


def test_values_a_weights_only_file_never_holds_are_refused(tmp_path):
    bare_type = state_dict_pickle(b"ctorch\nFloatStorage\n")
    rejected(torch_zip(tmp_path / "type.pt", bare_type), "holds a StorageType as a value")
    not_storage = state_dict_pickle(ops(("file", "x")) + b"Q")
    rejected(torch_zip(tmp_path / "pid.pt", not_storage), "not a storage reference")
    untyped = tensor_ops(numel=4, storage=UNTYPED, dtype=b"uint16")
    rejected(torch_zip(tmp_path / "u16.pt", state_dict_pickle(untyped),
                       {"0": bytes(4)}), "torch.uint16, which minigrad lacks")


def test_cycles_and_shared_references_load_in_linear_time(tmp_path):
    cyclic = []
    cyclic.append(cyclic)
    doubled = "leaf"
    for _ in range(60):  # 2**60 leaves if shared references were copied
        doubled = [doubled, doubled]
    path = torch_zip(tmp_path / "shared.pt", pickle.dumps({"c": cyclic, "d": doubled}, 2))
    loaded = mg.load(path)
    assert loaded["c"][0] is loaded["c"]
    assert loaded["d"][0] is loaded["d"][1]


# -------------------------------------------------------- truncated, oversized, wrong magic
def test_every_truncation_is_refused(tmp_path):
    mg.save({"w": mg.arange(50.0), "name": "model", "b": mg.ones(3) > 0}, tmp_path / "good.pt")
    data = (tmp_path / "good.pt").read_bytes()
    for size in sorted({len(data) // 2, *range(0, len(data), 37), len(data) - 1}):
        (tmp_path / "cut.pt").write_bytes(data[:size])
        rejected(tmp_path / "cut.pt", None)
    for offset in range(0, len(data), 7):  # NOTE: a flip in a timestamp changes nothing
        flipped = bytearray(data)
        flipped[offset] ^= 0xFF
        (tmp_path / "flipped.pt").write_bytes(flipped)
        try:
            mg.load(tmp_path / "flipped.pt")
        except CheckpointError:
            pass
    cut_pickle = state_dict_pickle(tensor_ops())[:-9]
    rejected(torch_zip(tmp_path / "cut.pt", cut_pickle), "not a readable pickle")


def test_a_storage_must_be_exactly_its_record(tmp_path):
    short = torch_zip(tmp_path / "short.pt", state_dict_pickle(tensor_ops(numel=4)))
    rejected(short, "storage 0 declares 16 bytes but its record holds 8")
    claim = tensor_ops(numel=2 ** 40, size=(2 ** 40,))
    _, peak = rejected(torch_zip(tmp_path / "claim.pt", state_dict_pickle(claim)),
                       "declares 4398046511104 bytes but its record holds 8")
    assert peak < MiB, f"{peak} bytes allocated for a refused file"
    missing = torch_zip(tmp_path / "missing.pt", state_dict_pickle(tensor_ops(key="7")))
    rejected(missing, "storage '7' has no record")


def test_a_view_must_stay_inside_its_storage(tmp_path):
    beyond = tensor_ops(size=(2, 2), stride=(1, 1), offset=1)
    rejected(torch_zip(tmp_path / "beyond.pt", state_dict_pickle(beyond)),
             "views element 3 of storage 0, which holds 2")
    broadcast = tensor_ops(size=(2 ** 20, 2 ** 20), stride=(0, 0))  # 4 TiB of one element
    _, peak = rejected(torch_zip(tmp_path / "broadcast.pt", state_dict_pickle(broadcast)),
                       "need more memory than max_bytes and MAX_RATIO")
    assert peak < MiB, f"{peak} bytes allocated for a refused file"
    negative = tensor_ops(size=(2,), stride=(-1,), offset=1)
    rejected(torch_zip(tmp_path / "negative.pt", state_dict_pickle(negative)), "malformed")


def test_a_tensor_must_fit_its_storage_s_bytes_and_its_dtype(tmp_path):
    untyped = tensor_ops(numel=6, size=(1,), storage=UNTYPED, dtype=b"float32")
    rejected(torch_zip(tmp_path / "odd.pt", state_dict_pickle(untyped), {"0": bytes(6)}),
             "storage 0 of 6 bytes is viewed as float32")
    integer = tensor_ops(storage=b"torch\nLongStorage", requires_grad=True)
    rejected(torch_zip(tmp_path / "int.pt", state_dict_pickle(integer), {"0": bytes(16)}),
             "a tensor of dtype torch.int64 requires grad")


def test_a_compressed_storage_bomb_is_refused_before_it_is_unpacked(tmp_path):
    path = tmp_path / "bomb.pt"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("archive/data.pkl", state_dict_pickle(tensor_ops(numel=4 * MiB)))
        with archive.open("archive/data/0", "w") as entry:
            for _ in range(16):
                entry.write(bytes(MiB))
    assert path.stat().st_size < 64 * 1024
    _, peak = rejected(path, "MAX_RATIO")
    assert peak < MiB, f"{peak} bytes allocated for a refused file"


@pytest.mark.parametrize("content, match", [
    (np.random.default_rng(0).bytes(4096), "not a PyTorch checkpoint .not a readable zip"),
    (pickle.dumps({"w": [1.0]}, protocol=2), "bare pickle, as torch.save wrote before"),
    (b"", "not a PyTorch checkpoint"),
], ids=["random", "bare pickle", "empty"])
def test_wrong_magic_is_refused(tmp_path, content, match):
    (tmp_path / "x.pt").write_bytes(content)
    rejected(tmp_path / "x.pt", match)


def test_a_zip_of_another_kind_or_a_bad_byteorder_is_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "other.pt", "w") as archive:
        archive.writestr("weights/0.bin", bytes(8))
    rejected(tmp_path / "other.pt", "0 data.pkl records")
    odd = torch_zip(tmp_path / "odd.pt", state_dict_pickle(tensor_ops()), byteorder="middle")
    rejected(odd, "byteorder record b'middle' is neither")


def test_a_big_endian_file_loads(tmp_path):
    values = np.array([1.5, -2.0], dtype=">f4")
    path = torch_zip(tmp_path / "big.pt", state_dict_pickle(tensor_ops()),
                     {"0": values.tobytes()}, byteorder="big")
    loaded = mg.load(path)["0"]
    assert loaded.dtype == mg.float32
    np.testing.assert_array_equal(loaded.numpy(), values.astype(np.float32))
