"""Haplotype delta scores: several variants of one sample applied together (SpliceAI issue #102).

Upstream SpliceAI scores each variant alone, so two variants of one haplotype that together
create or break a site (a donor's GT split by two SNVs, an indel and a nearby SNV) get
misleading scores. :func:`haplotype_scores` applies every variant of a haplotype that lies in
a gene's transcript to that gene's reference window and reports the delta scores of the
haplotype against the reference, in upstream's AG / AL / DG / DL + positions format.

Definition, for one gene and the variants ``v_1 < ... < v_n`` (by position) inside its
transcript:

* the reference window runs from ``pos(v_1) - H`` to ``pos(v_n) + H``, ``H = context / 2 +
  distance``, with bases outside the transcript replaced by N, as upstream;
* the haplotype sequence is that window with every variant applied (indels shift what
  follows);
* both are scored (reverse-complemented for minus-strand genes), and the haplotype's output
  is aligned to reference coordinates as upstream aligns one variant: a deleted base gets 0,
  the bases an insertion adds are collapsed with its last REF base by their maximum (ALT base
  ``k`` of a variant stands for REF base ``min(k, len(REF) - 1)``);
* the four scores are the largest changes over the reference positions ``pos(v_1) - distance
  .. pos(v_n) + distance``, and the positions are offsets from ``pos(v_1)``;
* ``mask`` uses the exon boundary nearest ``v_1``, as upstream uses the one nearest its
  variant.

A haplotype of one variant therefore gives exactly :func:`~captum_genomics.variants.delta_scores`'
SNV / insertion / deletion result. Unlike upstream, MNPs and complex REF/ALT pairs are
applied (with the rule above) rather than left unscored.

Policies: variants whose REF spans overlap (or two at one position) raise ``ValueError``;
symbolic (``<DEL>``), ``*``, ``.`` and ``-`` alleles raise ``ValueError`` in a variant list and
are skipped (with a warning) when read from a VCF; an unphased heterozygous genotype
(``0/1``) raises ``ValueError`` unless ``unphased="skip"`` leaves it out of both haplotypes
(homozygous unphased genotypes such as ``1/1`` are unambiguous and used).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from captum_genomics.variants.annotation import GeneTable, normalise_chrom
from captum_genomics.variants.delta import _CONTEXT, _check, _device_of, _predict

__all__ = ["Variant", "HaplotypeScore", "haplotype_scores", "read_haplotypes",
           "score_haplotypes"]

LOGGER = logging.getLogger("captum_genomics.variants")
_UNSCORABLE = ".-*<>"


@dataclass(frozen=True)
class Variant:
    """One ALT allele at a position, as a VCF writes it.

    Attributes
    ----------
    chrom : str
        With or without ``chr``, whatever the FASTA and gene table use.
    pos : int
        1-based position of the first REF base.
    ref, alt : str
        Alleles (upper case; ``alt`` not symbolic).
    """

    chrom: str
    pos: int
    ref: str
    alt: str

    @property
    def end(self) -> int:
        """1-based position of the last REF base."""
        return self.pos + len(self.ref) - 1

    def __str__(self) -> str:
        return f"{self.chrom}:{self.pos}:{self.ref}>{self.alt}"


@dataclass(frozen=True)
class HaplotypeScore:
    """Delta scores of a haplotype in one gene.

    Attributes
    ----------
    gene : str
    variants : tuple of Variant
        The haplotype's variants inside the gene's transcript, by position (all applied).
    scores : tuple of 4 float
        DS_AG, DS_AL, DS_DG, DS_DL (after ``mask``).
    positions : tuple of 4 int
        DP_AG, DP_AL, DP_DG, DP_DL: offsets from the first variant's position.
    tracks : numpy.ndarray, shape (2, span + 2 * distance + 1, 3)
        REF and haplotype outputs (neither, acceptor, donor) at reference positions
        ``variants[0].pos - distance .. variants[-1].pos + distance``. Not compared by ``==``.
    sample : str or None
    haplotype : int or None
        0 or 1 (the GT allele index) when read from a VCF.
    """

    gene: str
    variants: tuple
    scores: tuple
    positions: tuple
    tracks: np.ndarray = field(compare=False, repr=False)
    sample: str | None = None
    haplotype: int | None = None

    @property
    def info(self) -> str:
        """An upstream-style INFO entry, the variants joined by ``&`` as its ALLELE."""
        alleles = "&".join(f"{v.pos}:{v.ref}>{v.alt}" for v in self.variants)
        scores = "|".join(f"{s:.2f}" for s in self.scores)
        return f"{alleles}|{self.gene}|{scores}|" + "|".join(map(str, self.positions))


@dataclass(frozen=True)
class _Window:
    """REF and ALT window texts of one gene, and where each ALT base lies in the REF window."""

    ref_text: str
    alt_text: str
    alt_to_ref: np.ndarray  # (len(alt_text),) REF window index that each ALT base stands for
    first: int  # 1-based genome position of ref_text[0]
    strand: str
    boundary: int  # offset from the first variant to its nearest exon boundary


def _chrom_key(name: str) -> str:
    """Chromosome name without ``chr``: ``chr10`` and ``10`` are one chromosome."""
    return normalise_chrom(name, "")


def _checked(variants: Iterable[Variant]) -> list[Variant]:
    """Variants sorted by chromosome and position; raises on unscorable alleles and overlaps."""
    ordered = sorted(variants, key=lambda v: (_chrom_key(v.chrom), v.pos, v.ref, v.alt))
    for variant in ordered:
        if not variant.ref or not variant.alt or any(c in variant.alt for c in _UNSCORABLE):
            raise ValueError(f"{variant}: symbolic, '*', '.' and '-' alleles cannot be applied "
                             "to a sequence")
    for before, after in zip(ordered, ordered[1:]):
        if _chrom_key(before.chrom) == _chrom_key(after.chrom) and after.pos <= before.end:
            raise ValueError(f"{before} and {after} overlap: a haplotype cannot hold both")
    return ordered


def _window(fasta, variants: Sequence[Variant], gene: int, annotation: GeneTable,
            distance: int, context: int) -> _Window:
    """The windows of one gene and its (sorted, non-overlapping) variants."""
    half = context // 2 + distance
    head, tail = variants[0], variants[-1]
    contig = normalise_chrom(head.chrom, next(iter(fasta.keys())))
    if contig not in fasta.keys():
        raise ValueError(f"{head.chrom} is not in the FASTA")
    first, last = head.pos - half, tail.pos + half
    if first < 1 or last > len(fasta[contig]):
        raise ValueError(f"{head}..{tail}: too near the chromosome end for the window")
    text = str(fasta.faidx.fetch(contig, first, last))
    start, end = int(annotation.tx_starts[gene]), int(annotation.tx_ends[gene])
    pad_left, pad_right = max(start - first, 0), max(last - end, 0)
    ref_text = "N" * pad_left + text[pad_left:len(text) - pad_right] + "N" * pad_right
    pieces, mapping, cursor = [], [], 0
    for variant in variants:
        at = variant.pos - first
        if text[at:at + len(variant.ref)].upper() != variant.ref:
            raise ValueError(f"{variant}: REF does not match the reference "
                             f"({text[at:at + len(variant.ref)]})")
        if len(variant.ref) > 2 * distance:
            raise ValueError(f"{variant}: REF longer than 2 * distance, as upstream refuses")
        pieces += [ref_text[cursor:at], variant.alt]
        mapping += [np.arange(cursor, at),
                    at + np.minimum(np.arange(len(variant.alt)), len(variant.ref) - 1)]
        cursor = at + len(variant.ref)
    pieces.append(ref_text[cursor:])
    mapping.append(np.arange(cursor, len(ref_text)))
    boundary = annotation.distances(gene, head.pos)[2]
    return _Window(ref_text, "".join(pieces), np.concatenate(mapping), first,
                   str(annotation.strands[gene]), boundary)


def _aligned(y_alt: np.ndarray, window: _Window, context: int) -> np.ndarray:
    """ALT output (L_alt - context, 3) on the REF output positions: max per REF base, 0 if none."""
    out_ref = np.zeros((len(window.ref_text) - context, 3), dtype=np.float64)
    np.maximum.at(out_ref, window.alt_to_ref[context // 2:len(window.alt_text) - context // 2]
                  - context // 2, y_alt)
    return out_ref


def _scores(y_ref: np.ndarray, y_alt: np.ndarray, distance: int, boundary: int,
            mask: bool) -> tuple[tuple, tuple]:
    """Upstream's four scores and offsets from tracks (M, 3) starting ``distance`` before."""
    scores, positions = [], []
    for channel, gain in ((1, True), (1, False), (2, True), (2, False)):
        change = (y_alt[:, channel] - y_ref[:, channel]) * (1 if gain else -1)
        index = int(change.argmax())
        at_boundary = index - distance == boundary
        masked = mask and (at_boundary if gain else not at_boundary)
        scores.append(float(change[index]) * (1 - int(masked)))
        positions.append(index - distance)
    return tuple(scores), tuple(positions)


def _model_context(model) -> int:
    context = getattr(model, "context", _CONTEXT)
    if isinstance(context, bool) or not isinstance(context, int) or context < 0 or context % 2:
        raise ValueError(f"the model's context must be an even integer >= 0, got {context!r}")
    return context


def haplotype_scores(model, fasta, variants: Iterable[Variant], annotation: GeneTable,
                     distance: int = 50, mask: bool = False, batch_size: int = 16,
                     device=None) -> list[HaplotypeScore]:
    """Delta scores of a set of variants applied together, per gene (see the module notes).

    Parameters
    ----------
    model : torch.nn.Module
        SpliceAI-like: (N, 4, L + context) -> (N, 3, L) probabilities; ``model.context``
        (default 10000) sets the flanks, so smaller models (e.g. SpliceAI-80) work too.
    fasta : str, os.PathLike or pyfaidx.Fasta
        The reference genome.
    variants : iterable of Variant
        One haplotype's variants (any chromosomes; ``chr`` prefixes as the FASTA or not).
    annotation : GeneTable
    distance, mask, batch_size, device
        As :func:`~captum_genomics.variants.delta_scores`.

    Returns
    -------
    list of HaplotypeScore
        By chromosome (sorted by name, ``chr10`` and ``10`` being one) and gene (table order),
        one per gene whose transcript covers at least one variant.

    Raises
    ------
    ValueError
        On overlapping variants, unscorable alleles, a REF mismatch, a window past a
        chromosome end or a REF longer than ``2 * distance``.
    """
    from captum_genomics.dna.fasta import _open_fasta

    _check(distance, batch_size)
    context = _model_context(model)
    device = _device_of(model, device)
    ordered = _checked(variants)
    handle, owned = _open_fasta(fasta)
    try:
        plans = []
        for chrom in dict.fromkeys(_chrom_key(v.chrom) for v in ordered):
            on_chrom = [v for v in ordered if _chrom_key(v.chrom) == chrom]
            genes = sorted(set().union(*(annotation.overlapping(chrom, v.pos).tolist()
                                         for v in on_chrom)))
            for gene in genes:
                inside = [v for v in on_chrom if annotation.tx_starts[gene] <= v.pos
                          <= annotation.tx_ends[gene]]
                plans.append((gene, tuple(inside), _window(handle, inside, gene, annotation,
                                                           distance, context)))
    finally:
        if owned:
            handle.close()
    inputs = [(text, w.strand) for _, _, w in plans for text in (w.ref_text, w.alt_text)]
    outputs = _predict(model, inputs, batch_size, device, context)
    results = []
    for number, (gene, inside, window) in enumerate(plans):
        y_ref = outputs[2 * number].astype(np.float64)
        y_alt = _aligned(outputs[2 * number + 1], window, context)
        scores, positions = _scores(y_ref, y_alt, distance, window.boundary, mask)
        results.append(HaplotypeScore(str(annotation.names[gene]), inside, scores, positions,
                                      np.stack([y_ref, y_alt]).astype(np.float32)))
    return results


def read_haplotypes(vcf: str | os.PathLike, sample: str,
                    unphased: str = "error") -> tuple[list[Variant], list[Variant]]:
    """The two haplotypes of one sample of a VCF/BCF, from its ``GT`` field.

    Parameters
    ----------
    vcf : str or os.PathLike
    sample : str
        Sample name as in the VCF header.
    unphased : {"error", "skip"}, default "error"
        What to do with an unphased heterozygous genotype (``0/1``, ``1/2``): raise, or leave
        the record out of both haplotypes (logged). Homozygous ones are always used.

    Returns
    -------
    (list of Variant, list of Variant)
        Haplotype 0 (first GT allele) and 1 (second; empty for haploid calls). Missing
        alleles (``.``) count as REF; symbolic, ``*`` and ``.`` ALTs are skipped (logged).

    Raises
    ------
    ValueError
        If the sample is absent, or on an unphased heterozygous genotype with
        ``unphased="error"``.
    """
    import pysam

    if unphased not in ("error", "skip"):
        raise ValueError(f"unphased must be 'error' or 'skip', got {unphased!r}")
    haplotypes: tuple[list[Variant], list[Variant]] = ([], [])
    with pysam.VariantFile(os.fspath(vcf)) as handle:
        if sample not in handle.header.samples:
            raise ValueError(f"sample {sample!r} is not in {vcf}; it has "
                             f"{', '.join(handle.header.samples) or 'no samples'}")
        for record in handle:
            call = record.samples[sample]
            alleles = call.get("GT") or ()
            where = f"{record.chrom}:{record.pos} {sample} GT"
            if not call.phased and len({a for a in alleles if a is not None}) > 1:
                if unphased == "error":
                    raise ValueError(f"{where} is unphased and heterozygous: phase the VCF, or "
                                     "pass unphased='skip' to leave such records out")
                LOGGER.warning("Skipping unphased heterozygous %s", where)
                continue
            for index, allele in enumerate(alleles[:2]):
                if not allele:
                    continue
                alt = record.alleles[allele]
                if any(c in alt for c in _UNSCORABLE):
                    LOGGER.warning("Skipping unscorable ALT %s at %s", alt, where)
                    continue
                haplotypes[index].append(Variant(record.chrom, record.pos, record.ref, alt))
    return haplotypes


def score_haplotypes(model, fasta, vcf: str | os.PathLike, sample: str,
                     annotation: GeneTable, distance: int = 50, mask: bool = False,
                     unphased: str = "error", batch_size: int = 16,
                     device=None) -> list[HaplotypeScore]:
    """Delta scores of both haplotypes of one sample of a phased VCF.

    Parameters
    ----------
    model, fasta, annotation, distance, mask, batch_size, device
        As :func:`haplotype_scores`.
    vcf, sample, unphased
        As :func:`read_haplotypes`.

    Returns
    -------
    list of HaplotypeScore
        Haplotype 0's scores, then haplotype 1's, with ``sample`` and ``haplotype`` set.
    """
    results = []
    for index, variants in enumerate(read_haplotypes(vcf, sample, unphased)):
        if variants:
            for score in haplotype_scores(model, fasta, variants, annotation, distance, mask,
                                          batch_size, device):
                results.append(HaplotypeScore(score.gene, score.variants, score.scores,
                                              score.positions, score.tracks, sample, index))
    return results
