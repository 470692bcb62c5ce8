"""Deprecated: moved to :mod:`captum_genomics.splicing` (removed in 0.3.0).

``IncrementalExonScorer`` keeps its old signature here for one release (see
:mod:`captum_genomics.scoring.incremental`).
"""

from captum_genomics._deprecation import moved_names
from captum_genomics.scoring.incremental import MOVED, IncrementalExonScorer

__getattr__ = moved_names(
    __name__,
    {
        **MOVED,
        "cone_work": "captum_genomics.splicing.cones:cone_work",
        "plain_work": "captum_genomics.splicing.cones:plain_work",
    },
)
__all__ = ["IncrementalExonScorer"]
