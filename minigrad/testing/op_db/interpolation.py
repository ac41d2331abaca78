"""Registry entries of nearest and bilinear resizing (``minigrad/ops/interpolation.py``)
and the ``Upsample`` layer.

The references go output by output through PyTorch's source-index formulas: nearest
indices in float32 (as PyTorch computes them), bilinear source points in float64."""

import itertools
import math

from minigrad.nn import functional as F
from minigrad.ops import interpolation
from minigrad.testing.op_db.base import ModuleInfo, OpInfo, SampleInput


def _targets(x, size, scale_factor, recompute_scale_factor):
    """Per spatial dim: (input size, output size, the scale the source index uses)."""
    spatial = x.shape[2:]
    d = len(spatial)
    if size is not None:
        sizes = (size,) * d if isinstance(size, int) else size
        return [(n, o, None) for n, o in zip(spatial, sizes)]
    scales = (scale_factor,) * d if not isinstance(scale_factor, tuple) else scale_factor
    return [(n, math.floor(n * s), None if recompute_scale_factor else s)
            for n, s in zip(spatial, scales)]


def _nearest_index(xp, length, out, scale, two_d):
    f32 = xp.float32
    picks = []
    for o in range(out):
        if two_d and out in (length, 2 * length):
            picks.append(o * length // out)
            continue
        ratio = f32(1 / scale) if scale else f32(length) / f32(out)
        picks.append(min(math.floor(f32(o) * ratio), length - 1))
    return picks


def _nearest_ref(xp, x, size=None, scale_factor=None, recompute_scale_factor=None):
    targets = _targets(x, size, scale_factor, recompute_scale_factor)
    picks = [_nearest_index(xp, n, o, s, len(targets) == 2) for n, o, s in targets]
    return x[(Ellipsis, *xp.ix_(*picks))]


def _linear_taps(length, out, scale, align_corners):
    """Per output: [(source index, weight), (source index, weight)]."""
    taps = []
    for o in range(out):
        if out == length:
            taps.append([(o, 1.0), (o, 0.0)])
            continue
        if align_corners:
            point = o * (length - 1) / (out - 1) if out > 1 else 0.0
        else:
            ratio = 1 / scale if scale else length / out
            point = max((o + 0.5) * ratio - 0.5, 0.0)
        low = min(math.floor(point), length - 1)
        frac = min(max(point - low, 0.0), 1.0)
        taps.append([(low, 1 - frac), (min(low + 1, length - 1), frac)])
    return taps


def _bilinear_ref(xp, x, size=None, scale_factor=None, align_corners=False,
                  recompute_scale_factor=None):
    (h, oh, sh), (w, ow, sw) = _targets(x, size, scale_factor, recompute_scale_factor)
    rows, cols = _linear_taps(h, oh, sh, align_corners), _linear_taps(w, ow, sw, align_corners)
    out = xp.zeros(x.shape[:2] + (oh, ow))
    for i, j in itertools.product(range(oh), range(ow)):
        for (r, a), (c, b) in itertools.product(rows[i], cols[j]):
            out[..., i, j] += a * b * x[..., r, c]
    return out


def _nearest_samples(make):
    return [SampleInput((make(2, 3, 4, 5),), {"size": (3, 7)}, name="2d_size"),
            SampleInput((make(2, 3, 5),), {"size": 7}, name="1d_size"),
            SampleInput((make(1, 2, 3, 4),), {"scale_factor": 2}, name="2d_doubling"),
            SampleInput((make(1, 2, 4, 5),), {"scale_factor": (1.5, 0.6)},
                        name="2d_scale_factors"),
            SampleInput((make(1, 2, 4),), {"scale_factor": 2.3}, name="1d_scale_factor"),
            SampleInput((make(1, 1, 3, 3),), {"scale_factor": 1.7,
                                              "recompute_scale_factor": True},
                        name="2d_recompute_scale_factor"),
            SampleInput((make(0, 2, 3, 3),), {"size": 4}, name="empty_batch")]


def _bilinear_samples(make):
    samples = []
    for align in (False, True):
        tag = "align_corners" if align else "half_pixel"
        samples += [
            SampleInput((make(2, 3, 4, 5),), {"size": (3, 8), "align_corners": align},
                        name=f"{tag}_size"),
            SampleInput((make(1, 2, 3, 4),), {"scale_factor": 1.7, "align_corners": align},
                        name=f"{tag}_scale_factor"),
            SampleInput((make(1, 2, 5, 4),), {"scale_factor": (0.5, 2.5),
                                              "align_corners": align,
                                              "recompute_scale_factor": True},
                        name=f"{tag}_recompute_scale_factor")]
    return samples + [
        SampleInput((make(1, 2, 3, 3),), {"size": (1, 3)}, name="one_row_same_width"),
        SampleInput((make(0, 2, 3, 3),), {"size": 4}, name="empty_batch")]


def _interpolate(mode):
    return lambda x, **kw: F.interpolate(x, mode=mode, **kw)


def _torch_interpolate(mode):
    return lambda torch, x, **kw: torch.nn.functional.interpolate(x, mode=mode, **kw)


OPS = [
    OpInfo("interpolate_nearest", _interpolate("nearest"), interpolation.UpsampleNearest,
           _nearest_ref, _nearest_samples, torch_op=_torch_interpolate("nearest")),
    OpInfo("interpolate_bilinear", _interpolate("bilinear"), interpolation.UpsampleBilinear2d,
           _bilinear_ref, _bilinear_samples, torch_op=_torch_interpolate("bilinear")),
]

IMAGES = ((2, 3, 4, 5), (1, 2, 6, 3))

MODULES = [
    ModuleInfo("Upsample", lambda nn: nn.Upsample(scale_factor=2), input_shapes=IMAGES),
    ModuleInfo("Upsample-1d_size", lambda nn: nn.Upsample(size=7),
               input_shapes=((2, 3, 5),)),
    ModuleInfo("Upsample-bilinear", lambda nn: nn.Upsample(size=(5, 9), mode="bilinear"),
               input_shapes=IMAGES),
    ModuleInfo("Upsample-bilinear_align_corners", lambda nn: nn.Upsample(
        scale_factor=(1.5, 2), mode="bilinear", align_corners=True), input_shapes=IMAGES),
]
