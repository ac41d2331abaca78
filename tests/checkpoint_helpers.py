"""What the ``test_checkpoint_*.py`` files share: the bit-exact comparison, and a pickle
payload that proves whether a loader ran code from a file (the ``marker`` fixture of
``conftest.py`` arms it). Not a test module
(pytest collects only ``test_*.py``); the test files import it by name because pytest puts
tests/ on sys.path (tests/ has no __init__.py, and the default "prepend" import mode is in use).
"""

import numpy as np

import minigrad as mg


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


class Payload:
    """Unpickling this creates ``marker``: proof that a loader ran code from the file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")
