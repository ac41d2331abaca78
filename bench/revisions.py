"""Two source revisions of minigrad side by side in one run: did a change cost speed?

Each revision's tree runs its own ``bench/op_overhead.py`` and ``bench/run.py --only W1 W2``
as subprocesses (``PYTHONPATH`` and cwd = that tree, so each imports its own minigrad),
``--repeats`` times: base and head back to back for each script, the order flipped every
repeat. A revision is extracted with ``git archive REV | tar -x``, the working tree copied as
it is at the start, into a temporary directory removed at the end; ``.git`` is left alone.
Prints the medians over repeats and head speed / base speed (> 1: head is faster) as a
Markdown table. Nothing here asserts a timing.

    python bench/revisions.py [--base REV] [--head REV_OR_DIR] [--repeats 3] [--quick]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import harness

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SUITE_COMPETITORS = ("minigrad numpy", "minigrad numba")


# ------------------------------------------------------------------------------- trees
def git(*args, cwd=ROOT):
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} (in {cwd}) failed: {done.stderr.strip()}")
    return done.stdout.strip()


def materialize(rev, into):
    """``git archive rev | tar -x -C into``; returns the revision's short commit."""
    commit = git("rev-parse", "--short", f"{rev}^{{commit}}")
    into.mkdir(parents=True)
    archive = subprocess.Popen(["git", "archive", commit], cwd=ROOT, stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(into)], stdin=archive.stdout, check=True)
    archive.stdout.close()
    if archive.wait() != 0:
        raise SystemExit(f"git archive {commit} failed")
    return commit


def snapshot(tree, into):
    """Copy a git working tree's files (tracked and untracked, not ignored) as they are now,
    so edits made while the benchmarks run do not reach them; returns ``git describe``."""
    files = git("ls-files", "-z", "-co", "--exclude-standard", cwd=tree).split("\0")
    for name in filter(None, files):
        if (tree / name).is_file():  # NOTE: tracked files deleted in the tree are skipped
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(tree / name, into / name)
    return git("describe", "--always", "--dirty", cwd=tree)


def child_env(tree):
    return {**os.environ, "PYTHONPATH": str(tree)}  # NOTE: replaced, so only tree's minigrad


def check_imports_own_minigrad(tree):
    """Fail loudly unless a child started like the benchmarks imports ``tree``'s minigrad."""
    out = subprocess.run([sys.executable, "-c", "import minigrad; print(minigrad.__file__)"],
                         cwd=tree, env=child_env(tree), capture_output=True, text=True)
    found = Path(out.stdout.strip() or "?").resolve()
    if out.returncode != 0 or not found.is_relative_to((tree / "minigrad").resolve()):
        raise SystemExit(f"a child in {tree} imports minigrad from {found}, not from that "
                         f"tree:\n{out.stderr}")


# ------------------------------------------------------------------------------- running
def rows_of(payload):
    """{(id, competitor): (median µs, torch time / minigrad time)} from either script's JSON."""
    if payload["benchmark"] == "op_overhead":
        return {(r["id"], "minigrad"): (r["minigrad"]["median_us"], r.get("ratio"))
                for r in payload["results"]}
    return {(r["id"], r["competitor"]): (r["median_us"], r["vs"].get("torch", {}).get("ratio"))
            for r in payload["results"] if r["competitor"] in SUITE_COMPETITORS}


def measure(trees, repeats, quick, out_dir):
    """``{side: {(id, competitor): [(median µs, × torch), one per repeat]}}``; a run log."""
    scripts = [("op_overhead", ["--rounds", "5", "--round-ms", "15"] if quick else []),
               ("run", ["--only", "W1", "W2", *(["--quick"] if quick else [])])]
    samples, log = {side: {} for side in trees}, []
    for r in range(repeats):
        order = list(trees) if r % 2 == 0 else list(trees)[::-1]
        print(f"repeat {r + 1} of {repeats}: {' then '.join(order)}", file=sys.stderr)
        for script, options in scripts:
            for side in order:  # NOTE: each tree runs its own bench scripts
                tag, started = f"{side}-{r}-{script}", time.perf_counter()
                command = [sys.executable, f"bench/{script}.py", *options,
                           "--json", str(out_dir / f"{tag}.json"),
                           "--markdown", str(out_dir / f"{tag}.md")]
                done = subprocess.run(command, cwd=trees[side], env=child_env(trees[side]),
                                      capture_output=True, text=True)
                if done.returncode != 0:
                    raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
                payload = json.loads((out_dir / f"{tag}.json").read_text())
                for key, value in rows_of(payload).items():
                    samples[side].setdefault(key, []).append(value)
                log.append({"run": tag, "seconds": time.perf_counter() - started,
                            "load_average": payload["machine"]["load_average"]})
                print(f"  {tag}: {log[-1]['seconds']:.0f} s", file=sys.stderr)
    return samples, log


# ------------------------------------------------------------------------------- reporting
def compare(samples):
    """One row per (workload, competitor): medians over repeats and the head/base speed."""
    rows = []
    for key in dict.fromkeys([*samples["base"], *samples["head"]]):
        row = {"id": key[0], "competitor": key[1]}
        for side in ("base", "head"):
            runs = samples[side].get(key, [])
            ratios = [t for _, t in runs if t is not None]
            row[side] = {"median_us": statistics.median(u for u, _ in runs) if runs else None,
                         "repeats_us": [u for u, _ in runs],
                         "vs_torch": statistics.median(ratios) if ratios else None}
        paired = [b / h for b, h in zip(row["base"]["repeats_us"], row["head"]["repeats_us"])]
        if paired:
            row.update(speedup=row["base"]["median_us"] / row["head"]["median_us"],
                       speedup_min=min(paired), speedup_max=max(paired))
        rows.append(row)
    return rows


def _num(value, spec):
    return "—" if value is None else format(value, spec)


def markdown_report(rows, info, meta):
    lines = [["id", "competitor", "base µs", "head µs", "head / base speed",
              "per-repeat min–max", "base × torch", "head × torch"]]
    for row in rows:
        lines.append([row["id"], row["competitor"], _num(row["base"]["median_us"], ".2f"),
                      _num(row["head"]["median_us"], ".2f"), _num(row.get("speedup"), ".3f"),
                      f"{row['speedup_min']:.3f}–{row['speedup_max']:.3f}"
                      if "speedup" in row else "—",
                      _num(row["base"]["vs_torch"], ".2f"), _num(row["head"]["vs_torch"], ".2f")])
    return "\n".join([
        f"# minigrad revisions: base {meta['base']} vs head {meta['head']}",
        "",
        harness.machine_line(info),
        f"{meta['repeats']} repeats{' (--quick)' if meta['quick'] else ''}, base and head back "
        f"to back, order flipped each repeat; {meta['seconds']:.0f} s in all. µs = median over "
        "repeats of each run's median per iteration. head / base speed = base time / head time "
        "(> 1: head is faster), min–max over the per-repeat ratios; × torch = torch time / "
        "minigrad time in the same run (median over repeats).",
        "",
        harness.markdown_table(lines, [False, False, True, True, True, True, True, True]),
        "",
    ])


# ------------------------------------------------------------------------------- command line
def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="HEAD", metavar="REV",
                        help="git revision to compare against (default HEAD: what is measured "
                        "is then the working tree's uncommitted changes)")
    parser.add_argument("--head", default=str(ROOT), metavar="REV_OR_DIR",
                        help="a git revision or a git working tree (default: this one, "
                        "uncommitted changes included)")
    parser.add_argument("--repeats", type=harness.at_least(1), default=3,
                        help="runs of each script per revision (default 3)")
    parser.add_argument("--quick", action="store_true",
                        help="run.py --quick, and op_overhead.py --rounds 5 --round-ms 15")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for kind, suffix in (("json", "json"), ("markdown", "md")):
        default = RESULTS / f"revisions-{stamp}.{suffix}"
        parser.add_argument(f"--{kind}", type=Path, nargs="?", metavar="PATH", default=default,
                            const=default, help=f"where to write the {kind} report "
                            f"(default {default})")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    started = time.perf_counter()
    info = harness.machine_info()
    with tempfile.TemporaryDirectory(prefix="minigrad-revisions-") as tmp:
        tmp = Path(tmp)
        trees = {"base": tmp / "base", "head": tmp / "head"}
        meta = {"base": materialize(args.base, trees["base"]),
                "head": snapshot(Path(args.head).resolve(), trees["head"])
                if Path(args.head).is_dir() else materialize(args.head, trees["head"])}
        for tree in trees.values():
            check_imports_own_minigrad(tree)
        (tmp / "out").mkdir()
        samples, log = measure(trees, args.repeats, args.quick, tmp / "out")
    meta.update(repeats=args.repeats, quick=args.quick, seconds=time.perf_counter() - started)
    info["minigrad_commit"] = f"base {meta['base']}, head {meta['head']}"
    info["load_average_end"] = list(os.getloadavg())
    rows = compare(samples)
    print(report := markdown_report(rows, info, meta), end="")
    harness.write_outputs(report, {"benchmark": "revisions", "machine": info, "settings": meta,
                                   "runs": log, "results": rows}, args.json, args.markdown)
    print(f"\nwrote {args.markdown} and {args.json} ({meta['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
