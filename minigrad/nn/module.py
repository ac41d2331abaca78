"""``Module``: the base of every layer: parameters, buffers, submodules, modes, state dicts
and hooks, with PyTorch's names and key formats."""

from collections import OrderedDict, namedtuple

from minigrad import dtypes
from minigrad.autograd.grad_mode import is_grad_enabled, no_grad
from minigrad.backends import get_backend
from minigrad.nn.hooks import BackwardHookState, InputGradTap, OutputGradTap
from minigrad.nn.parameter import Parameter
from minigrad.tensor import Tensor
from minigrad.utils.grads import zero_grads
from minigrad.utils.hooks import RemovableHandle

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class of layers and models: subclass it, set layers and Parameters as attributes
    in ``__init__``, and write ``forward``."""

    def __init__(self):
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_backward_hooks", OrderedDict())

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    # ------------------------------------------------------------- registration
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError("call super().__init__() before assigning attributes to a "
                                 f"{type(self).__name__}")
        params, buffers, modules = self._parameters, self._buffers, self._modules
        if isinstance(value, (Parameter, Module)):
            home = params if isinstance(value, Parameter) else modules
            for registry in (params, buffers, modules):
                if registry is not home:
                    registry.pop(name, None)
            self.__dict__.pop(name, None)
            home[name] = value  # a reassigned name keeps its place in the order
            return
        for registry, kind, allowed in ((params, "parameter", "a Parameter"),
                                        (buffers, "buffer", "a Tensor"),
                                        (modules, "submodule", "a Module")):
            if name in registry:
                if not (value is None or (registry is buffers and isinstance(value, Tensor))):
                    raise TypeError(f"cannot assign {type(value).__name__} as {kind} {name!r} "
                                    f"({allowed} or None is expected)")
                registry[name] = value
                return
        object.__setattr__(self, name, value)

    def __getattr__(self, name):
        for registry in ("_parameters", "_buffers", "_modules"):
            found = self.__dict__.get(registry)
            if found is not None and name in found:
                return found[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        """Register ``param`` (a Parameter or None) under ``name``."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign {type(param).__name__} as parameter {name!r} "
                            "(a Parameter or None is required)")
        self.__dict__.pop(name, None)
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Register a tensor that is state but not learned (running statistics)."""
        self.__dict__.pop(name, None)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name, module):
        self._modules[name] = module

    # ------------------------------------------------------------- traversal
    def named_modules(self, prefix="", remove_duplicate=True):
        """(name, module) for this module and every descendant; a module reachable by
        several names is listed once unless ``remove_duplicate=False``."""
        seen, stack = set(), [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate and id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{n}" if name else n, m)
                        for n, m in module._modules.items() if m is not None]
            stack.extend(reversed(children))

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_children(self):
        return ((n, m) for n, m in self._modules.items() if m is not None)

    def children(self):
        return (m for _, m in self.named_children())

    def _named_members(self, registry, recurse):
        seen = set()
        modules = self.named_modules() if recurse else [("", self)]
        for prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{prefix}.{name}" if prefix else name), value

    def named_parameters(self, recurse=True):
        return self._named_members("_parameters", recurse)

    def parameters(self, recurse=True):
        return (p for _, p in self.named_parameters(recurse))

    def named_buffers(self, recurse=True):
        return self._named_members("_buffers", recurse)

    def buffers(self, recurse=True):
        return (b for _, b in self.named_buffers(recurse))

    # ------------------------------------------------------------- modes
    def train(self, mode=True):
        """Training mode (dropout active, batch statistics); returns self."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self):
        """Evaluation mode (dropout off, running statistics); returns self."""
        return self.train(False)

    def zero_grad(self, set_to_none=True):
        """Clear every parameter's gradient (to None, or to zeros in place)."""
        zero_grads(self.parameters(), set_to_none)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    # ------------------------------------------------------------- conversion
    def to(self, target):
        """Move parameters and buffers to a backend, or floating ones to a dtype, in place."""
        for tensor in list(self.parameters()) + list(self.buffers()):
            _convert_in_place(tensor, target)
            if tensor.grad is not None:
                _convert_in_place(tensor.grad, target)
        return self

    def float(self):
        return self.to(dtypes.float32)

    def double(self):
        return self.to(dtypes.float64)

    # ------------------------------------------------------------- state
    def state_dict(self):
        """An ordered dict of name -> NumPy array copy, with PyTorch's key names."""
        state = OrderedDict()
        for prefix, module in self.named_modules(remove_duplicate=False):
            dot = f"{prefix}." if prefix else ""
            for name, p in module._parameters.items():
                if p is not None:
                    state[dot + name] = p.numpy().copy()
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent:
                    state[dot + name] = b.numpy().copy()
        return state

    def load_state_dict(self, state_dict, strict=True):
        """Copy values into parameters and buffers in place (anything ``numpy.asarray`` takes,
        PyTorch tensors included). Names and shapes are checked; with ``strict`` a missing or
        unexpected key is an error too. Values are cast to each tensor's dtype, as PyTorch
        does. Returns ``(missing_keys, unexpected_keys)``."""
        targets = OrderedDict()
        for prefix, module in self.named_modules(remove_duplicate=False):
            dot = f"{prefix}." if prefix else ""
            for registry in (module._parameters, module._buffers):
                for name, t in registry.items():
                    if t is not None and name not in module._non_persistent:
                        targets[dot + name] = t
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict if k not in targets]
        errors = []
        if strict and unexpected:
            errors.append("Unexpected key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in unexpected) + ". ")
        if strict and missing:
            errors.append("Missing key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in missing) + ". ")
        values = {}
        for key, tensor in targets.items():
            if key not in state_dict:
                continue
            value = _host_array(state_dict[key])
            if tuple(value.shape) != tuple(tensor.shape):
                errors.append(f"size mismatch for {key}: copying a param with shape "
                              f"{tuple(value.shape)} from checkpoint, the shape in current "
                              f"model is {tuple(tensor.shape)}.")
            values[key] = value
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        with no_grad():
            for key, value in values.items():
                tensor = targets[key]
                tensor.data[...] = tensor._backend.asarray(value, dtype=tensor.data.dtype)
                tensor._version += 1
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------- hooks and calling
    def register_forward_pre_hook(self, hook):
        """``hook(module, inputs)`` before forward; it may return replacement inputs."""
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    def register_forward_hook(self, hook):
        """``hook(module, inputs, output)`` after forward; it may return a new output."""
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    def register_full_backward_hook(self, hook):
        """``hook(module, grad_input, grad_output)`` once the gradient with respect to the
        module's (first tensor) input is known; ``grad_input`` is ``(None,)`` when that input
        needs no gradient. Returning values from the hook is not supported."""
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        return handle

    def __call__(self, *args, **kwargs):
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks):
            return self.forward(*args, **kwargs)
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        tapped = self._backward_hooks and is_grad_enabled()
        if tapped:
            args, state = self._tap_inputs(args)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        if tapped and isinstance(output, Tensor) and output.requires_grad:
            output = OutputGradTap.apply(output, state)
        return output

    def _tap_inputs(self, args):
        position = next((i for i, a in enumerate(args) if isinstance(a, Tensor)), None)
        tap_input = position is not None and args[position].requires_grad
        state = BackwardHookState(self, self._backward_hooks, 1 if tap_input else 0)
        if tap_input:
            args = args[:position] + (InputGradTap.apply(args[position], state),) \
                + args[position + 1:]
        return args, state

    # ------------------------------------------------------------- printing
    def extra_repr(self):
        """The text inside this module's parentheses in ``repr``."""
        return ""

    def __repr__(self):
        lines = [f"({name}): " + repr(module).replace("\n", "\n  ")
                 for name, module in self._modules.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


def _host_array(value):
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a PyTorch tensor
        value = value.detach().cpu()
    if isinstance(value, Tensor):
        return value.numpy()
    return get_backend("numpy").asarray(value)


def _convert_in_place(tensor, target):
    """Give ``tensor`` another backend or floating dtype, keeping the object (and so every
    reference an optimizer holds)."""
    if isinstance(target, str) and target not in dtypes._BY_NAME:
        backend = get_backend(target)
        if backend is not tensor._backend:
            tensor.data = backend.asarray(tensor.numpy(), copy=True)
            tensor._backend = backend
        return
    dtype = dtypes.as_dtype(target)
    if tensor.data.dtype.kind == "f" and tensor.dtype != dtype:
        tensor.data = tensor.data.astype(dtype.name)
        tensor._version += 1
