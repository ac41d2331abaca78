"""The in-place methods (``x.add_(y)``, ``x[i] = v``): each checks that the tensor may
change, writes its array and bumps its version, so that a backward which saved the old
values notices."""

import minigrad
from minigrad.errors import DTypeError, ShapeError
from minigrad.tensor_methods.comparison import takes_bitwise_operand


def _bitwise_inplace_operator(name):
    """``self <op>= other`` as ``self.<name>_(other)``, or NotImplemented for an operand the
    bitwise ops do not take (Python then raises its TypeError)."""
    def operator(self, other):
        if not takes_bitwise_operand(other):
            return NotImplemented
        return self._bitwise_(name, other)
    operator.__name__ = operator.__qualname__ = f"__i{name.removeprefix('bitwise_')}__"
    return operator


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

    def _arithmetic_operand(self, other, opname, true_division=False):
        """``other`` as an array or number for ``self <op>= other``; an integer or bool tensor
        cannot take a float result, as in PyTorch (the values would be truncated)."""
        other = self._operand(other, opname)
        kind = getattr(other, "dtype", None)
        other_is_float = (isinstance(other, float) if kind is None else kind.kind in "fc")
        if self.data.dtype.kind in "iub" and (true_division or other_is_float):
            raise RuntimeError(f"{opname}: result type Float can't be cast to the desired "
                               f"output type {self.dtype.name} (convert with .float() first)")
        return other

    def add_(self, other, alpha=1):
        other = self._arithmetic_operand(other, "add_")
        data = self._write("add_")
        self._backend.xp.add(data, other * alpha if alpha != 1 else other, out=data,
                             casting="unsafe")
        return self

    def sub_(self, other, alpha=1):
        return self.add_(other, alpha=-alpha)

    def mul_(self, other):
        other = self._arithmetic_operand(other, "mul_")
        self._backend.xp.multiply(self._write("mul_"), other, out=self.data, casting="unsafe")
        return self

    def div_(self, other):
        other = self._arithmetic_operand(other, "div_", true_division=True)
        self._backend.xp.divide(self._write("div_"), other, out=self.data, casting="unsafe")
        return self

    # NOTE: ``x += y`` changes x itself, as in PyTorch, so every name bound to it sees the
    # new values (the manual SGD step ``w -= lr * w.grad`` under ``no_grad`` relies on it)
    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def _bitwise_(self, name, *other):
        """This tensor overwritten with ``minigrad.ops.<name>(self, *other)``, whose shape
        must be this tensor's; as in PyTorch, an integer result is cast to this tensor's
        integer dtype, but a bool tensor takes only a bool result."""
        result = getattr(minigrad.ops, name)(self, *other)
        if result.shape != self.shape:
            raise ShapeError(f"{name}_: output with shape {tuple(self.shape)} doesn't match "
                             f"the broadcast shape {tuple(result.shape)}")
        if self.data.dtype.kind == "b" and result.data.dtype.kind != "b":
            raise DTypeError(f"{name}_: result type {result.dtype.name} can't be cast to the "
                             "desired output type bool (convert with .long() first)")
        self._write(f"{name}_")[...] = result.data
        return self

    def bitwise_and_(self, other):
        return self._bitwise_("bitwise_and", other)

    def bitwise_or_(self, other):
        return self._bitwise_("bitwise_or", other)

    def bitwise_xor_(self, other):
        return self._bitwise_("bitwise_xor", other)

    def bitwise_not_(self):
        return self._bitwise_("bitwise_not")

    __iand__ = _bitwise_inplace_operator("bitwise_and")
    __ior__ = _bitwise_inplace_operator("bitwise_or")
    __ixor__ = _bitwise_inplace_operator("bitwise_xor")

    def clamp_(self, min=None, max=None):
        if min is None and max is None:
            raise RuntimeError("clamp_: at least one of 'min' or 'max' must not be None")
        min, max = self._operand(min, "clamp_"), self._operand(max, "clamp_")
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

    # NOTE: the indexed writes check every argument before ``_write`` bumps the version, so
    # a refused call leaves the tensor as it was
    def masked_fill_(self, mask, value):
        checks = minigrad.ops._indices
        if checks.check_mask(self, mask, "masked_fill_") != tuple(self.shape):
            raise ShapeError(f"masked_fill_: a mask of shape {tuple(mask.shape)} does not "
                             f"broadcast to the tensor's shape {tuple(self.shape)}")
        checks.check_fill_value(value, "masked_fill_")
        value = self._operand(value, "masked_fill_")
        data, xp = self._write("masked_fill_"), self._backend.xp
        xp.copyto(data, xp.asarray(value, dtype=data.dtype), where=mask.data)
        return self

    def index_fill_(self, dim, index, value):
        axis = minigrad.ops._indices.check_slice_index(self, dim, index, "index_fill_")
        minigrad.ops._indices.check_fill_value(value, "index_fill_")
        value = self._operand(value, "index_fill_")
        data = self._write("index_fill_")
        target = data if data.ndim else data.reshape(1)  # NOTE: a 0-d reshape is a view
        target[(slice(None),) * axis + (index.data.reshape(-1),)] = value
        return self

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        axis, src = minigrad.ops._indices.scatter_source(self, dim, index, src, value, reduce,
                                                         "scatter_")
        return self._write_at("scatter_", index, axis, src, accumulate=False)

    def scatter_add_(self, dim, index, src):
        minigrad.ops._indices.check_same_dtype(self, src, "scatter_add_")
        axis = minigrad.ops._indices.check_index(self, dim, index, "scatter_add_", src)
        return self._write_at("scatter_add_", index, axis, src, accumulate=True)

    def _write_at(self, opname, index, axis, src, accumulate):
        src = self._operand(src, opname)
        data = self._write(opname)
        minigrad.ops._indices.write_at(self._backend, data, index.data, axis, src, accumulate)
        return self

    def __setitem__(self, index, value):
        data, value = self._write("__setitem__"), self._operand(value, "__setitem__")
        data[minigrad.ops.indexing.backend_index(self._backend, index)] = value
