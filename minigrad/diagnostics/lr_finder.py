"""``lr_find``: the learning-rate range test of Smith (2017, "Cyclical Learning Rates for
Training Neural Networks", section 3.3).

Train for a few dozen steps while the rate grows geometrically from tiny to huge, and watch
the loss: at first it barely moves (the rate is too small to matter), then it falls, then it
turns and climbs as the steps start to overshoot. A good constant rate, or the peak of a
schedule, sits on the falling stretch, below the rate where the loss is lowest. Afterwards
the model, the optimizer and the random generator are put back as they were, so the test
leaves no trace on the training that follows.
"""

import collections.abc
import math
import numbers
import warnings

from minigrad.backends import get_rng_state, set_rng_state
from minigrad.diagnostics.plotting import axes

SUGGESTION_RULE = "a tenth of the rate at the lowest smoothed loss"


class LRFinderResult:
    """What ``lr_find`` saw: ``lrs[i]`` is the rate of step ``i``, ``losses[i]`` the smoothed
    loss of that step's batch and ``raw_losses[i]`` the loss itself. ``diverged`` says
    whether the test stopped early because the loss ran away; ``lr_at_min`` is the rate at
    the lowest smoothed loss and ``suggestion`` a tenth of it (``SUGGESTION_RULE``)."""

    def __init__(self, lrs, losses, raw_losses, diverged, diverge_factor):
        self.lrs, self.losses, self.raw_losses = lrs, losses, raw_losses
        self.diverged, self.diverge_factor = diverged, diverge_factor
        finite = [i for i, loss in enumerate(losses) if math.isfinite(loss)]
        if not finite:
            raise FloatingPointError("lr_find: the loss was not finite even at the first "
                                     f"rate, {lrs[0]:.3g}; lower start_lr or check the model")
        best = min(finite, key=lambda i: losses[i])
        if best == 0 and len(losses) > 1:
            warnings.warn(f"lr_find: the loss was lowest at the first rate, {lrs[0]:.3g}, so "
                          "the suggestion lies below the range tried; lower start_lr",
                          stacklevel=3)
        self.lr_at_min = lrs[best]
        # NOTE: at the minimum the loss has stopped falling and the next steps overshoot;
        # an order of magnitude below it the loss is still falling steeply (fast.ai's rule)
        self.suggestion = self.lr_at_min / 10

    def __repr__(self):
        ending = "stopped when the loss diverged" if self.diverged else "ran every step"
        return (f"LRFinderResult({len(self.lrs)} steps from lr {self.lrs[0]:.3g} to "
                f"{self.lrs[-1]:.3g}, {ending}; lowest smoothed loss at lr "
                f"{self.lr_at_min:.3g}, suggestion {self.suggestion:.3g})")

    def plot(self, ax=None, raw=True):
        """Smoothed loss (and, with ``raw``, each batch's loss, faint) against the rate on a
        log axis, with the suggestion marked. The loss axis stops a little above the
        divergence threshold, so that the last, exploding batches do not flatten the curve."""
        ax = axes(ax)
        if raw:
            ax.plot(self.lrs, self.raw_losses, color="tab:blue", alpha=0.25, lw=0.8,
                    label="loss of each batch")
        ax.plot(self.lrs, self.losses, color="tab:blue", label="smoothed loss")
        ax.axvline(self.suggestion, color="tab:red", ls="--",
                   label=f"suggestion {self.suggestion:.2g}:\n{SUGGESTION_RULE}")
        ax.axvline(self.lr_at_min, color="gray", ls=":",
                   label=f"lowest smoothed loss, at {self.lr_at_min:.2g}")
        finite = [loss for loss in self.losses if math.isfinite(loss)]
        top = 1.1 * max(finite[0], self.diverge_factor * min(finite))
        if min(self.raw_losses) >= 0:
            ax.set_ylim(0, top)
        ax.set(xscale="log", xlabel="learning rate (log scale)", ylabel="training loss",
               title="learning-rate range test")
        ending = (f"stopped early: loss > {self.diverge_factor:g} x best" if self.diverged
                  else "ran every step")
        # NOTE: outside the axes: where a range test's curve leaves room depends on the run
        ax.legend(fontsize="small", title=ending, title_fontsize="small", loc="upper left",
                  bbox_to_anchor=(1.01, 1))
        return ax


def _check(name, value, ok, expected):
    if not ok:
        raise ValueError(f"lr_find: {name} must be {expected}, got {value!r}")


def _endless(batches):
    """The batches again and again: an iterable is iterated anew each pass (so a shuffling
    DataLoader reshuffles); a one-shot iterator's batches are kept and replayed."""
    replay = [] if isinstance(batches, collections.abc.Iterator) else None
    source = batches
    while True:
        empty = True
        for batch in source:
            empty = False
            if replay is not None and source is batches:
                replay.append(batch)
            yield batch
        if empty:
            raise ValueError("lr_find: batches is empty; give it an iterable of (x, y) pairs")
        if replay is not None:
            source = replay


def geometric_lrs(start_lr, end_lr, num_steps):
    """``num_steps`` rates from ``start_lr`` to ``end_lr``, each a constant factor above the
    last: ``start_lr * (end_lr / start_lr) ** (i / (num_steps - 1))``."""
    ratio = end_lr / start_lr
    return [start_lr * ratio ** (i / (num_steps - 1)) for i in range(num_steps)]


def lr_find(model, optimizer, loss_fn, batches, start_lr=1e-6, end_lr=10, num_steps=100,
            smooth=0.05, diverge_factor=4):
    """Smith's learning-rate range test: one training step per rate, the rate growing
    geometrically from ``start_lr`` to ``end_lr`` over ``num_steps`` steps.

    Each step sets every parameter group's ``lr``, computes ``loss_fn(model(x), y)`` on the
    next ``(x, y)`` of ``batches`` (iterated again when it runs out), and takes an optimizer
    step. The recorded loss is an exponential moving average, each new loss weighted by
    ``smooth`` and the sum divided by the sum of the weights (1 records the raw losses).
    The test stops early once the smoothed loss exceeds ``diverge_factor`` times the lowest
    seen so far, or is not finite (a rule for losses that stay positive, as cross-entropy
    and squared error do).

    Afterwards the model's parameters and buffers, the optimizer's state and
    hyperparameters, the parameters' gradients and minigrad's random generator are exactly
    what they were before (``state_dict`` round trips), so training can start from the same
    point with the rate the test suggests. Returns an ``LRFinderResult`` with ``lrs``,
    ``losses``, ``suggestion`` (a tenth of the rate at the lowest smoothed loss) and
    ``plot()``.

    >>> result = mg.diagnostics.lr_find(model, optimizer, F.cross_entropy, loader)
    >>> result.plot(); print(result.suggestion)
    """
    def positive(value):
        return isinstance(value, numbers.Real) and not isinstance(value, bool) \
            and math.isfinite(value) and value > 0

    _check("start_lr", start_lr, positive(start_lr), "a positive number")
    _check("end_lr", end_lr, positive(end_lr) and end_lr > start_lr,
           f"a number above start_lr ({start_lr!r})")
    _check("num_steps", num_steps, isinstance(num_steps, numbers.Integral)
           and not isinstance(num_steps, bool) and num_steps >= 2, "an integer of at least 2")
    _check("smooth", smooth, positive(smooth) and smooth <= 1,
           "in (0, 1] (the weight of each new loss; 1 turns smoothing off)")
    _check("diverge_factor", diverge_factor, positive(diverge_factor) and diverge_factor > 1,
           "a number above 1")
    if not callable(loss_fn):
        raise TypeError(f"lr_find: loss_fn must be callable as loss_fn(output, target), "
                        f"got {type(loss_fn).__name__}")

    params = list(model.parameters())
    saved_model, saved_optimizer = model.state_dict(), optimizer.state_dict()
    saved_grads, saved_rng = [p.grad for p in params], get_rng_state()
    lrs, losses, raw_losses, diverged, average = [], [], [], False, 0.0
    try:
        for lr, (x, y) in zip(geometric_lrs(start_lr, end_lr, num_steps), _endless(batches)):
            for group in optimizer.param_groups:
                group["lr"] = lr
            loss = loss_fn(model(x), y)
            optimizer.zero_grad(set_to_none=True)  # NOTE: leaves the saved gradients alone
            loss.backward()
            optimizer.step()
            raw = float(loss.item())
            average = smooth * raw + (1 - smooth) * average
            # NOTE: divided by the weights' sum, as Adam's bias correction: the average
            # starts from 0, and seeding it with the first loss would let one lucky or
            # unlucky batch tilt the first few dozen points
            smoothed = average / (1 - (1 - smooth) ** (len(losses) + 1))
            lrs.append(lr)
            raw_losses.append(raw)
            losses.append(smoothed)
            best = min(losses)
            if not math.isfinite(smoothed) or smoothed > diverge_factor * best:
                diverged = True
                break
    finally:
        model.load_state_dict(saved_model)
        optimizer.load_state_dict(saved_optimizer)
        for p, grad in zip(params, saved_grads):
            p.grad = grad
        set_rng_state(saved_rng)
    return LRFinderResult(lrs, losses, raw_losses, diverged, diverge_factor)
