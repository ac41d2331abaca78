"""Random tensors: ``rand``, ``randn``, ``randint``, ``randperm``, ``normal``, ``bernoulli``,
``multinomial`` and the ``*_like`` forms, as PyTorch's.

Each draws from ``generator=`` (an ``mg.Generator``) or, by default, from the backend's
shared generator, which ``mg.manual_seed`` seeds. Every draw is made on the host by NumPy's
generator, so a seed gives the same numbers on every backend (not PyTorch's numbers)."""

from minigrad import dtypes
from minigrad.autograd.function import Function
from minigrad.backends import get_backend
from minigrad.creation import _new, _place, _place_like, checked_size, integer
from minigrad.errors import ShapeError
from minigrad.random import check_probabilities, check_std, draw, require_float
from minigrad.tensor import Tensor


def _float_dtype(op, dtype):
    return require_float(op, dtypes.default_float if dtype is None else dtypes.as_dtype(dtype))


def _random(op, method, shape, generator, dtype, requires_grad, backend):
    """``op``'s draws by ``method`` (``"random"`` or ``"standard_normal"``), in a float
    dtype; NumPy draws float32 or float64, so float16 is drawn as float32 and rounded."""
    b = get_backend(backend)
    dtype = _float_dtype(op, dtype)
    drawn_as = dtypes.float32.name if dtype is dtypes.float16 else dtype.name
    array = draw(op, b, generator, method, checked_size(op, shape), dtype=drawn_as)
    return _new(array.astype(dtype.name, copy=False), b, requires_grad)


def randn(*size, generator=None, dtype=None, requires_grad=False, backend=None, device=None):
    """Standard normal samples from ``generator`` (an ``mg.Generator``), by default from the
    backend's shared generator (``mg.manual_seed`` seeds it)."""
    return _random("randn", "standard_normal", size, generator, dtype, requires_grad,
                   _place(backend, device))


def rand(*size, generator=None, dtype=None, requires_grad=False, backend=None, device=None):
    """Uniform samples in [0, 1) from ``generator``, by default the backend's shared one."""
    return _random("rand", "random", size, generator, dtype, requires_grad,
                   _place(backend, device))


def rand_like(input, *, generator=None, dtype=None, requires_grad=False, backend=None,
              device=None):
    """``rand`` shaped like ``input``, in its dtype and on its backend unless given."""
    return _random("rand_like", "random", input.shape, generator, dtype or input.dtype,
                   requires_grad, _place_like(input, backend, device))


def randn_like(input, *, generator=None, dtype=None, requires_grad=False, backend=None,
               device=None):
    """``randn`` shaped like ``input``, in its dtype and on its backend unless given."""
    return _random("randn_like", "standard_normal", input.shape, generator,
                   dtype or input.dtype, requires_grad, _place_like(input, backend, device))


def _integer_range(dtype):
    """The smallest and largest value of an integer (or bool) DType."""
    if dtype is dtypes.bool:
        return 0, 1
    bits = 8 * dtype.itemsize
    return (0, 2 ** bits - 1) if dtype is dtypes.uint8 else (-2 ** (bits - 1),
                                                              2 ** (bits - 1) - 1)


def _check_fits(op, low, last, dtype):
    """PyTorch's check that the values ``low`` to ``last`` fit an integer ``dtype``."""
    if dtype.is_floating_point:
        return
    smallest, largest = _integer_range(dtype)
    for name, value in (("low", low), ("high - 1", last)):
        if not smallest <= value <= largest:
            raise RuntimeError(f"{op}: {name} = {value} is out of bounds for {dtype.name}")


def _random_integers(op, low, high, shape, generator, dtype, requires_grad, backend):
    low, high = integer(op, "low", low), integer(op, "high", high)
    if low >= high:
        raise RuntimeError(f"{op}: expects 'low' to be less than 'high', but got low={low} "
                           f">= high={high}")
    dtype = dtypes.as_dtype(dtype)
    _check_fits(op, low, high - 1, dtype)
    b = get_backend(backend)
    array = draw(op, b, generator, "integers", low, high, size=checked_size(op, shape),
                 dtype="int64")
    return _new(array.astype(dtype.name), b, requires_grad)


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, requires_grad=False,
            backend=None, device=None):
    """Integers drawn uniformly from [low, high), int64 unless ``dtype``; called as
    ``randint(high, size)`` or ``randint(low, high, size)``, ``size`` a tuple."""
    if size is None:  # randint(high, size): the positionals shift by one
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=size)
        low, high = 0, low
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint: argument 'size' must be tuple of ints, not "
                        f"{type(size).__name__}")
    return _random_integers("randint", low, high, size, generator,
                            dtypes.int64 if dtype is None else dtype, requires_grad,
                            _place(backend, device))


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, requires_grad=False,
                 backend=None, device=None):
    """``randint`` shaped like ``input``, in its dtype and on its backend unless given;
    called as ``randint_like(input, high)`` or ``randint_like(input, low, high)``."""
    if high is None:
        low, high = 0, low
    return _random_integers("randint_like", low, high, input.shape, generator,
                            dtype or input.dtype, requires_grad,
                            _place_like(input, backend, device))


def randperm(n, *, generator=None, dtype=dtypes.int64, requires_grad=False, backend=None,
             device=None):
    """A random permutation of 0, ..., n - 1."""
    n = integer("randperm", "n", n)
    checked_size("randperm", (n,))
    dtype = dtypes.as_dtype(dtype)
    _check_fits("randperm", 0, n - 1, dtype)
    b = get_backend(_place(backend, device))
    array = draw("randperm", b, generator, "permutation", n)
    return _new(array.astype(dtype.name), b, requires_grad)


class _Draw(Function):
    """A draw from a distribution whose parameters are tensors, made from injected noise.
    Its gradient with respect to every parameter is 0, as PyTorch defines it: a sample is
    not reparameterized (``mean + std * mg.randn_like(mean)`` is, when that is wanted)."""

    @staticmethod
    def backward(ctx, g_out):
        return tuple(None if t is None else ctx.xp.zeros(t.shape, dtype=g_out.dtype)
                     for t in ctx.inputs)


class Normal(_Draw):
    """y = mean + std * noise, noise ~ N(0, 1);  dy/dmean = dy/dstd = 0 (as in PyTorch)."""

    op_name = "normal"

    @staticmethod
    def forward(ctx, noise, mean, std):
        return mean + std * noise


class Bernoulli(_Draw):
    """y = 1 where u < p else 0, u ~ U[0, 1);  dy/dp = 0 (as in PyTorch)."""

    op_name = "bernoulli"

    @staticmethod
    def forward(ctx, u, p):
        return (u < p).astype(p.dtype)


def _parameters_shape(op, tensors):
    """The broadcast shape of the parameter tensors, or a ShapeError naming their shapes."""
    try:
        return tensors[0]._backend.xp.broadcast(*[t.data for t in tensors]).shape
    except ValueError:
        shapes = " and ".join(str(tuple(t.shape)) for t in tensors)
        raise ShapeError(f"{op}: mean and std of shapes {shapes} do not broadcast") from None


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, requires_grad=False,
           backend=None, device=None):
    """Samples of N(mean, std^2), as ``torch.normal``'s four forms: ``mean`` and/or ``std``
    tensors (the output takes their broadcast shape, dtype and backend; ``std`` defaults to
    1), or floats with a ``size`` (and then ``dtype``, ``device``, ``requires_grad``)."""
    tensors = [v for v in (mean, std) if isinstance(v, Tensor)]
    if not tensors:
        if size is None:
            raise TypeError("normal: with float mean and std, pass size (the output's shape)")
        check_std("normal", std)
        b = get_backend(_place(backend, device))
        name = _float_dtype("normal", dtype).name
        array = draw("normal", b, generator, "normal", mean, std, size=checked_size(
            "normal", (size,)))
        return _new(array.astype(name), b, requires_grad)
    placed = backend is not None or device is not None
    if size is not None or dtype is not None or requires_grad or placed:
        raise TypeError("normal: size, dtype, device and requires_grad go with a float mean "
                        "and std; with a tensor mean or std the output takes its shape")
    for t in tensors:
        require_float("normal", t.dtype)
    if isinstance(std, Tensor):
        if not bool((std.data >= 0).all()):
            raise RuntimeError("normal: expects all elements of std >= 0.0")
    else:
        check_std("normal", std)
    shape, b = _parameters_shape("normal", tensors), tensors[0]._backend
    noise = draw("normal", b, generator, "standard_normal", shape).astype(tensors[0].data.dtype)
    return Normal.apply(noise, mean, std)


def bernoulli(input, p=None, *, generator=None):
    """0/1 samples, 1 with probability ``input`` (float, in [0, 1]), in ``input``'s dtype;
    with ``p``, samples of probability ``p`` shaped like ``input`` (of any dtype)."""
    if p is None:
        require_float("bernoulli", input.dtype)
    check_probabilities("bernoulli", input.data if p is None else p)
    b = input._backend
    u = draw("bernoulli", b, generator, "random", input.shape)
    if p is None:
        return Bernoulli.apply(u, input)
    return Tensor._make((u < p).astype(input.data.dtype), b)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """``num_samples`` category indices (int64) per row of ``input`` (1-D or 2-D), each
    row's non-negative weights giving its categories' probabilities; without replacement no
    index repeats in a row (categories of weight 0 come last, in random order)."""
    p = _checked_weights(input, num_samples, replacement)
    rows = p.reshape(-1, p.shape[-1]).astype("float64")
    b, shape = input._backend, (rows.shape[0], num_samples)
    if rows.size == 0:  # no rows (a row without categories failed the checks)
        picked = b.xp.zeros(shape, dtype="int64")
    elif replacement:
        picked = _inverse_cdf(b.xp, rows, draw("multinomial", b, generator, "random", shape))
    else:
        # NOTE: the exponential race: category i's time is E_i / p_i with E_i ~ Exp(1);
        # sorting the times gives a draw without replacement, in the order drawn
        race = draw("multinomial", b, generator, "exponential", size=rows.shape)
        keys = b.xp.where(rows > 0, rows / race, -race)
        picked = b.xp.argsort(-keys, axis=1)[:, :num_samples]
    return Tensor._make(picked.astype("int64").reshape(p.shape[:-1] + (num_samples,)), b)


def _checked_weights(input, num_samples, replacement):
    """``input``'s array after PyTorch's checks of a multinomial's arguments."""
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial: only supports floating-point dtypes for input, "
                           f"got: {input.dtype.name}")
    if input.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got shape "
                           f"{tuple(input.shape)}")
    num_samples = integer("multinomial", "num_samples", num_samples)
    if num_samples <= 0:
        raise RuntimeError(f"multinomial: cannot sample n_sample <= 0 samples (got "
                           f"{num_samples})")
    if not replacement and num_samples > input.shape[-1]:
        raise RuntimeError(f"multinomial: cannot sample n_sample > prob_dist.size(-1) samples "
                           f"without replacement ({num_samples} > {input.shape[-1]})")
    p, xp = input.data, input._backend.xp
    if not bool((xp.isfinite(p) & (p >= 0)).all()):
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or "
                           "element < 0")
    if not bool((p.sum(axis=-1) > 0).all()):
        raise RuntimeError("multinomial: invalid multinomial distribution (sum of "
                           "probabilities <= 0)")
    return p


def _inverse_cdf(xp, rows, u):
    """Per row, the first category whose cumulative probability exceeds each of ``u``.

    One binary search serves every row: row r's normalized cumulative sums are lifted by
    2r, so the rows lie in disjoint, increasing intervals of one sorted array. A category of
    weight 0 repeats its predecessor's sum and is never the first to exceed a draw; where
    rounding puts a draw past a row's end, it gets the row's last category of weight > 0.
    """
    n_rows, n = rows.shape
    cdf = xp.cumsum(rows, axis=1)
    lift = 2.0 * xp.arange(n_rows, dtype="float64")[:, None]
    lifted = (cdf / cdf[:, -1:] + lift).ravel()
    found = xp.searchsorted(lifted, (u + lift).ravel(), side="right").reshape(u.shape)
    last_positive = n - 1 - xp.argmax(rows[:, ::-1] > 0, axis=1)
    return xp.minimum(found - n * xp.arange(n_rows)[:, None], last_positive[:, None])
