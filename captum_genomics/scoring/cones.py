"""Deprecated: moved to :mod:`captum_genomics.splicing.cones` (removed in 0.3.0)."""

from captum_genomics._deprecation import moved_names

__getattr__ = moved_names(
    __name__,
    {
        "cone_work": "captum_genomics.splicing.cones:cone_work",
        "plain_work": "captum_genomics.splicing.cones:plain_work",
    },
)
