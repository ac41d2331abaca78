"""Helpers shared by the ``mg.nn`` test files. Not a test module (pytest collects only
``test_*.py``); the test files import it by name because pytest puts tests/ on sys.path
(tests/ has no __init__.py, and the default "prepend" import mode is in use)."""


def names(named):
    """The names from an iterator of (name, member) pairs, as ``named_parameters()`` gives."""
    return [name for name, _ in named]
