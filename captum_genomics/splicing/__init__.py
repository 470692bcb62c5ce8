"""Splicing: SpliceAI site and exon scores, one coordinate frame for all of them.

Every position here is an input position: a 0-based index into the sequence the model reads,
flanks and padding included; for SpliceAI of context ``C``, input index ``i`` is output index
``i - C / 2`` (:mod:`captum_genomics.splicing.sites` documents the frame once).

Heads (:mod:`~captum_genomics.splicing.heads`)
    :class:`SpliceSiteHead`, :class:`ExonHead`, :func:`score_splice_sites`: differentiable
    (N, k) scores of one-hot batches, for Captum's ``target``.
Scorers (:mod:`~captum_genomics.splicing.scorers`)
    :class:`Scorer` (the GGGP scorer protocol), :class:`SpliceAIExonScorer` (plain) and
    :class:`IncrementalExonScorer` (exact, incremental) with one signature.
Incremental engine and work bound
    :class:`IncrementalSpliceAI`, :class:`EditGeometry`, :func:`cone_work`, :func:`plain_work`.
Exon inputs
    :func:`build_exon_input`, :class:`ExonInput`: the reference method's exon triplet.
"""

from captum_genomics.splicing.cones import cone_work, plain_work
from captum_genomics.splicing.exons import ExonInput, build_exon_input
from captum_genomics.splicing.heads import ExonHead, SpliceSiteHead, score_splice_sites
from captum_genomics.splicing.incremental import EditGeometry, IncrementalSpliceAI
from captum_genomics.splicing.scorers import (
    ExonScorer,
    IncrementalExonScorer,
    Scorer,
    SpliceAIExonScorer,
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
    "IncrementalSpliceAI",
    "Scorer",
    "SpliceAIExonScorer",
    "SpliceSiteHead",
    "build_exon_input",
    "cone_work",
    "plain_work",
    "reduce_sites",
    "score_splice_sites",
]
