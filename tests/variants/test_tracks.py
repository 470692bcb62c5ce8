"""Full delta tracks (DeltaScore.tracks, TrackWriter TSV/JSON), symbolic ALTs, CLI flags."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from captum_genomics.cli import main
from captum_genomics.example_data import example_fasta_path
from captum_genomics.variants import (
    HAPLOTYPE_TRACK_COLUMNS,
    TRACK_COLUMNS,
    HaplotypeTrackWriter,
    TrackWriter,
    Variant,
    haplotype_scores,
    read_gene_table,
    score_vcf,
)
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


def _read_tsv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_haplotype_track_of_one_variant_equals_its_vcf_track(scored, tmp_path):
    folder, _, seen = scored
    vcf_rows = _read_tsv(folder / "t.tsv")
    model = random_spliceai(10000)  # the scored fixture's model (same seed)
    table = read_gene_table(GENES)
    haplotypes = [h for _, chrom, pos, ref, scores in seen for alt in dict.fromkeys(
                  s.allele for s in scores)
                  for h in haplotype_scores(model, example_fasta_path(),
                                            [Variant(chrom, pos, ref, alt)], table, distance=4)]
    assert len(haplotypes) == 6
    with HaplotypeTrackWriter(tsv=tmp_path / "h.tsv", json=tmp_path / "h.json") as writer:
        writer.add(haplotypes)
    assert writer.n_entries == 6
    rows = _read_tsv(tmp_path / "h.tsv")
    assert tuple(rows[0]) == HAPLOTYPE_TRACK_COLUMNS
    assert len(rows) == len(vcf_rows) == 6 * 9
    for row, vcf_row in zip(rows, vcf_rows):
        assert (row["chrom"], row["pos"], row["gene"], row["offset"]) == (
            vcf_row["chrom"], vcf_row["pos"], vcf_row["gene"], vcf_row["offset"])
        assert row["variants"] == f"{vcf_row['chrom']}:{vcf_row['variant_pos']}:" \
                                  f"{vcf_row['ref']}>{vcf_row['alt']}"
        assert (row["sample"], row["haplotype"]) == ("None", "None")
        for column in TRACK_COLUMNS[7:]:
            assert float(row[column]) == pytest.approx(float(vcf_row[column]), abs=1e-6)
    entries = json.loads((tmp_path / "h.json").read_text())
    vcf_entries = json.loads((folder / "t.json").read_text())
    for entry, vcf_entry, haplotype in zip(entries, vcf_entries, haplotypes):
        assert (entry["chrom"], entry["pos"], entry["gene"], entry["offsets"]) == (
            vcf_entry["chrom"], vcf_entry["pos"], vcf_entry["gene"], vcf_entry["offsets"])
        assert entry["variants"] == [str(v) for v in haplotype.variants]
        assert entry["info"] == haplotype.info
        for name in ("acceptor_ref", "acceptor_alt", "donor_ref", "donor_alt", "donor_delta"):
            np.testing.assert_allclose(entry[name], vcf_entry[name], atol=1e-6)
        assert entry["scores"] == pytest.approx(vcf_entry["scores"], abs=1e-6)
        assert entry["positions"] == vcf_entry["positions"]


def test_haplotype_writer_errors(tmp_path):
    with pytest.raises(ValueError, match="HaplotypeTrackWriter needs a tsv or a json"):
        HaplotypeTrackWriter()
    with pytest.raises(RuntimeError, match="context manager"):
        HaplotypeTrackWriter(json=tmp_path / "h.json").add([])
    with pytest.raises(RuntimeError, match="boom"), HaplotypeTrackWriter(tsv=tmp_path / "h"):
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


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
    # with the track flags: every position from 94555 - 2 to 94850 + 2, per gene
    assert main(["spliceai", "-I", str(source), "-O", str(tmp_path / "hap2.tsv"), *common,
                 "--haplotypes", "S1", "--tracks-tsv", str(tmp_path / "ht.tsv"),
                 "--tracks-json", str(tmp_path / "ht.json")]) == 0
    assert (tmp_path / "hap2.tsv").read_text() == (tmp_path / "hap.tsv").read_text()
    track_rows = _read_tsv(tmp_path / "ht.tsv")
    span = 94850 - 94555 + 2 * 2 + 1
    assert len(track_rows) == 2 * span
    assert [int(r["pos"]) for r in track_rows[:span]] == list(range(94553, 94853))
    assert {(r["sample"], r["haplotype"], r["variants"]) for r in track_rows} == {
        ("S1", "1", rows[1]["variants"])}
    entries = json.loads((tmp_path / "ht.json").read_text())
    assert [(e["gene"], e["haplotype"], len(e["offsets"])) for e in entries] == [
        ("FAKE_PLUS", 1, span), ("TUBB8", 1, span)]
    for entry, row in zip(entries, rows):
        assert [entry["scores"][k] for k in ("DS_AG", "DS_AL", "DS_DG", "DS_DL")] == \
            pytest.approx([float(row[k]) for k in ("DS_AG", "DS_AL", "DS_DG", "DS_DL")],
                          abs=0.0051)
