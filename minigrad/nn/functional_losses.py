"""The functional forms of the losses added for PyTorch parity (``F.huber_loss``...): each checks
its arguments, then calls the op in ``minigrad.ops.loss`` or ``minigrad.ops.loss_regression``.

As PyTorch, targets and weights that are integer or bool tensors (labels, counts) are promoted
to the input's float dtype, except the targets of binary_cross_entropy and kl_div, which must
be float; float tensors are never converted (float32 with float64 raises).
"""

import warnings

from minigrad.errors import DTypeError, ShapeError
from minigrad.ops import loss as _loss
from minigrad.ops import loss_regression as _regression
from minigrad.ops._operands import require_tensor
from minigrad.ops.elementwise import cast
from minigrad.tensor import Tensor

__all__ = ["binary_cross_entropy", "huber_loss", "smooth_l1_loss", "kl_div",
           "cosine_embedding_loss", "margin_ranking_loss", "soft_margin_loss",
           "gaussian_nll_loss", "poisson_nll_loss"]

KL_REDUCTIONS = (*_loss.REDUCTIONS, "batchmean")


def legacy_reduction(op, size_average, reduce, reduction, allowed=_loss.REDUCTIONS):
    """The reduction a loss applies, checked to be one of ``allowed``.

    When either deprecated flag is given it decides instead, as in PyTorch: an unset flag
    counts as True; both True give "mean", ``reduce`` alone "sum", ``reduce=False`` "none";
    PyTorch's deprecation warning names the replacement.
    """
    if size_average is None and reduce is None:
        if reduction not in allowed:
            raise ValueError(f"{op}: reduction must be one of {allowed}, got {reduction!r}")
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"{op}: size_average and reduce args will be deprecated, please use "
                  f"reduction='{reduction}' instead.", UserWarning, stacklevel=3)
    return reduction


def _operands(op, input, *others):
    """``others`` as tensors of ``input``'s backend, integer and bool ones (and Python data) in
    ``input``'s dtype; ``input`` must be a float tensor (DTypeError: PyTorch's RuntimeError)."""
    require_tensor(op, "input", input)
    if input.data.dtype.kind != "f":
        raise DTypeError(f"{op}: input must be a floating point tensor, got {input.dtype.name}")
    converted = []
    for other in others:
        if not isinstance(other, Tensor):
            other = Tensor(other, dtype=input.dtype, backend=input._backend)
        elif other.data.dtype.kind != "f":
            other = cast(other, input.dtype)
        converted.append(other)
    return converted


def _float_target(op, target):
    """``target`` where PyTorch takes no integer targets (probabilities)."""
    if isinstance(target, Tensor) and target.data.dtype.kind != "f":
        raise DTypeError(f"{op}: target must be a floating point tensor (probabilities), got "
                         f"{target.dtype.name}; convert it with .to(input.dtype)")
    return target


def _broadcast_shape(op, *tensors):
    """The shape ``tensors`` (or shapes) broadcast to; ShapeError naming ``op`` and the shapes
    if they do not broadcast."""
    shapes = [tuple(t.shape) if isinstance(t, Tensor) else tuple(t) for t in tensors]
    ndim = max(len(s) for s in shapes)
    padded = [(1,) * (ndim - len(s)) + s for s in shapes]
    out = tuple(next((n for n in sizes if n != 1), 1) for sizes in zip(*padded))
    if any(n not in (1, size) for s in padded for n, size in zip(s, out)):
        listed = ", ".join(str(s) for s in shapes)
        raise ShapeError(f"{op}: shapes {listed} do not broadcast together")
    return out


def _elementwise_pair(op, input, target):
    """The target of an elementwise regression loss; as PyTorch, one of another shape is
    broadcast against the input with a warning, as that is seldom what was meant."""
    (target,) = _operands(op, input, target)
    _broadcast_shape(op, input, target)
    if target.shape != input.shape:
        warnings.warn(f"{op}: using a target size ({tuple(target.shape)}) that is different "
                      f"to the input size ({tuple(input.shape)}). This will likely lead to "
                      "incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", UserWarning, stacklevel=3)
    return target


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """Binary cross entropy of probabilities ``input`` (in [0, 1]) against ``target``; each
    log is clamped at -100, so probabilities of exactly 0 or 1 give a finite loss.
    ``weight`` rescales each element's loss and broadcasts against the input."""
    op = "binary_cross_entropy"
    reduction = legacy_reduction(op, size_average, reduce, reduction)
    (target,) = _operands(op, input, _float_target(op, target))
    if target.shape != input.shape:
        raise ShapeError(f"{op}: target {tuple(target.shape)} and input {tuple(input.shape)} "
                         "must have the same shape")
    if weight is not None:
        (weight,) = _operands(op, input, weight)
        if _broadcast_shape(op, input, weight) != tuple(input.shape):
            raise ShapeError(f"{op}: weight {tuple(weight.shape)} does not broadcast to the "
                             f"input's shape {tuple(input.shape)}")
    data = input.data
    if ((data < 0) | (data > 1)).any():
        raise RuntimeError(f"{op}: all elements of input should be between 0 and 1 "
                           f"(input {tuple(input.shape)}); for logits use "
                           "binary_cross_entropy_with_logits")
    return _loss.BinaryCrossEntropy.apply(input, target, weight, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """Squared error for |input - target| < ``delta``, linear (slope ``delta``) beyond; an
    optional ``weight`` of the input's shape rescales each element's loss."""
    op = "huber_loss"
    reduction = legacy_reduction(op, None, None, reduction)
    if not delta > 0:
        raise RuntimeError(f"{op}: delta must be positive, got {delta}")
    target = _elementwise_pair(op, input, target)
    if weight is not None:
        (weight,) = _operands(op, input, weight)
        if weight.shape != input.shape:
            raise ShapeError(f"{op}: weight {tuple(weight.shape)} and input "
                             f"{tuple(input.shape)} must have the same shape")
    return _regression.HuberLoss.apply(input, target, weight, delta, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """The Huber loss divided by ``beta``: (input - target)^2 / (2 beta) near the target, then
    |input - target| - beta / 2; ``beta=0`` is the L1 loss."""
    op = "smooth_l1_loss"
    reduction = legacy_reduction(op, size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError(f"{op}: beta must not be negative, got {beta}")
    target = _elementwise_pair(op, input, target)
    if beta == 0:
        return _loss.L1Loss.apply(input, target, reduction)
    return _regression.SmoothL1Loss.apply(input, target, None, beta, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL divergence of ``target`` (probabilities, or log-probabilities with ``log_target``)
    from the log-probabilities ``input``, pointwise.

    "batchmean" divides the sum by the batch size (the KL divergence per sample); "mean", the
    default, divides by the number of elements and warns, as in PyTorch.
    """
    op = "kl_div"
    if size_average is None and reduce is None and reduction == "mean":
        warnings.warn("kl_div: reduction 'mean' divides the total loss by both the batch size "
                      "and the support size. 'batchmean' divides only by the batch size, and "
                      "aligns with the KL div math definition. 'mean' will be changed to "
                      "behave the same as 'batchmean' in the next major release.", UserWarning,
                      stacklevel=2)
    reduction = legacy_reduction(op, size_average, reduce, reduction, KL_REDUCTIONS)
    (target,) = _operands(op, input, _float_target(op, target))
    _broadcast_shape(op, input, target)
    denominator = None
    if reduction == "batchmean":
        reduction, denominator = "mean", (input.shape[0] if input.ndim else 1)
    return _regression.KLDivLoss.apply(input, target, log_target, reduction, denominator)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    """For pairs of rows (the last dim) labelled 1 (similar) or -1 (dissimilar): 1 - cosine
    similarity for similar pairs, max(0, cosine - ``margin``) for dissimilar ones."""
    op = "cosine_embedding_loss"
    reduction = legacy_reduction(op, size_average, reduce, reduction)
    input2, target = _operands(op, input1, input2, target)
    if target.ndim > 1:
        raise ShapeError(f"{op}: target must be 0-d or 1-d (one label per pair), got shape "
                         f"{tuple(target.shape)}")
    if not input1.ndim == input2.ndim == target.ndim + 1:
        raise ShapeError(f"{op}: a {target.ndim}-d target expects {target.ndim + 1}-d inputs, "
                         f"got {tuple(input1.shape)} and {tuple(input2.shape)}")
    _broadcast_shape(op, _broadcast_shape(op, input1, input2)[:-1], target)
    return _loss.CosineEmbeddingLoss.apply(input1, input2, target, margin, reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -target (input1 - input2) + ``margin``): target 1 asks input1 to rank above
    input2 by at least the margin, -1 the opposite."""
    op = "margin_ranking_loss"
    reduction = legacy_reduction(op, size_average, reduce, reduction)
    input2, target = _operands(op, input1, input2, target)
    if not input1.ndim == input2.ndim == target.ndim:
        raise ShapeError(f"{op}: input1 {tuple(input1.shape)}, input2 {tuple(input2.shape)} "
                         f"and target {tuple(target.shape)} must have the same number of dims")
    _broadcast_shape(op, input1, input2, target)
    return _loss.MarginRankingLoss.apply(input1, input2, target, margin, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """The two-class logistic loss log(1 + exp(-target * input)) of labels 1 and -1."""
    op = "soft_margin_loss"
    reduction = legacy_reduction(op, size_average, reduce, reduction)
    (target,) = _operands(op, input, target)
    _broadcast_shape(op, input, target)
    return _loss.SoftMarginLoss.apply(input, target, reduction)


def _gaussian_var(op, input, var):
    """``var`` as a tensor that broadcasts against ``input`` by PyTorch's rules: the input's
    shape; or one dim short of it (one variance per row, unsqueezed); or the input's shape
    with exactly one dim of size 1."""
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError(f"{op}: var has negative entry/entries")
        xp = input._backend.xp
        return Tensor._make(xp.full(input.shape, var, dtype=input.data.dtype), input._backend)
    (var,) = _operands(op, input, var)
    if (var.data < 0).any():
        raise ValueError(f"{op}: var has negative entry/entries")
    if var.shape == input.shape:
        return var
    if var.shape == input.shape[:-1]:
        return var.unsqueeze(-1)
    mismatched = [v for i, v in zip(input.shape, var.shape) if i != v]
    if var.ndim == input.ndim and mismatched == [1]:
        return var
    raise ShapeError(f"{op}: var is of incorrect size: var {tuple(var.shape)} for input "
                     f"{tuple(input.shape)} (expected the input's shape, that shape without "
                     "its last dim, or with one dim of size 1)")


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Negative log likelihood of ``target`` under Gaussians of mean ``input`` and variance
    ``var`` (a tensor or a number); variances are clamped at ``eps`` for stability, the clamp
    not differentiated (as PyTorch). ``full`` adds the constant log(2 pi) / 2."""
    op = "gaussian_nll_loss"
    (target,) = _operands(op, input, target)
    var = _gaussian_var(op, input, var)
    reduction = legacy_reduction(op, None, None, reduction)
    _broadcast_shape(op, input, target, var)
    return _regression.GaussianNLLLoss.apply(input, target, var, full, eps, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """Negative log likelihood of counts ``target`` under Poisson distributions whose rates are
    ``exp(input)`` (``log_input``) or ``input`` (then ``eps`` keeps log(rate) finite); ``full``
    adds Stirling's approximation of log(target!) for targets above 1."""
    op = "poisson_nll_loss"
    reduction = legacy_reduction(op, size_average, reduce, reduction)
    (target,) = _operands(op, input, target)
    _broadcast_shape(op, input, target)
    return _regression.PoissonNLLLoss.apply(input, target, log_input, full, eps, reduction)
