"""Containers of modules, as ``torch.nn``: ``Sequential`` (applied one after another),
``ModuleList`` and ``ModuleDict`` (held, registered, called by your ``forward``). Their
children are registered like any attribute, so parameters, state dict keys (``"0.weight"``,
``"encoder.bias"``) and ``repr`` are PyTorch's."""

import operator
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from itertools import chain

from minigrad.nn.module import Module, add_indent

__all__ = ["ModuleDict", "ModuleList", "Sequential"]


def absolute_index(idx, size):
    """``idx`` (an int, maybe negative) as a position among ``size``; IndexError outside."""
    idx = operator.index(idx)
    if not -size <= idx < size:
        raise IndexError(f"index {idx} is out of range")
    return idx % size


def key_value_pairs(values, owner, sort_plain_dicts=False):
    """(key, value) pairs from a mapping or an iterable of pairs, with PyTorch's errors for
    ``owner`` (the container's name). ``ParameterDict`` sorts a plain dict's keys, as
    PyTorch does; an ``OrderedDict`` keeps its order."""
    if not isinstance(values, Iterable):
        raise TypeError(f"{owner}.update should be called with an iterable of key/value "
                        f"pairs, but got {type(values).__name__}")
    if isinstance(values, Mapping) or hasattr(values, "items"):
        plain = isinstance(values, Mapping) and not isinstance(values, OrderedDict)
        return sorted(values.items()) if sort_plain_dicts and plain else list(values.items())
    pairs = []
    for j, pair in enumerate(values):
        if not isinstance(pair, Iterable):
            raise TypeError(f"{owner} update sequence element #{j} should be Iterable; is"
                            f"{type(pair).__name__}")
        if len(pair) != 2:
            raise ValueError(f"{owner} update sequence element #{j} has length {len(pair)}; "
                             "2 is required")
        pairs.append((pair[0], pair[1]))
    return pairs


class _NumberedModules(Module):
    """What ``Sequential`` and ``ModuleList`` share: children in order, reached by position
    (negative too), renumbered ``"0"``, ``"1"``, ... after a deletion."""

    def _key_at(self, idx):
        return list(self._modules)[absolute_index(idx, len(self))]

    def __setitem__(self, idx, module):
        setattr(self, self._key_at(idx), module)

    def __delitem__(self, idx):
        keys = list(self._modules)[idx] if isinstance(idx, slice) else [self._key_at(idx)]
        for key in keys:
            delattr(self, key)
        # NOTE: as PyTorch, the survivors are renumbered (even names from an OrderedDict)
        self._modules = OrderedDict((str(i), m) for i, m in enumerate(self._modules.values()))

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __dir__(self):
        return [key for key in super().__dir__() if not key.isdigit()]

    def append(self, module):
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        """Append each of ``modules``; returns self."""
        if not isinstance(modules, Iterable):
            raise TypeError(f"{self._get_name()}.extend should be called with an iterable, "
                            f"but got {type(modules).__name__}")
        for module in list(modules):  # NOTE: a list first: extending by self is finite
            self.append(module)
        return self

    def _insert(self, index, module):
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type: {Module}")
        n = len(self._modules)
        if not -n <= index <= n:
            raise IndexError(f"Index out of range: {index}")
        index = index + n if index < 0 else index
        for i in range(n, index, -1):
            self._modules[str(i)] = self._modules[str(i - 1)]
        self._modules[str(index)] = module

    def pop(self, key):
        """Remove and return the module at position ``key`` (or the modules of a slice)."""
        value = self[key]
        del self[key]
        return value


class Sequential(_NumberedModules):
    """``Sequential(m0, m1, ...)`` or ``Sequential(OrderedDict(name=module))``: each module's
    output feeds the next. Indexing gives a module, slicing a smaller Sequential; ``+`` joins
    two, ``*`` repeats (the same modules, not copies)."""

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(args):
                self.add_module(str(index), module)

    def forward(self, input):
        for module in self:
            input = module(input)
        return input

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        return self._modules[self._key_at(idx)]

    def insert(self, index, module):
        """Put ``module`` before position ``index`` (negative counts from the end); returns
        self."""
        self._insert(index, module)
        return self

    def _check_sequential(self, other):
        if not isinstance(other, Sequential):
            raise ValueError("add operator supports only objects of Sequential class, but "
                             f"{type(other)} is given.")

    def __add__(self, other):
        self._check_sequential(other)
        return Sequential().extend(chain(self, other))

    def __iadd__(self, other):
        self._check_sequential(other)
        return self.extend(other)

    def _check_factor(self, other):
        if not isinstance(other, int):
            raise TypeError(f"unsupported operand type(s) for *: {type(self)} and "
                            f"{type(other)}")
        if other <= 0:
            raise ValueError(f"Non-positive multiplication factor {other} for {type(self)}")

    def __mul__(self, other):
        self._check_factor(other)
        return Sequential().extend(list(self) * other)

    def __rmul__(self, other):
        return self.__mul__(other)

    def __imul__(self, other):
        self._check_factor(other)
        return self.extend(list(self) * (other - 1))


class ModuleList(_NumberedModules):
    """A list of modules that registers them (``self.layers = ModuleList([...])``), so
    their parameters belong to the model; it has no ``forward`` of its own."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return self._modules[self._key_at(idx)]

    def insert(self, index, module):
        """Put ``module`` before position ``index`` (negative counts from the end)."""
        self._insert(index, module)

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        return ModuleList().extend(chain(self, other))

    def __repr__(self):
        """PyTorch's: a run of equal children prints once, as ``(2-4): 3 x Linear(...)``."""
        reprs = [repr(module) for module in self]
        if not reprs:
            return self._get_name() + "()"
        runs = []  # [first index, last index, repr]
        for i, text in enumerate(reprs):
            if runs and runs[-1][2] == text:
                runs[-1][1] = i
            else:
                runs.append([i, i, text])
        lines = [add_indent(f"({first}): {text}" if first == last else
                            f"({first}-{last}): {last - first + 1} x {text}", 2)
                 for first, last, text in runs]
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """A dict of modules that registers them under their keys (insertion order kept); it
    has no ``forward`` of its own."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def clear(self):
        self._modules.clear()

    def pop(self, key):
        """Remove the module under ``key`` and return it."""
        value = self[key]
        del self[key]
        return value

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules):
        """Add or replace modules from a mapping or an iterable of (key, module) pairs."""
        for key, module in key_value_pairs(modules, "ModuleDict"):
            self[key] = module
