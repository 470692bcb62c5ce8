"""Coding versus non-coding (intergenic) attribution density."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from captum_genomics.aggregate import interval_scores
from captum_genomics.genome.gene_sets import GeneSetResult, gene_set_test
from captum_genomics.genome.masks import intergenic_intervals

__all__ = ["CodingDensity", "coding_density"]


@dataclass(frozen=True)
class CodingDensity:
    """Attribution per base in genes and between them.

    Attributes
    ----------
    coding_mean, noncoding_mean : float
        Mean per-position score over all coding (inside any gene) and non-coding positions.
    coding_fraction : float
        Fraction of the track's positions inside genes.
    test : GeneSetResult
        :func:`~captum_genomics.genome.gene_set_test` of the segment densities (mean score
        of each gene and of each intergenic segment), genes as the set.
    """

    coding_mean: float
    noncoding_mean: float
    coding_fraction: float
    test: GeneSetResult


def coding_density(scores, genes, offset: int = 1, reduce: str = "mean",
                   min_intergenic: int = 1, **test_options) -> CodingDensity:
    """Compare the attribution density of genes with that of intergenic segments.

    Parameters
    ----------
    scores : torch.Tensor or numpy.ndarray, shape (L,)
        Per-position track of one genome window (e.g. ``locus_scores(attr)[0]``).
    genes : sequence of Interval
        Genes (or CDS), 1-based inclusive, on one chromosome.
    offset : int, default 1
        Genome coordinate of ``scores[0]``.
    reduce : {"mean", "abs_mean"}, default "mean"
        Density of each segment (``"abs_mean"``: magnitude, whatever the sign).
    min_intergenic : int, default 1
        Shortest intergenic segment tested.
    **test_options
        Passed to :func:`~captum_genomics.genome.gene_set_test` (method, alternative,
        n_permutations, seed).

    Returns
    -------
    CodingDensity
    """
    if reduce not in ("mean", "abs_mean"):
        raise ValueError(f"reduce must be 'mean' or 'abs_mean', got {reduce!r}")
    track = np.asarray(scores.detach().cpu() if hasattr(scores, "detach") else scores,
                       dtype=np.float64)
    genes = list(genes)
    gaps = intergenic_intervals(genes, offset, track.size, min_length=min_intergenic)
    segments = interval_scores(track, genes + gaps, offset=offset, reduce=reduce)
    is_gene = np.zeros(len(segments), dtype=bool)
    is_gene[: len(segments) - len(gaps)] = True
    covered = np.ones(track.size, dtype=bool)
    for gap in intergenic_intervals(genes, offset, track.size):
        covered[gap.start - offset:gap.end - offset + 1] = False
    values = np.abs(track) if reduce == "abs_mean" else track
    return CodingDensity(
        coding_mean=float(np.nanmean(values[covered])) if covered.any() else float("nan"),
        noncoding_mean=float(np.nanmean(values[~covered])) if (~covered).any() else float("nan"),
        coding_fraction=float(covered.mean()),
        test=gene_set_test(segments.score, is_gene, **test_options),
    )
