"""captum-genomics: genomics-aware explainers for Captum."""

from captum_genomics.aggregate import (
    correct_gradients,
    hypothetical_scores,
    interval_scores,
    locus_scores,
    rolling_mean,
)
from captum_genomics.attr.integrated_gradients import GenomicIntegratedGradients
from captum_genomics.baselines import make_baselines
from captum_genomics.sequence import check_one_hot, decode, one_hot, read_region
from captum_genomics.shuffle import dinucleotide_shuffle, kmer_shuffle

__version__ = "0.1.0"
