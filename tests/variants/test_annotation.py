"""Gene tables: upstream's grch37 table, user tables, chr naming."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from captum_genomics.variants import normalise_chrom, read_gene_table
from tests.support import needs_spliceai

GENES = "tests/fixtures/spliceai/genes.tsv"


@pytest.mark.parametrize(("name", "like", "expected"), [
    ("chr10", "10", "10"), ("10", "chr10", "chr10"), ("10", "1", "10"),
    ("chr10", "chr1", "chr10"), ("chrX", "1", "X"),
])
def test_normalise_chrom(name, like, expected):
    assert normalise_chrom(name, like) == expected


@needs_spliceai
def test_grch37_table_holds_tubb8_on_the_minus_strand():
    table = read_gene_table("grch37")
    assert len(table) > 10000
    for chrom in ("10", "chr10"):
        hits = table.overlapping(chrom, 94000)
        assert [table.names[i] for i in hits] == ["TUBB8"]
    (index,) = table.overlapping("10", 92893)
    assert table.strands[index] == "-"
    assert (table.tx_starts[index], table.tx_ends[index]) == (92893, 95529)
    assert len(table.overlapping("10", 92892)) == 0
    assert len(table.overlapping("10", 95530)) == 0
    # exon starts are shifted to 1-based; ends are kept
    assert {92893, 94054, 94555, 94665, 95529} <= set(table.exon_boundaries[index].tolist())


def test_user_table_order_distances_and_naming():
    table = read_gene_table(GENES)
    assert list(table.names) == ["FAKE_START", "FAKE_PLUS", "TUBB8", "FAKE_END"]
    hits = table.overlapping("10", 94555)  # table uses chr10, query without
    assert [table.names[i] for i in hits] == ["FAKE_PLUS", "TUBB8"]
    tubb8 = 2
    assert table.distances(tubb8, 94560) == (92893 - 94560, 95529 - 94560, 94555 - 94560)
    # equally near boundaries 94852 and 94744 from 94798: the upstream (smaller) offset wins
    assert table.distances(tubb8, 94798)[2] == 94744 - 94798


def test_table_errors(tmp_path, monkeypatch):
    bad = tmp_path / "bad.tsv"
    bad.write_text("#NAME\tCHROM\tSTRAND\tTX_START\tTX_END\tEXON_START\n")
    with pytest.raises(ValueError, match="EXON_END"):
        read_gene_table(bad)
    malformed = tmp_path / "malformed.tsv"
    malformed.write_text("#NAME\tCHROM\tSTRAND\tTX_START\tTX_END\tEXON_START\tEXON_END\n"
                         "G\t1\t+\tx\t10\t1,\t10,\n")
    with pytest.raises(ValueError, match="line 2"):
        read_gene_table(malformed)
    with pytest.raises(FileNotFoundError, match="grch37"):
        read_gene_table(tmp_path / "missing.tsv")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModuleNotFoundError, match=r"pip install --no-deps spliceai==1\.3\.1"):
        read_gene_table("grch38")


def test_exon_boundaries_are_sorted_unions():
    table = read_gene_table(GENES)
    for boundaries in table.exon_boundaries:
        assert np.all(np.diff(boundaries) > 0)
