import numpy as np
import pytest

from captum_genomics import coding_density, interval_scores
from captum_genomics.dna.annotations import Interval
from captum_genomics.genome import (
    genome_quantiles,
    presence_absence_forest,
    presence_matrix,
    quantile_table,
    write_quantile_table,
)

GENES = [Interval("chr", 101 + 300 * k, 300 + 300 * k, "+", f"g{k}") for k in range(20)]


def test_coding_density_finds_denser_genes():
    rng = np.random.default_rng(0)
    track = rng.normal(scale=0.5, size=6100)
    for gene in GENES:
        track[gene.start - 1:gene.end] += 1.0
    result = coding_density(track, GENES, offset=1, method="mannwhitney")
    assert result.coding_fraction == pytest.approx(4000 / 6100)
    assert result.coding_mean == pytest.approx(1.0, abs=0.05)
    assert result.noncoding_mean == pytest.approx(0.0, abs=0.05)
    assert result.test.n_in == 20 and result.test.n_out == 21
    assert result.test.p_value < 0.01


def test_coding_density_without_difference_is_not_significant():
    track = np.random.default_rng(1).normal(size=6100)
    result = coding_density(track, GENES, method="mannwhitney")
    assert result.test.p_value > 0.01


def test_presence_matrix_and_forest_rank_the_deciding_gene_first():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 120)
    genomes = []
    for label in labels:
        genes = [f"r{j}" for j in range(30) if rng.random() < 0.5]
        if label == 1:
            genes.append("spoA")
        genomes.append(genes)
    matrix, names = presence_matrix(genomes)
    assert matrix.shape == (120, len(names)) and "spoA" in names
    j = int(np.flatnonzero(names == "spoA")[0])
    np.testing.assert_array_equal(matrix[:, j], labels)
    forest = presence_absence_forest(matrix, labels, names, n_trees=100, n_repeats=3)
    assert names[forest.ranking()[0]] == "spoA"
    assert names[forest.ranking("gini")[0]] == "spoA"
    assert forest.oob_score > 0.95
    np.testing.assert_allclose(forest.prevalence[:, j], [0.0, 1.0])


def test_quantile_table_and_genome_quantiles(tmp_path):
    track = np.arange(6100, dtype=float)
    genes = interval_scores(track, GENES)
    np.testing.assert_allclose(genome_quantiles(track, [-1.0, 3049.0, 1e9]), [0, 0.5, 1])
    rows = quantile_table(genes, track=track, top=3, descriptions={"g19": "last"},
                          gene_sets={"late": ["g19", "g18"]})
    assert [r["gene"] for r in rows] == ["g19", "g18", "g17"]
    assert rows[0]["description"] == "last" and rows[0]["sets"] == "late"
    assert rows[2]["sets"] == "" and rows[0]["quantile"] == 1.0
    assert rows[0]["genome_quantile"] == pytest.approx(5900 / 6100)  # mean of g19 = 5899.5
    # interval_scores placed the genes on their own track already: the same table without it
    assert genes.quantile_table(top=3, descriptions={"g19": "last"},
                                gene_sets={"late": ["g19", "g18"]}) == rows
    write_quantile_table(tmp_path / "t.tsv", rows)
    lines = (tmp_path / "t.tsv").read_text().splitlines()
    assert lines[0].split("\t")[0] == "gene" and len(lines) == 4


def test_forest_rejects_a_bad_holdout():
    with pytest.raises(ValueError, match="holdout"):
        presence_absence_forest(np.zeros((10, 3)), np.arange(10) % 2, holdout=1.0)
