"""The methods of ``Tensor`` that are named like functions, one mixin per area. Each
method forwards to an op in ``minigrad.ops`` (where the math lives) or, for the in-place
ones, writes the tensor's array and bumps its version. ``Tensor`` inherits them all; its own
file keeps what a tensor is (data, grad, graph links, operators).

NOTE: ``minigrad.ops`` is looked up when a method runs, not imported here: the ops are
built on ``Tensor``, which is built on these classes.
"""

from minigrad.tensor_methods.comparison import ComparisonMethods
from minigrad.tensor_methods.conversion import ConversionMethods
from minigrad.tensor_methods.creation import CreationMethods
from minigrad.tensor_methods.indexing import IndexingMethods
from minigrad.tensor_methods.inplace import InPlaceMethods
from minigrad.tensor_methods.ops_by_name import OpsByName
from minigrad.tensor_methods.products import ProductMethods
from minigrad.tensor_methods.shape import ShapeMethods


class TensorMethods(OpsByName, ShapeMethods, IndexingMethods, ProductMethods, ComparisonMethods,
                    ConversionMethods, CreationMethods, InPlaceMethods):
    """What ``Tensor`` can do by name; mixins with no state of their own."""

    __slots__ = ()
