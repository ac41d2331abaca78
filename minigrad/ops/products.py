"""Matrix and vector products: mm, bmm, mv, dot, outer, addmm, baddbmm, einsum."""

__all__ = []
