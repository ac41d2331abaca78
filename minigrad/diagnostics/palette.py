"""Line colours for plots with one line per layer."""

DISTINCT = 10  # matplotlib's default cycle has ten colours; more lines would repeat them


def depth_colors(ax, count):
    """Give ``ax`` a colour cycle for ``count`` lines in layer order: the default colours
    when they are distinct enough, else a ramp (dark = input side, light = output side)."""
    if count <= DISTINCT:
        return
    from matplotlib import colormaps  # NOTE: only called once axes() has found matplotlib

    ramp = colormaps["viridis"]
    ax.set_prop_cycle(color=[ramp(0.9 * i / (count - 1)) for i in range(count)])
