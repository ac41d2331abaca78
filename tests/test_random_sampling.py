"""Random sampling as PyTorch's: ``rand_like``, ``randn_like``, ``randint(_like)``,
``randperm``, ``normal`` (its four forms), ``bernoulli``, ``multinomial``, the in-place fills
``normal_``, ``uniform_``, ``bernoulli_`` and ``generator=`` in ``nn.init``.

A seed repeats within minigrad, on every backend, and gives an ``mg.Generator`` the numbers
``mg.manual_seed`` gives the shared generator; the numbers are not PyTorch's, so values are
tested as distributions (means within 5 sigma, permutations, no repeats), while shapes,
dtypes, signatures, errors and gradients are compared with ``torch`` itself."""

import inspect
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad.nn import init

torch = pytest.importorskip("torch")

W = [[1.0, 2.0, 3.0, 4.0], [4.0, 0.0, 1.0, 0.0]]  # multinomial weights, a zero in row 2

# name -> a draw from generator ``g`` (None: the shared generator)
SAMPLERS = {
    "rand_like": lambda g: mg.rand_like(mg.zeros(3, 2), generator=g),
    "randn_like": lambda g: mg.randn_like(mg.zeros(3, 2, dtype=mg.float64), generator=g),
    "randint": lambda g: mg.randint(3, 9, (4, 5), generator=g),
    "randint_high": lambda g: mg.randint(7, (6,), generator=g),
    "randint_like": lambda g: mg.randint_like(mg.zeros(5, dtype=mg.int32), 2, 50, generator=g),
    "randperm": lambda g: mg.randperm(10, generator=g),
    "normal_floats": lambda g: mg.normal(1.0, 2.0, (3, 4), generator=g),
    "normal_mean": lambda g: mg.normal(mg.arange(4.0), 0.5, generator=g),
    "normal_std": lambda g: mg.normal(2.0, mg.ones(2, 3), generator=g),
    "normal_both": lambda g: mg.normal(mg.zeros(3, 1), mg.ones(4), generator=g),
    "bernoulli": lambda g: mg.bernoulli(mg.full((20,), 0.5), generator=g),
    "bernoulli_p": lambda g: mg.bernoulli(mg.zeros(20, dtype=mg.int64), 0.3, generator=g),
    "multinomial": lambda g: mg.multinomial(mg.tensor(W), 2, generator=g),
    "multinomial_replacement": lambda g: mg.multinomial(mg.tensor(W), 8, True, generator=g),
    "normal_": lambda g: mg.zeros(3, 4).normal_(1.0, 0.5, generator=g),
    "uniform_": lambda g: mg.zeros(3, 4).uniform_(-1, 1, generator=g),
    "bernoulli_": lambda g: mg.zeros(10).bernoulli_(0.4, generator=g),
    "uniform_init": lambda g: init.uniform_(mg.zeros(4, 5), -2, 2, generator=g),
    "normal_init": lambda g: init.normal_(mg.zeros(4, 5), generator=g),
    "trunc_normal_init": lambda g: init.trunc_normal_(mg.zeros(4, 5), generator=g),
    "xavier_uniform": lambda g: init.xavier_uniform_(mg.zeros(4, 5), generator=g),
    "xavier_normal": lambda g: init.xavier_normal_(mg.zeros(4, 5), generator=g),
    "kaiming_uniform": lambda g: init.kaiming_uniform_(mg.zeros(4, 5), generator=g),
    "kaiming_normal": lambda g: init.kaiming_normal_(mg.zeros(4, 5), generator=g),
    "orthogonal": lambda g: init.orthogonal_(mg.zeros(4, 5), generator=g),
    "sparse": lambda g: init.sparse_(mg.zeros(4, 5), 0.5, generator=g),
}


def seeded(seed=4):
    return mg.Generator().manual_seed(seed)


# ---------------------------------------------------------------------------- determinism
@pytest.mark.parametrize("name", list(SAMPLERS))
def test_a_seed_repeats_on_every_backend(backend, name):
    """Same seed, same numbers, on the backend under test and on NumPy (all draw on the
    host); a draw with a Generator leaves the shared generator alone."""
    state = mg.get_rng_state()
    ours = SAMPLERS[name](seeded())
    assert ours.backend == backend and mg.get_rng_state() == state
    np.testing.assert_array_equal(ours.numpy(), SAMPLERS[name](seeded()).numpy())
    mg.set_default_backend("numpy")
    np.testing.assert_array_equal(ours.numpy(), SAMPLERS[name](seeded()).numpy())


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_manual_seed_gives_the_shared_generator_a_generators_numbers(name):
    mg.manual_seed(11)
    shared = SAMPLERS[name](None).numpy()
    np.testing.assert_array_equal(shared, SAMPLERS[name](seeded(11)).numpy())
    assert not np.array_equal(shared, SAMPLERS[name](seeded(12)).numpy())


@pytest.mark.parametrize("fn", ["rand_like", "randn_like", "randint", "randint_like",
                                "randperm", "normal", "bernoulli", "multinomial"])
def test_generator_is_keyword_only_as_in_torch(fn):
    parameter = inspect.signature(getattr(mg, fn)).parameters["generator"]
    assert parameter.kind is inspect.Parameter.KEYWORD_ONLY and parameter.default is None


@pytest.mark.parametrize("method", ["normal_", "uniform_", "bernoulli_"])
def test_the_fills_take_generator_by_keyword_only(method):
    parameter = inspect.signature(getattr(mg.Tensor, method)).parameters["generator"]
    assert parameter.kind is inspect.Parameter.KEYWORD_ONLY


def test_a_generator_that_is_not_mg_generator_is_a_type_error():
    for draw in (lambda g: mg.randint(3, (2,), generator=g),
                 lambda g: mg.zeros(2).normal_(generator=g),
                 lambda g: init.orthogonal_(mg.zeros(2, 2), generator=g)):
        with pytest.raises(TypeError, match="generator must be a minigrad Generator"):
            draw(torch.Generator())


# ---------------------------------------------------------------- shapes and dtypes
SHAPE_CASES = [
    ("rand_f16", lambda m: m.rand(2, 3, dtype=m.float16)),
    ("rand_like", lambda m: m.rand_like(m.zeros(2, dtype=m.float64))),
    ("randn_like_dtype", lambda m: m.randn_like(m.zeros(2, 1, dtype=m.float64),
                                                dtype=m.float32)),
    ("randint", lambda m: m.randint(3, 9, (4, 5))),
    ("randint_list_size", lambda m: m.randint(5, [2, 3])),
    ("randint_keywords", lambda m: m.randint(low=1, high=5, size=(3,))),
    ("randint_high_keyword", lambda m: m.randint(high=5, size=(2, 2))),
    ("randint_float", lambda m: m.randint(5, (3,), dtype=m.float32)),
    ("randint_bool", lambda m: m.randint(0, 1, (3,), dtype=m.bool)),
    ("randint_empty", lambda m: m.randint(5, (0, 2))),
    ("randint_like", lambda m: m.randint_like(m.zeros(2, 2), 5)),
    ("randint_like_low_high", lambda m: m.randint_like(m.zeros(3, dtype=m.int8), 3, 5)),
    ("randint_like_keywords", lambda m: m.randint_like(m.zeros(2), low=3, high=5)),
    ("randperm", lambda m: m.randperm(5)),
    ("randperm_empty", lambda m: m.randperm(0)),
    ("randperm_float", lambda m: m.randperm(4, dtype=m.float32)),
    ("randperm_int8", lambda m: m.randperm(5, dtype=m.int8)),
    ("normal_floats", lambda m: m.normal(0.0, 1.0, (2, 3))),
    ("normal_int_floats", lambda m: m.normal(0, 1, (2,))),
    ("normal_floats_f64", lambda m: m.normal(0.0, 1.0, size=(2,), dtype=m.float64)),
    ("normal_empty", lambda m: m.normal(0.0, 1.0, (0,))),
    ("normal_mean", lambda m: m.normal(m.zeros(2, 3, dtype=m.float64), 1.0)),
    ("normal_mean_only", lambda m: m.normal(mean=m.zeros(2))),
    ("normal_std", lambda m: m.normal(2.0, m.ones(2))),
    ("normal_broadcast", lambda m: m.normal(m.zeros(2, 1), m.ones(3))),
    ("normal_0d", lambda m: m.normal(m.tensor(0.0), m.tensor(1.0))),
    ("normal_empty_mean", lambda m: m.normal(m.zeros(0), 1.0)),
    ("bernoulli", lambda m: m.bernoulli(m.full((2, 3), 0.5))),
    ("bernoulli_f64", lambda m: m.bernoulli(m.zeros(2, dtype=m.float64))),
    ("bernoulli_0d", lambda m: m.bernoulli(m.tensor(0.5))),
    ("bernoulli_p_int", lambda m: m.bernoulli(m.tensor([1, 0]), 0.5)),
    ("multinomial_1d", lambda m: m.multinomial(m.tensor([1.0, 2.0, 3.0]), 2)),
    ("multinomial_2d", lambda m: m.multinomial(m.tensor(W), 5, True)),
    ("multinomial_no_rows", lambda m: m.multinomial(m.ones(0, 2), 1, True)),
    ("multinomial_f64", lambda m: m.multinomial(m.ones(3, dtype=m.float64), 3)),
]


@pytest.mark.parametrize("name, make", SHAPE_CASES, ids=[c[0] for c in SHAPE_CASES])
def test_shape_and_dtype_match_torch(backend, name, make):
    ours, theirs = make(mg), make(torch)
    assert ours.backend == backend and not ours.requires_grad
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")


# ------------------------------------------------------------------------- distributions
def within_5_sigma(sample_mean, mean, variance, n):
    return abs(sample_mean - mean) <= 5 * math.sqrt(variance / n) + 1e-12


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_bernoulli_draws_ones_with_probability_p(p):
    n = 20000
    for x in (mg.bernoulli(mg.full((n,), p, dtype=mg.float64)), mg.bernoulli(mg.zeros(n), p),
              mg.zeros(n, dtype=mg.int32).bernoulli_(p)):
        values = x.numpy()
        assert set(np.unique(values)) <= {0, 1}
        assert within_5_sigma(values.mean(), p, p * (1 - p), n)


def test_bernoulli_of_certain_probabilities_is_exact():
    p = mg.tensor([[0.0, 1.0, 1.0, 0.0]] * 3)
    assert mg.bernoulli(p).tolist() == p.tolist()
    assert mg.zeros(2, 4, dtype=mg.bool).bernoulli_(p[0]).tolist() == [[False, True, True,
                                                                        False]] * 2


def test_randint_covers_its_range_uniformly():
    n, low, high = 20000, -3, 5
    values = mg.randint(low, high, (n,)).numpy()
    assert sorted(np.unique(values)) == list(range(low, high))
    assert within_5_sigma(values.mean(), (low + high - 1) / 2, ((high - low) ** 2 - 1) / 12, n)
    big = mg.randint(0, 2 ** 62, (1000,)).numpy()
    assert big.min() >= 0 and big.max() > 2 ** 61  # no overflow or clipping


@pytest.mark.parametrize("n", [0, 1, 17])
def test_randperm_is_a_permutation(n):
    g = seeded()
    first, second = mg.randperm(n, generator=g).numpy(), mg.randperm(n, generator=g).numpy()
    np.testing.assert_array_equal(np.sort(first), np.arange(n))
    assert n < 17 or not np.array_equal(first, second)


def test_multinomial_without_replacement_never_repeats():
    rows = mg.rand(500, 6, generator=seeded()) + 0.01
    picked = mg.multinomial(rows, 6, generator=seeded()).numpy()
    np.testing.assert_array_equal(np.sort(picked, axis=1), np.tile(np.arange(6), (500, 1)))


def test_multinomial_without_replacement_takes_zero_weights_last():
    weights = mg.tensor([[0.0, 3.0, 0.0, 1.0, 2.0]] * 200)
    picked = mg.multinomial(weights, 5).numpy()
    assert (np.sort(picked[:, :3], axis=1) == [1, 3, 4]).all()
    assert (np.sort(picked[:, 3:], axis=1) == [0, 2]).all()
    assert set(mg.multinomial(mg.tensor([0.0, 1.0, 0.0, 0.0]), 4).tolist()) == {0, 1, 2, 3}


def test_multinomial_without_replacement_draws_in_order_of_probability():
    """P(first = i) = p_i and P(second = j) = sum_i p_i p_j / (1 - p_i)."""
    n, p = 20000, np.array([0.1, 0.2, 0.3, 0.4])
    picked = mg.multinomial(mg.tensor(np.tile(p, (n, 1))), 2).numpy()
    second = p * sum(p[i] / (1 - p[i]) for i in range(4)) - p * p / (1 - p)
    for column, expected in ((0, p), (1, second)):
        counts = np.bincount(picked[:, column], minlength=4) / n
        for freq, q in zip(counts, expected):
            assert within_5_sigma(freq, q, q * (1 - q), n)


def test_multinomial_with_replacement_follows_each_rows_weights():
    n = 20000
    picked = mg.multinomial(mg.tensor(W, dtype=mg.float64), n, replacement=True).numpy()
    for row, weights in zip(picked, np.array(W)):
        counts = np.bincount(row, minlength=4) / n
        expected = weights / weights.sum()
        assert counts[expected == 0].sum() == 0
        for freq, q in zip(counts, expected):
            assert within_5_sigma(freq, q, q * (1 - q), n)


def test_normal_of_tensors_broadcasts_mean_and_std():
    mean = mg.tensor([[-5.0], [5.0]])
    std = mg.full((1, 20000), 2.0)
    values = mg.normal(mean, std).numpy()
    assert values.shape == (2, 20000)
    for row, m in zip(values, (-5.0, 5.0)):
        assert within_5_sigma(row.mean(), m, 4.0, 20000) and abs(row.std() - 2.0) < 0.05
    exact = mg.normal(mg.arange(3.0), mg.zeros(3))
    assert exact.tolist() == [0.0, 1.0, 2.0]


@pytest.mark.parametrize("draw, mean, var", [
    (lambda: mg.normal(3.0, 0.5, (20000,), dtype=mg.float64), 3.0, 0.25),
    (lambda: mg.normal(mg.full((20000,), -1.0), 2.0), -1.0, 4.0),
    (lambda: mg.zeros(20000).normal_(1.0, 3.0), 1.0, 9.0),
    (lambda: mg.zeros(20000, dtype=mg.float16).normal_(), 0.0, 1.0),
    (lambda: mg.zeros(20000, dtype=mg.float64).uniform_(2.0, 5.0), 3.5, 0.75),
], ids=["normal", "normal_mean", "normal_", "normal_f16", "uniform_"])
def test_fills_and_normal_have_the_asked_mean_and_spread(draw, mean, var):
    values = draw().numpy().astype(np.float64)
    assert within_5_sigma(values.mean(), mean, var, values.size)
    assert abs(values.var() / var - 1) < 0.05


def test_uniform_stays_in_its_half_open_range():
    values = mg.zeros(20000).uniform_(-0.25, 0.5).numpy()
    assert values.min() >= -0.25 and values.max() < 0.5 and values.max() > 0.49


# --------------------------------------------------------------------------------- errors
ERRORS = [
    ("randint_empty_range", lambda m: m.randint(5, 5, (3,)), RuntimeError, "less than"),
    ("randint_above_dtype", lambda m: m.randint(0, 300, (3,), dtype=m.uint8), RuntimeError,
     "out of bounds for uint8"),
    ("randint_below_dtype", lambda m: m.randint(-5, 2, (3,), dtype=m.uint8), RuntimeError,
     "out of bounds"),
    ("randint_bool_range", lambda m: m.randint(0, 3, (2,), dtype=m.bool), RuntimeError,
     "out of bounds for bool"),
    ("randint_like_dtype", lambda m: m.randint_like(m.zeros(2, dtype=m.int8), 300),
     RuntimeError, "out of bounds for int8"),
    ("randint_int_size", lambda m: m.randint(5, 3), TypeError, "must be tuple of ints"),
    ("randint_float_high", lambda m: m.randint(3.5, (2,)), TypeError, "'high' must be int"),
    ("randint_negative_size", lambda m: m.randint(5, (-1,)), RuntimeError, "negative"),
    ("randperm_negative", lambda m: m.randperm(-1), RuntimeError, "negative dimension"),
    ("randperm_overflow", lambda m: m.randperm(300, dtype=m.int8), RuntimeError, "int8"),
    ("rand_int", lambda m: m.rand(2, dtype=m.int64), NotImplementedError, "float dtype"),
    ("randn_like_int", lambda m: m.randn_like(m.zeros(2, dtype=m.int64)),
     NotImplementedError, "not int64"),
    ("normal_negative_std", lambda m: m.normal(0.0, -1.0, (2,)), RuntimeError, "std >= 0.0"),
    ("normal_tensor_negative_std", lambda m: m.normal(m.zeros(2), m.tensor([1.0, -1.0])),
     RuntimeError, "all elements of std >= 0.0"),
    ("normal_mean_negative_std", lambda m: m.normal(m.zeros(2), -1.0), RuntimeError, "std"),
    ("normal_int_mean", lambda m: m.normal(m.zeros(2, dtype=m.int64), 1.0),
     NotImplementedError, "float"),
    ("normal_no_size", lambda m: m.normal(0.0, 1.0), TypeError, "pass size"),
    ("normal_tensor_and_size", lambda m: m.normal(m.zeros(2), 1.0, (2,)), TypeError, "size"),
    ("normal_not_broadcastable", lambda m: m.normal(m.zeros(2), m.ones(3)), RuntimeError,
     r"\(2,\) and \(3,\) do not broadcast"),
    ("bernoulli_above_one", lambda m: m.bernoulli(m.tensor([0.2, 1.5])), RuntimeError,
     r"in \[0, 1\]"),
    ("bernoulli_nan", lambda m: m.bernoulli(m.tensor([float("nan")])), RuntimeError, "0, 1"),
    ("bernoulli_int", lambda m: m.bernoulli(m.tensor([1, 0])), NotImplementedError, "float"),
    ("bernoulli_p", lambda m: m.bernoulli(m.zeros(2), 1.5), RuntimeError, "p=1.5"),
    ("multinomial_int", lambda m: m.multinomial(m.tensor([1, 2]), 1), RuntimeError,
     "floating-point"),
    ("multinomial_3d", lambda m: m.multinomial(m.ones(2, 2, 2), 1), RuntimeError, "1 or 2 dim"),
    ("multinomial_0d", lambda m: m.multinomial(m.tensor(1.0), 1), RuntimeError, "1 or 2 dim"),
    ("multinomial_no_samples", lambda m: m.multinomial(m.ones(2), 0), RuntimeError, "<= 0"),
    ("multinomial_float_count", lambda m: m.multinomial(m.ones(3), 2.0), TypeError, "int"),
    ("multinomial_too_many", lambda m: m.multinomial(m.ones(2), 3), RuntimeError,
     "without replacement"),
    ("multinomial_no_categories", lambda m: m.multinomial(m.ones(2, 0), 1), RuntimeError,
     "without replacement"),
    ("multinomial_negative", lambda m: m.multinomial(m.tensor([1.0, -1.0]), 1), RuntimeError,
     "element < 0"),
    ("multinomial_nan", lambda m: m.multinomial(m.tensor([1.0, float("nan")]), 1),
     RuntimeError, "`nan`"),
    ("multinomial_inf", lambda m: m.multinomial(m.tensor([1.0, float("inf")]), 1),
     RuntimeError, "`inf`"),
    ("multinomial_zero_row", lambda m: m.multinomial(m.tensor([[1.0, 0.0], [0.0, 0.0]]), 1),
     RuntimeError, "sum of probabilities <= 0"),
    ("multinomial_empty", lambda m: m.multinomial(m.ones(0), 1, True), RuntimeError, ""),
    ("normal__int", lambda m: m.zeros(2, dtype=m.int64).normal_(), NotImplementedError, "int"),
    ("uniform__int", lambda m: m.zeros(2, dtype=m.int64).uniform_(), NotImplementedError,
     "float"),
    ("uniform__reversed", lambda m: m.zeros(2).uniform_(1, 0), RuntimeError, "from=1 > to=0"),
    ("normal__negative_std", lambda m: m.zeros(2).normal_(0, -1), RuntimeError, "std -1"),
    ("bernoulli__p", lambda m: m.zeros(2).bernoulli_(1.5), RuntimeError, "p=1.5"),
    ("bernoulli__tensor_p", lambda m: m.zeros(3).bernoulli_(m.tensor([0.0, 1.5, 1.0])),
     RuntimeError, "every probability"),
    ("fill_of_a_leaf", lambda m: m.zeros(2, requires_grad=True).uniform_(), RuntimeError,
     "leaf"),
    ("uniform__from_", lambda m: m.zeros(2).uniform_(**{"low": 0}), TypeError, "'low'"),
]


@pytest.mark.parametrize("name, call, error, match", ERRORS, ids=[c[0] for c in ERRORS])
def test_errors_are_torchs(name, call, error, match):
    with pytest.raises(error):
        call(torch)
    with pytest.raises(error, match=match or None):
        call(mg)


# ------------------------------------------------------------------------------ gradients
@pytest.mark.parametrize("form", ["mean", "std", "both", "bernoulli"])
def test_samples_of_tensors_record_a_zero_gradient_as_torch(form):
    """PyTorch defines the gradient of a sample with respect to its parameters as 0."""
    def run(m):
        mean = m.zeros(2, 3, dtype=m.float64, requires_grad=True)
        std = m.ones(3, dtype=m.float64, requires_grad=True)
        out = {"mean": lambda: m.normal(mean, 1.0), "std": lambda: m.normal(0.5, std),
               "both": lambda: m.normal(mean, std),
               "bernoulli": lambda: m.bernoulli(m.sigmoid(mean))}[form]()
        assert out.requires_grad and out.grad_fn is not None
        (out * 3).sum().backward()
        return [None if t.grad is None else t.grad for t in (mean, std)]

    for ours, theirs in zip(run(mg), run(torch)):
        assert (ours is None) == (theirs is None)
        if ours is not None:
            assert ours.dtype == mg.float64 and tuple(ours.shape) == tuple(theirs.shape)
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_samples_record_nothing_without_grad_mode():
    mean = mg.zeros(3, requires_grad=True)
    with mg.no_grad():
        assert not mg.normal(mean, 1.0).requires_grad
    assert not mg.normal(mg.zeros(3), 1.0).requires_grad
    leaf = mg.normal(0.0, 1.0, (2,), requires_grad=True)
    assert leaf.requires_grad and leaf.is_leaf


# ---------------------------------------------------------------------------- in-place fills
def test_fills_return_self_bump_the_version_and_keep_dtype_and_backend(backend):
    for fill in (lambda x: x.normal_(), lambda x: x.uniform_(0, 2),
                 lambda x: x.bernoulli_(mg.full((3,), 0.5, dtype=mg.float64))):
        x = mg.zeros(2, 3, dtype=mg.float64)
        version = x._version
        assert fill(x) is x and x._version > version
        assert x.dtype == mg.float64 and x.backend == backend


def test_a_fill_after_a_save_fails_the_backward():
    w, x = mg.ones(3, requires_grad=True), mg.ones(3)
    z = w * x  # saves x for w's gradient
    x.normal_()
    with pytest.raises(RuntimeError, match="modified in place"):
        z.sum().backward()


def test_uniform_takes_from_by_position_as_from_or_as_pythons_from_():
    draws = [mg.zeros(4).uniform_(2, 3, generator=seeded()),
             mg.zeros(4).uniform_(**{"from": 2, "to": 3}, generator=seeded()),
             mg.zeros(4).uniform_(from_=2, to=3, generator=seeded())]
    assert torch.zeros(4).uniform_(**{"from": 2, "to": 3}).min() >= 2
    for x in draws:
        np.testing.assert_array_equal(x.numpy(), draws[0].numpy())
        assert x.numpy().min() >= 2


def test_fills_work_on_a_parameter_under_no_grad():
    p = mg.nn.Parameter(mg.zeros(3, 3))
    with mg.no_grad():
        p.normal_(0, 1).uniform_(-1, 1).bernoulli_(0.5)
    assert p.requires_grad and p.is_leaf and set(np.unique(p.numpy())) <= {0.0, 1.0}


# -------------------------------------------------------------------------------- nn.init
INIT_WITH_GENERATOR = ["uniform_", "normal_", "trunc_normal_", "xavier_uniform_",
                       "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_",
                       "sparse_"]


@pytest.mark.parametrize("name", INIT_WITH_GENERATOR)
def test_init_signatures_are_torchs(name):
    def described(fn):
        return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]

    assert described(getattr(init, name)) == described(getattr(torch.nn.init, name))


def test_init_takes_the_generator_by_position_too():
    by_position = init.kaiming_normal_(mg.zeros(3, 4), 0, "fan_in", "relu", seeded())
    by_keyword = init.kaiming_normal_(mg.zeros(3, 4), nonlinearity="relu", generator=seeded())
    np.testing.assert_array_equal(by_position.numpy(), by_keyword.numpy())


def _truncated_moments(mean, std, a, b):
    """Mean and variance of N(mean, std^2) restricted to [a, b]."""
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))
    mass = cdf(beta) - cdf(alpha)
    shift = (pdf(alpha) - pdf(beta)) / mass
    spread = 1 + (alpha * pdf(alpha) - beta * pdf(beta)) / mass - shift ** 2
    return mean + std * shift, std * std * spread


@pytest.mark.parametrize("mean, std, a, b", [(0.0, 1.0, -2.0, 2.0), (0.5, 0.02, -2.0, 2.0),
                                             (0.0, 1.0, 1.0, 1.5), (0.0, 2.0, -0.5, 0.0)],
                         ids=["standard", "narrow_std", "tail", "one_side"])
def test_trunc_normal_has_the_truncated_distribution(mean, std, a, b):
    """The first two use normal candidates, the others uniform ones (little mass inside)."""
    n = 20000
    values = init.trunc_normal_(mg.zeros(n, dtype=mg.float64), mean, std, a, b).numpy()
    assert values.min() >= a and values.max() <= b
    expected_mean, expected_var = _truncated_moments(mean, std, a, b)
    assert within_5_sigma(values.mean(), expected_mean, expected_var, n)
    assert abs(values.var() / expected_var - 1) < 0.05


def test_trunc_normal_warns_as_torch_when_mean_is_far_from_the_range():
    for m in (torch, mg):
        with pytest.warns(UserWarning, match="mean is more than 2 std from"):
            values = m.nn.init.trunc_normal_(m.zeros(500), mean=5.0, a=-1.0, b=1.0)
        assert values.min() >= -1 and values.max() <= 1


@pytest.mark.parametrize("shape", [(4, 6), (6, 4), (4, 2, 3), (5, 5)])
def test_orthogonal_rows_or_columns_are_orthonormal_times_gain(backend, shape):
    w = init.orthogonal_(mg.zeros(*shape, dtype=mg.float64), gain=2.0)
    flat = w.numpy().reshape(shape[0], -1)
    small = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
    np.testing.assert_allclose(small, 4.0 * np.eye(len(small)), atol=1e-12)


def test_orthogonal_and_sparse_reject_the_shapes_torch_rejects():
    for m in (torch, mg):
        with pytest.raises(ValueError, match="2 or more dimensions"):
            m.nn.init.orthogonal_(m.zeros(3))
        with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
            m.nn.init.sparse_(m.zeros(3, 2, 2), 0.1)
    empty = mg.zeros(0, 3)
    assert init.orthogonal_(empty) is empty


def test_sparse_zeroes_the_same_count_in_every_column():
    w = init.sparse_(mg.zeros(10, 300, dtype=mg.float64), sparsity=0.25, std=0.5)
    values = w.numpy()
    np.testing.assert_array_equal((values == 0).sum(axis=0), math.ceil(0.25 * 10))
    assert abs(values[values != 0].std() / 0.5 - 1) < 0.05
    assert not np.array_equal(values[:, 0] == 0, values[:, 1] == 0) or \
        not np.array_equal(values[:, 1] == 0, values[:, 2] == 0)  # random rows per column
