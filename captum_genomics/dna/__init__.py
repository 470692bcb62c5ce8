"""DNA in and out: alphabet, one-hot codecs and layouts, FASTA regions, annotations, shuffles.

Text, integer codes and one-hot columns share one table, :mod:`captum_genomics.dna.alphabet`
(numpy only). On top of it: :mod:`~captum_genomics.dna.codec` (one-hot tensors, layouts and
:func:`check_one_hot`, the one validation point of inputs), :mod:`~captum_genomics.dna.fasta`
(regions of a genome), :mod:`~captum_genomics.dna.annotations` (BED and GFF3 intervals) and
:mod:`~captum_genomics.dna.shuffle` (uniform k-let shuffles).
"""

from __future__ import annotations

from .annotations import Interval, filter_intervals, read_bed, read_gff3
from .codec import (
    ALPHABET,
    LAYOUTS,
    check_one_hot,
    codes_to_tensor,
    decode,
    from_ncl,
    nearest_sequences,
    one_hot,
    reverse_complement,
    to_ncl,
)
from .fasta import one_hot_region, read_region
from .shuffle import ShuffleWarning, dinucleotide_shuffle, kmer_shuffle

__all__ = [
    "ALPHABET",
    "LAYOUTS",
    "Interval",
    "ShuffleWarning",
    "check_one_hot",
    "codes_to_tensor",
    "decode",
    "dinucleotide_shuffle",
    "filter_intervals",
    "from_ncl",
    "kmer_shuffle",
    "nearest_sequences",
    "one_hot",
    "one_hot_region",
    "read_bed",
    "read_gff3",
    "read_region",
    "reverse_complement",
    "to_ncl",
]
