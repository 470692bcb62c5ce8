"""Tests for captum_genomics.dna.fasta: reading FASTA regions as text and one-hot."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import numpy as np
import pyfaidx
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import captum_genomics
from captum_genomics.dna import fasta as fasta_module
from captum_genomics.dna.annotations import read_bed
from captum_genomics.dna.codec import one_hot, reverse_complement
from captum_genomics.dna.fasta import one_hot_region, read_region

FASTA = Path(captum_genomics.__file__).parent / "data" / "grch37_chr10_1-110000.fa"
CHROM_LENGTH = 110_000

SETTINGS = settings(max_examples=40, deadline=None)


@pytest.fixture(scope="module")
def chrom_text() -> str:
    return FASTA.read_text().split("\n", 1)[1].replace("\n", "")


@SETTINGS
@given(start=st.integers(1, CHROM_LENGTH), size=st.integers(1, 3000), data=st.data())
def test_read_region_matches_file_text(chrom_text, start, size, data):
    end = min(CHROM_LENGTH, start + size - 1)
    expected = chrom_text[start - 1 : end]
    form = data.draw(st.sampled_from(["plain", "commas", "tuple"]))
    region = {
        "plain": f"chr10:{start}-{end}",
        "commas": f"chr10:{start:,}-{end:,}",
        "tuple": ("chr10", np.int64(start), end),
    }[form]
    assert read_region(FASTA, region) == expected
    assert read_region(FASTA, region, strand="-") == reverse_complement(expected)


@pytest.fixture(scope="module")
def mixed_case_region(chrom_text) -> tuple[int, int, int]:
    """A 101-base region (1-based start, end) holding both cases, and its first lowercase base."""
    switch = next(
        i
        for i in range(60_000, CHROM_LENGTH)
        if chrom_text[i].islower() != chrom_text[i + 1].islower()
    )
    start, end = switch - 49, switch + 51
    first_lower = start + next(i for i, c in enumerate(chrom_text[start - 1 : end]) if c.islower())
    return start, end, first_lower


def test_read_region_open_fasta_and_lowercase(chrom_text, mixed_case_region):
    start, end, first_lower = mixed_case_region
    with pyfaidx.Fasta(str(FASTA), as_raw=True) as fa:
        text = read_region(fa, ("chr10", start, end))
    assert text == chrom_text[start - 1 : end]
    assert any(c.islower() for c in text) and any(c.isupper() for c in text)
    with pytest.raises(ValueError, match=rf"soft-masked.*chr10:{first_lower} .*lowercase='accept'"):
        read_region(FASTA, ("chr10", start, end), lowercase="error")
    upper = next(i for i, c in enumerate(chrom_text) if c in "ACGT")
    assert read_region(FASTA, ("chr10", upper + 1, upper + 1), lowercase="error").isupper()


@pytest.mark.parametrize(
    ("region", "pattern"),
    [
        ("chr1:1-10", r"'chr1' is not in the FASTA; available: chr10"),
        ("chr10:0-10", "start must be >= 1"),
        ("chr10:109990-110001", "has length 110000"),
        ("chr10:500-400", "start 500 is after its end 400"),
        ("chr10:500", "expected 'chrom:start-end'"),
        ("chr10:a-b", "expected 'chrom:start-end'"),
    ],
)
def test_read_region_errors(region, pattern):
    with pytest.raises(ValueError, match=pattern):
        read_region(FASTA, region)


def test_read_region_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="strand"):
        read_region(FASTA, "chr10:1-10", strand="forward")
    with pytest.raises(TypeError, match="integers"):
        read_region(FASTA, ("chr10", 1.5, 10))
    with pytest.raises(TypeError, match="path or an open pyfaidx.Fasta"):
        read_region(12, "chr10:1-10")
    with pytest.raises(ValueError, match="not found"):
        read_region(tmp_path / "missing.fa", "chr10:1-10")


def test_one_hot_region(chrom_text, mixed_case_region):
    start, end, _ = mixed_case_region
    assert torch.equal(
        one_hot_region(FASTA, ("chr10", start, end)), one_hot(chrom_text[start - 1 : end])
    )
    regions = ["chr10:94001-94050", ("chr10", 95001, 95050), "chr10:60001-60050"]
    x = one_hot_region(FASTA, regions, strand=["+", "-", "+"], n_policy="uniform")
    texts = [chrom_text[94000:94050], reverse_complement(chrom_text[95000:95050])]
    texts.append(chrom_text[60000:60050])
    assert torch.equal(x, one_hot(texts, n_policy="uniform"))
    single = one_hot_region(FASTA, ("chr10", 94001, 94050), layout="NLC")
    assert torch.equal(single, one_hot(texts[0], layout="NLC"))
    with pytest.raises(ValueError, match="differ in length"):
        one_hot_region(FASTA, ["chr10:1-10", "chr10:1-11"])
    with pytest.raises(ValueError, match="2 strands for 3 regions"):
        one_hot_region(FASTA, regions, strand=["+", "-"])
    with pytest.raises(ValueError, match="lowercase"):
        one_hot_region(FASTA, ("chr10", start, end), lowercase="error")
    with pytest.raises(ValueError, match="empty"):
        one_hot_region(FASTA, [])


def test_one_hot_region_reads_intervals_with_their_strand(chrom_text, tmp_path):
    bed = tmp_path / "regions.bed"
    bed.write_text("chr10\t94000\t94050\tfwd\t0\t+\nchr10\t95000\t95050\trev\t0\t-\n"
                   "chr10\t96000\t96050\tnone\n")
    forward, reverse, unstranded = read_bed(bed)
    texts = [chrom_text[94000:94050], reverse_complement(chrom_text[95000:95050]),
             chrom_text[96000:96050]]
    assert torch.equal(one_hot_region(FASTA, [forward, reverse, unstranded]), one_hot(texts))
    assert torch.equal(one_hot_region(FASTA, reverse), one_hot(texts[1]))
    # A given strand overrides the intervals' own.
    assert torch.equal(one_hot_region(FASTA, reverse, strand="+"),
                       one_hot(chrom_text[95000:95050]))


def _copy_without_index(tmp_path: Path) -> Path:
    directory = tmp_path / "ro"
    directory.mkdir()
    shutil.copy(FASTA, directory / FASTA.name)
    return directory / FASTA.name


def test_read_only_directory(tmp_path, chrom_text):
    fasta = _copy_without_index(tmp_path)
    directory = fasta.parent
    directory.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        if os.access(directory, os.W_OK):
            pytest.skip("chmod does not remove write access here (running as root)")
        assert read_region(fasta, "chr10:95000-95100") == chrom_text[94999:95100]
        assert read_region(fasta, "chr10:100-200") == chrom_text[99:200]
        assert sorted(p.name for p in directory.iterdir()) == [FASTA.name]
    finally:
        directory.chmod(stat.S_IRWXU)


def _pretend_read_only(monkeypatch, directory: Path) -> None:
    real_access = os.access

    def access(path, mode, *args, **kwargs):
        if Path(path) == directory and mode & os.W_OK:
            return False
        return real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(fasta_module.os, "access", access)


def test_unwritable_directory_uses_temporary_index(tmp_path, monkeypatch, chrom_text):
    fasta = _copy_without_index(tmp_path)
    _pretend_read_only(monkeypatch, fasta.parent)
    assert read_region(fasta, "chr10:95000-95100", strand="-") == reverse_complement(
        chrom_text[94999:95100]
    )
    assert not (fasta.parent / (fasta.name + ".fai")).exists()


def test_stale_index_in_unwritable_directory_is_not_trusted(tmp_path, monkeypatch, chrom_text):
    fasta = _copy_without_index(tmp_path)
    index = fasta.parent / (fasta.name + ".fai")
    index.write_text("chr10\t110000\t107\t110000\t110001\n")  # wrong offset
    os.utime(index, (1_000_000, 1_000_000))
    _pretend_read_only(monkeypatch, fasta.parent)
    assert read_region(fasta, "chr10:95000-95100") == chrom_text[94999:95100]
    assert index.read_text().startswith("chr10\t110000\t107\t")


def test_fresh_index_beside_fasta_is_used(tmp_path, monkeypatch):
    fasta = _copy_without_index(tmp_path)
    index = fasta.parent / (fasta.name + ".fai")
    shutil.copy(str(FASTA) + ".fai", index)
    os.utime(index, (fasta.stat().st_mtime + 10,) * 2)
    _pretend_read_only(monkeypatch, fasta.parent)
    assert fasta_module._index_path(fasta) == str(index)


@pytest.mark.parametrize("compress", [False, True])
def test_a_fasta_starting_with_a_byte_order_mark_is_refused_clearly(tmp_path, compress):
    import gzip

    text = b">chr1\nACGTACGT\n"
    data = b"\xef\xbb\xbf" + text
    path = tmp_path / ("bom.fa.gz" if compress else "bom.fa")
    path.write_bytes(gzip.compress(data) if compress else data)
    with pytest.raises(ValueError, match=rf"{path} starts with a UTF-8 byte-order mark.*sed"):
        read_region(path, "chr1:1-4")
    with pytest.raises(ValueError, match="byte-order mark"):
        one_hot_region(path, "chr1:1-4")
    assert not (tmp_path / (path.name + ".fai")).exists()
    plain = tmp_path / "plain.fa"
    plain.write_bytes(text)
    assert read_region(plain, "chr1:1-4") == "ACGT"
