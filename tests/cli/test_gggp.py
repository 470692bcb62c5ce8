"""``captum-genomics gggp``: exon, site and table modes with the published SpliceAI weights
(tiny budgets), outputs in genome coordinates, and argument checks that fail before any work."""

from __future__ import annotations

import csv
import re

import pytest

import captum_genomics.models
from captum_genomics.cli import main
from captum_genomics.gggp import LocalDataset
from captum_genomics.splicing import build_exon_input
from tests.support import ReportParser, needs_spliceai

TINY = ["--members", "1", "--evaluations", "60", "--population", "20", "--max-distance", "300",
        "--quiet"]
EXON = "chr10:94744-94852:-"


def _rows(path):
    with open(path, encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@needs_spliceai
def test_exon_mode_writes_every_file_in_genome_coordinates(tmp_path):
    assert main(["gggp", "--exon", EXON, *TINY, "--output-dir", str(tmp_path)]) == 0
    name = "chr10_94744-94852"
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [f"{name}.{s}" for s in ("attributions.tsv", "coefficients.tsv",
                                            "dataset.tsv")] + ["figures", "report.html",
                                                               "summary.tsv"]
    exon = build_exon_input(max_distance=300)
    low, high = exon.region.start, exon.region.end
    dataset = LocalDataset.from_tsv(tmp_path / f"{name}.dataset.tsv")
    assert dataset.reference == exon.sequence and len(dataset) >= 2
    edited = [int(m) for p in dataset.phenotypes for m in re.findall(r"\[(\d+),", p)]
    assert edited
    for index in edited:  # input positions map into the exon's neighbourhood on chr10
        assert low <= exon.position(index) <= high
        assert 94744 - 300 <= exon.position(index) <= 94852 + 300
    coefficients = _rows(tmp_path / f"{name}.coefficients.tsv")
    assert coefficients and {r["chrom"] for r in coefficients} == {"chr10"}
    for row in coefficients:
        assert low <= int(row["start"]) <= int(row["end"]) <= high and row["strand"] == "-"
        assert float(row["attribution"]) == -float(row["effect"])
    per_base = _rows(tmp_path / f"{name}.attributions.tsv")
    assert [int(r["position"]) for r in per_base] == list(range(low, high + 1))
    # bases in transcript orientation: the acceptor's AG reads as CT at 94853-94854 on "+"
    by_position = {int(r["position"]): r["base"] for r in per_base}
    assert by_position[94854] + by_position[94853] == "AG"
    (summary,) = _rows(tmp_path / "summary.tsv")
    assert (summary["acceptor"], summary["donor"]) == ("94852", "94744")
    assert summary["scorer"] == "spliceai_exon_mean_incremental"
    assert int(summary["rows"]) == len(dataset) and 0 < float(summary["archive_quality"]) <= 1
    for field in ("mean_edit_distance", "r2", "spearman", "original_score"):
        float(summary[field])
    report = ReportParser()
    report.feed((tmp_path / "report.html").read_text(encoding="utf-8"))
    assert len(report.images) == 4 and all(i.startswith("data:image/png;base64,")
                                           for i in report.images)
    for column in ("name", "acceptor", "donor", "rows", "scorer"):
        assert summary[column] in report.cells
    assert "--evaluations" in report.cells and "spliceai 1.3.1" in " ".join(report.cells)
    pngs = sorted(p.name for p in (tmp_path / "figures").iterdir())
    assert pngs == [f"01_{name}_{f}.png" for f in ("edits", "quality", "scores", "track")]
    assert all((tmp_path / "figures" / p).stat().st_size > 5000 for p in pngs)
    trace = dataset.provenance["quality_trace"]
    assert trace["evaluations"][-1] == int(summary["evaluations"])


@needs_spliceai
def test_site_mode_explains_an_acceptor_without_a_donor(tmp_path, capsys):
    assert main(["gggp", "--site", "chr10:94852:-", "--kind", "acceptor", *TINY[:-1],
                 "--output-dir", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "chr10_94852_acceptor:" in printed and "archive quality" in printed
    (summary,) = _rows(tmp_path / "summary.tsv")
    assert summary["target"] == "acceptor" and summary["acceptor"] == "94852"
    assert summary["donor"] == "" and summary["scorer"] == "spliceai_acceptor_incremental"
    assert float(summary["original_score"]) > 0.3
    dataset = LocalDataset.from_tsv(tmp_path / "chr10_94852_acceptor.dataset.tsv")
    assert dataset.provenance["grammar"]["donors"] == []


@needs_spliceai
def test_table_mode_writes_one_dataset_per_row(tmp_path):
    table = tmp_path / "exons.tsv"
    table.write_text("name\tchrom\tstrand\tupstream_exon\texon\tdownstream_exon\n"
                     "second\tchr10\t-\t95122-95529\t94744-94852\t94555-94665\n"
                     "third\tchr10\t-\t94744-94852\t94555-94665\t92893-94054\n")
    out = tmp_path / "out"
    assert main(["gggp", "--table", str(table), *TINY, "--output-dir", str(out)]) == 0
    summary = _rows(out / "summary.tsv")
    assert [r["name"] for r in summary] == ["second", "third"]
    assert [(r["acceptor"], r["donor"]) for r in summary] == [("94852", "94744"),
                                                              ("94665", "94555")]
    for name in ("second", "third"):
        assert len(LocalDataset.from_tsv(out / f"{name}.dataset.tsv")) >= 2
    report = (out / "report.html").read_text(encoding="utf-8")
    assert report.count("data:image/png;base64,") == 8
    assert len(list((out / "figures").iterdir())) == 8


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--site", "chr10:94852:-"], "--site needs --kind"),
        (["--exon", "chr10:94744-94852"], "is not CHR:START-END:STRAND"),
        (["--exon", "chr10:100-200:-"], "--exons-bed"),
        (["--exon", EXON, "--kind", "donor"], "--kind applies to --site only"),
        (["--exon", EXON, "--fasta", "missing.fa"], "does not exist"),
        (["--exon", EXON, "--members", "7"], "numbered 1 to 5"),
        (["--site", "chr10:999999999:+", "--kind", "donor"], "beyond"),
        (["--table", "missing.tsv"], "does not exist"),
        (["--exon", EXON, "--output-dir", "EXISTING"], "already holds"),
        (["--exon", EXON, "--output-dir", "FILE"], "is a file"),
        (["--exon", EXON, "--motifs", "missing.meme"], "--motifs missing.meme"),
        (["--exon", EXON, "--prune-tolerance", "-1"], "prune_tolerance must be >= 0"),
    ],
)
def test_bad_arguments_fail_before_any_work(arguments, message, tmp_path, monkeypatch,
                                            capsys):
    def no_work(*args, **kwargs):
        raise AssertionError("the model was loaded before the arguments were checked")

    monkeypatch.setattr(captum_genomics.models, "load_spliceai", no_work)
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "summary.tsv").write_text("old\n")
    (tmp_path / "file").write_text("")
    output = {"EXISTING": existing, "FILE": tmp_path / "file"}
    arguments = [str(output.get(a, a)) for a in arguments]
    if "--output-dir" not in arguments:
        arguments += ["--output-dir", str(tmp_path / "out")]
    if "--members" not in arguments:
        arguments += ["--members", "1"]
    assert main(["gggp", *arguments]) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1 and error.startswith("captum-genomics")
    assert (existing / "summary.tsv").read_text() == "old\n"
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@needs_spliceai
def test_motifs_and_pruning_write_a_motif_analysis(tmp_path):
    out = tmp_path / "motifs"
    assert main(["gggp", "--exon", EXON, *TINY, "--motifs", "default", "--prune",
                 "--prune-tolerance", "0.0025", "--output-dir", str(out)]) == 0
    enrichment = _rows(out / "chr10_94744-94852.motif_enrichment.tsv")
    assert enrichment and {"motif", "direction", "q_value", "cliffs_delta"} <= set(enrichment[0])
    assert {row["direction"] for row in enrichment} == {"gained", "lost"}
    surrogate = _rows(out / "chr10_94744-94852.motif_surrogate.tsv")
    assert len(surrogate) == len(enrichment) and "coefficient" in surrogate[0]
    summary = _rows(out / "summary.tsv")[0]
    assert "top_motif" in summary and float(summary["motif_r2"]) <= 1
    dataset = LocalDataset.from_tsv(out / "chr10_94744-94852.dataset.tsv")
    assert dataset.provenance["settings"]["prune"] == "end"
    assert dataset.provenance["prune_evaluations"] > 0
    assert any(u.startswith("Motif") for ph in dataset.phenotypes for u in ph.split("|"))
    motif_figure = out / "figures" / "01_chr10_94744-94852_motifs.png"
    assert motif_figure.stat().st_size > 5000
    assert len(list((out / "figures").iterdir())) == 5
    html = (out / "report.html").read_text(encoding="utf-8")
    report = ReportParser()
    report.feed(html)
    assert len(report.images) == 5
    assert "score change per motif occurrence gained or lost" in html


def test_bad_table_rows_are_named(tmp_path, capsys):
    table = tmp_path / "exons.tsv"
    table.write_text("name\tchrom\tstrand\tupstream_exon\texon\tdownstream_exon\n"
                     "a\tchr10\t-\t95122-95529\t94744..94852\t94555-94665\n")
    assert main(["gggp", "--table", str(table), "--output-dir", str(tmp_path / "o")]) == 2
    assert "line 2: exon '94744..94852' is not START-END" in capsys.readouterr().err
