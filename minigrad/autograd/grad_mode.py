"""Switches that change what ``Function.apply`` records: grad mode, inference mode and
anomaly detection.

All are per thread, as in PyTorch, and each context manager also works as a decorator
(``@mg.no_grad()``; ``inference_mode`` also bare, ``@mg.inference_mode``).
"""

import functools
import threading


class _ThreadState(threading.local):
    def __init__(self):
        self.grad_enabled = True
        self.inference = False
        self.anomaly = False


state = _ThreadState()


def is_grad_enabled():
    """Whether ops on tensors that require grad are recorded for backward."""
    return state.grad_enabled


def is_inference_mode_enabled():
    """Whether an ``inference_mode()`` block is active."""
    return state.inference


class _GradModeSwitch:
    """Sets grad mode for a ``with`` block or a decorated function, then restores it."""

    mode = True

    def __enter__(self):
        self._previous = state.grad_enabled
        # NOTE: inside inference_mode nothing records, enable_grad() included, as in PyTorch
        state.grad_enabled = self.mode and not state.inference

    def __exit__(self, *exc_info):
        state.grad_enabled = self._previous

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with type(self)():
                return func(*args, **kwargs)

        return wrapper


class no_grad(_GradModeSwitch):  # noqa: N801 - PyTorch's name
    """Record nothing for backward: for evaluation and in-place parameter updates."""

    mode = False


class enable_grad(_GradModeSwitch):  # noqa: N801 - PyTorch's name
    """Record ops again inside a ``no_grad`` region."""

    mode = True


class inference_mode:  # noqa: N801 - PyTorch's name
    """Grad mode off, for code that will never be differentiated (evaluation, serving);
    ``inference_mode(False)`` turns grad mode back on inside such a block.

    NOTE: here it is ``no_grad`` plus ``is_inference_mode_enabled()``: PyTorch also marks
    the tensors made inside as inference tensors (refused later by autograd) to skip
    version counting, a saving minigrad's per-op cost does not need.
    """

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return object.__new__(cls)
        return cls()(mode)  # used bare, as ``@inference_mode``

    def __init__(self, mode=True):
        self.mode = mode

    def __enter__(self):
        self._previous = state.grad_enabled, state.inference
        state.grad_enabled, state.inference = not self.mode, self.mode

    def __exit__(self, *exc_info):
        state.grad_enabled, state.inference = self._previous

    def __call__(self, func):
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return func(*args, **kwargs)

        return wrapper


class set_grad_enabled(_GradModeSwitch):  # noqa: N801 - PyTorch's name
    """Set grad mode to ``mode`` at once (as a call) or for a ``with`` block."""

    def __init__(self, mode):
        self.mode = bool(mode)
        self._previous = state.grad_enabled
        state.grad_enabled = self.mode and not state.inference

    def __enter__(self):
        pass

    def __call__(self, func):
        state.grad_enabled = self._previous  # as a decorator it must not act at definition
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return func(*args, **kwargs)

        return wrapper
