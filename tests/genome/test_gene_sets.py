import itertools

import numpy as np
import pytest
from scipy import stats

from captum_genomics import gene_set_test, gene_set_tests, interval_scores
from captum_genomics.dna.annotations import Interval
from captum_genomics.motifs.analysis import benjamini_hochberg

N_GENES, N_SET = 200, 20


def genome_scores(seed, shift=1.5):
    """Gene scores with the first N_SET genes (the planted set) shifted up."""
    rng = np.random.default_rng(seed)
    scores = rng.normal(size=N_GENES)
    scores[:N_SET] += shift
    planted = np.zeros(N_GENES, dtype=bool)
    planted[:N_SET] = True
    return scores, planted


@pytest.mark.parametrize("method", ["permutation", "mannwhitney"])
@pytest.mark.parametrize("seed", range(5))
def test_planted_set_is_found(method, seed):
    scores, planted = genome_scores(seed)
    found = gene_set_test(scores, planted, method=method, n_permutations=999, seed=seed)
    assert found.p_value < 0.01 and found.difference > 1.0 and found.rank_biserial > 0.5


@pytest.mark.parametrize("method", ["permutation", "mannwhitney"])
def test_random_sets_are_not_found_beyond_the_false_positive_rate(method):
    """Over 100 seeds a random set among the unplanted genes has p < 0.01 about once."""
    p = []
    for seed in range(100):
        scores, planted = genome_scores(seed)
        rng = np.random.default_rng(100 + seed)
        random_set = np.zeros(N_GENES, dtype=bool)
        random_set[rng.choice(np.arange(N_SET, N_GENES), N_SET, replace=False)] = True
        p.append(gene_set_test(np.where(planted, np.nan, scores), random_set, method=method,
                               n_permutations=499, seed=seed).p_value)
    p = np.array(p)
    assert np.mean(p < 0.01) <= 0.04
    assert np.mean(p < 0.05) <= 0.12
    assert np.median(p) > 0.3


def test_permutation_p_matches_the_exact_test():
    scores = np.array([3.1, 2.2, 0.5, -0.3, 1.9, 0.1, -1.0, 0.7])
    member = np.array([1, 1, 0, 0, 1, 0, 0, 0], dtype=bool)
    observed = scores[member].mean() - scores[~member].mean()
    diffs = []
    for chosen in itertools.combinations(range(8), 3):
        m = np.zeros(8, dtype=bool)
        m[list(chosen)] = True
        diffs.append(scores[m].mean() - scores[~m].mean())
    exact = np.mean(np.array(diffs) >= observed - 1e-12)
    result = gene_set_test(scores, member, alternative="greater", n_permutations=20000)
    assert result.p_value == pytest.approx(exact, abs=0.01)
    again = gene_set_test(scores, member, alternative="greater", n_permutations=20000)
    assert again.p_value == result.p_value  # seeded


def test_mannwhitney_matches_scipy_and_effect_sizes():
    scores, planted = genome_scores(0)
    result = gene_set_test(scores, planted, method="mannwhitney", alternative="greater")
    expected = stats.mannwhitneyu(scores[planted], scores[~planted], alternative="greater")
    assert result.p_value == pytest.approx(expected.pvalue)
    assert result.rank_biserial == pytest.approx(
        2 * expected.statistic / (N_SET * (N_GENES - N_SET)) - 1)
    x, y = scores[planted], scores[~planted]
    pooled = np.sqrt(((x.size - 1) * x.var(ddof=1) + (y.size - 1) * y.var(ddof=1))
                     / (x.size + y.size - 2))
    assert result.cohens_d == pytest.approx((x.mean() - y.mean()) / pooled)


def test_gene_names_and_interval_scores_are_accepted():
    genes = [Interval("chr", 1 + 10 * k, 10 + 10 * k, "+", f"g{k}") for k in range(30)]
    track = np.zeros(300)
    track[:50] = 2.0  # g0..g4 score high
    table = interval_scores(track, genes)
    result = gene_set_test(table, ["g0", "g1", "g2", "g3", "g4"], method="mannwhitney")
    assert result.n_in == 5 and result.n_out == 25 and result.p_value < 0.01
    with pytest.raises(ValueError, match="names"):
        gene_set_test(table.score, ["g0"])


@pytest.mark.parametrize("combine", ["stouffer", "fisher"])
def test_genomes_combine_into_a_stronger_test(combine):
    genomes = [genome_scores(seed, shift=0.45) for seed in range(4)]
    each = [gene_set_test(s, m, alternative="greater", method="mannwhitney").p_value
            for s, m in genomes]
    combined = gene_set_test([s for s, _ in genomes], [m for _, m in genomes],
                             alternative="greater", method="mannwhitney", combine=combine)
    assert combined.p_value < min(each)
    assert combined.p_value < 0.01
    assert combined.n_in == 4 * N_SET and len(combined.per_genome_p) == 4


def test_stouffer_cancels_opposite_effects_fisher_does_not():
    up, planted = genome_scores(0, shift=1.5)
    down, _ = genome_scores(1, shift=-1.5)
    options = dict(method="mannwhitney", alternative="two-sided")
    stouffer = gene_set_test([up, down], [planted, planted], combine="stouffer", **options)
    fisher = gene_set_test([up, down], [planted, planted], combine="fisher", **options)
    assert stouffer.p_value > 0.05
    assert fisher.p_value < 0.01


def test_many_sets_get_benjamini_hochberg_q_values():
    scores, planted = genome_scores(0)
    rng = np.random.default_rng(5)
    sets = {"planted": planted}
    for k in range(9):
        random_set = np.zeros(N_GENES, dtype=bool)
        random_set[rng.choice(N_GENES, N_SET, replace=False)] = True
        sets[f"random_{k}"] = random_set
    table = gene_set_tests(scores, sets, method="mannwhitney")
    np.testing.assert_allclose(table.q_value, benjamini_hochberg(table.p_value))
    assert table.rows()[0]["set"] == "planted" and table.rows()[0]["q_value"] < 0.01
    assert len(table.rows()) == 10


def test_gene_set_test_rejects_bad_input():
    scores, planted = genome_scores(0)
    with pytest.raises(ValueError, match="method"):
        gene_set_test(scores, planted, method="t")
    with pytest.raises(ValueError, match="at least one"):
        gene_set_test(scores, np.ones(N_GENES, dtype=bool))
    with pytest.raises(ValueError, match="flags"):
        gene_set_test(scores, planted[:10])
