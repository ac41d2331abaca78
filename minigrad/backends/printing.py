"""How tensors print: PyTorch's layout and its print options (``mg.set_printoptions``).

A float tensor prints in one style chosen from its nonzero finite values, as PyTorch
chooses: whole numbers with a trailing dot (``1.``), fixed point with ``precision``
decimals, or scientific notation when the values span more than three decades, exceed 1e8
or fall below 1e-4 (``sci_mode`` forces it on or off). A tensor of more than ``threshold``
elements shows only ``edgeitems`` at each end of every dim; rows wrap at ``linewidth``.
"""

import math

import numpy as np

PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}
options = dict(PROFILES["default"], sci_mode=None)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """Set how tensors print, as ``torch.set_printoptions``: ``profile`` ("default",
    "short" or "full": every element) first, then each option given; ``sci_mode`` is always
    set (``None``: chosen per tensor)."""
    if profile is not None:
        if profile not in PROFILES:
            raise ValueError(f"set_printoptions: profile must be one of {sorted(PROFILES)}, "
                             f"got {profile!r}")
        options.update(PROFILES[profile])
    given = {"precision": precision, "threshold": threshold, "edgeitems": edgeitems,
             "linewidth": linewidth}
    options.update({name: value for name, value in given.items() if value is not None})
    options["sci_mode"] = sci_mode


class _Formatter:
    """The style and the width that every element of one tensor prints with, read from the
    elements the print shows (PyTorch's ``_Formatter``)."""

    def __init__(self, shown):
        self.floating = shown.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        if not self.floating:
            self.width = max([1] + [len(str(v)) for v in shown.ravel().tolist()])
            return
        values = shown.ravel().astype(np.float64)
        nonzero = values[np.isfinite(values) & (values != 0)]
        if nonzero.size == 0:
            return
        magnitude = np.abs(nonzero)
        low, high = magnitude.min(), magnitude.max()
        self.int_mode = bool(np.all(nonzero == np.ceil(nonzero)))
        auto = high / low > 1000.0 or high > 1.0e8 or low < 1.0e-4
        self.sci_mode = bool(auto) if options["sci_mode"] is None else options["sci_mode"]
        self.width = max(len(self._text(v)) for v in nonzero.tolist())

    def _text(self, value):
        precision = options["precision"]
        if self.sci_mode:
            return f"{value:.{precision}e}"
        if self.int_mode:
            return f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        return f"{value:.{precision}f}"

    def format(self, value):
        return (self._text(value) if self.floating else str(value)).rjust(self.width)


def _shown(array):
    """The elements a summarized print shows: ``edgeitems`` at each end of every long dim."""
    edge = options["edgeitems"]
    for axis, size in enumerate(array.shape):
        if size > 2 * edge:
            keep = np.concatenate([np.arange(edge), np.arange(size - edge, size)])
            array = np.take(array, keep, axis=axis)
    return array


def _vector(array, indent, summarize, formatter):
    edge = options["edgeitems"]
    per_line = max(1, math.floor((options["linewidth"] - indent) / (formatter.width + 2)))
    if summarize and not edge:
        items = ["..."]
    elif summarize and len(array) > 2 * edge:
        items = ([formatter.format(v) for v in array[:edge].tolist()] + [" ..."]
                 + [formatter.format(v) for v in array[-edge:].tolist()])
    else:
        items = [formatter.format(v) for v in array.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(array, indent, summarize, formatter):
    if array.ndim == 0:
        return formatter.format(array.item())
    if array.ndim == 1:
        return _vector(array, indent, summarize, formatter)
    edge, size = options["edgeitems"], array.shape[0]
    rows = [*range(edge), None, *range(size - edge, size)] if summarize and size > 2 * edge \
        else range(size)
    parts = ["..." if i is None else _nested(array[i], indent + 1, summarize, formatter)
             for i in rows]
    return "[" + ("," + "\n" * (array.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def format_array(array, indent):
    """A host (NumPy) array's values as PyTorch prints a tensor's, every line after the first
    indented by ``indent`` spaces (the width of ``tensor(``)."""
    if array.size == 0:
        return "[]"
    summarize = array.size > options["threshold"]
    formatter = _Formatter(_shown(array) if summarize else array)
    return _nested(array, indent, summarize, formatter)


def add_suffixes(body, suffixes, indent):
    """``body`` and its ``suffixes`` (``dtype=...``, ``requires_grad=True``) closed with ``)``,
    as PyTorch joins them: a suffix that would pass ``linewidth`` starts a new line."""
    parts = [body]
    line = len(body) - body.rfind("\n") + 1
    for suffix in suffixes:
        if line + len(suffix) + 2 > options["linewidth"]:
            parts.append(",\n" + " " * indent + suffix)
            line = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            line += len(suffix) + 2
    return "".join(parts) + ")"
