"""What every benchmark in ``bench/`` shares: interleaved timing, medians and paired ratios,
the machine description, Markdown tables and the command-line output options.

The rules (``bench/README.md``): one process; a warm-up; then rounds in which every case
runs once per competitor, the competitor that goes first alternating from round to round,
so load from other processes on a shared machine lands on all sides alike; medians over
rounds, and ratios whose spread comes from pairing measurements of the same round. Nothing
here asserts a timing.
"""

import argparse
import gc
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import time
from pathlib import Path

import numpy

import minigrad as mg

try:
    import torch
except ImportError as err:  # NOTE: torch is optional (minigrad[parity]); its columns go blank
    torch = None
    TORCH_MISSING = str(err)


def use_torch(threads=None):
    """PyTorch set to use ``threads`` threads (every CPU by default), or ``None`` (saying so)
    when it cannot be imported."""
    if torch is None:
        print(f"note: PyTorch is not importable ({TORCH_MISSING}); timing without it")
        return None
    torch.set_num_threads(threads or os.cpu_count() or 1)
    return torch


# ------------------------------------------------------------------------------- timing
def elapsed_ns(run, n):
    start = time.perf_counter_ns()
    run(n)
    return time.perf_counter_ns() - start


def iterations_per_round(run, round_ns):
    """How many iterations of ``run`` fill about ``round_ns``, warming ``run`` up on the way.

    The doubling probe only gives a first guess: its first call pays one-time costs (torch
    initialises autograd on the first backward, Numba loads its kernels), which would make
    the guess far too small.
    """
    n = 1
    elapsed = elapsed_ns(run, n)
    while elapsed < round_ns // 8:
        n *= 2
        elapsed = elapsed_ns(run, n)
    n = max(1, round(n * round_ns / elapsed))
    run(n)  # warm-up at about a round's size
    return max(1, round(n * round_ns / elapsed_ns(run, n)))


def measure(cases, rounds, round_ms):
    """Time ``cases``, ``{case id: {competitor: run}}`` where ``run(n)`` does n iterations.

    Returns ``{case id: {competitor: [ns per iteration, one per round]}}`` and the
    iterations each round ran, ``{(case id, competitor): [n, one per round]}``. Rounds
    interleave: within a round every case runs once per competitor, and the order of
    competitors is reversed every other round, so drift on a shared machine hits all of them
    alike.
    """
    round_ns = int(round_ms * 1e6)
    next_n = {(cid, name): iterations_per_round(run, round_ns)
              for cid, runs in cases.items() for name, run in runs.items()}
    gc.collect()
    per_iter = {cid: {name: [] for name in runs} for cid, runs in cases.items()}
    iterations = {key: [] for key in next_n}
    for r in range(rounds):
        for cid, runs in cases.items():
            order = list(runs)
            for name in order if r % 2 == 0 else order[::-1]:
                n = next_n[cid, name]
                elapsed = elapsed_ns(runs[name], n)
                per_iter[cid][name].append(elapsed / n)
                iterations[cid, name].append(n)
                # NOTE: re-aimed every round, so that a machine which gets busier after the
                # probe (other processes start) cannot stretch every later round many-fold
                next_n[cid, name] = max(1, round(n * round_ns / elapsed))
    return per_iter, iterations


# ------------------------------------------------------------------------------- statistics
def quartiles(values):
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, median, q3


def time_stats(times_ns, iterations):
    """Median, quartiles and minimum of per-round times, in µs, plus the raw rounds and the
    iterations each ran."""
    q1, median, q3 = quartiles(times_ns)
    return {"median_us": median / 1e3, "q1_us": q1 / 1e3, "q3_us": q3 / 1e3,
            "min_us": min(times_ns) / 1e3, "rounds_us": [t / 1e3 for t in times_ns],
            "iterations_per_round": iterations}


def speedup(reference_ns, times_ns):
    """``reference`` time / this time (above 1: this is faster), as the ratio of the medians,
    with the quartiles of the per-round ratios.

    NOTE: per-round ratios pair measurements taken moments apart; their spread shows how much
    the machine's noise moved the headline ratio.
    """
    paired = [ref / t for ref, t in zip(reference_ns, times_ns)]
    q1, _, q3 = quartiles(paired)
    return {"ratio": statistics.median(reference_ns) / statistics.median(times_ns),
            "ratio_q1": q1, "ratio_q3": q3}


# ------------------------------------------------------------------------------- machine
def machine_info():
    """Platform, CPU, library versions, thread counts, load and the minigrad commit."""
    blas = numpy.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
    return {
        "platform": platform.platform(),
        "processor": _cpu_model(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "blas": f"{blas.get('name')} {blas.get('version')}",
        "numba": _version("numba"),
        "torch": torch.__version__ if torch is not None else None,
        "minigrad": mg.__version__,
        "minigrad_commit": _git_commit(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads() if torch is not None else None,
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(package):
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _git_commit():
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True,
                             text=True, cwd=Path(__file__).resolve().parent, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip()


def machine_line(info):
    """The machine in one sentence, for the head of a report."""
    load = info["load_average"]
    return (f"{info['platform']}, {info['processor']}, {info['cpu_count']} CPUs, torch threads "
            f"{info['torch_threads'] or '—'}; Python {info['python']}, NumPy {info['numpy']} "
            f"({info['blas']}), Numba {info['numba'] or '—'}, torch {info['torch'] or '—'}, "
            f"minigrad {info['minigrad']} ({info['minigrad_commit'] or 'no git'})"
            + (f"; load average {load[0]:.2f} at start" if load else "")
            + (f", {info['load_average_end'][0]:.2f} at end." if info.get("load_average_end")
               else "."))


# ------------------------------------------------------------------------------- reporting
def markdown_table(lines, numeric):
    """A padded Markdown table: ``lines[0]`` is the header; ``numeric[i]`` right-aligns
    column i."""
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    rule = ["-" * (w - 1) + ":" if right else "-" * w for w, right in zip(widths, numeric)]
    lines = [lines[0], rule, *lines[1:]]
    return "\n".join(
        "| " + " | ".join(cell.rjust(w) if right else cell.ljust(w)
                          for cell, w, right in zip(line, widths, numeric)) + " |"
        for line in lines)


def write_outputs(report, payload, json_path, markdown_path):
    """Write the Markdown report and the JSON payload to whichever paths are given."""
    for path, text in ((markdown_path, report), (json_path, json.dumps(payload, indent=2) + "\n")):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)


# ------------------------------------------------------------------------------- command line
def at_least(low):
    """An argparse type: an int no smaller than ``low``."""
    def parse(text):
        value = int(text)
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        return value

    return parse


def add_timing_arguments(parser, rounds, round_ms):
    parser.add_argument("--rounds", type=at_least(3), default=rounds,
                        help=f"timed rounds per case and competitor (default {rounds})")
    parser.add_argument("--round-ms", type=at_least(1), default=round_ms,
                        help=f"target length of one round in milliseconds (default {round_ms})")
