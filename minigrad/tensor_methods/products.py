"""Products and fused arithmetic: ``mm``, ``bmm``, ``dot``, ``addmm``, ``lerp``..."""


class ProductMethods:
    """The methods of this area; a mixin with no state."""

    __slots__ = ()
