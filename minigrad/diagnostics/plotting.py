"""The one place diagnostics touch matplotlib (an optional dependency): axes, line colours."""


def axes(ax=None):
    """``ax``, or a new figure's axes when None."""
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise ImportError("plotting needs matplotlib: pip install 'minigrad[demo]'") from err
    return plt.subplots(figsize=(7, 4))[1]


DISTINCT = 10  # matplotlib's default cycle has ten colours; more lines would repeat them


def depth_colors(ax, count):
    """Give ``ax`` a colour cycle for ``count`` lines in layer order: the default colours
    when they are distinct enough, else a ramp (dark = input side, light = output side)."""
    if count <= DISTINCT:
        return
    from matplotlib import colormaps  # NOTE: only called once axes() has found matplotlib

    ramp = colormaps["viridis"]
    ax.set_prop_cycle(color=[ramp(0.9 * i / (count - 1)) for i in range(count)])
