"""``initial_loss_check``: is the loss before training what a network that knows nothing
should get?

An untrained classifier should spread its belief evenly over the C classes, so its
cross-entropy is -ln(1/C) = ln C (2.30 for 10 classes). A much higher first loss means the
network is confidently wrong from the start (its logits are large), and the first steps go
to shrinking them instead of learning; the usual cure is to scale the last layer down.
"""

import math
import numbers

HIGH = ("the logits are too large at initialization, so the network is confidently wrong: "
        "scale the last layer's weights down (by 0.1 or 0.01) and zero its bias")
LOW = ("the loss is below chance before training: check that it is the mean cross-entropy "
       "over a batch and that the targets do not leak into the inputs")
NOT_FINITE = "the loss is not finite: look for an overflow in the forward pass"


class InitialLossCheck:
    """The outcome: ``expected`` (ln C), ``measured``, ``ratio`` (measured / expected),
    ``ok`` (the ratio within ``1 +- tolerance``) and ``advice`` (what usually causes the
    miss, empty when ok)."""

    def __init__(self, expected, measured, tolerance):
        self.expected, self.measured, self.tolerance = expected, measured, tolerance
        self.ratio = measured / expected
        self.ok = math.isfinite(measured) and abs(self.ratio - 1) <= tolerance
        if self.ok:
            self.advice = ""
        elif not math.isfinite(measured):
            self.advice = NOT_FINITE
        else:
            self.advice = HIGH if self.ratio > 1 else LOW

    def __bool__(self):
        return self.ok

    def __repr__(self):
        verdict = "ok" if self.ok else f"off by more than {self.tolerance:.0%}: {self.advice}"
        return (f"initial loss {self.measured:.4f}, expected -ln(1/C) = {self.expected:.4f} "
                f"(ratio {self.ratio:.3f}): {verdict}")


def initial_loss_check(loss, num_classes, tolerance=0.1):
    """Compare a measured initial cross-entropy (a one-element tensor or a number) with
    -ln(1/``num_classes``), the loss of a uniform guess.

    >>> mg.diagnostics.initial_loss_check(F.cross_entropy(model(x), y), num_classes=10)
    initial loss 2.3121, expected -ln(1/C) = 2.3026 (ratio 1.004): ok
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) \
            or num_classes < 2:
        raise ValueError(f"initial_loss_check: num_classes must be an integer >= 2, got "
                         f"{num_classes!r}")
    if not (isinstance(tolerance, numbers.Real) and tolerance > 0):
        raise ValueError(f"initial_loss_check: tolerance must be a positive number, got "
                         f"{tolerance!r}")
    if hasattr(loss, "item"):
        if loss.numel() != 1:
            raise ValueError(f"initial_loss_check: loss must have one element (the mean "
                             f"loss), got shape {tuple(loss.shape)}")
        loss = loss.item()
    if not isinstance(loss, numbers.Real):
        raise TypeError(f"initial_loss_check: loss must be a tensor or a number, got "
                        f"{type(loss).__name__}")
    return InitialLossCheck(math.log(num_classes), float(loss), tolerance)
