"""Motif-aware unit kinds: insert a motif instance, delete or mutate a motif occurrence.

The reference GGGP tool has a PWM grammar whose units insert, mutate or delete known motifs
(e.g. RNA-binding-protein sites) found in the input by a PWM scan.  These kinds take the scan's
result as plain data, so this package stays free of any scanner:

* :class:`MotifSet`: motif names and ``(4, w)`` probability matrices (rows A, C, G, T);
* :class:`MotifOccurrences`: occurrences on the reference, half-open ``[start, end)`` with the
  motif index and strand (``"+"`` by default: the GGGP reference is in transcript orientation;
  ``"-"`` means the span matches the reverse complement of the motif).

Each unit is still an ordinary DiffUnit ``(kind, pos, ref_len, alt_len, alt)``, so phenotypes,
repair, application and the incremental scorer need nothing new:

* :class:`MotifInsertion` ``MotifInsertion[pos,BASES]``: a motif instance (consensus, or sampled
  from the PWM) inserted before reference base ``pos`` (``ref_len = 0``, ``alt_len = w``);
  it may go anywhere allowed.  Implanting (overwriting ``w`` bases) is not offered: an insertion
  keeps every reference base, so its effect is the motif's alone.
* :class:`MotifDeletion` ``MotifDeletion[start,end]``: an occurrence deleted.
* :class:`MotifMutation` ``MotifMutation[start,end,ALT]``: an occurrence's span rewritten so the
  motif no longer matches there (its relative PWM score falls below a threshold).

The two occurrence kinds are tied to sites (:meth:`UnitKind.positions`): their units start only
at occurrences wholly outside forbidden positions, and locality moves go to the nearest other
occurrence.  Drawn at a position where no admissible occurrence starts (a hand-made phenotype,
say) they return an empty unit, which repair drops.  A kind without any admissible occurrence on
the bound reference is not drawn there (binding warns).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .grammar import Deletion, Grammar, SearchSpace, UnitDraw, UnitKind, _draw_bases

_COMPLEMENT_ROWS = [3, 2, 1, 0]  # A, C, G, T -> T, G, C, A


def _frozen_set(obj, name: str, value) -> None:
    object.__setattr__(obj, name, value)


@dataclass(frozen=True)
class MotifSet:
    """Position weight matrices as data (JSON-ready; numpy views on demand).

    Parameters
    ----------
    names : sequence of str
        ``(K,)`` motif names.
    pwms : sequence of array-like
        ``(K,)`` probability matrices, each ``(4, w_k)`` with rows A, C, G, T; columns are
        renormalised to sum to 1.
    background : tuple of 4 float
        Background frequencies of A, C, G, T for log-odds.
    pseudocount : float
        Added to every probability before log-odds (so a zero never gives ``-inf``).

    Attributes
    ----------
    widths : numpy.ndarray
        ``(K,)`` int64 motif widths.

    Raises
    ------
    ValueError
        If names and matrices disagree in number, a matrix is not ``(4, w)`` with ``w >= 1``, or
        holds a negative value or an all-zero column.
    """

    names: tuple[str, ...]
    pwms: tuple[tuple[tuple[float, ...], ...], ...]
    background: tuple[float, float, float, float] = (0.25, 0.25, 0.25, 0.25)
    pseudocount: float = 0.01

    def __post_init__(self) -> None:
        names = tuple(str(n) for n in self.names)
        if len(names) != len(self.pwms) or not names:
            raise ValueError(
                f"MotifSet needs one (4, w) matrix per name, got {len(names)} names and "
                f"{len(self.pwms)} matrices"
            )
        matrices = []
        for name, pwm in zip(names, self.pwms):
            pwm = np.asarray(pwm, dtype=np.float64)
            if pwm.ndim != 2 or pwm.shape[0] != 4 or pwm.shape[1] < 1:
                raise ValueError(
                    f"motif {name!r}: expected a (4, w) matrix with rows A, C, G, T, got shape "
                    f"{pwm.shape} (transpose a (w, 4) MEME letter-probability matrix)"
                )
            total = pwm.sum(axis=0)
            if (pwm < 0).any() or not np.all(np.isfinite(pwm)) or (total <= 0).any():
                raise ValueError(f"motif {name!r}: probabilities must be >= 0, no column all 0")
            matrices.append(pwm / total)
        background = np.asarray(self.background, dtype=np.float64)
        if background.shape != (4,) or (background <= 0).any():
            raise ValueError(f"background must be 4 positive frequencies, got {self.background}")
        if not float(self.pseudocount) >= 0:
            raise ValueError(f"pseudocount must be >= 0, got {self.pseudocount}")
        _frozen_set(self, "names", names)
        _frozen_set(self, "pwms", tuple(tuple(map(tuple, m.tolist())) for m in matrices))
        _frozen_set(self, "background", tuple((background / background.sum()).tolist()))
        _frozen_set(self, "pseudocount", float(self.pseudocount))
        _frozen_set(self, "_matrices", tuple(matrices))
        _frozen_set(self, "widths", np.array([m.shape[1] for m in matrices], np.int64))
        _frozen_set(self, "_odds", {})

    def __len__(self) -> int:
        return len(self.names)

    def pwm(self, motif: int, strand: str = "+") -> np.ndarray:
        """``(4, w)`` probabilities of ``motif`` (reverse-complemented for ``strand="-"``)."""
        matrix = self._matrices[motif]
        return matrix[_COMPLEMENT_ROWS, ::-1] if strand == "-" else matrix

    def log_odds(self, motif: int, strand: str = "+") -> np.ndarray:
        """``(5, w)`` natural-log odds against the background (read-only); row 4 (``N``) is 0."""
        key = (int(motif), strand)
        if key not in self._odds:
            probs = self.pwm(motif, strand) + self.pseudocount
            probs /= probs.sum(axis=0)
            odds = np.log(probs / np.asarray(self.background)[:, None])
            odds = np.vstack([odds, np.zeros((1, odds.shape[1]))])
            odds.setflags(write=False)
            self._odds[key] = odds
        return self._odds[key]

    def score_bounds(self, motif: int) -> tuple[float, float]:
        """Lowest and highest log-odds score of ``motif`` (the same on both strands)."""
        odds = self.log_odds(motif)[:4]
        return float(odds.min(axis=0).sum()), float(odds.max(axis=0).sum())

    def consensus(self, motif: int) -> np.ndarray:
        """``(w,)`` uint8 most likely base of each column (first on ties)."""
        return np.argmax(self._matrices[motif], axis=0).astype(np.uint8)

    def relative_score(self, codes: np.ndarray, motif: int, strand: str = "+") -> np.ndarray:
        """Relative PWM score ``(s - min) / (max - min)`` of windows of exactly the motif width.

        Parameters
        ----------
        codes : numpy.ndarray
            ``(..., w)`` codes (A=0, C=1, G=2, T=3, N=4).
        motif : int
            Motif index.
        strand : {"+", "-"}
            Score against the motif or its reverse complement.

        Returns
        -------
        numpy.ndarray
            ``(...)`` scores, 1 for the consensus, 0 for the worst sequence.
        """
        odds = self.log_odds(motif, strand)
        w = odds.shape[1]
        codes = np.asarray(codes, dtype=np.int64)
        if codes.shape[-1] != w:
            raise ValueError(f"windows must be {w} bases wide, got {codes.shape[-1]}")
        score = odds[codes, np.arange(w)].sum(axis=-1)
        low, high = self.score_bounds(motif)
        return (score - low) / max(high - low, 1e-12)


@dataclass(frozen=True)
class MotifOccurrences:
    """Motif occurrences on the reference (e.g. a PWM scan's hits), as data.

    Parameters
    ----------
    start, end : sequence of int
        ``(R,)`` half-open reference spans ``[start, end)``.
    motif : sequence of int
        ``(R,)`` index of each occurrence's motif in its :class:`MotifSet`.
    strand : sequence of str, optional
        ``(R,)`` ``"+"`` or ``"-"``; all ``"+"`` when omitted.

    Raises
    ------
    ValueError
        If the arrays disagree in length, a span is empty or starts below 0, a motif index is
        negative, or a strand is not ``"+"``/``"-"``.
    """

    start: tuple[int, ...]
    end: tuple[int, ...]
    motif: tuple[int, ...]
    strand: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        arrays = [np.asarray(v, dtype=np.int64).reshape(-1) for v in (self.start, self.end,
                                                                       self.motif)]
        start, end, motif = arrays
        strand = ("+",) * start.size if self.strand is None else tuple(map(str, self.strand))
        if not start.size == end.size == motif.size == len(strand):
            raise ValueError(
                f"start, end, motif and strand must have one entry per occurrence, got lengths "
                f"{start.size}, {end.size}, {motif.size}, {len(strand)}"
            )
        if (end <= start).any() or (start < 0).any() or (motif < 0).any():
            raise ValueError("occurrences need 0 <= start < end and motif indices >= 0")
        if set(strand) - {"+", "-"}:
            raise ValueError(f"strand must be '+' or '-', got {sorted(set(strand))}")
        for name, values in zip(("start", "end", "motif"), arrays):
            _frozen_set(self, name, tuple(values.tolist()))
        _frozen_set(self, "strand", strand)

    def __len__(self) -> int:
        return len(self.start)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(R,)`` int64 ``start``, ``end``, ``motif`` and bool ``minus`` strand."""
        return (
            np.asarray(self.start, np.int64),
            np.asarray(self.end, np.int64),
            np.asarray(self.motif, np.int64),
            np.asarray(self.strand, dtype=object) == "-",
        )

    def find(self, pos: np.ndarray, ref_len: np.ndarray) -> np.ndarray:
        """Index of the first occurrence spanning exactly ``[pos, pos + ref_len)``.

        Parameters
        ----------
        pos, ref_len : numpy.ndarray
            Same-shaped integer arrays (e.g. a population's units).

        Returns
        -------
        numpy.ndarray
            Same-shaped int64 occurrence indices, -1 where no occurrence has that span.
        """
        start, end, _, _ = self.arrays()
        pos = np.asarray(pos, np.int64)
        stop = pos + np.asarray(ref_len, np.int64)
        hit = (pos[..., None] == start) & (stop[..., None] == end)
        return np.where(hit.any(axis=-1), np.argmax(hit, axis=-1), -1)


@dataclass(frozen=True)
class _OccurrenceKind(UnitKind):
    """Shared part of the kinds tied to occurrences: sites, validation, choosing one."""

    motifs: MotifSet
    occurrences: MotifOccurrences

    def __post_init__(self) -> None:
        _, _, motif, _ = self.occurrences.arrays()
        if motif.size and motif.max() >= len(self.motifs):
            raise ValueError(
                f"{self.name}: occurrence motif index {motif.max()} but only {len(self.motifs)} "
                "motifs"
            )
        start, end, _, _ = self.occurrences.arrays()
        wrong = np.flatnonzero(end - start != self.motifs.widths[motif])
        if wrong.size:
            i = int(wrong[0])
            raise ValueError(
                f"{self.name}: occurrence [{start[i]}, {end[i]}) is not as wide as motif "
                f"{self.motifs.names[motif[i]]!r} ({self.motifs.widths[motif[i]]} bases)"
            )

    def max_ref_length(self, grammar: Grammar) -> int:
        """The widest occurrence."""
        start, end, _, _ = self.occurrences.arrays()
        return int((end - start).max(initial=0))

    def _admissible(self, space: SearchSpace) -> np.ndarray:
        """``(R',)`` indices of occurrences wholly inside allowed positions, sorted by start."""
        start, end, _, _ = self.occurrences.arrays()
        ok = np.flatnonzero((end <= space.length) & space.span_allowed(start, end - start))
        return ok[np.argsort(start[ok], kind="stable")]

    def positions(self, space: SearchSpace) -> np.ndarray:
        """``(M,)`` starts of the admissible occurrences (whole span allowed)."""
        start = np.asarray(self.occurrences.start, np.int64)
        return np.unique(start[self._admissible(space)])

    def _choose(
        self, space: SearchSpace, positions: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """``(m,)`` an admissible occurrence starting at each position (uniform), -1 if none."""
        order = self._admissible(space)
        starts = np.asarray(self.occurrences.start, np.int64)[order]
        lo = np.searchsorted(starts, positions, side="left")
        count = np.searchsorted(starts, positions, side="right") - lo
        pick = lo + np.floor(rng.random(positions.size) * count).astype(np.int64)
        chosen = np.full(positions.size, -1, np.int64)
        chosen[count > 0] = order[pick[count > 0]]
        return chosen

    def _widths(self, chosen: np.ndarray) -> np.ndarray:
        """``(m,)`` int32 span length of each chosen occurrence, 0 for -1."""
        start, end, _, _ = self.occurrences.arrays()
        out = np.zeros(chosen.size, np.int32)
        out[chosen >= 0] = (end - start)[chosen[chosen >= 0]]
        return out


@dataclass(frozen=True)
class MotifDeletion(_OccurrenceKind):
    """Delete a motif occurrence: ``MotifDeletion[start,end]`` (half-open).

    Attributes
    ----------
    motifs : MotifSet
        The motifs.
    occurrences : MotifOccurrences
        Their occurrences on the reference; units start only at admissible ones.
    name : str
        Label in phenotype strings.
    weight : float
        Relative frequency among the grammar's kinds.
    """

    name: str = "MotifDeletion"
    weight: float = 1 / 3

    def max_alt_length(self, grammar: Grammar) -> int:
        """No new bases."""
        return 0

    def draw(self, space: SearchSpace, positions: np.ndarray, rng: np.random.Generator) -> UnitDraw:
        """Delete an admissible occurrence starting at each position (empty unit if none)."""
        m = positions.size
        ref_len = self._widths(self._choose(space, positions, rng))
        return UnitDraw(ref_len, np.zeros(m, np.int32), np.zeros((m, space.alt_width), np.uint8))

    # written and read as a plain deletion, ``start,end`` (half-open)
    format_args = Deletion.format_args
    parse_args = Deletion.parse_args


@dataclass(frozen=True)
class MotifMutation(_OccurrenceKind):
    """Rewrite a motif occurrence so it no longer matches: ``MotifMutation[start,end,ALT]``.

    ``c`` bases of the span, ``c`` uniform in ``1..max_changes``, are picked with probability
    proportional to how much changing them lowers the score, and each is set to its column's
    least likely base; then the most damaging remaining bases are changed too until the span's
    relative score (:meth:`MotifSet.relative_score`, on the occurrence's strand) is below
    ``threshold``.  So every unit destroys its occurrence, with a few extra changes at random.

    Attributes
    ----------
    motifs : MotifSet
        The motifs.
    occurrences : MotifOccurrences
        Their occurrences on the reference; units start only at admissible ones.
    name : str
        Label in phenotype strings.
    weight : float
        Relative frequency among the grammar's kinds.
    max_changes : int
        Most bases changed beyond what the threshold needs (at least 1).
    threshold : float
        Relative score in ``(0, 1]`` the mutated span ends strictly below (0.8 is a common hit
        threshold for relative scores, so the default 0.6 leaves a clear margin).
    """

    name: str = "MotifMutation"
    weight: float = 1 / 3
    max_changes: int = 2
    threshold: float = 0.6

    def __post_init__(self) -> None:
        super().__post_init__()
        if int(self.max_changes) < 1:
            raise ValueError(f"max_changes must be >= 1, got {self.max_changes}")
        if not 0 < float(self.threshold) <= 1:
            raise ValueError(f"threshold must lie in (0, 1], got {self.threshold}")

    def max_alt_length(self, grammar: Grammar) -> int:
        """The widest occurrence."""
        return self.max_ref_length(grammar)

    def draw(self, space: SearchSpace, positions: np.ndarray, rng: np.random.Generator) -> UnitDraw:
        """Mutate an admissible occurrence starting at each position (empty unit if none)."""
        m = positions.size
        chosen = self._choose(space, positions, rng)
        ref_len = self._widths(chosen)
        alt = np.zeros((m, space.alt_width), np.uint8)
        _, _, motif, minus = self.occurrences.arrays()
        for i in np.flatnonzero(chosen >= 0):
            span = space.reference[positions[i] : positions[i] + ref_len[i]]
            alt[i, : ref_len[i]] = self._destroy(
                span, int(motif[chosen[i]]), "-" if minus[chosen[i]] else "+", rng
            )
        return UnitDraw(ref_len, ref_len.copy(), alt)

    def _destroy(
        self, span: np.ndarray, motif: int, strand: str, rng: np.random.Generator
    ) -> np.ndarray:
        """``(w,)`` uint8 the span with bases set to their column's worst base (see class doc)."""
        odds = self.motifs.log_odds(motif, strand)
        cols = np.arange(span.size)
        worst = np.argmin(odds[:4], axis=0)
        drop = odds[span, cols] - odds[worst, cols]
        changed = np.zeros(span.size, bool)
        useful = np.flatnonzero(drop > 0)
        if useful.size:
            c = min(int(rng.integers(1, int(self.max_changes) + 1)), useful.size)
            weights = drop[useful] / drop[useful].sum()
            changed[rng.choice(useful, size=c, replace=False, p=weights)] = True
        low, high = self.motifs.score_bounds(motif)
        cut = low + self.threshold * (high - low)
        score = odds[span, cols].sum() - drop[changed].sum()
        rest = np.flatnonzero(~changed)
        rest = rest[np.argsort(-drop[rest], kind="stable")]
        # change the most damaging remaining bases while the score is still at or above the cut
        needed = np.searchsorted(-(score - np.cumsum(drop[rest])), -cut, side="right")
        if score >= cut:
            changed[rest[: needed + 1]] = True
        return np.where(changed, worst, span).astype(np.uint8)


@dataclass(frozen=True)
class MotifInsertion(UnitKind):
    """Insert a motif instance before reference base ``pos``: ``MotifInsertion[pos,BASES]``.

    The motif is drawn with probability ``motif_weights`` (uniform when ``None``); its bases are
    the consensus, or with ``sample=True`` drawn column by column from the PWM.  Units may start
    anywhere allowed.

    Attributes
    ----------
    motifs : MotifSet
        The motifs to insert.
    name : str
        Label in phenotype strings.
    weight : float
        Relative frequency among the grammar's kinds.
    sample : bool
        Sample each instance from the PWM instead of writing the consensus.
    motif_weights : tuple of float or None
        ``(K,)`` relative frequency of each motif; ``None`` for uniform.
    """

    motifs: MotifSet
    name: str = "MotifInsertion"
    weight: float = 1 / 3
    sample: bool = False
    motif_weights: tuple[float, ...] | None = field(default=None)

    def __post_init__(self) -> None:
        if self.motif_weights is not None:
            weights = np.asarray(self.motif_weights, dtype=float)
            if weights.shape != (len(self.motifs),) or (weights < 0).any() or weights.sum() <= 0:
                raise ValueError(
                    f"motif_weights must be {len(self.motifs)} non-negative weights with a "
                    f"positive sum, got {self.motif_weights}"
                )
            _frozen_set(self, "motif_weights", tuple(weights.tolist()))

    def max_alt_length(self, grammar: Grammar) -> int:
        """The widest motif."""
        return int(self.motifs.widths.max())

    def max_ref_length(self, grammar: Grammar) -> int:
        """No reference bases replaced."""
        return 0

    def draw(self, space: SearchSpace, positions: np.ndarray, rng: np.random.Generator) -> UnitDraw:
        """Draw a motif per unit and write its instance."""
        m = positions.size
        k = len(self.motifs)
        weights = np.ones(k) if self.motif_weights is None else np.asarray(self.motif_weights)
        chosen = rng.choice(k, size=m, p=weights / weights.sum())
        alt = np.zeros((m, space.alt_width), np.uint8)
        for motif in np.unique(chosen):
            rows = np.flatnonzero(chosen == motif)
            w = int(self.motifs.widths[motif])
            if self.sample:
                pwm = self.motifs.pwm(int(motif))
                alt[rows, :w] = np.stack(
                    [_draw_bases(rng, (rows.size,), pwm[:, j]) for j in range(w)], axis=1
                )
            else:
                alt[rows, :w] = self.motifs.consensus(int(motif))
        alt_len = self.motifs.widths[chosen].astype(np.int32)
        return UnitDraw(np.zeros(m, np.int32), alt_len, alt)

    def format_args(self, pos: int, ref_len: int, alt: str) -> str:
        """``pos,BASES``."""
        return f"{pos},{alt}"

    def parse_args(self, args: str) -> tuple[int, int, str]:
        """Parse ``pos,BASES``."""
        pos, bases = args.split(",")
        if not bases:
            raise ValueError("MotifInsertion needs at least one base")
        return int(pos), 0, bases


def motif_kinds(
    motifs: MotifSet,
    occurrences: MotifOccurrences,
    weights: tuple[float, float, float] = (1 / 3, 1 / 3, 1 / 3),
    **mutation: float,
) -> tuple[MotifInsertion, MotifDeletion, MotifMutation]:
    """The three motif kinds over one scan, ready for ``Grammar(kinds=...)`` or ``with_kind``.

    Parameters
    ----------
    motifs : MotifSet
        The motifs.
    occurrences : MotifOccurrences
        Their occurrences on the reference.
    weights : tuple of 3 float
        Weights of insertion, deletion and mutation.
    **mutation
        Extra fields of :class:`MotifMutation` (``max_changes``, ``threshold``).

    Returns
    -------
    tuple of UnitKind
        ``(MotifInsertion, MotifDeletion, MotifMutation)``.
    """
    insert, delete, mutate = weights
    return (
        MotifInsertion(motifs, weight=insert),
        MotifDeletion(motifs, occurrences, weight=delete),
        MotifMutation(motifs, occurrences, weight=mutate, **mutation),
    )
