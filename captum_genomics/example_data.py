"""Embedded example data: the first 110 kb of GRCh37 chr10 and the TUBB8 annotation.

The FASTA (with its ``.fai`` index) ships inside the package, so tutorials and tests run
offline. See ``captum_genomics/data/README.md`` for the source.

Examples
--------
>>> from captum_genomics.example_data import TUBB8, tubb8_sequence
>>> region = tubb8_sequence(flank=5000)           # transcript orientation (minus strand)
>>> region.index(TUBB8.acceptors)                 # indices of the acceptors in region.sequence
array([5677, 5864, 6475])
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from .dna.fasta import _open_fasta, read_region

__all__ = [
    "EXAMPLE_FASTA_NAME",
    "TUBB8",
    "OrientedSequence",
    "Transcript",
    "example_fasta_path",
    "tubb8_sequence",
]

EXAMPLE_FASTA_NAME = "grch37_chr10_1-110000.fa"
_EXTRACTED: list[str] = []


def example_fasta_path() -> Path:
    """Path of the shipped FASTA: GRCh37 chr10 bases 1-110,000, one record named ``chr10``.

    Returns
    -------
    pathlib.Path
        The FASTA file; its ``.fai`` index lies beside it. When the package is imported from
        a zip archive, both files are extracted once per process to a temporary directory.

    Raises
    ------
    FileNotFoundError
        If the package data is missing (a broken installation).
    """
    resource = resources.files("captum_genomics") / "data" / EXAMPLE_FASTA_NAME
    if isinstance(resource, Path):
        if not resource.is_file():
            raise FileNotFoundError(
                f"example FASTA missing at {resource}; reinstall captum-genomics"
            )
        return resource
    if not _EXTRACTED:
        target = tempfile.mkdtemp(prefix="captum_genomics_data_")
        atexit.register(shutil.rmtree, target, True)
        for name in (EXAMPLE_FASTA_NAME, EXAMPLE_FASTA_NAME + ".fai"):
            data = (resources.files("captum_genomics") / "data" / name).read_bytes()
            with open(os.path.join(target, name), "wb") as handle:
                handle.write(data)
        _EXTRACTED.append(target)
    return Path(_EXTRACTED[0]) / EXAMPLE_FASTA_NAME


@dataclass(frozen=True)
class OrientedSequence:
    """A genome interval read in a given orientation, with its coordinate mapping.

    For strand ``"+"`` index ``i`` of :attr:`sequence` is genome position ``start + i``;
    for strand ``"-"`` (reverse complement) it is ``end - i``. Positions are 1-based.

    Attributes
    ----------
    sequence : str
        The ``end - start + 1`` bases in the given orientation (case as stored).
    chrom : str
        Chromosome name.
    start, end : int
        1-based inclusive genome interval, ``start <= end``.
    strand : {"+", "-"}
        Orientation of :attr:`sequence`.
    """

    sequence: str
    chrom: str
    start: int
    end: int
    strand: str

    def __post_init__(self):
        if self.strand not in ("+", "-"):
            raise ValueError(f"strand must be '+' or '-', got {self.strand!r}")
        if len(self.sequence) != self.end - self.start + 1:
            raise ValueError(
                f"sequence has length {len(self.sequence)} but {self.chrom}:{self.start}-"
                f"{self.end} spans {self.end - self.start + 1} bases"
            )

    def __len__(self) -> int:
        return len(self.sequence)

    def position(self, index):
        """Genome position (1-based) of sequence indices.

        Parameters
        ----------
        index : int or array_like of int, any shape
            0-based indices into :attr:`sequence`.

        Returns
        -------
        int or numpy.ndarray of int64, same shape as ``index``

        Raises
        ------
        ValueError
            If an index is outside ``[0, len(self))``.
        """
        idx = np.asarray(index, dtype=np.int64)
        if ((idx < 0) | (idx >= len(self))).any():
            raise ValueError(f"index out of range [0, {len(self)}): {index!r}")
        pos = self.start + idx if self.strand == "+" else self.end - idx
        return int(pos) if pos.ndim == 0 else pos

    def index(self, position):
        """Sequence index (0-based) of genome positions.

        Parameters
        ----------
        position : int or array_like of int, any shape
            1-based genome positions on :attr:`chrom`.

        Returns
        -------
        int or numpy.ndarray of int64, same shape as ``position``

        Raises
        ------
        ValueError
            If a position lies outside ``[start, end]``.
        """
        pos = np.asarray(position, dtype=np.int64)
        if ((pos < self.start) | (pos > self.end)).any():
            raise ValueError(f"position outside {self.chrom}:{self.start}-{self.end}: {position!r}")
        idx = pos - self.start if self.strand == "+" else self.end - pos
        return int(idx) if idx.ndim == 0 else idx


@dataclass(frozen=True)
class Transcript:
    """A spliced transcript annotation in genome coordinates.

    Attributes
    ----------
    name : str
        Gene or transcript name.
    chrom : str
        Chromosome name as in the FASTA.
    strand : {"+", "-"}
        Strand of the transcript.
    exons : tuple of (int, int)
        Exons as 1-based inclusive ``(start, end)`` pairs in ascending genome order (as in
        GFF/BED files), non-overlapping.
    source : str
        Where the annotation comes from.

    Notes
    -----
    Splice-site labels follow SpliceAI: an acceptor sits on the first exon base and a donor
    on the last exon base, both read in transcript orientation. On the minus strand the
    transcript reads from the highest coordinate down, so an exon's acceptor is its ``end``
    and its donor its ``start``.
    """

    name: str
    chrom: str
    strand: str
    exons: tuple[tuple[int, int], ...]
    source: str = ""

    def __post_init__(self):
        if self.strand not in ("+", "-"):
            raise ValueError(f"strand must be '+' or '-', got {self.strand!r}")
        if not self.exons:
            raise ValueError("a transcript needs at least one exon")
        for (s0, e0), (s1, _) in zip(self.exons, self.exons[1:]):
            if s1 <= e0:
                raise ValueError(
                    f"exons must be ascending and non-overlapping, got {(s0, e0)} then {s1}"
                )
        for start, end in self.exons:
            if not 1 <= start <= end:
                raise ValueError(f"exon {(start, end)} needs 1 <= start <= end")

    @property
    def start(self) -> int:
        """Lowest genome coordinate of the transcript (1-based)."""
        return self.exons[0][0]

    @property
    def end(self) -> int:
        """Highest genome coordinate of the transcript (1-based, inclusive)."""
        return self.exons[-1][1]

    @property
    def exons_transcript_order(self) -> tuple[tuple[int, int], ...]:
        """Exons from the transcript's 5' end to its 3' end, each still ``(start, end)``."""
        return self.exons if self.strand == "+" else self.exons[::-1]

    @property
    def acceptors(self) -> tuple[int, ...]:
        """Acceptor positions (first base of every exon but the first), transcript order."""
        side = 0 if self.strand == "+" else 1
        return tuple(exon[side] for exon in self.exons_transcript_order[1:])

    @property
    def donors(self) -> tuple[int, ...]:
        """Donor positions (last base of every exon but the last), transcript order."""
        side = 1 if self.strand == "+" else 0
        return tuple(exon[side] for exon in self.exons_transcript_order[:-1])

    def oriented_sequence(self, fasta, flank=0) -> OrientedSequence:
        """Read the transcript's genomic span plus flanks, in transcript orientation.

        Parameters
        ----------
        fasta : str, os.PathLike or pyfaidx.Fasta
            Reference holding :attr:`chrom`.
        flank : int or (int, int), default 0
            Bases added on both sides, or ``(upstream, downstream)`` in transcript
            orientation (upstream = 5' side).

        Returns
        -------
        OrientedSequence
            Reverse-complemented for a minus-strand transcript.

        Raises
        ------
        ValueError
            If a flank is negative or the flanked span leaves the chromosome (the largest
            possible flanks are given).
        """
        if isinstance(flank, (tuple, list)) and len(flank) == 2:
            upstream, downstream = (int(f) for f in flank)
        elif isinstance(flank, (int, np.integer)):
            upstream = downstream = int(flank)
        else:
            raise TypeError(f"flank must be an int or a pair (upstream, downstream), got {flank!r}")
        if upstream < 0 or downstream < 0:
            raise ValueError(f"flanks must be >= 0, got {flank!r}")
        low, high = (upstream, downstream) if self.strand == "+" else (downstream, upstream)
        start, end = self.start - low, self.end + high
        fa, owned = _open_fasta(fasta)
        try:
            length = len(fa[self.chrom]) if self.chrom in fa.keys() else None
            if length is not None and (start < 1 or end > length):
                five, three = (self.start - 1, length - self.end)
                if self.strand == "-":
                    five, three = three, five
                raise ValueError(
                    f"flank {flank!r} leaves {self.chrom} (length {length}): {self.name} "
                    f"allows at most {five} bases upstream and {three} downstream"
                )
            seq = read_region(fa, (self.chrom, start, end), strand=self.strand)
        finally:
            if owned:
                fa.close()
        return OrientedSequence(seq, self.chrom, start, end, self.strand)


TUBB8 = Transcript(
    name="TUBB8",
    chrom="chr10",
    strand="-",
    exons=((92893, 94054), (94555, 94665), (94744, 94852), (95122, 95529)),
    source="GENCODE V24lift37 canonical transcript (GRCh37)",
)
"""TUBB8 on the shipped FASTA: minus strand, exons 1-based inclusive in genome order.

Transcript order is 95122-95529, 94744-94852, 94555-94665, 92893-94054;
``TUBB8.acceptors == (94852, 94665, 94054)``, ``TUBB8.donors == (95122, 94744, 94555)``.
"""


def tubb8_sequence(flank=0) -> OrientedSequence:
    """TUBB8 (chr10:92893-95529, minus strand) with flanks, from the shipped FASTA.

    Parameters
    ----------
    flank : int or (int, int), default 0
        Bases added on both sides, or ``(upstream, downstream)`` in transcript orientation.
        Upstream (5', higher coordinates) allows at most 14,471 bases, downstream at most
        92,892 (bases 1-60,000 are N). SpliceAI needs 5,000 on each side.

    Returns
    -------
    OrientedSequence
        Reverse-complemented sequence: index ``i`` is chr10 position ``end - i`` where
        ``end = 95529 + upstream``; soft-masked bases stay lowercase.
    """
    return TUBB8.oriented_sequence(example_fasta_path(), flank=flank)
