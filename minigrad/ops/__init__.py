"""Every differentiable op, one family per module; each is a ``Function`` plus the
snake_case function users call."""

from minigrad.ops import activation, elementwise, indexing, linalg, reduction, shape
from minigrad.ops.activation import elu, gelu, leaky_relu, log_softmax, relu, sigmoid, softmax, tanh
from minigrad.ops.elementwise import (
    abs,
    add,
    cast,
    clamp,
    compare,
    div,
    exp,
    log,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    sqrt,
    sub,
    where,
)
from minigrad.ops.indexing import getitem
from minigrad.ops.linalg import matmul
from minigrad.ops.reduction import argmax, argmin, max, mean, min, sum, var
from minigrad.ops.shape import (
    cat,
    flatten,
    permute,
    reshape,
    squeeze,
    stack,
    transpose,
    unbind,
    unsqueeze,
)

__all__ = [
    "activation", "elementwise", "indexing", "linalg", "reduction", "shape",
    "abs", "add", "argmax", "argmin", "cast", "cat", "clamp", "compare", "div", "elu", "exp",
    "flatten", "gelu", "getitem", "leaky_relu", "log", "log_softmax", "matmul", "max",
    "maximum", "mean", "min", "minimum", "mul", "neg", "permute", "pow", "relu", "reshape",
    "sigmoid", "softmax", "sqrt", "squeeze", "stack", "sub", "sum", "tanh", "transpose",
    "unbind", "unsqueeze", "var", "where",
]
