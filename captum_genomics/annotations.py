"""Deprecated: moved to :mod:`captum_genomics.dna.annotations` (removed in 0.3.0)."""

from captum_genomics._deprecation import moved_names

__getattr__ = moved_names(
    __name__,
    {
        "Interval": "captum_genomics.dna.annotations:Interval",
        "PathLike": "captum_genomics.dna.annotations:PathLike",
        "filter_intervals": "captum_genomics.dna.annotations:filter_intervals",
        "read_bed": "captum_genomics.dna.annotations:read_bed",
        "read_gff3": "captum_genomics.dna.annotations:read_gff3",
    },
)
