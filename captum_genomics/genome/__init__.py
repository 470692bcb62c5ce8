"""Genome-level explanations: gene masks, blacking genes out, gene-set tests, coding density.

- :func:`interval_feature_mask`: a Captum ``feature_mask`` grouping each gene's positions
  (``FeatureAblation``, ``ShapleyValueSampling``, ``Lime``); :func:`intergenic_intervals`.
- :func:`blackout`: replace each gene with a reference, get the prediction change (and the
  re-attribution).
- :func:`gene_set_test` / :func:`gene_set_tests`: does a set of genes score differently
  (permutation or Mann-Whitney; genomes combined by Stouffer or Fisher; BH over sets).
- :func:`coding_density`: genes versus intergenic segments.
- :func:`quantile_table`, :func:`genome_quantiles`: the study's gene table.
- :func:`presence_absence_forest`, :func:`presence_matrix`: the study's random-forest baseline.
- Figures: :func:`plot_genome_track`, :func:`plot_gene_set_scores`
  (:mod:`captum_genomics.genome.plots`, imported on use).
"""

from captum_genomics.genome.blackout import BLACKOUT_BASELINES, BlackoutResult, blackout
from captum_genomics.genome.coding import CodingDensity, coding_density
from captum_genomics.genome.forest import (
    ForestImportance,
    presence_absence_forest,
    presence_matrix,
)
from captum_genomics.genome.gene_sets import (
    GeneSetResult,
    GeneSetTable,
    gene_set_test,
    gene_set_tests,
)
from captum_genomics.genome.masks import intergenic_intervals, interval_feature_mask
from captum_genomics.genome.tables import genome_quantiles, quantile_table, write_quantile_table

__all__ = [
    "BLACKOUT_BASELINES",
    "BlackoutResult",
    "CodingDensity",
    "ForestImportance",
    "GeneSetResult",
    "GeneSetTable",
    "blackout",
    "coding_density",
    "gene_set_test",
    "gene_set_tests",
    "genome_quantiles",
    "intergenic_intervals",
    "interval_feature_mask",
    "presence_absence_forest",
    "presence_matrix",
    "quantile_table",
    "write_quantile_table",
]
