"""``default_collate`` and ``default_convert``, as ``torch.utils.data``: how a ``DataLoader``
turns the samples it fetched into a batch.

NumPy arrays are recognised by their type's module, as PyTorch does, so this package never
imports NumPy (only the backends and ``minigrad.data`` may).
"""

import collections.abc
import copy

from minigrad.ops.shape import stack
from minigrad.tensor import Tensor

_UNSUPPORTED = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
                "or lists; found {}")
_NUMPY_TEXT = "SUO"  # dtype kinds of byte strings, unicode strings and Python objects


def _is_numpy(obj):
    """A NumPy array or scalar (not a NumPy string)."""
    kind = type(obj)
    return kind.__module__ == "numpy" and kind.__name__ not in ("str_", "bytes_")


def _is_namedtuple(obj):
    return isinstance(obj, tuple) and hasattr(obj, "_fields")


def _rebuilt(like, items):
    """``items`` (a dict or a list) in the container type of ``like``: a mutable one is
    copied and filled in (keeping whatever else it holds), another is constructed from
    ``items``; where the type allows neither, the plain dict or list, as PyTorch does."""
    try:
        if isinstance(like, collections.abc.MutableMapping):
            clone = copy.copy(like)
            clone.update(items)
            return clone
        if isinstance(like, collections.abc.MutableSequence):
            clone = copy.copy(like)
            for i, item in enumerate(items):
                clone[i] = item
            return clone
        return type(like)(items)
    except TypeError:
        return items


def default_collate(batch):
    """Merge a list of samples into a batch, keeping the samples' structure.

    Tensors are stacked along a new first dim; NumPy arrays become tensors and are stacked;
    NumPy scalars keep their dtype; Python floats give a float64 tensor, ints an int64 one
    and bools a bool one; strings stay a list. Dicts, named tuples and lists are collated
    field by field, and a tuple gives a list, as in PyTorch:
    ``default_collate([(x0, 0), (x1, 1)])`` is ``[stack([x0, x1]), tensor([0, 1])]``.
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch, 0)
    if _is_numpy(elem):
        if elem.dtype.kind in _NUMPY_TEXT:
            raise TypeError(_UNSUPPORTED.format(elem.dtype))
        if type(elem).__name__ == "ndarray":
            return default_collate([Tensor(array) for array in batch])
        return Tensor(batch, dtype=elem.dtype)
    if isinstance(elem, float):
        return Tensor(batch, dtype="float64")
    if isinstance(elem, int):
        return Tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return _rebuilt(elem, {key: default_collate([d[key] for d in batch]) for key in elem})
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(field) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(sample) != len(elem) for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [default_collate(field) for field in zip(*batch)]
        return fields if isinstance(elem, tuple) else _rebuilt(elem, fields)
    raise TypeError(_UNSUPPORTED.format(type(elem)))


def default_convert(data):
    """Turn NumPy arrays and scalars into tensors, inside dicts, named tuples and sequences
    too; anything else is returned as it is. What a ``DataLoader`` applies to each sample
    when it does not batch (``batch_size=None``)."""
    if isinstance(data, Tensor):
        return data
    if _is_numpy(data):
        is_text = type(data).__name__ == "ndarray" and data.dtype.kind in _NUMPY_TEXT
        return data if is_text else Tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _rebuilt(data, {key: default_convert(data[key]) for key in data})
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuilt(data, [default_convert(d) for d in data])
    return data
