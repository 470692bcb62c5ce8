"""Haplotype scores: one variant equals delta_scores, distant variants add, close ones interact."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from captum_genomics.dna.fasta import read_region
from captum_genomics.example_data import example_fasta_path
from captum_genomics.variants import (
    Variant,
    delta_scores,
    haplotype_scores,
    read_haplotypes,
    score_haplotypes,
)
from tests.support import random_spliceai


class PairModel(torch.nn.Module):
    """Known truth: acceptor probability at a base = [A one base before] * [A one base after]."""

    context = 4

    def __init__(self):
        super().__init__()
        self.unused = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        acceptor = x[:, 0, 1:-3] * x[:, 0, 3:-1]
        return torch.stack([1 - acceptor, acceptor, torch.zeros_like(acceptor)], dim=1)


def _base(pos: int) -> str:
    return read_region(example_fasta_path(), ("chr10", pos, pos)).upper()


@pytest.mark.parametrize(("pos", "ref", "alt"), [(94555, "C", "A"), (94665, "C", "CAG"),
                                                 (94850, "GAA", "G")])
def test_one_variant_equals_delta_scores(table, pos, ref, alt):
    model = random_spliceai(10000)
    singles = delta_scores(model, example_fasta_path(), "chr10", pos, ref, alt, table,
                           distance=5)
    haplotypes = haplotype_scores(model, example_fasta_path(), [Variant("chr10", pos, ref, alt)],
                                  table, distance=5)
    assert [h.gene for h in haplotypes] == [s.gene for s in singles]
    for single, haplotype in zip(singles, haplotypes):
        np.testing.assert_allclose(haplotype.scores, single.scores, atol=1e-6)
        assert haplotype.positions == single.positions
        np.testing.assert_allclose(haplotype.tracks, single.tracks, atol=1e-6)
        assert haplotype.info.split("|")[1:] == single.info.split("|")[1:]
        assert haplotype.info.startswith(f"{pos}:{ref}>{alt}|")


def test_distant_variants_add(table):
    model = random_spliceai(80, seed=3)  # receptive field +-40
    first, second = (Variant("chr10", p, _base(p), "A" if _base(p) != "A" else "G")
                     for p in (94100, 95100))
    gap = second.pos - first.pos

    def delta(variants, distance):
        (score,) = [s for s in haplotype_scores(model, example_fasta_path(), variants, table,
                                                distance=distance) if s.gene == "TUBB8"]
        return score, score.tracks[1] - score.tracks[0]

    both, combined = delta([second, first], 20)
    assert both.variants == (first, second)
    _, alone_first = delta([first], gap + 20)
    _, alone_second = delta([second], gap + 20)
    expected = alone_first[gap:] + alone_second[:gap + 41]
    assert combined.shape == expected.shape == (gap + 41, 3)
    np.testing.assert_allclose(combined, expected, atol=1e-5)
    assert np.abs(alone_first[gap:gap + 41]).max() > 1e-3  # each variant does change something
    gains = (combined[:, 1].max(), -combined[:, 1].min(), combined[:, 2].max(),
             -combined[:, 2].min())
    np.testing.assert_allclose(both.scores, gains, atol=1e-6)


def test_close_variants_interact_in_a_known_model(table):
    # FAKE_END (plus strand) is the only gene here; find p with no A at p - 2 .. p + 4.
    pos = next(p for p in range(104100, 109900)
               if "A" not in read_region(example_fasta_path(), ("chr10", p - 2, p + 4)).upper())
    left, right = (Variant("chr10", p, _base(p), "A") for p in (pos, pos + 2))
    model = PairModel()
    (alone_left,) = haplotype_scores(model, example_fasta_path(), [left], table, distance=3)
    (alone_right,) = haplotype_scores(model, example_fasta_path(), [right], table, distance=3)
    (both,) = haplotype_scores(model, example_fasta_path(), [left, right], table, distance=3)
    assert both.gene == "FAKE_END"
    assert alone_left.scores[0] == alone_right.scores[0] == 0.0  # neither alone makes a site
    assert both.scores[0] == 1.0 and both.positions[0] == 1  # together: an acceptor at pos + 1
    assert both.tracks[1, 3 + 1, 1] == 1.0 and both.tracks[0, 3 + 1, 1] == 0.0


def test_deletion_shifts_the_bases_after_it(table):
    pos = next(p for p in range(104100, 109900)
               if "A" not in read_region(example_fasta_path(), ("chr10", p - 4, p + 8)).upper())
    ref = read_region(example_fasta_path(), ("chr10", pos, pos + 2)).upper()
    early = Variant("chr10", pos - 1, _base(pos - 1), "A")
    deletion = Variant("chr10", pos, ref, ref[0])  # deletes pos + 1, pos + 2
    late = Variant("chr10", pos + 3, _base(pos + 3), "A")
    (score,) = haplotype_scores(PairModel(), example_fasta_path(), [late, deletion, early],
                                table, distance=2)
    # haplotype: A(pos - 1) ref[0](pos) A(pos + 3): an acceptor at pos, offset 1 from pos - 1
    assert score.scores[0] == 1.0 and score.positions[0] == 1
    genome = np.arange(pos - 1 - 2, pos + 3 + 2 + 1)
    assert score.tracks.shape == (2, len(genome), 3)
    deleted = np.isin(genome, [pos + 1, pos + 2])
    assert np.all(score.tracks[1][deleted] == 0)  # deleted bases: zeros, as upstream
    np.testing.assert_array_equal(score.tracks[1][~deleted, 1], genome[~deleted] == pos)
    assert np.all(score.tracks[0][:, 1] == 0)


def test_errors(table):
    fasta = example_fasta_path()
    model = PairModel()
    base = _base(104400)
    with pytest.raises(ValueError, match="overlap"):
        haplotype_scores(model, fasta, [Variant("chr10", 104400, base, "A"),
                                        Variant("chr10", 104400, base, "C")], table)
    with pytest.raises(ValueError, match="symbolic"):
        haplotype_scores(model, fasta, [Variant("chr10", 104400, base, "<DEL>")], table)
    with pytest.raises(ValueError, match="REF does not match"):
        haplotype_scores(model, fasta, [Variant("chr10", 104400, "AAAAAA", "A")], table)


VCF = """##fileformat=VCFv4.2
##contig=<ID=chr10,length=110000>
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2
chr10\t{p0}\ta\t{b0}\tA\t.\t.\t.\tGT\t0|1\t0/1
chr10\t{p1}\tb\t{b1}\tA,<DEL>\t.\t.\t.\tGT\t1|2\t0/0
chr10\t{p2}\tc\t{b2}\tA\t.\t.\t.\tGT\t1/1\t0/0
"""


def test_read_and_score_phased_haplotypes(tmp_path, table):
    pytest.importorskip("pysam")
    pos = next(p for p in range(104100, 109900)
               if "A" not in read_region(example_fasta_path(), ("chr10", p - 2, p + 4)).upper())
    path = tmp_path / "phased.vcf"
    path.write_text(VCF.format(p0=pos, b0=_base(pos), p1=pos + 2, b1=_base(pos + 2),
                               p2=pos + 20, b2=_base(pos + 20)))
    zero, one = read_haplotypes(path, "S1")
    assert [v.pos for v in zero] == [pos + 2, pos + 20]  # the <DEL> of haplotype 1 is skipped
    assert [v.pos for v in one] == [pos, pos + 20]
    with pytest.raises(ValueError, match="unphased"):
        read_haplotypes(path, "S2")
    assert read_haplotypes(path, "S2", unphased="skip") == ([], [])
    with pytest.raises(ValueError, match="not in"):
        read_haplotypes(path, "S3")
    scores = score_haplotypes(PairModel(), example_fasta_path(), path, "S1", table, distance=3)
    assert [(s.sample, s.haplotype, len(s.variants)) for s in scores] == [("S1", 0, 2),
                                                                        ("S1", 1, 2)]
    # neither haplotype holds both A's around pos + 1: no acceptor there (rows from first - 3)
    assert [s.tracks[1, pos + 1 - (s.variants[0].pos - 3), 1] for s in scores] == [0.0, 0.0]
    (both,) = haplotype_scores(PairModel(), example_fasta_path(), zero[:1] + one[:1], table,
                               distance=3)
    assert both.tracks[1, pos + 1 - (pos - 3), 1] == 1.0
