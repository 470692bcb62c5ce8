"""The study's non-attribution baseline: a random forest on gene presence/absence."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from captum_genomics._validate import check_int

__all__ = ["ForestImportance", "presence_absence_forest", "presence_matrix"]


def presence_matrix(gene_names_per_genome: Sequence[Iterable[str]]):
    """Binary gene presence/absence matrix from the gene names of each genome.

    Parameters
    ----------
    gene_names_per_genome : sequence of iterables of str
        The gene names of each of M genomes (e.g. ``[iv.name for iv in read_gff3(p)]``).

    Returns
    -------
    matrix : numpy.ndarray of uint8, shape (M, F)
        1 where genome m has gene f.
    names : numpy.ndarray of str, shape (F,)
        The F gene names, sorted.
    """
    sets = [set(map(str, genes)) for genes in gene_names_per_genome]
    names = np.array(sorted(set().union(*sets)), dtype=str)
    column = {name: j for j, name in enumerate(names)}
    matrix = np.zeros((len(sets), len(names)), dtype=np.uint8)
    for i, genes in enumerate(sets):
        matrix[i, [column[g] for g in genes]] = 1
    return matrix, names


@dataclass(frozen=True, eq=False)
class ForestImportance:
    """Gene importances of a presence/absence random forest (F genes).

    Attributes
    ----------
    name : numpy.ndarray of str, shape (F,)
    gini : numpy.ndarray of float64, shape (F,)
        Mean decrease in impurity (the study's "Mean Decrease Gini", normalised to sum 1).
    permutation_mean, permutation_std : numpy.ndarray of float64, shape (F,)
        Drop of accuracy on the held-out genomes when the gene's column is permuted (the
        study's "Mean Decrease Accuracy"), mean and standard deviation over repeats.
    prevalence : numpy.ndarray of float64, shape (C, F)
        Fraction of the genomes of each class that carry the gene.
    classes : numpy.ndarray, shape (C,)
    oob_score : float
        Out-of-bag accuracy on the fitted genomes (1 - the study's OOB error rate).
    """

    name: np.ndarray
    gini: np.ndarray
    permutation_mean: np.ndarray
    permutation_std: np.ndarray
    prevalence: np.ndarray
    classes: np.ndarray
    oob_score: float

    def ranking(self, by: str = "permutation_mean") -> np.ndarray:
        """Gene indices by decreasing ``by`` ("permutation_mean" or "gini"), shape (F,)."""
        return np.argsort(-getattr(self, by), kind="stable")


def presence_absence_forest(presence, labels, names=None, n_trees: int = 500,
                            n_repeats: int = 10, holdout: float = 0.25,
                            seed: int = 0) -> ForestImportance:
    """Fit a random forest on gene presence/absence and rank genes by permutation importance.

    Parameters
    ----------
    presence : array_like, shape (M, F)
        0/1 presence of F genes in M genomes (:func:`presence_matrix`).
    labels : array_like, shape (M,)
        Phenotype class of each genome (e.g. spore-forming or not).
    names : array_like of str, shape (F,), optional
        Gene names; default ``"gene_<j>"``.
    n_trees : int, default 500
        Trees of the forest (the study used 500).
    n_repeats : int, default 10
        Permutations per gene for the permutation importance.
    holdout : float, default 0.25
        Fraction of the genomes (stratified by label) kept out of the fit, on which the
        permutation importance is measured. On the training genomes a grown forest has
        memorised the labels and permuting one gene of many rarely changes a vote, so
        every importance is near 0; 0 measures there anyway.
    seed : int, default 0
        Seeds the forest and the permutations.

    Returns
    -------
    ForestImportance
    """
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.inspection import permutation_importance

    x = np.asarray(presence, dtype=np.float64)
    y = np.asarray(labels)
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise ValueError(f"presence must be (M, F) and labels (M,), got {x.shape} and {y.shape}")
    n_trees = check_int(n_trees, "n_trees", 1)
    n_repeats = check_int(n_repeats, "n_repeats", 1)
    names = (np.array([f"gene_{j}" for j in range(x.shape[1])]) if names is None
             else np.asarray(names, dtype=str))
    if not 0 <= holdout < 1:
        raise ValueError(f"holdout must be in [0, 1), got {holdout}")
    fit, held = np.arange(len(y)), np.arange(len(y))
    if holdout > 0:
        from sklearn.model_selection import train_test_split

        fit, held = train_test_split(fit, test_size=holdout, stratify=y, random_state=seed)
    forest = RandomForestClassifier(n_estimators=n_trees, oob_score=True, random_state=seed,
                                    n_jobs=1).fit(x[fit], y[fit])
    permuted = permutation_importance(forest, x[held], y[held], n_repeats=n_repeats,
                                      random_state=seed)
    classes = forest.classes_
    prevalence = np.stack([x[y == c].mean(axis=0) for c in classes])
    return ForestImportance(
        name=names,
        gini=forest.feature_importances_.astype(np.float64),
        permutation_mean=permuted.importances_mean.astype(np.float64),
        permutation_std=permuted.importances_std.astype(np.float64),
        prevalence=prevalence,
        classes=classes,
        oob_score=float(forest.oob_score_),
    )
