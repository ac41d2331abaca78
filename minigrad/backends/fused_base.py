"""Shapes of fused kernels shared by the accelerated backends.

A backend fills in the compiled loops (``forward_loop``/``backward_loop``); these classes
do the bookkeeping around them with the backend's own array namespace ``ctx.xp``: when to
fuse, flattening, what to save, what backward returns. They stand in for the generic
Function with the same op name and signature, and fall back to it (``ctx.fn``, the Function
being applied: the backend layer never imports an op) for the layouts they do not cover,
for dtypes other than float32 and float64, and for sizes where measurement showed the
generic code faster. Small arrays are fused too: a compiled Numba call costs about 1 µs,
less than the several NumPy calls of the generic op it replaces, and on a GPU one kernel
launch beats several.
"""

def compiled_dtype(array):
    """Whether the kernels are built for ``array``'s dtype: float32 and float64 (type
    codes "f" and "d"; ``dtype.name`` would cost microseconds per call)."""
    char = array.dtype.char
    return char == "f" or char == "d"


def flat(xp, array):
    return xp.ascontiguousarray(array).reshape(-1)


def rows(xp, array, width):
    return xp.ascontiguousarray(array).reshape(-1, width)


class FusedElementwise:
    """An elementwise op (an activation) as one compiled pass forward and one backward.

    ``forward_loop(x, params, y)`` and ``backward_loop(x, y, params, g_y, g_x)`` work on
    flat arrays and write their last argument. Every float32 and float64 array is fused:
    measured from 1e3 to 1e6 elements, a compiled elementwise loop's cost per element did
    not change with size, so an op's loop wins or loses at every size (bench/kernels.py),
    and an op whose loop loses has no kernel at all.
    """

    @classmethod
    def forward(cls, ctx, x, *params):
        ctx.fused = compiled_dtype(x)
        if not ctx.fused:
            return ctx.fn.forward(ctx, x, *params)
        x_flat = flat(ctx.xp, x)
        y = ctx.xp.empty_like(x_flat)
        cls.forward_loop(x_flat, params, y)
        ctx.save_for_backward(x_flat, y)
        ctx.shape, ctx.params = x.shape, params
        return y.reshape(x.shape)

    @classmethod
    def backward(cls, ctx, g_y):
        if not ctx.fused:
            return ctx.fn.backward(ctx, g_y)
        x, y = ctx.saved_tensors
        g_x = ctx.xp.empty_like(x)
        cls.backward_loop(x, y, ctx.params, flat(ctx.xp, g_y), g_x)
        return (g_x.reshape(ctx.shape),) + (None,) * len(ctx.params)


class FusedExactGelu(FusedElementwise):
    """GELU fused in its exact (erf) form; the tanh approximation runs the generic op."""

    @classmethod
    def forward(cls, ctx, x, approximate):
        if approximate == "tanh":
            ctx.fused = False
            return ctx.fn.forward(ctx, x, approximate)
        return super().forward(ctx, x, approximate)


class FusedRows:
    """A softmax-like op along the last axis: ``forward_loop(x_rows, y_rows)`` and
    ``backward_loop(y_rows, g_rows, g_x_rows)``, row by row; rows wider than ``max_width``
    take the generic op."""

    max_width = None  # None: no limit

    @classmethod
    def forward(cls, ctx, x, dim):
        ctx.fused = dim == x.ndim - 1 and compiled_dtype(x) and (
            cls.max_width is None or x.shape[-1] <= cls.max_width)
        if not ctx.fused:
            return ctx.fn.forward(ctx, x, dim)
        x_rows = rows(ctx.xp, x, x.shape[-1])
        y = ctx.xp.empty_like(x_rows)
        cls.forward_loop(x_rows, y)
        ctx.save_for_backward(y)
        ctx.shape = x.shape
        return y.reshape(x.shape)

    @classmethod
    def backward(cls, ctx, g_y):
        if not ctx.fused:
            return ctx.fn.backward(ctx, g_y)
        (y,) = ctx.saved_tensors
        g_x = ctx.xp.empty_like(y)
        cls.backward_loop(y, rows(ctx.xp, g_y, y.shape[1]), g_x)
        return g_x.reshape(ctx.shape), None
