"""The benchmark suite: W1-W8 and memory, every competitor side by side in one process.

Prints one Markdown table of throughputs and ratios with the targets and whether each is
met, then the memory of W1 training; writes the report as Markdown and the full results as
JSON (by default under ``bench/results/``, which git ignores). Timing follows
``bench/README.md``: interleaved rounds, medians, ratios with their spread. Nothing here
asserts a timing: a missed target is reported, not raised.

    python bench/run.py [--quick] [--json [PATH]] [--markdown [PATH]] [--only ID ...]
    python -m minigrad bench [same options]
"""

import argparse
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import harness
import workloads

RESULTS = Path(__file__).resolve().parent / "results"
FULL = {"rounds": 21, "round_ms": 200}
QUICK = {"rounds": 5, "round_ms": 30}
MEMORY_SAMPLES = {"full": (100, 500), "quick": (100, 200)}  # W1 steps at which RSS is read
REFERENCES = ("hand-written", "torch", "minigrad numpy")  # one ratio column each


@dataclass(frozen=True)
class Target:
    """``competitor`` is at least ``at_least`` times as fast as ``reference`` on ``workload``."""

    workload: str
    competitor: str
    reference: str
    at_least: float

    def __str__(self):
        return f"≥ {self.at_least:g}× {self.reference}"


TARGETS = (
    Target("W1", "minigrad numpy", "hand-written", 0.9),
    Target("W1", "minigrad numpy", "torch", 1.3),
    Target("W1", "minigrad numba", "hand-written", 1.1),
    Target("W2", "minigrad numpy", "torch", 1.7),
    Target("W3a", "minigrad numba", "minigrad numpy", 2.0),
    Target("W3b", "minigrad numba", "minigrad numpy", 2.0),
    Target("W6", "minigrad numpy", "hand-written", 0.9),
    Target("W6", "minigrad numpy", "torch", 0.5),
    Target("W6", "minigrad numba", "torch", 0.8),
    Target("W8", "minigrad numpy", "torch", 0.6),
    Target("W8", "minigrad numba", "torch", 0.8),
)


# ------------------------------------------------------------------------------- measuring
def run_workloads(ids=None, rounds=FULL["rounds"], round_ms=FULL["round_ms"]):
    """Time the workloads named in ``ids`` (all by default): one row per workload and
    competitor, with its time statistics, its ratios to the references, and its targets."""
    suite = [w for w in workloads.workloads() if ids is None or w.id in ids]
    cases = {w.id: {name: build() for name, build in w.builders.items()} for w in suite}
    per_iter, iterations = harness.measure(cases, rounds, round_ms)
    rows = []
    for w in suite:
        times = per_iter[w.id]
        for name, own in times.items():
            row = {"id": w.id, "what": w.what, "unit": w.unit, "competitor": name,
                   **harness.time_stats(own, iterations[w.id, name])}
            row["per_second"] = 1e6 / row["median_us"]
            row["vs"] = {ref: harness.speedup(times[ref], own) for ref in REFERENCES
                         if ref in times and ref != name}
            row["targets"] = [
                {"target": str(t), **asdict(t), "ratio": row["vs"][t.reference]["ratio"],
                 "met": row["vs"][t.reference]["ratio"] >= t.at_least}
                for t in TARGETS
                if (t.workload, t.competitor) == (w.id, name) and t.reference in row["vs"]]
            rows.append(row)
    return rows


# ------------------------------------------------------------------------------- reporting
def _ratio_cell(speedup):
    if speedup is None:
        return "—"
    return f"{speedup['ratio']:.2f} ({speedup['ratio_q1']:.2f}–{speedup['ratio_q3']:.2f})"


def _targets_cell(targets):
    return "; ".join(f"{t['target']}: {'met' if t['met'] else '**missed**'}" for t in targets)


def results_table(rows):
    """The Markdown table: a row per workload and competitor."""
    lines = [["id", "workload", "competitor", "per s", "ms each",
              *(f"× {ref}" for ref in REFERENCES), "target"]]
    previous = None
    for row in rows:
        lines.append([
            row["id"] if row["id"] != previous else "",
            row["what"] if row["id"] != previous else "",
            row["competitor"], f"{row['per_second']:,.0f}", f"{row['median_us'] / 1e3:.3f}",
            *(_ratio_cell(row["vs"].get(ref)) for ref in REFERENCES),
            _targets_cell(row["targets"])])
        previous = row["id"]
    return harness.markdown_table(lines, [False, False, False, True, True, True, True, True,
                                          False])


def memory_line(memory):
    """What W1 training on the NumPy backend holds in memory, and whether it grows."""
    rss = memory["rss_mib"]
    first, last = min(rss), max(rss)
    if rss[last] is None:
        return "RSS is not readable here (no /proc/self/status)."
    peak = "unknown" if memory["peak_mib"] is None else (
        f"{memory['peak_mib']:.1f} MiB ({memory['peak_source']}), "
        f"{memory['peak_mib'] - memory['baseline_mib']:+.1f} MiB over the start")
    return (f"W1 on minigrad numpy, {memory['steps']} steps: RSS {memory['baseline_mib']:.1f} "
            f"MiB before the first step, {rss[first]:.1f} MiB at step {first}, "
            f"{rss[last]:.1f} MiB at step {last} ({rss[last] - rss[first]:+.1f} MiB from step "
            f"{first} to {last}); peak {peak}. The process also holds NumPy, Numba and "
            "PyTorch, so read the differences.")


def markdown_report(rows, memory, info, settings):
    targets = [t for row in rows for t in row["targets"]]
    met = sum(t["met"] for t in targets)
    lines = [
        "# minigrad benchmark suite",
        "",
        harness.machine_line(info),
        f"Median over {settings['rounds']} interleaved rounds of ~{settings['round_ms']} ms. "
        "`× X` = X's time / this row's time (> 1: this row is faster), with the interquartile "
        "range of the per-round ratios in brackets.",
        "",
    ]
    if rows:
        lines += [results_table(rows), "", f"Targets met: {met} of {len(targets)}.", ""]
    if memory is not None:
        lines += ["## Memory", "", memory_line(memory), ""]
    return "\n".join(lines)


# ------------------------------------------------------------------------------- command line
def parse_args(argv, prog=None):
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK['rounds']} rounds of ~{QUICK['round_ms']} ms and "
                        f"{MEMORY_SAMPLES['quick'][-1]} memory steps (a smoke run of under a "
                        f"minute) instead of {FULL['rounds']} rounds of ~{FULL['round_ms']} ms "
                        f"and {MEMORY_SAMPLES['full'][-1]} steps")
    # NOTE: --quick changes the defaults of --rounds and --round-ms, so it is read first
    quick = "--quick" in (sys.argv[1:] if argv is None else argv)
    harness.add_timing_arguments(parser, **(QUICK if quick else FULL))
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for kind, suffix in (("json", "json"), ("markdown", "md")):
        default = RESULTS / f"run-{stamp}.{suffix}"
        parser.add_argument(f"--{kind}", type=Path, nargs="?", metavar="PATH",
                            default=default, const=default,
                            help=f"where to write the {kind} report (default {default})")
    parser.add_argument("--torch-threads", type=harness.at_least(1), metavar="N",
                        help="PyTorch's intra-op threads (default: every CPU, "
                        f"{os.cpu_count()} here)")
    ids = [w.id for w in workloads.workloads()] + ["memory"]
    parser.add_argument("--only", nargs="+", choices=ids, metavar="ID",
                        help=f"run only these ({', '.join(ids)})")
    return parser.parse_args(argv)


def main(argv=None, prog=None):
    args = parse_args(argv, prog)
    harness.use_torch(args.torch_threads)
    settings = {"rounds": args.rounds, "round_ms": args.round_ms, "quick": args.quick}
    started = time.perf_counter()
    info = harness.machine_info()
    memory = None
    if args.only is None or "memory" in args.only:
        samples = MEMORY_SAMPLES["quick" if args.quick else "full"]
        print(f"memory: {samples[-1]} W1 steps on minigrad numpy ...", file=sys.stderr)
        memory = workloads.memory_profile(samples[-1], samples)
    ids = None if args.only is None else [i for i in args.only if i != "memory"]
    print(f"timing ({time.perf_counter() - started:.0f} s in): {args.rounds} rounds of "
          f"~{args.round_ms} ms per case ...", file=sys.stderr)
    rows = run_workloads(ids, args.rounds, args.round_ms) if ids != [] else []
    info["load_average_end"] = harness.machine_info()["load_average"]
    report = markdown_report(rows, memory, info, settings)
    print(report, end="")
    payload = {"benchmark": "suite", "machine": info, "settings": settings,
               "seconds": time.perf_counter() - started, "results": rows, "memory": memory}
    harness.write_outputs(report, payload, args.json, args.markdown)
    print(f"\nwrote {args.markdown} and {args.json} ({payload['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
