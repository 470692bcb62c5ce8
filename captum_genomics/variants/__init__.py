"""SpliceAI variant scoring: delta scores of SNVs, MNPs and indels as SpliceAI 1.3.1 computes them.

:func:`read_gene_table` reads the gene table (upstream's grch37/grch38 or a user's file),
:func:`delta_scores` scores one record per ALT and gene (:class:`DeltaScore`, whose ``info`` is
upstream's INFO entry), :func:`score_records` batches many records, and :func:`score_vcf`
annotates a VCF/BCF file (the ``captum-genomics spliceai`` command).

Beyond upstream: :func:`haplotype_scores` / :func:`score_haplotypes` score several variants of
one haplotype together, :class:`TrackWriter` writes the full delta tracks (TSV/JSON),
:func:`explain_delta` attributes a delta score to the bases of the window, and
:func:`read_gene_table` also builds the gene table from a GTF/GFF3.
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
from captum_genomics.variants.haplotype import (
    HaplotypeScore,
    Variant,
    haplotype_scores,
    read_haplotypes,
    score_haplotypes,
)
from captum_genomics.variants.tracks import TRACK_COLUMNS, TrackWriter, track_entry, track_rows
from captum_genomics.variants.vcf import SPLICEAI_HEADER, score_vcf, vcf_write_mode

__all__ = [
    "CANONICAL_TAGS",
    "DELTA_KINDS",
    "DeltaAttribution",
    "DeltaScore",
    "ENGINES",
    "GeneTable",
    "HaplotypeScore",
    "INFO_FORMAT",
    "SPLICEAI_HEADER",
    "TRACK_COLUMNS",
    "TrackWriter",
    "UPSTREAM_TABLES",
    "Variant",
    "delta_scores",
    "explain_delta",
    "haplotype_scores",
    "normalise_chrom",
    "read_gene_table",
    "read_haplotypes",
    "score_haplotypes",
    "score_records",
    "score_vcf",
    "track_entry",
    "track_rows",
    "vcf_write_mode",
]
