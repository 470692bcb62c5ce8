"""SpliceAI variant scoring: delta scores of SNVs, MNPs and indels as SpliceAI 1.3.1 computes them.

:func:`read_gene_table` reads the gene table (upstream's grch37/grch38 or a user's file),
:func:`delta_scores` scores one record per ALT and gene (:class:`DeltaScore`, whose ``info`` is
upstream's INFO entry), :func:`score_records` batches many records, and :func:`score_vcf`
annotates a VCF/BCF file (the ``captum-genomics spliceai`` command).

Beyond upstream: :func:`haplotype_scores` / :func:`score_haplotypes` score several variants of
one haplotype together, :class:`TrackWriter` and :class:`HaplotypeTrackWriter` write the
full delta tracks (TSV/JSON), :func:`explain_delta` attributes a delta score to the bases of
the window, :func:`explain_deltas` every delta score above a cut-off
(:class:`DeltaAttributionWriter` writes them, :func:`read_delta_attribution` reads one
back), and :func:`read_gene_table` also builds the gene table from a GTF/GFF3.
"""

from captum_genomics.variants.annotation import (
    CANONICAL_TAGS,
    UPSTREAM_TABLES,
    GeneTable,
    normalise_chrom,
    read_gene_table,
)
from captum_genomics.variants.delta import (
    ENGINES,
    INFO_FORMAT,
    DeltaScore,
    delta_scores,
    score_records,
)
from captum_genomics.variants.explain import DELTA_KINDS, DeltaAttribution, explain_delta
from captum_genomics.variants.explain_batch import (
    EXPLAIN_SUMMARY_COLUMNS,
    DeltaAttributionWriter,
    explain_deltas,
    read_delta_attribution,
)
from captum_genomics.variants.haplotype import (
    HaplotypeScore,
    Variant,
    haplotype_scores,
    read_haplotypes,
    score_haplotypes,
)
from captum_genomics.variants.tracks import (
    HAPLOTYPE_TRACK_COLUMNS,
    TRACK_COLUMNS,
    HaplotypeTrackWriter,
    TrackWriter,
    haplotype_track_entry,
    haplotype_track_rows,
    track_entry,
    track_rows,
)
from captum_genomics.variants.vcf import SPLICEAI_HEADER, score_vcf, vcf_write_mode

__all__ = [
    "CANONICAL_TAGS",
    "DELTA_KINDS",
    "DeltaAttributionWriter",
    "DeltaAttribution",
    "DeltaScore",
    "ENGINES",
    "EXPLAIN_SUMMARY_COLUMNS",
    "GeneTable",
    "HAPLOTYPE_TRACK_COLUMNS",
    "HaplotypeScore",
    "HaplotypeTrackWriter",
    "INFO_FORMAT",
    "SPLICEAI_HEADER",
    "TRACK_COLUMNS",
    "TrackWriter",
    "UPSTREAM_TABLES",
    "Variant",
    "delta_scores",
    "explain_delta",
    "explain_deltas",
    "haplotype_track_entry",
    "haplotype_track_rows",
    "haplotype_scores",
    "normalise_chrom",
    "read_delta_attribution",
    "read_gene_table",
    "read_haplotypes",
    "score_haplotypes",
    "score_records",
    "score_vcf",
    "track_entry",
    "track_rows",
    "vcf_write_mode",
]
