"""The reference method's exon-triplet input: a cassette exon with its neighbours, N-padded.

:func:`build_exon_input` builds the input of the reference method from a transcript: the
cassette exon with its upstream and downstream exons and the introns between, trimmed to
``max_distance`` nt of the cassette exon and padded with N on both sides.  Its splice sites are
input positions (:mod:`captum_genomics.splicing.sites`): indices into the padded sequence, the
positions that heads, scorers and the GGGP grammar all take.

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

from captum_genomics.dna.codec import one_hot
from captum_genomics.dna.fasta import read_region
from captum_genomics.example_data import TUBB8, OrientedSequence, Transcript, example_fasta_path
from captum_genomics.gggp.grammar import Grammar

__all__ = ["ExonInput", "build_exon_input"]

_TUBB8_CASSETTE = (94744, 94852)


@dataclass(frozen=True)
class ExonInput:
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

    def index(self, position):
        """Indices in :attr:`sequence` of 1-based genome positions (inside the region)."""
        return self.region.index(position) + self.pad

    def position(self, index):
        """1-based genome positions of indices in :attr:`sequence` (outside the padding)."""
        return self.region.position(np.asarray(index) - self.pad)

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

    def one_hot(self) -> torch.Tensor:
        """``(1, 4, L)`` float32 one-hot of :attr:`sequence` (N all zero, as SpliceAI reads)."""
        return one_hot([self.sequence])


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
