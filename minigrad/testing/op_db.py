"""The op registry: one ``OpInfo`` per differentiable op, swept by every gradient test.

An entry says how to call the op, which ``Function`` does the work, a float64 reference
written against the array namespace ``xp`` (NumPy when run), how to draw sample inputs, and
where the op's derivative is defined: kinks and poles are data here (``Domain``), not special
cases in tests. Sample arguments that are float arrays become tensors that require grad (unless
listed in ``frozen``), integer and bool arrays become plain tensors, anything else is passed
as it is.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import minigrad as mg
from minigrad.nn import functional as F
from minigrad.nn.layers.recurrent import run_layers
from minigrad.ops import (
    activation,
    dropout,
    elementwise,
    indexing,
    linalg,
    loss,
    normalization,
    recurrent,
    reduction,
    shape,
)


@dataclass(frozen=True)
class Domain:
    """Where samples are drawn: [low, high], kept ``margin`` away from ``away_from`` points;
    ``distinct`` spaces values apart so max/min have no near-ties."""

    low: float = -2.0
    high: float = 2.0
    away_from: tuple = ()
    margin: float = 0.1
    distinct: bool = False


@dataclass(frozen=True)
class SampleInput:
    """Arguments for one call of an op; ``frozen`` lists positions of float arguments that
    must not require grad (class weights, masks)."""

    args: tuple
    kwargs: dict = field(default_factory=dict)
    name: str = ""
    frozen: tuple = ()


@dataclass(frozen=True)
class OpInfo:
    name: str
    op: Callable  # (*tensors, **kwargs) -> Tensor
    function: type  # the Function whose backward is checked
    ref: Callable  # (xp, *float64 arrays, **kwargs) -> array
    samples: Callable  # (SampleMaker) -> list of SampleInput
    domain: Domain = Domain()
    torch_op: Callable = None  # (torch, *tensors, **kwargs) -> tensor, for parity tests
    forward_rtol32: float = 1e-5
    random: bool = False


class SampleMaker:
    """Draws float64 sample arrays inside an op's domain from a seeded generator."""

    def __init__(self, domain, rng, xp):
        self.domain, self.rng, self.xp = domain, rng, xp

    def __call__(self, *shape, low=None, high=None):
        d = self.domain
        low = d.low if low is None else low
        high = d.high if high is None else high
        size = math.prod(shape)
        if d.distinct:
            # NOTE: evenly spaced values in random order: no two closer than the grid step
            grid = self.xp.linspace(low, high, size) if size > 1 else self.xp.zeros(size) + low
            x = self.rng.permutation(grid).reshape(shape)
        else:
            x = self.rng.uniform(low, high, size=shape)
        for point in d.away_from:
            offset = x - point
            near = self.xp.abs(offset) < d.margin
            push = self.xp.where(offset >= 0, d.margin, -d.margin)
            x = self.xp.where(near, point + push + offset, x)
        return self.xp.asarray(x, dtype="float64")

    def index(self, high, *shape):
        return self.rng.integers(0, high, size=shape).tolist()


# ---------------------------------------------------------------- sample generators
def _unary(make):
    return [SampleInput((make(3, 4),), name="matrix"),
            SampleInput((make(2, 3, 2),), name="3d"),
            SampleInput((make(),), name="scalar"),
            SampleInput((make(1),), name="one_element"),
            SampleInput((make(0, 3),), name="empty")]


def _binary(make):
    return [SampleInput((make(3, 4), make(3, 4)), name="same_shape"),
            SampleInput((make(3, 4), make(4)), name="broadcast_row"),
            SampleInput((make(3, 1), make(1, 4)), name="outer"),
            SampleInput((make(), make(2, 3)), name="scalar_tensor"),
            SampleInput((make(2, 3), 1.5), name="python_scalar"),
            SampleInput((-0.75, make(2, 3)), name="python_scalar_left"),
            SampleInput((make(0, 3), make(3)), name="empty")]


def _separated_pairs(make):
    """Pairs whose elements differ by 0.2 to 1 in a random direction: no ties for max/min."""
    def partner(a):
        step = make.rng.uniform(0.2, 1.0, size=a.shape) * make.rng.choice([-1.0, 1.0], a.shape)
        return a + step
    a, row, col = make(3, 4), make(4), make(3, 1)
    return [SampleInput((a, partner(a)), name="same_shape"),
            SampleInput((make(3, 4), row), name="broadcast_row"),
            SampleInput((col, partner(col) + make(1, 4) * 0), name="outer"),
            SampleInput((make(), make(2, 3)), name="scalar_tensor")]


def _reductions(make, with_empty=True):
    samples = [SampleInput((make(3, 4),), name="all"),
               SampleInput((make(3, 4),), {"dim": 1}, name="dim1"),
               SampleInput((make(2, 3, 4),), {"dim": (0, 2)}, name="dims02"),
               SampleInput((make(2, 3, 4),), {"dim": -1, "keepdim": True}, name="keepdim"),
               SampleInput((make(),), name="scalar"),
               SampleInput((make(1),), {"dim": 0}, name="one_element")]
    if with_empty:
        samples.append(SampleInput((make(0, 3),), {"dim": 0}, name="empty"))
    return samples


def _var_samples(make):
    return [SampleInput((make(3, 4),), name="all"),
            SampleInput((make(3, 4),), {"dim": 1}, name="dim1"),
            SampleInput((make(2, 3, 4),), {"dim": (0, 2), "keepdim": True}, name="dims02"),
            SampleInput((make(5),), {"correction": 0}, name="population"),
            SampleInput((make(4, 3),), {"dim": 0, "unbiased": False}, name="biased")]


def _extreme_samples(make):
    return [SampleInput((make(3, 4),), name="all"),
            SampleInput((make(3, 4),), {"dim": 1}, name="dim1"),
            SampleInput((make(2, 3, 4),), {"dim": 0, "keepdim": True}, name="keepdim"),
            SampleInput((make(),), name="scalar"),
            SampleInput((make(1),), {"dim": 0}, name="one_element")]


def _softmax_samples(make):
    return [SampleInput((make(3, 5),), {"dim": 1}, name="rows"),
            SampleInput((make(4, 3),), {"dim": 0}, name="columns"),
            SampleInput((make(2, 3, 4),), {"dim": -1}, name="3d"),
            SampleInput((make(1),), {"dim": 0}, name="one_element"),
            SampleInput((make(2, 3, low=-1e4, high=1e4),), {"dim": 1}, name="huge_logits")]


def _matmul_samples(make):
    return [SampleInput((make(3, 4), make(4, 5)), name="2d"),
            SampleInput((make(4), make(4)), name="dot"),
            SampleInput((make(4), make(4, 3)), name="vector_matrix"),
            SampleInput((make(3, 4), make(4)), name="matrix_vector"),
            SampleInput((make(2, 3, 4), make(4, 2)), name="batched_broadcast"),
            SampleInput((make(2, 1, 3, 4), make(3, 4, 2)), name="batch_broadcast_both"),
            SampleInput((make(4), make(2, 4, 3)), name="vector_batched"),
            SampleInput((make(1, 1), make(1, 1)), name="one_element"),
            SampleInput((make(0, 4), make(4, 2)), name="empty")]


def _pow_samples(make):
    return [SampleInput((make(3, 4), make(3, 4)), name="tensor_exponent"),
            SampleInput((make(3, 4), make(4)), name="broadcast"),
            SampleInput((make(2, 3), 3), name="int_exponent"),
            SampleInput((make(2, 3), -1.5), name="float_exponent"),
            SampleInput((1.7, make(2, 3)), name="scalar_base"),
            SampleInput((make(), make(2)), name="scalar_tensor")]


def _clamp_samples(make):
    return [SampleInput((make(3, 4),), {"min": -0.5, "max": 0.7}, name="both"),
            SampleInput((make(3, 4),), {"min": -0.5}, name="min_only"),
            SampleInput((make(3, 4),), {"max": 0.7}, name="max_only"),
            SampleInput((make(),), {"min": -0.5, "max": 0.7}, name="scalar")]


def _where_samples(make):
    return [SampleInput((make(3, 4) > 0, make(3, 4), make(3, 4)), name="same_shape"),
            SampleInput((make(3, 1) > 0, make(3, 4), make(4)), name="broadcast"),
            SampleInput((make(2, 3) > 0, make(2, 3), 0.25), name="python_scalar")]


def _shape_samples(method):
    def samples(make):
        return [SampleInput((make(*s),), kw, name=name) for name, s, kw in method]
    return samples


def _getitem_samples(make):
    x = make(4, 5)
    return [SampleInput((x,), {"index": (1, slice(None, None, 2))}, name="basic"),
            SampleInput((x,), {"index": (slice(1, 3), None, Ellipsis)}, name="none_ellipsis"),
            SampleInput((x,), {"index": [0, 2, 2, 3, 0]}, name="repeated_rows"),
            SampleInput((x,), {"index": ([0, 1, 1], [4, 2, 2])}, name="pairs_repeated"),
            SampleInput((x,), {"index": (slice(None), make.index(5, 6))}, name="column_gather"),
            SampleInput((make(2, 3, 4),), {"index": (Ellipsis, 1)}, name="last_axis"),
            SampleInput((make(3),), {"index": 1}, name="to_scalar")]


def _join_samples(make):
    return [SampleInput((make(2, 3), make(4, 3)), {"dim": 0}, name="rows"),
            SampleInput((make(2, 3), make(2, 1), make(2, 2)), {"dim": 1}, name="three"),
            SampleInput((make(2, 3, 2), make(2, 3, 2)), {"dim": -1}, name="last")]


def _stack_samples(make):
    return [SampleInput((make(2, 3), make(2, 3)), {"dim": 0}, name="first"),
            SampleInput((make(2, 3), make(2, 3), make(2, 3)), {"dim": 2}, name="new_last"),
            SampleInput((make(), make()), {"dim": 0}, name="scalars")]


def _gelu_samples(make):
    return [SampleInput((make(3, 4),), name="exact"),
            SampleInput((make(3, 4),), {"approximate": "tanh"}, name="tanh"),
            SampleInput((make(2, 3, low=-8, high=8),), name="tails")]


def _linear_samples(make):
    return [SampleInput((make(4, 3), make(2, 3), make(2)), name="batch"),
            SampleInput((make(4, 3), make(2, 3)), name="no_bias"),
            SampleInput((make(3), make(2, 3), make(2)), name="vector"),
            SampleInput((make(2, 5, 3), make(4, 3), make(4)), name="3d")]


def _batch_norm_samples(make):
    return [SampleInput((make(6, 3), make(3, low=0.5), make(3)), name="2d"),
            SampleInput((make(4, 3, 5), make(3, low=0.5), make(3)), name="3d"),
            SampleInput((make(5, 2),), name="no_affine"),
            SampleInput((make(2, 4),), {"eps": 1e-3}, name="two_rows_eps")]


def _layer_norm_samples(make):
    return [SampleInput((make(4, 5), make(5, low=0.5), make(5)), {"shape": (5,)}, name="1d"),
            SampleInput((make(2, 3, 4), make(3, 4, low=0.5), make(3, 4)), {"shape": (3, 4)},
                        name="2d"),
            SampleInput((make(3, 6), make(6, low=0.5)), {"shape": (6,)}, name="no_bias"),
            SampleInput((make(3, 6),), {"shape": (6,)}, name="no_affine"),
            SampleInput((make(2, 4, low=1e4 - 2, high=1e4 + 2),), {"shape": (4,)},
                        name="offset_1e4")]


def _dropout_samples(make):
    keep = make.rng.random((4, 5)) >= 0.3
    return [SampleInput((make(4, 5), keep), {"p": 0.3}, name="p0.3"),
            SampleInput((make(4, 5), keep), {"p": 0.0}, name="p0"),
            SampleInput((make(4, 5), keep & False), {"p": 1.0}, name="p1")]


def _pointwise_loss_samples(make):
    return [SampleInput((make(4, 3), make(4, 3)), name="mean"),
            SampleInput((make(4, 3), make(4, 3)), {"reduction": "sum"}, name="sum"),
            SampleInput((make(5), make(5)), {"reduction": "none"}, name="none"),
            SampleInput((make(), make()), name="scalar")]


def _class_loss_samples(make, smoothing=True):
    weight = make(4, low=0.5, high=2.0)
    ignored = make.index(4, 6)
    ignored[1] = ignored[4] = -100
    samples = [SampleInput((make(6, 4), make.index(4, 6)), name="mean"),
               SampleInput((make(6, 4), make.index(4, 6)), {"reduction": "sum"}, name="sum"),
               SampleInput((make(6, 4), make.index(4, 6)), {"reduction": "none"}, name="none"),
               SampleInput((make(6, 4), ignored), name="ignore_index"),
               SampleInput((make(6, 4), make.index(4, 6), weight), name="weight", frozen=(2,)),
               SampleInput((make(6, 4), ignored, weight), name="weight_ignore", frozen=(2,)),
               SampleInput((make(3, 4, 2), make.index(4, 3, 2)), name="3d"),
               SampleInput((make(4), make.index(4)), name="1d")]
    if smoothing:
        samples += [
            SampleInput((make(6, 4), make.index(4, 6)), {"label_smoothing": 0.2},
                        name="smoothing"),
            SampleInput((make(6, 4), ignored, weight), {"label_smoothing": 0.3},
                        name="smoothing_weight_ignore", frozen=(2,)),
            SampleInput((make(2, 3, low=-1e4, high=1e4), make.index(3, 2)), name="huge_logits")]
    return samples


def _bce_samples(make):
    target = make.rng.random((4, 3))
    return [SampleInput((make(4, 3), target), name="mean"),
            SampleInput((make(4, 3), target), {"reduction": "none"}, name="none"),
            SampleInput((make(4, 3), target, make(3, low=0.5, high=2)), name="weight",
                        frozen=(2,)),
            SampleInput((make(4, 3), target, None, make(3, low=0.5, high=3)),
                        {"reduction": "sum"}, name="pos_weight", frozen=(3,)),
            SampleInput((make(2, 3, low=-40, high=40), (make(2, 3) > 0) * 1.0), name="large")]


def _cell_samples(gates, with_cell=False):
    def samples(make):
        batch, inputs, hidden = 3, 4, 5
        states = (make(batch, hidden),) * (2 if with_cell else 1)
        weights = (make(gates * hidden, inputs, low=-0.7, high=0.7),
                   make(gates * hidden, hidden, low=-0.7, high=0.7))
        biases = (make(gates * hidden), make(gates * hidden))
        return [SampleInput((make(batch, inputs), *states, *weights, *biases), name="bias"),
                SampleInput((make(batch, inputs), *states, *weights), name="no_bias")]
    return samples


def _sequence_samples(make):
    """A 2-layer GRU over 4 steps and over 1: inputs, initial states and every weight."""
    batch, inputs, hidden = 2, 3, 4

    def layer(width_in):
        return (make(3 * hidden, width_in, low=-0.7, high=0.7),
                make(3 * hidden, hidden, low=-0.7, high=0.7), make(3 * hidden),
                make(3 * hidden))
    return [SampleInput((make(steps, batch, inputs), make(2, batch, hidden), *layer(inputs),
                         *layer(hidden)), name=f"{steps}_steps") for steps in (4, 1)]


# ---------------------------------------------------------------- references
def _np_erf(xp, x):
    return xp.vectorize(math.erf, otypes=["float64"])(x)  # an oracle independent of ours


def _gelu_ref(xp, x, approximate="none"):
    if approximate == "tanh":
        return 0.5 * x * (1 + xp.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + _np_erf(xp, x / math.sqrt(2)))


def _softmax_ref(xp, x, dim):
    e = xp.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def _log_softmax_ref(xp, x, dim):
    shifted = x - x.max(axis=dim, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))


def _var_ref(xp, x, dim=None, keepdim=False, correction=None, unbiased=None):
    ddof = correction if correction is not None else (0 if unbiased is False else 1)
    return xp.var(x, axis=dim, ddof=ddof, keepdims=keepdim)


def _extreme_ref(pick):
    def ref(xp, x, dim=None, keepdim=False):
        return getattr(xp, pick)(x, axis=dim, keepdims=keepdim)
    return ref


def _index_ref(xp, x, index):
    def convert(part):
        return xp.asarray(part) if isinstance(part, list) else part
    index = tuple(map(convert, index)) if isinstance(index, tuple) else convert(index)
    return x[index]


def _torch_index(torch, x, index):
    def convert(part):
        return torch.tensor(part) if isinstance(part, list) else part
    index = tuple(map(convert, index)) if isinstance(index, tuple) else convert(index)
    return x[index]


def _torch_extreme(pick):
    def op(torch, x, dim=None, keepdim=False):
        if dim is None:
            return getattr(torch, pick)(x)
        return getattr(torch, pick)(x, dim=dim, keepdim=keepdim).values
    return op


def _torch_var(torch, x, dim=None, keepdim=False, correction=None, unbiased=None):
    if correction is None:
        correction = 0 if unbiased is False else 1
    return torch.var(x, dim=dim, keepdim=keepdim, correction=correction)


def _linear_ref(xp, x, weight, bias=None):
    return x @ weight.T + (0 if bias is None else bias)


def _standardize_ref(xp, x, axes, eps):
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return (x - mean) / xp.sqrt(var + eps)


def _batch_norm_ref(xp, x, weight=None, bias=None, eps=1e-5):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    y = _standardize_ref(xp, x, (0,) if x.ndim == 2 else (0, 2), eps)
    y = y * weight.reshape(shape) if weight is not None else y
    return y + bias.reshape(shape) if bias is not None else y


def _layer_norm_ref(xp, x, weight=None, bias=None, shape=None):
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    y = _standardize_ref(xp, x, axes, 1e-5)
    y = y * weight if weight is not None else y
    return y + bias if bias is not None else y


def _reduce_ref(losses, reduction, denominator=None):
    if reduction == "none":
        return losses
    total = losses.sum()
    return total if reduction == "sum" else total / (denominator or losses.size)


def _class_loss_ref(xp, log_p, target, weight=None, reduction="mean", label_smoothing=0.0):
    """PyTorch's definition, written out: NLL part plus the smoothing part over classes."""
    classes = log_p.shape[1]
    if log_p.ndim > 2:
        log_p = xp.moveaxis(log_p, 1, -1).reshape(-1, classes)
    target = xp.asarray(target).reshape(-1)
    w = xp.ones(classes) if weight is None else weight
    kept = target != -100
    safe = xp.where(kept, target, 0)
    nll = -log_p[xp.arange(len(safe)), safe] * w[safe] * kept
    smooth = -(log_p * w).sum(axis=1) * kept
    losses = (1 - label_smoothing) * nll + label_smoothing / classes * smooth
    return _reduce_ref(losses, reduction, (w[safe] * kept).sum())


def _cross_entropy_ref(xp, logits, target, weight=None, reduction="mean", label_smoothing=0.0):
    if logits.ndim == 1:
        logits, target = logits[None], [target]
    log_p = _log_softmax_ref(xp, logits, 1)
    losses = _class_loss_ref(xp, log_p, target, weight, "none", label_smoothing)
    if reduction == "none":
        return losses.reshape(xp.shape(target)) if xp.ndim(target) else losses[0]
    return _class_loss_ref(xp, log_p, target, weight, reduction, label_smoothing)


def _bce_ref(xp, x, t, weight=None, pos_weight=None, reduction="mean"):
    log_sig = -xp.logaddexp(0, -x)
    log_one_minus_sig = -xp.logaddexp(0, x)
    pw = 1 if pos_weight is None else pos_weight
    losses = -(pw * t * log_sig + (1 - t) * log_one_minus_sig)
    return _reduce_ref(losses * (1 if weight is None else weight), reduction)


def _dropout_op(x, keep, p):
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    return dropout.Dropout.apply(x, keep.to(x.dtype) * scale)


def _sigmoid_ref(xp, x):
    return 1 / (1 + xp.exp(-x))


def _rnn_cell_ref(xp, x, h, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh"):
    pre = x @ w_ih.T + h @ w_hh.T + (0 if b_ih is None else b_ih + b_hh)
    return xp.tanh(pre) if nonlinearity == "tanh" else xp.maximum(pre, 0)


def _lstm_cell_ref(xp, x, h, c, w_ih, w_hh, b_ih=None, b_hh=None):
    gates = x @ w_ih.T + h @ w_hh.T + (0 if b_ih is None else b_ih + b_hh)
    i, f, g, o = xp.split(gates, 4, axis=1)
    c_next = _sigmoid_ref(xp, f) * c + _sigmoid_ref(xp, i) * xp.tanh(g)
    return _sigmoid_ref(xp, o) * xp.tanh(c_next)


def _gru_cell_ref(xp, x, h, w_ih, w_hh, b_ih=None, b_hh=None):
    a = x @ w_ih.T + (0 if b_ih is None else b_ih)
    b = h @ w_hh.T + (0 if b_hh is None else b_hh)
    (a_r, a_z, a_n), (b_r, b_z, b_n) = xp.split(a, 3, axis=1), xp.split(b, 3, axis=1)
    r, z = _sigmoid_ref(xp, a_r + b_r), _sigmoid_ref(xp, a_z + b_z)
    n = xp.tanh(a_n + r * b_n)
    return (1 - z) * n + z * h


def _gru_sequence_ref(xp, x, h0, *weights):
    outputs = list(x)
    for layer in range(2):
        h = h0[layer]
        step_outputs = []
        for x_t in outputs:
            h = _gru_cell_ref(xp, x_t, h, *weights[4 * layer:4 * layer + 4])
            step_outputs.append(h)
        outputs = step_outputs
    return xp.stack(outputs)


def _gru_sequence(x, h0, *weights):
    steps, _ = run_layers("GRU", list(mg.unbind(x, 0)), list(mg.unbind(h0, 0)),
                          [weights[:4], weights[4:]])
    return mg.stack(steps, 0)


# ---------------------------------------------------------------- the registry
_E, _A, _R, _S, _L = elementwise, activation, reduction, shape, loss
_AWAY_FROM_ZERO = Domain(away_from=(0.0,))
_POSITIVE = Domain(low=0.2, high=3.0)

OP_DB = [
    OpInfo("add", lambda a, b: a + b, _E.Add, lambda xp, a, b: a + b, _binary,
           torch_op=lambda torch, a, b: a + b),
    OpInfo("sub", lambda a, b: a - b, _E.Sub, lambda xp, a, b: a - b, _binary,
           torch_op=lambda torch, a, b: a - b),
    OpInfo("mul", lambda a, b: a * b, _E.Mul, lambda xp, a, b: a * b, _binary,
           torch_op=lambda torch, a, b: a * b),
    OpInfo("div", lambda a, b: a / b, _E.Div, lambda xp, a, b: a / b, _binary,
           domain=Domain(away_from=(0.0,), margin=0.3), torch_op=lambda torch, a, b: a / b),
    OpInfo("neg", lambda x: -x, _E.Neg, lambda xp, x: -x, _unary,
           torch_op=lambda torch, x: -x),
    OpInfo("pow", lambda x, p: x ** p, _E.Pow, lambda xp, x, p: xp.power(x, p), _pow_samples,
           domain=Domain(low=0.3, high=2.0), torch_op=lambda torch, x, p: x ** p),
    OpInfo("exp", mg.exp, _E.Exp, lambda xp, x: xp.exp(x), _unary,
           torch_op=lambda torch, x: torch.exp(x)),
    OpInfo("log", mg.log, _E.Log, lambda xp, x: xp.log(x), _unary, domain=_POSITIVE,
           torch_op=lambda torch, x: torch.log(x)),
    OpInfo("sqrt", mg.sqrt, _E.Sqrt, lambda xp, x: xp.sqrt(x), _unary, domain=_POSITIVE,
           torch_op=lambda torch, x: torch.sqrt(x)),
    OpInfo("abs", mg.abs, _E.Abs, lambda xp, x: xp.abs(x), _unary, domain=_AWAY_FROM_ZERO,
           torch_op=lambda torch, x: torch.abs(x)),
    OpInfo("clamp", lambda x, **kw: x.clamp(**kw), _E.Clamp,
           lambda xp, x, min=None, max=None: xp.clip(x, min, max), _clamp_samples,
           domain=Domain(away_from=(-0.5, 0.7)),
           torch_op=lambda torch, x, **kw: torch.clamp(x, **kw)),
    OpInfo("maximum", mg.maximum, _E.Maximum, lambda xp, a, b: xp.maximum(a, b),
           _separated_pairs,
           torch_op=lambda torch, a, b: torch.maximum(a, b)),
    OpInfo("minimum", mg.minimum, _E.Minimum, lambda xp, a, b: xp.minimum(a, b),
           _separated_pairs,
           torch_op=lambda torch, a, b: torch.minimum(a, b)),
    OpInfo("where", mg.where, _E.Where, lambda xp, c, a, b: xp.where(c, a, b), _where_samples,
           torch_op=lambda torch, c, a, b: torch.where(c, a, b)),
    OpInfo("matmul", lambda a, b: a @ b, linalg.MatMul, lambda xp, a, b: a @ b,
           _matmul_samples, torch_op=lambda torch, a, b: a @ b, forward_rtol32=1e-4),
    OpInfo("sum", lambda x, **kw: x.sum(**kw), _R.Sum,
           lambda xp, x, dim=None, keepdim=False: x.sum(axis=dim, keepdims=keepdim),
           _reductions, torch_op=lambda torch, x, dim=None, keepdim=False: (
               x.sum() if dim is None else x.sum(dim=dim, keepdim=keepdim))),
    OpInfo("mean", lambda x, **kw: x.mean(**kw), _R.Mean,
           lambda xp, x, dim=None, keepdim=False: x.mean(axis=dim, keepdims=keepdim),
           lambda make: _reductions(make, with_empty=False),
           torch_op=lambda torch, x, dim=None, keepdim=False: (
               x.mean() if dim is None else x.mean(dim=dim, keepdim=keepdim))),
    OpInfo("var", lambda x, **kw: x.var(**kw), _R.Var, _var_ref, _var_samples,
           torch_op=_torch_var, forward_rtol32=1e-4),
    OpInfo("max", lambda x, **kw: x.max(**kw) if "dim" not in kw else x.max(**kw).values,
           _R.Max, _extreme_ref("max"), _extreme_samples,
           domain=Domain(distinct=True), torch_op=_torch_extreme("max")),
    OpInfo("min", lambda x, **kw: x.min(**kw) if "dim" not in kw else x.min(**kw).values,
           _R.Min, _extreme_ref("min"), _extreme_samples, domain=Domain(distinct=True),
           torch_op=_torch_extreme("min")),
    OpInfo("reshape", lambda x, shape: x.reshape(shape), _S.Reshape,
           lambda xp, x, shape: x.reshape(shape),
           _shape_samples([("merge", (2, 3, 4), {"shape": (6, 4)}),
                           ("infer", (3, 4), {"shape": (-1,)}),
                           ("scalar", (), {"shape": (1, 1)})]),
           torch_op=lambda torch, x, shape: x.reshape(shape)),
    OpInfo("transpose", lambda x, d0, d1: x.transpose(d0, d1), _S.Transpose,
           lambda xp, x, d0, d1: xp.swapaxes(x, d0, d1),
           _shape_samples([("2d", (3, 4), {"d0": 0, "d1": 1}),
                           ("3d", (2, 3, 4), {"d0": -1, "d1": 0})]),
           torch_op=lambda torch, x, d0, d1: x.transpose(d0, d1)),
    OpInfo("permute", lambda x, dims: x.permute(*dims), _S.Permute,
           lambda xp, x, dims: xp.transpose(x, dims),
           _shape_samples([("3d", (2, 3, 4), {"dims": (2, 0, 1)}),
                           ("negative", (2, 3, 4), {"dims": (-1, 1, 0)})]),
           torch_op=lambda torch, x, dims: x.permute(*dims)),
    OpInfo("squeeze", lambda x, **kw: x.squeeze(**kw), _S.Reshape,
           lambda xp, x, dim=None: xp.squeeze(x, axis=dim) if dim is None or x.shape[dim] == 1
           else x,
           _shape_samples([("all", (1, 3, 1, 2), {}), ("one_dim", (3, 1, 2), {"dim": 1}),
                           ("not_one", (3, 2), {"dim": 0})]),
           torch_op=lambda torch, x, **kw: x.squeeze(**kw)),
    OpInfo("unsqueeze", lambda x, dim: x.unsqueeze(dim), _S.Reshape,
           lambda xp, x, dim: xp.expand_dims(x, dim),
           _shape_samples([("front", (3, 2), {"dim": 0}), ("back", (3, 2), {"dim": -1}),
                           ("scalar", (), {"dim": 0})]),
           torch_op=lambda torch, x, dim: x.unsqueeze(dim)),
    OpInfo("flatten", lambda x, **kw: x.flatten(**kw), _S.Reshape,
           lambda xp, x, start_dim=0, end_dim=-1: x.reshape(
               x.shape[:start_dim] + (-1,) + x.shape[end_dim % x.ndim + 1:]),
           _shape_samples([("all", (2, 3, 4), {}), ("inner", (2, 3, 4, 2),
                                                    {"start_dim": 1, "end_dim": 2})]),
           torch_op=lambda torch, x, **kw: x.flatten(**kw)),
    OpInfo("getitem", lambda x, index: x[index], indexing.GetItem, _index_ref,
           _getitem_samples, torch_op=_torch_index),
    OpInfo("cat", lambda *xs, dim: mg.cat(xs, dim=dim), _S.Cat,
           lambda xp, *xs, dim: xp.concatenate(xs, axis=dim), _join_samples,
           torch_op=lambda torch, *xs, dim: torch.cat(xs, dim=dim)),
    OpInfo("stack", lambda *xs, dim: mg.stack(xs, dim=dim), _S.Stack,
           lambda xp, *xs, dim: xp.stack(xs, axis=dim), _stack_samples,
           torch_op=lambda torch, *xs, dim: torch.stack(xs, dim=dim)),
    OpInfo("relu", lambda x: x.relu(), _A.ReLU, lambda xp, x: xp.maximum(x, 0), _unary,
           domain=_AWAY_FROM_ZERO, torch_op=lambda torch, x: torch.relu(x)),
    OpInfo("leaky_relu", lambda x, **kw: _A.leaky_relu(x, **kw), _A.LeakyReLU,
           lambda xp, x, negative_slope=0.01: xp.where(x > 0, x, negative_slope * x),
           lambda make: _unary(make) + [SampleInput((make(3, 4),), {"negative_slope": 0.2},
                                                    name="slope")],
           domain=_AWAY_FROM_ZERO,
           torch_op=lambda torch, x, **kw: torch.nn.functional.leaky_relu(x, **kw)),
    OpInfo("elu", lambda x, **kw: _A.elu(x, **kw), _A.ELU,
           lambda xp, x, alpha=1.0: xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0))),
           lambda make: _unary(make) + [SampleInput((make(3, 4),), {"alpha": 0.5},
                                                    name="alpha")],
           domain=_AWAY_FROM_ZERO,
           torch_op=lambda torch, x, **kw: torch.nn.functional.elu(x, **kw)),
    OpInfo("sigmoid", lambda x: x.sigmoid(), _A.Sigmoid, lambda xp, x: 1 / (1 + xp.exp(-x)),
           lambda make: _unary(make) + [SampleInput((make(2, 3, low=-30, high=30),),
                                                    name="saturated")],
           torch_op=lambda torch, x: torch.sigmoid(x)),
    OpInfo("tanh", lambda x: x.tanh(), _A.Tanh, lambda xp, x: xp.tanh(x), _unary,
           torch_op=lambda torch, x: torch.tanh(x)),
    OpInfo("gelu", lambda x, **kw: _A.gelu(x, **kw), _A.GELU, _gelu_ref, _gelu_samples,
           torch_op=lambda torch, x, **kw: torch.nn.functional.gelu(x, **kw)),
    OpInfo("softmax", lambda x, dim: x.softmax(dim), _A.Softmax, _softmax_ref,
           _softmax_samples, torch_op=lambda torch, x, dim: torch.softmax(x, dim)),
    OpInfo("log_softmax", lambda x, dim: x.log_softmax(dim), _A.LogSoftmax, _log_softmax_ref,
           _softmax_samples, torch_op=lambda torch, x, dim: torch.log_softmax(x, dim)),
]

OP_DB += [
    OpInfo("linear", F.linear, linalg.Linear, _linear_ref, _linear_samples,
           torch_op=lambda torch, *args: torch.nn.functional.linear(*args),
           forward_rtol32=1e-4),
    OpInfo("batch_norm", lambda x, w=None, b=None, eps=1e-5: F.batch_norm(
               x, None, None, w, b, training=True, eps=eps),
           normalization.BatchNorm,
           lambda xp, x, w=None, b=None, eps=1e-5: _batch_norm_ref(xp, x, w, b, eps),
           _batch_norm_samples, forward_rtol32=1e-4,
           torch_op=lambda torch, x, w=None, b=None, eps=1e-5: torch.nn.functional.batch_norm(
               x, None, None, w, b, training=True, eps=eps)),
    OpInfo("layer_norm", lambda x, w=None, b=None, shape=None: F.layer_norm(x, shape, w, b),
           normalization.LayerNorm, _layer_norm_ref, _layer_norm_samples, forward_rtol32=1e-4,
           torch_op=lambda torch, x, w=None, b=None, shape=None:
               torch.nn.functional.layer_norm(x, shape, w, b)),
    OpInfo("dropout", _dropout_op, dropout.Dropout,
           lambda xp, x, keep, p: x * keep * (0.0 if p == 1 else 1 / (1 - p)),
           _dropout_samples),
    OpInfo("mse_loss", lambda a, b, **kw: F.mse_loss(a, b, **kw), _L.MSELoss,
           lambda xp, a, b, reduction="mean": _reduce_ref((a - b) ** 2, reduction),
           _pointwise_loss_samples,
           torch_op=lambda torch, a, b, **kw: torch.nn.functional.mse_loss(a, b, **kw)),
    OpInfo("l1_loss", lambda a, b, **kw: F.l1_loss(a, b, **kw), _L.L1Loss,
           lambda xp, a, b, reduction="mean": _reduce_ref(xp.abs(a - b), reduction),
           _pointwise_loss_samples,
           torch_op=lambda torch, a, b, **kw: torch.nn.functional.l1_loss(a, b, **kw)),
    OpInfo("cross_entropy", lambda x, t, w=None, **kw: F.cross_entropy(x, t, w, **kw),
           _L.CrossEntropy, _cross_entropy_ref, _class_loss_samples,
           torch_op=lambda torch, x, t, w=None, **kw: torch.nn.functional.cross_entropy(
               x, torch.as_tensor(t), w, **kw)),
    OpInfo("nll_loss", lambda x, t, w=None, **kw: F.nll_loss(x, t, w, **kw), _L.NLLLoss,
           lambda xp, x, t, w=None, reduction="mean": _class_loss_ref(
               xp, x[None] if x.ndim == 1 else x, t if x.ndim > 1 else [t], w, reduction
           ).reshape(xp.shape(t)) if reduction == "none" else _class_loss_ref(
               xp, x[None] if x.ndim == 1 else x, t if x.ndim > 1 else [t], w, reduction),
           lambda make: _class_loss_samples(make, smoothing=False),
           torch_op=lambda torch, x, t, w=None, **kw: torch.nn.functional.nll_loss(
               x, torch.as_tensor(t), w, **kw)),
    OpInfo("binary_cross_entropy_with_logits",
           lambda x, t, w=None, pw=None, **kw: F.binary_cross_entropy_with_logits(
               x, t, w, pos_weight=pw, **kw),
           _L.BCEWithLogits,
           lambda xp, x, t, w=None, pw=None, reduction="mean": _bce_ref(xp, x, t, w, pw,
                                                                         reduction),
           _bce_samples,
           torch_op=lambda torch, x, t, w=None, pw=None, **kw:
               torch.nn.functional.binary_cross_entropy_with_logits(x, t, w, pos_weight=pw,
                                                                    **kw)),
]

OP_DB += [
    OpInfo("rnn_cell", lambda *a, **kw: recurrent.rnn_cell(*a, **kw), recurrent.RNNCellStep,
           _rnn_cell_ref,
           lambda make: _cell_samples(1)(make) + [
               SampleInput(s.args, {"nonlinearity": "relu"}, name=s.name + "_relu")
               for s in _cell_samples(1)(make)],
           domain=Domain(away_from=(0.0,), margin=0.05),
           torch_op=lambda torch, *a, nonlinearity="tanh": (
               torch.rnn_tanh_cell if nonlinearity == "tanh" else torch.rnn_relu_cell)(*a)),
    OpInfo("lstm_cell", lambda *a: recurrent.lstm_cell(*a)[0], recurrent.LSTMCellStep,
           _lstm_cell_ref, _cell_samples(4, with_cell=True),
           torch_op=lambda torch, x, h, c, *w: torch.lstm_cell(x, (h, c), *w)[0]),
    OpInfo("lstm_cell_state", lambda *a: recurrent.lstm_cell(*a)[1], recurrent.LSTMCellStep,
           lambda xp, x, h, c, w_ih, w_hh, b_ih=None, b_hh=None: (
               lambda g: _sigmoid_ref(xp, g[1]) * c + _sigmoid_ref(xp, g[0]) * xp.tanh(g[2]))(
               xp.split(x @ w_ih.T + h @ w_hh.T + (0 if b_ih is None else b_ih + b_hh), 4,
                        axis=1)),
           _cell_samples(4, with_cell=True),
           torch_op=lambda torch, x, h, c, *w: torch.lstm_cell(x, (h, c), *w)[1]),
    OpInfo("gru_cell", lambda *a: recurrent.gru_cell(*a), recurrent.GRUCellStep, _gru_cell_ref,
           _cell_samples(3), torch_op=lambda torch, *a: torch.gru_cell(*a)),
    OpInfo("gru_sequence", _gru_sequence, recurrent.GRUCellStep, _gru_sequence_ref,
           _sequence_samples),
]

OPS_BY_NAME = {info.name: info for info in OP_DB}
