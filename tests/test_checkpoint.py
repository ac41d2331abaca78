"""``mg.save`` / ``mg.load``: round trips, bit-identical resume of a training run, files that
are not checkpoints (never unpickled, always a ``CheckpointError``), and atomic writes."""

import io
import json
import math
import os
import pickle
import tracemalloc
import zipfile

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.data import DataLoader, TensorDataset
from minigrad.data import checkpoint as ck
from minigrad.data.checkpoint import CheckpointError
from minigrad.nn.utils import clip_grad_norm_
from minigrad.optim.lr_scheduler import CyclicLR, StepLR


def assert_same(expected, actual, where="obj"):
    """Equal values of the same types, dtypes and shapes; floats compared bit for bit."""
    if isinstance(expected, mg.Tensor):
        assert isinstance(actual, mg.Tensor), f"{where}: {type(actual).__name__}, not a Tensor"
        assert actual.dtype == expected.dtype, f"{where}: {actual.dtype} != {expected.dtype}"
        np.testing.assert_array_equal(actual.numpy(), expected.numpy(), err_msg=where)
        assert tuple(actual.shape) == tuple(expected.shape), where
    elif isinstance(expected, np.ndarray):
        assert isinstance(actual, np.ndarray), f"{where}: {type(actual).__name__}, not ndarray"
        assert actual.dtype == expected.dtype, f"{where}: {actual.dtype} != {expected.dtype}"
        assert actual.shape == expected.shape, f"{where}: {actual.shape} != {expected.shape}"
        np.testing.assert_array_equal(actual, expected, err_msg=where)
    elif isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: {type(actual).__name__}, not a dict"
        assert list(actual) == list(expected), f"{where}: keys {list(actual)}"
        for key in expected:
            assert_same(expected[key], actual[key], f"{where}[{key!r}]")
    elif isinstance(expected, (list, tuple)):
        assert type(actual) is type(expected), f"{where}: {type(actual).__name__}"
        assert len(actual) == len(expected), where
        for index, (e, a) in enumerate(zip(expected, actual)):
            assert_same(e, a, f"{where}[{index}]")
    else:
        assert type(actual) is type(expected), f"{where}: {type(actual).__name__}"
        if isinstance(expected, float):
            assert repr(actual) == repr(expected), f"{where}: {actual!r} != {expected!r}"
        else:
            assert actual == expected, f"{where}: {actual!r} != {expected!r}"


def round_trip(obj, tmp_path):
    path = tmp_path / "checkpoint.mg"
    mg.save(obj, path)
    return mg.load(path)


# ----------------------------------------------------------------------------- round trip
def test_round_trip_of_nested_plain_values_arrays_and_tensors(tmp_path):
    rng = np.random.default_rng(0)
    obj = {
        "text": "héllo ✓", "empty": "", 7: "int key", -1: None, 0: {"nested": {"deep": [{}]}},
        "bools": [True, False], "ints": [0, -3, 2 ** 70],
        "floats": [0.0, -0.0, 1.5, 1e-300, math.pi, math.inf, -math.inf, math.nan],
        "tuples": (1, (2, "x"), [], ()), "list of dicts": [{"a": 1}, {2: (None,)}],
        "f32": rng.standard_normal((3, 4)).astype(np.float32),
        "f64": rng.standard_normal(5), "i64": np.arange(-3, 3, dtype=np.int64),
        "bool": np.array([True, False, True]), "f16": np.array([1.5, -2.0], dtype=np.float16),
        "0-d f32": np.array(2.5, dtype=np.float32), "0-d f64": np.array(math.nan),
        "0-d i64": np.array(7, dtype=np.int64), "0-d bool": np.array(False),
        "no rows": np.zeros((0, 3)), "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        "strided": np.arange(10, dtype=np.int64)[::3], "special": np.array([np.inf, -np.nan]),
        "t32": mg.tensor(rng.standard_normal((2, 3)).astype(np.float32)),
        "t64": mg.tensor(rng.standard_normal(4)), "ti64": mg.arange(5),
        "tbool": mg.tensor(np.array([True, False])), "t 0-d": mg.tensor(np.float32(3.0)),
    }
    assert_same(obj, round_trip(obj, tmp_path))


def test_round_trip_of_a_tuple_at_the_top_and_a_tuple_key(tmp_path):
    obj = ({(1, "a"): [1.0]}, "x")
    assert_same(obj, round_trip(obj, tmp_path))


def test_loaded_arrays_are_writable_copies(tmp_path):
    loaded = round_trip({"w": np.arange(3.0)}, tmp_path)
    loaded["w"][0] = 5.0
    assert loaded["w"][0] == 5.0


def tiny_model():
    return nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Dropout(0.2),
                         nn.Linear(6, 3))


def adam_steps(model, optimizer, steps, seed):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        x = mg.tensor(rng.standard_normal((8, 4)).astype(np.float32))
        y = mg.tensor(rng.integers(0, 3, 8))
        optimizer.zero_grad()
        nn.CrossEntropyLoss()(model(x), y).backward()
        optimizer.step()


def test_module_optimizer_and_scheduler_state_dicts_round_trip(tmp_path):
    model = tiny_model()
    optimizer = mg.optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.99))
    scheduler = StepLR(optimizer, step_size=2, gamma=0.5)
    for _ in range(3):
        adam_steps(model, optimizer, 1, seed=len(optimizer.state))
        scheduler.step()
    saved = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
             "scheduler": scheduler.state_dict()}
    loaded = round_trip(saved, tmp_path)
    assert_same(saved, loaded)

    mg.manual_seed(1)
    twin = tiny_model()
    twin_optimizer = mg.optim.Adam(twin.parameters(), lr=0.5)
    twin_scheduler = StepLR(twin_optimizer, step_size=7)
    twin.load_state_dict(loaded["model"])
    twin_optimizer.load_state_dict(loaded["optimizer"])
    twin_scheduler.load_state_dict(loaded["scheduler"])
    assert_same(saved["scheduler"], twin_scheduler.state_dict())
    assert twin_optimizer.param_groups[0]["lr"] == optimizer.param_groups[0]["lr"]
    model.eval()
    twin.eval()  # no dropout: both take the same step
    adam_steps(model, optimizer, 2, seed=9)
    adam_steps(twin, twin_optimizer, 2, seed=9)
    assert_same(model.state_dict(), twin.state_dict())
    assert_same(optimizer.state_dict(), twin_optimizer.state_dict())


def test_rng_state_round_trips_and_replays_the_same_draws(tmp_path):
    mg.randn(3)
    state = round_trip(mg.get_rng_state(), tmp_path)
    expected = mg.rand(5).numpy()
    mg.manual_seed(42)
    mg.set_rng_state(state)
    np.testing.assert_array_equal(mg.rand(5).numpy(), expected)


# ------------------------------------------------------------------ bit-identical resume
SCHEDULERS = {
    "StepLR": lambda optimizer: StepLR(optimizer, step_size=4, gamma=0.5),
    "CyclicLR": lambda optimizer: CyclicLR(optimizer, base_lr=0.01, max_lr=0.2,
                                           step_size_up=5),
}
DATA = np.random.default_rng(0)
X = DATA.standard_normal((44, 5)).astype(np.float32)
Y = DATA.integers(0, 3, 44)
MAX_NORM = 0.5


class Run:
    """A model with BatchNorm and Dropout, SGD with momentum, a scheduler, gradient clipping
    and a shuffled loader; ``steps(n)`` trains and records everything that could drift."""

    def __init__(self, seed, scheduler):
        mg.manual_seed(seed)
        self.model = nn.Sequential(nn.Linear(5, 16), nn.BatchNorm1d(16), nn.ReLU(),
                                   nn.Dropout(0.3), nn.Linear(16, 3))
        self.optimizer = mg.optim.SGD(self.model.parameters(), lr=0.1, momentum=0.9,
                                      weight_decay=1e-3)
        self.scheduler = SCHEDULERS[scheduler](self.optimizer)
        dataset = TensorDataset(mg.tensor(X), mg.tensor(Y), mg.arange(len(Y)))
        self.loader = DataLoader(dataset, batch_size=8, shuffle=True)  # seed from the rng
        self.batches = self._forever()
        self.masks = []
        self.model[3].register_forward_hook(
            lambda module, inputs, output: self.masks.append(output.numpy() != 0))
        self.log = {"loss": [], "order": [], "norm": [], "lr": []}

    def _forever(self):
        while True:
            yield from self.loader

    def steps(self, n):
        for _ in range(n):
            x, y, index = next(self.batches)
            loss = nn.CrossEntropyLoss()(self.model(x), y)
            self.optimizer.zero_grad()
            loss.backward()
            norm = clip_grad_norm_(self.model.parameters(), MAX_NORM)
            self.optimizer.step()
            self.scheduler.step()
            self.log["loss"].append(loss.numpy().copy())
            self.log["order"].append(index.numpy().copy())
            self.log["norm"].append(norm.numpy().copy())
            self.log["lr"].append(self.scheduler.get_last_lr())

    def state(self):
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(), "rng": mg.get_rng_state(),
                "loader": self.loader.state_dict()}

    def restore(self, state):
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        mg.set_rng_state(state["rng"])
        self.loader.load_state_dict(state["loader"])


@pytest.mark.parametrize("scheduler", list(SCHEDULERS))
def test_resuming_from_a_checkpoint_continues_bit_for_bit(tmp_path, scheduler, backend):
    straight = Run(0, scheduler)
    straight.steps(27)
    rng_after_27_steps = mg.get_rng_state()
    assert max(float(n) for n in straight.log["norm"]) > MAX_NORM  # clipping acted

    first = Run(0, scheduler)
    first.steps(7)
    assert 0 < first.loader.state_dict()["batch_index"] < len(first.loader)  # mid-epoch
    mg.save(first.state(), tmp_path / "resume.mg")

    resumed = Run(1, scheduler)  # another seed: everything below must come from the file
    assert not np.array_equal(resumed.model.state_dict()["0.weight"],
                              first.model.state_dict()["0.weight"])
    assert resumed.loader.seed != first.loader.seed
    resumed.restore(mg.load(tmp_path / "resume.mg"))
    resumed.steps(20)

    for key in straight.log:
        assert_same(straight.log[key], first.log[key] + resumed.log[key], key)
    masks = first.masks + resumed.masks
    assert len(masks) == len(straight.masks) == 27
    for step, (expected, actual) in enumerate(zip(straight.masks, masks)):
        np.testing.assert_array_equal(actual, expected, err_msg=f"dropout mask of step {step}")
    assert_same(straight.model.state_dict(), resumed.model.state_dict(), "model")
    assert_same(straight.optimizer.state_dict(), resumed.optimizer.state_dict(), "optimizer")
    assert_same(straight.scheduler.state_dict(), resumed.scheduler.state_dict(), "scheduler")
    assert_same(straight.loader.state_dict(), resumed.loader.state_dict(), "loader")
    assert mg.get_rng_state() == rng_after_27_steps


# ----------------------------------------------------------------------------- safety
class Payload:
    """Unpickling this creates ``marker``: proof that a loader ran code from the file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


@pytest.fixture
def marker(tmp_path):
    path = tmp_path / "pwned"
    pickle.loads(pickle.dumps(Payload(path))).close()  # the payload is live...
    assert path.exists()
    path.unlink()  # ...so its absence after a load means it never ran
    yield path
    assert not path.exists(), "loading the file executed code"


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
    assert_rejected(path, "no header.json")


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


# ------------------------------------------------------------------------ atomic writes
OLD = {"weights": np.arange(6.0).reshape(2, 3), "step": 3}
NEW = {"weights": np.ones((2, 3)), "bias": np.zeros(3), "step": 4}


@pytest.fixture
def old_checkpoint(tmp_path):
    path = tmp_path / "model.mg"
    mg.save(OLD, path)
    return path, path.read_bytes()


def assert_untouched(path, content):
    assert path.read_bytes() == content
    assert_same(OLD, mg.load(path))
    assert sorted(os.listdir(path.parent)) == [path.name], "a temporary file was left behind"


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()],
                         ids=["OSError", "KeyboardInterrupt"])
def test_a_write_failing_after_the_header_keeps_the_old_file(old_checkpoint, monkeypatch, error):
    path, content = old_checkpoint
    written = []
    real = np.lib.format.write_array

    def failing(buffer, array, *args, **kwargs):
        if written:
            raise error
        written.append(array.shape)
        return real(buffer, array, *args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", failing)
    with pytest.raises(type(error)):
        mg.save(NEW, path)
    assert written == [(2, 3)]
    assert_untouched(path, content)


def test_a_writestr_failing_after_the_header_keeps_the_old_file(old_checkpoint, monkeypatch):
    path, content = old_checkpoint
    names = []
    real = zipfile.ZipFile.writestr

    def failing(self, name, data, *args, **kwargs):
        if names:
            raise OSError("no space left on device")
        names.append(getattr(name, "filename", name))
        return real(self, name, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", failing)
    with pytest.raises(OSError, match="no space"):
        mg.save(NEW, path)
    assert names == [ck.HEADER]
    assert_untouched(path, content)


def test_a_failed_first_save_creates_no_file(tmp_path, monkeypatch):
    def failing(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np.lib.format, "write_array", failing)
    with pytest.raises(OSError):
        mg.save(NEW, tmp_path / "new.mg")
    assert os.listdir(tmp_path) == []


def test_saving_over_a_file_replaces_it(old_checkpoint):
    path, _ = old_checkpoint
    mg.save(NEW, path)
    assert_same(NEW, mg.load(path))
    assert os.listdir(path.parent) == [path.name]


@pytest.mark.parametrize("value", [
    lambda x: x, np.array([1, "a"], dtype=object), np.array(["text"]), {1, 2}, object(),
    b"bytes", np.array([1 + 2j]),
], ids=["function", "object array", "str array", "set", "object", "bytes", "complex array"])
def test_saving_an_unsupported_object_raises_type_error(old_checkpoint, value):
    path, content = old_checkpoint
    with pytest.raises(TypeError, match="save: cannot store"):
        mg.save({"ok": np.zeros(2), "nested": [1, {"bad": value}]}, path)
    assert_untouched(path, content)
