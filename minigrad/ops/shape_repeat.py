"""Shape ops that repeat or broadcast values: expand, repeat, repeat_interleave, tile,
broadcast_to."""

__all__ = []
