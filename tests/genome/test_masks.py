import numpy as np
import pytest
import torch
from captum.attr import FeatureAblation

from captum_genomics import interval_feature_mask
from captum_genomics.dna.annotations import Interval
from captum_genomics.genome import blackout, intergenic_intervals

GENES = [Interval("chr", 1011, 1020, "+", "a"), Interval("chr", 1030, 1034, "-", "b"),
         Interval("chr", 995, 1003, "-", "c"), Interval("chr", 1045, 1060, "+", "d")]


def hand_built(strand=None):
    """Window 1001..1050 (L = 50), 0-based index = coordinate - 1001, clipped."""
    mask = np.zeros(50, dtype=np.int64)
    if strand in (None, "+"):
        mask[10:20] = 1      # a: 1011..1020
        mask[44:50] = 4      # d: 1045..1060, clipped at 1050
    if strand in (None, "-"):
        mask[29:34] = 2      # b: 1030..1034
        mask[0:3] = 3        # c: 995..1003, clipped at 1001
    return mask


@pytest.mark.parametrize("strand", [None, "+", "-"])
def test_mask_equals_hand_built_one(strand):
    mask = interval_feature_mask(GENES, start=1001, length=50, strand=strand)
    assert mask.dtype == torch.int64 and mask.shape == (1, 1, 50)
    np.testing.assert_array_equal(mask[0, 0].numpy(), hand_built(strand))


@pytest.mark.parametrize("strand", [None, "+", "-"])
def test_mask_of_reverse_complemented_input_is_flipped(strand):
    mask = interval_feature_mask(GENES, start=1001, length=50, strand=strand,
                                 reverse_complemented=True)
    np.testing.assert_array_equal(mask[0, 0].numpy(), hand_built(strand)[::-1])


def test_mask_nlc_layout_and_later_interval_owns_overlap():
    overlapping = [Interval("chr", 1, 10), Interval("chr", 8, 12)]
    mask = interval_feature_mask(overlapping, start=1, length=15, layout="NLC")
    assert mask.shape == (1, 15, 1)
    np.testing.assert_array_equal(mask[0, :, 0].numpy(),
                                  [1] * 7 + [2] * 5 + [0] * 3)


def test_mask_rejects_bad_arguments():
    with pytest.raises(ValueError, match="strand"):
        interval_feature_mask(GENES, 1001, 50, strand="x")
    with pytest.raises(TypeError, match="Interval"):
        interval_feature_mask([(1, 2)], 1001, 50)


def test_feature_ablation_with_mask_finds_the_planted_gene(genome):
    x, genes, model = genome
    mask = interval_feature_mask(genes, start=1001, length=x.shape[-1])
    attr = FeatureAblation(model).attribute(x, baselines=0.25, target=1, feature_mask=mask)
    per_gene = np.array([attr[0, 0, g.start - 1001].item() for g in genes])
    assert int(np.argmax(per_gene)) == 3 and per_gene[3] == pytest.approx(6.0)
    outside = mask[0, 0] == 0
    assert torch.all(attr[0, :, outside] == 0)
    # FeatureAblation and blackout agree: ablation = original - blacked out.
    result = blackout(model, x, genes, start=1001, baselines="uniform", target=1)
    np.testing.assert_allclose(per_gene, -result.change[0])


def test_intergenic_intervals_fill_the_gaps():
    gaps = intergenic_intervals(GENES, start=1001, length=50)
    assert [(g.start, g.end) for g in gaps] == [(1004, 1010), (1021, 1029), (1035, 1044)]
    assert all(g.feature == "intergenic" and g.chrom == "chr" for g in gaps)
    assert [(g.start, g.end) for g in intergenic_intervals(GENES, 1001, 50, min_length=8)] == [
        (1021, 1029), (1035, 1044)]
