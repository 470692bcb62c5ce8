from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from captum_genomics.dna.codec import reverse_complement
from captum_genomics.dna.fasta import read_region
from captum_genomics.example_data import (
    TUBB8,
    OrientedSequence,
    Transcript,
    example_fasta_path,
    tubb8_sequence,
)

SHA256 = "4173e7c6946a347fa91cdb31a737c333aa65d7eb6edab46ebf7df482326e74a1"
SHARED_NPZ = Path("/work/shared/data/spliceai_reference_outputs.npz")
SETTINGS = settings(max_examples=25, deadline=None)


@pytest.fixture(scope="module")
def chrom_text() -> str:
    return example_fasta_path().read_text().split("\n", 1)[1].replace("\n", "")


def test_shipped_fasta_and_index():
    path = example_fasta_path()
    assert isinstance(path, Path) and path.is_file()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == SHA256
    header = path.read_text().split("\n", 1)[0]
    name, length, offset, bases, width = (path.parent / (path.name + ".fai")).read_text().split()
    assert (name, int(length), int(offset)) == ("chr10", 110_000, len(header) + 1)
    assert int(width) == int(bases) + 1
    assert (path.parent / "README.md").read_text().count(SHA256) == 1


def test_tubb8_annotation_matches_readme():
    assert (TUBB8.chrom, TUBB8.strand, TUBB8.name) == ("chr10", "-", "TUBB8")
    assert TUBB8.exons == ((92893, 94054), (94555, 94665), (94744, 94852), (95122, 95529))
    assert (TUBB8.start, TUBB8.end) == (92893, 95529)
    assert TUBB8.exons_transcript_order[0] == (95122, 95529)
    assert TUBB8.acceptors == (94852, 94665, 94054)
    assert TUBB8.donors == (95122, 94744, 94555)
    with pytest.raises(dataclasses.FrozenInstanceError):
        TUBB8.strand = "+"


def test_plus_strand_transcript_sites():
    tx = Transcript("toy", "chr1", "+", ((10, 20), (30, 40), (50, 60)))
    assert tx.acceptors == (30, 50)
    assert tx.donors == (20, 40)
    single = Transcript("mono", "chr1", "-", ((5, 9),))
    assert single.acceptors == () and single.donors == ()


@pytest.mark.parametrize(
    ("exons", "strand", "pattern"),
    [
        (((10, 20), (15, 30)), "+", "non-overlapping"),
        (((30, 40), (10, 20)), "-", "ascending"),
        (((0, 5),), "+", "1 <= start <= end"),
        (((9, 5),), "+", "1 <= start <= end"),
        ((), "+", "at least one exon"),
        (((1, 5),), ".", "strand"),
    ],
)
def test_transcript_validation(exons, strand, pattern):
    with pytest.raises(ValueError, match=pattern):
        Transcript("bad", "chr1", strand, exons)


@SETTINGS
@given(upstream=st.integers(0, 14_471), downstream=st.integers(0, 3_000))
def test_tubb8_sequence_orientation_and_splice_sites(chrom_text, upstream, downstream):
    region = tubb8_sequence(flank=(upstream, downstream))
    assert (region.chrom, region.strand) == ("chr10", "-")
    assert (region.start, region.end) == (92893 - downstream, 95529 + upstream)
    assert region.sequence == reverse_complement(chrom_text[region.start - 1 : region.end])
    seq = region.sequence.upper()
    # Canonical splice sites in transcript orientation: intron ...AG|exon, exon|GT... intron.
    for acceptor in region.index(TUBB8.acceptors):
        assert seq[acceptor - 2 : acceptor] == "AG"
    for donor in region.index(TUBB8.donors):
        assert seq[donor + 1 : donor + 3] == "GT"
    assert region.index(TUBB8.end) == upstream


@SETTINGS
@given(flank=st.integers(0, 2000), data=st.data())
def test_coordinate_mapping_round_trip(chrom_text, flank, data):
    region = tubb8_sequence(flank=flank)
    positions = np.array(
        data.draw(st.lists(st.integers(region.start, region.end), min_size=1, max_size=50))
    )
    idx = region.index(positions)
    assert idx.shape == positions.shape
    np.testing.assert_array_equal(region.position(idx), positions)
    complement = str.maketrans("ACGTNacgtn", "TGCANtgcan")
    for p, i in zip(positions.tolist(), idx.tolist()):
        assert region.sequence[i] == chrom_text[p - 1].translate(complement)
    assert isinstance(region.index(int(positions[0])), int)
    assert isinstance(region.position(0), int) and region.position(0) == region.end


def test_plus_strand_oriented_sequence(chrom_text):
    tx = Transcript("toy", "chr10", "+", ((94001, 94010), (94021, 94030)))
    region = tx.oriented_sequence(example_fasta_path(), flank=(3, 5))
    assert (region.start, region.end) == (93998, 94035)
    assert region.sequence == chrom_text[93997:94035]
    assert region.index(94001) == 3 and region.position(3) == 94001


def test_matches_spliceai_reference_input():
    region = tubb8_sequence(flank=(6182, 6181))
    assert (region.start, region.end, len(region)) == (86712, 101711, 15000)
    assert region.sequence == read_region(example_fasta_path(), "chr10:86712-101711", strand="-")
    if not SHARED_NPZ.exists():
        pytest.skip("shared SpliceAI reference outputs not available")
    with np.load(SHARED_NPZ) as npz:
        assert str(npz["tubb8_rc_15000/sequence"]) == region.sequence.upper()


@pytest.mark.parametrize(
    ("flank", "exc", "pattern"),
    [
        (14_472, ValueError, "at most 14471 bases upstream and 92892 downstream"),
        ((0, 92_893), ValueError, "at most 14471"),
        (-1, ValueError, ">= 0"),
        ((1, -2), ValueError, ">= 0"),
        (1.5, TypeError, "flank must be an int"),
        ((1, 2, 3), TypeError, "flank must be an int"),
    ],
)
def test_tubb8_sequence_bad_flank(flank, exc, pattern):
    with pytest.raises(exc, match=pattern):
        tubb8_sequence(flank=flank)


def test_oriented_sequence_validation():
    region = OrientedSequence("ACGT", "chr1", 11, 14, "-")
    assert region.index(14) == 0 and region.position(3) == 11
    with pytest.raises(ValueError, match="position outside chr1:11-14"):
        region.index([10, 12])
    with pytest.raises(ValueError, match="index out of range"):
        region.position(4)
    with pytest.raises(ValueError, match="spans 5 bases"):
        OrientedSequence("ACGT", "chr1", 10, 14, "+")
    with pytest.raises(ValueError, match="strand"):
        OrientedSequence("ACGT", "chr1", 11, 14, "?")
