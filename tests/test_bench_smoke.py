"""The benchmark suite runs: W2, W3, W6 and W8 for a handful of iterations through the harness,
the report and its files, the memory probe, and ``minigrad bench`` without a checkout.
Nothing here looks at how fast anything is: speed lives in ``bench/``."""

import dataclasses
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import run  # noqa: E402
import workloads  # noqa: E402

import minigrad as mg  # noqa: E402
import minigrad.__main__ as cli  # noqa: E402

SMOKE = {"rounds": 3, "round_ms": 2}
IDS = ["W2", "W3a", "W3b", "W3c", "W3d", "W3e", "W6", "W8", "W8a"]
# NOTE: workloads() reads these when it is called: the LeNet on 4 images and the conv and
# pool rows on a 2x16x8x8 input, the GPT on 2 sequences of 8 tokens and attention on
# (2, 2, 8, 4) run the same code as the full sizes, in a fraction of the time
TINY = {"W6": dataclasses.replace(workloads.W6, batch=4), "CONV_INPUT": (2, 16, 8, 8),
        "W8": dataclasses.replace(workloads.W8, context=8, batch=2),
        "ATTENTION_SHAPE": (2, 2, 8, 4)}


@pytest.fixture(scope="module")
def rows():
    with pytest.MonkeyPatch.context() as patch:
        for name, value in TINY.items():
            patch.setattr(workloads, name, value)
        return run.run_workloads(IDS, **SMOKE)


def test_every_competitor_gets_positive_numbers(rows):
    expected = {(w.id, name) for w in workloads.workloads() if w.id in IDS for name in w.builders}
    assert {(row["id"], row["competitor"]) for row in rows} == expected
    for row in rows:
        assert len(row["rounds_us"]) == SMOKE["rounds"]
        assert row["median_us"] > 0 and row["per_second"] > 0
        assert len(row["iterations_per_round"]) == SMOKE["rounds"]
        assert min(row["iterations_per_round"]) >= 1
        assert all(speedup["ratio"] > 0 for speedup in row["vs"].values())


def test_the_table_has_a_row_per_competitor(rows):
    table = run.results_table(rows).splitlines()
    assert len(table) == 2 + len(rows)  # header and rule, then one line per row
    for line, row in zip(table[2:], rows):
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        assert cells[2] == row["competitor"]
        assert float(cells[3].replace(",", "")) > 0


def test_targets_are_judged_where_both_sides_ran(rows):
    judged = {(t["workload"], t["competitor"], t["reference"])
              for row in rows for t in row["targets"]}
    names = {(row["id"], row["competitor"]) for row in rows}
    for t in run.TARGETS:
        present = (t.workload, t.competitor) in names and (t.workload, t.reference) in names
        assert ((t.workload, t.competitor, t.reference) in judged) == present
    for row in rows:
        for t in row["targets"]:
            assert t["met"] == (t["ratio"] >= t["at_least"])


def test_main_writes_the_report_and_json(tmp_path, capsys):
    out_json, out_md = tmp_path / "r.json", tmp_path / "r.md"
    assert run.main(["--only", "W2", "--rounds", "3", "--round-ms", "1", "--json", str(out_json),
                     "--markdown", str(out_md)]) == 0
    payload = json.loads(out_json.read_text())
    assert {r["competitor"] for r in payload["results"]} == set(workloads.workloads()[1].builders)
    assert payload["machine"]["cpu_count"] >= 1 and payload["memory"] is None
    assert out_md.read_text() in capsys.readouterr().out


def test_memory_probe_reports_rss_at_the_sampled_steps():
    memory = workloads.memory_profile(steps=3, samples=(1, 3))
    if memory["baseline_mib"] is None:
        pytest.skip("no /proc/self/status: RSS is not readable on this platform")
    assert set(memory["rss_mib"]) == {1, 3}
    assert all(v > 0 for v in memory["rss_mib"].values()) and memory["peak_mib"] > 0
    assert "at step 3" in run.memory_line(memory)


def test_bench_command_without_a_checkout_says_where_to_get_one(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli, "BENCH", tmp_path / "bench")
    assert cli.main(["bench", "--quick"]) == 2
    err = capsys.readouterr().err
    assert "no benchmark suite" in err and "source checkout" in err


@pytest.mark.skipif("numba" not in mg.available_backends(),
                    reason="bench/kernels.py times the numba backend: "
                           "pip install 'minigrad[numba]'")
def test_kernels_bench_times_every_kernel_on_both_paths(tmp_path, capsys):
    import kernels

    out_json = tmp_path / "k.json"
    assert kernels.main(["--rounds", "3", "--round-ms", "1", "--json", str(out_json),
                         "--markdown", str(tmp_path / "k.md")]) == 0
    rows = json.loads(out_json.read_text())["results"]
    table = mg.backends.get_backend("numba").kernels
    assert {(row["op"], row["size"]) for row in rows} == {
        (op, size) for op in table for size in kernels.SIZES}
    for row in rows:
        assert row["generic"]["median_us"] > 0 and row["fused"]["median_us"] > 0, row["case"]
        assert row["rel_diff"] < kernels.TOLERANCE, row["case"]
    assert "fused speedup" in capsys.readouterr().out
