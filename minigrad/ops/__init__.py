"""Every differentiable op, one family per module; each is a ``Function`` plus the
snake_case function users call. The families whose functions are called directly list
them in their ``__all__``, and this package exports them all: a new op in one of them needs
no edit here. (The losses, normalization and dropout are called through
``nn.functional``, which checks their arguments first.)"""

# NOTE: star imports driven by each family's __all__, so that the family file is the one
# place an op is declared and exported
from minigrad.ops import (
    activation,
    activation_piecewise,
    activation_smooth,
    attention,
    bitwise,
    comparison,
    convolution,
    diagonals,
    elementwise,
    embedding,
    gather_scatter,
    indexing,
    interpolation,
    linalg,
    normalization_group,
    pointwise,
    pointwise_rounding,
    pointwise_special,
    pointwise_ternary,
    pooling,
    products,
    reduction,
    shape,
    shape_move,
    shape_repeat,
    sorting,
    statistics,
)
from minigrad.ops.activation import *  # noqa: F403
from minigrad.ops.activation_piecewise import *  # noqa: F403
from minigrad.ops.activation_smooth import *  # noqa: F403
from minigrad.ops.attention import *  # noqa: F403
from minigrad.ops.bitwise import *  # noqa: F403
from minigrad.ops.comparison import *  # noqa: F403
from minigrad.ops.convolution import *  # noqa: F403
from minigrad.ops.diagonals import *  # noqa: F403
from minigrad.ops.elementwise import *  # noqa: F403
from minigrad.ops.embedding import *  # noqa: F403
from minigrad.ops.gather_scatter import *  # noqa: F403
from minigrad.ops.indexing import *  # noqa: F403
from minigrad.ops.interpolation import *  # noqa: F403
from minigrad.ops.linalg import *  # noqa: F403
from minigrad.ops.normalization_group import *  # noqa: F403
from minigrad.ops.pointwise import *  # noqa: F403
from minigrad.ops.pointwise_rounding import *  # noqa: F403
from minigrad.ops.pointwise_special import *  # noqa: F403
from minigrad.ops.pointwise_ternary import *  # noqa: F403
from minigrad.ops.pooling import *  # noqa: F403
from minigrad.ops.products import *  # noqa: F403
from minigrad.ops.reduction import *  # noqa: F403
from minigrad.ops.shape import *  # noqa: F403
from minigrad.ops.shape_move import *  # noqa: F403
from minigrad.ops.shape_repeat import *  # noqa: F403
from minigrad.ops.sorting import *  # noqa: F403
from minigrad.ops.statistics import *  # noqa: F403

__all__ = ["activation", "activation_piecewise", "activation_smooth", "elementwise", "indexing",
           "linalg", "reduction", "shape", "statistics",
           *activation.__all__, *activation_piecewise.__all__, *activation_smooth.__all__,
           *elementwise.__all__, *indexing.__all__, *linalg.__all__,
           "pointwise", "pointwise_special", *pointwise.__all__, *pointwise_special.__all__,
           "pointwise_rounding", *pointwise_rounding.__all__,
           *reduction.__all__, *shape.__all__, *statistics.__all__,
           "shape_repeat", "shape_move", "diagonals", "gather_scatter", "sorting",
           "products", "pointwise_ternary", "comparison", "embedding", "normalization_group",
           *shape_repeat.__all__,
           *shape_move.__all__,
           *diagonals.__all__,
           *gather_scatter.__all__,
           *sorting.__all__,
           *products.__all__,
           *pointwise_ternary.__all__,
           *comparison.__all__,
           *embedding.__all__,
           *normalization_group.__all__,
           "convolution", "pooling", "interpolation",
           *convolution.__all__, *pooling.__all__, *interpolation.__all__,
           "attention", *attention.__all__,
           "bitwise", *bitwise.__all__,
           ]
