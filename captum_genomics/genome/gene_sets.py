"""Does a set of genes score differently from the rest? Per genome, across genomes, many sets.

The deepG study asked whether spore-related genes get higher integrated-gradient scores than
the other genes of a genome. :func:`gene_set_test` answers it with a permutation test of the
difference of means or a Mann-Whitney U test, combines genomes (Stouffer or Fisher), and
:func:`gene_set_tests` corrects many sets with Benjamini-Hochberg.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from captum_genomics._validate import check_choice, check_int
from captum_genomics.aggregate import IntervalScores
from captum_genomics.motifs.analysis import benjamini_hochberg

__all__ = [
    "ALTERNATIVES",
    "COMBINATIONS",
    "GENE_SET_METHODS",
    "GeneSetResult",
    "GeneSetTable",
    "gene_set_test",
    "gene_set_tests",
]

GENE_SET_METHODS = ("permutation", "mannwhitney")
ALTERNATIVES = ("two-sided", "greater", "less")
COMBINATIONS = ("stouffer", "fisher")
_PERMUTATION_ELEMENTS = 2_000_000  # permuted labels held at once


@dataclass(frozen=True)
class GeneSetResult:
    """One gene-set test (one genome, or several combined).

    Attributes
    ----------
    n_in, n_out : int
        Genes in and outside the set (with a non-NaN score; summed over genomes).
    mean_in, mean_out : float
        Mean score in and outside the set (pooled over genomes).
    difference : float
        ``mean_in - mean_out``.
    cohens_d : float
        Difference over the pooled standard deviation (mean over genomes when combined).
    rank_biserial : float
        ``2 U / (n_in n_out) - 1`` in [-1, 1]: the probability that a set gene outscores
        another gene minus the reverse (mean over genomes when combined).
    p_value : float
        Of the chosen method and alternative (combined over genomes when several).
    per_genome_p : tuple of float
        The p-value of every genome (one entry for one genome).
    """

    n_in: int
    n_out: int
    mean_in: float
    mean_out: float
    difference: float
    cohens_d: float
    rank_biserial: float
    p_value: float
    per_genome_p: tuple[float, ...]


def _one_genome_inputs(scores, in_set, names):
    """Validated (values, membership) float/bool arrays of one genome, NaN scores dropped."""
    if isinstance(scores, IntervalScores):
        names = scores.name if names is None else names
        scores = scores.score
    values = np.asarray(scores, dtype=np.float64).reshape(-1)
    if isinstance(in_set, np.ndarray) and in_set.dtype == bool or (
        isinstance(in_set, Sequence) and in_set and isinstance(in_set[0], (bool, np.bool_))
    ):
        member = np.asarray(in_set, dtype=bool).reshape(-1)
        if member.shape != values.shape:
            raise ValueError(f"in_set has {member.size} flags for {values.size} scores")
    else:
        if names is None:
            raise ValueError("in_set holds gene names: pass names= (or IntervalScores as scores)")
        member = np.isin(np.asarray(names, dtype=str), np.asarray(list(in_set), dtype=str))
    keep = ~np.isnan(values)
    values, member = values[keep], member[keep]
    if member.all() or not member.any():
        raise ValueError("the set and the rest must each hold at least one scored gene")
    return values, member


def _permutation_p(values, member, alternative, n_permutations, rng) -> float:
    n_in = int(member.sum())
    total = values.sum()
    observed = values[member].mean() - (total - values[member].sum()) / (values.size - n_in)
    chunk = max(1, _PERMUTATION_ELEMENTS // values.size)
    hits = 0
    done = 0
    while done < n_permutations:
        m = min(chunk, n_permutations - done)
        order = rng.permuted(np.tile(np.arange(values.size), (m, 1)), axis=1)[:, :n_in]
        sums = values[order].sum(axis=1)
        diff = sums / n_in - (total - sums) / (values.size - n_in)
        if alternative == "greater":
            hits += int((diff >= observed - 1e-12).sum())
        elif alternative == "less":
            hits += int((diff <= observed + 1e-12).sum())
        else:
            hits += int((np.abs(diff) >= abs(observed) - 1e-12).sum())
        done += m
    return (hits + 1) / (n_permutations + 1)


def _effects(values, member) -> tuple[float, float]:
    x, y = values[member], values[~member]
    pooled = np.sqrt(((x.size - 1) * x.var(ddof=1 if x.size > 1 else 0)
                      + (y.size - 1) * y.var(ddof=1 if y.size > 1 else 0))
                     / max(x.size + y.size - 2, 1))
    d = (x.mean() - y.mean()) / pooled if pooled > 0 else np.nan
    u = stats.mannwhitneyu(x, y, alternative="two-sided").statistic
    return float(d), float(2.0 * u / (x.size * y.size) - 1.0)


def _one_sided_p(values, member, method, alternative, n_permutations, rng) -> float:
    if method == "mannwhitney":
        return float(stats.mannwhitneyu(values[member], values[~member],
                                        alternative=alternative).pvalue)
    return _permutation_p(values, member, alternative, n_permutations, rng)


def _combine(p_greater: np.ndarray, weights: np.ndarray, alternative: str, combine: str):
    """Combined p of per-genome one-sided ("greater") p-values."""
    if combine == "fisher":
        p = p_greater if alternative == "greater" else 1 - p_greater
        if alternative == "two-sided":
            low = stats.combine_pvalues(p_greater, method="fisher").pvalue
            high = stats.combine_pvalues(1 - p_greater, method="fisher").pvalue
            return float(min(1.0, 2 * min(low, high)))
        return float(stats.combine_pvalues(p, method="fisher").pvalue)
    z = stats.norm.isf(np.clip(p_greater, 1e-300, 1 - 1e-16))
    combined = float((weights * z).sum() / np.sqrt((weights ** 2).sum()))
    if alternative == "greater":
        return float(stats.norm.sf(combined))
    if alternative == "less":
        return float(stats.norm.cdf(combined))
    return float(2 * stats.norm.sf(abs(combined)))


def gene_set_test(
    scores,
    in_set,
    method: str = "permutation",
    alternative: str = "two-sided",
    names=None,
    n_permutations: int = 9999,
    seed: int | np.random.Generator | None = 0,
    combine: str = "stouffer",
) -> GeneSetResult:
    """Test whether the genes of a set score differently from the other genes.

    Parameters
    ----------
    scores : array_like of shape (G,), IntervalScores, or a list of them
        Gene scores of one genome (e.g. ``interval_scores(track, genes).score``), or one
        entry per genome to combine several genomes. NaN scores are left out.
    in_set : array_like of bool, shape (G,), or collection of str; or a list of them
        Membership flags, or the names of the set's genes (then ``names`` is needed unless
        ``scores`` is an IntervalScores). One entry per genome when ``scores`` is a list.
    method : {"permutation", "mannwhitney"}, default "permutation"
        ``"permutation"``: the difference of mean scores against ``n_permutations``
        random relabellings of the genes, ``p = (1 + hits) / (1 + n_permutations)``.
        ``"mannwhitney"``: scipy's Mann-Whitney U test (rank based, robust to outliers).
    alternative : {"two-sided", "greater", "less"}, default "two-sided"
        ``"greater"``: the set scores higher.
    names : array_like of str, shape (G,), or a list of them, optional
        Gene names, when ``in_set`` holds names.
    n_permutations : int, default 9999
        Relabellings of the permutation test.
    seed : int, numpy.random.Generator or None, default 0
        Randomness of the permutations; the same seed gives the same p-values.
    combine : {"stouffer", "fisher"}, default "stouffer"
        How genomes combine. ``"stouffer"``: each genome's one-sided p-value ("set scores
        higher") becomes ``z = Phi^-1(1 - p)``, weighted by ``sqrt(G)`` and summed to
        ``Z = sum w z / sqrt(sum w^2)``, so effects in opposite directions cancel; the
        alternative is then applied to ``Z``. ``"fisher"``: ``-2 sum log p`` of the
        one-sided p-values in the alternative's direction (for two-sided, twice the smaller
        of the two directions, capped at 1); sensitive to a strong effect in a few genomes.

    Returns
    -------
    GeneSetResult

    Raises
    ------
    ValueError
        On unknown options, mismatched lengths, or a set (or its complement) with no
        scored gene.
    """
    check_choice(method, "method", GENE_SET_METHODS)
    check_choice(alternative, "alternative", ALTERNATIVES)
    check_choice(combine, "combine", COMBINATIONS)
    n_permutations = check_int(n_permutations, "n_permutations", 1)
    rng = np.random.default_rng(seed)
    several = isinstance(scores, list) and scores and not np.isscalar(scores[0])
    if several:
        if not isinstance(in_set, list) or len(in_set) != len(scores):
            raise ValueError("with a list of genomes, in_set must be a list of the same length")
        name_list = names if names is not None else [None] * len(scores)
        genomes = [_one_genome_inputs(s, m, n) for s, m, n in zip(scores, in_set, name_list)]
    else:
        genomes = [_one_genome_inputs(scores, in_set, names)]

    p_each, p_greater, d_each, r_each = [], [], [], []
    for values, member in genomes:
        p_each.append(_one_sided_p(values, member, method, alternative, n_permutations, rng))
        if len(genomes) > 1:
            p_greater.append(_one_sided_p(values, member, method, "greater", n_permutations,
                                          rng))
        d, r = _effects(values, member)
        d_each.append(d)
        r_each.append(r)
    if len(genomes) > 1:
        weights = np.sqrt([v.size for v, _ in genomes])
        p_value = _combine(np.array(p_greater), weights, alternative, combine)
    else:
        p_value = p_each[0]
    inside = np.concatenate([v[m] for v, m in genomes])
    outside = np.concatenate([v[~m] for v, m in genomes])
    return GeneSetResult(
        n_in=int(inside.size),
        n_out=int(outside.size),
        mean_in=float(inside.mean()),
        mean_out=float(outside.mean()),
        difference=float(inside.mean() - outside.mean()),
        cohens_d=float(np.mean(d_each)),
        rank_biserial=float(np.mean(r_each)),
        p_value=float(p_value),
        per_genome_p=tuple(float(p) for p in p_each),
    )


@dataclass(frozen=True, eq=False)
class GeneSetTable:
    """Many gene sets tested against one score table, with Benjamini-Hochberg q-values.

    Attributes
    ----------
    set_name : numpy.ndarray of str, shape (S,)
    results : tuple of GeneSetResult, length S
    q_value : numpy.ndarray of float64, shape (S,)
        Benjamini-Hochberg q-values of the sets' p-values (false discovery rate).
    """

    set_name: np.ndarray
    results: tuple[GeneSetResult, ...]
    q_value: np.ndarray

    @property
    def p_value(self) -> np.ndarray:
        """The sets' p-values, shape (S,)."""
        return np.array([r.p_value for r in self.results])

    def rows(self) -> list[dict]:
        """One dict per set (name, n_in, mean_in, mean_out, difference, cohens_d,
        rank_biserial, p_value, q_value), in the order the sets were given."""
        return [
            {"set": str(name), "n_in": r.n_in, "mean_in": r.mean_in, "mean_out": r.mean_out,
             "difference": r.difference, "cohens_d": r.cohens_d,
             "rank_biserial": r.rank_biserial, "p_value": r.p_value, "q_value": float(q)}
            for name, r, q in zip(self.set_name, self.results, self.q_value)
        ]


def gene_set_tests(scores, gene_sets: Mapping[str, Collection], **options) -> GeneSetTable:
    """:func:`gene_set_test` for many sets, with Benjamini-Hochberg correction.

    Parameters
    ----------
    scores : as in :func:`gene_set_test`
    gene_sets : mapping of str to in_set
        Set name to membership (flags or gene names, or per-genome lists of them).
    **options
        Passed to :func:`gene_set_test` (method, alternative, names, n_permutations, seed,
        combine). An int seed gives every set the same permutations.

    Returns
    -------
    GeneSetTable
    """
    results = tuple(gene_set_test(scores, members, **options)
                    for members in gene_sets.values())
    return GeneSetTable(
        set_name=np.array(list(gene_sets), dtype=str),
        results=results,
        q_value=benjamini_hochberg([r.p_value for r in results]),
    )
