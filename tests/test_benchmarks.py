"""Every benchmark script runs end to end on tiny settings and its comparisons hold up.

Speed is never asserted (the figures move with the machine's load); what is asserted is what
the benchmarks rest on: ours and the peer compute the same thing, exact scores stay exact,
metrics lie in their ranges, the shuffles stay uniform.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
SCRIPTS = sorted(BENCHMARKS.glob("bench_*.py"))


def _load(name: str, monkeypatch):
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_benchmark_imports_quietly_and_has_main(path, capsys, monkeypatch):
    module = _load(path.stem, monkeypatch)
    assert callable(getattr(module, "main", None)), f"{path.name} has no main()"
    assert capsys.readouterr().out == "", f"importing {path.name} printed output"


def test_every_script_has_a_tiny_run_below():
    tested = {name.removeprefix("test_tiny_") for name in globals()
              if name.startswith("test_tiny_")}
    assert {p.stem.removeprefix("bench_") for p in SCRIPTS} <= tested


def test_tiny_shuffle(monkeypatch):
    result = _load("bench_shuffle", monkeypatch).main(
        ["--n-seqs", "4", "--n-shuffles", "3", "--lengths", "300", "--repeats", "1",
         "--samples-per-class", "5"])
    assert [row["length"] for row in result["speed"]] == [300]
    assert result["speed"][0]["ours_positions_s"] > 0
    reached, p_value = result["uniformity"]["captum_genomics"]
    assert 0 < reached <= result["uniformity"]["class_size"]
    assert p_value > 1e-3, "the shuffles are not uniform over their class"


def test_tiny_ig(monkeypatch):
    rows = _load("bench_ig", monkeypatch).main(lengths=(3000,), n_steps=4)
    assert len(rows) == 6
    for row in rows:
        assert row["max_abs_diff"] < 1e-6, f"{row['ours']} differs from {row['peer']}"
        assert math.isfinite(row["time_ratio"]) and math.isfinite(row["memory_ratio"])


def test_tiny_ig_spliceai(monkeypatch):
    rows = {r["name"]: r for r in _load("bench_ig_spliceai", monkeypatch).main(
        members=1, n_steps=4, tangermeme=False)}
    assert {"captum", "captum straightforward", "ours same", "ours tol"} <= set(rows)
    # the same quadrature on the same head: the same completeness error as Captum
    assert rows["ours same"]["delta"] == pytest.approx(rows["captum"]["delta"], abs=1e-4)
    assert abs(rows["ours tol"]["delta"]) < abs(rows["captum"]["delta"])


def test_tiny_spliceai(monkeypatch):
    rows = _load("bench_spliceai", monkeypatch).main(threads=(1,), repeats=1, keras=False)
    cases = {row["case"] for row in rows}
    assert any(case.startswith("full") for case in cases)
    assert any(case.startswith("one site") for case in cases)
    assert all(row["seq_per_s"] > 0 for row in rows)


def test_tiny_incremental(monkeypatch):
    rows = _load("bench_incremental", monkeypatch).main(
        ["--rounds", "1", "--units", "1", "3", "--plain", "2"])
    assert [row["units"] for row in rows] == [1, 3]
    for row in rows:
        assert row["max_abs_diff"] <= 1e-6, "incremental scores are not exact"
        assert 0 < row["bound_gmac"] <= row["plain_gmac"]


def test_tiny_gggp(monkeypatch):
    rows = _load("bench_gggp", monkeypatch).main(
        ["--evaluations", "60", "--population", "20", "--seeds", "1", "--heldout", "30",
         "--spliceai-evaluations", "40", "--spliceai-population", "10", "--incremental",
         "--threads", "1"])
    archives = [r for r in rows if "q@100%" in r]
    assert {r["task"] for r in archives} == {"planted", "tubb8[spliceai 1, incremental]"}
    for row in archives:
        assert 0 <= row["q@100%"] <= 1 and row["archived"] > 0
        if row["method"].startswith("random"):  # matched with itself: its own mean, all shared
            assert row["matched_ed"] == pytest.approx(row["edit_distance"])
            assert row["random_share"] == 1.0
        else:
            assert row["matched_ed"] >= 0 and 0 < row["random_share"] <= 1
    fidelity = [r for r in rows if "rho_gggp" in r]
    assert {"GGGP", "Lime", "KernelShap"} <= {r["method"] for r in fidelity}
    for row in fidelity:
        assert math.isnan(row["rho_gggp"]) or -1 <= row["rho_gggp"] <= 1


def test_tiny_methods(monkeypatch):
    module = _load("bench_methods", monkeypatch)
    rows = module.main(
        ["--levels", "base", "--n-explain", "3", "--n-train", "600", "--n-test", "60",
         "--epochs", "2", "--steps", "8", "--shuffles", "2", "--perturbations", "40",
         "--gggp-evaluations", "60", "--gggp-population", "20", "--shap-samples", "4",
         "--shap-references", "2", "--threads", "1"])
    assert {r["method"] for r in rows} == set(module.METHODS)
    for row in rows:
        assert 0 <= row["auroc"] <= 1 and 0 <= row["aupr"] <= 1


def test_tiny_run_all_table(monkeypatch, capsys):
    module = _load("run_all", monkeypatch)
    module.print_table([module.Comparison("ig", "time", "1.0 s", "captum 2.0 s", 2.0)])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split() == ["benchmark", "measured", "ours", "peer", "ratio"]
    assert lines[1].split()[-1] == "2.00"


def test_tiny_ism(monkeypatch):
    row = _load("bench_ism", monkeypatch).main(
        ["--members", "1", "--window", "6", "--naive", "2", "--rounds", "1", "--ig-steps", "2"])
    assert row["max_abs_diff"] < 1e-6, "incremental ISM differs from naive ISM"
    assert row["naive_mutants_s"] > 0 and row["ours_mutants_s"] > 0
    assert -1 <= row["spearman"] <= 1 and 0 <= row["top10_overlap"] <= 6


@pytest.mark.filterwarnings(r"ignore:`torch\.jit\.\w+` is deprecated:DeprecationWarning")
def test_tiny_batch(monkeypatch):
    rows = _load("bench_batch", monkeypatch).main(
        ["--regions", "3", "--length", "200", "--steps", "4", "--engines", "local:1", "local:2"])
    assert [(r["engine"], r["workers"]) for r in rows] == [("local", 1), ("local", 2)]
    for row in rows:
        assert row["same_arrays"], f"{row['engine']} x{row['workers']}: arrays differ"
        assert row["regions_per_minute"] > 0


def test_tiny_variants(monkeypatch):
    row = _load("bench_variants", monkeypatch).main(
        ["--variants", "3", "--members", "1", "--upstream", "none", "--ism-window", "0",
         "--threads", "1", "--explain", "1", "--explain-steps", "2"])
    assert row["engines_identical"], "the incremental engine's VCF differs from the plain one"
    assert row["plain_variants_s"] > 0 and row["incremental_variants_s"] > 0
    assert "upstream_variants_s" not in row
    # one record in TUBB8: each of the four kinds is explained (min_score 0)
    assert row["explain_items"] == 4 and row["explain_items_s"] > 0
    assert 0 <= row["explain_worst_gap"] < 0.5
