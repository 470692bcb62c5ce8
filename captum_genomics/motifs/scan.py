"""Motif occurrences in DNA sequences, found by FIMO (``memelite.fimo``).

Scores are FIMO's log-odds against a uniform background, ``sum_j log2(pwm[b_j, j] + 1e-4) + 2``
per window, with p-values from the exact score distribution of each motif.  A window that holds
an N (or runs into the N padding of a shorter sequence) is never reported.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .._atomic import write_table
from ..dna.alphabet import CODE_N, check_codes, codes_to_one_hot, text_to_codes_strict
from .io import Motif

__all__ = ["DEFAULT_THRESHOLD", "STRANDS", "MotifTable", "Occurrences", "as_code_rows",
           "scan_motifs"]

#: Default p-value threshold.  FIMO's own 1e-4 is out of reach for short RNA-binding motifs:
#: an exact match to a six-base consensus has p = 4**-6 = 2.4e-4.
DEFAULT_THRESHOLD = 1e-3

#: Accepted ``strands`` values: ``"+"`` scans the given strand only (RNA-binding motifs act on
#: the transcript), ``"both"`` adds the reverse complement (transcription-factor motifs).
STRANDS = ("+", "both")

_BATCH_POSITIONS = 1 << 22  # one-hot positions per memelite call, bounding memory


@dataclass
class MotifTable:
    """A small result table: named columns and one tuple per row.

    Attributes
    ----------
    columns : tuple of str
        ``(C,)`` column names.
    rows : list of tuple
        ``(R,)`` rows of ``C`` values.
    """

    columns: tuple[str, ...]
    rows: list[tuple]

    def __len__(self) -> int:
        return len(self.rows)

    def column(self, name: str) -> np.ndarray:
        """``(R,)`` values of column ``name``."""
        index = self.columns.index(name)
        return np.array([row[index] for row in self.rows])

    def to_tsv(self, path: str | os.PathLike[str]) -> None:
        """Write the table as TSV, atomically (floats at full precision)."""
        write_table(path, self.rows, self.columns)


@dataclass
class Occurrences:
    """Motif occurrences as aligned arrays, sorted by sequence, motif, start and strand.

    Attributes
    ----------
    sequence : numpy.ndarray
        ``(K,)`` int64 index of the sequence scanned.
    motif : numpy.ndarray
        ``(K,)`` int64 index into ``motif_names``.
    start, end : numpy.ndarray
        ``(K,)`` int64 half-open window ``[start, end)`` in the sequence's coordinates (both
        strands: forward coordinates).
    strand : numpy.ndarray
        ``(K,)`` ``"+"`` or ``"-"``.
    score : numpy.ndarray
        ``(K,)`` float64 FIMO log-odds score (bits).
    p_value : numpy.ndarray
        ``(K,)`` float64.
    motif_names : tuple of str
        ``(M,)`` names of the motifs scanned.
    n_sequences : int
        Number of sequences scanned.
    """

    sequence: np.ndarray
    motif: np.ndarray
    start: np.ndarray
    end: np.ndarray
    strand: np.ndarray
    score: np.ndarray
    p_value: np.ndarray
    motif_names: tuple[str, ...]
    n_sequences: int

    _FIELDS = ("sequence", "motif", "start", "end", "strand", "score", "p_value")

    def __len__(self) -> int:
        return int(self.sequence.size)

    def take(self, index) -> Occurrences:
        """The occurrences selected by a ``(K,)`` bool mask or an index array."""
        return Occurrences(*(getattr(self, f)[index] for f in self._FIELDS),
                           self.motif_names, self.n_sequences)

    def for_sequence(self, i: int) -> Occurrences:
        """The occurrences in sequence ``i``."""
        return self.take(self.sequence == i)

    def counts(self) -> np.ndarray:
        """``(n_sequences, M)`` int64 occurrences per sequence and motif."""
        out = np.zeros((self.n_sequences, len(self.motif_names)), np.int64)
        np.add.at(out, (self.sequence, self.motif), 1)
        return out

    def to_table(self) -> MotifTable:
        """One row per occurrence: sequence, motif name, start, end, strand, score, p_value."""
        names = self.motif_names
        rows = [
            (int(s), names[m], int(a), int(b), str(d), float(c), float(p))
            for s, m, a, b, d, c, p in zip(self.sequence, self.motif, self.start, self.end,
                                           self.strand, self.score, self.p_value)
        ]
        return MotifTable(("sequence", "motif", "start", "end", "strand", "score", "p_value"), rows)

    @classmethod
    def empty(cls, motif_names: Sequence[str], n_sequences: int = 0) -> Occurrences:
        """No occurrences."""
        i = np.zeros(0, np.int64)
        f = np.zeros(0, np.float64)
        return cls(i, i.copy(), i.copy(), i.copy(), np.zeros(0, "<U1"), f, f.copy(),
                   tuple(motif_names), int(n_sequences))

    @classmethod
    def concatenate(cls, parts: Sequence[Occurrences], motif_names: Sequence[str],
                    n_sequences: int) -> Occurrences:
        """Join occurrence sets (already in global sequence indices) and sort them."""
        if not parts:
            return cls.empty(motif_names, n_sequences)
        joined = cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in cls._FIELDS),
                     tuple(motif_names), int(n_sequences))
        order = np.lexsort((joined.strand, joined.start, joined.motif, joined.sequence))
        return joined.take(order)


def as_code_rows(sequences) -> list[np.ndarray]:
    """Sequences as a list of ``(L_i,)`` uint8 code arrays.

    Parameters
    ----------
    sequences : str, sequence of str, numpy.ndarray or sequence of arrays
        DNA text (``ACGTN``, any case), one ``(L,)`` or ``(n, L)`` integer code array
        (A=0, C=1, G=2, T=3, N=4), or a list of either.
    """
    if isinstance(sequences, str):
        return [text_to_codes_strict(sequences)]
    if isinstance(sequences, np.ndarray):
        codes = check_codes(sequences, "sequences").astype(np.uint8)
        if codes.ndim == 1:
            return [codes]
        if codes.ndim == 2:
            return list(codes)
        raise ValueError(f"code arrays must be (L,) or (n, L), got shape {codes.shape}")
    out = []
    for i, item in enumerate(sequences):
        if isinstance(item, str):
            out.append(text_to_codes_strict(item, f"sequence {i}"))
        else:
            codes = check_codes(np.asarray(item), f"sequence {i}").astype(np.uint8)
            if codes.ndim != 1:
                raise ValueError(f"sequence {i} must be 1-D codes, got shape {codes.shape}")
            out.append(codes)
    return out


def _check_motifs(motifs) -> list[Motif]:
    motifs = [motifs] if isinstance(motifs, Motif) else list(motifs)
    if not motifs or not all(isinstance(m, Motif) for m in motifs):
        raise ValueError("motifs must be a Motif or a non-empty sequence of Motif objects")
    names = [m.name for m in motifs]
    if len(set(names)) != len(names):
        raise ValueError(f"motif names must be unique, got {names}")
    return motifs


def _scan_batch(rows: list[np.ndarray], first: int, motifs: list[Motif], threshold: float,
                both: bool) -> list[Occurrences]:
    from memelite import fimo

    width = max(max(r.size for r in rows), max(m.width for m in motifs))
    codes = np.full((len(rows), width), CODE_N, np.uint8)
    for i, r in enumerate(rows):
        codes[i, : r.size] = r
    one_hot = codes_to_one_hot(codes, dtype=np.int8)
    hits = fimo({m.name: np.asarray(m.pwm) for m in motifs}, one_hot, threshold=threshold,
                reverse_complement=both)
    # n_before[i, j]: Ns among codes[i, :j], so a window [a, b) holds one iff they differ
    n_before = np.zeros((len(rows), width + 1), np.int64)
    np.cumsum(codes == CODE_N, axis=1, out=n_before[:, 1:])
    names = [m.name for m in motifs]
    out = []
    for index, table in enumerate(hits):
        if len(table) == 0:
            continue
        seq = table["sequence_name"].to_numpy(np.int64)
        start = table["start"].to_numpy(np.int64)
        end = table["end"].to_numpy(np.int64)
        keep = n_before[seq, end] == n_before[seq, start]
        out.append(Occurrences(
            seq[keep] + first, np.full(int(keep.sum()), index, np.int64), start[keep], end[keep],
            table["strand"].to_numpy(str)[keep].astype("<U1"),
            table["score"].to_numpy(np.float64)[keep], table["p-value"].to_numpy(np.float64)[keep],
            tuple(names), 0,
        ))
    return out


def scan_motifs(sequences, motifs, threshold: float = DEFAULT_THRESHOLD,
                strands: str = "+") -> Occurrences:
    """Find the occurrences of motifs in sequences with FIMO (``memelite.fimo``).

    Parameters
    ----------
    sequences : str, sequence of str, numpy.ndarray or sequence of arrays
        ``n`` sequences, as text or uint8 codes (see :func:`as_code_rows`); lengths may differ.
    motifs : Motif or sequence of Motif
        ``M`` motifs with unique names.
    threshold : float, default :data:`DEFAULT_THRESHOLD`
        Report windows whose p-value is below this, in ``(0, 1]``.
    strands : {"+", "both"}, default "+"
        See :data:`STRANDS`.

    Returns
    -------
    Occurrences
        Windows without N whose p-value is below ``threshold``.
    """
    if strands not in STRANDS:
        raise ValueError(f"strands must be one of {STRANDS}, got {strands!r}")
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must lie in (0, 1], got {threshold}")
    motifs = _check_motifs(motifs)
    rows = as_code_rows(sequences)
    names = [m.name for m in motifs]
    parts: list[Occurrences] = []
    first = 0
    while first < len(rows):
        last, longest = first, 0
        while last < len(rows):
            longest = max(longest, rows[last].size)
            if last > first and longest * (last - first + 1) > _BATCH_POSITIONS:
                break
            last += 1
        parts += _scan_batch(rows[first:last], first, motifs, threshold, strands == "both")
        first = last
    return Occurrences.concatenate(parts, names, len(rows))
