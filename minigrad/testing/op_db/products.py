"""Registry entries of mm, bmm, mv, dot, outer, addmm, baddbmm and einsum
(``minigrad/ops/products.py``). mm, bmm, mv and dot run ``matmul``'s Function."""

import minigrad as mg
from minigrad.ops import linalg, products
from minigrad.testing.op_db.base import OpInfo, SampleInput


def _pair(*shapes):
    """Samples of a two-operand product, one per ``(name, shape_a, shape_b)``."""
    def samples(make):
        return [SampleInput((make(*a), make(*b)), name=name) for name, a, b in shapes]
    return samples


_MM = _pair(("square", (3, 3), (3, 3)), ("rectangular", (2, 4), (4, 3)),
            ("one_element", (1, 1), (1, 1)), ("empty_inner", (2, 0), (0, 3)),
            ("empty_rows", (0, 3), (3, 2)))
_BMM = _pair(("batched", (2, 3, 4), (2, 4, 5)), ("one_batch", (1, 2, 2), (1, 2, 3)),
             ("empty_batch", (0, 2, 3), (0, 3, 2)))
_MV = _pair(("matrix_vector", (3, 4), (4,)), ("one_element", (1, 1), (1,)),
            ("empty", (0, 3), (3,)))
_DOT = _pair(("vectors", (5,), (5,)), ("one_element", (1,), (1,)), ("empty", (0,), (0,)))
_OUTER = _pair(("vectors", (3,), (4,)), ("one_element", (1,), (1,)), ("empty", (0,), (3,)))


def _addmm_samples(make):
    return [SampleInput((make(2, 3), make(2, 4), make(4, 3)), name="full_input"),
            SampleInput((make(3), make(2, 4), make(4, 3)), name="broadcast_row"),
            SampleInput((make(2, 1), make(2, 4), make(4, 3)), {"beta": 0.5, "alpha": -2.0},
                        name="broadcast_column_scaled"),
            SampleInput((make(), make(1, 1), make(1, 1)), name="scalar_input"),
            SampleInput((make(2, 3), make(2, 4), make(4, 3)), {"beta": 0}, name="beta_zero")]


def _baddbmm_samples(make):
    return [SampleInput((make(2, 3, 2), make(2, 3, 4), make(2, 4, 2)), name="full_input"),
            SampleInput((make(3, 1), make(2, 3, 4), make(2, 4, 2)), {"alpha": 0.5},
                        name="broadcast_scaled"),
            SampleInput((make(), make(1, 2, 2), make(1, 2, 2)), {"beta": -1.5},
                        name="scalar_input")]


def _einsum_samples(make):
    """The subscripts small models use, with implicit outputs and ``...``."""
    cases = [("ij,jk->ik", (2, 3), (3, 4)), ("bij,bjk->bik", (2, 2, 3), (2, 3, 2)),
             ("i,i->", (4,), (4,)), ("i,j->ij", (3,), (2,)), ("bi,bi->b", (3, 4), (3, 4)),
             ("ii->i", (3, 3)), ("ij->ji", (2, 3)), ("ij,jk", (2, 3), (3, 2)), ("ba", (2, 3)),
             ("...ij,...jk->...ik", (2, 2, 3), (3, 2)), ("...i->i", (2, 3, 4)),
             ("ii", (3, 3)), ("iij,j->i", (2, 2, 3), (3,)), ("ij->i", (2, 3)),
             ("bij,bij->ij", (1, 2, 3), (4, 2, 3)), ("i,i->i", (0,), (0,))]
    return [SampleInput(tuple(make(*shape) for shape in shapes), {"equation": equation},
                        name=equation.replace(",", "_").replace("->", "_to_")
                        .replace("...", "ellipsis") or "empty")
            for equation, *shapes in cases]


def _torch_add_product(name):
    def run(torch, input, m1, m2, beta=1, alpha=1):
        return getattr(torch, name)(input, m1, m2, beta=beta, alpha=alpha)
    return run


def _add_product_ref(xp, input, m1, m2, beta=1, alpha=1):
    product = alpha * (m1 @ m2)
    return product if beta == 0 else beta * input + product


def _einsum_ref(xp, *operands, equation):
    # NOTE: NumPy's unoptimized einsum refuses to sum an ellipsis away ('...i->i')
    return xp.einsum(equation, *operands, optimize=True)


OPS = [
    OpInfo("mm", mg.mm, linalg.MatMul, lambda xp, a, b: a @ b, _MM,
           torch_op=lambda torch, a, b: torch.mm(a, b)),
    OpInfo("bmm", mg.bmm, linalg.MatMul, lambda xp, a, b: a @ b, _BMM,
           torch_op=lambda torch, a, b: torch.bmm(a, b)),
    OpInfo("mv", mg.mv, linalg.MatMul, lambda xp, a, v: a @ v, _MV,
           torch_op=lambda torch, a, v: torch.mv(a, v)),
    OpInfo("dot", mg.dot, linalg.MatMul, lambda xp, a, b: xp.sum(a * b), _DOT,
           torch_op=lambda torch, a, b: torch.dot(a, b)),
    OpInfo("outer", mg.outer, products.Outer, lambda xp, a, b: a[:, None] * b[None, :], _OUTER,
           torch_op=lambda torch, a, b: torch.outer(a, b)),
    OpInfo("addmm", mg.addmm, products.Addmm, _add_product_ref, _addmm_samples,
           torch_op=_torch_add_product("addmm")),
    OpInfo("baddbmm", mg.baddbmm, products.Baddbmm, _add_product_ref, _baddbmm_samples,
           torch_op=_torch_add_product("baddbmm")),
    OpInfo("einsum", lambda *operands, equation: mg.einsum(equation, *operands),
           products.Einsum, _einsum_ref,
           _einsum_samples,
           torch_op=lambda torch, *operands, equation: torch.einsum(equation, *operands)),
]

MODULES = []  # no layer of its own
