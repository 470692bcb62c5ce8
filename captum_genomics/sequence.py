"""Deprecated: moved to :mod:`captum_genomics.dna` (removed in 0.3.0).

One-hot tensors, layouts and checks are in :mod:`captum_genomics.dna.codec`; FASTA regions are
in :mod:`captum_genomics.dna.fasta`.
"""

from captum_genomics._deprecation import moved_names

__getattr__ = moved_names(
    __name__,
    {
        "ALPHABET": "captum_genomics.dna.codec:ALPHABET",
        "LAYOUTS": "captum_genomics.dna.codec:LAYOUTS",
        "N_POLICIES": "captum_genomics.dna.codec:N_POLICIES",
        "LOWERCASE_POLICIES": "captum_genomics.dna.codec:LOWERCASE_POLICIES",
        "UNKNOWN_POLICIES": "captum_genomics.dna.codec:UNKNOWN_POLICIES",
        "check_one_hot": "captum_genomics.dna.codec:check_one_hot",
        "decode": "captum_genomics.dna.codec:decode",
        "from_ncl": "captum_genomics.dna.codec:from_ncl",
        "one_hot": "captum_genomics.dna.codec:one_hot",
        "reverse_complement": "captum_genomics.dna.codec:reverse_complement",
        "to_ncl": "captum_genomics.dna.codec:to_ncl",
        "one_hot_region": "captum_genomics.dna.fasta:one_hot_region",
        "read_region": "captum_genomics.dna.fasta:read_region",
    },
)
