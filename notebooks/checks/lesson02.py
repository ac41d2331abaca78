"""Checks for the exercise of ``02_gradient_clipping``: a value-clipped training step, the
largest norm a value-clipped gradient can have, and the angle clipping turns a gradient by."""

import math

import minigrad as mg
from minigrad import nn

from . import passed, unanswered

RNN_ELEMENTS = 1153   # RNN(1, 32) + Linear(32, 1): 32 + 32 * 32 + 32 + 32 + 32 + 1


def _flat(tensors):
    return [v for t in tensors for v in t.reshape(-1).tolist()]


def _reference_angle(before, after):
    """The angle in degrees between two gradients, each a list of tensors, in plain Python."""
    u, v = _flat(before), _flat(after)
    dot = sum(a * b for a, b in zip(u, v))
    cosine = dot / math.sqrt(sum(a * a for a in u) * sum(b * b for b in v))
    return math.degrees(math.acos(max(-1.0, min(1.0, cosine))))


def _small_problem(seed=0):
    """A Linear(4, 3) layer, its SGD optimizer and a loss whose gradients exceed 0.05."""
    mg.manual_seed(seed)
    layer = nn.Linear(4, 3)
    optimizer = mg.optim.SGD(layer.parameters(), lr=0.5)
    x, y = mg.randn(8, 4), 3 * mg.randn(8, 3)
    return layer, optimizer, nn.functional.mse_loss(layer(x), y)


def value_clipped_step(step):
    """``step(loss, parameters, optimizer, clip_value)`` must zero the gradients, backpropagate,
    clamp every gradient element to ``[-clip_value, clip_value]``, take the optimizer's step
    and return the gradient norm before clamping."""
    clip_value = 0.05
    layer, optimizer, loss = _small_problem()
    layer.weight.grad = mg.ones_like(layer.weight)   # stale: the step must zero it first
    parameters = list(layer.parameters())
    returned = step(loss, parameters, optimizer, clip_value)
    if unanswered(returned):
        return

    reference, reference_optimizer, reference_loss = _small_problem()
    reference_parameters = list(reference.parameters())
    reference_optimizer.zero_grad()
    reference_loss.backward()
    raw_norm = float(nn.utils.get_total_norm([p.grad for p in reference_parameters]))
    largest = max(abs(v) for v in _flat([p.grad for p in reference_parameters]))
    assert largest > clip_value, "check set-up: the gradient should need clamping"
    nn.utils.clip_grad_value_(reference_parameters, clip_value)
    reference_optimizer.step()

    assert abs(float(returned) - raw_norm) <= 1e-5 * raw_norm, (
        f"your step returned {float(returned):.6g}; the gradient norm before clamping is "
        f"{raw_norm:.6g} (after clamping it is smaller: return the norm before)")
    for p in parameters:
        assert p.grad is not None and max(abs(v) for v in _flat([p.grad])) <= clip_value + 1e-7, (
            f"after your step a gradient element lies outside [-{clip_value}, {clip_value}]")
    moved = max(abs(a - b) for a, b in zip(_flat(parameters), _flat(reference_parameters)))
    assert moved <= 1e-6, (
        f"after your step the parameters differ from the reference by up to {moved:.3g}: zero "
        "the gradients, backpropagate, clamp, then call optimizer.step(), in that order")
    passed(f"your step clamps to [-{clip_value}, {clip_value}], steps, and returns the norm "
           f"before clamping ({raw_norm:.4g})")


def largest_norm(formula):
    """``formula(c, n)``: the largest total norm of ``n`` elements clamped to ``[-c, c]``."""
    answer = formula(0.1, RNN_ELEMENTS)
    if unanswered(answer):
        return
    for c, n in [(0.1, RNN_ELEMENTS), (1.0, RNN_ELEMENTS), (0.5, 4), (2.0, 1), (0.01, 10_000)]:
        expected = c * math.sqrt(n)
        got = float(formula(c, n))
        assert math.isclose(got, expected, rel_tol=1e-6), (
            f"largest_norm({c}, {n}) gave {got:.6g}; with every element at +-c the norm is "
            f"sqrt(n * c**2) = {expected:.6g}")
    passed(f"c*sqrt(n): for the RNN's {RNN_ELEMENTS} elements c*sqrt({RNN_ELEMENTS}) ~ "
           f"{math.sqrt(RNN_ELEMENTS):.1f}c, so at c = 1 a step of lr 0.1 can still be "
           f"{0.1 * math.sqrt(RNN_ELEMENTS):.1f} long")


def turn_angle(angle):
    """``angle(before, after)``: degrees between two gradients given as lists of tensors."""
    if unanswered(angle([mg.tensor([1.0, 0.0])], [mg.tensor([0.0, 1.0])])):
        return
    cases = {
        "the same gradient": ([mg.tensor([3.0, 0.6])], [mg.tensor([3.0, 0.6])]),
        "a perpendicular one": ([mg.tensor([1.0, 0.0])], [mg.tensor([0.0, 2.0])]),
        "the opposite one": ([mg.tensor([1.0, -2.0])], [mg.tensor([-0.5, 1.0])]),
        "(3, 0.6) value-clipped to (1, 0.6)": ([mg.tensor([3.0, 0.6])], [mg.tensor([1.0, 0.6])]),
        "two tensors of different shapes": (
            [mg.tensor([[2.0, -1.0], [0.5, 3.0]]), mg.tensor([4.0])],
            [mg.tensor([[1.0, -1.0], [0.5, 1.0]]), mg.tensor([1.0])]),
        "tensors that each keep their direction": (
            [mg.tensor([1.0, 0.0]), mg.tensor([0.0, 1.0])],
            [mg.tensor([2.0, 0.0]), mg.tensor([0.0, 0.5])]),
    }
    for name, (before, after) in cases.items():
        expected = _reference_angle(before, after)
        got = float(angle(before, after))
        # NOTE: 0.1 degree, since acos of a float32 cosine near 1 is only good to about 0.03
        assert abs(got - expected) < 0.1, (
            f"for {name} your angle is {got:.4g}, expected {expected:.4g} degrees (flatten all "
            "tensors into one vector each, then acos of the normalized dot product)")
    passed("your angle agrees with the reference in degrees, over whole multi-tensor gradients")
