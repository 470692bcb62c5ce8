"""Gene tables from GTF/GFF3: same table as upstream's format, transcript choice, same scores."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np
import pytest

from captum_genomics.example_data import example_fasta_path
from captum_genomics.variants import GeneTable, read_gene_table, score_vcf
from captum_genomics.variants.annotation import _upstream_table_path
from tests.support import needs_spliceai, random_spliceai

GENES = Path("tests/fixtures/spliceai/genes.tsv")
FIXTURES = Path("tests/fixtures/spliceai")


def _rows(path: Path, keep=lambda row: True) -> list[dict]:
    with open(path, newline="") as handle:
        return [row for row in csv.DictReader(handle, delimiter="\t") if keep(row)]


def _exons(row: dict) -> list[tuple[int, int]]:
    starts = [int(v) + 1 for v in row["EXON_START"].split(",") if v]
    ends = [int(v) for v in row["EXON_END"].split(",") if v]
    return list(zip(starts, ends))


def _gtf(rows: list[dict], tag: str | None, decoy: str) -> str:
    """GTF lines of the rows, each gene with a decoy transcript (first exon only) before it.

    ``decoy="short"`` ends the decoy at its first exon; ``"long"`` stretches it 100 nt past
    the transcript end (so only a tag can beat it).
    """
    lines = []
    for number, row in enumerate(rows):
        chrom, strand, name = row["CHROM"], row["STRAND"], row["#NAME"]
        gene = f'gene_id "G{number}"; gene_name "{name}";'
        start, end = int(row["TX_START"]) + 1, int(row["TX_END"])
        exons = _exons(row)
        lines.append(f"{chrom}\ttest\tgene\t{start}\t{end}\t.\t{strand}\t.\t{gene}")
        first = exons[0]
        decoy_end = first[1] if decoy == "short" else end + 100
        for kind, (s, e) in (("transcript", (first[0], decoy_end)), ("exon", (first[0],
                                                                            decoy_end))):
            lines.append(f"{chrom}\ttest\t{kind}\t{s}\t{e}\t.\t{strand}\t.\t{gene} "
                         f'transcript_id "D{number}";')
        tags = f' tag "basic"; tag "{tag}";' if tag else ""
        lines.append(f"{chrom}\ttest\ttranscript\t{start}\t{end}\t.\t{strand}\t.\t{gene} "
                     f'transcript_id "T{number}";{tags}')
        for s, e in exons:
            lines.append(f"{chrom}\ttest\texon\t{s}\t{e}\t.\t{strand}\t.\t{gene} "
                         f'transcript_id "T{number}";')
            lines.append(f"{chrom}\ttest\tCDS\t{s}\t{e}\t.\t{strand}\t0\t{gene} "
                         f'transcript_id "T{number}";')
    return "##description: test\n" + "\n".join(lines) + "\n"


def _gff3(rows: list[dict]) -> str:
    lines = ["##gff-version 3"]
    for number, row in enumerate(rows):
        chrom, strand = row["CHROM"], row["STRAND"]
        start, end = int(row["TX_START"]) + 1, int(row["TX_END"])
        lines.append(f"{chrom}\ttest\tgene\t{start}\t{end}\t.\t{strand}\t.\t"
                     f"ID=gene{number};Name={row['#NAME']}")
        lines.append(f"{chrom}\ttest\tmRNA\t{start}\t{end}\t.\t{strand}\t.\t"
                     f"ID=tx{number};Parent=gene{number};Name={row['#NAME']}-201;"
                     "tag=basic,MANE_Select")
        for s, e in _exons(row):
            lines.append(f"{chrom}\ttest\texon\t{s}\t{e}\t.\t{strand}\t.\tParent=tx{number}")
    return "\n".join(lines) + "\n"


def _assert_same(table: GeneTable, expected: GeneTable) -> None:
    for name in ("names", "chroms", "strands", "tx_starts", "tx_ends"):
        np.testing.assert_array_equal(getattr(table, name), getattr(expected, name))
    assert len(table.exon_boundaries) == len(expected.exon_boundaries)
    for got, want in zip(table.exon_boundaries, expected.exon_boundaries):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("suffix", [".gtf", ".gtf.gz", ".gff3", ".GFF"])
def test_gtf_and_gff3_give_the_table(tmp_path, suffix):
    rows = _rows(GENES)
    text = _gtf(rows, None, "short") if "gtf" in suffix else _gff3(rows)
    path = tmp_path / f"genes{suffix}"
    if suffix.endswith(".gz"):
        with gzip.open(path, "wt") as handle:
            handle.write(text)
    else:
        path.write_text(text)
    _assert_same(read_gene_table(path), read_gene_table(GENES))


@pytest.mark.parametrize("tag", ["Ensembl_canonical", "MANE_Select", "canonical"])
def test_tagged_transcript_beats_a_longer_one(tmp_path, tag):
    path = tmp_path / "genes.gtf"
    path.write_text(_gtf(_rows(GENES), tag, "long"))
    _assert_same(read_gene_table(path), read_gene_table(GENES))
    path.write_text(_gtf(_rows(GENES), None, "long"))
    untagged = read_gene_table(path)  # without tags the longer decoy wins
    assert untagged.tx_ends.tolist() == [int(r["TX_END"]) + 100 for r in _rows(GENES)]


def test_gtf_errors(tmp_path):
    path = tmp_path / "bad.gtf"
    path.write_text("chr10\ttest\texon\t1\t10\n")
    with pytest.raises(ValueError, match="9 tab-separated"):
        read_gene_table(path)
    path.write_text('chr10\ttest\tgene\t1\t10\t.\t+\t.\tgene_id "G";\n')
    with pytest.raises(ValueError, match="no exon"):
        read_gene_table(path)
    path.write_text('chr10\ttest\texon\tx\t10\t.\t+\t.\tgene_id "G"; transcript_id "T";\n')
    with pytest.raises(ValueError, match="line 1"):
        read_gene_table(path)


@needs_spliceai
def test_gtf_from_grch37_rows_scores_the_fixture_vcf_alike(tmp_path):
    pytest.importorskip("pysam")
    rows = _rows(_upstream_table_path("grch37"),
                 lambda row: row["CHROM"] == "10" and int(row["TX_START"]) < 110000)
    assert [row["#NAME"] for row in rows] == ["TUBB8"]
    gtf = tmp_path / "grch37_chr10.gtf"
    gtf.write_text(_gtf(rows, "Ensembl_canonical", "long"))
    table = tmp_path / "grch37_chr10.tsv"
    with open(table, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter="\t")
        writer.writeheader()
        writer.writerows(rows)
    ids = {"v2", "v3", "v5", "v9", "v13", "v14"}
    vcf = tmp_path / "in.vcf"
    vcf.write_text("".join(line for line in open(FIXTURES / "variants.vcf")
                           if line.startswith("#") or line.split("\t")[2] in ids))
    model = random_spliceai(10000)
    outputs = []
    for annotation in (table, gtf):
        out = tmp_path / f"out_{annotation.suffix[1:]}.vcf"
        assert score_vcf(vcf, out, example_fasta_path(), annotation, distance=10,
                         model=model, batch_size=8) == len(ids)
        outputs.append([line.split("\t")[7] for line in open(out) if not line.startswith("#")])
    assert outputs[0] == outputs[1]
    assert all("SpliceAI=" in info and "|TUBB8|" in info for info in outputs[1])
