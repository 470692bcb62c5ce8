"""``captum-genomics demo`` end to end on tiny settings, writing a whole table."""

from __future__ import annotations

import math

import pytest

from captum_genomics.cli import DEMO_BASELINES, main
from captum_genomics.cli.demo import demo


def test_demo_reports_every_baseline_and_writes_tsv(tmp_path, capsys):
    out = tmp_path / "scores.tsv"
    assert main(["demo", "--sequences", "200", "--epochs", "1", "--explain", "3",
                 "--shuffles", "2", "--gggp-samples", "60", "--quiet",
                 "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    for name in (*DEMO_BASELINES, "GGGP"):
        assert f"\n{name} " in printed
    assert "60 model calls per sequence" in printed
    lines = out.read_text().splitlines()
    header = lines[0].split("\t")
    assert header == ["sequence", "position", "base", "in_motif", *DEMO_BASELINES, "gggp"]
    assert len(lines) == 1 + 3 * 600
    rows = [line.split("\t") for line in lines[1:]]
    assert {r[2] for r in rows} <= set("ACGT")
    assert sum(int(r[3]) for r in rows) == 3 * 30  # one 30-bp motif per explained sequence
    assert all(math.isfinite(float(v)) for r in rows for v in r[4:])


def test_demo_without_gggp_returns_only_the_ig_rows():
    result = demo(n_sequences=200, epochs=1, n_explain=2, n_shuffles=2, gggp_samples=0,
                  show_progress=False)
    assert set(result["baselines"]) == set(DEMO_BASELINES) and "gggp" not in result


def test_demo_help_lists_its_options(capsys):
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    printed = capsys.readouterr().out
    for option in ("--sequences", "--epochs", "--explain", "--shuffles", "--gggp-samples",
                   "--seed", "--output", "--quiet"):
        assert option in printed
