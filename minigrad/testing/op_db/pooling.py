"""Registry entries of the pools (``minigrad/ops/pooling.py``) and their layers.

The references list each window's real elements output by output (a loop over output
positions, fine on these small samples) and reduce them; max pooling draws distinct values,
so no near-tie makes its gradient jump under finite differences."""

import itertools
import math

from minigrad.nn import functional as F
from minigrad.ops import pooling
from minigrad.testing.op_db.base import Domain, ModuleInfo, OpInfo, SampleInput

ANY = Domain()
DISTINCT = Domain(distinct=True)


def _ints(value, d):
    return (value,) * d if isinstance(value, int) else tuple(value)


def _regular_windows(length, kernel, stride, padding, dilation, ceil_mode):
    """Per output: (positions of its real elements, its size counting padding)."""
    span = length + 2 * padding - dilation * (kernel - 1) - 1
    count = -(-span // stride) + 1 if ceil_mode else span // stride + 1
    if ceil_mode and (count - 1) * stride >= length + padding:
        count -= 1
    windows = []
    for o in range(count):
        start = o * stride - padding
        taps = [start + j * dilation for j in range(kernel)]
        windows.append(([t for t in taps if 0 <= t < length],
                        min(start + kernel, length + padding) - start))
    return windows


def _adaptive_windows(length, out):
    return [(list(range(i * length // out, -(-(i + 1) * length // out))), None)
            for i in range(out)]


def _pool_ref(xp, x, per_dim, reduce):
    """``reduce(block, padded_size)`` of every window's block of real elements;
    ``per_dim[j]`` lists the windows of spatial dim j."""
    d = len(per_dim)
    out = xp.zeros(x.shape[:x.ndim - d] + tuple(len(w) for w in per_dim))
    for position in itertools.product(*(range(len(w)) for w in per_dim)):
        picked = [per_dim[j][o] for j, o in enumerate(position)]
        block = x[(Ellipsis, *xp.ix_(*(taps for taps, _ in picked)))]
        sizes = [size for _, size in picked]
        flat = block.reshape(block.shape[:x.ndim - d] + (math.prod(block.shape[x.ndim - d:]),))
        out[(Ellipsis, *position)] = reduce(flat, sizes)
    return out


def _regular(d, x, kernel_size, stride, padding, dilation, ceil_mode):
    stride = kernel_size if stride is None else stride
    args = [_ints(a, d) for a in (kernel_size, stride, padding, dilation)]
    return [_regular_windows(n, *a, ceil_mode)
            for n, *a in zip(x.shape[x.ndim - d:], *args)]


def _max_pool_ref(d):
    def ref(xp, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
        windows = _regular(d, x, kernel_size, stride, padding, dilation, ceil_mode)
        return _pool_ref(xp, x, windows, lambda block, _: block.max(axis=-1))
    return ref


def _avg_pool_ref(d):
    def ref(xp, x, kernel_size, stride=None, padding=0, ceil_mode=False,
            count_include_pad=True, divisor_override=None):
        windows = _regular(d, x, kernel_size, stride, padding, 1, ceil_mode)

        def mean(block, sizes):
            divisor = divisor_override or (math.prod(sizes) if count_include_pad
                                           else block.shape[-1])
            return block.sum(axis=-1) / divisor
        return _pool_ref(xp, x, windows, mean)
    return ref


def _adaptive_ref(d, reduce):
    def ref(xp, x, output_size):
        sizes = _ints(output_size, d)
        spatial = x.shape[x.ndim - d:]
        windows = [_adaptive_windows(n, n if o is None else o) for n, o in zip(spatial, sizes)]
        return _pool_ref(xp, x, windows, lambda block, _: reduce(block))
    return ref


def _max_pool2d_samples(make):
    return [SampleInput((make(2, 3, 7, 6),), {"kernel_size": 2}, name="default_stride"),
            SampleInput((make(1, 2, 7, 6),), {"kernel_size": (3, 2), "stride": (2, 1),
                                              "padding": 1}, name="padding"),
            SampleInput((make(1, 2, 7, 6),), {"kernel_size": 3, "stride": 2, "padding": 1,
                                              "dilation": 2, "ceil_mode": True},
                        name="dilation_ceil_mode"),
            SampleInput((make(3, 5, 5),), {"kernel_size": 3, "stride": 1},
                        name="unbatched_overlapping"),
            SampleInput((make(1, 1, 1, 1),), {"kernel_size": 1}, name="one_element"),
            SampleInput((make(0, 2, 4, 4),), {"kernel_size": 2}, name="empty_batch")]


def _max_pool1d_samples(make):
    return [SampleInput((make(2, 3, 7),), {"kernel_size": 2}, name="default_stride"),
            SampleInput((make(1, 2, 9),), {"kernel_size": 3, "stride": 2, "padding": 1,
                                           "ceil_mode": True}, name="padding_ceil_mode"),
            SampleInput((make(3, 8),), {"kernel_size": 3, "stride": 1, "padding": 1,
                                        "dilation": 2}, name="unbatched_dilation"),
            SampleInput((make(1, 1, 1),), {"kernel_size": 1}, name="one_element"),
            SampleInput((make(0, 2, 4),), {"kernel_size": 2}, name="empty_batch")]


def _avg_pool2d_samples(make):
    return [SampleInput((make(2, 3, 7, 6),), {"kernel_size": 2}, name="default_stride"),
            SampleInput((make(1, 2, 7, 6),), {"kernel_size": (3, 2), "stride": (2, 1),
                                              "padding": 1}, name="padding"),
            SampleInput((make(1, 2, 7, 6),), {"kernel_size": 3, "stride": 2, "padding": 1,
                                              "ceil_mode": True, "count_include_pad": False},
                        name="ceil_mode_exclude_pad"),
            SampleInput((make(1, 2, 5, 5),), {"kernel_size": 2, "stride": 2, "padding": 1,
                                              "ceil_mode": True}, name="ceil_mode_overhang"),
            SampleInput((make(3, 5, 5),), {"kernel_size": 3, "stride": 1,
                                           "divisor_override": 4},
                        name="unbatched_divisor_override"),
            SampleInput((make(1, 1, 1, 1),), {"kernel_size": 1}, name="one_element"),
            SampleInput((make(0, 2, 4, 4),), {"kernel_size": 2}, name="empty_batch")]


def _avg_pool1d_samples(make):
    return [SampleInput((make(2, 3, 7),), {"kernel_size": 2}, name="default_stride"),
            SampleInput((make(1, 2, 9),), {"kernel_size": 3, "stride": 2, "padding": 1,
                                           "ceil_mode": True, "count_include_pad": False},
                        name="ceil_mode_exclude_pad"),
            SampleInput((make(3, 8),), {"kernel_size": 3, "stride": 1, "padding": 1},
                        name="unbatched_padding"),
            SampleInput((make(1, 1, 1),), {"kernel_size": 1}, name="one_element"),
            SampleInput((make(0, 2, 4),), {"kernel_size": 2}, name="empty_batch")]


def _adaptive2d_samples(make):
    return [SampleInput((make(2, 3, 7, 6),), {"output_size": (3, 4)}, name="overlapping"),
            SampleInput((make(1, 2, 3, 4),), {"output_size": (5, 7)}, name="larger_output"),
            SampleInput((make(3, 5, 4),), {"output_size": 1}, name="unbatched_global"),
            SampleInput((make(1, 2, 5, 5),), {"output_size": (None, 2)}, name="keep_height"),
            SampleInput((make(0, 2, 4, 4),), {"output_size": 2}, name="empty_batch")]


def _adaptive1d_samples(make):
    return [SampleInput((make(2, 3, 7),), {"output_size": 3}, name="overlapping"),
            SampleInput((make(1, 2, 3),), {"output_size": 5}, name="larger_output"),
            SampleInput((make(3, 6),), {"output_size": 1}, name="unbatched_global"),
            SampleInput((make(0, 2, 4),), {"output_size": 2}, name="empty_batch")]


def _entry(name, function, ref, samples, domain=ANY):
    """An OpInfo calling ``F.<name>`` and ``torch.nn.functional.<name>`` with the sample's
    keywords."""
    return OpInfo(name, lambda x, **kw: getattr(F, name)(x, **kw), function, ref, samples,
                  domain=domain,
                  torch_op=lambda torch, x, **kw: getattr(torch.nn.functional, name)(x, **kw))


OPS = [
    _entry("max_pool2d", pooling.MaxPool2d, _max_pool_ref(2), _max_pool2d_samples, DISTINCT),
    _entry("max_pool1d", pooling.MaxPool1d, _max_pool_ref(1), _max_pool1d_samples, DISTINCT),
    _entry("avg_pool2d", pooling.AvgPool2d, _avg_pool_ref(2), _avg_pool2d_samples),
    _entry("avg_pool1d", pooling.AvgPool1d, _avg_pool_ref(1), _avg_pool1d_samples),
    _entry("adaptive_avg_pool2d", pooling.AdaptiveAvgPool2d,
           _adaptive_ref(2, lambda block: block.mean(axis=-1)), _adaptive2d_samples),
    _entry("adaptive_avg_pool1d", pooling.AdaptiveAvgPool1d,
           _adaptive_ref(1, lambda block: block.mean(axis=-1)), _adaptive1d_samples),
    _entry("adaptive_max_pool2d", pooling.AdaptiveMaxPool2d,
           _adaptive_ref(2, lambda block: block.max(axis=-1)), _adaptive2d_samples, DISTINCT),
    _entry("adaptive_max_pool1d", pooling.AdaptiveMaxPool1d,
           _adaptive_ref(1, lambda block: block.max(axis=-1)), _adaptive1d_samples, DISTINCT),
]

IMAGES = ((2, 3, 7, 6), (1, 2, 9, 8))

MODULES = [
    ModuleInfo("MaxPool2d", lambda nn: nn.MaxPool2d(2), input_shapes=IMAGES),
    ModuleInfo("MaxPool2d-padding_ceil_mode", lambda nn: nn.MaxPool2d(
        (3, 2), stride=(2, 1), padding=1, ceil_mode=True), input_shapes=IMAGES),
    ModuleInfo("MaxPool2d-return_indices", lambda nn: nn.MaxPool2d(
        3, 1, dilation=2, return_indices=True), input_shapes=()),
    ModuleInfo("MaxPool1d", lambda nn: nn.MaxPool1d(3, stride=2, padding=1),
               input_shapes=((2, 3, 9), (3, 8))),
    ModuleInfo("AvgPool2d", lambda nn: nn.AvgPool2d(2), input_shapes=IMAGES),
    ModuleInfo("AvgPool2d-padding_ceil_mode", lambda nn: nn.AvgPool2d(
        3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), input_shapes=IMAGES),
    ModuleInfo("AvgPool2d-divisor_override", lambda nn: nn.AvgPool2d(
        (2, 3), 1, divisor_override=5), input_shapes=IMAGES),
    ModuleInfo("AvgPool1d", lambda nn: nn.AvgPool1d(3, 2, 1), input_shapes=((2, 3, 9), (3, 8))),
    ModuleInfo("AdaptiveAvgPool2d", lambda nn: nn.AdaptiveAvgPool2d((3, None)),
               input_shapes=IMAGES),
    ModuleInfo("AdaptiveAvgPool2d-global", lambda nn: nn.AdaptiveAvgPool2d(1),
               input_shapes=IMAGES),
    ModuleInfo("AdaptiveMaxPool2d", lambda nn: nn.AdaptiveMaxPool2d((4, 5)),
               input_shapes=IMAGES),
    ModuleInfo("AdaptiveMaxPool2d-return_indices", lambda nn: nn.AdaptiveMaxPool2d(
        2, return_indices=True), input_shapes=()),
    ModuleInfo("AdaptiveAvgPool1d", lambda nn: nn.AdaptiveAvgPool1d(4),
               input_shapes=((2, 3, 9), (3, 8))),
    ModuleInfo("AdaptiveMaxPool1d", lambda nn: nn.AdaptiveMaxPool1d(4),
               input_shapes=((2, 3, 9), (3, 8))),
]
