"""What ``Module`` keeps and converts: state dicts (PyTorch's keys, prefixes, strictness) and
moving parameters and buffers between backends and dtypes in place. ``Module`` inherits
this mixin; it relies only on the module's registries (``_parameters``, ``_buffers``,
``_non_persistent_buffers_set``, ``_modules``) and ``named_modules``."""

import warnings
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

from minigrad import dtypes
from minigrad.autograd.grad_mode import no_grad
from minigrad.backends import get_backend
from minigrad.nn.parameter import Parameter, is_lazy, stored_array
from minigrad.tensor import Tensor


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the model's keys the state dict lacked, and the
    state dict's keys the model has no place for."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class ModuleStateMixin:
    """``state_dict``/``load_state_dict`` and ``to``/``float``/``double``/``half``/``type``."""

    # ------------------------------------------------------------- state dicts
    def _local_state(self):
        """This module's own entries of its state dict: parameters, then persistent buffers,
        None skipped (PyTorch's order)."""
        state = OrderedDict((k, p) for k, p in self._parameters.items() if p is not None)
        state.update((k, b) for k, b in self._buffers.items()
                     if b is not None and k not in self._non_persistent_buffers_set)
        return state

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, tensor in self._local_state().items():
            destination[prefix + name] = tensor if keep_vars else tensor.numpy().copy()

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """An ordered dict of name -> NumPy array copy, with PyTorch's key names: each
        module's parameters, then its persistent buffers, then each child's under
        ``<child>.``. ``prefix`` goes before every key; ``keep_vars=True`` gives the
        tensors themselves instead of copies; ``destination`` is filled and returned."""
        if args:
            warnings.warn("Positional args are being deprecated, use kwargs instead: "
                          "state_dict(destination=..., prefix=..., keep_vars=...)",
                          FutureWarning, stacklevel=2)
            destination = args[0] if destination is None else destination
            prefix = args[1] if len(args) > 1 and prefix == "" else prefix
            keep_vars = args[2] if len(args) > 2 and keep_vars is False else keep_vars
        if destination is None:
            destination = OrderedDict()
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=f"{prefix}{name}.",
                                  keep_vars=keep_vars)
        return destination

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy values into parameters and buffers in place (anything ``numpy.asarray`` takes,
        PyTorch tensors included), cast to each tensor's dtype as PyTorch does; with
        ``assign=True`` the values replace the tensors instead (keeping their dtype, and
        each parameter's ``requires_grad``). Shapes are always checked; with ``strict`` a
        missing or unexpected key is an error too. Nothing is changed unless every check
        passes. Returns ``(missing_keys, unexpected_keys)``."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing, unexpected, errors, updates = [], [], [], []
        for prefix, module in self.named_modules(remove_duplicate=False):
            dot = f"{prefix}." if prefix else ""
            module._materialize_for_load(state_dict, dot)
            local = module._local_state()
            for name, tensor in local.items():
                if dot + name not in state_dict:
                    missing.append(dot + name)
                    continue
                if is_lazy(state_dict[dot + name]) and not is_lazy(tensor):
                    errors.append(f"{dot + name} is uninitialized in the checkpoint (a lazy "
                                  "module's before its first forward): it has no shape to load")
                    continue
                if is_lazy(tensor):  # NOTE: still lazy here: the entry is uninitialized too
                    continue
                value = _host_array(state_dict[dot + name])
                if value is None:
                    errors.append(f'While copying the parameter named "{dot + name}", expected '
                                  "a Tensor or an array of numbers from checkpoint but received "
                                  f"{type(state_dict[dot + name])}")
                    continue
                if tuple(value.shape) != tuple(tensor.shape):
                    errors.append(f"size mismatch for {dot + name}: copying a param with shape "
                                  f"{tuple(value.shape)} from checkpoint, the shape in current "
                                  f"model is {tuple(tensor.shape)}.")
                    continue
                updates.append((module, name, tensor, state_dict[dot + name], value))
            # NOTE: as PyTorch, a key is the business of the deepest module its prefix names
            # (a key under a child is the child's to accept or refuse)
            for key in state_dict:
                if key.startswith(dot):
                    head, nested, _ = key[len(dot):].partition(".")
                    if head not in (module._modules if nested else local):
                        unexpected.append(key)
        if strict and unexpected:
            errors.insert(0, "Unexpected key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in unexpected) + ". ")
        if strict and missing:
            errors.insert(0, "Missing key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in missing) + ". ")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        with no_grad():
            for module, name, tensor, given, value in updates:
                if assign:
                    setattr(module, name, _assigned(tensor, given, value))
                else:
                    tensor.data[...] = tensor._backend.asarray(value, dtype=tensor.data.dtype)
                    tensor._version += 1
        return _IncompatibleKeys(missing, unexpected)

    def _materialize_for_load(self, state_dict, prefix):
        """Called by ``load_state_dict`` before this module's entries are checked against
        ``state_dict``: a lazy module gives its uninitialized tensors the shapes there."""

    # ------------------------------------------------------------- conversion
    def _tensors(self):
        return list(self.parameters()) + list(self.buffers())

    def to(self, *args, **kwargs):
        """Move parameters and buffers (and their gradients) to a backend, and floating ones
        to a floating dtype, in place: ``to(backend)``, ``to(dtype)``, ``to(backend,
        dtype)``, ``to(tensor)`` (its backend and dtype), or the keywords ``device``,
        ``dtype`` and ``non_blocking`` (accepted, meaningless here). Returns self."""
        backend, dtype = _parse_to(args, kwargs)
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError("nn.Module.to only accepts floating point or complex dtypes, but "
                            f"got desired dtype={dtype}")
        for tensor in self._tensors():
            for t in (tensor, tensor.grad):
                if t is None:
                    continue
                if backend is not None:
                    _move_in_place(t, backend)
                if dtype is not None and t.dtype.is_floating_point:
                    _cast_in_place(t, dtype)
        return self

    def float(self):
        return self.to(dtypes.float32)

    def double(self):
        return self.to(dtypes.float64)

    def half(self):
        return self.to(dtypes.float16)

    def type(self, dst_type):
        """Cast every parameter and buffer, integer ones too (as ``Tensor.type``), to
        ``dst_type``; returns self."""
        dtype = dtypes.as_dtype(dst_type)
        for tensor in self._tensors():
            for t in (tensor, tensor.grad):
                if t is not None:
                    _cast_in_place(t, dtype)
        return self


def _parse_to(args, kwargs):
    """(backend name or None, DType or None) from ``Module.to``'s arguments."""
    backend, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
    for arg in args:
        if isinstance(arg, Tensor):
            backend, dtype = arg.backend, arg.dtype
        elif isinstance(arg, str) and arg not in dtypes._BY_NAME:
            backend = arg
        elif not isinstance(arg, bool):  # a bool is non_blocking
            dtype = arg
    return backend, (None if dtype is None else dtypes.as_dtype(dtype))


def _host_array(value):
    """``value`` as a NumPy array of numbers, or None where it holds none (a string, None,
    a ragged list)."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a PyTorch tensor
        value = value.detach().cpu()
    if isinstance(value, Tensor):
        return value.numpy()
    try:
        array = get_backend("numpy").asarray(value)
    except ValueError:
        return None
    return array if array.dtype.kind in "biuf" else None


def _assigned(tensor, given, value):
    """What ``load_state_dict(assign=True)`` puts in ``tensor``'s place: the given tensor
    itself (or a tensor of the value on ``tensor``'s backend), a Parameter where ``tensor``
    is one."""
    if not isinstance(given, Tensor):
        given = Tensor(value, backend=tensor.backend)
    if not isinstance(tensor, Parameter):
        return given
    if isinstance(given, Parameter):
        return given.requires_grad_(tensor.requires_grad)
    return Parameter(given, requires_grad=tensor.requires_grad)


def _move_in_place(tensor, name):
    """Give ``tensor`` another backend, keeping the object (and so every reference an
    optimizer holds)."""
    backend = get_backend(name)
    if backend is not tensor._backend:
        host = tensor._backend.to_numpy(stored_array(tensor))
        tensor.data = backend.asarray(host, copy=True)
        tensor._backend = backend


def _cast_in_place(tensor, dtype):
    if tensor.dtype != dtype:
        tensor.data = stored_array(tensor).astype(dtype.name)
        tensor._version += 1
