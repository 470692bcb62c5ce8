"""Full delta tracks (DeltaScore.tracks, TrackWriter TSV/JSON), symbolic ALTs, CLI flags."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from captum_genomics.cli import main
from captum_genomics.example_data import example_fasta_path
from captum_genomics.variants import TRACK_COLUMNS, TrackWriter, score_vcf
from tests.support import needs_spliceai, random_spliceai

pysam = pytest.importorskip("pysam")
GENES = "tests/fixtures/spliceai/genes.tsv"
VCF = """##fileformat=VCFv4.2
##contig=<ID=chr10,length=110000>
##contig=<ID=10,length=110000>
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO
chr10\t94555\tsnv\tC\tA,<DEL>\t.\t.\t.
chr10\t94556\tsymbolic\tG\t<DEL>\t.\t.\t.
chr10\t94557\tstar\tG\t*\t.\t.\t.
chr10\t94665\tins\tC\tCAG\t.\t.\t.
10\t94850\tdel\tGAA\tG\t.\t.\t.
"""


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """Scores, output VCF and track files of the VCF above (random SpliceAI-10k, D = 4)."""
    folder = tmp_path_factory.mktemp("tracks")
    source = folder / "in.vcf"
    source.write_text(VCF)
    seen = []
    with TrackWriter(tsv=folder / "t.tsv", json=folder / "t.json") as writer:
        def both(record, scores):
            seen.append((record.id, record.chrom, record.pos, record.ref, scores))
            writer.add(record, scores)

        count = score_vcf(source, folder / "out.vcf", example_fasta_path(), GENES, distance=4,
                          model=random_spliceai(10000), batch_size=4, on_scores=both)
    return folder, count, seen


def test_tracks_agree_with_the_scores(scored):
    _, count, seen = scored
    assert count == 3
    scores = [s for *_, record_scores in seen for s in record_scores]
    assert len(scores) == 6  # snv, ins, del: FAKE_PLUS and TUBB8 each
    for score in scores:
        assert score.tracks.shape == (2, 9, 3)
        change = score.tracks[1] - score.tracks[0]
        expected = (change[:, 1].max(), -change[:, 1].min(), change[:, 2].max(),
                    -change[:, 2].min())
        np.testing.assert_allclose(score.scores, expected, atol=1e-6)
        assert score.positions[0] == int(change[:, 1].argmax()) - 4
    for deletion in seen[-1][-1]:
        np.testing.assert_array_equal(deletion.tracks[1, 5:7], 0)  # the deleted bases


def test_tsv_and_json_hold_every_position(scored):
    folder, _, seen = scored
    with open(folder / "t.tsv", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert tuple(rows[0]) == TRACK_COLUMNS
    assert len(rows) == 6 * 9
    entries = json.loads((folder / "t.json").read_text())
    assert len(entries) == 6
    expected = [(chrom, pos, ref, s) for _, chrom, pos, ref, scores in seen for s in scores]
    for number, (chrom, pos, ref, score) in enumerate(expected):
        block = rows[9 * number:9 * number + 9]
        assert [int(r["pos"]) for r in block] == list(range(pos - 4, pos + 5))
        assert {(r["chrom"], r["variant_pos"], r["ref"], r["alt"], r["gene"]) for r in block} \
            == {(chrom, str(pos), ref, score.allele, score.gene)}
        np.testing.assert_allclose([float(r["acceptor_alt"]) for r in block],
                                   score.tracks[1, :, 1], rtol=1e-7)
        np.testing.assert_allclose([float(r["donor_delta"]) for r in block],
                                   score.tracks[1, :, 2] - score.tracks[0, :, 2], atol=1e-7)
        entry = entries[number]
        assert entry["info"] == score.info and entry["offsets"] == list(range(-4, 5))
        np.testing.assert_allclose(entry["donor_ref"], score.tracks[0, :, 2], rtol=1e-7)
        assert entry["scores"]["DS_AG"] == pytest.approx(score.scores[0])


def test_symbolic_alts_are_copied_without_scores(scored):
    folder, _, _ = scored
    with pysam.VariantFile(str(folder / "out.vcf")) as result:
        records = {r.id: r for r in result}
    assert list(records) == ["snv", "symbolic", "star", "ins", "del"]
    assert records["symbolic"].alts == ("<DEL>",)
    assert "SpliceAI" not in records["symbolic"].info
    assert "SpliceAI" not in records["star"].info
    assert [e.split("|")[0] for e in records["snv"].info["SpliceAI"]] == ["A", "A"]


def test_writer_leaves_nothing_on_error(tmp_path):
    with pytest.raises(RuntimeError, match="boom"), TrackWriter(tsv=tmp_path / "t.tsv",
                                                                json=tmp_path / "t.json"):
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="tsv or a json"):
        TrackWriter()
    with pytest.raises(RuntimeError, match="context manager"):
        TrackWriter(tsv=tmp_path / "t.tsv").add(None, [])


def test_cli_rejects_tracks_with_haplotypes(tmp_path, capsys):
    argv = ["spliceai", "-I", "tests/fixtures/spliceai/variants.vcf", "-O",
            str(tmp_path / "o.tsv"), "-R", str(example_fasta_path()), "-A", GENES,
            "--haplotypes", "S1", "--tracks-tsv", str(tmp_path / "t.tsv")]
    assert main(argv) == 2
    assert "--tracks-tsv applies to VCF scoring" in capsys.readouterr().err


@needs_spliceai
def test_cli_tracks_and_haplotypes(tmp_path):
    source = tmp_path / "in.vcf"
    source.write_text(VCF.replace("##contig", '##FORMAT=<ID=GT,Number=1,Type=String,'
                                              'Description="Genotype">\n##contig')
                      .replace("\tINFO\n", "\tINFO\tFORMAT\tS1\n")
                      .replace("\t.\t.\t.\n", "\t.\t.\t.\tGT\t0|1\n"))
    common = ["-R", str(example_fasta_path()), "-A", GENES, "-D", "2", "--members", "1",
              "--quiet"]
    assert main(["spliceai", "-I", str(source), "-O", str(tmp_path / "out.vcf"), *common,
                 "--tracks-tsv", str(tmp_path / "t.tsv"),
                 "--tracks-json", str(tmp_path / "t.json")]) == 0
    assert len(json.loads((tmp_path / "t.json").read_text())) == 6
    assert len((tmp_path / "t.tsv").read_text().splitlines()) == 1 + 6 * 5
    assert main(["spliceai", "-I", str(source), "-O", str(tmp_path / "hap.tsv"), *common,
                 "--haplotypes", "S1"]) == 0
    with open(tmp_path / "hap.tsv", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    # haplotype 1 holds snv, ins and del (symbolic and * skipped): FAKE_PLUS and TUBB8
    assert [(r["haplotype"], r["gene"]) for r in rows] == [("1", "FAKE_PLUS"), ("1", "TUBB8")]
    assert rows[1]["variants"] == "chr10:94555:C>A;chr10:94665:C>CAG;10:94850:GAA>G"
