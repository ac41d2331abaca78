"""Command line: ``python -m minigrad demo`` trains a digits classifier and plots it;
``python -m minigrad gradcheck [--backend NAME] [--op NAME ...]`` checks every op;
``python -m minigrad bench [--quick] [--json [PATH]] [--markdown [PATH]]`` runs the
benchmark suite of a source checkout (``bench/run.py``)."""

import argparse
import importlib.util
import sys
import time
from pathlib import Path

# NOTE: the benchmarks are not part of the installed package: they live beside it in a
# source checkout (an editable install points here)
BENCH = Path(__file__).resolve().parent.parent / "bench"


def _gradcheck(args):
    from minigrad.testing.gradcheck_sweep import gradcheck_sweep

    started = time.perf_counter()
    rows = gradcheck_sweep(args.op or None, [args.backend] if args.backend else None)
    width = max([len("op")] + [len(r.op) for r in rows]) + 2
    header = f"{'op':<{width}}{'backend':<9}{'samples':>8}{'inputs':>8}{'max abs err':>13}" \
             f"{'max rel err':>13}  result"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r.op:<{width}}{r.backend:<9}{r.samples:>8}{r.inputs_checked:>8}"
              f"{r.max_abs_error:>13.2e}{r.max_rel_error:>13.2e}  {'ok' if r.passed else 'FAIL'}")
    failures = [r for r in rows if not r.passed]
    for r in failures:
        print(f"\n{r.op} on {r.backend}: {r.failure}")
    ops = len({r.op for r in rows})
    print(f"\n{len(rows) - len(failures)} of {len(rows)} checks passed ({ops} ops, float64 "
          f"central differences vs backward, {time.perf_counter() - started:.1f} s)")
    return 1 if failures else 0


def _demo(args):
    from minigrad import demo

    return demo.main(args.epochs, args.seed, args.backend, args.output, args.batch_size,
                     args.nproc)


def _bench(options):
    run_py = BENCH / "run.py"
    if not run_py.is_file():
        print(f"minigrad bench: no benchmark suite at {run_py}. The benchmarks ship with the "
              "source checkout, not the installed package: clone the minigrad repository, "
              "`pip install -e .` it, and run `python -m minigrad bench` (or "
              "`python bench/run.py`) there.", file=sys.stderr)
        return 2
    sys.path.insert(0, str(BENCH))  # run.py imports its siblings (harness, workloads)
    spec = importlib.util.spec_from_file_location("minigrad_bench_run", run_py)
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    return run.main(options, prog="minigrad bench")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="minigrad", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="train an MLP on the digits with BatchNorm, "
                               "Dropout, clipping and OneCycleLR; print accuracy, save a plot")
    demo.add_argument("--epochs", type=int, default=20)
    demo.add_argument("--batch-size", type=int, default=64)
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--backend", default="numpy")
    demo.add_argument("--output", default="minigrad-demo.png", help="where to write the plot")
    demo.add_argument("--nproc", type=int, default=1, help="train data-parallel in this many "
                      "processes under mpiexec (needs minigrad[distributed])")
    demo.set_defaults(run=_demo)
    check = commands.add_parser("gradcheck", help="check every registered op's backward "
                                "against finite differences")
    check.add_argument("--backend", help="only this backend (default: every available one)")
    check.add_argument("--op", action="append", help="only this op (repeatable)")
    check.set_defaults(run=_gradcheck)
    # NOTE: bench/run.py owns its options (and its --help): they are handed on unparsed
    commands.add_parser("bench", add_help=False, help="run the benchmark suite of a source "
                        "checkout (bench/run.py; options as there: `minigrad bench --help`)")
    args, rest = parser.parse_known_args(argv)
    if args.command == "bench":
        return _bench(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
