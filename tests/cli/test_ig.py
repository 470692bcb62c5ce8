"""``captum-genomics ig`` end to end on the embedded chr10 FASTA: a TorchScript CNN on BED
regions of both strands, read back from the bigWig at genome coordinates; checks before work;
model specifications; SpliceAI at a site."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import torch

from captum_genomics import GenomicIntegratedGradients, example_fasta_path, one_hot_region
from captum_genomics.cli import main
from captum_genomics.dna.annotations import Interval
from tests.support import ReportParser, needs_spliceai

# TorchScript is a model format the issue asks for; torch 2.13 deprecates its API.
pytestmark = pytest.mark.filterwarnings(
    r"ignore:`torch\.jit\.\w+` is deprecated:DeprecationWarning")

FASTA = str(example_fasta_path())
# chr10:94001-94100 (+) and chr10:95001-95120 (-): sequence, not N, in GRCh37.
BED = "chr10\t94000\t94100\tfwd\t0\t+\nchr10\t95000\t95120\trev\t0\t-\n"

FACTORY_MODULE = r'''
import pathlib
import torch

def build():
    pathlib.Path(__file__).with_name("factory_called").touch()
    torch.manual_seed(1)
    return torch.nn.Sequential(torch.nn.Conv1d(4, 6, 7, padding=3), torch.nn.Softplus(),
                               torch.nn.AdaptiveAvgPool1d(1), torch.nn.Flatten(),
                               torch.nn.Linear(6, 2))

def not_a_model():
    return 3
'''


def _cnn() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Conv1d(4, 8, 9, padding=4), torch.nn.Softplus(),
                               torch.nn.Conv1d(8, 8, 5, padding=2), torch.nn.Softplus(),
                               torch.nn.AdaptiveAvgPool1d(1), torch.nn.Flatten(),
                               torch.nn.Linear(8, 2)).eval()


@pytest.fixture
def scripted(tmp_path):
    path = tmp_path / "cnn.pt"
    torch.jit.script(_cnn()).save(str(path))
    return str(path)


@pytest.fixture
def bed(tmp_path):
    path = tmp_path / "regions.bed"
    path.write_text(BED)
    return str(path)


@pytest.fixture
def factory(tmp_path, monkeypatch):
    (tmp_path / "ig_test_factory.py").write_text(FACTORY_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path / "factory_called"


def _rows(path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_ig_writes_tracks_at_genome_coordinates_of_both_strands(tmp_path, scripted, bed):
    pyBigWig = pytest.importorskip("pyBigWig")
    out = tmp_path / "run"
    assert main(["ig", "--fasta", FASTA, "--regions", bed, "--model", scripted, "--target", "1",
                 "--baseline", "uniform", "--baseline", "shuffle", "--n-shuffles", "2",
                 "--steps", "16", "--output-dir", str(out), "--quiet"]) == 0
    ig = GenomicIntegratedGradients(_cnn())
    for interval in (Interval("chr10", 94001, 94100, "+"), Interval("chr10", 95001, 95120, "-")):
        # The model reads the minus-strand region reverse-complemented; flipping its per-base
        # scores puts them back in ascending genome order.
        x = one_hot_region(FASTA, interval)
        for baseline in ("uniform", "shuffle"):
            expected = ig.attribute(x, baselines=baseline, n_shuffles=2, seed=0, target=1,
                                    n_steps=16, aggregate="sum")[0].detach().numpy()
            if interval.strand == "-":
                expected = expected[::-1]
            bw = pyBigWig.open(str(out / f"ig_{baseline}.bw"))
            try:
                got = np.array(bw.values("chr10", interval.start - 1, interval.end))
            finally:
                bw.close()
            assert np.abs(expected).max() > 1e-4  # a real signal, not zeros everywhere
            np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)
    lines = (out / "ig_uniform.bedgraph").read_text().splitlines()
    assert lines[0].startswith("track type=bedGraph")
    first = lines[1].split("\t")
    assert first[:3] == ["chr10", "94000", "94001"]
    rows = _rows(out / "regions.tsv")
    assert [(r["name"], r["strand"], r["baseline"]) for r in rows] == [
        ("fwd", "+", "uniform"), ("rev", "-", "uniform"), ("fwd", "+", "shuffle"),
        ("rev", "-", "shuffle")]
    for row in rows:
        assert float(row["max_abs_delta"]) < 0.05 * abs(float(row["model_score"])) + 1e-3
    # modisco-lite inputs: regions of two lengths give one pair per length.
    with np.load(out / "modisco" / "uniform_120nt_ohe.npz") as ohe, \
            np.load(out / "modisco" / "uniform_120nt_shap.npz") as shap:
        assert ohe["arr_0"].shape == shap["arr_0"].shape == (1, 4, 120)
        np.testing.assert_array_equal(ohe["arr_0"][0], one_hot_region(FASTA, Interval(
            "chr10", 95001, 95120, "-"))[0].numpy())
    with np.load(out / "attributions.npz") as arrays:
        assert arrays["strand"].tolist() == ["+", "-"]
        assert arrays["uniform_1"].shape == (4, 120)


def _report(path) -> ReportParser:
    parser = ReportParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def test_ig_report_shows_figures_tables_and_settings(tmp_path, scripted, bed):
    annotation = tmp_path / "exons.bed"
    # exon / intron / exon over the + region: the donor 94060 and the acceptor 94081 lie in it
    annotation.write_text("chr10\t94030\t94060\texonA\t0\t+\n"
                          "chr10\t94060\t94080\tintron1\t0\t+\n"
                          "chr10\t94080\t94200\texonB\t0\t+\n")
    out = tmp_path / "run"
    assert main(["ig", "--fasta", FASTA, "--regions", bed, "--model", scripted, "--target", "1",
                 "--steps", "8", "--annotation", str(annotation), "--output-dir", str(out),
                 "--quiet"]) == 0
    report = _report(out / "report.html")
    assert len(report.images) == 4 and all(s.startswith("data:image/png;base64,")
                                           for s in report.images)
    rows = _rows(out / "regions.tsv")
    for row in rows:  # every regions.tsv value is in the report's table
        for column in ("name", "start", "end", "strand"):
            assert row[column] in report.cells
    for setting in ("--annotation", str(annotation), "--steps", scripted, "torch", "numpy"):
        assert setting in report.cells
    figures = sorted(p.name for p in (out / "figures").iterdir())
    assert figures == ["01_fwd_baselines.png", "01_fwd_logo.png", "02_rev_baselines.png",
                       "02_rev_logo.png"]
    assert all((out / "figures" / f).stat().st_size > 5000 for f in figures)
    # intervals.tsv: each feature's sum over the bases it shares with the region, as in the
    # bigWig (the + region is chr10:94001-94100; exonB is clipped to 94081-94100)
    intervals = {row["name"]: row for row in _rows(out / "intervals.tsv")}
    assert set(intervals) == {"exonA", "intron1", "exonB"}
    bw = pytest.importorskip("pyBigWig").open(str(out / "ig_uniform.bw"))
    for name, (first, last) in {"exonA": (94031, 94060), "intron1": (94061, 94080),
                                "exonB": (94081, 94100)}.items():
        expected = float(np.sum(bw.values("chr10", first - 1, last)))
        assert float(intervals[name]["attribution_sum"]) == pytest.approx(expected, rel=1e-5)
        assert int(intervals[name]["n_positions"]) == last - first + 1
    bw.close()
    assert main(["ig", "--fasta", FASTA, "--regions", bed, "--model", scripted,
                 "--annotation", str(tmp_path / "missing.bed"), "--output-dir",
                 str(tmp_path / "o2"), "--quiet"]) == 2


def test_ig_annotation_gives_sites_in_genome_coordinates():
    from captum_genomics.cli.ig import _features_in

    exons = [Interval("chr10", 94901, 95050, "-", "ex1"), Interval("chr10", 95081, 95300, "-",
                                                                   "ex2")]
    intervals, sites = _features_in(Interval("chr10", 95001, 95120, "-"), exons)
    assert [(i.start, i.end) for i in intervals] == [(95001, 95050), (95081, 95120)]
    # minus strand: the acceptor is an exon's high end, the donor its low end
    assert sites == [(95050, "acceptor"), (95081, "donor")]


def test_ig_report_is_capped(tmp_path, scripted):
    out = tmp_path / "out"
    sequences = [a for i in range(12) for a in ("--sequence", "ACGTTGCA" * (i + 1))]
    assert main(["ig", *sequences, "--model", scripted, "--target", "0", "--steps", "4",
                 "--output-dir", str(out), "--quiet"]) == 0
    text = (out / "report.html").read_text(encoding="utf-8")
    assert len(_report(out / "report.html").images) == 2 * 10
    assert "Figures show the first 10 of 12 regions" in text
    assert "sequence12" in text  # the table still lists every region
    assert len(list((out / "figures").iterdir())) == 20


def test_a_bad_output_dir_fails_before_any_work(tmp_path, bed, factory, capsys):
    taken = tmp_path / "taken"
    taken.write_text("a file")
    argv = ["ig", "--fasta", FASTA, "--regions", bed, "--model", "ig_test_factory:build",
            "--target", "1", "--quiet", "--output-dir"]
    assert main([*argv, str(taken)]) == 2
    assert "is a file, not a directory" in capsys.readouterr().err
    full = tmp_path / "full"
    full.mkdir()
    (full / "old.txt").write_text("x")
    assert main([*argv, str(full)]) == 2
    err = capsys.readouterr().err
    assert "already holds old.txt" in err and "--force" in err
    assert not factory.exists()  # the model was never built


def test_an_output_dir_that_cannot_be_created_is_a_usage_error(tmp_path, bed, monkeypatch,
                                                                capsys):
    def refuse(self, *args, **kwargs):
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr(Path, "mkdir", refuse)  # as /proc refuses new folders, even to root
    argv = ["ig", "--fasta", FASTA, "--regions", bed, "--model", "ig_test_factory:build",
            "--target", "1", "--quiet", "--output-dir", str(tmp_path / "new" / "out")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "cannot create --output-dir" in err and "No such file or directory" in err


def test_argument_errors_are_one_line_messages(tmp_path, bed, capsys):
    out = str(tmp_path / "out")
    cases = [
        (["--model", "no_such_thing", "--fasta", FASTA, "--regions", bed],
         "is not 'spliceai', 'cispliceai', an existing file, or module:function"),
        (["--model", "spliceai", "--fasta", FASTA, "--regions", bed, "--target", "7"],
         "needs --target acceptor or donor"),
        (["--model", "x:y", "--fasta", FASTA, "--region", "chr9:1-10"],
         "chromosome 'chr9' is not in"),
        (["--model", "x:y", "--fasta", FASTA, "--region", "chr10:1-10", "--region", "chr10:5-20"],
         "overlap"),
        (["--model", "x:y", "--regions", bed], "pass --fasta FA"),
    ]
    for extra, message in cases:
        assert main(["ig", *extra, "--output-dir", out, "--quiet"]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_module_function_models_and_sequences(tmp_path, factory, capsys):
    out = tmp_path / "out"
    assert main(["ig", "--sequence", "ACGTNACGTTTGACCA", "--model", "ig_test_factory:build",
                 "--target", "0", "--steps", "8", "--output-dir", str(out), "--quiet"]) == 0
    assert factory.exists()
    rows = _rows(out / "regions.tsv")
    assert [(r["chrom"], r["start"], r["end"]) for r in rows] == [("sequence1", "1", "16")]
    assert main(["ig", "--sequence", "ACGT", "--model", "ig_test_factory:not_a_model",
                 "--output-dir", str(tmp_path / "o2"), "--quiet"]) == 2
    assert "not a torch.nn.Module" in capsys.readouterr().err


@needs_spliceai
def test_spliceai_acceptor_at_a_site_on_the_minus_strand(tmp_path):
    pyBigWig = pytest.importorskip("pyBigWig")
    out = tmp_path / "out"
    # The TUBB8 exon chr10:94555-94665 (minus strand) has its acceptor at 94665.
    assert main(["ig", "--fasta", FASTA, "--region", "chr10:94641-94690:-", "--model",
                 "spliceai", "--target", "acceptor", "--site", "94665", "--steps", "4",
                 "--output-dir", str(out), "--quiet"]) == 0
    (row,) = _rows(out / "regions.tsv")
    assert float(row["model_score"]) > 0.5  # SpliceAI calls this acceptor
    bw = pyBigWig.open(str(out / "ig_uniform.bw"))
    try:
        values = np.array(bw.values("chr10", 94640, 94690))
    finally:
        bw.close()
    assert np.isfinite(values).all()
    # The AG of the acceptor lies just upstream in transcript orientation, i.e. at genome
    # positions 94666-94667 on the minus strand: the strongest evidence is near the site.
    assert abs(int(np.argmax(np.abs(values))) + 94641 - 94665) <= 10
