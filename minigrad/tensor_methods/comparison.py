"""Comparisons and logic by name: ``eq``, ``lt``, ``isclose``, ``logical_and``..."""


class ComparisonMethods:
    """The methods of this area; a mixin with no state."""

    __slots__ = ()
