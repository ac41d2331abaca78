"""Registry entries of the losses (``minigrad/ops/loss.py``)."""


from minigrad.nn import functional as F
from minigrad.ops import loss
from minigrad.testing.op_db.base import (
    AWAY_FROM_ZERO,
    Domain,
    ModuleInfo,
    OpInfo,
    SampleInput,
    log_softmax_ref,
)


def _pointwise_loss_samples(make):
    return [SampleInput((make(4, 3), make(4, 3)), name="mean"),
            SampleInput((make(4, 3), make(4, 3)), {"reduction": "sum"}, name="sum"),
            SampleInput((make(5), make(5)), {"reduction": "none"}, name="none"),
            SampleInput((make(), make()), name="scalar")]


def _class_loss_samples(make, smoothing=True):
    weight = make(4, low=0.5, high=2.0)
    ignored = make.index(4, 6)
    ignored[1] = ignored[4] = -100
    samples = [SampleInput((make(6, 4), make.index(4, 6)), name="mean"),
               SampleInput((make(6, 4), make.index(4, 6)), {"reduction": "sum"}, name="sum"),
               SampleInput((make(6, 4), make.index(4, 6)), {"reduction": "none"}, name="none"),
               SampleInput((make(6, 4), ignored), name="ignore_index"),
               SampleInput((make(6, 4), make.index(4, 6), weight), name="weight", frozen=(2,)),
               SampleInput((make(6, 4), ignored, weight), name="weight_ignore", frozen=(2,)),
               SampleInput((make(3, 4, 2), make.index(4, 3, 2)), name="3d"),
               SampleInput((make(4), make.index(4)), name="1d")]
    if smoothing:
        samples += [
            SampleInput((make(6, 4), make.index(4, 6)), {"label_smoothing": 0.2},
                        name="smoothing"),
            SampleInput((make(6, 4), ignored, weight), {"label_smoothing": 0.3},
                        name="smoothing_weight_ignore", frozen=(2,)),
            SampleInput((make(2, 3, low=-1e4, high=1e4), make.index(3, 2)), name="huge_logits")]
    return samples


def _bce_samples(make):
    target = make.rng.random((4, 3))
    return [SampleInput((make(4, 3), target), name="mean"),
            SampleInput((make(4, 3), target), {"reduction": "none"}, name="none"),
            SampleInput((make(4, 3), target, make(3, low=0.5, high=2)), name="weight",
                        frozen=(2,)),
            SampleInput((make(4, 3), target, None, make(3, low=0.5, high=3)),
                        {"reduction": "sum"}, name="pos_weight", frozen=(3,)),
            SampleInput((make(2, 3, low=-40, high=40), (make(2, 3) > 0) * 1.0), name="large")]


def _probability_samples(make):
    def p(*shape):
        return make(*shape, low=0.0, high=1.0)  # targets may be anywhere in [0, 1]
    return [SampleInput((make(4, 3), p(4, 3)), name="mean"),
            SampleInput((make(4, 3), p(4, 3)), {"reduction": "sum"}, name="sum"),
            SampleInput((make(5), p(5)), {"reduction": "none"}, name="none"),
            SampleInput((make(4, 3), p(4, 3), make(3, low=0.5, high=2)), name="weight",
                        frozen=(2,)),
            SampleInput((make(2, 3), p(2, 3), make(2, 3, low=0.5, high=2)),
                        {"reduction": "none"}, name="weight_per_element", frozen=(2,)),
            SampleInput((make(), p()), name="scalar"),
            SampleInput((make(1), p(1)), name="one_element"),
            SampleInput((make(0, 3), p(0, 3)), {"reduction": "sum"}, name="empty")]


def _signs(make, *shape):
    """Labels -1 and 1, as float64."""
    return make.xp.asarray(make.rng.choice([-1.0, 1.0], size=shape))


def _soft_margin_samples(make):
    return [SampleInput((make(4, 3), _signs(make, 4, 3)), name="mean", frozen=(1,)),
            SampleInput((make(4, 3), _signs(make, 4, 3)), {"reduction": "sum"}, name="sum",
                        frozen=(1,)),
            SampleInput((make(5), _signs(make, 5)), {"reduction": "none"}, name="none",
                        frozen=(1,)),
            SampleInput((make(4, 3), _signs(make, 1, 3)), name="broadcast", frozen=(1,)),
            SampleInput((make(), _signs(make)), name="scalar", frozen=(1,)),
            SampleInput((make(0, 2), _signs(make, 0, 2)), {"reduction": "sum"}, name="empty",
                        frozen=(1,)),
            SampleInput((make(2, 3, low=-30, high=30), _signs(make, 2, 3)), name="large",
                        frozen=(1,))]


def _ranking_triple(make, *shape, margin=0.0):
    """(x1, x2, t) with margin - t (x1 - x2) = -t d for d drawn away from 0: off the kink."""
    t = _signs(make, *shape)
    x2 = make(*shape)
    return make.xp.asarray(x2 + make(*shape) + margin * t), x2, t


def _ranking_samples(make):
    return [SampleInput(_ranking_triple(make, 6), name="mean"),
            SampleInput(_ranking_triple(make, 6, margin=0.5), {"margin": 0.5,
                                                               "reduction": "sum"}, name="sum"),
            SampleInput(_ranking_triple(make, 4, 3, margin=0.3),
                        {"margin": 0.3, "reduction": "none"}, name="none"),
            SampleInput((make(4, 1, low=0.6), make(1, 3, high=-0.6), _signs(make, 4, 3)),
                        {"margin": 0.5}, name="broadcast"),
            SampleInput(_ranking_triple(make), name="scalar"),
            SampleInput(_ranking_triple(make, 0), {"reduction": "sum"}, name="empty")]


def _cosine_pairs(make, rows, labels, width=4, broadcast=False):
    """(x1, x2, t) with each cosine of x1's row and x2's drawn from +-[0.6, 0.9]: far from the
    margins 0 and 0.5, where the loss has a kink, and from +-1, where its slope vanishes."""
    xp = make.xp
    x2 = make(1 if broadcast else rows, width)
    across = make(rows, width)
    across = across - (across * x2).sum(-1, keepdims=True) / (x2 * x2).sum(-1, keepdims=True) * x2
    cos = _signs(make, rows, 1) * make(rows, 1, low=0.6, high=0.9)
    unit_along = x2 / xp.sqrt((x2 * x2).sum(-1, keepdims=True))
    unit_across = across / xp.sqrt((across * across).sum(-1, keepdims=True))
    x1 = make(rows, 1, low=0.5) * (cos * unit_along + xp.sqrt(1 - cos * cos) * unit_across)
    return x1, x2, xp.asarray(labels)


def _cosine_samples(make):
    def pairs(labels, **kw):
        return _cosine_pairs(make, len(labels), labels, **kw)
    row = _cosine_pairs(make, 1, -1.0)
    return [SampleInput(pairs([1.0, -1.0, -1.0, 1.0, -1.0]), name="mean", frozen=(2,)),
            SampleInput(pairs([1.0, -1.0, -1.0, 1.0]), {"margin": 0.5, "reduction": "sum"},
                        name="sum", frozen=(2,)),
            SampleInput(pairs([-1.0, 1.0, 0.0, -1.0]), {"reduction": "none"},
                        name="none_other_label", frozen=(2,)),
            SampleInput(pairs([1.0, -1.0, -1.0], broadcast=True), name="broadcast",
                        frozen=(2,)),
            SampleInput((row[0][0], row[1][0], row[2]), name="unbatched", frozen=(2,)),
            SampleInput(pairs([1, -1, -1, 1]), {"margin": 0.5}, name="integer_labels")]


def _reduce_ref(losses, reduction, denominator=None):
    if reduction == "none":
        return losses
    total = losses.sum()
    return total if reduction == "sum" else total / (denominator or losses.size)


def _class_loss_ref(xp, log_p, target, weight=None, reduction="mean", label_smoothing=0.0):
    """PyTorch's definition, written out: NLL part plus the smoothing part over classes."""
    classes = log_p.shape[1]
    if log_p.ndim > 2:
        log_p = xp.moveaxis(log_p, 1, -1).reshape(-1, classes)
    target = xp.asarray(target).reshape(-1)
    w = xp.ones(classes) if weight is None else weight
    kept = target != -100
    safe = xp.where(kept, target, 0)
    nll = -log_p[xp.arange(len(safe)), safe] * w[safe] * kept
    smooth = -(log_p * w).sum(axis=1) * kept
    losses = (1 - label_smoothing) * nll + label_smoothing / classes * smooth
    return _reduce_ref(losses, reduction, (w[safe] * kept).sum())


def _cross_entropy_ref(xp, logits, target, weight=None, reduction="mean", label_smoothing=0.0):
    if logits.ndim == 1:
        logits, target = logits[None], [target]
    log_p = log_softmax_ref(xp, logits, 1)
    losses = _class_loss_ref(xp, log_p, target, weight, "none", label_smoothing)
    if reduction == "none":
        return losses.reshape(xp.shape(target)) if xp.ndim(target) else losses[0]
    return _class_loss_ref(xp, log_p, target, weight, reduction, label_smoothing)


def _bce_ref(xp, x, t, weight=None, pos_weight=None, reduction="mean"):
    log_sig = -xp.logaddexp(0, -x)
    log_one_minus_sig = -xp.logaddexp(0, x)
    pw = 1 if pos_weight is None else pos_weight
    losses = -(pw * t * log_sig + (1 - t) * log_one_minus_sig)
    return _reduce_ref(losses * (1 if weight is None else weight), reduction)


def _bce_probability_ref(xp, p, t, weight=None, reduction="mean"):
    log_p, log_q = xp.maximum(xp.log(p), -100), xp.maximum(xp.log(1 - p), -100)
    losses = -(t * log_p + (1 - t) * log_q)
    return _reduce_ref(losses * (1 if weight is None else weight), reduction)


def _soft_margin_ref(xp, x, t, reduction="mean"):
    return _reduce_ref(xp.logaddexp(0, -t * x), reduction)


def _ranking_ref(xp, x1, x2, t, margin=0.0, reduction="mean"):
    return _reduce_ref(xp.maximum(margin - t * (x1 - x2), 0), reduction)


def _cosine_ref(xp, x1, x2, t, margin=0.0, reduction="mean"):
    norms = xp.sqrt(((x1 ** 2).sum(-1) + 1e-12) * ((x2 ** 2).sum(-1) + 1e-12))
    cos = (x1 * x2).sum(-1) / norms
    losses = xp.where(t == 1, 1 - cos, xp.where(t == -1, xp.maximum(cos - margin, 0), 0))
    return _reduce_ref(losses, reduction)


OPS = [
    OpInfo("mse_loss", lambda a, b, **kw: F.mse_loss(a, b, **kw), loss.MSELoss,
           lambda xp, a, b, reduction="mean": _reduce_ref((a - b) ** 2, reduction),
           _pointwise_loss_samples,
           torch_op=lambda torch, a, b, **kw: torch.nn.functional.mse_loss(a, b, **kw)),
    OpInfo("l1_loss", lambda a, b, **kw: F.l1_loss(a, b, **kw), loss.L1Loss,
           lambda xp, a, b, reduction="mean": _reduce_ref(xp.abs(a - b), reduction),
           _pointwise_loss_samples,
           torch_op=lambda torch, a, b, **kw: torch.nn.functional.l1_loss(a, b, **kw)),
    OpInfo("cross_entropy", lambda x, t, w=None, **kw: F.cross_entropy(x, t, w, **kw),
           loss.CrossEntropy, _cross_entropy_ref, _class_loss_samples,
           torch_op=lambda torch, x, t, w=None, **kw: torch.nn.functional.cross_entropy(
               x, torch.as_tensor(t), w, **kw)),
    OpInfo("nll_loss", lambda x, t, w=None, **kw: F.nll_loss(x, t, w, **kw), loss.NLLLoss,
           lambda xp, x, t, w=None, reduction="mean": _class_loss_ref(
               xp, x[None] if x.ndim == 1 else x, t if x.ndim > 1 else [t], w, reduction
           ).reshape(xp.shape(t)) if reduction == "none" else _class_loss_ref(
               xp, x[None] if x.ndim == 1 else x, t if x.ndim > 1 else [t], w, reduction),
           lambda make: _class_loss_samples(make, smoothing=False),
           torch_op=lambda torch, x, t, w=None, **kw: torch.nn.functional.nll_loss(
               x, torch.as_tensor(t), w, **kw)),
    OpInfo("binary_cross_entropy_with_logits",
           lambda x, t, w=None, pw=None, **kw: F.binary_cross_entropy_with_logits(
               x, t, w, pos_weight=pw, **kw),
           loss.BCEWithLogits,
           lambda xp, x, t, w=None, pw=None, reduction="mean": _bce_ref(xp, x, t, w, pw,
                                                                         reduction),
           _bce_samples,
           torch_op=lambda torch, x, t, w=None, pw=None, **kw:
               torch.nn.functional.binary_cross_entropy_with_logits(x, t, w, pos_weight=pw,
                                                                    **kw)),
    OpInfo("binary_cross_entropy",
           lambda p, t, w=None, **kw: F.binary_cross_entropy(p, t, w, **kw),
           loss.BinaryCrossEntropy, _bce_probability_ref, _probability_samples,
           domain=Domain(low=0.05, high=0.95),
           torch_op=lambda torch, p, t, w=None, **kw: torch.nn.functional.binary_cross_entropy(
               p, t, w, **kw)),
    OpInfo("soft_margin_loss", lambda x, t, **kw: F.soft_margin_loss(x, t, **kw),
           loss.SoftMarginLoss, _soft_margin_ref, _soft_margin_samples,
           torch_op=lambda torch, x, t, **kw: torch.nn.functional.soft_margin_loss(x, t, **kw)),
    OpInfo("margin_ranking_loss",
           lambda x1, x2, t, **kw: F.margin_ranking_loss(x1, x2, t, **kw),
           loss.MarginRankingLoss, _ranking_ref, _ranking_samples, domain=AWAY_FROM_ZERO,
           torch_op=lambda torch, x1, x2, t, **kw: torch.nn.functional.margin_ranking_loss(
               x1, x2, t, **kw)),
    OpInfo("cosine_embedding_loss",
           lambda x1, x2, t, **kw: F.cosine_embedding_loss(x1, x2, t, **kw),
           loss.CosineEmbeddingLoss, _cosine_ref, _cosine_samples,
           torch_op=lambda torch, x1, x2, t, **kw: torch.nn.functional.cosine_embedding_loss(
               x1, x2, t, **kw)),
]

# NOTE: a loss takes a target, so only its state dict and repr are swept here (no
# input_shapes); its values and gradients against PyTorch are tests/test_nn_parity.py's
# loss tests
MODULES = [
    ModuleInfo("MSELoss", lambda nn: nn.MSELoss(reduction="sum"), input_shapes=()),
    ModuleInfo("L1Loss", lambda nn: nn.L1Loss(), input_shapes=()),
    ModuleInfo("CrossEntropyLoss", lambda nn: nn.CrossEntropyLoss(label_smoothing=0.1),
               input_shapes=()),
    ModuleInfo("NLLLoss", lambda nn: nn.NLLLoss(ignore_index=1), input_shapes=()),
    ModuleInfo("BCEWithLogitsLoss", lambda nn: nn.BCEWithLogitsLoss(), input_shapes=()),
    ModuleInfo("BCELoss", lambda nn: nn.BCELoss(reduction="sum"), input_shapes=()),
    ModuleInfo("SoftMarginLoss", lambda nn: nn.SoftMarginLoss(), input_shapes=()),
    ModuleInfo("MarginRankingLoss", lambda nn: nn.MarginRankingLoss(margin=0.2),
               input_shapes=()),
    ModuleInfo("CosineEmbeddingLoss", lambda nn: nn.CosineEmbeddingLoss(margin=0.1),
               input_shapes=()),
]
