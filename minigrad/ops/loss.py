"""Losses as fused ops: mse, l1, cross entropy (log-softmax + NLL in one), NLL, binary cross
entropy (of probabilities and of logits), and the margin losses (soft margin, margin ranking,
cosine embedding). Each supports ``reduction`` in "mean" | "sum" | "none"."""

from minigrad.autograd.function import Function
from minigrad.ops.activation import logistic
from minigrad.ops.reduction import _quiet_division

REDUCTIONS = ("mean", "sum", "none")


def _reduce(losses, reduction, denominator=None):
    if reduction == "none":
        return losses
    total = losses.sum()
    if reduction == "sum":
        return total
    return total / (losses.size if denominator is None else denominator)


def _unreduce(g_out, reduction, shape, denominator=None):
    """The gradient of the reduction: per-element gradient for losses of shape ``shape``.

    NOTE: after "mean" or "sum" every element gets the same gradient, returned with shape
    (1, ..., 1): it broadcasts against the losses where it is used, without the cost of
    ``broadcast_to`` (a few microseconds of Python, once per loss).
    """
    if reduction == "none":
        return g_out
    if reduction == "mean":
        count = 1
        for n in shape:
            count *= n
        g_out = g_out / (count if denominator is None else denominator)
    return g_out.reshape((1,) * len(shape))


def softplus(xp, z):
    """log(1 + exp(z)) as log(1 + exp(-|z|)) + max(z, 0): no overflow for any z."""
    return xp.log1p(xp.exp(-xp.abs(z))) + xp.maximum(z, 0)


class _PointwiseLoss(Function):
    """Shared body of elementwise losses f(diff), diff = input - target; subclasses give
    ``value(xp, diff)`` = f and ``slope(xp, diff)`` = f'."""

    @classmethod
    def forward(cls, ctx, input, target, reduction):
        diff = input - target
        ctx.save_for_backward(diff)
        ctx.reduction = reduction
        return _reduce(cls.value(ctx.xp, diff), reduction)

    @classmethod
    def backward(cls, ctx, g_out):
        xp = ctx.xp
        (diff,) = ctx.saved_tensors
        g_diff = _unreduce(g_out, ctx.reduction, diff.shape) * cls.slope(xp, diff)
        return (g_diff if ctx.needs_input_grad[0] else None,
                -g_diff if ctx.needs_input_grad[1] else None, None)


class MSELoss(_PointwiseLoss):
    """loss = (input - target)^2;  d/dinput = 2 (input - target)."""

    op_name = "mse_loss"

    @staticmethod
    def value(xp, diff):
        return diff * diff

    @staticmethod
    def slope(xp, diff):
        return 2 * diff


class L1Loss(_PointwiseLoss):
    """loss = |input - target|;  d/dinput = sign(input - target)."""

    op_name = "l1_loss"

    @staticmethod
    def value(xp, diff):
        return xp.abs(diff)

    @staticmethod
    def slope(xp, diff):
        return xp.sign(diff)


def sample_weights(xp, target, dtype, weight, ignore_index):
    """Per sample i: the class to gather (``t_i``, or 0 for an ignored sample), whether it is
    kept, its weight ``w[t_i]`` (0 when ignored) and the "mean" denominator, the sum of
    those weights (PyTorch's convention). Kept and the weights are ``None`` when nothing is
    weighted or ignored (no label is negative, and so none is a negative ``ignore_index``):
    then every weight is 1 and the denominator is the sample count."""
    if weight is None and ignore_index < 0 and not (target < 0).any():
        return target, None, None, target.shape[0]
    kept = target != ignore_index
    safe_target = xp.where(kept, target, 0)
    w_t = kept.astype(dtype) if weight is None else weight[safe_target] * kept
    return safe_target, kept, w_t, w_t.sum()


class _ClassLoss(Function):
    """Shared body of cross entropy and NLL: loss_i = -sum_c a_ic log p_ic with
    a_ic = (1 - s) w[t_i] [c = t_i] + (s / C) w[c] (zero for ignored samples), s the label
    smoothing and w the class weights (1 when not given).

    NOTE: the target's log p is gathered, never multiplied by a one-hot: a class masked
    with a -inf logit has log p = -inf, and 0 * -inf would make every loss NaN.
    """

    from_logits = True

    @classmethod
    def forward(cls, ctx, scores, target, weight, ignore_index, smoothing, reduction):
        xp = ctx.xp
        if cls.from_logits:
            shifted = scores - scores.max(axis=1, keepdims=True)
            log_p = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
        else:
            log_p = scores
        safe_target, kept, w_t, denominator = sample_weights(xp, target, scores.dtype, weight,
                                                             ignore_index)
        picked = log_p[xp.arange(log_p.shape[0]), safe_target]
        if kept is None:
            losses = -picked
        else:  # NOTE: an ignored sample's stand-in class 0 may itself be masked
            losses = -w_t * xp.where(kept, picked, 0)
        if smoothing:
            every = (log_p if weight is None else log_p * weight).sum(axis=1)
            every = every if kept is None else xp.where(kept, every, 0)
            losses = (1 - smoothing) * losses - (smoothing / log_p.shape[1]) * every
        ctx.save_for_backward(log_p, safe_target, kept, w_t, weight)
        ctx.reduction, ctx.denominator, ctx.smoothing = reduction, denominator, smoothing
        return _reduce(losses, reduction, denominator)

    @classmethod
    def backward(cls, ctx, g_out):
        """g_log_p = -g a; from logits, g_z = g (sum_c a_c softmax(z) - a)."""
        xp = ctx.xp
        log_p, safe_target, kept, w_t, weight = ctx.saved_tensors
        rows, classes = log_p.shape
        s = ctx.smoothing
        g = xp.broadcast_to(_unreduce(g_out, ctx.reduction, (rows,), ctx.denominator), (rows,))
        g_target = (1 - s) * (g if w_t is None else g * w_t)  # g times a at the target
        g_total = g_target  # g times sum_c a_c
        if s:
            g_smooth = (s / classes) * (g if kept is None else g * kept)
            class_weight = xp.ones(classes, log_p.dtype) if weight is None else weight
            g_total = g_target + g_smooth * class_weight.sum()
        if cls.from_logits:
            g_scores = g_total[:, None] * xp.exp(log_p)
        else:
            g_scores = xp.zeros_like(log_p)
        g_scores[xp.arange(rows), safe_target] -= g_target
        if s:
            g_scores -= g_smooth[:, None] * class_weight
        return g_scores, None, None, None, None, None


class CrossEntropy(_ClassLoss):
    """Cross entropy of logits (N, C) against class indices (N,): log-softmax and NLL fused."""

    op_name = "cross_entropy"


class NLLLoss(_ClassLoss):
    """Negative log likelihood of log-probabilities (N, C) against class indices (N,)."""

    op_name = "nll_loss"
    from_logits = False


class BCEWithLogits(Function):
    """Binary cross entropy on logits x with targets t, in the overflow-free form

        loss = (1 - t) x + (1 + (pos_weight - 1) t) * softplus(-x)
        d/dx = (1 - t) - (1 + (pos_weight - 1) t) * sigmoid(-x)
        d/dt = -x + (pos_weight - 1) * softplus(-x)

    where softplus(-x) = log(1 + exp(-|x|)) + max(-x, 0) never overflows.
    """

    op_name = "binary_cross_entropy_with_logits"

    @staticmethod
    def forward(ctx, x, t, weight, pos_weight, reduction):
        xp = ctx.xp
        softplus_neg = softplus(xp, -x)
        log_weight = 1 if pos_weight is None else 1 + (pos_weight - 1) * t
        losses = (1 - t) * x + log_weight * softplus_neg
        if weight is not None:
            losses = losses * weight
        ctx.save_for_backward(x, t, weight, pos_weight, softplus_neg)
        ctx.reduction = reduction
        return _reduce(losses, reduction)

    @staticmethod
    def backward(ctx, g_out):
        xp = ctx.xp
        x, t, weight, pos_weight, softplus_neg = ctx.saved_tensors
        shape = xp.broadcast_shapes(x.shape, t.shape)
        # NOTE: full shape, as g_t must have it even where x broadcasts against t
        g = xp.broadcast_to(_unreduce(g_out, ctx.reduction, shape), shape)
        if weight is not None:
            g = g * weight
        g_x = g_t = None
        if ctx.needs_input_grad[0]:
            log_weight = 1 if pos_weight is None else 1 + (pos_weight - 1) * t
            sigmoid_neg = logistic(xp, -x)
            g_x = g * ((1 - t) - log_weight * sigmoid_neg)
        if ctx.needs_input_grad[1]:
            g_t = g * (-x + (0 if pos_weight is None else (pos_weight - 1) * softplus_neg))
        return g_x, g_t, None, None, None


class BinaryCrossEntropy(Function):
    """Binary cross entropy of probabilities p against targets t, each log clamped at -100
    (as PyTorch, so p = 0 or 1 gives a finite loss):

        loss = -w (t max(log p, -100) + (1 - t) max(log(1 - p), -100))
        d/dp = w (p - t) / max(p (1 - p), 1e-12)
        d/dt = w (log(1 - p) - log p)
    """

    op_name = "binary_cross_entropy"

    @staticmethod
    def forward(ctx, p, t, weight, reduction):
        xp = ctx.xp
        with _quiet_division(xp):  # NOTE: log(0) = -inf, clamped just below
            log_p, log_q = xp.maximum(xp.log(p), -100), xp.maximum(xp.log1p(-p), -100)
        losses = -(t * log_p + (1 - t) * log_q)
        if weight is not None:
            losses = losses * weight
        ctx.save_for_backward(p, t, weight, log_p, log_q)
        ctx.reduction = reduction
        return _reduce(losses, reduction)

    @staticmethod
    def backward(ctx, g_out):
        xp = ctx.xp
        p, t, weight, log_p, log_q = ctx.saved_tensors
        g = _unreduce(g_out, ctx.reduction, p.shape)
        if weight is not None:
            g = g * weight
        g_p = g * (p - t) / xp.maximum(p * (1 - p), 1e-12) if ctx.needs_input_grad[0] else None
        g_t = g * (log_q - log_p) if ctx.needs_input_grad[1] else None
        return g_p, g_t, None, None


class SoftMarginLoss(Function):
    """Two-class logistic loss of scores x against labels t = +-1:

        loss = log(1 + exp(-t x));  d/dx = -t sigmoid(-t x),  d/dt = -x sigmoid(-t x)

    NOTE: computed as softplus(-t x), finite where PyTorch's log1p(exp(-t x)) overflows.
    """

    op_name = "soft_margin_loss"

    @staticmethod
    def forward(ctx, x, t, reduction):
        z = -t * x
        ctx.save_for_backward(x, t, z)
        ctx.reduction = reduction
        return _reduce(softplus(ctx.xp, z), reduction)

    @staticmethod
    def backward(ctx, g_out):
        x, t, z = ctx.saved_tensors
        g_z = _unreduce(g_out, ctx.reduction, z.shape) * logistic(ctx.xp, z)
        return (-g_z * t if ctx.needs_input_grad[0] else None,
                -g_z * x if ctx.needs_input_grad[1] else None, None)


class MarginRankingLoss(Function):
    """Ranking of pairs (x1, x2) by labels t = +-1 (1: x1 should rank higher):

        loss = max(0, margin - t (x1 - x2))
        where positive: d/dx1 = -t,  d/dx2 = t,  d/dt = -(x1 - x2); elsewhere 0
    """

    op_name = "margin_ranking_loss"

    @staticmethod
    def forward(ctx, x1, x2, t, margin, reduction):
        diff = x1 - x2
        z = margin - t * diff
        ctx.save_for_backward(diff, t, z > 0)
        ctx.reduction = reduction
        return _reduce(ctx.xp.maximum(z, 0), reduction)

    @staticmethod
    def backward(ctx, g_out):
        diff, t, active = ctx.saved_tensors
        g_z = _unreduce(g_out, ctx.reduction, active.shape) * active
        needs = ctx.needs_input_grad
        return (-g_z * t if needs[0] else None, g_z * t if needs[1] else None,
                -g_z * diff if needs[2] else None, None, None)


COSINE_EPS = 1e-12  # PyTorch's, added to each squared norm


class CosineEmbeddingLoss(Function):
    """Similarity of rows x1, x2 (along the last dim) judged by labels t = +-1:

        cos = <x1, x2> / sqrt((|x1|^2 + eps) (|x2|^2 + eps))
        loss = 1 - cos where t = 1, max(0, cos - margin) where t = -1, 0 for other labels
        d cos/d x1 = x2 / sqrt(...) - cos x1 / (|x1|^2 + eps), and likewise for x2
    """

    op_name = "cosine_embedding_loss"

    @staticmethod
    def forward(ctx, x1, x2, t, margin, reduction):
        xp = ctx.xp
        square1 = (x1 * x1).sum(axis=-1) + COSINE_EPS
        square2 = (x2 * x2).sum(axis=-1) + COSINE_EPS
        norms = xp.sqrt(square1 * square2)
        cos = (x1 * x2).sum(axis=-1) / norms
        similar, dissimilar = t == 1, (t == -1) & (cos > margin)
        losses = xp.where(similar, 1 - cos, 0) + xp.where(dissimilar, cos - margin, 0)
        # NOTE: d loss / d cos: -1 for similar pairs, 1 for dissimilar ones inside the margin
        slope = dissimilar.astype(cos.dtype) - similar.astype(cos.dtype)
        ctx.save_for_backward(x1, x2, cos, square1, square2, norms, slope)
        ctx.reduction = reduction
        return _reduce(losses, reduction)

    @staticmethod
    def backward(ctx, g_out):
        x1, x2, cos, square1, square2, norms, slope = ctx.saved_tensors
        g_cos = (_unreduce(g_out, ctx.reduction, slope.shape) * slope)[..., None]
        cos, norms = cos[..., None], norms[..., None]
        g_x1 = g_cos * (x2 / norms - cos * x1 / square1[..., None])
        g_x2 = g_cos * (x1 / norms - cos * x2 / square2[..., None])
        return g_x1, g_x2, None, None, None
