"""Scaled dot-product attention as one Function: softmax(q k^T * scale + mask) v, with its
backward written out."""

from minigrad.autograd.function import Function

__all__ = []


class ScaledDotProductAttention(Function):
    """out = dropout(softmax(q @ k^T * scale + mask)) @ v over (..., L, E) queries,
    (..., S, E) keys and (..., S, Ev) values.

    With p = softmax(s), w = p * keep (the dropout mask, scaled by 1 / (1 - p_drop)):
    g_v = w^T @ g_out;  g_w = g_out @ v^T (+ the gradient of the returned weights);
    g_s = p * (g_p - sum(g_p * p, -1)) with g_p = g_w * keep;  g_q = g_s @ k * scale,
    g_k = g_s^T @ q * scale, and an additive float mask gets g_s itself.

    ``mask`` is None, a boolean array (True = attend) or an additive float array, either
    broadcast to the (..., L, S) scores. ``keep`` is None or the dropout mask, drawn by the
    caller from the backend's seeded generator. ``groups`` > 1 repeats every key and value
    head that many times (grouped-query attention); the backward sums the copies back.

    Rows with no position to attend give zero probabilities (and so a zero output and zero
    gradients), as PyTorch 2.13 does, not NaN. With ``need_weights`` the op also returns
    the weights w (per head), as ``nn.MultiheadAttention`` does.

    NOTE: the forward saves the probabilities p: one (..., L, S) array, the size of the
    scores, so the backward recomputes neither q k^T nor the softmax. It goes through
    ``save_for_backward`` with the inputs and the dropout mask (no array rides on ``ctx``
    as an attribute), so the engine frees it as soon as the backward ran, unless
    ``retain_graph`` keeps it for a second backward.
    """

    op_name = "scaled_dot_product_attention"

    @staticmethod
    def forward(ctx, query, key, value, mask, keep, scale, is_causal, groups, need_weights):
        xp = ctx.xp
        if groups > 1:
            key, value = xp.repeat(key, groups, axis=-3), xp.repeat(value, groups, axis=-3)
        scores = query @ xp.swapaxes(key, -1, -2)
        scores *= scale
        if is_causal:
            # NOTE: one (L, S) lower triangle, broadcast over the batch and the heads
            above = ~xp.tri(scores.shape[-2], scores.shape[-1], dtype=bool)
            xp.copyto(scores, -xp.inf, where=above)  # NOTE: in place, no second array
        if mask is not None:
            scores = xp.where(mask, scores, -xp.inf) if mask.dtype == bool else scores + mask
        probs = _safe_softmax(xp, scores)
        weights = probs if keep is None else probs * keep
        ctx.save_for_backward(query, key, value, probs, keep)
        ctx.scale, ctx.groups = scale, groups
        ctx.float_mask = mask is not None and mask.dtype != bool
        out = weights @ value
        return (out, weights) if need_weights else out

    @staticmethod
    def backward(ctx, g_out, g_weights=None):
        xp = ctx.xp
        query, key, value, probs, keep = ctx.saved_tensors
        needs = ctx.needs_input_grad
        weights = probs if keep is None else probs * keep
        g_value = xp.swapaxes(weights, -1, -2) @ g_out if needs[2] else None
        g_probs = g_out @ xp.swapaxes(value, -1, -2)
        if g_weights is not None:
            g_probs += g_weights
        if keep is not None:
            g_probs *= keep
        # NOTE: p * (g_p - sum(g_p * p)) in place on g_p, a fresh product: two passes, no
        # temporaries of the scores' size beyond the one the sum needs
        g_probs -= (g_probs * probs).sum(axis=-1, keepdims=True)
        g_probs *= probs
        g_scores = g_probs
        g_query = g_scores @ key * ctx.scale if needs[0] else None
        g_key = xp.swapaxes(g_scores, -1, -2) @ query * ctx.scale if needs[1] else None
        g_mask = g_scores if ctx.float_mask and needs[3] else None
        if ctx.groups > 1:
            g_key, g_value = (_sum_groups(g, ctx.groups) for g in (g_key, g_value))
        return g_query, g_key, g_value, g_mask, None, None, None, None, None


def _safe_softmax(xp, scores):
    """softmax over the last axis, in place on ``scores``; a row that is -inf everywhere
    (nothing to attend) gives zeros instead of 0 / 0."""
    if scores.shape[-1] == 0:
        return scores
    row_max = scores.max(axis=-1, keepdims=True)
    row_max[xp.isneginf(row_max)] = 0.0
    scores -= row_max
    xp.exp(scores, out=scores)
    total = scores.sum(axis=-1, keepdims=True)
    total[total == 0] = 1.0
    scores /= total
    return scores


def _sum_groups(g, groups):
    """The gradient of ``repeat(x, groups, axis=-3)`` with respect to x: each group of
    ``groups`` consecutive heads summed into its one head."""
    if g is None:
        return None
    heads = g.shape[-3] // groups
    return g.reshape(*g.shape[:-3], heads, groups, *g.shape[-2:]).sum(axis=-3)
