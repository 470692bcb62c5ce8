"""The perturbation grammar: unit kinds as data, constraints, and the space they span.

Sequences inside the engine are ``uint8`` code arrays: A=0, C=1, G=2, T=3, N=4.

A *unit* (DiffUnit) replaces the reference span ``[pos, pos + ref_len)`` by ``alt_len`` new bases.
The three built-in kinds are :class:`SNV` (1 -> 1 base), :class:`Deletion` (``size`` -> 0) and
:class:`Insertion` (0 -> ``size`` bases, placed before reference base ``pos``).  A new kind is a
subclass of :class:`UnitKind` passed in :attr:`Grammar.kinds`; the engine never names a kind.
"""

from __future__ import annotations

import abc
import dataclasses
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from captum_genomics.dna.alphabet import (
    CODE_N,
    LETTERS,
    check_codes,
    codes_to_text,
    text_to_codes_strict,
)

#: The letters of engine codes, in code order (A=0, C=1, G=2, T=3, N=4).
ALPHABET = LETTERS


def encode_sequence(sequence: str | np.ndarray) -> np.ndarray:
    """Turn DNA text into engine codes.

    Parameters
    ----------
    sequence : str or numpy.ndarray
        ``(L,)`` text over A, C, G, T, N (any case), or an existing code array (returned as a
        ``uint8`` copy after validation).

    Returns
    -------
    numpy.ndarray
        ``(L,)`` ``uint8`` codes, A=0, C=1, G=2, T=3, N=4.

    Raises
    ------
    ValueError
        If the text holds other letters, or the codes are not a 1-d integer array in 0..4.
    """
    if isinstance(sequence, str):
        return text_to_codes_strict(sequence, "sequence")
    codes = np.asarray(sequence)
    if codes.ndim != 1 or not np.issubdtype(codes.dtype, np.integer):
        raise ValueError(
            f"sequence codes must be a 1-d integer array, got shape {codes.shape} "
            f"and dtype {codes.dtype}; pass text or uint8 codes A=0,C=1,G=2,T=3,N=4"
        )
    return check_codes(codes, "sequence codes").astype(np.uint8)


def decode_sequence(codes: np.ndarray) -> str:
    """Turn engine codes back into text.

    Parameters
    ----------
    codes : numpy.ndarray
        ``(L,)`` codes in 0..4.

    Returns
    -------
    str
        The sequence over A, C, G, T, N.

    Raises
    ------
    ValueError
        If a code lies outside 0..4.
    """
    return codes_to_text(codes)


@dataclass(frozen=True)
class UnitDraw:
    """Attributes drawn for ``m`` units of one kind.

    Attributes
    ----------
    ref_len : numpy.ndarray
        ``(m,)`` reference bases replaced.
    alt_len : numpy.ndarray
        ``(m,)`` new bases written.
    alt : numpy.ndarray
        ``(m, S)`` ``uint8`` new bases, zero beyond ``alt_len``; ``S`` is
        :attr:`SearchSpace.alt_width`.
    """

    ref_len: np.ndarray
    alt_len: np.ndarray
    alt: np.ndarray


class UnitKind(abc.ABC):
    """A kind of DiffUnit: how to draw it, how to print and parse it.

    Subclasses are frozen dataclasses with at least ``name`` and ``weight`` fields.  All methods
    work on many units at once.
    """

    name: str
    weight: float

    @abc.abstractmethod
    def max_alt_length(self, grammar: Grammar) -> int:
        """Most new bases one unit of this kind writes (sizes the ``alt`` arrays)."""

    @abc.abstractmethod
    def max_ref_length(self, grammar: Grammar) -> int:
        """Most reference bases one unit of this kind replaces."""

    @abc.abstractmethod
    def draw(self, space: SearchSpace, positions: np.ndarray, rng: np.random.Generator) -> UnitDraw:
        """Draw ``m`` units of this kind at the given reference positions.

        Parameters
        ----------
        space : SearchSpace
            Reference and grammar.
        positions : numpy.ndarray
            ``(m,)`` int64 positions, each in ``[0, L)``.
        rng : numpy.random.Generator
            Source of randomness.

        Returns
        -------
        UnitDraw
            ``(m,)`` lengths and ``(m, S)`` bases.  A unit that leaves the reference unchanged is
            drawn again by repair, so kinds whose draw can never be a no-op repair in one pass.
        """

    def positions(self, space: SearchSpace) -> np.ndarray | None:
        """Where units of this kind may start on ``space``: ``None`` (the default) for anywhere
        allowed, or the sorted admissible sites.

        A kind tied to sites (e.g. motif occurrences) returns them: fresh units start at a site
        drawn uniformly, and a locality move goes to the site nearest ``round(N(old, sigma))``
        other than the old one.  A kind with no admissible site is never drawn on this space
        (see :class:`SearchSpace`).

        Parameters
        ----------
        space : SearchSpace
            Reference and grammar (its forbidden mask is already set).

        Returns
        -------
        numpy.ndarray or None
            ``(M,)`` sorted unique int64 positions, or ``None``.
        """
        return None

    def format_args(self, pos: int, ref_len: int, alt: str) -> str:
        """Text between the brackets of a phenotype unit: ``start,end,ALT`` by default."""
        return f"{pos},{pos + ref_len},{alt}"

    def parse_args(self, args: str) -> tuple[int, int, str]:
        """Inverse of :meth:`format_args`: ``(pos, ref_len, alt)``."""
        start, end, alt = args.split(",")
        return int(start), int(end) - int(start), alt


def _draw_bases(rng: np.random.Generator, shape: tuple[int, ...], probs) -> np.ndarray:
    cdf = np.cumsum(np.asarray(probs, dtype=np.float64))
    cdf /= cdf[-1]
    return np.minimum(np.searchsorted(cdf, rng.random(shape), side="right"), 3).astype(np.uint8)


def _draw_sizes(rng: np.random.Generator, m: int, max_size: int) -> np.ndarray:
    return rng.integers(1, max_size + 1, size=m).astype(np.int32)


@dataclass(frozen=True)
class SNV(UnitKind):
    """Single-nucleotide variant ``SNV[pos,BASE]``: one base replaced by a different one.

    Attributes
    ----------
    name : str
        Label in phenotype strings.
    weight : float
        Relative frequency among the grammar's kinds.
    base_probs : tuple of 4 float or None
        Frequencies of A, C, G, T for the new base, renormalised without the reference base;
        ``None`` draws uniformly among the other three.
    """

    name: str = "SNV"
    weight: float = 1 / 3
    base_probs: tuple[float, float, float, float] | None = None

    def max_alt_length(self, grammar: Grammar) -> int:
        """One new base."""
        return 1

    def max_ref_length(self, grammar: Grammar) -> int:
        """One reference base."""
        return 1

    def draw(self, space: SearchSpace, positions: np.ndarray, rng: np.random.Generator) -> UnitDraw:
        """Draw a base different from the reference at each position."""
        m = positions.size
        ref = space.reference[positions].astype(np.int64)
        probs = np.tile(
            np.full(4, 0.25) if self.base_probs is None else np.asarray(self.base_probs, float),
            (m, 1),
        )
        is_base = ref < CODE_N
        probs[np.flatnonzero(is_base), ref[is_base]] = 0.0
        cdf = np.cumsum(probs, axis=1)
        cdf /= cdf[:, -1:]
        new = np.minimum((rng.random((m, 1)) >= cdf).sum(axis=1), 3)
        alt = np.zeros((m, space.alt_width), dtype=np.uint8)
        alt[:, 0] = new
        ones = np.ones(m, dtype=np.int32)
        return UnitDraw(ones, ones.copy(), alt)

    def format_args(self, pos: int, ref_len: int, alt: str) -> str:
        """``pos,BASE``."""
        return f"{pos},{alt}"

    def parse_args(self, args: str) -> tuple[int, int, str]:
        """Parse ``pos,BASE``."""
        pos, base = args.split(",")
        if len(base) != 1:
            raise ValueError(f"SNV needs exactly one base, got {base!r}")
        return int(pos), 1, base


@dataclass(frozen=True)
class Deletion(UnitKind):
    """Deletion ``Deletion[start,end]`` of the half-open reference span ``[start, end)``.

    Attributes
    ----------
    name : str
        Label in phenotype strings.
    weight : float
        Relative frequency among the grammar's kinds.
    max_size : int or None
        Longest deletion; ``None`` uses :attr:`Grammar.max_indel`.
    """

    name: str = "Deletion"
    weight: float = 1 / 3
    max_size: int | None = None

    def max_alt_length(self, grammar: Grammar) -> int:
        """No new bases."""
        return 0

    def max_ref_length(self, grammar: Grammar) -> int:
        """The longest deletion."""
        return self.max_size or grammar.max_indel

    def draw(self, space: SearchSpace, positions: np.ndarray, rng: np.random.Generator) -> UnitDraw:
        """Draw sizes uniformly in ``1..max_size``."""
        m = positions.size
        size = _draw_sizes(rng, m, self.max_ref_length(space.grammar))
        return UnitDraw(size, np.zeros(m, np.int32), np.zeros((m, space.alt_width), np.uint8))

    def format_args(self, pos: int, ref_len: int, alt: str) -> str:
        """``start,end`` (half-open)."""
        return f"{pos},{pos + ref_len}"

    def parse_args(self, args: str) -> tuple[int, int, str]:
        """Parse ``start,end``."""
        start, end = (int(v) for v in args.split(","))
        return start, end - start, ""


@dataclass(frozen=True)
class Insertion(UnitKind):
    """Insertion ``Insertion[pos,BASES]`` of new bases just before reference base ``pos``.

    Attributes
    ----------
    name : str
        Label in phenotype strings.
    weight : float
        Relative frequency among the grammar's kinds.
    max_size : int or None
        Longest insertion; ``None`` uses :attr:`Grammar.max_indel`.  Bases follow
        :attr:`Grammar.insert_probs`.
    """

    name: str = "Insertion"
    weight: float = 1 / 3
    max_size: int | None = None

    def max_alt_length(self, grammar: Grammar) -> int:
        """The longest insertion."""
        return self.max_size or grammar.max_indel

    def max_ref_length(self, grammar: Grammar) -> int:
        """No reference bases replaced."""
        return 0

    def draw(self, space: SearchSpace, positions: np.ndarray, rng: np.random.Generator) -> UnitDraw:
        """Draw sizes uniformly in ``1..max_size`` and bases from the insert frequencies."""
        m = positions.size
        size = _draw_sizes(rng, m, self.max_alt_length(space.grammar))
        alt = _draw_bases(rng, (m, space.alt_width), space.grammar.insert_probs)
        alt[np.arange(space.alt_width)[None, :] >= size[:, None]] = 0
        return UnitDraw(np.zeros(m, np.int32), size, alt)

    def format_args(self, pos: int, ref_len: int, alt: str) -> str:
        """``pos,BASES``."""
        return f"{pos},{alt}"

    def parse_args(self, args: str) -> tuple[int, int, str]:
        """Parse ``pos,BASES``."""
        pos, bases = args.split(",")
        if not bases:
            raise ValueError("Insertion needs at least one base")
        return int(pos), 0, bases


def _as_int_tuple(values, what: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in np.atleast_1d(np.asarray(values, dtype=np.int64)))
    except (TypeError, ValueError) as err:
        raise ValueError(f"{what} must be integer positions, got {values!r}") from err


@dataclass(frozen=True)
class Grammar:
    """Everything that decides which perturbations exist; inspect it, change it with
    :func:`dataclasses.replace` or :meth:`with_kind`.

    Coordinates are 0-based on the reference.  Intervals are half-open ``(start, end)``.

    Attributes
    ----------
    kinds : tuple of UnitKind
        Unit kinds with their weights (normalised when drawing).
    max_units : int
        Most units per individual (at least one).
    max_indel : int
        Default longest insertion or deletion.
    insert_probs : tuple of 4 float
        Frequencies of A, C, G, T in inserted bases.
    acceptors, donors : tuple of int
        Splice-site indices (acceptor = first exon base, donor = last exon base).
    acceptor_window, donor_window : tuple of 2 int
        Inclusive offsets around each site that stay untouched: acceptor ``[ss-10, ss+2]``,
        donor ``[ss-3, ss+6]`` by default.
    roi : tuple of 2 int or None
        Region of interest ``[start, end)``; positions farther than ``max_distance`` from it are
        forbidden.  ``None`` sets no distance limit.
    max_distance : int
        Distance limit around ``roi``.
    forbidden : tuple of (int, int)
        Extra user intervals ``[start, end)`` left untouched; each must lie inside the reference
        (as ``roi`` and the splice sites must), else binding it is refused.
    allow_n : bool
        Whether units may touch ``N`` bases (padding); off by default.
    """

    kinds: tuple[UnitKind, ...] = field(default_factory=lambda: (SNV(), Deletion(), Insertion()))
    max_units: int = 6
    max_indel: int = 5
    insert_probs: tuple[float, float, float, float] = (0.3, 0.2, 0.2, 0.3)
    acceptors: tuple[int, ...] = ()
    donors: tuple[int, ...] = ()
    acceptor_window: tuple[int, int] = (-10, 2)
    donor_window: tuple[int, int] = (-3, 6)
    roi: tuple[int, int] | None = None
    max_distance: int = 5000
    forbidden: tuple[tuple[int, int], ...] = ()
    allow_n: bool = False

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "kinds", tuple(self.kinds))
        if not self.kinds or not all(isinstance(k, UnitKind) for k in self.kinds):
            raise ValueError("Grammar.kinds must be a non-empty sequence of UnitKind instances")
        names = [k.name for k in self.kinds]
        if len(set(names)) != len(names):
            raise ValueError(f"unit kind names must be unique, got {names}")
        bad = [n for n in names if not n.isidentifier()]
        if bad:
            raise ValueError(f"unit kind names must be identifiers (used in phenotypes): {bad}")
        weights = np.array([k.weight for k in self.kinds], dtype=float)
        if not np.all(np.isfinite(weights)) or (weights < 0).any() or weights.sum() <= 0:
            raise ValueError(f"unit kind weights must be >= 0 with a positive sum, got {weights}")
        if int(self.max_units) < 1:
            raise ValueError(f"max_units must be >= 1, got {self.max_units}")
        if int(self.max_indel) < 1:
            raise ValueError(f"max_indel must be >= 1, got {self.max_indel}")
        probs = np.asarray(self.insert_probs, dtype=float)
        if probs.shape != (4,) or (probs < 0).any() or probs.sum() <= 0:
            raise ValueError(
                f"insert_probs must be 4 non-negative frequencies of A, C, G, T, got {probs}"
            )
        set_(self, "insert_probs", tuple(float(p) for p in probs / probs.sum()))
        set_(self, "acceptors", _as_int_tuple(self.acceptors, "acceptors"))
        set_(self, "donors", _as_int_tuple(self.donors, "donors"))
        for name in ("acceptor_window", "donor_window"):
            lo, hi = _as_int_tuple(getattr(self, name), name)
            if lo > hi:
                raise ValueError(f"{name} must be (low, high) with low <= high, got {(lo, hi)}")
            set_(self, name, (lo, hi))
        if self.roi is not None:
            start, end = _as_int_tuple(self.roi, "roi")
            if start >= end:
                raise ValueError(f"roi must be a half-open interval (start, end), got {self.roi}")
            set_(self, "roi", (start, end))
        if int(self.max_distance) < 0:
            raise ValueError(f"max_distance must be >= 0, got {self.max_distance}")
        intervals = []
        for iv in self.forbidden:
            start, end = _as_int_tuple(iv, "forbidden interval")
            if start >= end:
                raise ValueError(f"forbidden intervals must be (start, end), start < end: {iv}")
            intervals.append((start, end))
        set_(self, "forbidden", tuple(intervals))

    @property
    def kind_probs(self) -> np.ndarray:
        """``(K,)`` normalised kind weights."""
        w = np.array([k.weight for k in self.kinds], dtype=float)
        return w / w.sum()

    @property
    def kind_names(self) -> tuple[str, ...]:
        """``(K,)`` kind names, in code order."""
        return tuple(k.name for k in self.kinds)

    @property
    def alt_width(self) -> int:
        """Width ``S`` of the new-bases arrays: the longest any kind writes (at least 1)."""
        return max(1, *(k.max_alt_length(self) for k in self.kinds))

    def with_kind(self, kind: UnitKind) -> Grammar:
        """A copy with ``kind`` added, or replacing the kind of the same name."""
        kept = tuple(k for k in self.kinds if k.name != kind.name)
        return dataclasses.replace(self, kinds=(*kept, kind))

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description (kinds with their fields, constraints)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "kinds"}
        out["kinds"] = [
            {"type": type(k).__name__, **dataclasses.asdict(k)}
            if dataclasses.is_dataclass(k)
            else {"type": type(k).__name__, "name": k.name, "weight": k.weight}
            for k in self.kinds
        ]
        return out

    def forbidden_mask(self, reference: np.ndarray) -> np.ndarray:
        """Positions no unit may touch.

        Parameters
        ----------
        reference : numpy.ndarray
            ``(L,)`` codes.

        Returns
        -------
        numpy.ndarray
            ``(L,)`` bool, True where forbidden.
        """
        length = reference.size
        sites = [(s, self.acceptor_window, "acceptor") for s in self.acceptors]
        sites += [(s, self.donor_window, "donor") for s in self.donors]
        starts, ends = [], []
        for site, (lo, hi), what in sites:
            if not 0 <= site < length:
                raise ValueError(
                    f"{what} site {site} lies outside the reference [0, {length}); give 0-based "
                    "indices into the reference"
                )
            starts.append(site + lo)
            ends.append(site + hi + 1)
        for start, end in self.forbidden:
            if start < 0 or end > length:
                raise ValueError(
                    f"forbidden interval {(start, end)} lies outside the reference [0, {length}); "
                    "give 0-based half-open intervals into the reference"
                )
            starts.append(start)
            ends.append(end)
        if self.roi is not None:
            start, end = self.roi
            if start < 0 or end > length:
                raise ValueError(f"roi {self.roi} lies outside the reference [0, {length})")
            starts += [0, end + self.max_distance]
            ends += [start - self.max_distance, length]
        diff = np.zeros(length + 1, dtype=np.int64)
        starts_a = np.clip(np.asarray(starts, dtype=np.int64), 0, length)
        ends_a = np.clip(np.asarray(ends, dtype=np.int64), 0, length)
        keep = ends_a > starts_a
        np.add.at(diff, starts_a[keep], 1)
        np.add.at(diff, ends_a[keep], -1)
        mask = np.cumsum(diff[:-1]) > 0
        if not self.allow_n:
            mask |= reference == CODE_N
        return mask

    def bind(self, reference: str | np.ndarray) -> SearchSpace:
        """The search space of this grammar on ``reference``."""
        return SearchSpace(self, encode_sequence(reference))


class SearchSpace:
    """A grammar bound to a reference: allowed positions and span checks.

    Parameters
    ----------
    grammar : Grammar
        The grammar.
    reference : numpy.ndarray
        ``(L,)`` codes.

    Attributes
    ----------
    reference : numpy.ndarray
        ``(L,)`` ``uint8`` codes (read-only).
    forbidden : numpy.ndarray
        ``(L,)`` bool mask of :meth:`Grammar.forbidden_mask`.
    allowed_positions : numpy.ndarray
        ``(M,)`` int64 positions a unit may start at.
    alt_width : int
        ``S``, width of new-bases arrays.
    kind_positions : tuple of (numpy.ndarray or None)
        ``(K,)`` per kind, :meth:`UnitKind.positions` on this space (``None``: anywhere allowed).
    kind_probs : numpy.ndarray
        ``(K,)`` kind probabilities on this space: :attr:`Grammar.kind_probs` with the kinds that
        have no admissible site set to 0 (with a warning), renormalised.

    Raises
    ------
    ValueError
        If every position is forbidden, or no kind of positive weight has an admissible site.
    """

    def __init__(self, grammar: Grammar, reference: np.ndarray) -> None:
        self.grammar = grammar
        self.reference = encode_sequence(reference)
        self.reference.setflags(write=False)
        self.forbidden = grammar.forbidden_mask(self.reference)
        self.allowed_positions = np.flatnonzero(~self.forbidden)
        if self.allowed_positions.size == 0:
            raise ValueError(
                "every position of the reference is forbidden (splice-site windows, roi distance, "
                "user intervals or N bases); relax the grammar's constraints"
            )
        self._forbidden_cum = np.concatenate([[0], np.cumsum(self.forbidden)])
        self.alt_width = grammar.alt_width
        self.kind_positions = tuple(kind.positions(self) for kind in grammar.kinds)
        probs = grammar.kind_probs.copy()
        for code, (kind, sites) in enumerate(zip(grammar.kinds, self.kind_positions)):
            if sites is not None and sites.size == 0 and probs[code] > 0:
                warnings.warn(
                    f"unit kind {kind.name!r} has no admissible site on this reference (none "
                    "lies wholly outside forbidden positions); it will not be drawn",
                    stacklevel=3,
                )
                probs[code] = 0.0
        if probs.sum() <= 0:
            raise ValueError(
                f"no unit kind of positive weight has an admissible site on this reference "
                f"(kinds {list(grammar.kind_names)}); relax the constraints or add a kind"
            )
        self.kind_probs = probs / probs.sum()

    @property
    def length(self) -> int:
        """Reference length ``L``."""
        return int(self.reference.size)

    def span_allowed(self, pos: np.ndarray, ref_len: np.ndarray) -> np.ndarray:
        """Whether each unit's footprint lies inside the reference and outside forbidden zones.

        The footprint is ``[pos, pos + max(ref_len, 1))``: an insertion is judged by the base it
        precedes.

        Parameters
        ----------
        pos, ref_len : numpy.ndarray
            Same-shaped integer arrays.

        Returns
        -------
        numpy.ndarray
            Bool array of the same shape.
        """
        pos = np.asarray(pos, dtype=np.int64)
        end = pos + np.maximum(np.asarray(ref_len, dtype=np.int64), 1)
        inside = (pos >= 0) & (end <= self.length)
        lo = np.clip(pos, 0, self.length)
        hi = np.clip(end, 0, self.length)
        return inside & (self._forbidden_cum[hi] == self._forbidden_cum[lo])
