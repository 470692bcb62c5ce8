"""The command line: --version, --help of every subcommand, ``python -m captum_genomics``, and
the demo run end to end on tiny settings writing a whole table."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from captum_genomics import __version__
from captum_genomics.cli import DEMO_BASELINES, SUBCOMMANDS, main
from captum_genomics.cli.demo import demo

ROOT = Path(__file__).resolve().parents[1]


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


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"captum-genomics {__version__}"


@pytest.mark.parametrize("command", sorted(SUBCOMMANDS))
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"usage: captum-genomics {command}")
    assert SUBCOMMANDS[command].HELP in printed


def test_demo_help_lists_its_options(capsys):
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    printed = capsys.readouterr().out
    for option in ("--sequences", "--epochs", "--explain", "--shuffles", "--gggp-samples",
                   "--seed", "--output", "--quiet"):
        assert option in printed


def test_python_m_captum_genomics_help():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "captum_genomics", "--help"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: captum-genomics")
    assert "demo" in result.stdout


def test_missing_subcommand_is_an_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2
    assert "required" in capsys.readouterr().err
