"""Tests for captum_genomics.dna.annotations (BED / GFF3 reading, interval filtering)."""

from __future__ import annotations

import gzip
import shutil
import tempfile
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from captum_genomics.dna.annotations import Interval, filter_intervals, read_bed, read_gff3

FIXTURES = Path(__file__).parent.parent / "fixtures"
GFF = FIXTURES / "annotations_tubb8.gff3"
BED = FIXTURES / "annotations_tubb8.bed"

TUBB8_EXONS = [(95122, 95529), (94744, 94852), (94555, 94665), (92893, 94054)]


# ---------------------------------------------------------------- fixtures, by hand


def test_gff3_genes_from_fixture():
    genes = read_gff3(GFF)
    assert genes == [
        Interval("chr10", 92893, 95529, "-", "TUBB8", "gene"),
        Interval("chr10", 60001, 60100, "+", "syn;thetic,A=1%", "gene"),
        Interval("chr10", 100, 200, ".", "gene:synthB", "gene"),
        Interval("chr10", 300, 400, "+", "chr10:300-400", "gene"),
    ]


def test_gff3_feature_selection_and_attribute():
    exons = read_gff3(GFF, feature="exon")
    assert [(e.start, e.end) for e in exons] == TUBB8_EXONS
    assert {e.feature for e in exons} == {"exon"}
    by_id = read_gff3(GFF, feature=["gene", "mRNA"], attribute="ID")
    assert [i.name for i in by_id] == [
        "gene:TUBB8", "tx:TUBB8-201", "gene:synthA", "gene:synthB", "chr10:300-400"
    ]
    # Missing attribute falls back to ID.
    notes = read_gff3(GFF, feature="gene", attribute="Note")
    assert [i.name for i in notes][:2] == ["gene:TUBB8", "escaped"]
    assert len(read_gff3(GFF, feature=None)) == 9  # stops at ##FASTA


def test_bed_from_fixture_converts_to_one_based():
    records = read_bed(BED)
    assert records[0] == Interval("chr10", 92893, 95529, "-", "TUBB8-201", "")
    assert [(r.start, r.end) for r in records[1:5]] == TUBB8_EXONS
    assert records[5] == Interval("chr10", 100, 200, ".", "chr10:100-200", "")
    assert records[6] == Interval("chr10", 300, 400, "+", "chr10:300-400", "")
    assert len(records) == 7


def test_bed_and_gff3_agree_on_the_same_features():
    bed = {r.name: (r.chrom, r.start, r.end, r.strand, len(r)) for r in read_bed(BED)}
    for exon in read_gff3(GFF, feature="exon"):
        assert bed[exon.name] == (exon.chrom, exon.start, exon.end, exon.strand, len(exon))
    gene = read_gff3(GFF)[0]
    assert bed["TUBB8-201"][1:3] == (gene.start, gene.end)
    assert len(gene) == 95529 - 92893 + 1


def test_gzip_files_read_like_plain(tmp_path):
    for source, reader in ((BED, read_bed), (GFF, read_gff3)):
        target = tmp_path / (source.name + ".gz")
        with open(source, "rb") as src, gzip.open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
        assert reader(target) == reader(source)
        # Detection is by content, not by suffix.
        renamed = tmp_path / ("compressed_" + source.name)
        shutil.copy(target, renamed)
        assert reader(renamed) == reader(source)


@pytest.mark.parametrize("compress", [False, True])
def test_a_byte_order_mark_is_not_read_into_the_first_chromosome(tmp_path, compress):
    for source, reader in ((BED, read_bed), (GFF, read_gff3)):
        data = b"\xef\xbb\xbf" + source.read_bytes()
        target = tmp_path / ("bom_" + source.name)
        target.write_bytes(gzip.compress(data) if compress else data)
        assert reader(target) == reader(source)
    headless = tmp_path / "headless.gff3"
    headless.write_bytes(b"\xef\xbb\xbfchr1\tsrc\tgene\t1\t10\t.\t+\t.\tID=g\n")
    assert read_gff3(headless)[0].chrom == "chr1"


def test_crlf_and_whitespace_bed(tmp_path):
    path = tmp_path / "x.bed"
    path.write_bytes(b"chr1 0 10 a\r\nchr2\t5\t6\r\n")
    assert read_bed(path) == [
        Interval("chr1", 1, 10, ".", "a"),
        Interval("chr2", 6, 6, ".", "chr2:6-6"),
    ]


# ---------------------------------------------------------------- properties

interval_st = st.builds(
    lambda chrom, start, length, strand, name: Interval(
        chrom, start, start + length - 1, strand, name, "gene"
    ),
    st.sampled_from(["chr1", "chrX", "scaffold_1", "chr 2;x"]),
    st.integers(1, 10**9),
    st.integers(1, 10**6),
    st.sampled_from(["+", "-", "."]),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
        min_size=1,
        max_size=12,
    ),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(interval_st, min_size=1, max_size=8), st.booleans())
def test_gff3_round_trip_with_percent_encoding(intervals, compress):
    lines = ["##gff-version 3"]
    for iv in intervals:
        attrs = f"ID=id{len(lines)};Name={quote(iv.name, safe='')}"
        lines.append(
            "\t".join([quote(iv.chrom, safe=""), "t", "gene", str(iv.start), str(iv.end),
                       ".", iv.strand, ".", attrs])
        )
    text = "\n".join(lines) + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "a.gff3"
        if compress:
            with gzip.open(path, "wt", encoding="utf-8") as handle:
                handle.write(text)
        else:
            path.write_text(text, encoding="utf-8")
        assert read_gff3(path) == intervals


@settings(max_examples=40, deadline=None)
@given(st.lists(interval_st, min_size=1, max_size=8))
def test_bed_and_gff3_conventions_agree(intervals):
    bed_lines, gff_lines = [], ["##gff-version 3"]
    for k, iv in enumerate(intervals):
        chrom = f"c{k % 3}"
        bed_lines.append(f"{chrom}\t{iv.start - 1}\t{iv.end}\tf{k}\t0\t{iv.strand}")
        gff_lines.append(
            f"{chrom}\ts\tgene\t{iv.start}\t{iv.end}\t.\t{iv.strand}\t.\tName=f{k}"
        )
    with tempfile.TemporaryDirectory() as tmp:
        bed_path, gff_path = Path(tmp) / "a.bed", Path(tmp) / "a.gff3"
        bed_path.write_text("\n".join(bed_lines) + "\n")
        gff_path.write_text("\n".join(gff_lines) + "\n")
        from_bed, from_gff = read_bed(bed_path), read_gff3(gff_path)
    assert [(i.chrom, i.start, i.end, i.strand, i.name) for i in from_bed] == [
        (i.chrom, i.start, i.end, i.strand, i.name) for i in from_gff
    ]
    assert [(i.start, i.end) for i in from_bed] == [(i.start, i.end) for i in intervals]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(interval_st, max_size=15),
    st.one_of(st.none(), st.sampled_from(["chr1", "chrX"])),
    st.one_of(st.none(), st.integers(1, 10**9)),
    st.one_of(st.none(), st.integers(0, 2 * 10**6)),
)
def test_filter_intervals_matches_naive_overlap(intervals, chrom, start, width):
    end = None if start is None or width is None else start + width
    kept = filter_intervals(intervals, chrom=chrom, start=start, end=end)
    expected = []
    for iv in intervals:
        positions_lo = max(iv.start, start if start is not None else iv.start)
        positions_hi = min(iv.end, end if end is not None else iv.end)
        if (chrom is None or iv.chrom == chrom) and positions_lo <= positions_hi:
            expected.append(iv)
    assert kept == expected


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("chr1\t0\n", "3 to 12 columns"),
        ("chr1\t0\t5\t" + "\t".join("x" * 10) + "\n", "3 to 12 columns"),
        ("chr1\tzero\t5\n", "chromStart 'zero' is not an integer"),
        ("chr1\t-1\t5\n", "chromStart must be >= 0"),
        ("chr1\t5\t5\n", "must exceed chromStart"),
        ("chr1\t0\t5\tn\t0\tx\n", "strand must be one of"),
    ],
)
def test_bed_errors_name_file_and_line(tmp_path, content, message):
    path = tmp_path / "bad.bed"
    path.write_text("track name=x\nchr1\t0\t1\n" + content)
    with pytest.raises(ValueError, match=message) as info:
        read_bed(path)
    assert "bad.bed, line 3" in str(info.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("chr1\ts\tgene\t1\t5\t.\t+\t.\n".replace("\t.\n", "\n"), "9 tab-separated"),
        ("chr1\ts\tgene\tone\t5\t.\t+\t.\tID=a\n", "start 'one' is not an integer"),
        ("chr1\ts\tgene\t0\t5\t.\t+\t.\tID=a\n", "1 <= start <= end"),
        ("chr1\ts\tgene\t6\t5\t.\t+\t.\tID=a\n", "1 <= start <= end"),
        ("chr1\ts\tgene\t1\t5\t.\t*\t.\tID=a\n", "strand must be one of"),
        ('chr1\ts\tgene\t1\t5\t.\t+\t.\tgene_id "a";\n', "lacks '='"),
    ],
)
def test_gff3_errors_name_file_and_line(tmp_path, content, message):
    path = tmp_path / "bad.gff3"
    path.write_text("##gff-version 3\nchr1\ts\tgene\t1\t2\t.\t+\t.\tID=ok\n" + content)
    with pytest.raises(ValueError, match=message) as info:
        read_gff3(path)
    assert "bad.gff3, line 3" in str(info.value)


def test_gff3_skips_unselected_malformed_types_only_after_column_check(tmp_path):
    path = tmp_path / "a.gff3"
    path.write_text("chr1\ts\texon\tnot_a_number\t5\t.\t+\t.\tID=a\n")
    assert read_gff3(path, feature="gene") == []
    with pytest.raises(ValueError, match="line 1"):
        read_gff3(path, feature="exon")


def test_argument_and_interval_validation():
    with pytest.raises(ValueError, match="start must be >= 1"):
        Interval("chr1", 0, 5)
    with pytest.raises(ValueError, match="must be >= start"):
        Interval("chr1", 5, 4)
    with pytest.raises(ValueError, match="strand"):
        Interval("chr1", 1, 4, "?")
    with pytest.raises(TypeError, match="start must be an int"):
        Interval("chr1", 1.0, 4)
    assert Interval("chr1", np.int64(3), np.int32(4)).start == 3
    assert type(Interval("chr1", np.int64(3), 4).start) is int
    with pytest.raises(TypeError, match="feature must be"):
        read_gff3(GFF, feature=3)
    with pytest.raises(TypeError, match="attribute"):
        read_gff3(GFF, attribute="")
    with pytest.raises(ValueError, match="start .* must be <= end"):
        filter_intervals([], start=5, end=4)
    with pytest.raises(TypeError, match="Interval objects"):
        filter_intervals([("chr1", 1, 2)])
    with pytest.raises(TypeError, match="start must be an int"):
        filter_intervals([], start=1.5)
    with pytest.raises(FileNotFoundError):
        read_bed(FIXTURES / "annotations_missing.bed")
