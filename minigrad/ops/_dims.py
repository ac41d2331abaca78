"""Dims as ops take them: PyTorch's negative dims and range checks, in one place for every
op. ``axis`` turns one dim into an array axis, ``axis_or_none`` does so for ops that take a
0-d tensor too, and ``axes`` turns a reduction's ``dim`` (None, an int or a sequence) into a
sorted tuple of axes."""

from minigrad.errors import ShapeError


def axis(dim, ndim, op, shape):
    """``dim`` as a non-negative axis among ``ndim`` (the tensor's dims, or one more for an
    op that inserts a dim); IndexError naming ``op`` and the tensor's ``shape`` when it is
    out of range."""
    if not -ndim <= dim < ndim:
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor of shape "
                         f"{tuple(shape)} (expected in [{-ndim}, {ndim - 1}])")
    return dim % ndim


def axis_or_none(dim, shape, op):
    """As ``axis`` for a tensor of ``shape``; a 0-d tensor takes dim 0 and -1, as in
    PyTorch, and has no axis: None."""
    found = axis(dim, max(len(shape), 1), op, shape)
    return found if shape else None


def axes(dim, shape, op):
    """``dim`` (None for all dims, an int, or a sequence) as a sorted tuple of distinct
    non-negative axes of a tensor of ``shape``; a 0-d tensor has none."""
    if dim is None:
        return tuple(range(len(shape)))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    found = [axis_or_none(d, shape, op) for d in dims]  # checks each, on a 0-d tensor too
    if not shape:
        return ()
    distinct = sorted(set(found))
    if len(distinct) != len(found):
        raise ShapeError(f"{op}: dim {dim} repeats an axis")
    return tuple(distinct)
