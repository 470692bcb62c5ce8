"""``captum-genomics demo``: end to end on tiny settings (table, figures, report), its output
checks before any work, and its real SpliceAI part where the weights are installed."""

from __future__ import annotations

import math

import pytest

from captum_genomics.cli import DEMO_BASELINES, main
from captum_genomics.cli import demo as demo_module
from captum_genomics.cli.demo import demo
from tests.support import needs_spliceai

TINY = ["--sequences", "200", "--epochs", "1", "--explain", "3", "--shuffles", "2",
        "--gggp-samples", "60", "--quiet", "--no-spliceai"]


def test_demo_reports_every_baseline_and_writes_tsv_figures_and_report(tmp_path, capsys):
    out = tmp_path / "scores.tsv"  # the deprecated --output still writes it
    directory = tmp_path / "new" / "run"  # created, parents included
    with pytest.warns(DeprecationWarning, match="output_dir") as caught:
        assert main(["demo", *TINY, "--output", str(out), "--output-dir", str(directory)]) == 0
    # GGGP's score range has a margin around the held-out logits: every edit is archived
    assert not [w for w in caught if "outside score_range" in str(w.message)]
    captured = capsys.readouterr()
    printed = captured.out
    assert "--output is deprecated" in captured.err
    for name in (*DEMO_BASELINES, "GGGP"):
        assert f"\n{name} " in printed
    assert "60 model calls per sequence" in printed
    assert "max|delta| is the largest completeness gap" in printed
    lines = out.read_text().splitlines()
    header = lines[0].split("\t")
    assert header == ["sequence", "position", "base", "in_motif", *DEMO_BASELINES, "gggp"]
    assert len(lines) == 1 + 3 * 600
    rows = [line.split("\t") for line in lines[1:]]
    assert {r[2] for r in rows} <= set("ACGT")
    assert sum(int(r[3]) for r in rows) == 3 * 30  # one 30-bp motif per explained sequence
    assert all(math.isfinite(float(v)) for r in rows for v in r[4:])
    assert (directory / "scores.tsv").read_text() == out.read_text()
    names = sorted(p.name for p in directory.iterdir())
    assert names == ["baselines.png", "gggp_edits.png", "gggp_scores.png", "logos.png",
                     "report.html", "scores.tsv"]
    assert all((directory / n).stat().st_size > 1000 for n in names)
    report = (directory / "report.html").read_text()
    assert report.count("data:image/png;base64,") == 4
    assert "Motif recovery" in report and "max|delta|" in report and "torch" in report
    assert str(directory / "report.html") in printed


def test_demo_without_gggp_returns_only_the_ig_rows():
    result = demo(n_sequences=200, epochs=1, n_explain=2, n_shuffles=2, gggp_samples=0,
                  show_progress=False, spliceai=False)
    assert set(result["baselines"]) == set(DEMO_BASELINES) and "gggp" not in result


def test_demo_says_what_to_install_without_weights(monkeypatch, capsys):
    monkeypatch.setattr(demo_module, "spliceai_installed", lambda: False)
    result = demo(n_sequences=200, epochs=1, n_explain=2, n_shuffles=2, gggp_samples=0,
                  show_progress=False)
    assert "spliceai" not in result
    assert "pip install --no-deps spliceai==1.3.1" in capsys.readouterr().out


@pytest.mark.weights
@needs_spliceai
def test_demo_real_part_on_tubb8(tmp_path, capsys):
    result = demo(n_sequences=200, epochs=1, n_explain=2, n_shuffles=2, gggp_samples=0,
                  show_progress=False, output_dir=str(tmp_path), spliceai_steps=2,
                  spliceai_evaluations=20)
    printed = capsys.readouterr().out
    assert len(result["spliceai"]) == 2
    assert "polypyrimidine tract" in printed and "archive quality" in printed
    assert {f"spliceai_{i}.png" for i in range(1, 5)} <= {p.name for p in tmp_path.iterdir()}
    assert (tmp_path / "report.html").read_text().count("data:image/png;base64,") == 6


def not_empty(path):
    path.mkdir()
    (path / "old.txt").write_text("keep")
    return path


def a_file(path):
    path.write_text("")
    return path


def under_a_file(path):
    return a_file(path) / "sub"


@pytest.mark.parametrize("make, message", [
    (not_empty, "already holds old.txt; choose a new directory or pass --force"),
    (a_file, "is a file, not a directory"),
    (under_a_file, "is not a directory"),
])
def test_demo_checks_output_dir_before_any_work(tmp_path, capsys, make, message):
    target = make(tmp_path / "out")
    assert main(["demo", *TINY, "--output-dir", str(target)]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "trained" not in captured.out


def test_demo_force_writes_into_a_non_empty_dir(tmp_path):
    out = not_empty(tmp_path / "out")
    assert main(["demo", *TINY, "--gggp-samples", "0", "--output-dir", str(out),
                 "--force"]) == 0
    assert (out / "old.txt").read_text() == "keep" and (out / "report.html").is_file()


def test_demo_checks_deprecated_output_before_any_work(tmp_path, capsys):
    with pytest.warns(DeprecationWarning):
        assert main(["demo", *TINY, "--output", str(tmp_path / "no" / "s.tsv")]) == 2
    captured = capsys.readouterr()
    assert "does not exist or is not writable" in captured.err
    assert "trained" not in captured.out


def test_demo_help_lists_its_options(capsys):
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    printed = capsys.readouterr().out
    for option in ("--sequences", "--epochs", "--explain", "--shuffles", "--gggp-samples",
                   "--seed", "--output-dir", "--force", "--no-spliceai", "--spliceai-members",
                   "--output", "--quiet"):
        assert option in printed
