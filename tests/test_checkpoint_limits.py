"""Checkpoint loading limits and saving hygiene (issue 15, defect 6): a missing file is a
``FileNotFoundError``; a small file cannot make ``load`` allocate much more than its size,
and arrays are read straight into their final buffers; ``save`` never touches the process's
umask; temporary files of killed saves are cleaned up by the next save of the same target."""

import errno
import io
import json
import os
import signal
import subprocess
import sys
import threading
import tracemalloc
import zipfile

import numpy as np
import pytest

import minigrad as mg
from minigrad.data import checkpoint as ck
from minigrad.data.checkpoint import CheckpointError

MiB = 2 ** 20


def header(tree):
    return json.dumps({"format": ck.FORMAT, "version": ck.VERSION, "tree": tree})


def npy_header(shape, descr="<f8"):
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def zeros_bomb(path, size):
    """A deflated checkpoint holding ``size`` bytes of zeros, written without ever holding
    them in memory: the file is about a thousandth of what it unpacks to."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(ck.HEADER, header({"__array__": 0}))
        with archive.open("0.npy", "w", force_zip64=True) as entry:
            entry.write(npy_header((size // 8,)))
            for _ in range(size // MiB):
                entry.write(bytes(MiB))
    return path


def peak_of(call):
    """(result of ``call()``, the peak of traced allocations while it ran)."""
    tracemalloc.start()
    try:
        result = call()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def refused(path, match):
    """(the ``CheckpointError`` loading ``path`` raises, the peak allocated meanwhile)."""
    def load_and_fail():
        with pytest.raises(CheckpointError, match=match) as caught:
            mg.load(path)
        return caught.value

    return peak_of(load_and_fail)


# ------------------------------------------------------------------------- missing file
def test_a_missing_file_raises_file_not_found_error(tmp_path):
    """Defect: a missing path raised a plain ``CheckpointError``, so ``except
    FileNotFoundError`` resume logic (what works with ``torch.load``) crashed instead."""
    path = tmp_path / "never-saved.mg"
    with pytest.raises(FileNotFoundError) as caught:
        mg.load(path)
    assert isinstance(caught.value, CheckpointError)  # ``except CheckpointError`` still works
    assert caught.value.errno == errno.ENOENT
    assert caught.value.filename == str(path)
    assert "load" in str(caught.value) and str(path) in str(caught.value)


def test_a_corrupt_file_is_a_checkpoint_error_not_a_missing_one(tmp_path):
    path = tmp_path / "corrupt.mg"
    path.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(CheckpointError) as caught:
        mg.load(path)
    assert not isinstance(caught.value, FileNotFoundError)


# ------------------------------------------------------------------------ size limits
def test_a_compressed_bomb_is_refused_before_anything_is_unpacked(tmp_path):
    """Defect: a file of a few KiB declaring 16 MiB (zeros compress a thousandfold) was
    unpacked, with two copies of the array alive at once."""
    path = zeros_bomb(tmp_path / "bomb.mg", 16 * MiB)
    assert path.stat().st_size < 64 * 1024
    error, peak = refused(path, "MAX_RATIO")
    assert str(path) in str(error)
    assert peak < MiB, f"load allocated {peak} bytes for a refused file"


def test_raising_max_ratio_loads_a_compressed_file_with_one_copy(tmp_path, monkeypatch):
    """The documented way past the ratio limit works, and the array is unpacked straight
    into its final buffer (before: one copy from the zip plus one from ``.copy()``)."""
    size = 8 * MiB
    path = zeros_bomb(tmp_path / "recompressed.mg", size)
    monkeypatch.setattr(ck, "MAX_RATIO", 10_000)
    loaded, peak = peak_of(lambda: mg.load(path))
    assert loaded.shape == (size // 8,) and loaded.dtype == np.float64
    assert not loaded.any() and loaded.flags.writeable
    assert peak < 1.5 * size, f"loading {size} bytes allocated {peak} at the peak"


@pytest.mark.parametrize("order", ["C", "F"])
def test_an_array_is_read_into_its_final_buffer(tmp_path, order):
    """Defect: ``load`` read the whole entry into a bytes object and then copied it, so a
    checkpoint needed twice its size in memory. (``save`` writes C order; a Fortran-order
    entry comes from other writers of ``.npy`` files.)"""
    expected = np.asarray(np.arange(2 * MiB, dtype=np.float64).reshape(1024, -1), order=order)
    path = tmp_path / "big.mg"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(ck.HEADER, header({"__array__": 0}))
        with archive.open("0.npy", "w", force_zip64=True) as entry:
            np.lib.format.write_array(entry, expected)
    loaded, peak = peak_of(lambda: mg.load(path))
    np.testing.assert_array_equal(loaded, expected)
    assert loaded.flags.writeable and loaded.flags[f"{order}_CONTIGUOUS"]
    assert peak < 1.25 * expected.nbytes, f"{expected.nbytes} bytes loaded with {peak} peak"


def test_an_entry_named_twice_in_the_header_is_refused(tmp_path):
    """Defect: one entry referenced N times in the JSON was unpacked N times, so a header of
    a few KiB multiplied the file's size by thousands."""
    path = tmp_path / "repeat.mg"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(ck.HEADER, header([{"__array__": 0}] * 50))
        archive.writestr("0.npy", npy_header((MiB // 32,)) + bytes(MiB // 4))
    _, peak = refused(path, "0.npy is referenced twice")
    assert peak < 2 * MiB, f"load allocated {peak} bytes for a refused file"


@pytest.mark.parametrize("shape, data", [((4,), 3 * 8), ((2,), 3 * 8), ((-2, -2), 4 * 8)],
                         ids=["more than held", "less than held", "negative dims"])
def test_an_npy_shape_must_match_the_data_it_holds(tmp_path, shape, data):
    path = tmp_path / "liar.mg"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(ck.HEADER, header({"__array__": 0}))
        archive.writestr("0.npy", npy_header(shape) + bytes(data))
    with pytest.raises(CheckpointError, match="0.npy"):
        mg.load(path)


def test_a_compressed_file_within_the_ratio_still_loads(tmp_path):
    path = tmp_path / "deflated.mg"
    values = np.random.default_rng(0).standard_normal(1000)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(ck.HEADER, header({"__array__": 0}))
        buffer = io.BytesIO()
        np.lib.format.write_array(buffer, values)
        archive.writestr("0.npy", buffer.getvalue())
    np.testing.assert_array_equal(mg.load(path), values)


# ------------------------------------------------------------------------ permissions
@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    yield
    os.umask(old)


def test_save_never_touches_the_umask(tmp_path, umask_027, monkeypatch):
    """Defect: ``save`` set the process-wide umask to 0 for a moment to read it, so a file
    another thread created then was world-writable."""
    def forbidden(mask):
        raise AssertionError(f"os.umask({mask:#o}) called during a save")

    monkeypatch.setattr(os, "umask", forbidden)
    new = tmp_path / "new.mg"
    mg.save({"w": np.ones(2)}, new)
    assert new.stat().st_mode & 0o777 == 0o640  # 0o666 under the umask, as open() gives
    os.chmod(new, 0o604)
    mg.save({"w": np.zeros(2)}, new)
    assert new.stat().st_mode & 0o777 == 0o604  # an existing file keeps its mode
    np.testing.assert_array_equal(mg.load(new)["w"], np.zeros(2))


# ----------------------------------------------------------------- stale temporary files
KILLED_SAVE = """
import os, signal, sys
import numpy as np
import minigrad as mg

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

np.lib.format.write_array = die
mg.save({"w": np.zeros(3)}, sys.argv[1])
"""


def temporaries(folder):
    return sorted(name for name in os.listdir(folder) if name.endswith(".tmp"))


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_the_next_save_removes_the_target_s_stale_temporaries_only(tmp_path):
    """Defect: a save killed mid-write left its ``.minigrad-*.tmp`` file forever."""
    target, other = tmp_path / "model.mg", tmp_path / "other.mg"
    killed = [subprocess.Popen([sys.executable, "-c", KILLED_SAVE, str(path)])
              for path in (target, target, other)]
    assert [process.wait(timeout=60) for process in killed] == [-signal.SIGKILL] * 3
    left = temporaries(tmp_path)
    assert len(left) == 3 and all(name.startswith(".minigrad-") for name in left)
    unrelated = tmp_path / ".minigrad-notes.tmp"
    unrelated.write_text("not a checkpoint's")

    mg.save({"w": np.ones(3)}, target)
    remaining = temporaries(tmp_path)
    assert unrelated.name in remaining and len(remaining) == 2, remaining
    mg.save({"w": np.ones(3)}, other)
    assert temporaries(tmp_path) == [unrelated.name]
    np.testing.assert_array_equal(mg.load(target)["w"], np.ones(3))


def test_a_save_in_progress_keeps_its_temporary_file(tmp_path, monkeypatch):
    """Cleaning up must not delete the file of a save of the same target that is still being
    written (here by another thread): both saves succeed."""
    target = tmp_path / "model.mg"
    writing, release = threading.Event(), threading.Event()
    real = np.lib.format.write_array
    errors = []

    def slow_in_the_thread(*args, **kwargs):
        if threading.current_thread() is not threading.main_thread():
            writing.set()
            release.wait(timeout=30)
        return real(*args, **kwargs)

    def slow_save():
        try:
            mg.save({"w": np.full(3, 2.0)}, target)
        except BaseException as err:  # reported in the main thread
            errors.append(err)

    monkeypatch.setattr(np.lib.format, "write_array", slow_in_the_thread)
    thread = threading.Thread(target=slow_save)
    thread.start()
    try:
        assert writing.wait(timeout=30)
        mg.save({"w": np.ones(3)}, target)
        assert len(temporaries(tmp_path)) == 1, "the live save's file was removed"
    finally:
        release.set()
        thread.join(timeout=30)
    assert errors == []
    np.testing.assert_array_equal(mg.load(target)["w"], np.full(3, 2.0))
    assert temporaries(tmp_path) == []
