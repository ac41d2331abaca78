"""Shape and view methods beyond reshape: ``expand``, ``repeat``, ``flip``, ``tril``..."""


class ShapeMethods:
    """The methods of this area; a mixin with no state."""

    __slots__ = ()
