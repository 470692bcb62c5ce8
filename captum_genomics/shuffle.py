"""Deprecated: moved to :mod:`captum_genomics.dna.shuffle` (removed in 0.3.0)."""

from captum_genomics._deprecation import moved_names

__getattr__ = moved_names(
    __name__,
    {
        "SeedLike": "captum_genomics.dna.shuffle:SeedLike",
        "ShuffleWarning": "captum_genomics.dna.shuffle:ShuffleWarning",
        "dinucleotide_shuffle": "captum_genomics.dna.shuffle:dinucleotide_shuffle",
        "kmer_shuffle": "captum_genomics.dna.shuffle:kmer_shuffle",
    },
)
