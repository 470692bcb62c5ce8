"""Deprecated: moved to :mod:`captum_genomics.attr.baselines` (removed in 0.3.0)."""

from captum_genomics._deprecation import moved_names

__getattr__ = moved_names(__name__, {
    "BASELINE_NAMES": "captum_genomics.attr.baselines:BASELINE_NAMES",
    "BaselineSpec": "captum_genomics.attr.baselines:BaselineSpec",
    "make_baselines": "captum_genomics.attr.baselines:make_baselines",
})
