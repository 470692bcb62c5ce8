"""``captum-genomics batch --method gggp --exons``: two TUBB8 exons with the published SpliceAI
weights (one member, tiny budgets): one and two local workers write the same files, each row's
outputs are those of ``captum-genomics gggp --table`` run with the row's seed, bad rows are
recorded as failed, and a rerun skips the done rows."""

from __future__ import annotations

import csv
import json
import shutil

import numpy as np
import pytest

from captum_genomics.batch.plan import region_seed
from captum_genomics.cli import main
from captum_genomics.dna.annotations import Interval
from captum_genomics.example_data import TUBB8, example_fasta_path
from captum_genomics.gggp import LocalDataset
from tests.support import needs_spliceai

FASTA = str(example_fasta_path())
HEADER = "name\tchrom\tstrand\tupstream_exon\texon\tdownstream_exon\n"
ROWS = ("second\tchr10\t-\t95122-95529\t94744-94852\t94555-94665\n"
        "beyond\tchr10\t-\t999999700-999999750\t999999500-999999600\t999999300-999999400\n"
        "third\tchr10\t-\t94744-94852\t94555-94665\t92893-94054\n"
        "malformed\tchr10\t-\t95122-95529\t94744..94852\t94555-94665\n")
TINY = ["--members", "1", "--evaluations", "60", "--population", "20", "--max-distance", "300"]
SUFFIXES = ("dataset.tsv", "coefficients.tsv", "attributions.tsv")


def _batch(table, out, workers: int) -> int:
    return main(["batch", "--method", "gggp", "--exons", str(table), "--fasta", FASTA,
                 "--seed", "7", "--workers", str(workers), "--output-dir", str(out), "--quiet",
                 *TINY])


def _rows(path):
    with open(path, encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@needs_spliceai
def test_exon_rows_match_one_worker_two_workers_and_the_gggp_command(tmp_path, capsys):
    table = tmp_path / "exons.tsv"
    table.write_text(HEADER + ROWS)
    one, two = tmp_path / "one", tmp_path / "two"
    assert _batch(table, one, 1) == 1  # two rows fail
    assert _batch(table, two, 2) == 1
    summary = _rows(one / "regions.tsv")
    assert [(r["id"], r["status"]) for r in summary] == [
        ("01_second", "done"), ("02_beyond", "failed"), ("03_third", "done"),
        ("04_malformed", "failed")]
    assert "line 5: exon '94744..94852' is not START-END" in summary[3]["error"]
    assert summary[1]["error"]
    assert [(r["acceptor"], r["donor"]) for r in summary[::2]] == [("94852", "94744"),
                                                                  ("94665", "94555")]
    assert {r["scorer"] for r in summary[::2]} == {"spliceai_exon_mean_incremental"}
    for name in ("01_second", "03_third"):
        for suffix in (*SUFFIXES, "gggp.bedgraph"):
            path = f"regions/{name}.{suffix}"
            assert (one / path).read_bytes() == (two / path).read_bytes(), path
        with np.load(one / f"regions/{name}.npz") as a, np.load(two / f"regions/{name}.npz") as b:
            assert sorted(a) == sorted(b)
            for key in a:
                assert np.array_equal(a[key], b[key]), f"{name}: {key} differs"
            assert a["one_hot_0"].shape == a["gggp_0"].shape == (4, int(a["end"][0])
                                                                 - int(a["start"][0]) + 1
                                                                 + 2 * int(a["flank"]))
            assert np.abs(a["gggp_0"]).sum() > 0
    for merged in ("regions.tsv", "gggp.bedgraph"):
        assert (one / merged).read_bytes() == (two / merged).read_bytes(), merged
    covered = [line.split("\t") for line in (one / "gggp.bedgraph").read_text().splitlines()
               if line.startswith("chr10")]
    # the bases read: "third" from 94665 + 300 down to 94555 - 300, "second" up to 94852 + 300
    assert min(int(c[1]) for c in covered) == 94255 - 1
    assert max(int(c[2]) for c in covered) == 94852 + 300

    # the row's seed derives from the run seed and the exon; the gggp command with that seed
    # writes the same files
    entries = {e["id"]: e for e in map(json.loads, (one / "manifest.jsonl").read_text()
                                       .splitlines()) if "id" in e}
    exon = Interval("chr10", 94744, 94852, TUBB8.strand, "second")
    assert entries["01_second"]["seed"] == region_seed(7, exon)
    single = tmp_path / "single.tsv"
    single.write_text(HEADER + ROWS.splitlines(keepends=True)[0])
    cli = tmp_path / "cli"
    assert main(["gggp", "--table", str(single), "--fasta", FASTA, "--seed",
                 str(entries["01_second"]["seed"]), "--output-dir", str(cli), "--quiet",
                 *TINY]) == 0
    for suffix in SUFFIXES:
        assert (cli / f"second.{suffix}").read_bytes() == \
            (one / f"regions/01_second.{suffix}").read_bytes(), suffix
    assert len(LocalDataset.from_tsv(cli / "second.dataset.tsv")) >= 2

    # a rerun skips the done rows and retries the failed ones
    shutil.rmtree(two)
    before = (one / "regions/01_second.dataset.tsv").stat().st_mtime_ns
    capsys.readouterr()
    assert main(["batch", "--method", "gggp", "--exons", str(table), "--fasta", FASTA,
                 "--seed", "7", "--output-dir", str(one), *TINY]) == 1
    assert "0 region(s) explained, 2 already done, 2 failed" in capsys.readouterr().out
    assert (one / "regions/01_second.dataset.tsv").stat().st_mtime_ns == before


@pytest.mark.parametrize(("extra", "message"), [
    (["--method", "ism"], "--exons is explained by --method gggp"),
    (["--method", "gggp", "--regions", "x.bed"], "--exons replaces --regions"),
    (["--method", "gggp", "--model", "model.pt"], "--exons explains SpliceAI exons"),
    (["--method", "gggp", "--members", "7"], "numbered 1 to 5"),
])
def test_exon_options_are_checked_before_any_work(tmp_path, capsys, extra, message):
    table = tmp_path / "exons.tsv"
    table.write_text(HEADER + ROWS)
    out = tmp_path / "out"
    assert main(["batch", "--exons", str(table), "--fasta", FASTA, "--output-dir", str(out),
                 *extra]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()
