"""Dims as ops take them: PyTorch's negative dims and range checks, in one place for every
op. ``axis`` turns one dim into an array axis, ``axes`` a reduction's ``dim`` argument (None,
an int or a sequence) into a sorted tuple of them."""


def axis(dim, ndim, op):
    """``dim`` as a non-negative axis of an ``ndim``-d tensor; IndexError naming ``op`` when
    it is out of range. A 0-d tensor takes 0 and -1, as in PyTorch, and has no axis: None."""
    bound = ndim if ndim else 1
    if not -bound <= dim < bound:
        raise IndexError(f"{op}: dim {dim} is out of range for a {ndim}-d tensor "
                         f"(expected in [{-bound}, {bound - 1}])")
    return dim % bound if ndim else None


def axes(dim, ndim, op):
    """``dim`` (None for all dims, an int, or a sequence) as a sorted tuple of distinct
    non-negative axes; a 0-d tensor has none."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    found = [axis(d, ndim, op) for d in dims]  # checks each, on a 0-d tensor too
    if not ndim:
        return ()
    distinct = sorted(set(found))
    if len(distinct) != len(found):
        raise ValueError(f"{op}: dim {dim} repeats an axis")
    return tuple(distinct)
