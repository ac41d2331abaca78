"""Functional forms of the layers and losses, as ``torch.nn.functional`` (import as ``F``)."""

import math
import warnings

from minigrad.errors import ArgumentError, DTypeError, ShapeError
from minigrad.nn import functional_attention as _functional_attention
from minigrad.nn import functional_conv as _functional_conv
from minigrad.nn import functional_layers as _functional_layers
from minigrad.nn import functional_losses as _functional_losses
from minigrad.nn import functional_pooling as _functional_pooling
from minigrad.nn.functional_attention import *  # noqa: F403
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
from minigrad.ops._operands import float_pair, require_float, require_tensor
from minigrad.ops.activation import *  # noqa: F403 - every activation, by its __all__
from minigrad.ops.activation_piecewise import *  # noqa: F403
from minigrad.ops.activation_smooth import *  # noqa: F403
from minigrad.ops.linalg import linear
from minigrad.tensor import Tensor

__all__ = ["linear", *_activation.__all__, *_activation_piecewise.__all__,
           *_activation_smooth.__all__, "batch_norm", "instance_norm", "layer_norm", "dropout",
           "dropout1d", "dropout2d", "dropout3d", "mse_loss", "l1_loss", "cross_entropy",
           "nll_loss", "binary_cross_entropy_with_logits",
           *_functional_layers.__all__, *_functional_losses.__all__,
           *_functional_conv.__all__, *_functional_pooling.__all__,
           *_functional_attention.__all__]


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalization of (N, C, *) input, as ``torch.nn.functional.batch_norm``: (N, C),
    (N, C, L), (N, C, H, W) or (N, C, D, H, W), with statistics per channel over the batch
    and every axis after the channels.

    In training the batch's statistics normalize the input and, when running buffers are
    given, update them in place: ``running = (1 - momentum) * running + momentum * batch``,
    with the unbiased batch variance. Otherwise the running statistics normalize.
    """
    if not training and (running_mean is None or running_var is None):
        raise ArgumentError("batch_norm: running_mean and running_var must be defined in "
                            "evaluation mode")
    _check_norm_args("batch_norm", input, running_mean, running_var, weight, bias)
    if training and eps <= 0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if eps < 0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    if not training:
        return _normalize_with("batch_norm", input, running_mean, running_var, weight, bias, eps)
    per_channel = input.data.size // max(input.shape[1], 1)
    if per_channel == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {tuple(input.shape)}")
    y, mean, var = _norm.BatchNorm.apply(input, weight, bias, eps)
    _update_running(running_mean, running_var, mean.data, var.data, momentum, per_channel)
    return y


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Instance normalization (Ulyanov et al., 2016) of (N, C, *) input, as
    ``torch.nn.functional.instance_norm``: every channel of every sample standardized over
    its own spatial axes, then per-channel ``weight`` and ``bias``.

    It is batch norm of the input viewed as (1, N * C, *), so it shares batch norm's op and
    backward. Given running buffers, they move towards the statistics averaged over the
    batch (unbiased variance); ``use_input_stats=False`` normalizes with them instead.
    """
    _check_norm_args("instance_norm", input, running_mean, running_var, weight, bias)
    if not use_input_stats:
        if running_mean is None:
            raise RuntimeError("instance_norm: Expected running_mean and running_var to be "
                               "defined when use_input_stats is false")
        return _normalize_with("instance_norm", input, running_mean, running_var, weight, bias,
                               eps)
    spatial = math.prod(input.shape[2:])
    if spatial == 1:
        raise ValueError(f"instance_norm: Expected more than 1 spatial element when training, "
                         f"got input size {tuple(input.shape)}")
    batch, channels = input.shape[:2]
    instances = input.reshape(1, batch * channels, *input.shape[2:])
    tiled = [None if t is None else t.repeat(batch) for t in (weight, bias)]
    y, mean, var = _norm.BatchNorm.apply(instances, *tiled, eps)
    if batch:
        _update_running(running_mean, running_var, mean.data.reshape(batch, channels).mean(0),
                        var.data.reshape(batch, channels).mean(0), momentum, spatial)
    return y.reshape(input.shape)


def _check_norm_args(op, input, running_mean, running_var, weight, bias):
    """The checks batch and instance norm share: (N, C, *) input, running buffers both given
    or both None, and every per-channel tensor of shape (C,)."""
    require_float(op, input)
    if input.ndim < 2:
        raise ShapeError(f"{op}: expected input of shape (N, C, *) with at least 2 dims, got "
                         f"{tuple(input.shape)}")
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"{op}: running_mean and running_var must either both be None or "
                         "neither be None")
    channels = input.shape[1]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and tuple(require_tensor(op, name, t).shape) != (channels,):
            raise ShapeError(f"{op}: {name} has shape {tuple(t.shape)} but the input "
                             f"{tuple(input.shape)} has {channels} channels")


def _normalize_with(op, input, mean, var, weight, bias, eps):
    """(input - mean) * weight / sqrt(var + eps) + bias with given per-channel statistics
    (evaluation): the per-channel factor is formed on (C,) arrays first, so the input takes
    one subtraction, one product and one sum."""
    for name, t in (("running_mean", mean), ("running_var", var), ("weight", weight),
                    ("bias", bias)):
        if t is not None and t.dtype != input.dtype:
            raise DTypeError(f"{op}: {name} is {t.dtype.name} but the input is "
                             f"{input.dtype.name}; minigrad never promotes silently: convert "
                             "one of them with .to()")
    shape = (1, input.shape[1]) + (1,) * (input.ndim - 2)
    scale = 1.0 / (var + eps).sqrt()
    if weight is not None:
        scale = scale * weight
    y = (input - mean.reshape(shape)) * scale.reshape(shape)
    return y + bias.reshape(shape) if bias is not None else y


def _update_running(running_mean, running_var, mean, var, momentum, count):
    """Blend the batch statistics (arrays) into the running buffers, when there are any and
    the batch is not empty; ``count`` values per channel make the variance unbiased."""
    if running_mean is None or count == 0:
        return
    _blend_(running_mean, mean, momentum, 1.0)
    _blend_(running_var, var, momentum, count / (count - 1))


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
    require_float("layer_norm", input)
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


# NOTE: the dropout functions take PyTorch's ``inplace`` so its code ports unchanged, but
# always return a new tensor
def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1/(1-p) (in training).

    The mask comes from the backend's generator, so ``mg.manual_seed`` makes it repeat.
    """
    _check_probability(p)
    return _masked_dropout(input, p, training, tuple(input.shape))


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or unbatched (C, L) input, each with probability p,
    and scale the rest by 1/(1-p) (in training), as ``torch.nn.functional.dropout1d``."""
    _check_probability(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D "
                           f"input of shape {tuple(input.shape)}: dropout1d drops channels "
                           "of (N, C, L) or (C, L) input")
    return _channel_dropout(input, p, training, batched=input.ndim == 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) input, each with probability p, and scale the rest
    by 1/(1-p) (in training), as ``torch.nn.functional.dropout2d``.

    As in PyTorch, a 3-D input is taken as (N, C, L), not as an unbatched (C, H, W), with a
    warning: ``dropout1d`` is the function for it; other ranks warn and still drop along
    the second dim.
    """
    _check_probability(p)
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that "
                      "channel-wise 1D dropout behavior is desired - input is interpreted as "
                      "shape (N, C, L), where C is the channel dim. To maintain the 1D "
                      "channel-wise dropout behavior, please switch to using dropout1d "
                      "instead.", stacklevel=2)
    elif input.ndim != 4:
        _warn_rank("dropout2d", input, "3D or 4D")
    return _channel_dropout(input, p, training, batched=True)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) or unbatched (C, D, H, W) input, each with
    probability p, and scale the rest by 1/(1-p) (in training), as
    ``torch.nn.functional.dropout3d``; other ranks warn and are taken as unbatched."""
    _check_probability(p)
    if input.ndim not in (4, 5):
        _warn_rank("dropout3d", input, "4D or 5D")
    return _channel_dropout(input, p, training, batched=input.ndim == 5)


def _warn_rank(op, input, expected):
    warnings.warn(f"{op}: Received a {input.ndim}-D input to {op}, which is deprecated and "
                  "will result in an error in a future release. To retain the behavior and "
                  f"silence this warning, please use dropout instead. Note that {op} exists "
                  "to provide channel-wise dropout on inputs with a channel dimension and an "
                  f"optional batch dimension (i.e. {expected} inputs).", stacklevel=3)


def _channel_dropout(input, p, training, batched):
    """Dropout of whole channels: one draw per (sample, channel) of a batched input, per
    channel of an unbatched one, broadcast over the axes after the channels."""
    leading = 2 if batched else 1
    if input.ndim + (not batched) < 2:
        raise RuntimeError(f"Feature dropout requires at least 2 dimensions in the input, got "
                           f"input of shape {tuple(input.shape)}")
    mask_shape = tuple(input.shape[:leading]) + (1,) * (input.ndim - leading)
    return _masked_dropout(input, p, training, mask_shape)


def _masked_dropout(input, p, training, mask_shape):
    """input * mask, the mask drawn with the backend's seeded generator in ``mask_shape``
    (the input's, or one that broadcasts to it); the input itself when nothing drops."""
    require_tensor("dropout", "input", input)
    if not training or p == 0:
        return input
    mask = input._backend.dropout_mask(mask_shape, p, input.data.dtype)
    return _dropout.Dropout.apply(input, mask)


def _check_reduction(reduction, op):
    if reduction not in _loss.REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {_loss.REDUCTIONS}, got {reduction!r}")


def _check_same_shape(input, target, op):
    if tuple(input.shape) != tuple(target.shape):
        raise ShapeError(f"{op}: input {tuple(input.shape)} and target {tuple(target.shape)} "
                         "must have the same shape")


def _as_target(target, like):
    if isinstance(target, Tensor) or not isinstance(like, Tensor):
        return target  # NOTE: an input that is no tensor is refused by the caller's checks
    return Tensor(target, backend=like._backend)


def mse_loss(input, target, reduction="mean"):
    """Mean squared error (``reduction`` "mean", "sum" or "none")."""
    _check_reduction(reduction, "mse_loss")
    input, target = float_pair("mse_loss", input, _as_target(target, input))
    _check_same_shape(input, target, "mse_loss")
    return _loss.MSELoss.apply(input, target, reduction)


def l1_loss(input, target, reduction="mean"):
    """Mean absolute error (``reduction`` "mean", "sum" or "none")."""
    _check_reduction(reduction, "l1_loss")
    input, target = float_pair("l1_loss", input, _as_target(target, input))
    _check_same_shape(input, target, "l1_loss")
    return _loss.L1Loss.apply(input, target, reduction)


def _class_loss(function, op, input, target, weight, ignore_index, smoothing, reduction):
    """Check and reshape (N, C, d...) / (C,) inputs to (N, C) rows for the fused class losses."""
    _check_reduction(reduction, op)
    require_float(op, input)
    target = _as_target(target, input)
    if target.data.dtype.kind not in "iu":
        raise DTypeError(f"{op}: target must hold class indices (an integer tensor), got "
                         f"{target.dtype.name}; probability targets are not supported")
    loss_shape = target.shape  # of "none"'s losses: () for an unbatched (C,) input
    if input.ndim > 2 and tuple(target.shape) != (input.shape[0], *input.shape[2:]):
        raise ShapeError(f"{op}: target {tuple(target.shape)} does not match input "
                         f"{tuple(input.shape)}: expected target "
                         f"{(input.shape[0], *input.shape[2:])}, the input's shape without "
                         "the class dim 1")
    if input.ndim == 1:
        if target.data.size != 1:
            raise ShapeError(f"{op}: a 1-D input {tuple(input.shape)} is one sample of "
                             f"{input.shape[0]} classes: expected a 0-d target, got "
                             f"{tuple(target.shape)}")
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
    if weight is not None and weight.dtype != input.dtype:
        raise DTypeError(f"{op}: weight is {weight.dtype.name} but the input is "
                         f"{input.dtype.name}; convert the weight with .to(input.dtype)")
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
    op = "binary_cross_entropy_with_logits"
    _check_reduction(reduction, op)
    require_float(op, input)
    target = _functional_losses._float_target(op, _as_target(target, input))
    _check_same_shape(input, target, "binary_cross_entropy_with_logits")
    return _loss.BCEWithLogits.apply(input, target, weight, pos_weight, reduction)
