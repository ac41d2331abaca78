"""Registry entries of convolution (``minigrad/ops/convolution.py``): conv1d, conv2d,
conv_transpose2d, unfold and fold, and the layers Conv1d, Conv2d, ConvTranspose2d, Unfold
and Fold.

The references share nothing with the ops' im2col: each is a direct sum over the kernel
offsets (i, j) of plain strided slices of the padded input, one einsum over the channels of
a group per offset."""

import warnings

from minigrad.nn import functional as F
from minigrad.ops import convolution
from minigrad.testing.op_db.base import ModuleInfo, OpInfo, SampleInput


def _pairs(value, dims=2, fill=1):
    """An int or a tuple of ``dims`` ints as (height, width); a 1-D op's height is ``fill``."""
    values = (value,) * dims if isinstance(value, int) else tuple(value)
    return (fill,) * (2 - dims) + values


def _as_images(x, dims, batched_ndim):
    """x as a batch of 2-D images: a batch dim added if missing, a unit height for 1-D."""
    x = x if x.ndim == batched_ndim else x[None]
    return x[:, :, None] if dims == 1 else x


def _conv_ref(xp, x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    dims = weight.ndim - 2
    batched = x.ndim == dims + 2
    x, weight = _as_images(x, dims, dims + 2), _as_images(weight, dims, dims + 2)
    stride, dilation = _pairs(stride, dims), _pairs(dilation, dims)
    kernel = weight.shape[2:]
    if padding == "same":
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        pads = [(t // 2, t - t // 2) for t in totals]
    else:
        pads = [(p, p) for p in _pairs(0 if padding == "valid" else padding, dims, fill=0)]
    x = xp.pad(x, [(0, 0), (0, 0), *pads])
    n, c, h, w = x.shape
    o = weight.shape[0]
    (sh, sw), (dh, dw), (kh, kw) = stride, dilation, kernel
    oh, ow = (h - dh * (kh - 1) - 1) // sh + 1, (w - dw * (kw - 1) - 1) // sw + 1
    x = x.reshape(n, groups, c // groups, h, w)
    weight = weight.reshape(groups, o // groups, c // groups, kh, kw)
    out = xp.zeros((n, groups, o // groups, oh, ow))
    for i in range(kh):
        for j in range(kw):
            window = x[..., i * dh:i * dh + sh * (oh - 1) + 1:sh,
                       j * dw:j * dw + sw * (ow - 1) + 1:sw]
            out += xp.einsum("ngcyz,goc->ngoyz", window, weight[..., i, j])
    out = out.reshape(n, o, oh, ow) + (0 if bias is None else bias.reshape(-1, 1, 1))
    out = out[:, :, 0] if dims == 1 else out
    return out if batched else out[0]


def _conv_transpose_ref(xp, x, weight, bias=None, stride=1, padding=0, output_padding=0,
                        groups=1, dilation=1):
    batched = x.ndim == 4
    x = x if batched else x[None]
    n, c, h, w = x.shape
    o_g, kh, kw = weight.shape[1:]
    (sh, sw), (ph, pw) = _pairs(stride), _pairs(padding)
    (dh, dw), (eh, ew) = _pairs(dilation), _pairs(output_padding)
    full = xp.zeros((n, groups, o_g, (h - 1) * sh + dh * (kh - 1) + eh + 1,
                     (w - 1) * sw + dw * (kw - 1) + ew + 1))
    x = x.reshape(n, groups, c // groups, h, w)
    weight = weight.reshape(groups, c // groups, o_g, kh, kw)
    for i in range(kh):
        for j in range(kw):
            full[..., i * dh:i * dh + sh * (h - 1) + 1:sh, j * dw:j * dw + sw * (w - 1) + 1:sw] \
                += xp.einsum("ngcyz,gco->ngoyz", x, weight[..., i, j])
    out = full.reshape(n, groups * o_g, *full.shape[3:])
    out = out[:, :, ph:out.shape[2] - ph, pw:out.shape[3] - pw]
    out = out + (0 if bias is None else bias.reshape(-1, 1, 1))
    return out if batched else out[0]


def _window_offsets(kernel_size, dilation, stride, blocks):
    """(row slice, column slice) of the padded image read by every window, per offset."""
    (kh, kw), (dh, dw), (sh, sw), (bh, bw) = (_pairs(kernel_size), _pairs(dilation),
                                               _pairs(stride), blocks)
    return [(slice(i * dh, i * dh + sh * (bh - 1) + 1, sh),
             slice(j * dw, j * dw + sw * (bw - 1) + 1, sw)) for i in range(kh) for j in range(kw)]


def _blocks(size, kernel_size, dilation, padding, stride):
    return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1 for n, k, d, p, s in zip(
        size, _pairs(kernel_size), _pairs(dilation), _pairs(padding), _pairs(stride)))


def _unfold_ref(xp, x, kernel_size, dilation=1, padding=0, stride=1):
    batched = x.ndim == 4
    x = x if batched else x[None]
    ph, pw = _pairs(padding)
    blocks = _blocks(x.shape[2:], kernel_size, dilation, padding, stride)
    x = xp.pad(x, [(0, 0), (0, 0), (ph, ph), (pw, pw)])
    offsets = _window_offsets(kernel_size, dilation, stride, blocks)
    windows = xp.stack([x[:, :, rows, columns] for rows, columns in offsets], axis=2)
    n, c = x.shape[:2]
    out = windows.reshape(n, c * len(offsets), blocks[0] * blocks[1])  # rows (c, offset)
    return out if batched else out[0]


def _fold_ref(xp, x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    batched = x.ndim == 3
    x = x if batched else x[None]
    (h, w), (ph, pw) = _pairs(output_size), _pairs(padding)
    blocks = _blocks((h, w), kernel_size, dilation, padding, stride)
    offsets = _window_offsets(kernel_size, dilation, stride, blocks)
    n, rows = x.shape[:2]
    x = x.reshape(n, rows // len(offsets), len(offsets), *blocks)
    out = xp.zeros((n, x.shape[1], h + 2 * ph, w + 2 * pw))
    for k, (rows, columns) in enumerate(offsets):
        out[:, :, rows, columns] += x[:, :, k]
    out = out[:, :, ph:ph + h, pw:pw + w]
    return out if batched else out[0]


def _conv2d_samples(make):
    image = (2, 3, 5, 6)
    return [SampleInput((make(*image), make(4, 3, 3, 3), make(4)), name="3x3"),
            SampleInput((make(*image), make(4, 3, 3, 3), make(4)),
                        {"stride": 2, "padding": 1}, name="stride2_padding1"),
            SampleInput((make(*image), make(4, 3, 2, 1)), {"dilation": 2},
                        name="2x1_dilation2_no_bias"),
            SampleInput((make(*image), make(4, 3, 3, 2)),
                        {"stride": (2, 1), "padding": (1, 0), "dilation": (1, 2)}, name="pairs"),
            SampleInput((make(2, 6, 4, 5), make(6, 2, 3, 3), make(6)), {"groups": 3},
                        name="groups3"),
            SampleInput((make(*image), make(6, 1, 3, 3)), {"groups": 3, "padding": 1},
                        name="depthwise"),
            SampleInput((make(*image), make(4, 3, 2, 2), make(4)), {"padding": "same"},
                        name="same_even_kernel"),
            SampleInput((make(*image), make(4, 3, 3, 2)), {"padding": "same", "dilation": 2},
                        name="same_dilation2"),
            SampleInput((make(*image), make(4, 3, 3, 3)), {"padding": "valid"}, name="valid"),
            SampleInput((make(3, 5, 6), make(4, 3, 3, 3), make(4)), name="unbatched"),
            SampleInput((make(1, 1, 1, 1), make(1, 1, 1, 1), make(1)), name="one_element"),
            SampleInput((make(0, 3, 5, 6), make(4, 3, 3, 3), make(4)), name="empty_batch")]


def _conv1d_samples(make):
    return [SampleInput((make(2, 3, 7), make(4, 3, 3), make(4)), name="k3"),
            SampleInput((make(2, 3, 7), make(4, 3, 3)), {"stride": 2, "padding": 1},
                        name="stride2_padding1_no_bias"),
            SampleInput((make(2, 6, 7), make(3, 2, 2), make(3)), {"groups": 3, "dilation": 2},
                        name="groups3_dilation2"),
            SampleInput((make(2, 3, 7), make(4, 3, 2)), {"padding": "same"},
                        name="same_even_kernel"),
            SampleInput((make(3, 7), make(4, 3, 3), make(4)), name="unbatched"),
            SampleInput((make(0, 3, 7), make(4, 3, 3)), name="empty_batch")]


def _conv_transpose2d_samples(make):
    image = (2, 3, 4, 5)
    return [SampleInput((make(*image), make(3, 2, 3, 3), make(2)), name="3x3"),
            SampleInput((make(*image), make(3, 2, 3, 3), make(2)),
                        {"stride": 2, "padding": 1, "output_padding": 1},
                        name="stride2_padding1_output_padding1"),
            SampleInput((make(*image), make(3, 2, 2, 1)), {"dilation": 2, "output_padding": 1},
                        name="2x1_dilation2_no_bias"),
            SampleInput((make(*image), make(3, 2, 3, 2), make(6)),
                        {"groups": 3, "stride": (2, 1), "padding": (0, 1)}, name="groups3_pairs"),
            SampleInput((make(3, 4, 5), make(3, 2, 3, 3)), name="unbatched"),
            SampleInput((make(1, 1, 1, 1), make(1, 1, 1, 1), make(1)), name="one_element"),
            SampleInput((make(0, 3, 4, 5), make(3, 2, 3, 3), make(2)), name="empty_batch")]


def _unfold_samples(make):
    return [SampleInput((make(2, 3, 5, 6),), {"kernel_size": 3}, name="3x3"),
            SampleInput((make(2, 3, 5, 6),),
                        {"kernel_size": (2, 3), "dilation": 2, "padding": 1, "stride": 2},
                        name="2x3_dilation2_padding1_stride2"),
            SampleInput((make(3, 5, 6),), {"kernel_size": 2, "stride": (1, 2)},
                        name="unbatched"),
            SampleInput((make(1, 1, 1, 1),), {"kernel_size": 1}, name="one_element"),
            SampleInput((make(0, 3, 5, 6),), {"kernel_size": 3}, name="empty_batch")]


def _fold_samples(make):
    return [SampleInput((make(2, 12, 12),), {"output_size": (4, 5), "kernel_size": 2},
                        name="2x2_overlapping"),
            SampleInput((make(2, 18, 6),),
                        {"output_size": (5, 6), "kernel_size": (2, 3), "dilation": 2,
                         "padding": 1, "stride": 2}, name="2x3_dilation2_padding1_stride2"),
            SampleInput((make(8, 6),), {"output_size": (4, 6), "kernel_size": 2, "stride": 2},
                        name="unbatched_tiles"),
            SampleInput((make(1, 1, 1),), {"output_size": 1, "kernel_size": 1},
                        name="one_element"),
            SampleInput((make(0, 12, 12),), {"output_size": (4, 5), "kernel_size": 2},
                        name="empty_batch")]


def _torch_f(name):
    def call(torch, *args, **kwargs):
        with warnings.catch_warnings():
            # NOTE: torch warns that "same" padding of an even kernel copies the input
            warnings.filterwarnings("ignore", "Using padding='same'", UserWarning)
            return getattr(torch.nn.functional, name)(*args, **kwargs)
    return call


OPS = [
    OpInfo("conv2d", F.conv2d, convolution.Conv2d, _conv_ref, _conv2d_samples,
           torch_op=_torch_f("conv2d"), forward_rtol32=1e-4),
    OpInfo("conv1d", F.conv1d, convolution.Conv1d, _conv_ref, _conv1d_samples,
           torch_op=_torch_f("conv1d"), forward_rtol32=1e-4),
    OpInfo("conv_transpose2d", F.conv_transpose2d, convolution.ConvTranspose2d,
           _conv_transpose_ref, _conv_transpose2d_samples, torch_op=_torch_f("conv_transpose2d"),
           forward_rtol32=1e-4),
    OpInfo("unfold", F.unfold, convolution.Unfold, _unfold_ref, _unfold_samples,
           torch_op=_torch_f("unfold")),
    OpInfo("fold", F.fold, convolution.Fold, _fold_ref, _fold_samples,
           torch_op=_torch_f("fold")),
]

IMAGES = ((2, 3, 6, 7), (3, 6, 7))  # a batch, and one unbatched image

MODULES = [
    ModuleInfo("Conv2d", lambda nn: nn.Conv2d(3, 4, 3), input_shapes=IMAGES, scale=1.0),
    ModuleInfo("Conv2d-stride_padding_dilation", lambda nn: nn.Conv2d(
        3, 4, (3, 2), stride=2, padding=1, dilation=(1, 2)), input_shapes=IMAGES, scale=1.0),
    ModuleInfo("Conv2d-groups_no_bias", lambda nn: nn.Conv2d(4, 6, 3, groups=2, bias=False),
               input_shapes=((2, 4, 5, 6),), scale=1.0),
    ModuleInfo("Conv2d-depthwise_same", lambda nn: nn.Conv2d(3, 3, 3, padding="same", groups=3),
               input_shapes=IMAGES, scale=1.0),
    ModuleInfo("Conv2d-reflect", lambda nn: nn.Conv2d(3, 4, 3, padding=(1, 2),
                                                      padding_mode="reflect"),
               input_shapes=IMAGES, scale=1.0),
    ModuleInfo("Conv2d-replicate_same", lambda nn: nn.Conv2d(
        3, 4, 2, padding="same", padding_mode="replicate"), input_shapes=IMAGES, scale=1.0),
    ModuleInfo("Conv2d-circular_stride2", lambda nn: nn.Conv2d(
        3, 4, 3, stride=2, padding=1, padding_mode="circular"), input_shapes=IMAGES, scale=1.0),
    ModuleInfo("Conv1d", lambda nn: nn.Conv1d(3, 4, 3, padding=1),
               input_shapes=((2, 3, 9), (3, 9)), scale=1.0),
    ModuleInfo("Conv1d-circular_stride2", lambda nn: nn.Conv1d(
        3, 4, 3, stride=2, padding=2, padding_mode="circular"),
        input_shapes=((2, 3, 9),), scale=1.0),
    ModuleInfo("ConvTranspose2d", lambda nn: nn.ConvTranspose2d(
        3, 4, 3, stride=2, padding=1, output_padding=1), input_shapes=IMAGES, scale=1.0),
    ModuleInfo("ConvTranspose2d-groups_dilation_no_bias", lambda nn: nn.ConvTranspose2d(
        4, 6, (3, 2), groups=2, dilation=2, bias=False), input_shapes=((2, 4, 5, 6),),
        scale=1.0),
    ModuleInfo("Unfold", lambda nn: nn.Unfold((2, 3), padding=1, stride=2), input_shapes=IMAGES),
    ModuleInfo("Fold", lambda nn: nn.Fold((5, 6), 2), input_shapes=((2, 12, 20), (12, 20))),
]
