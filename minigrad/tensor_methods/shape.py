"""Shape and view methods beyond reshape: ``expand``, ``repeat``, ``flip``, ``tril``... Each
forwards to its op in ``minigrad.ops`` (``shape_repeat``, ``shape_move``, ``diagonal``)."""

import minigrad
from minigrad.tensor_methods._forwarding import shape_args


class ShapeMethods:
    """The methods of this area; a mixin with no state."""

    __slots__ = ()

    # ----------------------------------------------------------------- repeat, broadcast
    def expand(self, *size):
        return minigrad.ops.shape_repeat.expand(self, shape_args(size))

    def expand_as(self, other):
        return minigrad.ops.shape_repeat.expand_as(self, other)

    def broadcast_to(self, size):
        return minigrad.ops.broadcast_to(self, size)

    def repeat(self, *repeats):
        return minigrad.ops.shape_repeat.repeat(self, shape_args(repeats))

    def tile(self, *dims):
        return minigrad.ops.tile(self, shape_args(dims))

    def repeat_interleave(self, repeats=None, dim=None, *, output_size=None):
        return minigrad.ops.repeat_interleave(self, repeats, dim, output_size=output_size)

    # ----------------------------------------------------------------- move, split
    def narrow(self, dim, start, length):
        return minigrad.ops.narrow(self, dim, start, length)

    def flip(self, *dims):
        return minigrad.ops.flip(self, shape_args(dims))

    def roll(self, shifts, dims=None):
        return minigrad.ops.roll(self, shifts, dims)

    def movedim(self, source, destination):
        return minigrad.ops.movedim(self, source, destination)

    moveaxis = movedim

    def swapaxes(self, axis0, axis1):
        return minigrad.ops.swapaxes(self, axis0, axis1)

    def swapdims(self, dim0, dim1):
        return minigrad.ops.swapdims(self, dim0, dim1)

    def t(self):
        return minigrad.ops.t(self)

    @property
    def mT(self):  # noqa: N802 - PyTorch's name
        """The last two dims swapped, for matrices and batches of matrices."""
        return minigrad.ops.shape_move.matrix_transpose(self)

    def view_as(self, other):
        return minigrad.ops.shape_move.view_as(self, other)

    def reshape_as(self, other):
        return minigrad.ops.shape_move.reshape_as(self, other)

    def unbind(self, dim=0):
        return minigrad.ops.unbind(self, dim)

    def chunk(self, chunks, dim=0):
        return minigrad.ops.chunk(self, chunks, dim)

    def split(self, split_size, dim=0):
        return minigrad.ops.split(self, split_size, dim)

    # ----------------------------------------------------------------- triangles, diagonals
    def tril(self, diagonal=0):
        return minigrad.ops.tril(self, diagonal)

    def triu(self, diagonal=0):
        return minigrad.ops.triu(self, diagonal)

    def diag(self, diagonal=0):
        return minigrad.ops.diag(self, diagonal)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        return minigrad.ops.diagonal(self, offset, dim1, dim2)

    def trace(self):
        return minigrad.ops.trace(self)
