"""SpliceAI variant scoring: delta scores of SNVs, MNPs and indels as SpliceAI 1.3.1 computes them.

:func:`read_gene_table` reads the gene table (upstream's grch37/grch38 or a user's file),
:func:`delta_scores` scores one record per ALT and gene (:class:`DeltaScore`, whose ``info`` is
upstream's INFO entry), :func:`score_records` batches many records, and :func:`score_vcf`
annotates a VCF/BCF file (the ``captum-genomics spliceai`` command).
"""

from captum_genomics.variants.annotation import (
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
from captum_genomics.variants.vcf import SPLICEAI_HEADER, score_vcf, vcf_write_mode

__all__ = [
    "DeltaScore",
    "ENGINES",
    "GeneTable",
    "INFO_FORMAT",
    "SPLICEAI_HEADER",
    "UPSTREAM_TABLES",
    "delta_scores",
    "normalise_chrom",
    "read_gene_table",
    "score_records",
    "score_vcf",
    "vcf_write_mode",
]
