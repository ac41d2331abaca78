"""Functional forms of the layers and losses, as ``torch.nn.functional`` (import as ``F``)."""

from minigrad.errors import ShapeError
from minigrad.nn import functional_conv as _functional_conv
from minigrad.nn import functional_layers as _functional_layers
from minigrad.nn import functional_losses as _functional_losses
from minigrad.nn import functional_pooling as _functional_pooling
from minigrad.nn.functional_conv import *  # noqa: F403
from minigrad.nn.functional_layers import *  # noqa: F403
from minigrad.nn.functional_losses import *  # noqa: F403
from minigrad.nn.functional_pooling import *  # noqa: F403
from minigrad.ops import activation as _activation
from minigrad.ops import activation_piecewise as _activation_piecewise
from minigrad.ops import activation_smooth as _activation_smooth
from minigrad.ops import dropout as _dropout
from minigrad.ops import loss as _loss
from minigrad.ops import normalization as _norm
from minigrad.ops.activation import *  # noqa: F403 - every activation, by its __all__
from minigrad.ops.activation_piecewise import *  # noqa: F403
from minigrad.ops.activation_smooth import *  # noqa: F403
from minigrad.ops.linalg import linear
from minigrad.tensor import Tensor

__all__ = ["linear", *_activation.__all__, *_activation_piecewise.__all__,
           *_activation_smooth.__all__, "batch_norm", "layer_norm", "dropout", "mse_loss",
           "l1_loss", "cross_entropy", "nll_loss", "binary_cross_entropy_with_logits",
           *_functional_layers.__all__, *_functional_losses.__all__,
           *_functional_conv.__all__, *_functional_pooling.__all__]


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalization of (N, C) or (N, C, L) input, as ``torch.nn.functional.batch_norm``.

    In training the batch's statistics normalize the input and, when running buffers are
    given, update them in place: ``running = (1 - momentum) * running + momentum * batch``,
    with the unbiased batch variance. Otherwise the running statistics normalize.
    """
    if input.ndim not in (2, 3):
        raise ValueError(f"batch_norm: expected 2D or 3D input (got {input.ndim}D input of "
                         f"shape {tuple(input.shape)})")
    channels = input.shape[1]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and tuple(t.shape) != (channels,):
            raise ShapeError(f"batch_norm: {name} has shape {tuple(t.shape)} but the input "
                             f"{tuple(input.shape)} has {channels} channels")
    if not training:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: evaluation needs running_mean and running_var")
        shape = (1, channels) + (1,) * (input.ndim - 2)
        scale = (running_var + eps).sqrt().reshape(shape)
        y = (input - running_mean.reshape(shape)) / scale
        if weight is not None:
            y = y * weight.reshape(shape)
        return y + bias.reshape(shape) if bias is not None else y

    per_channel = input.data.size // max(channels, 1)
    if per_channel <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {tuple(input.shape)}")
    y, mean, var = _norm.BatchNorm.apply(input, weight, bias, eps)
    if running_mean is not None:
        _blend_(running_mean, mean.data, momentum, 1.0)
    if running_var is not None:
        _blend_(running_var, var.data, momentum, per_channel / (per_channel - 1))
    return y


def _blend_(running, batch, momentum, scale):
    """running = (1 - momentum) * running + momentum * scale * batch, in place on the
    buffer's array (``scale`` n / (n - 1) turns the biased batch variance unbiased)."""
    data = running.data
    data *= 1 - momentum
    data += (momentum * scale) * batch
    running._version += 1


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize over the trailing ``normalized_shape`` dims, as PyTorch's ``layer_norm``."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) \
        else tuple(normalized_shape)
    n = len(normalized_shape)
    if n == 0 or tuple(input.shape[input.ndim - n:]) != normalized_shape or input.ndim < n:
        raise ShapeError(f"layer_norm: normalized_shape {normalized_shape} does not match the "
                         f"trailing dims of the input {tuple(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != normalized_shape:
            raise ShapeError(f"layer_norm: {name} has shape {tuple(t.shape)}, expected "
                             f"{normalized_shape}")
    return _norm.LayerNorm.apply(input, weight, bias, n, eps)


def _check_probability(p):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input, p=0.5, training=True):
    """Zero each element with probability p and scale the rest by 1/(1-p) (in training).

    The mask comes from the backend's generator, so ``mg.manual_seed`` makes it repeat.
    """
    _check_probability(p)
    if not training or p == 0:
        return input
    mask = input._backend.dropout_mask(input.shape, p, input.data.dtype)
    return _dropout.Dropout.apply(input, mask)


def _check_reduction(reduction, op):
    if reduction not in _loss.REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {_loss.REDUCTIONS}, got {reduction!r}")


def _check_same_shape(input, target, op):
    if tuple(input.shape) != tuple(target.shape):
        raise ShapeError(f"{op}: input {tuple(input.shape)} and target {tuple(target.shape)} "
                         "must have the same shape")


def _as_target(target, like):
    return target if isinstance(target, Tensor) else Tensor(target, backend=like._backend)


def mse_loss(input, target, reduction="mean"):
    """Mean squared error (``reduction`` "mean", "sum" or "none")."""
    _check_reduction(reduction, "mse_loss")
    target = _as_target(target, input)
    _check_same_shape(input, target, "mse_loss")
    return _loss.MSELoss.apply(input, target, reduction)


def l1_loss(input, target, reduction="mean"):
    """Mean absolute error (``reduction`` "mean", "sum" or "none")."""
    _check_reduction(reduction, "l1_loss")
    target = _as_target(target, input)
    _check_same_shape(input, target, "l1_loss")
    return _loss.L1Loss.apply(input, target, reduction)


def _class_loss(function, op, input, target, weight, ignore_index, smoothing, reduction):
    """Check and reshape (N, C, d...) / (C,) inputs to (N, C) rows for the fused class losses."""
    _check_reduction(reduction, op)
    target = _as_target(target, input)
    if target.data.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold class indices (an integer tensor), got "
                        f"{target.dtype.name}; probability targets are not supported")
    loss_shape = target.shape  # of "none"'s losses: () for an unbatched (C,) input
    if input.ndim == 1:
        input, target = input.unsqueeze(0), target.reshape(1)
    elif input.ndim > 2:
        input = input.reshape(input.shape[0], input.shape[1], -1).transpose(1, 2)
        input = input.reshape(-1, input.shape[2])
    if input.ndim != 2 or target.data.size != input.shape[0]:
        raise ShapeError(f"{op}: input {tuple(input.shape)} and target {tuple(target.shape)} "
                         "do not match: expected input (N, C) with target (N,)")
    classes = input.shape[1]
    labels = target.data.reshape(-1)
    out_of_range = ((labels < 0) | (labels >= classes)) & (labels != ignore_index)
    if out_of_range.any():
        bad = labels[out_of_range][0].item()
        raise IndexError(f"{op}: target {bad} is out of bounds for {classes} classes")
    if weight is not None and tuple(weight.shape) != (classes,):
        raise ShapeError(f"{op}: weight has shape {tuple(weight.shape)}, expected ({classes},)")
    out = function.apply(input, Tensor._make(labels, target._backend), weight, ignore_index,
                         smoothing, reduction)
    return out.reshape(loss_shape) if reduction == "none" else out


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    """Cross entropy between logits (N, C) (or (N, C, d...)) and class indices.

    Log-softmax and the negative log likelihood are one fused op, stable for huge logits.
    ``label_smoothing`` mixes the target with the uniform distribution; samples whose target
    is ``ignore_index`` contribute nothing (and are not counted by "mean").
    """
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got "
                         f"{label_smoothing}")
    return _class_loss(_loss.CrossEntropy, "cross_entropy", input, target, weight,
                       ignore_index, label_smoothing, reduction)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log likelihood of log-probabilities (N, C) against class indices."""
    return _class_loss(_loss.NLLLoss, "nll_loss", input, target, weight, ignore_index, 0.0,
                       reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean",
                                     pos_weight=None):
    """Binary cross entropy on logits, computed without overflow for any logit size.

    ``pos_weight`` multiplies the positive term (per class, broadcast over the last dim).
    """
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    target = _as_target(target, input)
    _check_same_shape(input, target, "binary_cross_entropy_with_logits")
    return _loss.BCEWithLogits.apply(input, target, weight, pos_weight, reduction)
