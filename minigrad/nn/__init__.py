"""Neural-network building blocks, as ``torch.nn``: Module, Parameter, layers, losses,
``functional`` (``F``), ``init`` and ``utils``. Each layer family in ``layers/`` lists its
classes in its ``__all__``, and they are all exported here: a new layer needs no edit here."""

# NOTE: star imports driven by each family's __all__ (see minigrad/ops/__init__.py)
from minigrad.nn import functional, init, layers, parallel, utils
from minigrad.nn.layers.activation import *  # noqa: F403
from minigrad.nn.layers.activation_piecewise import *  # noqa: F403
from minigrad.nn.layers.activation_smooth import *  # noqa: F403
from minigrad.nn.layers.attention import *  # noqa: F403
from minigrad.nn.layers.container import *  # noqa: F403
from minigrad.nn.layers.convolution import *  # noqa: F403
from minigrad.nn.layers.dropout import *  # noqa: F403
from minigrad.nn.layers.embedding import *  # noqa: F403
from minigrad.nn.layers.lazy import *  # noqa: F403
from minigrad.nn.layers.linear import *  # noqa: F403
from minigrad.nn.layers.loss import *  # noqa: F403
from minigrad.nn.layers.normalization import *  # noqa: F403
from minigrad.nn.layers.normalization_group import *  # noqa: F403
from minigrad.nn.layers.parameter_container import *  # noqa: F403
from minigrad.nn.layers.pooling import *  # noqa: F403
from minigrad.nn.layers.recurrent import *  # noqa: F403
from minigrad.nn.layers.shape import *  # noqa: F403
from minigrad.nn.layers.sync_batchnorm import *  # noqa: F403
from minigrad.nn.layers.transformer import *  # noqa: F403
from minigrad.nn.module import Module
from minigrad.nn.parameter import Parameter, UninitializedBuffer, UninitializedParameter

__all__ = ["functional", "init", "parallel", "utils", "Module", "Parameter", "UninitializedBuffer",
           "UninitializedParameter", *layers.lazy.__all__,
           *layers.container.__all__, *layers.linear.__all__, *layers.activation.__all__,
           *layers.normalization.__all__, *layers.dropout.__all__, *layers.loss.__all__,
           *layers.recurrent.__all__, *layers.parameter_container.__all__,
           *layers.shape.__all__, *layers.activation_piecewise.__all__,
           *layers.activation_smooth.__all__, *layers.embedding.__all__,
           *layers.normalization_group.__all__, *layers.convolution.__all__,
           *layers.pooling.__all__, *layers.attention.__all__, *layers.transformer.__all__,
           *layers.sync_batchnorm.__all__]
