"""New tensors like this one (``new_zeros``, ``new_full``, ``new_tensor``...) and the in-place
random fills (``normal_``, ``uniform_``, ``bernoulli_``)."""

import warnings

import minigrad
from minigrad.errors import BackendError
from minigrad.random import check_probabilities, check_std, draw, require_float
from minigrad.tensor_methods._forwarding import shape_args


class CreationMethods:
    """New tensors in this tensor's dtype and on its backend, and random fills of it."""

    __slots__ = ()

    def _place_new(self, backend, device):
        """(backend, device) for a ``new_*`` tensor: this tensor's backend unless named."""
        return (self._backend, None) if backend is None and device is None else (backend,
                                                                                 device)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False,
                 backend=None):
        """A tensor of ``size`` (a tuple) filled with ``fill_value``, in this tensor's dtype
        (the value is cast) and on its backend unless given."""
        if not isinstance(size, (tuple, list)):
            raise TypeError(f"new_full: argument 'size' must be tuple of ints, not "
                            f"{type(size).__name__}")
        backend, device = self._place_new(backend, device)
        return minigrad.creation.full(size, fill_value, dtype=dtype or self.dtype,
                                      requires_grad=requires_grad, backend=backend,
                                      device=device)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False, backend=None):
        """Zeros of ``size`` in this tensor's dtype and on its backend unless given."""
        return self.new_full(shape_args(size), 0, dtype=dtype, device=device,
                             requires_grad=requires_grad, backend=backend)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False, backend=None):
        """Ones of ``size`` in this tensor's dtype and on its backend unless given."""
        return self.new_full(shape_args(size), 1, dtype=dtype, device=device,
                             requires_grad=requires_grad, backend=backend)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False, backend=None):
        """``mg.empty`` of ``size`` (zeros here) in this tensor's dtype and on its backend."""
        return self.new_full(shape_args(size), 0, dtype=dtype, device=device,
                             requires_grad=requires_grad, backend=backend)

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, backend=None):
        """A copy of ``data`` in this tensor's dtype (``[1.5, 2.7]`` becomes ``[1, 2]`` for
        an int64 tensor) and on its backend unless given; never part of a graph."""
        if isinstance(data, minigrad.Tensor):
            warnings.warn("To copy construct from a tensor, it is recommended to use "
                          "sourceTensor.detach().clone() or sourceTensor.detach().clone()"
                          ".requires_grad_(True), rather than tensor.new_tensor(sourceTensor).",
                          UserWarning, stacklevel=2)
        backend, device = self._place_new(backend, device)
        return minigrad.creation.tensor(data, dtype=dtype or self.dtype,
                                        requires_grad=requires_grad, backend=backend,
                                        device=device)

    # ----------------------------------------------------------------- random fills
    def normal_(self, mean=0, std=1, *, generator=None):
        """Fill with samples of N(mean, std^2) from ``generator`` (or the shared one)."""
        require_float("normal_", self.dtype)
        check_std("normal_", std)
        self._write("normal_")[...] = draw("normal_", self._backend, generator, "normal",
                                           mean, std, size=self.shape)
        return self

    def uniform_(self, from_=0, to=1, *, generator=None, **keyword_from):
        """Fill with samples of U[from, to). ``from`` is a Python keyword: pass it by
        position, as ``from_=``, or as PyTorch's ``**{"from": value}``."""
        if set(keyword_from) - {"from"}:
            raise TypeError(f"uniform_() got an unexpected keyword argument "
                            f"{sorted(set(keyword_from) - {'from'})[0]!r}")
        from_ = keyword_from.get("from", from_)
        require_float("uniform_", self.dtype)
        if from_ > to:
            raise RuntimeError(f"uniform_: expects to return a [from, to) range, but found "
                               f"from={from_} > to={to}")
        self._write("uniform_")[...] = draw("uniform_", self._backend, generator, "uniform",
                                            from_, to, size=self.shape)
        return self

    def bernoulli_(self, p=0.5, *, generator=None):
        """Fill with 1 with probability ``p`` (a float, or a tensor that broadcasts to this
        one's shape), else 0; any dtype, as in PyTorch."""
        if isinstance(p, minigrad.Tensor):
            if p._backend is not self._backend:
                raise BackendError(
                    f"bernoulli_: p is on the {p._backend.name} backend, the tensor on "
                    f"{self._backend.name}; move p with .to({self._backend.name!r})")
            p = p.data
        check_probabilities("bernoulli_", p)
        u = draw("bernoulli_", self._backend, generator, "random", self.shape)
        self._write("bernoulli_")[...] = u < p
        return self
