"""The in-place methods (``x.add_(y)``, ``x[i] = v``): each checks that the tensor may
change, writes its array and bumps its version, so that a backward which saved the old
values notices."""

import minigrad
from minigrad.errors import DTypeError


class InPlaceMethods:
    """Writes into the tensor's own array."""

    __slots__ = ()

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
