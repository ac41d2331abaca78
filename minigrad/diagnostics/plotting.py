"""The one place diagnostics touch matplotlib (an optional dependency)."""


def axes(ax=None):
    """``ax``, or a new figure's axes when None."""
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise ImportError("plotting needs matplotlib: pip install 'minigrad[demo]'") from err
    return plt.subplots(figsize=(7, 4))[1]
