"""Fast exact scoring of edited sequences: incremental SpliceAI and its work bound.

:class:`IncrementalSpliceAI` recomputes, layer by layer, only the activations that an edit
changes and a requested site reads, reusing the reference's cached activations elsewhere
(shifted after indels); :class:`IncrementalExonScorer` plugs it into the GGGP search as a
drop-in for :class:`~captum_genomics.gggp.spliceai_scorer.SpliceAIExonScorer`.
:func:`cone_work` counts the least convolution work any exact incremental method needs.
"""

from .cones import cone_work, plain_work
from .incremental import REDUCTIONS, EditGeometry, IncrementalExonScorer, IncrementalSpliceAI

__all__ = [
    "REDUCTIONS",
    "EditGeometry",
    "IncrementalExonScorer",
    "IncrementalSpliceAI",
    "cone_work",
    "plain_work",
]
