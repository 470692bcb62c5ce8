"""captum-genomics: genomics-aware explainers for Captum.

Explainers
    :class:`GenomicIntegratedGradients` (integrated gradients with genomic
    baselines, layouts and aggregation) and :class:`GGGPPerturbationExplainer`
    (grammar-guided local datasets of edits, explained by a surrogate),
    :class:`InSilicoMutagenesis` (every single-base substitution; exact and fast on SpliceAI).
Sequences
    :func:`one_hot`, :func:`decode`, :func:`reverse_complement`,
    :func:`read_region`, :func:`one_hot_region`, :func:`check_one_hot`.
Baselines and shuffles
    :func:`make_baselines`, :func:`dinucleotide_shuffle`, :func:`kmer_shuffle`.
Aggregation and annotations
    :func:`locus_scores`, :func:`correct_gradients`, :func:`hypothetical_scores`,
    :func:`rolling_mean`, :func:`interval_scores`, :func:`genome_quantiles`,
    :func:`read_bed`, :func:`read_gff3`.
Genome-level explanations
    :func:`interval_feature_mask`, :func:`blackout`, :func:`gene_set_test`,
    :func:`gene_set_tests`, :func:`coding_density`, :func:`presence_absence_forest` (more in
    :mod:`captum_genomics.genome`).
Evaluation
    :func:`motif_recovery`, :func:`avg_match_percent`, :func:`signal_to_noise`,
    :func:`cosine_similarity`, :func:`off_simplex_angle`, :func:`information_content`,
    :func:`archive_quality`, :func:`edit_distance_distribution`,
    :func:`local_dataset_locality`, :func:`matched_locality`, :func:`planted_motif_dataset`.
Local datasets (GGGP)
    :class:`Grammar`, :class:`LocalDataset`, :func:`prune_result`, :func:`read_dress_csv`,
    :func:`write_dress_csv` (the engine: :mod:`captum_genomics.gggp`).
Motifs
    :class:`Motif`, :func:`read_meme`, :func:`default_splicing_motifs`, :func:`scan_motifs`,
    :func:`motif_grammar`, :func:`motif_changes`, :func:`motif_enrichment`,
    :func:`fit_motif_surrogate` (scanning needs the ``motifs`` extra, ``memelite``).
Surrogates
    :func:`fit_surrogate`, :func:`edit_features`, :func:`auto_alpha`,
    :class:`SurrogateFit`, :class:`DecisionTreeSurrogate`.
Outputs
    :class:`RegionTrack`, :func:`write_bedgraph`, :func:`write_bigwig`,
    :func:`write_modisco_inputs`, :func:`write_table` (figures and reports:
    :mod:`captum_genomics.plot`, :mod:`captum_genomics.report`; splicing heads and scorers:
    :mod:`captum_genomics.splicing`).
Variants
    :func:`delta_scores`, :func:`score_vcf`, :func:`read_gene_table` (SpliceAI delta scores
    as upstream SpliceAI 1.3.1 writes them; VCF/BCF through the ``variants`` extra, ``pysam``);
    :func:`haplotype_scores`, :func:`score_haplotypes` (several variants of one haplotype),
    :func:`explain_delta` (which bases make a variant matter), :func:`explain_deltas` and
    :class:`DeltaAttributionWriter` (every delta score above a cut-off, to ``.npz`` files),
    :class:`TrackWriter` and :class:`HaplotypeTrackWriter` (full delta tracks as TSV/JSON).
Batch runs
    :mod:`captum_genomics.batch` (``captum-genomics batch``: many regions, exons or VCF
    chunks on local workers or Ray; it builds on the command line, so it is not imported
    here).
Models
    :mod:`captum_genomics.models` (SpliceAI with published weights, deepG-style CNNs).
"""

from captum_genomics.aggregate import (
    IntervalScores,
    correct_gradients,
    genome_quantiles,
    hypothetical_scores,
    interval_scores,
    locus_scores,
    rolling_mean,
)
from captum_genomics.attr.baselines import make_baselines
from captum_genomics.attr.gggp import GGGPPerturbationExplainer
from captum_genomics.attr.integrated_gradients import GenomicIntegratedGradients
from captum_genomics.attr.ism import InSilicoMutagenesis
from captum_genomics.dna.annotations import Interval, filter_intervals, read_bed, read_gff3
from captum_genomics.dna.codec import (
    ALPHABET,
    LAYOUTS,
    check_one_hot,
    decode,
    from_ncl,
    one_hot,
    reverse_complement,
    to_ncl,
)
from captum_genomics.dna.fasta import one_hot_region, read_region
from captum_genomics.dna.shuffle import ShuffleWarning, dinucleotide_shuffle, kmer_shuffle
from captum_genomics.example_data import TUBB8, example_fasta_path, tubb8_sequence
from captum_genomics.export import (
    RegionTrack,
    write_bedgraph,
    write_bigwig,
    write_modisco_inputs,
    write_table,
)
from captum_genomics.genome import (
    BlackoutResult,
    GeneSetResult,
    blackout,
    coding_density,
    gene_set_test,
    gene_set_tests,
    interval_feature_mask,
    presence_absence_forest,
)
from captum_genomics.gggp.archive import archive_quality
from captum_genomics.gggp.dataset import LocalDataset
from captum_genomics.gggp.dress import read_dress_csv, write_dress_csv
from captum_genomics.gggp.grammar import Grammar
from captum_genomics.gggp.prune import prune_result
from captum_genomics.metrics import (
    avg_match_percent,
    cosine_similarity,
    edit_distance_distribution,
    information_content,
    local_dataset_locality,
    matched_locality,
    motif_recovery,
    off_simplex_angle,
    signal_to_noise,
)
from captum_genomics.motifs import (
    Motif,
    default_splicing_motifs,
    fit_motif_surrogate,
    motif_changes,
    motif_enrichment,
    motif_grammar,
    read_meme,
    scan_motifs,
)
from captum_genomics.surrogates import (
    DecisionTreeSurrogate,
    SurrogateFit,
    auto_alpha,
    edit_features,
    fit_surrogate,
)
from captum_genomics.synthetic import MOTIFS, PlantedMotifData, planted_motif_dataset
from captum_genomics.variants import (
    DeltaAttributionWriter,
    HaplotypeTrackWriter,
    TrackWriter,
    delta_scores,
    explain_delta,
    explain_deltas,
    haplotype_scores,
    read_gene_table,
    score_haplotypes,
    score_vcf,
)

__version__ = "0.2.0"

__all__ = [
    "write_table",
    "write_modisco_inputs",
    "write_bigwig",
    "write_bedgraph",
    "RegionTrack",
    "ALPHABET",
    "DecisionTreeSurrogate",
    "GGGPPerturbationExplainer",
    "GenomicIntegratedGradients",
    "InSilicoMutagenesis",
    "Grammar",
    "Interval",
    "IntervalScores",
    "LAYOUTS",
    "LocalDataset",
    "MOTIFS",
    "PlantedMotifData",
    "ShuffleWarning",
    "SurrogateFit",
    "TUBB8",
    "archive_quality",
    "auto_alpha",
    "avg_match_percent",
    "check_one_hot",
    "correct_gradients",
    "cosine_similarity",
    "decode",
    "dinucleotide_shuffle",
    "edit_distance_distribution",
    "edit_features",
    "example_fasta_path",
    "filter_intervals",
    "fit_surrogate",
    "from_ncl",
    "hypothetical_scores",
    "information_content",
    "interval_scores",
    "kmer_shuffle",
    "locus_scores",
    "make_baselines",
    "motif_recovery",
    "off_simplex_angle",
    "one_hot",
    "one_hot_region",
    "planted_motif_dataset",
    "read_bed",
    "read_gff3",
    "read_region",
    "reverse_complement",
    "rolling_mean",
    "signal_to_noise",
    "to_ncl",
    "tubb8_sequence",
    "local_dataset_locality",
    "matched_locality",
    "prune_result",
    "read_dress_csv",
    "write_dress_csv",
    "Motif",
    "default_splicing_motifs",
    "fit_motif_surrogate",
    "motif_changes",
    "motif_enrichment",
    "motif_grammar",
    "read_meme",
    "scan_motifs",
    "delta_scores",
    "explain_delta",
    "explain_deltas",
    "DeltaAttributionWriter",
    "haplotype_scores",
    "score_haplotypes",
    "TrackWriter",
    "HaplotypeTrackWriter",
    "read_gene_table",
    "score_vcf",
    "BlackoutResult",
    "GeneSetResult",
    "blackout",
    "coding_density",
    "gene_set_test",
    "gene_set_tests",
    "interval_feature_mask",
    "presence_absence_forest",
    "genome_quantiles",
]
