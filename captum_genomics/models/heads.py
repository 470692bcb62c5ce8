"""Deprecated: moved to :mod:`captum_genomics.splicing.heads` (removed in 0.3.0).

The heads now take input positions (indices into ``x``, flanks included) instead of output
positions: output position ``i`` is input position ``i + context / 2``.
"""

from captum_genomics._deprecation import moved_names

__getattr__ = moved_names(
    __name__,
    {
        "SITE_CLASSES": "captum_genomics.splicing.sites:SITE_CLASSES",
        "ExonHead": "captum_genomics.splicing.heads:ExonHead",
        "SpliceSiteHead": "captum_genomics.splicing.heads:SpliceSiteHead",
        "score_splice_sites": "captum_genomics.splicing.heads:score_splice_sites",
    },
)
