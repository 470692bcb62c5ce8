"""SpliceAI inputs read from a genome: an exon triplet, or one splice site, N-padded.

:func:`build_exon_input` builds the input of the reference method from a transcript: the
cassette exon with its upstream and downstream exons and the introns between, trimmed to
``max_distance`` nt of the cassette exon and padded with N on both sides.
:func:`build_site_input` builds the input around one splice site, for the site scorers.  Their
splice sites are input positions (:mod:`captum_genomics.splicing.sites`): indices into the
padded sequence, the positions that heads, scorers and the GGGP grammar all take.

Examples
--------
>>> exon = build_exon_input()  # TUBB8 internal exon chr10:94744-94852    # doctest: +SKIP
>>> scorer = SpliceAIExonScorer(load_spliceai(), exon.acceptor, exon.donor)  # doctest: +SKIP
>>> result = search(exon.sequence, scorer, grammar=exon.grammar(),           # doctest: +SKIP
...                 settings=SearchSettings(max_evaluations=300), tracked=scorer.tracked)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from captum_genomics._validate import check_choice, check_int
from captum_genomics.dna.codec import one_hot
from captum_genomics.dna.fasta import _open_fasta, read_region
from captum_genomics.example_data import TUBB8, OrientedSequence, Transcript, example_fasta_path
from captum_genomics.gggp.grammar import Grammar

__all__ = ["ExonInput", "SiteInput", "build_exon_input", "build_site_input"]

_TUBB8_CASSETTE = (94744, 94852)


class _PaddedRegion:
    """Genome mapping and one-hot of a ``pad``-N-padded :class:`OrientedSequence` input."""

    sequence: str
    region: OrientedSequence
    pad: int

    def index(self, position):
        """Indices in :attr:`sequence` of 1-based genome positions (inside the region)."""
        return self.region.index(position) + self.pad

    def position(self, index):
        """1-based genome positions of indices in :attr:`sequence` (outside the padding)."""
        return self.region.position(np.asarray(index) - self.pad)

    def one_hot(self) -> torch.Tensor:
        """``(1, 4, L)`` float32 one-hot of :attr:`sequence` (N all zero, as SpliceAI reads)."""
        return one_hot([self.sequence])


@dataclass(frozen=True)
class ExonInput(_PaddedRegion):
    """A cassette exon with its neighbouring exons, as the reference method feeds SpliceAI.

    Attributes
    ----------
    sequence : str
        ``(L,)`` uppercase bases in transcript orientation: ``pad`` N, the region, ``pad`` N.
    sites : numpy.ndarray
        ``(3, 2)`` int64 input positions (indices into :attr:`sequence`),
        ``[[up_acc, up_don], [cas_acc, cas_don], [down_acc, down_don]]`` (acceptor = first
        exon base, donor = last exon base); -1 for a site trimmed away.  The upstream exon's
        acceptor is the transcript start when it is the first exon, and the downstream exon's
        donor the transcript end when it is the last.
    region : OrientedSequence
        The region without padding and its genome coordinates (``region.index`` and
        ``region.position`` map genome positions and region indices).
    pad : int
        N bases added on each side.
    max_distance : int
        Trimming distance from the cassette exon.
    """

    sequence: str
    sites: np.ndarray
    region: OrientedSequence
    pad: int
    max_distance: int

    @property
    def acceptor(self) -> int:
        """Index of the cassette exon's acceptor in :attr:`sequence`."""
        return int(self.sites[1, 0])

    @property
    def donor(self) -> int:
        """Index of the cassette exon's donor in :attr:`sequence`."""
        return int(self.sites[1, 1])

    def grammar(self, **changes: Any) -> Grammar:
        """The reference grammar on this input.

        Forbidden zones around every present splice site, and no edit farther than
        :attr:`max_distance` from the cassette exon (the N padding is never edited).

        Parameters
        ----------
        **changes
            Other :class:`~captum_genomics.gggp.grammar.Grammar` fields or overrides.

        Returns
        -------
        Grammar
        """
        acceptors = tuple(int(s) for s in self.sites[:, 0] if s >= 0)
        donors = tuple(int(s) for s in self.sites[:, 1] if s >= 0)
        fields = {
            "acceptors": acceptors,
            "donors": donors,
            "roi": (self.acceptor, self.donor + 1),
            "max_distance": self.max_distance,
        }
        fields.update(changes)
        return dataclasses.replace(Grammar(), **fields)


@dataclass(frozen=True)
class SiteInput(_PaddedRegion):
    """One splice site with ``max_distance`` nt of genome on each side, as SpliceAI reads it.

    Attributes
    ----------
    sequence : str
        ``(L,)`` uppercase bases in the site's orientation: ``pad`` N, the region, ``pad`` N.
        The region stops at the chromosome's ends; beyond them the padding stands for the
        missing bases.
    site : int
        Input position of the site (index into :attr:`sequence`).
    kind : {"acceptor", "donor"}
        The site's kind.
    region : OrientedSequence
        The region without padding and its genome coordinates.
    pad : int
        N bases added on each side.
    max_distance : int
        Bases read from the genome on each side of the site.
    """

    sequence: str
    site: int
    kind: str
    region: OrientedSequence
    pad: int
    max_distance: int

    def grammar(self, **changes: Any) -> Grammar:
        """The reference grammar on this input: the site's forbidden zone, edits within
        :attr:`max_distance` of it (the N padding is never edited).

        Parameters
        ----------
        **changes
            Other :class:`~captum_genomics.gggp.grammar.Grammar` fields or overrides.

        Returns
        -------
        Grammar
        """
        fields = {
            "acceptors" if self.kind == "acceptor" else "donors": (self.site,),
            "roi": (self.site, self.site + 1),
            "max_distance": self.max_distance,
        }
        fields.update(changes)
        return dataclasses.replace(Grammar(), **fields)


def _transcript_exon(transcript: Transcript, exon) -> int:
    """Transcript-order index of ``exon`` (an index or a genome ``(start, end)`` pair)."""
    ordered = transcript.exons_transcript_order
    if isinstance(exon, (int, np.integer)) and not isinstance(exon, bool):
        index = int(exon)
    else:
        try:
            pair = tuple(int(v) for v in exon)
        except (TypeError, ValueError):
            raise TypeError(
                f"exon must be a transcript-order index or a (start, end) pair, got {exon!r}"
            ) from None
        if pair not in ordered:
            raise ValueError(
                f"exon {pair} is not an exon of {transcript.name}; its exons are {ordered}"
            )
        index = ordered.index(pair)
    if not 1 <= index <= len(ordered) - 2:
        raise ValueError(
            f"the cassette exon must be internal (transcript-order index 1..{len(ordered) - 2} "
            f"of {transcript.name}'s {len(ordered)} exons), got index {index}"
        )
    return index


def build_exon_input(
    transcript: Transcript = TUBB8,
    exon: int | tuple[int, int] = _TUBB8_CASSETTE,
    fasta=None,
    max_distance: int = 5000,
    pad: int = 5000,
) -> ExonInput:
    """The reference method's SpliceAI input for one internal (cassette) exon.

    The cassette exon with its upstream and downstream exons and the introns between, read in
    transcript orientation (reverse-complemented on the minus strand), trimmed so that nothing
    lies more than ``max_distance`` nt from the cassette exon, padded with ``pad`` N on each
    side.  For TUBB8's internal exon chr10:94744-94852 (acceptor 94852, donor 94744, minus
    strand) the input has 10,975 nt and the cassette sites at indices 5677 and 5785.

    Parameters
    ----------
    transcript : Transcript
        The transcript (default :data:`captum_genomics.example_data.TUBB8`).
    exon : int or (int, int)
        The cassette exon: its index in transcript order, or its genome ``(start, end)`` as in
        ``transcript.exons``; it must be internal.
    fasta : str, os.PathLike or pyfaidx.Fasta, optional
        Reference holding the transcript (default: the shipped chr10 example FASTA).
    max_distance : int
        Trimming distance in nt from the cassette exon.
    pad : int
        N added on each side (5,000 = half of SpliceAI-10k's context).

    Returns
    -------
    ExonInput
        Sequence ``(pad + R + pad,)``, splice-site indices ``(3, 2)`` and genome mapping.
    """
    if int(max_distance) < 0 or int(pad) < 0:
        raise ValueError(f"max_distance and pad must be >= 0, got {max_distance} and {pad}")
    index = _transcript_exon(transcript, exon)
    triplet = transcript.exons_transcript_order[index - 1 : index + 2]
    cas_start, cas_end = triplet[1]
    low = max(min(s for s, _ in triplet), cas_start - int(max_distance), 1)
    high = min(max(e for _, e in triplet), cas_end + int(max_distance))
    text = read_region(
        example_fasta_path() if fasta is None else fasta,
        (transcript.chrom, low, high),
        strand=transcript.strand,
    ).upper()
    region = OrientedSequence(text, transcript.chrom, low, high, transcript.strand)
    # acceptor = first base in transcript orientation: start on "+", end on "-"
    first, last = (0, 1) if transcript.strand == "+" else (1, 0)
    genome = np.array([[e[first], e[last]] for e in triplet], dtype=np.int64)
    inside = (genome >= low) & (genome <= high)
    sites = np.full((3, 2), -1, dtype=np.int64)
    sites[inside] = region.index(genome[inside]) + int(pad)
    sequence = "N" * int(pad) + text + "N" * int(pad)
    return ExonInput(sequence, sites, region, int(pad), int(max_distance))


def build_site_input(
    chrom: str,
    position: int,
    strand: str,
    kind: str = "acceptor",
    fasta=None,
    max_distance: int = 5000,
    pad: int = 5000,
) -> SiteInput:
    """SpliceAI's input around one splice site, for the site scorers.

    The genome within ``max_distance`` nt of the site (cut at the chromosome's ends), read in
    the site's orientation (reverse-complemented on the minus strand), padded with ``pad`` N on
    each side.

    Parameters
    ----------
    chrom : str
        Chromosome name in ``fasta``.
    position : int
        1-based genome position of the site: an acceptor is the first exon base, a donor the
        last, in transcript orientation (on the minus strand the acceptor is the exon's end).
    strand : {"+", "-"}
        The transcript's strand.
    kind : {"acceptor", "donor"}
        The site's kind.
    fasta : str, os.PathLike or pyfaidx.Fasta, optional
        Reference genome (default: the shipped chr10 example FASTA).
    max_distance : int
        Bases read on each side of the site.
    pad : int
        N added on each side (5,000 = half of SpliceAI-10k's context).

    Returns
    -------
    SiteInput
        Sequence ``(pad + R + pad,)``, the site's index and the genome mapping.
    """
    check_choice(kind, "kind", ("acceptor", "donor"))
    check_choice(strand, "strand", ("+", "-"))
    position = check_int(position, "position")
    max_distance, pad = check_int(max_distance, "max_distance", 0), check_int(pad, "pad", 0)
    fa, owned = _open_fasta(example_fasta_path() if fasta is None else fasta)
    try:
        if chrom not in fa.keys():
            raise ValueError(f"chromosome {chrom!r} is not in the FASTA")
        length = len(fa[chrom])
        if position > length:
            raise ValueError(f"position {position} lies beyond {chrom!r} ({length} bases)")
        low, high = max(position - max_distance, 1), min(position + max_distance, length)
        text = read_region(fa, (chrom, low, high), strand=strand).upper()
    finally:
        if owned:
            fa.close()
    region = OrientedSequence(text, chrom, low, high, strand)
    sequence = "N" * pad + text + "N" * pad
    return SiteInput(sequence, int(region.index(position)) + pad, kind, region, pad, max_distance)
