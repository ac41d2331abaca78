"""``mg.device``: where a tensor lives, in PyTorch's words.

minigrad keeps tensors on backends (``"numpy"``, ``"numba"``, ``"cupy"``); a device is the
name PyTorch code uses for the same choice. ``"cpu"`` is the default CPU backend (the default
backend when it is a CPU one, NumPy otherwise) and ``"cuda"`` the CuPy backend; the mapping
itself lives in ``minigrad.backends.get_backend``, which takes devices and backend names alike.
"""

TYPES = ("cpu", "cuda")
_entered = []  # the default backend before each ``with mg.device(...)`` block, innermost last


def _invalid(text):
    return RuntimeError(f"Invalid device string: {text!r}")


def _name_of_type(obj):
    return type(obj).__name__


def _accelerator(index):
    """The device type a bare index names: CUDA, when there is one (as in PyTorch)."""
    from minigrad import cuda

    if not cuda.is_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")
    return "cuda"


def parse(text):
    """``(type, index)`` of a device string (``"cuda:0"`` -> ``("cuda", 0)``), as
    ``torch.device`` reads it; a ``RuntimeError`` for any other string."""
    if not isinstance(text, str):
        raise TypeError(f"a device string is a str, not {_name_of_type(text)}")
    text = str.__str__(text)  # NOTE: a plain str: a device compares equal only to devices
    kind, colon, index = text.partition(":")
    if not (kind.isascii() and kind.replace("_", "").isalpha()):
        raise _invalid(text)
    if kind not in TYPES:
        raise RuntimeError(f"Expected one of {', '.join(TYPES)} device type at start of device "
                           f"string: {text}")
    if not colon:
        return kind, None
    if not (index.isdigit() and index.isascii()) or (len(index) > 1 and index[0] == "0"):
        raise _invalid(text)
    return kind, int(index)


class device(str):  # noqa: N801 - PyTorch's name
    """A device: ``mg.device("cuda")``, ``mg.device("cuda:0")``, ``mg.device("cuda", 0)``,
    ``mg.device(type="cpu")``, or a bare index meaning that CUDA device.

    ``.type`` is ``"cpu"`` or ``"cuda"``, ``.index`` an int or ``None``; ``str()`` and
    ``repr()`` read as PyTorch's. As a ``with`` block it makes new tensors default to it.

    NOTE: a ``str`` subclass holding the string PyTorch prints, so every minigrad function
    that takes a backend name (``Module.to``, ``set_default_backend``) takes a device with
    no special case. Like ``torch.device`` it compares equal only to devices, never to
    strings: ``mg.device("cpu") == "cpu"`` is False, compare ``.type`` instead.
    """

    __slots__ = ()

    def __new__(cls, type=None, index=None):  # noqa: A002 - PyTorch's argument name
        if isinstance(type, device) and index is None:
            return type
        if isinstance(type, int) and not isinstance(type, bool) and index is None:
            type, index = _accelerator(type), type
        if not isinstance(type, str):
            raise TypeError(f"device(): argument 'type' (position 1) must be str (such as "
                            f"'cuda:0'), an int index or a device, not {_name_of_type(type)}")
        kind, parsed = parse(type)
        if index is not None:
            if parsed is not None:
                raise RuntimeError("type (string) must not include an index because index was "
                                   f"passed explicitly: {type}")
            if isinstance(index, bool) or not isinstance(index, int):
                raise TypeError(f"device(): argument 'index' (position 2) must be int, not "
                                f"{_name_of_type(index)}")
            if index < 0:
                raise RuntimeError("Device index must not be negative")
            parsed = index
        return super().__new__(cls, kind if parsed is None else f"{kind}:{parsed}")

    @property
    def type(self):
        return parse(str(self))[0]

    @property
    def index(self):
        return parse(str(self))[1]

    def __repr__(self):
        index = self.index
        if index is None:
            return f"device(type={self.type!r})"
        return f"device(type={self.type!r}, index={index})"

    def __eq__(self, other):
        return isinstance(other, device) and str.__eq__(self, other)

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash((device, str(self)))

    def __reduce__(self):
        return device, (str(self),)

    def __enter__(self):
        # NOTE: imported here because the backend registry imports this module
        from minigrad import backends

        _entered.append(backends.get_default_backend())
        backends.set_default_backend(self)
        return self

    def __exit__(self, *exc_info):
        from minigrad import backends

        backends.set_default_backend(_entered.pop())
