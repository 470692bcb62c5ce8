"""Score a VCF/BCF file with SpliceAI, writing the ``SpliceAI`` INFO field as upstream does."""

from __future__ import annotations

import os

from captum_genomics._atomic import atomic_path
from captum_genomics.variants.annotation import GeneTable, read_gene_table
from captum_genomics.variants.delta import INFO_FORMAT, score_records

__all__ = ["score_vcf", "SPLICEAI_HEADER", "vcf_write_mode"]

#: The INFO header line SpliceAI 1.3.1 adds, word for word.
SPLICEAI_HEADER = (
    '##INFO=<ID=SpliceAI,Number=.,Type=String,Description="SpliceAIv1.3.1 variant annotation. '
    "These include delta scores (DS) and delta positions (DP) for acceptor gain (AG), acceptor "
    "loss (AL), donor gain (DG), and donor loss (DL). "
    f'Format: {INFO_FORMAT}">'
)


def vcf_write_mode(path: str | os.PathLike) -> str:
    """The pysam write mode a file name asks for.

    Parameters
    ----------
    path : str or path-like
        Output file name.

    Returns
    -------
    str
        ``"wb"`` (.bcf), ``"wz"`` (.gz, .bgz: bgzipped VCF) or ``"w"`` (plain VCF).
    """
    name = os.fspath(path).lower()
    if name.endswith(".bcf"):
        return "wb"
    if name.endswith((".gz", ".bgz")):
        return "wz"
    return "w"


def score_vcf(input, output, fasta, annotation: str | os.PathLike | GeneTable = "grch37",
              distance: int = 50, mask: bool = False, model=None, batch_size: int = 16,
              device=None, show_progress: bool = False, on_scores=None,
              engine: str = "auto") -> int:
    """Add SpliceAI delta scores to every record of a VCF/BCF file.

    Records are copied unchanged (those outside every gene or skipped included) with, where
    scored, the ``SpliceAI`` INFO field ``ALLELE|SYMBOL|DS_AG|DS_AL|DS_DG|DS_DL|DP_AG|DP_AL|
    DP_DG|DP_DL``, one entry per ALT and gene. The output is written beside its destination
    and renamed into place when complete.

    Symbolic ALTs (``<DEL>``, ``<INS>``...), ``*``, ``.`` and ``-`` are not scored, as upstream
    (a record holding only those gets no INFO entry); unlike upstream, whose writer fails on
    symbolic ALTs, such records are copied (pysam adds ``END`` to a symbolic record that
    lacks it).

    Parameters
    ----------
    input : str or os.PathLike
        VCF, bgzipped VCF or BCF.
    output : str or os.PathLike
        Destination; ``.bcf`` writes BCF, ``.gz``/``.bgz`` bgzipped VCF, anything else VCF.
    fasta : str, os.PathLike or pyfaidx.Fasta
        The reference genome (``chr`` prefixes are matched to the VCF's naming).
    annotation : str, os.PathLike or GeneTable, default "grch37"
        ``"grch37"``, ``"grch38"`` or a gene table path (see
        :func:`~captum_genomics.variants.read_gene_table`).
    distance : int, default 50
        Upstream ``-D``.
    mask : bool, default False
        Upstream ``-M``.
    model : torch.nn.Module, optional
        SpliceAI-10k; default ``load_spliceai("spliceai")`` (the 5-model ensemble) on
        ``device``.
    batch_size : int, default 16
        Sequences per forward pass, batched across records.
    device : torch.device or str, optional
        Where to run the model; default the model's device (CPU for the default model).
    show_progress : bool, default False
        Show a tqdm progress bar of records.
    on_scores : callable, optional
        Called as ``on_scores(record, scores)`` for every record, in order, with its list of
        :class:`~captum_genomics.variants.DeltaScore` (empty when not scored), e.g.
        :meth:`captum_genomics.variants.TrackWriter.add`.
    engine : {"auto", "incremental", "plain"}, default "auto"
        As :func:`~captum_genomics.variants.delta_scores`: ``"incremental"`` shares each
        gene window's reference work and rescores only each ALT's cone (same strings).

    Returns
    -------
    int
        Number of records that received scores.

    Raises
    ------
    ValueError
        If the VCF, FASTA or table cannot be read.
    """
    import pysam
    from tqdm.auto import tqdm

    from captum_genomics.dna.fasta import _open_fasta

    table = annotation if isinstance(annotation, GeneTable) else read_gene_table(annotation)
    if model is None:
        from captum_genomics.models import load_spliceai

        model = load_spliceai("spliceai", device=device)
    handle, owned = _open_fasta(fasta)
    try:
        vcf = pysam.VariantFile(os.fspath(input))
    except (OSError, ValueError) as err:
        if owned:
            handle.close()
        raise ValueError(f"cannot read VCF {input}: {err}") from None
    scored = 0
    try:
        header = vcf.header
        if "SpliceAI" not in header.info:
            header.add_line(SPLICEAI_HEADER)
        with atomic_path(output) as tmp:
            with pysam.VariantFile(tmp, vcf_write_mode(output), header=header) as out:
                records = tqdm(vcf, unit=" records", disable=not show_progress)
                for record, scores in score_records(model, handle, records, table, distance,
                                                    mask, batch_size, device, engine):
                    if on_scores is not None:
                        on_scores(record, scores)
                    if scores:
                        record.info["SpliceAI"] = [s.info for s in scores]
                        scored += 1
                    if any(alt.startswith("<") for alt in record.alts or ()):
                        # htslib cannot write a symbolic record read with this same header.
                        record.translate(out.header)
                    out.write(record)
    finally:
        vcf.close()
        if owned:
            handle.close()
    return scored
