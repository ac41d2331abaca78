"""``mg.save`` writes atomically: a save that fails part way (an error, an interrupt, an object
it cannot store) leaves the old file as it was and no temporary file behind."""

import os
import zipfile

import numpy as np
import pytest
from checkpoint_helpers import assert_same

import minigrad as mg
from minigrad.data import checkpoint as ck

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
