"""Per-op framework overhead on tiny tensors: minigrad (NumPy backend) vs PyTorch CPU eager.

On 4-element tensors the arithmetic costs almost nothing, so what is timed is the framework:
argument checks, dispatch, graph recording and the backward engine. Each workload is one
function that builds its tensors with either library (their APIs agree) and returns
``run(n)``, a loop of ``n`` iterations, so both competitors execute the same source.

Timing follows the rules in ``bench/README.md``: one process, a warm-up, then ``--rounds``
rounds in which every workload runs once per competitor, the order of competitors alternating
from round to round; the median over rounds of time per iteration is reported. Nothing here
asserts a timing.

    python bench/op_overhead.py [--rounds 15] [--round-ms 30] [--json PATH] [--markdown PATH]
"""

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy

import minigrad as mg

try:
    import torch
except ImportError as err:  # NOTE: torch is optional (minigrad[parity]); its columns go blank
    torch = None
    TORCH_MISSING = str(err)

A_VALUES = [0.5, -1.0, 1.5, -2.0]
B_VALUES = [1.0, 2.0, -3.0, 0.25]  # mixed signs, so relu keeps some entries and zeroes others
X_VALUES = [[(4 * i + j) / 16 - 0.5 for j in range(4)] for i in range(4)]
W_VALUES = [[(i - j) / 4 for j in range(4)] for i in range(4)]


# ------------------------------------------------------------------------------- workloads
def _leaves(lib, *values):
    """float32 leaf tensors that require grad, made by ``lib`` (minigrad or torch)."""
    return [lib.tensor(v, requires_grad=True) for v in values]


def add_forward(lib):
    a, b = _leaves(lib, A_VALUES, B_VALUES)

    def run(n):
        out = None
        for _ in range(n):
            out = a + b
        return out

    return run


def add_sum_backward(lib):
    a, b = _leaves(lib, A_VALUES, B_VALUES)

    def run(n):
        for _ in range(n):
            a.grad = None
            b.grad = None
            (a + b).sum().backward()

    return run


def mul_relu_add_backward(lib):
    a, b = _leaves(lib, A_VALUES, B_VALUES)

    def run(n):
        for _ in range(n):
            a.grad = None
            b.grad = None
            ((a * b).relu() + a).sum().backward()

    return run


def matmul_backward(lib):
    x, w = _leaves(lib, X_VALUES, W_VALUES)

    def run(n):
        for _ in range(n):
            x.grad = None
            w.grad = None
            (x @ w).sum().backward()

    return run


def add_no_grad(lib):
    a, b = _leaves(lib, A_VALUES, B_VALUES)

    def run(n):
        out = None
        # NOTE: entered once per round, so the context manager's cost is not in the per-op time
        with lib.no_grad():
            for _ in range(n):
                out = a + b
        return out

    return run


# (id, what one iteration does, builder)
WORKLOADS = [
    ("W0a", "`a + b`, graph recorded (forward only)", add_forward),
    ("W0b", "`(a + b).sum().backward()`", add_sum_backward),
    ("W0c", "`((a * b).relu() + a).sum().backward()`", mul_relu_add_backward),
    ("W0d", "`(x @ w).sum().backward()`, 4x4", matmul_backward),
    ("W0e", "`a + b` under `no_grad`", add_no_grad),
]


# ------------------------------------------------------------------------------- timing
def _elapsed_ns(run, n):
    start = time.perf_counter_ns()
    run(n)
    return time.perf_counter_ns() - start


def iterations_per_round(run, round_ns):
    """How many iterations of ``run`` fill about ``round_ns``, warming ``run`` up on the way.

    The doubling probe only gives a first guess: its first call pays one-time costs (torch
    initialises autograd on the first backward), which would make the guess far too small.
    """
    n = 1
    elapsed = _elapsed_ns(run, n)
    while elapsed < round_ns // 8:
        n *= 2
        elapsed = _elapsed_ns(run, n)
    n = max(1, round(n * round_ns / elapsed))
    run(n)  # warm-up at about a round's size
    return max(1, round(n * round_ns / _elapsed_ns(run, n)))


def measure(competitors, rounds, round_ms):
    """{workload id: {competitor: [ns per iteration, one per round]}}, plus iterations used.

    Rounds interleave: within a round every workload runs once per competitor, and the
    competitor that goes first alternates, so drift on a shared machine hits both alike.
    """
    round_ns = int(round_ms * 1e6)
    runs, iterations = {}, {}
    for wid, _, build in WORKLOADS:
        for name, lib in competitors.items():
            run = build(lib)
            runs[wid, name] = run
            iterations[wid, name] = iterations_per_round(run, round_ns)
    gc.collect()
    per_iter = {wid: {name: [] for name in competitors} for wid, _, _ in WORKLOADS}
    order = list(competitors)
    for r in range(rounds):
        for wid, _, _ in WORKLOADS:
            for name in order if r % 2 == 0 else order[::-1]:
                n = iterations[wid, name]
                per_iter[wid][name].append(_elapsed_ns(runs[wid, name], n) / n)
    return per_iter, iterations


def _quartiles(values):
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, median, q3


def summarize(per_iter, iterations):
    """One row per workload: medians in µs and the torch/minigrad ratio with its spread."""
    rows = []
    for wid, what, _ in WORKLOADS:
        row = {"id": wid, "what": what}
        for name, times in per_iter[wid].items():
            q1, median, q3 = _quartiles(times)
            row[name] = {"median_us": median / 1e3, "q1_us": q1 / 1e3, "q3_us": q3 / 1e3,
                         "min_us": min(times) / 1e3, "iterations_per_round": iterations[wid, name],
                         "rounds_us": [t / 1e3 for t in times]}
        if "torch" in row:
            row["ratio"] = row["torch"]["median_us"] / row["minigrad"]["median_us"]
            # NOTE: per-round ratios pair measurements taken moments apart; their spread shows
            # how much the machine's noise moved the headline ratio
            paired = [t / m for t, m in zip(per_iter[wid]["torch"], per_iter[wid]["minigrad"])]
            row["ratio_q1"], _, row["ratio_q3"] = _quartiles(paired)
        rows.append(row)
    return rows


# ------------------------------------------------------------------------------- reporting
def machine_info():
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "torch": torch.__version__ if torch is not None else None,
        "minigrad": mg.__version__,
        "minigrad_commit": _git_commit(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads() if torch is not None else None,
    }


def _git_commit():
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True,
                             text=True, cwd=Path(__file__).resolve().parent, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip()


def markdown_table(rows):
    header = ["workload", "one iteration", "minigrad µs/iter", "torch µs/iter",
              "torch / minigrad", "ratio IQR"]
    lines = [header]
    for row in rows:
        torch_row = row.get("torch")
        lines.append([
            row["id"], row["what"], f"{row['minigrad']['median_us']:.2f}",
            f"{torch_row['median_us']:.2f}" if torch_row else "—",
            f"{row['ratio']:.3f}" if torch_row else "—",
            f"{row['ratio_q1']:.3f}–{row['ratio_q3']:.3f}" if torch_row else "—",
        ])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    numeric = [False, False, True, True, True, True]
    rule = ["-" * (w - 1) + ":" if right else "-" * w for w, right in zip(widths, numeric)]
    lines.insert(1, rule)
    return "\n".join(
        "| " + " | ".join(cell.rjust(w) if right else cell.ljust(w)
                          for cell, w, right in zip(line, widths, numeric)) + " |"
        for line in lines)


def markdown_report(rows, info, settings):
    versions = (f"Python {info['python']}, NumPy {info['numpy']}, torch {info['torch'] or '—'}, "
                f"minigrad {info['minigrad']} ({info['minigrad_commit'] or 'no git'})")
    return "\n".join([
        "# minigrad op overhead (tiny tensors)",
        "",
        f"{info['platform']}, {info['cpu_count']} CPUs, torch threads "
        f"{info['torch_threads'] or '—'}; {versions}.",
        f"Median over {settings['rounds']} interleaved rounds of ~{settings['round_ms']} ms; "
        "ratio = torch time / minigrad time (> 1: minigrad is faster).",
        "",
        markdown_table(rows),
        "",
    ])


# ------------------------------------------------------------------------------- command line
def _at_least(low):
    def parse(text):
        value = int(text)
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        return value

    return parse


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=_at_least(3), default=15,
                        help="timed rounds per workload and competitor (default 15)")
    parser.add_argument("--round-ms", type=_at_least(1), default=30,
                        help="target duration of one round in milliseconds (default 30)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write results as JSON")
    parser.add_argument("--markdown", type=Path, metavar="PATH",
                        help="also write the report as Markdown")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    competitors = {"minigrad": mg}
    if torch is None:
        print(f"note: PyTorch is not importable ({TORCH_MISSING}); timing minigrad only")
    else:
        torch.set_num_threads(os.cpu_count() or 1)
        competitors["torch"] = torch
    settings = {"rounds": args.rounds, "round_ms": args.round_ms}
    rows = summarize(*measure(competitors, args.rounds, args.round_ms))
    info = machine_info()
    report = markdown_report(rows, info, settings)
    print(report, end="")
    if args.markdown:
        args.markdown.write_text(report)
    if args.json:
        payload = {"benchmark": "op_overhead", "machine": info, "settings": settings,
                   "results": rows}
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
