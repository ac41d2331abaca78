"""What a translation is: a function ``translate(g, call)`` that writes the ONNX nodes of one
recorded call into the ``GraphBuilder`` ``g`` and returns the names of the values its
outputs became (one name, or a tuple with None for an output ONNX cannot give, such as a
max pool's indices). A family file holds a ``Table`` of them, keyed by ``op_name``."""

from dataclasses import dataclass
from typing import NamedTuple

from minigrad.onnx.errors import UnsupportedOperatorError


class Value(NamedTuple):
    """A tensor as the graph sees it: its value's name, and the shape and array dtype it had
    in the recorded run."""

    name: str
    shape: tuple
    dtype: object

    @property
    def ndim(self):
        return len(self.shape)


@dataclass
class Call:
    """One recorded call as a translation sees it: ``args`` are the forward arguments with
    each tensor replaced by its graph ``Value``; ``outputs`` are Values with no name yet
    (their shapes and dtypes of the recorded run); ``where`` names the module that ran it;
    ``varying`` holds, per output, the dims whose size follows the dynamic axes (None where
    that is not known)."""

    op: str
    args: tuple
    outputs: tuple
    where: str
    varying: tuple = None

    def unsupported(self, what):
        """The error for a case of this op that has no translation."""
        return UnsupportedOperatorError(f"onnx.export: {self.op} {what} has no ONNX "
                                        f"translation (in {self.where})")


# the ops whose translation reads sizes from the recorded outputs, so that sizes passed as
# numbers may follow the dynamic axes
SIZE_AWARE = frozenset({"reshape", "expand", "gather"})


class Table(dict):
    """op name -> translation; ``@table.register("relu", ...)`` adds one."""

    def register(self, *names):
        def add(translate):
            for name in names:
                if name in self:
                    raise ValueError(f"two ONNX translations of {name}")
                self[name] = translate
            return translate
        return add
