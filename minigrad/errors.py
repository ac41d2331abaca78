"""Exception types that carry minigrad's rules.

Each subclasses the built-in a Python user would catch *and*, where PyTorch raises
``RuntimeError`` for the same mistake, ``RuntimeError`` too, so code written against either
library catches them.
"""


class ShapeError(ValueError, RuntimeError):
    """Operands whose shapes an op cannot combine (the message names op and shapes)."""


class ArgumentError(ValueError, RuntimeError):
    """An argument an op cannot take as given (a running statistic missing in evaluation)."""


class DTypeError(TypeError, RuntimeError):
    """Operands whose dtypes differ where minigrad refuses to promote silently."""


class BackendError(RuntimeError):
    """A backend that is unknown, not installed, or mixed with another in one op."""
