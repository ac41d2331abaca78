"""Shape ops that move or split values without changing them: narrow, flip, roll, movedim,
swapaxes, t, chunk, split."""

__all__ = []
