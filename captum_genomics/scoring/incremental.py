"""Deprecated: moved to :mod:`captum_genomics.splicing` (removed in 0.3.0).

``IncrementalExonScorer`` here keeps its old signature, ``(model, reference, acceptor, donor,
...)``, for one release; :class:`captum_genomics.splicing.IncrementalExonScorer` takes the
arguments of :class:`~captum_genomics.splicing.SpliceAIExonScorer`, with ``reference`` as an
optional keyword.
"""

from __future__ import annotations

from captum_genomics._deprecation import moved_names, warn_deprecated
from captum_genomics.splicing import scorers

#: Names served unchanged from their new home.
MOVED = {
    "REDUCTIONS": "captum_genomics.splicing.sites:REDUCTIONS",
    "EditGeometry": "captum_genomics.splicing.incremental:EditGeometry",
    "IncrementalSpliceAI": "captum_genomics.splicing.incremental:IncrementalSpliceAI",
}
__getattr__ = moved_names(__name__, MOVED)


class IncrementalExonScorer(scorers.IncrementalExonScorer):
    """Deprecated: :class:`captum_genomics.splicing.IncrementalExonScorer`, reference second.

    Parameters
    ----------
    model, acceptor, donor, reduce, tracked_columns, batch_size, name
        As :class:`captum_genomics.splicing.IncrementalExonScorer`.
    reference : str, numpy.ndarray or torch.Tensor
        The searched reference (a keyword, ``reference=``, in the new class).
    """

    def __init__(self, model, reference, acceptor, donor, reduce="mean", tracked_columns=(0, 1),
                 batch_size=None, name=None) -> None:
        warn_deprecated(
            "captum_genomics.scoring.IncrementalExonScorer(model, reference, acceptor, donor, ...)",
            "captum_genomics.splicing.IncrementalExonScorer(model, acceptor, donor, ..., "
            "reference=reference)",
        )
        super().__init__(model, acceptor, donor, reduce, tracked_columns, batch_size, name,
                         reference=reference)
