"""Splicing: SpliceAI site and exon scores, one coordinate frame for all of them.

Every position here is an input position: a 0-based index into the sequence the model reads,
flanks and padding included; for SpliceAI of context ``C``, input index ``i`` is output index
``i - C / 2`` (:mod:`captum_genomics.splicing.sites` documents the frame once).

Heads (:mod:`~captum_genomics.splicing.heads`)
    :class:`SpliceSiteHead`, :class:`ExonHead`, :func:`score_splice_sites`: differentiable
    (N, k) scores of one-hot batches, for Captum's ``target``.
Scorers (:mod:`~captum_genomics.splicing.scorers`)
    :class:`Scorer` (the GGGP scorer protocol); one-site scorers :class:`SpliceAISiteScorer`
    (plain) and :class:`IncrementalSiteScorer` (exact, incremental), and exon scorers
    :class:`SpliceAIExonScorer` and :class:`IncrementalExonScorer`, the plain and incremental
    scorer of each kind with one signature.
Incremental engine and work bound
    :class:`IncrementalSpliceAI`, :class:`EditGeometry`, :func:`cone_work`, :func:`plain_work`.
Inputs read from a genome
    :func:`build_exon_input`, :class:`ExonInput`: the reference method's exon triplet;
    :func:`build_site_input`, :class:`SiteInput`: one splice site with its flanks.
"""

from captum_genomics.splicing.cones import cone_work, plain_work
from captum_genomics.splicing.exons import ExonInput, SiteInput, build_exon_input, build_site_input
from captum_genomics.splicing.heads import ExonHead, SpliceSiteHead, score_splice_sites
from captum_genomics.splicing.incremental import EditGeometry, IncrementalSpliceAI
from captum_genomics.splicing.scorers import (
    ExonScorer,
    IncrementalExonScorer,
    IncrementalSiteScorer,
    Scorer,
    SiteScorer,
    SpliceAIExonScorer,
    SpliceAIScorer,
    SpliceAISiteScorer,
)
from captum_genomics.splicing.sites import REDUCTIONS, SITE_CLASSES, reduce_sites

__all__ = [
    "REDUCTIONS",
    "SITE_CLASSES",
    "EditGeometry",
    "ExonHead",
    "ExonInput",
    "ExonScorer",
    "IncrementalExonScorer",
    "IncrementalSiteScorer",
    "IncrementalSpliceAI",
    "Scorer",
    "SiteInput",
    "SiteScorer",
    "SpliceAIExonScorer",
    "SpliceAIScorer",
    "SpliceAISiteScorer",
    "SpliceSiteHead",
    "build_exon_input",
    "build_site_input",
    "cone_work",
    "plain_work",
    "reduce_sites",
    "score_splice_sites",
]
