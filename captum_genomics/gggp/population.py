"""Populations as padded arrays, applying them to the reference, phenotype strings.

A population of ``n`` individuals with at most ``U`` units each and new-bases width ``S`` is five
arrays: ``kind (n, U)`` (index into :attr:`Grammar.kinds`, -1 for an empty slot), ``pos (n, U)``,
``ref_len (n, U)``, ``alt_len (n, U)`` and ``alt (n, U, S)``.  After repair the units of each row
are packed to the left, sorted by position and do not overlap; empty slots are all zero with
kind -1.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .grammar import ALPHABET, CODE_N, Grammar, SearchSpace, decode_sequence, encode_sequence


@dataclass
class Population:
    """Individuals as padded unit arrays.

    Attributes
    ----------
    kind : numpy.ndarray
        ``(n, U)`` int8 kind codes, -1 for empty slots.
    pos : numpy.ndarray
        ``(n, U)`` int64 reference positions.
    ref_len : numpy.ndarray
        ``(n, U)`` int32 reference bases replaced.
    alt_len : numpy.ndarray
        ``(n, U)`` int32 new bases written.
    alt : numpy.ndarray
        ``(n, U, S)`` uint8 new bases, zero beyond ``alt_len``.
    """

    kind: np.ndarray
    pos: np.ndarray
    ref_len: np.ndarray
    alt_len: np.ndarray
    alt: np.ndarray

    @classmethod
    def empty(cls, n: int, max_units: int, alt_width: int) -> Population:
        """``n`` individuals without units, shaped ``(n, max_units)`` / ``(..., alt_width)``."""
        return cls(
            np.full((n, max_units), -1, np.int8),
            np.zeros((n, max_units), np.int64),
            np.zeros((n, max_units), np.int32),
            np.zeros((n, max_units), np.int32),
            np.zeros((n, max_units, alt_width), np.uint8),
        )

    @classmethod
    def concatenate(cls, populations: Sequence[Population]) -> Population:
        """Stack populations of equal ``U`` and ``S`` along individuals."""
        return cls(
            *(
                np.concatenate([getattr(p, name) for p in populations])
                for name in ("kind", "pos", "ref_len", "alt_len", "alt")
            )
        )

    def __len__(self) -> int:
        return int(self.kind.shape[0])

    @property
    def max_units(self) -> int:
        """``U``, slots per individual."""
        return int(self.kind.shape[1])

    @property
    def valid(self) -> np.ndarray:
        """``(n, U)`` bool, True for occupied slots."""
        return self.kind >= 0

    @property
    def n_units(self) -> np.ndarray:
        """``(n,)`` units per individual."""
        return self.valid.sum(axis=1)

    def take(self, index) -> Population:
        """Individuals selected by an integer index array or boolean mask, copied."""
        index = np.asarray(index)
        return Population(
            *(getattr(self, n)[index] for n in ("kind", "pos", "ref_len", "alt_len", "alt"))
        )

    def copy(self) -> Population:
        """A deep copy."""
        return Population(
            *(getattr(self, n).copy() for n in ("kind", "pos", "ref_len", "alt_len", "alt"))
        )

    def equals(self, other: Population) -> bool:
        """Whether both hold exactly the same arrays."""
        return all(
            np.array_equal(getattr(self, n), getattr(other, n))
            for n in ("kind", "pos", "ref_len", "alt_len", "alt")
        )


@dataclass
class EditBatch:
    """Edited sequences of a population, as handed to a scorer.

    Attributes
    ----------
    reference : numpy.ndarray
        ``(L,)`` uint8 reference codes.
    population : Population
        The ``n`` individuals applied.
    sequences : numpy.ndarray
        ``(n, W)`` uint8 edited sequences, padded with N (code 4).  ``W`` is the fixed model length
        when one was asked for, else the longest edited length.
    lengths : numpy.ndarray
        ``(n,)`` int64 edited lengths before padding or trimming.
    tracked : numpy.ndarray
        ``(n, T)`` int64 new coordinates of the tracked reference positions in ``sequences``;
        -1 where the base was deleted or rewritten by a length-changing unit, or trimmed away.
    fixed_length : int or None
        The fixed model length asked for, or ``None`` when rows keep their own lengths.
    """

    reference: np.ndarray
    population: Population
    sequences: np.ndarray
    lengths: np.ndarray
    tracked: np.ndarray
    fixed_length: int | None = None

    def __len__(self) -> int:
        return int(self.sequences.shape[0])

    def rows(self) -> list[np.ndarray]:
        """``(n,)`` model inputs as code arrays: whole rows at a fixed length, else unpadded."""
        if self.fixed_length is not None:
            return list(self.sequences)
        return [row[:n] for row, n in zip(self.sequences, self.lengths)]

    def strings(self) -> list[str]:
        """``(n,)`` model inputs as text (see :meth:`rows`)."""
        return [decode_sequence(row) for row in self.rows()]


def check_canonical(population: Population, length: int) -> None:
    """Raise unless every row is packed, sorted, non-overlapping and inside ``[0, length)``."""
    valid = population.valid
    packed = (valid[:, :-1] | ~valid[:, 1:]).all()
    end = population.pos + np.maximum(population.ref_len, 1)
    ordered = ~(valid[:, 1:] & (population.pos[:, 1:] < end[:, :-1])).any()
    inside = ~(valid & ((population.pos < 0) | (end > length))).any()
    if not (packed and ordered and inside):
        raise ValueError(
            "population is not canonical (units must be packed left, sorted by position, "
            "non-overlapping and inside the reference); run operators.repair first"
        )


def apply_population(
    reference: np.ndarray | SearchSpace,
    population: Population,
    tracked: Sequence[int] | np.ndarray = (),
    length: int | None = None,
    trim: str = "right",
) -> EditBatch:
    """Apply every individual to the reference, left to right with a running offset.

    Parameters
    ----------
    reference : numpy.ndarray or SearchSpace
        ``(L,)`` reference codes (or a space holding them).
    population : Population
        ``n`` canonical individuals (see :func:`check_canonical`); empty rows give the reference.
    tracked : sequence of int
        ``(T,)`` reference positions (e.g. splice sites) to follow through the edits.
    length : int or None
        Fixed output length ``W`` for fixed-length models: shorter sequences are padded with N and
        longer ones trimmed, at the end named by ``trim``.  ``None`` keeps every edited base
        (``W`` = longest edited length).
    trim : {"right", "left"}
        Where padding or trimming happens when ``length`` is given; ``"left"`` right-aligns
        sequences (tracked coordinates move by the shift).  Without ``length`` rows are
        left-aligned and padded on the right.

    Returns
    -------
    EditBatch
        Sequences ``(n, W)``, lengths ``(n,)`` and tracked coordinates ``(n, T)``.
    """
    ref = reference.reference if isinstance(reference, SearchSpace) else encode_sequence(reference)
    if trim not in ("right", "left"):
        raise ValueError(f"trim must be 'right' or 'left', got {trim!r}")
    if length is not None and int(length) < 1:
        raise ValueError(f"length must be a positive integer or None, got {length}")
    big_l = ref.size
    check_canonical(population, big_l)
    n, u = population.kind.shape
    s = population.alt.shape[2]
    valid = population.valid
    # empty slots become zero-length units at L so the piece arithmetic needs no masks
    pos = np.where(valid, population.pos, big_l)
    ref_len = np.where(valid, population.ref_len, 0).astype(np.int64)
    alt_len = np.where(valid, population.alt_len, 0).astype(np.int64)
    seg_start = np.concatenate([np.zeros((n, 1), np.int64), pos + ref_len], axis=1)
    seg_end = np.concatenate([pos, np.full((n, 1), big_l, np.int64)], axis=1)
    alt_start = big_l + (np.arange(n * u, dtype=np.int64) * s).reshape(n, u)
    piece_len = np.zeros((n, 2 * u + 1), np.int64)
    piece_src = np.zeros((n, 2 * u + 1), np.int64)
    piece_len[:, 0::2] = seg_end - seg_start
    piece_src[:, 0::2] = seg_start
    piece_len[:, 1::2] = alt_len
    piece_src[:, 1::2] = alt_start
    flat_len = piece_len.ravel()
    out_offset = np.cumsum(flat_len) - flat_len
    total = int(flat_len.sum())
    index = np.repeat(piece_src.ravel() - out_offset, flat_len) + np.arange(total)
    flat = np.concatenate([ref, population.alt.reshape(-1)])[index]
    lengths = piece_len.sum(axis=1)

    width = int(lengths.max(initial=0)) if length is None else int(length)
    full = max(width, int(lengths.max(initial=0)))
    cols = np.arange(full)[None, :]
    out = np.full((n, full), CODE_N, np.uint8)
    if trim == "right" or length is None:
        out[cols < lengths[:, None]] = flat
        out = out[:, :width]
        shift = np.zeros(n, np.int64)
    else:
        out[cols >= (full - lengths)[:, None]] = flat
        out = out[:, full - width :]
        shift = width - lengths

    t = np.asarray(tracked, dtype=np.int64).reshape(-1)
    if t.size and ((t < 0) | (t >= big_l)).any():
        raise ValueError(f"tracked positions must lie in [0, {big_l}), got {t.tolist()}")
    p, r, a = pos[:, :, None], ref_len[:, :, None], alt_len[:, :, None]
    tt = t[None, None, :]
    before = valid[:, :, None] & np.where(r > 0, p + r <= tt, p <= tt)
    inside = valid[:, :, None] & (p <= tt) & (tt < p + r) & (a != r)
    new_t = tt[0] + (before * (a - r)).sum(axis=1) + shift[:, None]
    lost = inside.any(axis=1) | (new_t < 0) | (new_t >= width)
    new_t = np.where(lost, -1, new_t)
    return EditBatch(ref, population, out, lengths, new_t, None if length is None else width)


_UNIT = re.compile(r"^([A-Za-z_]\w*)\[([^\[\]]*)\]$")


def format_phenotypes(population: Population, grammar: Grammar) -> list[str]:
    """Readable phenotype per individual, e.g. ``SNV[12,A]|Deletion[20,23]|Insertion[40,GT]``.

    Parameters
    ----------
    population : Population
        ``n`` individuals.
    grammar : Grammar
        Gives kind names and formats.

    Returns
    -------
    list of str
        ``(n,)`` strings, units in slot order joined by ``|``; ``""`` for an empty individual.
    """
    kinds = grammar.kinds
    letters = np.frombuffer(ALPHABET.encode(), np.uint8)[population.alt].view("S1")
    out = []
    for i in range(len(population)):
        units = []
        for j in np.flatnonzero(population.kind[i] >= 0):
            alt = letters[i, j, : population.alt_len[i, j]].tobytes().decode()
            kind = kinds[population.kind[i, j]]
            args = kind.format_args(int(population.pos[i, j]), int(population.ref_len[i, j]), alt)
            units.append(f"{kind.name}[{args}]")
        out.append("|".join(units))
    return out


def parse_phenotypes(phenotypes: Sequence[str], grammar: Grammar) -> Population:
    """Inverse of :func:`format_phenotypes`.

    Parameters
    ----------
    phenotypes : sequence of str
        ``(n,)`` phenotype strings.
    grammar : Grammar
        Kinds by name; ``U = grammar.max_units`` and ``S = grammar.alt_width`` size the arrays.

    Returns
    -------
    Population
        Units in string order (not repaired).
    """
    by_name = {k.name: (code, k) for code, k in enumerate(grammar.kinds)}
    u, s = grammar.max_units, grammar.alt_width
    pop = Population.empty(len(phenotypes), u, s)
    for i, text in enumerate(phenotypes):
        parts = [p for p in text.strip().split("|")] if text.strip() else []
        if len(parts) > u:
            raise ValueError(
                f"phenotype {i} has {len(parts)} units, more than max_units={u}: {text!r}"
            )
        for j, part in enumerate(parts):
            match = _UNIT.match(part.strip())
            if match is None or match.group(1) not in by_name:
                raise ValueError(
                    f"cannot parse unit {part!r} of phenotype {i}; expected Kind[args] with Kind "
                    f"one of {list(by_name)}"
                )
            code, kind = by_name[match.group(1)]
            try:
                p, ref_len, alt = kind.parse_args(match.group(2))
            except ValueError as err:
                raise ValueError(f"bad arguments in unit {part!r} of phenotype {i}: {err}") from err
            if len(alt) > s or ref_len < 0:
                raise ValueError(
                    f"unit {part!r} of phenotype {i} writes {len(alt)} bases (at most {s}) "
                    f"over {ref_len} reference bases; it does not fit this grammar"
                )
            pop.kind[i, j] = code
            pop.pos[i, j] = p
            pop.ref_len[i, j] = ref_len
            pop.alt_len[i, j] = len(alt)
            pop.alt[i, j, : len(alt)] = encode_sequence(alt) if alt else []
    return pop
