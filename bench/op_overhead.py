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
import sys
from pathlib import Path

import harness

import minigrad as mg

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


# ------------------------------------------------------------------------------- measuring
def measure(competitors, rounds, round_ms):
    """{workload id: {competitor: [ns per iteration, one per round]}}, plus iterations used."""
    cases = {wid: {name: build(lib) for name, lib in competitors.items()}
             for wid, _, build in WORKLOADS}
    return harness.measure(cases, rounds, round_ms)


def summarize(per_iter, iterations):
    """One row per workload: medians in µs and the torch/minigrad ratio with its spread."""
    rows = []
    for wid, what, _ in WORKLOADS:
        row = {"id": wid, "what": what}
        for name, times in per_iter[wid].items():
            row[name] = harness.time_stats(times, iterations[wid, name])
        if "torch" in row:
            row.update(harness.speedup(per_iter[wid]["torch"], per_iter[wid]["minigrad"]))
        rows.append(row)
    return rows


# ------------------------------------------------------------------------------- reporting
def markdown_table(rows):
    lines = [["workload", "one iteration", "minigrad µs/iter", "torch µs/iter",
              "torch / minigrad", "ratio IQR"]]
    for row in rows:
        torch_row = row.get("torch")
        lines.append([
            row["id"], row["what"], f"{row['minigrad']['median_us']:.2f}",
            f"{torch_row['median_us']:.2f}" if torch_row else "—",
            f"{row['ratio']:.3f}" if torch_row else "—",
            f"{row['ratio_q1']:.3f}–{row['ratio_q3']:.3f}" if torch_row else "—",
        ])
    return harness.markdown_table(lines, [False, False, True, True, True, True])


def markdown_report(rows, info, settings):
    return "\n".join([
        "# minigrad op overhead (tiny tensors)",
        "",
        harness.machine_line(info),
        f"Median over {settings['rounds']} interleaved rounds of ~{settings['round_ms']} ms; "
        "ratio = torch time / minigrad time (> 1: minigrad is faster).",
        "",
        markdown_table(rows),
        "",
    ])


# ------------------------------------------------------------------------------- command line
def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    harness.add_timing_arguments(parser, rounds=15, round_ms=30)
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write results as JSON")
    parser.add_argument("--markdown", type=Path, metavar="PATH",
                        help="also write the report as Markdown")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    competitors = {"minigrad": mg}
    torch = harness.use_torch()
    if torch is not None:
        competitors["torch"] = torch
    settings = {"rounds": args.rounds, "round_ms": args.round_ms}
    rows = summarize(*measure(competitors, args.rounds, args.round_ms))
    info = harness.machine_info()
    report = markdown_report(rows, info, settings)
    print(report, end="")
    payload = {"benchmark": "op_overhead", "machine": info, "settings": settings,
               "results": rows}
    harness.write_outputs(report, payload, args.json, args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
