"""explain_delta: completeness against the delta score, locality, REF/ALT alignment."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from captum_genomics.dna.fasta import read_region
from captum_genomics.example_data import example_fasta_path
from captum_genomics.variants import (
    DELTA_KINDS,
    Variant,
    explain_delta,
    haplotype_scores,
)
from tests.support import needs_spliceai


@pytest.mark.parametrize(("pos", "alt", "kind"), [(94555, "A", "AG"), (94665, "CAG", "DL"),
                                                  (94850, "G", "AL"), (94555, "T", "DG")])
def test_attributions_sum_to_the_delta_score(table, model, pos, alt, kind):
    ref = {94555: "C", 94665: "C", 94850: "GAA"}[pos]
    variant = Variant("chr10", pos, ref, alt)
    distance = 10
    result = explain_delta(model, example_fasta_path(), variant, table, kind, gene="TUBB8",
                           distance=distance, n_steps=64)
    (score,) = [s for s in haplotype_scores(model, example_fasta_path(), [variant], table,
                                            distance=distance) if s.gene == "TUBB8"]
    k = list(DELTA_KINDS).index(kind)
    assert result.offset == score.positions[k]
    assert result.delta == pytest.approx(score.scores[k], abs=1e-5)
    length = 80 + 2 * distance + 1
    assert result.attributions.shape == (1, 4, length)
    assert result.start == pos - 40 - distance
    total = float(result.attributions.sum())
    assert total == pytest.approx(result.delta, abs=2e-3 + 0.02 * abs(result.delta))
    assert abs(result.convergence_delta) == pytest.approx(abs(total - result.delta))
    # only the receptive field (+-40) of the site carries attribution
    site = 40 + distance + result.offset
    far = np.abs(np.arange(length) - site) > 40
    assert float(result.attributions[0][:, far].abs().max()) == 0.0
    assert float(result.attributions[0][:, ~far].abs().max()) > 0.0


def test_difference_of_the_two_terms_and_a_chosen_offset(table, model):
    variant = Variant("chr10", 94555, "C", "A")
    result = explain_delta(model, example_fasta_path(), variant, table, "AL", gene="TUBB8",
                           offset=-3, distance=10, n_steps=16)
    assert result.offset == -3
    torch.testing.assert_close(result.attributions,
                               -(result.alt_attributions - result.ref_attributions))
    # the SNV changes one input column, yet bases around it are attributed too (the point of
    # this definition; IG from REF to ALT would be zero off the variant)
    variant_column = 40 + 10
    others = torch.ones(result.attributions.shape[-1], dtype=torch.bool)
    others[variant_column] = False
    assert float(result.attributions[0][:, others].abs().sum()) > 1e-4


def test_errors(table, model):
    variant = Variant("chr10", 94555, "C", "A")
    with pytest.raises(ValueError, match="kind"):
        explain_delta(model, example_fasta_path(), variant, table, "XX")
    with pytest.raises(ValueError, match="offset"):
        explain_delta(model, example_fasta_path(), variant, table, "AG", offset=11, distance=10)
    with pytest.raises(ValueError, match="no gene"):
        explain_delta(model, example_fasta_path(), variant, table, "AG", gene="NOPE")


@needs_spliceai
@pytest.mark.weights
def test_real_weights_completeness(table):
    from captum_genomics.models import load_spliceai

    member = load_spliceai("spliceai", members=[1])
    fasta = example_fasta_path()
    assert read_region(fasta, ("chr10", 95121, 95121)).upper() == "C"
    variant = Variant("chr10", 95121, "C", "A")  # breaks TUBB8's donor at 95122
    result = explain_delta(member, fasta, variant, table, "DL", gene="TUBB8",
                           distance=5, n_steps=16, method="riemann_trapezoid",
                           internal_batch_size=16)
    assert result.attributions.shape == (1, 4, 10000 + 11)
    assert result.delta > 0.5  # a strong donor loss
    total = float(result.attributions.sum())
    assert total == pytest.approx(result.delta, abs=0.02 + 0.05 * abs(result.delta))
