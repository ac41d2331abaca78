"""The Numba backend's fused kernels against the generic code they replace, op by op.

For every op name in the Numba backend's kernel table (``get_backend("numba").kernels``,
read at run time), one iteration is forward + backward through the op's public entry point
(``F.relu(x)``, ``F.softmax(x, -1)``, ``F.cross_entropy(x, t)``, ...): float32 input that
requires grad, one ``.backward(cotangent)`` with a fixed cotangent, gradients reset to
``None`` first; successive iterations take shuffled copies of the input in turn (a fixed
input lets the branch predictor learn its signs: ``input_variants``, ``--fixed-input``).
"fused" runs with the op's kernel in the table, "generic" with its key taken out for the
duration of the round (and put back after), so ``Function.apply`` falls back to the
generic Function. Three sizes each, so a crossover shows: small (1,024 elements, or
(32, 10) logits for the class losses), medium (~65,536) and large (~1,048,576); row ops
(softmax, log-softmax) use rows as wide as the Numba kernels fuse (32 and 16), and the class
losses 10 classes; the pools and conv2d take (N, C, H, W) images from (2, 3, 8, 8) to
(64, 16, 28, 28) (1-D pools, signals of ~1e3 to ~1e6 elements): 2x2 max pools, 3x3 windows
with stride 2 and padding 1, and a 3x3 conv2d to 16 channels with padding 1.

An op needs an input recipe in ``INPUTS`` (one line); a kernel without one gets a row that
says so instead of numbers. ``MORE_INPUTS`` adds rows for other layouts a kernel takes
(batch norm's images and volumes, and instance norm, which runs on it). Before timing,
each case checks once that the fused and generic paths agree (output and every gradient);
a disagreement is reported under the table.

Timing follows ``bench/README.md`` (``harness.measure``): one process, a warm-up, then
``--rounds`` rounds in which every case runs once per path, the path that goes first
alternating from round to round; medians over rounds. Nothing here asserts a timing.

    python bench/kernels.py [--quick] [--rounds 15] [--round-ms 40] [--only NAME ...]
                            [--fixed-input] [--json PATH] [--markdown PATH]
"""

import argparse
import itertools
import sys
from pathlib import Path

import harness
import numpy as np

import minigrad as mg
import minigrad.nn.functional as F

BACKEND = "numba"
FULL = {"rounds": 15, "round_ms": 40}
QUICK = {"rounds": 5, "round_ms": 15}
SIZES = ("small", "medium", "large")

# shapes per size and kind of op; the element counts are about 1e3, 6.5e4 and 1e6
ELEMENTWISE = {"small": (32, 32), "medium": (256, 256), "large": (1024, 1024)}
IMAGES = {"small": (4, 16, 4, 4), "medium": (16, 64, 8, 8), "large": (32, 32, 32, 32)}
SMALL_IMAGES = {"small": (16, 16, 2, 2), "medium": (256, 64, 2, 2), "large": (4096, 64, 2, 2)}
VOLUMES = {"small": (2, 8, 4, 4, 4), "medium": (8, 16, 8, 8, 8), "large": (8, 32, 16, 16, 16)}
# NOTE: rows as wide as the kernel fuses (softmax 32, log-softmax 16): wider rows go to the
# generic code, which the row would then time twice
ROWS = {"small": (32, 32), "medium": (2048, 32), "large": (32768, 32)}
NARROW_ROWS = {"small": (64, 16), "medium": (4096, 16), "large": (65536, 16)}
CLASSES = {"small": (32, 10), "medium": (6400, 10), "large": (102400, 10)}
# pools and convolutions: a tiny batch, then about 6.5e4 and 8e5 elements (the large one a
# LeNet/MNIST-sized feature map); 1-D pools on signals of about 1e3, 6.5e4 and 1e6
POOL_IMAGES = {"small": (2, 3, 8, 8), "medium": (16, 16, 16, 16), "large": (64, 16, 28, 28)}
SIGNALS = {"small": (4, 16, 16), "medium": (16, 64, 64), "large": (64, 64, 256)}
CONV_CHANNELS = 16  # a 3x3 conv2d to 16 channels, padding 1 (the map keeps its size)
ROW_WIDTHS = {"softmax": 32, "log_softmax": 16, "cross_entropy": 10}  # for the report
VARIANT_BYTES = 8 << 20  # per leaf, for the shuffled copies of the input (input_variants)
MAX_VARIANTS = 16


# ------------------------------------------------------------------------------- inputs
def _data(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _leaf(shape, seed=0):
    """A float32 leaf that requires grad, on the Numba backend."""
    return mg.tensor(_data(shape, seed), requires_grad=True, backend=BACKEND)


def _unary(fn, shapes):
    """A recipe: ``fn(x)`` on a leaf of ``shapes[size]``."""
    return lambda size: (fn, (_leaf(shapes[size]),))


def _batch_norm(size):
    shape = ELEMENTWISE[size]
    channels = shape[1]
    running_mean = mg.tensor(np.zeros(channels, np.float32), backend=BACKEND)
    running_var = mg.tensor(np.ones(channels, np.float32), backend=BACKEND)

    def fn(x, weight, bias):
        return F.batch_norm(x, running_mean, running_var, weight, bias, training=True)

    return fn, (_leaf(shape), _leaf(channels, 1), _leaf(channels, 2))


def _batch_norm_spatial(shapes, instance=False):
    """A recipe: training batch norm (or instance norm) of (N, C, *) leaves of
    ``shapes[size]``, with per-channel weight and bias."""
    def recipe(size):
        shape = shapes[size]
        channels = shape[1]

        def fn(x, weight, bias):
            if instance:
                return F.instance_norm(x, weight=weight, bias=bias)
            return F.batch_norm(x, None, None, weight, bias, training=True)

        return fn, (_leaf(shape), _leaf(channels, 1), _leaf(channels, 2))

    return recipe


def _layer_norm(size):
    shape = ELEMENTWISE[size]
    width = shape[-1]
    return ((lambda x, weight, bias: F.layer_norm(x, (width,), weight, bias)),
            (_leaf(shape), _leaf(width, 1), _leaf(width, 2)))


def _cross_entropy(size):
    rows, classes = CLASSES[size]
    labels = np.random.default_rng(3).integers(0, classes, rows)
    return F.cross_entropy, (_leaf((rows, classes)), mg.tensor(labels, backend=BACKEND))


def _conv2d(size):
    shape = POOL_IMAGES[size]
    weight = _leaf((CONV_CHANNELS, shape[1], 3, 3), 1)
    return ((lambda x, w, b: F.conv2d(x, w, b, padding=1)),
            (_leaf(shape), weight, _leaf(CONV_CHANNELS, 2)))


# op name (a key of the backend's kernel table) -> size -> (fn, args): fn(*args) is one
# forward through the op's public entry point; the float tensors in args that require grad
# are the leaves whose gradients backward computes
INPUTS = {
    "relu": _unary(F.relu, ELEMENTWISE),
    "leaky_relu": _unary(lambda x: F.leaky_relu(x, 0.01), ELEMENTWISE),
    "sigmoid": _unary(F.sigmoid, ELEMENTWISE),
    "gelu": _unary(F.gelu, ELEMENTWISE),  # the exact (erf) form; "tanh" is never fused
    "hardtanh": _unary(F.hardtanh, ELEMENTWISE),
    "hardswish": _unary(F.hardswish, ELEMENTWISE),
    "hardsigmoid": _unary(F.hardsigmoid, ELEMENTWISE),
    "threshold": _unary(lambda x: F.threshold(x, 0.1, 0.0), ELEMENTWISE),
    "softmax": _unary(lambda x: F.softmax(x, -1), ROWS),
    "log_softmax": _unary(lambda x: F.log_softmax(x, -1), NARROW_ROWS),
    "batch_norm": _batch_norm,
    "layer_norm": _layer_norm,
    "cross_entropy": _cross_entropy,
    "max_pool2d": _unary(lambda x: F.max_pool2d(x, 2), POOL_IMAGES),
    "max_pool1d": _unary(lambda x: F.max_pool1d(x, 2), SIGNALS),
    "conv2d": _conv2d,
}

# further inputs of a kernel, each with rows of its own: other layouts the kernel takes
MORE_INPUTS = {
    "batch_norm": {"images": _batch_norm_spatial(IMAGES),
                   "2x2 images": _batch_norm_spatial(SMALL_IMAGES),
                   "volumes": _batch_norm_spatial(VOLUMES),
                   "instance_norm": _batch_norm_spatial(IMAGES, instance=True)},
    "max_pool2d": {"3x3/2, padding 1": _unary(lambda x: F.max_pool2d(x, 3, 2, 1),
                                              POOL_IMAGES)},
}


# ------------------------------------------------------------------------------- cases
def kernel_table():
    """The Numba backend's kernel table, or None (with the reason) when Numba is missing."""
    try:
        return mg.backends.get_backend(BACKEND).kernels, None
    except mg.errors.BackendError as err:
        return None, str(err)


def _leaves(args):
    return [a for a in args if isinstance(a, mg.Tensor) and a.requires_grad]


def _step(fn, args, leaves, cotangent):
    for leaf in leaves:
        leaf.grad = None
    out = fn(*args)
    out.backward(cotangent)
    return out


def _kernel_state(kernels, op, original, fused):
    if fused:
        kernels[op] = original
    else:
        kernels.pop(op, None)


def input_variants(args, fixed=False):
    """``args`` and copies of it whose leaves hold the same values shuffled: the timed
    iterations take them in turn, as training takes a new batch every step. As many as fit
    in ``VARIANT_BYTES`` per leaf (up to ``MAX_VARIANTS``); only ``args`` when ``fixed``.

    NOTE: with one input repeated, this machine's branch predictor learns the sign pattern
    of up to ~3e4 elements: ``np.where`` on it ran at 1.5-2.3 ns per element against 5.5-6
    on fresh inputs, which made the generic sigmoid look 1.4x faster than the fused one at
    1e4 elements where on rotating inputs the fused one is 1.3x faster."""
    leaves = _leaves(args)
    if fixed or not leaves:
        return [args]
    largest = max(leaf.data.nbytes for leaf in leaves)
    count = max(2, min(MAX_VARIANTS, VARIANT_BYTES // max(largest, 1)))
    rng = np.random.default_rng(11)
    variants = [args]
    for _ in range(count - 1):
        variants.append(tuple(
            mg.tensor(rng.permutation(a.data.reshape(-1)).reshape(a.data.shape),
                      requires_grad=True, backend=BACKEND) if any(a is leaf for leaf in leaves)
            else a for a in args))
    return variants


def path_runner(kernels, op, fused, fn, variants, cotangent):
    """``run(n)``: n forward + backward iterations with the op's kernel in the table
    (``fused``) or out of it, taking the argument tuples of ``variants`` in turn; the table
    is restored after every call."""
    original = kernels[op]
    steps = [(args, _leaves(args)) for args in variants]
    count = len(steps)

    def run(n):
        _kernel_state(kernels, op, original, fused)
        try:
            for i in range(n):
                args, leaves = steps[i % count]
                _step(fn, args, leaves, cotangent)
        finally:
            kernels[op] = original

    return run


def _once(kernels, op, fused, fn, args, cotangent):
    """The output and the leaves' gradients of one iteration, as NumPy arrays."""
    original = kernels[op]
    _kernel_state(kernels, op, original, fused)
    try:
        out = _step(fn, args, _leaves(args), cotangent)
    finally:
        kernels[op] = original
    return [np.asarray(out.data)] + [np.asarray(leaf.grad.data) for leaf in _leaves(args)]


def agreement(kernels, op, fn, args, cotangent):
    """The largest difference between the fused and generic paths' output and gradients,
    relative to the generic values' largest magnitude (float32 rounding: ~1e-6)."""
    fused = _once(kernels, op, True, fn, args, cotangent)
    generic = _once(kernels, op, False, fn, args, cotangent)
    worst = 0.0
    for a, b in zip(fused, generic):
        if a.shape != b.shape:
            return float("inf")
        scale = max(float(np.max(np.abs(b), initial=0.0)), 1e-30)
        worst = max(worst, float(np.max(np.abs(a.astype(np.float64) - b), initial=0.0)) / scale)
    return worst


def build_cases(kernels, ops, fixed_input=False):
    """``({case id: {"generic": run, "fused": run}}, [row], ...)``: a row per op and size,
    or one row per op that cannot be timed (no recipe, or its recipe failed)."""
    cases, rows = {}, []
    for op in ops:
        if op not in INPUTS:
            rows.append({"op": op, "size": None, "problem": "no input recipe in `INPUTS`"})
            continue
        recipes = [(None, INPUTS[op]), *MORE_INPUTS.get(op, {}).items()]
        for (label, recipe), size in itertools.product(recipes, SIZES):
            case = f"{op}/{size}" if label is None else f"{op}/{label}/{size}"
            row = {"op": op, "size": size, "case": case, "input": label}
            try:
                fn, args = recipe(size)
                probe = fn(*args)
                cotangent = mg.tensor(_data(tuple(probe.shape), 7), backend=BACKEND)
                row["shape"] = list(next(a for a in args if isinstance(a, mg.Tensor)).shape)
                row["elements"] = int(np.prod(row["shape"]))
                row["rel_diff"] = agreement(kernels, op, fn, args, cotangent)
                variants = input_variants(args, fixed_input)
                row["inputs"] = len(variants)
            except Exception as err:  # NOTE: a broken recipe is reported, not raised
                row["problem"] = f"recipe failed: {type(err).__name__}: {err}"
                rows.append(row)
                continue
            cases[row["case"]] = {
                name: path_runner(kernels, op, name == "fused", fn, variants, cotangent)
                for name in ("generic", "fused")}
            rows.append(row)
    return cases, rows


def measure(kernels, ops, rounds, round_ms, fixed_input=False):
    cases, rows = build_cases(kernels, ops, fixed_input)
    per_iter, iterations = harness.measure(cases, rounds, round_ms) if cases else ({}, {})
    for row in rows:
        if "case" in row and "problem" not in row:
            times = per_iter[row["case"]]
            for name in ("generic", "fused"):
                row[name] = harness.time_stats(times[name], iterations[row["case"], name])
            row.update(harness.speedup(times["generic"], times["fused"]))
    return rows


# ------------------------------------------------------------------------------- reporting
TOLERANCE = 1e-4  # relative to the largest magnitude; float32 rounding is ~1e-6


def _shape_cell(row):
    shape = "×".join(str(d) for d in row["shape"])
    width = ROW_WIDTHS.get(row["op"])
    note = row.get("input") or (width and f"rows of {width}")
    return f"{shape} ({note})" if note else shape


def markdown_table(rows):
    lines = [["op", "size", "shape", "elements", "inputs", "generic µs", "fused µs",
              "fused speedup", "ratio IQR"]]
    previous = None
    for row in rows:
        op = row["op"] if row["op"] != previous else ""
        previous = row["op"]
        if "problem" in row:
            lines.append([op, row["size"] or "—", "—", "—", "—", "—", "—", "—",
                          row["problem"]])
            continue
        lines.append([
            op, row["size"], _shape_cell(row), f"{row['elements']:,}", str(row["inputs"]),
            f"{row['generic']['median_us']:,.1f}", f"{row['fused']['median_us']:,.1f}",
            f"{row['ratio']:.2f}", f"{row['ratio_q1']:.2f}–{row['ratio_q3']:.2f}"])
    return harness.markdown_table(lines, [False, False, False, True, True, True, True, True,
                                          True])


def notes(rows, kernels, ops):
    out = []
    unused = sorted(set(INPUTS) - set(kernels))
    if unused:
        out.append(f"- Recipes for ops the kernel table does not have (not timed): "
                   f"{', '.join(unused)}.")
    for row in rows:
        if "problem" in row:
            out.append(f"- {row['op']}{'/' + row['size'] if row['size'] else ''}: "
                       f"{row['problem']}.")
        elif row.get("rel_diff", 0.0) > TOLERANCE:
            out.append(f"- {row['case']}: fused and generic **disagree** (largest difference "
                       f"{row['rel_diff']:.2e} of the largest magnitude).")
    return out


def markdown_report(rows, kernels, ops, info, settings):
    checked = [r["rel_diff"] for r in rows if "rel_diff" in r]
    lines = [
        "# minigrad Numba fused kernels vs generic code",
        "",
        harness.machine_line(info),
        f"Forward + backward through the public entry point, float32; median over "
        f"{settings['rounds']} interleaved rounds of ~{settings['round_ms']} ms; "
        + ("one input repeated. " if settings["fixed_input"] else
           "each iteration takes the next of `inputs` shuffled copies of the input. ") +
        "fused speedup = generic time / fused time (> 1: the fused kernel is faster), with "
        "the interquartile range of the per-round ratios.",
        "",
        markdown_table(rows),
        "",
    ]
    if checked:
        lines += [f"Fused vs generic, output and gradients: largest relative difference "
                  f"{max(checked):.1e}.", ""]
    extra = notes(rows, kernels, ops)
    if extra:
        lines += ["Notes:", "", *extra, ""]
    return "\n".join(lines)


# ------------------------------------------------------------------------------- command line
def parse_args(argv, names):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK['rounds']} rounds of ~{QUICK['round_ms']} ms instead of "
                        f"{FULL['rounds']} of ~{FULL['round_ms']} ms")
    # NOTE: --quick changes the defaults of --rounds and --round-ms, so it is read first
    quick = "--quick" in (sys.argv[1:] if argv is None else argv)
    harness.add_timing_arguments(parser, **(QUICK if quick else FULL))
    parser.add_argument("--only", nargs="+", choices=names, metavar="NAME",
                        help=f"time only these ops ({', '.join(names)})")
    parser.add_argument("--fixed-input", action="store_true",
                        help="repeat one input every iteration instead of taking shuffled "
                        "copies in turn (the branch predictor then learns its signs)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write results as JSON")
    parser.add_argument("--markdown", type=Path, metavar="PATH",
                        help="also write the report as Markdown")
    return parser.parse_args(argv)


def main(argv=None):
    kernels, missing = kernel_table()
    if kernels is None:
        print(f"bench/kernels.py: the Numba backend is not usable here ({missing})",
              file=sys.stderr)
        return 1
    names = list(kernels)
    args = parse_args(argv, names)
    ops = [op for op in names if args.only is None or op in args.only]
    settings = {"rounds": args.rounds, "round_ms": args.round_ms, "quick": args.quick,
                "fixed_input": args.fixed_input,
                "sizes": {"elementwise": ELEMENTWISE, "rows": ROWS, "narrow_rows": NARROW_ROWS,
                          "classes": CLASSES, "images": IMAGES, "small_images": SMALL_IMAGES,
                          "volumes": VOLUMES, "pool_images": POOL_IMAGES,
                          "signals": SIGNALS}}
    print(f"timing {len(ops)} kernels x {len(SIZES)} sizes: {args.rounds} rounds of "
          f"~{args.round_ms} ms per case ...", file=sys.stderr)
    info = harness.machine_info()
    rows = measure(kernels, ops, args.rounds, args.round_ms, args.fixed_input)
    info["load_average_end"] = harness.machine_info()["load_average"]
    report = markdown_report(rows, kernels, ops, info, settings)
    print(report, end="")
    payload = {"benchmark": "kernels", "machine": info, "settings": settings,
               "results": rows}
    harness.write_outputs(report, payload, args.json, args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
