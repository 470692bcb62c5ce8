"""Deprecated: moved to :mod:`captum_genomics.splicing` (removed in 0.3.0).

Nothing here imports torch until a name is used, so :mod:`captum_genomics.gggp` stays numpy
only.
"""

from captum_genomics._deprecation import moved_names

__getattr__ = moved_names(
    __name__,
    {
        "REDUCTIONS": "captum_genomics.splicing.sites:REDUCTIONS",
        "ExonInput": "captum_genomics.splicing.exons:ExonInput",
        "ExonScorer": "captum_genomics.splicing.scorers:ExonScorer",
        "SpliceAIExonScorer": "captum_genomics.splicing.scorers:SpliceAIExonScorer",
        "build_exon_input": "captum_genomics.splicing.exons:build_exon_input",
    },
)
