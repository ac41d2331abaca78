"""New tensors like this one (``new_zeros``...) and in-place random fills (``normal_``)."""


class CreationMethods:
    """The methods of this area; a mixin with no state."""

    __slots__ = ()
