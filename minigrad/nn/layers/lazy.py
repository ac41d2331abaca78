"""Lazy layers, as PyTorch's: ``LazyLinear``, ``LazyConv1d``, ``LazyConv2d``,
``LazyBatchNorm1d`` and ``LazyBatchNorm2d`` read their input size from the first input.

Until that first call their weights are ``UninitializedParameter``s (their running
statistics ``UninitializedBuffer``s). The call materializes them in place, so an optimizer
built before it holds the very objects that get trained, initializes them as the eager
layer does, and turns the module into that layer (``cls_to_become``): a ``LazyLinear``
is a ``Linear`` from then on. A state dict of shaped tensors loaded before the first call
materializes the weights with the state dict's shapes instead.
"""

from minigrad import creation, dtypes
from minigrad.nn.layers.convolution import Conv1d, Conv2d
from minigrad.nn.layers.linear import Linear
from minigrad.nn.layers.normalization import BatchNorm1d, BatchNorm2d, _BatchNorm
from minigrad.nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy

__all__ = ["LazyBatchNorm1d", "LazyBatchNorm2d", "LazyConv1d", "LazyConv2d", "LazyLinear"]


class LazyModuleMixin:
    """What every lazy layer does: a forward pre-hook that calls ``initialize_parameters``
    with the first input, checks nothing stayed uninitialized, removes itself and swaps
    the class to ``cls_to_become``; uninitialized tensors in the state dict; and
    materialization by ``load_state_dict``."""

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters)

    def initialize_parameters(self, *args, **kwargs):
        """Give the uninitialized tensors their shapes, read from the first input."""
        raise NotImplementedError(
            f"initialize_parameters is not implemented for {type(self).__name__}")

    def has_uninitialized_params(self):
        """Whether a parameter or buffer of this module still waits for its shape."""
        return any(is_lazy(t) for t in (*self._parameters.values(), *self._buffers.values()))

    def _infer_parameters(self, module, args):
        module.initialize_parameters(*args)
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        del module._initialize_hook
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def _materialize(self, shapes):
        """Give each named tensor still uninitialized its shape, then initialize the layer as
        the eager one does."""
        for name, shape in shapes.items():
            tensor = getattr(self, name)
            if is_lazy(tensor):
                tensor.materialize(shape)
        self.reset_parameters()

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        # NOTE: an uninitialized tensor has no values to copy: it goes in itself, as in PyTorch
        for name, tensor in self._local_state().items():
            keep = keep_vars or is_lazy(tensor)
            destination[prefix + name] = tensor if keep else tensor.numpy().copy()

    def _materialize_for_load(self, state_dict, prefix):
        for name, tensor in self._local_state().items():
            value = state_dict.get(prefix + name)
            if is_lazy(tensor) and value is not None and not is_lazy(value):
                tensor.materialize(tuple(value.shape))


class LazyLinear(LazyModuleMixin, Linear):
    """A ``Linear`` whose ``in_features`` is the last dim of its first input; weight and bias
    are then initialized as ``Linear``'s."""

    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        super().__init__(0, 0, False)  # NOTE: no bias yet: it comes as a placeholder below
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            self.in_features = input.shape[-1]
            self._materialize({"weight": (self.out_features, self.in_features),
                               "bias": (self.out_features,)})
        else:  # NOTE: loaded from a state dict: the size is the weight's (forward checks it)
            self.in_features = self.weight.shape[-1]


class _LazyConv(LazyModuleMixin):
    """A convolution whose ``in_channels`` is the channel dim of its first input (dim 1, or
    dim 0 of an unbatched input)."""

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False,
                         padding_mode, device=device, dtype=dtype)
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def _in_channels(self, input):
        unbatched = self.dims + 1
        if input.ndim not in (unbatched, unbatched + 1):
            raise RuntimeError(f"Expected {unbatched}D (unbatched) or {unbatched + 1}D "
                               f"(batched) input to {type(self).__name__}, but got input of "
                               f"size: {tuple(input.shape)}")
        return input.shape[input.ndim - unbatched]

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            self.in_channels = self._in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            self._materialize({"weight": (self.out_channels, self.in_channels // self.groups,
                                          *self.kernel_size),
                               "bias": (self.out_channels,)})
        else:  # NOTE: loaded from a state dict
            self.in_channels = self.weight.shape[1] * self.groups


class LazyConv1d(_LazyConv, Conv1d):
    """A ``Conv1d`` whose ``in_channels`` is read from the first input."""

    cls_to_become = Conv1d


class LazyConv2d(_LazyConv, Conv2d):
    """A ``Conv2d`` whose ``in_channels`` is read from the first input."""

    cls_to_become = Conv2d


class _LazyBatchNorm(LazyModuleMixin, _BatchNorm):
    """A batch norm whose ``num_features`` is dim 1 of its first input: ``weight`` and
    ``bias`` (when ``affine``) and the running statistics (when ``track_running_stats``)
    wait for it; ``num_batches_tracked`` needs no shape and exists from the start."""

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True):
        # NOTE: built without parameters or statistics: placeholders take their places below
        super().__init__(0, eps, momentum, False, False, device, dtype, bias=False)
        self.affine, self.track_running_stats = affine, track_running_stats
        place = {"device": device, "dtype": dtype}
        if affine:
            self.weight = UninitializedParameter(**place)
            if bias:
                self.bias = UninitializedParameter(**place)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(**place)
            self.running_var = UninitializedBuffer(**place)
            self.num_batches_tracked = creation.zeros((), dtype=dtypes.int64, device=device)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        self._check_input_dim(input)
        shaped = [t for t in (self.weight, self.running_mean) if t is not None and not is_lazy(t)]
        # NOTE: loaded from a state dict, the size is the tensors'; with neither affine
        # parameters nor statistics there is nothing to shape, and the size is the input's
        self.num_features = shaped[0].shape[0] if shaped else input.shape[1]
        if self.has_uninitialized_params():
            self._materialize(dict.fromkeys(("weight", "bias", "running_mean", "running_var"),
                                            (self.num_features,)))


class LazyBatchNorm1d(_LazyBatchNorm):
    """A ``BatchNorm1d`` whose ``num_features`` is read from the first (N, C) or (N, C, L)
    input."""

    cls_to_become = BatchNorm1d
    input_ranks = BatchNorm1d.input_ranks


class LazyBatchNorm2d(_LazyBatchNorm):
    """A ``BatchNorm2d`` whose ``num_features`` is read from the first (N, C, H, W) input."""

    cls_to_become = BatchNorm2d
    input_ranks = BatchNorm2d.input_ranks
