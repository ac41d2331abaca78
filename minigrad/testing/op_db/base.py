"""What a registry entry is (``OpInfo``, ``ModuleInfo``, ``SampleInput``, ``Domain``), how
samples are drawn (``SampleMaker``), and the sample sets and references that several op
families share."""

import math
from collections.abc import Callable
from dataclasses import dataclass, field


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


@dataclass(frozen=True)
class ModuleInfo:
    """A layer for the module sweeps: ``make(nn)`` builds it with ``minigrad.nn`` or
    ``torch.nn``; its ``state_dict`` and ``repr`` are held against PyTorch's, and so are its
    output, input gradient and parameter gradients on random inputs of each of
    ``input_shapes`` (standard normal times ``scale`` plus ``shift``; in eval mode when
    ``eval_mode``). Layers that take more than one input or return a tuple leave
    ``input_shapes`` empty: their own tests compare their values. A positive
    ``index_high`` makes the inputs integer indices in [0, index_high) (an embedding's),
    which get no gradient."""

    name: str
    make: Callable  # (nn) -> Module
    input_shapes: tuple = ((6, 7), (2, 3, 4))
    scale: float = 3.0
    shift: float = 0.0
    eval_mode: bool = False
    index_high: int = 0


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


AWAY_FROM_ZERO = Domain(away_from=(0.0,))
POSITIVE = Domain(low=0.2, high=3.0)


def unary_samples(make):
    return [SampleInput((make(3, 4),), name="matrix"),
            SampleInput((make(2, 3, 2),), name="3d"),
            SampleInput((make(),), name="scalar"),
            SampleInput((make(1),), name="one_element"),
            SampleInput((make(0, 3),), name="empty")]


def log_softmax_ref(xp, x, dim):
    shifted = x - x.max(axis=dim, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
