"""Losses of real-valued predictions: Huber and smooth L1 (quadratic near the target, linear
beyond), the KL divergence, and the Gaussian and Poisson negative log likelihoods. Each
supports ``reduction`` in "mean" | "sum" | "none" (see ``minigrad.ops.loss``)."""

import math

from minigrad.autograd.function import Function
from minigrad.ops.loss import _reduce, _unreduce
from minigrad.ops.reduction import _quiet_division

HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


class HuberLoss(Function):
    """With z = input - target, optionally weighted per element by w:

        loss = w z^2 / 2 where |z| < delta, else w delta (|z| - delta / 2)
        d/dinput = -d/dtarget = w clip(z, -delta, delta),  d/dw = the unweighted loss
    """

    op_name = "huber_loss"
    per_delta = False  # smooth L1 is the Huber loss divided by its delta (there called beta)

    @classmethod
    def forward(cls, ctx, input, target, weight, delta, reduction):
        xp = ctx.xp
        z = input - target
        size = xp.abs(z)
        losses = xp.where(size < delta, 0.5 * z * z, delta * (size - 0.5 * delta))
        if cls.per_delta:
            losses = losses / delta
        # NOTE: the unweighted losses are weight's gradient, kept only when there is a weight
        ctx.save_for_backward(z, weight, None if weight is None else losses)
        ctx.delta, ctx.reduction = delta, reduction
        return _reduce(losses if weight is None else losses * weight, reduction)

    @classmethod
    def backward(cls, ctx, g_out):
        z, weight, losses = ctx.saved_tensors
        g = _unreduce(g_out, ctx.reduction, z.shape)
        g_w = g * losses if ctx.needs_input_grad[2] else None
        g_z = g * ctx.xp.clip(z, -ctx.delta, ctx.delta)
        if cls.per_delta:
            g_z = g_z / ctx.delta
        if weight is not None:
            g_z = g_z * weight
        return (g_z if ctx.needs_input_grad[0] else None,
                -g_z if ctx.needs_input_grad[1] else None, g_w, None, None)


class SmoothL1Loss(HuberLoss):
    """With z = input - target: loss = z^2 / (2 beta) where |z| < beta, else |z| - beta / 2;
    d/dinput = -d/dtarget = clip(z / beta, -1, 1). (beta = 0, plain L1, is ``L1Loss``.)"""

    op_name = "smooth_l1_loss"
    per_delta = True


class KLDivLoss(Function):
    """Pointwise KL divergence of the target distribution from log-probabilities x:

        t probabilities:      loss = t (log t - x)  (0 where t = 0)
                              d/dx = -t,  d/dt = log t + 1 - x
        t log-probabilities:  loss = exp(t) (t - x)
                              d/dx = -exp(t),  d/dt = exp(t) (t - x + 1)

    "mean" divides by ``denominator`` when given (the batch size, for "batchmean").
    """

    op_name = "kl_div"

    @staticmethod
    def forward(ctx, x, t, log_target, reduction, denominator):
        xp = ctx.xp
        if log_target:
            p = xp.exp(t)
            losses = p * (t - x)
            ctx.save_for_backward(x, t, p)
        else:
            with _quiet_division(xp):  # NOTE: 0 log 0 = 0, as PyTorch's xlogy
                log_t = xp.log(t)
                losses = xp.where(t == 0, 0, t * log_t) - t * x
            ctx.save_for_backward(x, t, log_t)
        ctx.log_target, ctx.reduction, ctx.denominator = log_target, reduction, denominator
        return _reduce(losses, reduction, denominator)

    @staticmethod
    def backward(ctx, g_out):
        x, t, saved = ctx.saved_tensors
        g = _unreduce(g_out, ctx.reduction, ctx.xp.broadcast_shapes(x.shape, t.shape),
                      ctx.denominator)
        if ctx.log_target:  # saved = exp(t)
            g_x, g_t = -g * saved, g * saved * (t - x + 1)
        else:  # saved = log(t)
            g_x, g_t = -g * t, g * (saved + 1 - x)
        return (g_x if ctx.needs_input_grad[0] else None,
                g_t if ctx.needs_input_grad[1] else None, None, None, None)


class GaussianNLLLoss(Function):
    """Negative log likelihood of targets t under N(x, var), with v = max(var, eps):

        loss = (log v + (x - t)^2 / v) / 2  (+ log(2 pi) / 2 when ``full``)
        d/dx = -d/dt = (x - t) / v,  d/dvar = (1 / v - (x - t)^2 / v^2) / 2

    NOTE: as PyTorch, the clamp is not differentiated: var's gradient is taken at v and
    passed through unchanged, also where var < eps.
    """

    op_name = "gaussian_nll_loss"

    @staticmethod
    def forward(ctx, x, t, var, full, eps, reduction):
        xp = ctx.xp
        v = xp.maximum(var, eps)
        z = x - t
        losses = 0.5 * (xp.log(v) + z * z / v)
        if full:
            losses = losses + HALF_LOG_2PI
        ctx.save_for_backward(z, v)
        ctx.reduction = reduction
        return _reduce(losses, reduction)

    @staticmethod
    def backward(ctx, g_out):
        z, v = ctx.saved_tensors
        g = _unreduce(g_out, ctx.reduction, ctx.xp.broadcast_shapes(z.shape, v.shape))
        g_x = g * z / v
        g_var = 0.5 * g * (1 - z * z / v) / v if ctx.needs_input_grad[2] else None
        return (g_x if ctx.needs_input_grad[0] else None,
                -g_x if ctx.needs_input_grad[1] else None, g_var, None, None, None)


class PoissonNLLLoss(Function):
    """Negative log likelihood of counts t under Poisson(rate), dropping log(t!):

        log_input (x = log rate):  loss = exp(x) - t x;        d/dx = exp(x) - t,  d/dt = -x
        rate x:   loss = x - t log(x + eps);  d/dx = 1 - t / (x + eps),  d/dt = -log(x + eps)

    ``full`` adds Stirling's approximation of log(t!) where t > 1:
    t log t - t + log(2 pi t) / 2, whose d/dt is log t + 1 / (2 t).
    """

    op_name = "poisson_nll_loss"

    @staticmethod
    def forward(ctx, x, t, log_input, full, eps, reduction):
        xp = ctx.xp
        if log_input:
            rate = xp.exp(x)
            losses = rate - t * x
        else:
            rate = x + eps
            losses = x - t * xp.log(rate)
        stirling = t > 1 if full else None
        if full:
            counts = xp.where(stirling, t, 1)  # NOTE: 1 where masked: no log of t <= 0
            losses = losses + xp.where(
                stirling, counts * xp.log(counts) - counts + 0.5 * xp.log(2 * math.pi * counts), 0)
        ctx.save_for_backward(x, t, rate, stirling)
        ctx.log_input, ctx.reduction = log_input, reduction
        return _reduce(losses, reduction)

    @staticmethod
    def backward(ctx, g_out):
        xp = ctx.xp
        x, t, rate, stirling = ctx.saved_tensors
        g = _unreduce(g_out, ctx.reduction, xp.broadcast_shapes(x.shape, t.shape))
        g_x = g_t = None
        if ctx.needs_input_grad[0]:
            g_x = g * (rate - t) if ctx.log_input else g * (1 - t / rate)
        if ctx.needs_input_grad[1]:
            g_t = -g * (x if ctx.log_input else xp.log(rate))
            if stirling is not None:
                counts = xp.where(stirling, t, 1)
                g_t = g_t + g * xp.where(stirling, xp.log(counts) + 0.5 / counts, 0)
        return g_x, g_t, None, None, None, None
