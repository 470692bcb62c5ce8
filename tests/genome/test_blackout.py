import numpy as np
import pytest
import torch

from captum_genomics import blackout


@pytest.mark.parametrize("baselines", ["uniform", "shuffle", "N", "zeros"])
def test_blacking_out_the_planted_gene_moves_the_prediction_most(genome, baselines):
    x, genes, model = genome
    result = blackout(model, x, genes, start=1001, baselines=baselines, target=1,
                      internal_batch_size=2)
    assert result.original[0] == pytest.approx(6.0)
    assert result.ranking()[0] == 3
    assert result.change[0, 3] <= -5.0
    assert list(result.name) == [g.name for g in genes]


def test_shuffle_is_seeded(genome):
    x, genes, model = genome
    a = blackout(model, x, genes, 1001, "shuffle", target=1, seed=3)
    b = blackout(model, x, genes, 1001, "shuffle", target=1, seed=3)
    np.testing.assert_array_equal(a.prediction, b.prediction)


def test_batching_does_not_change_results_and_genes_subset(genome):
    x, genes, model = genome
    x2 = torch.cat([x, x.flip(-1)])
    one = blackout(model, x2, genes, 1001, target=1, internal_batch_size=1)
    many = blackout(model, x2, genes, 1001, target=1, internal_batch_size=7)
    np.testing.assert_allclose(one.change, many.change)
    assert one.change.shape == (2, 5)
    chosen = blackout(model, x2, genes, 1001, target=1, genes=["g3", "g1"])
    assert list(chosen.name) == ["g1", "g3"]
    np.testing.assert_allclose(chosen.change, one.change[:, [1, 3]])


def test_per_example_targets_follow_each_input_s_output(genome):
    x, genes, model = genome
    x2 = torch.cat([x, x])
    shared = blackout(model, x2, genes, 1001, target=1, internal_batch_size=3)
    each = blackout(model, x2, genes, 1001, target=[0, 1], internal_batch_size=3,
                    attribute=True, n_steps=4, genes=["g3", "g0"])
    # output 0 is minus the motif count: the first input's changes flip sign
    np.testing.assert_allclose(each.change[0], -shared.change[0, [0, 3]])
    np.testing.assert_allclose(each.change[1], shared.change[1, [0, 3]])
    np.testing.assert_allclose(each.attributions[0].sum(-1).numpy(),
                               -each.attributions[1].sum(-1).numpy(), atol=1e-4)


def test_reattribution_moves_off_the_blacked_out_gene(genome):
    x, genes, model = genome
    result = blackout(model, x, genes, 1001, target=1, genes=["g3", "g0"], attribute=True,
                      n_steps=8)
    assert result.attributions.shape == (1, 2, x.shape[-1])
    g3 = genes[3]
    inside = slice(g3.start - 1001, g3.end - 1001 + 1)
    # With g3 blacked out nothing is left to explain; with g0 blacked out g3 still explains.
    assert result.attributions[0, 1, inside].abs().sum() < 1e-4
    assert result.attributions[0, 0, inside].sum() > 4.0


def test_blackout_rejects_bad_arguments(genome):
    x, genes, model = genome
    with pytest.raises(ValueError, match="baselines"):
        blackout(model, x, genes, 1001, baselines="nope", target=1)
    with pytest.raises(ValueError, match="target"):
        blackout(model, x, genes, 1001)
    with pytest.raises(ValueError, match="genes"):
        blackout(model, x, genes, 1001, target=1, genes=["missing"])
