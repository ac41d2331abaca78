"""``sweep``: run a function over every combination of settings and collect a table."""

import itertools


def sweep(run, grid, progress=True, as_frame=False):
    """Call ``run(**settings)`` for each combination in ``grid`` (name -> list of values).

    ``run`` returns a dict of results; each row of the returned table is the settings and
    the results together. With ``progress`` a tqdm bar shows (when tqdm is installed); with
    ``as_frame`` the table is a pandas DataFrame (pandas needed), else a list of dicts.

    >>> sweep(train, {"max_norm": [0.5, 1, 5], "scheduler": ["step", "cyclic"]})
    """
    names = list(grid)
    combinations = list(itertools.product(*(grid[name] for name in names)))
    bar = None
    if progress:
        try:
            from tqdm import tqdm  # the text bar: tqdm.auto warns in kernels without widgets

            bar = tqdm(total=len(combinations), desc="sweep")
        except ImportError:
            bar = None
    rows = []
    for values in combinations:
        settings = dict(zip(names, values))
        rows.append({**settings, **run(**settings)})
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    if as_frame:
        import pandas

        return pandas.DataFrame(rows)
    return rows
