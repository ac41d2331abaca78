"""``sweep``: run a function over every combination of settings and collect a table.

The runs can go to any ``concurrent.futures.Executor`` (a ``ProcessPoolExecutor``, Dask's
``Client.get_executor()``, Ray's ``RayExecutor``): each run is seeded from its own settings,
so the table is the same however and wherever the runs are scheduled.
"""

import concurrent.futures
import functools
import hashlib
import itertools

from minigrad.backends import get_rng_state, manual_seed, set_rng_state


def sweep(run, grid, progress=True, as_frame=False, executor=None, seed=0):
    """Call ``run(**settings)`` for each combination in ``grid`` (name -> list of values).

    ``run`` returns a dict of results; each row of the returned table is the settings and
    the results together, in grid order. A run that raises gives the row of its settings
    and ``"error"`` (the exception's type and message) and the others still run. With
    ``progress`` a tqdm bar (when tqdm is installed) advances as runs finish; with
    ``as_frame`` the table is a pandas DataFrame (pandas needed), else a list of dicts.

    ``executor`` (any ``concurrent.futures.Executor``) runs them in parallel; ``None`` runs
    them here, one after another. A process pool pickles ``run`` and its results, so define
    ``run`` at the top level of a module (not a lambda, a closure or a notebook cell with the
    ``spawn`` start method); Dask and Ray pickle with cloudpickle and take those too. A
    thread pool would share minigrad's one generator between runs, so it cannot reproduce.

    Before each run ``mg.manual_seed`` gets a seed made from ``seed`` and the settings' repr
    (not Python's salted ``hash``), so a run draws the same numbers serially or in any
    worker; ``seed=None`` leaves the generator alone. Run here, the caller's random state is
    put back afterwards.

    >>> sweep(train, {"max_norm": [0.5, 1, 5], "scheduler": ["step", "cyclic"]})
    >>> with ProcessPoolExecutor(2) as pool:
    ...     rows = sweep(train, grid, executor=pool)   # the same rows, about twice as fast
    """
    names = list(grid)
    cells = [dict(zip(names, values))
             for values in itertools.product(*(grid[name] for name in names))]
    seeds = [None if seed is None else settings_seed(settings, seed) for settings in cells]
    bar = _progress_bar(len(cells)) if progress else None
    outcomes = [None] * len(cells)
    if executor is None:
        saved = get_rng_state()
        try:
            for index, (settings, cell_seed) in enumerate(zip(cells, seeds)):
                outcomes[index] = _outcome(functools.partial(seeded_run, run, settings,
                                                             cell_seed))
                if bar is not None:
                    bar.update(1)
        finally:
            set_rng_state(saved)
    else:
        futures = {executor.submit(seeded_run, run, settings, cell_seed): index
                   for index, (settings, cell_seed) in enumerate(zip(cells, seeds))}
        for future in concurrent.futures.as_completed(futures):
            outcomes[futures[future]] = _outcome(future.result)
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()
    rows = [{**settings, **outcome} for settings, outcome in zip(cells, outcomes)]
    if as_frame:
        import pandas

        return pandas.DataFrame(rows)
    return rows


def settings_seed(settings, seed=0):
    """The 64-bit seed of one cell: a digest of ``seed`` and the settings' repr, the same in
    every process and session (for settings whose repr is, such as numbers and strings)."""
    text = repr((seed, sorted(settings.items(), key=lambda item: item[0])))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def seeded_run(run, settings, cell_seed):
    """What a worker executes: seed minigrad (unless ``cell_seed`` is None), then run."""
    if cell_seed is not None:
        manual_seed(cell_seed)
    result = run(**settings)
    if not isinstance(result, dict):
        raise TypeError(f"sweep: run must return a dict of results, but for {settings} it "
                        f"returned {type(result).__name__}")
    return result


def _outcome(call):
    """``call()``'s result dict, or ``{"error": "Type: message"}`` when it raises."""
    try:
        return call()
    except Exception as error:  # NOTE: one failed run must not lose the others' results
        return {"error": f"{type(error).__name__}: {error}"}


def _progress_bar(total):
    try:
        from tqdm import tqdm  # the text bar: tqdm.auto warns in kernels without widgets
    except ImportError:
        return None
    return tqdm(total=total, desc="sweep")
