"""The methods of ``Tensor`` that are named like functions: ``x.exp()``, ``x.sum(dim)``,
``x.reshape(...)`` forward to ``minigrad.ops`` (where the math lives), and the in-place ones
(``x.add_(y)``, ``x[i] = v``) write the array and bump the tensor's version. ``Tensor``
inherits them; its own file keeps what a tensor is (data, grad, graph links, operators).

NOTE: ``minigrad.ops`` is looked up when a method runs, not imported here: the ops are
built on ``Tensor``, which is built on this class.
"""

import minigrad
from minigrad.errors import DTypeError


def shape_args(shape):
    """Accept ``f(2, 3)`` and ``f((2, 3))`` alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


class TensorMethods:
    """What ``Tensor`` can do by name; a mixin with no state of its own."""

    __slots__ = ()

    # ----------------------------------------------------------------- ops by name
    def exp(self):
        return minigrad.ops.exp(self)

    def log(self):
        return minigrad.ops.log(self)

    def sqrt(self):
        return minigrad.ops.sqrt(self)

    def abs(self):
        return minigrad.ops.abs(self)

    def clamp(self, min=None, max=None):
        return minigrad.ops.clamp(self, min, max)

    clip = clamp

    def relu(self):
        return minigrad.ops.relu(self)

    def sigmoid(self):
        return minigrad.ops.sigmoid(self)

    def tanh(self):
        return minigrad.ops.tanh(self)

    def softmax(self, dim):
        return minigrad.ops.softmax(self, dim)

    def log_softmax(self, dim):
        return minigrad.ops.log_softmax(self, dim)

    def matmul(self, other):
        return minigrad.ops.matmul(self, other)

    def pow(self, exponent):
        return minigrad.ops.pow(self, exponent)

    def sum(self, dim=None, keepdim=False):
        return minigrad.ops.sum(self, dim, keepdim)

    def mean(self, dim=None, keepdim=False):
        return minigrad.ops.mean(self, dim, keepdim)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return minigrad.ops.var(self, dim, unbiased, keepdim, correction=correction)

    def max(self, dim=None, keepdim=False):
        return minigrad.ops.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        return minigrad.ops.min(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return minigrad.ops.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return minigrad.ops.argmin(self, dim, keepdim)

    def any(self):
        return bool(self.data.any())

    def all(self):
        return bool(self.data.all())

    def reshape(self, *shape):
        return minigrad.ops.reshape(self, shape_args(shape))

    def view(self, *shape):
        return minigrad.ops.reshape(self, shape_args(shape))

    def transpose(self, dim0, dim1):
        return minigrad.ops.transpose(self, dim0, dim1)

    def permute(self, *dims):
        return minigrad.ops.permute(self, shape_args(dims))

    def squeeze(self, dim=None):
        return minigrad.ops.squeeze(self, dim)

    def unsqueeze(self, dim):
        return minigrad.ops.unsqueeze(self, dim)

    def flatten(self, start_dim=0, end_dim=-1):
        return minigrad.ops.flatten(self, start_dim, end_dim)

    # ----------------------------------------------------------------- in-place
    def _write(self, opname):
        """Check that an in-place op may change this tensor, and bump its version."""
        if self.requires_grad and minigrad.autograd.grad_mode.state.grad_enabled:
            what = "a leaf tensor" if self._ctx is None else "a tensor in the autograd graph"
            raise RuntimeError(f"{opname}: {what} that requires grad cannot be changed in "
                               "place while grad mode is on; wrap it in `with mg.no_grad():`")
        self._version += 1
        return self.data

    def _operand(self, other, opname):
        if not isinstance(other, minigrad.Tensor):
            return other
        if (other.data.dtype.kind == "f" and self.data.dtype.kind == "f"
                and other.data.dtype != self.data.dtype):
            raise DTypeError(f"{opname}: cannot write {other.dtype.name} values into a "
                             f"{self.dtype.name} tensor; convert with .to()")
        return other.data

    def add_(self, other, alpha=1):
        data, other = self._write("add_"), self._operand(other, "add_")
        self._backend.xp.add(data, other * alpha if alpha != 1 else other, out=data,
                             casting="unsafe")
        return self

    def sub_(self, other, alpha=1):
        return self.add_(other, alpha=-alpha)

    def mul_(self, other):
        data, other = self._write("mul_"), self._operand(other, "mul_")
        self._backend.xp.multiply(data, other, out=data, casting="unsafe")
        return self

    def div_(self, other):
        data, other = self._write("div_"), self._operand(other, "div_")
        self._backend.xp.divide(data, other, out=data, casting="unsafe")
        return self

    def clamp_(self, min=None, max=None):
        data = self._write("clamp_")
        self._backend.xp.clip(data, min, max, out=data)
        return self

    def copy_(self, src):
        data, src = self._write("copy_"), self._operand(src, "copy_")
        data[...] = src
        return self

    def fill_(self, value):
        self._write("fill_")[...] = value
        return self

    def zero_(self):
        return self.fill_(0)

    def __setitem__(self, index, value):
        data, value = self._write("__setitem__"), self._operand(value, "__setitem__")
        data[minigrad.ops.indexing.backend_index(self._backend, index)] = value
