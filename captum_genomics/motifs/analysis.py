"""Motif analysis of a local dataset: which edits create or break which motif occurrences,
how that goes with the score change, and a motif-level surrogate.

An occurrence is *lost* by an individual when one of its edit units touches the occurrence's
reference window (rewrites or deletes a base of it, or inserts or deletes between two of its
bases), and *gained* when an occurrence of the edited sequence touches an edit in the same
sense.  Occurrences away from every edit are carried over unchanged (same bases, same score) and
count as neither.  Occurrences are found with :func:`~captum_genomics.motifs.scan.scan_motifs`
on the reference and on each edited sequence before any fixed-length padding or trimming.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..dna.alphabet import text_to_codes_strict
from ..gggp.dataset import LocalDataset
from ..gggp.grammar import Grammar
from ..gggp.population import Population, apply_population, check_canonical
from .io import Motif
from .scan import DEFAULT_THRESHOLD, MotifTable, Occurrences, _check_motifs, scan_motifs

__all__ = [
    "DIRECTIONS",
    "ENRICHMENT_COLUMNS",
    "MotifChanges",
    "MotifSurrogate",
    "benjamini_hochberg",
    "fit_motif_surrogate",
    "motif_changes",
    "motif_enrichment",
]

#: The two kinds of change, in feature order.
DIRECTIONS = ("gained", "lost")

SCAN_MODES = ("windows", "full")


@dataclass
class MotifChanges:
    """Motif occurrences gained and lost by each individual of a local dataset.

    Attributes
    ----------
    motif_names : tuple of str
        ``(M,)`` motifs.
    gained, lost : numpy.ndarray
        ``(n, M)`` int64 occurrences created / broken per individual and motif.
    reference_occurrences : Occurrences
        Occurrences in the reference (``sequence`` is 0).
    gained_occurrences : Occurrences
        The created occurrences, ``sequence`` = individual, coordinates in its edited sequence.
    lost_occurrences : Occurrences
        The broken occurrences, ``sequence`` = individual, coordinates in the reference.
    """

    motif_names: tuple[str, ...]
    gained: np.ndarray
    lost: np.ndarray
    reference_occurrences: Occurrences
    gained_occurrences: Occurrences
    lost_occurrences: Occurrences

    def __len__(self) -> int:
        return int(self.gained.shape[0])

    def counts(self, direction: str) -> np.ndarray:
        """``(n, M)`` counts of ``direction`` (``"gained"`` or ``"lost"``)."""
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
        return self.gained if direction == "gained" else self.lost

    def individuals(self, motif: str, direction: str) -> np.ndarray:
        """Indices of the individuals that gained / lost at least one ``motif`` occurrence."""
        return np.flatnonzero(self.counts(direction)[:, self.motif_names.index(motif)] > 0)

    def features(self) -> np.ndarray:
        """``(n, 2M)`` float64 counts: every motif's gained, then every motif's lost."""
        return np.hstack([self.gained, self.lost]).astype(np.float64)

    def feature_names(self) -> list[tuple[str, str]]:
        """``(2M,)`` ``(motif, direction)`` of each column of :meth:`features`."""
        return [(m, d) for d in DIRECTIONS for m in self.motif_names]


def _grammar_for(phenotypes: Sequence[str]) -> Grammar:
    """The standard grammar sized to hold every phenotype (SNV, Deletion, Insertion)."""
    units = max((p.count("|") + 1 for p in phenotypes if p.strip()), default=1)
    longest = max((len(p) for p in phenotypes), default=1)
    return Grammar(max_units=units, max_indel=max(5, longest))


def _edit_intervals(pop: Population) -> tuple[np.ndarray, ...]:
    """Per unit ``(n, U)``: reference interval ``[pos, pos + ref_len)`` and edited interval
    ``[e, e + alt_len)``; invalid slots get empty intervals at -1, which touch nothing."""
    valid = pop.valid
    ref_len = np.where(valid, pop.ref_len, 0).astype(np.int64)
    alt_len = np.where(valid, pop.alt_len, 0).astype(np.int64)
    shift = np.cumsum(alt_len - ref_len, axis=1) - (alt_len - ref_len)
    pos = np.where(valid, pop.pos, -1)
    edited = np.where(valid, pop.pos + shift, -1)
    return pos, pos + ref_len, edited, edited + alt_len


def _touching(who: np.ndarray, start: np.ndarray, end: np.ndarray, lo: np.ndarray,
              hi: np.ndarray) -> np.ndarray:
    """``(K,)`` whether window ``[start, end)`` of individual ``who`` touches one of its units'
    intervals ``[lo, hi)`` (an empty interval: holds bases on both of its sides)."""
    return ((start[:, None] < hi[who]) & (end[:, None] > lo[who])).any(axis=1)


def _lost(reference: Occurrences, ref_lo: np.ndarray, ref_hi: np.ndarray) -> Occurrences:
    n = ref_lo.shape[0]
    if len(reference) == 0 or n == 0:
        return Occurrences.empty(reference.motif_names, n)
    # (individual, occurrence) pairs; one individual at a time keeps each comparison K x U
    who, which = [], []
    for i in range(n):
        hit = ((reference.start[:, None] < ref_hi[i]) & (reference.end[:, None] > ref_lo[i]))
        idx = np.flatnonzero(hit.any(axis=1))
        who.append(np.full(idx.size, i, np.int64))
        which.append(idx)
    who_all, which_all = np.concatenate(who), np.concatenate(which)
    lost = reference.take(which_all)
    lost.sequence = who_all
    lost.n_sequences = n
    return lost


def _window_pieces(ref: np.ndarray, pop: Population, lo: np.ndarray, hi: np.ndarray,
                   pad: int) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Edited sequence within ``pad`` bases of the edits, built from the reference and the
    units alone: per merged region, its individual, its edited start and its codes."""
    valid = pop.valid
    lengths = ref.size + np.where(valid, pop.alt_len - pop.ref_len, 0).sum(axis=1)
    who, unit = np.nonzero(valid)
    a = np.maximum(lo[who, unit] - pad, 0)
    b = np.minimum(hi[who, unit] + pad, lengths[who])
    # units are sorted and disjoint, so both ends grow along an individual's units
    new = np.ones(who.size, bool)
    new[1:] = (who[1:] != who[:-1]) | (a[1:] > b[:-1])
    first = np.flatnonzero(new)
    last = np.append(first[1:], who.size) - 1
    pieces = []
    for f, g in zip(first, last):
        i, units = who[f], unit[f : g + 1]
        # between regions the edited sequence is the reference, shifted by earlier units
        cursor = a[f] - (lo[i, units[0]] - pop.pos[i, units[0]])
        parts = []
        for j in units:
            parts += [ref[cursor : pop.pos[i, j]], pop.alt[i, j, : pop.alt_len[i, j]]]
            cursor = pop.pos[i, j] + pop.ref_len[i, j]
        parts.append(ref[cursor : cursor + b[g] - hi[i, units[-1]]])
        pieces.append(np.concatenate(parts))
    return who[first], a[first], pieces


def _gained(reference: np.ndarray, pop: Population, lo: np.ndarray, hi: np.ndarray,
            motifs: list[Motif], threshold: float, strands: str, mode: str) -> Occurrences:
    n = len(pop)
    names = [m.name for m in motifs]
    if mode == "full":
        found = scan_motifs(apply_population(reference, pop).rows(), motifs, threshold, strands)
    else:
        who, a, pieces = _window_pieces(reference, pop, lo, hi, max(m.width for m in motifs) - 1)
        found = scan_motifs(pieces, motifs, threshold, strands) if pieces else \
            Occurrences.empty(names)
        found.start = found.start + a[found.sequence]
        found.end = found.end + a[found.sequence]
        found.sequence = who[found.sequence]
    found.n_sequences = n
    keep = _touching(found.sequence, found.start, found.end, lo, hi) if len(found) else \
        np.zeros(0, bool)
    return Occurrences.concatenate([found.take(keep)], names, n)


def motif_changes(dataset: LocalDataset, motifs, threshold: float = DEFAULT_THRESHOLD,
                  strands: str = "+", grammar: Grammar | None = None,
                  scan: str = "windows") -> MotifChanges:
    """Count the motif occurrences each individual of a local dataset creates and breaks.

    Parameters
    ----------
    dataset : LocalDataset
        ``n`` individuals; their phenotypes are applied to ``dataset.reference``.
    motifs : Motif or sequence of Motif
        ``M`` motifs with unique names.
    threshold : float, default :data:`~captum_genomics.motifs.scan.DEFAULT_THRESHOLD`
        FIMO p-value threshold.
    strands : {"+", "both"}, default "+"
        Strands scanned.
    grammar : Grammar or None
        Grammar the phenotypes were written with; ``None`` reads the standard SNV, Deletion
        and Insertion units.
    scan : {"windows", "full"}, default "windows"
        ``"windows"`` scans each edited sequence only within ``w_max - 1`` bases of its edits;
        ``"full"`` scans it whole.  Both give the same result (occurrences away from every
        edit are carried over); ``"full"`` is the slow reference.

    Returns
    -------
    MotifChanges
    """
    if scan not in SCAN_MODES:
        raise ValueError(f"scan must be one of {SCAN_MODES}, got {scan!r}")
    motifs = _check_motifs(motifs)
    names = tuple(m.name for m in motifs)
    grammar = _grammar_for(dataset.phenotypes) if grammar is None else grammar
    pop = dataset.population(grammar)
    ref_codes = text_to_codes_strict(dataset.reference, "reference")
    check_canonical(pop, ref_codes.size)
    ref_lo, ref_hi, edit_lo, edit_hi = _edit_intervals(pop)
    reference = scan_motifs(ref_codes, motifs, threshold, strands)
    lost = _lost(reference, ref_lo, ref_hi)
    gained = _gained(ref_codes, pop, edit_lo, edit_hi, motifs, threshold, strands, scan)
    return MotifChanges(names, gained.counts(), lost.counts(), reference, gained, lost)


def benjamini_hochberg(p_values) -> np.ndarray:
    """Benjamini–Hochberg q-values; NaN p-values stay NaN and do not count as tests.

    Parameters
    ----------
    p_values : array_like
        ``(T,)`` p-values in ``[0, 1]`` or NaN.

    Returns
    -------
    numpy.ndarray
        ``(T,)`` q-values: ``min_{j >= rank} p_(j) * m / j``, capped at 1.
    """
    p = np.asarray(p_values, dtype=np.float64).reshape(-1)
    q = np.full(p.shape, np.nan)
    tested = np.flatnonzero(~np.isnan(p))
    m = tested.size
    if m == 0:
        return q
    order = tested[np.argsort(p[tested], kind="stable")]
    scaled = p[order] * m / np.arange(1, m + 1)
    q[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return q


ENRICHMENT_COLUMNS = (
    "motif", "direction", "n_with", "n_without", "mean_change_with", "mean_change_without",
    "difference", "cohens_d", "cliffs_delta", "u_statistic", "p_value", "q_value",
)


def _score_changes(changes: MotifChanges, scores, original_score: float) -> np.ndarray:
    delta = np.asarray(scores, dtype=np.float64).reshape(-1) - float(original_score)
    if delta.size != len(changes):
        raise ValueError(f"scores has {delta.size} values for {len(changes)} individuals")
    if not np.isfinite(delta).all():
        raise ValueError("scores and original_score must be finite")
    return delta


def motif_enrichment(changes: MotifChanges, scores, original_score: float) -> MotifTable:
    """Association of gaining / losing each motif with the score change.

    For each motif and direction, the individuals are split into those with at least one such
    change and the rest, and their score changes ``score - original_score`` compared.

    Parameters
    ----------
    changes : MotifChanges
        From :func:`motif_changes`, ``n`` individuals.
    scores : array_like
        ``(n,)`` model scores of the individuals (e.g. ``dataset.scores``).
    original_score : float
        Score of the unedited reference (``dataset.provenance["original_score"]``).

    Returns
    -------
    MotifTable
        Columns :data:`ENRICHMENT_COLUMNS`, one row per motif and direction, sorted by q-value
        (untestable rows, where a group is empty, last with NaN statistics): group sizes,
        mean changes with and without, their difference, Cohen's d (pooled standard
        deviation), Cliff's delta (``P(with > without) - P(with < without)``), the
        Mann–Whitney U of the "with" group, its two-sided p-value and the Benjamini–Hochberg
        q-value over all testable rows.

    Notes
    -----
    Each row tests one motif on its own. The edits of a GGGP dataset are not independent
    (selection breeds individuals that share edits), so a motif whose changes ride along with
    an effective one can test significant too: on a planted-motif search, breaking a decoy
    motif the model ignores tested q < 1e-6 because its losses co-occurred with losses of the
    planted one. :func:`fit_motif_surrogate` weighs all motifs jointly and gave the decoy a
    zero coefficient there; read both.
    """
    from scipy.stats import mannwhitneyu

    delta = _score_changes(changes, scores, original_score)
    rows = []
    for direction in DIRECTIONS:
        counts = changes.counts(direction)
        for m, name in enumerate(changes.motif_names):
            has = counts[:, m] > 0
            x, y = delta[has], delta[~has]
            nan = float("nan")
            mean_x = float(x.mean()) if x.size else nan
            mean_y = float(y.mean()) if y.size else nan
            d = u = p = cliff = nan
            if x.size and y.size:
                u, p = (float(v) for v in mannwhitneyu(x, y, alternative="two-sided"))
                cliff = 2.0 * u / (x.size * y.size) - 1.0
                dof = x.size + y.size - 2
                pooled = ((x.size - 1) * x.var(ddof=1) if x.size > 1 else 0.0) + \
                    ((y.size - 1) * y.var(ddof=1) if y.size > 1 else 0.0)
                sd = np.sqrt(pooled / dof) if dof > 0 else 0.0
                d = float((mean_x - mean_y) / sd) if sd > 0 else nan
            rows.append([name, direction, int(x.size), int(y.size), mean_x, mean_y,
                         mean_x - mean_y, d, cliff, u, p])
    q = benjamini_hochberg([r[-1] for r in rows])
    for row, value in zip(rows, q):
        row.append(float(value))
    order = sorted(range(len(rows)), key=lambda i: (
        np.isnan(rows[i][-1]), rows[i][-1], rows[i][-2], -abs(np.nan_to_num(rows[i][8]))))
    return MotifTable(ENRICHMENT_COLUMNS, [tuple(rows[i]) for i in order])


@dataclass
class MotifSurrogate:
    """A sparse linear model of the score on motif gains and losses.

    Attributes
    ----------
    feature_names : list of (str, str)
        ``(2M,)`` ``(motif, direction)`` per feature.
    coefficients : numpy.ndarray
        ``(2M,)`` score change per occurrence gained / lost.
    intercept : float
    alpha : float
        Lasso penalty used.
    fidelity : dict
        Held-out ``r2`` and ``spearman`` plus ``n_train`` and ``n_test``.
    """

    feature_names: list[tuple[str, str]]
    coefficients: np.ndarray
    intercept: float
    alpha: float
    fidelity: dict[str, float]

    def predict(self, features: np.ndarray) -> np.ndarray:
        """``(n,)`` predicted scores from ``(n, 2M)`` features (:meth:`MotifChanges.features`)."""
        return np.asarray(features, np.float64) @ self.coefficients + self.intercept

    def ranking(self) -> MotifTable:
        """Features by decreasing ``|coefficient|`` (zeros last): motif, direction, coefficient."""
        order = np.argsort(-np.abs(self.coefficients), kind="stable")
        return MotifTable(("motif", "direction", "coefficient"), [
            (*self.feature_names[i], float(self.coefficients[i])) for i in order])


def fit_motif_surrogate(changes: MotifChanges, scores, original_score: float,
                        test_fraction: float = 0.25, seed: int = 0,
                        alpha: float | str = "auto") -> MotifSurrogate:
    """Fit a lasso of the scores on per-motif gained and lost counts, with held-out fidelity.

    The unedited reference (all features 0, score ``original_score``) joins the training rows,
    as in :func:`captum_genomics.surrogates.fit_surrogate`.

    Parameters
    ----------
    changes : MotifChanges
        ``n`` individuals, features from :meth:`MotifChanges.features`.
    scores : array_like
        ``(n,)`` model scores.
    original_score : float
        Score of the unedited reference.
    test_fraction : float, default 0.25
        Share of individuals held out (seeded permutation), in ``[0, 1)``; 0 skips fidelity
        (NaN).
    seed : int, default 0
        Seed of the split.
    alpha : float or "auto", default "auto"
        Lasso penalty (scikit-learn's); ``"auto"`` scales it to the data with
        :func:`captum_genomics.surrogates.auto_alpha`.

    Returns
    -------
    MotifSurrogate
    """
    from sklearn.linear_model import Lasso

    from ..surrogates import auto_alpha, fidelity

    delta = _score_changes(changes, scores, original_score)
    y = delta + float(original_score)
    if not 0.0 <= test_fraction < 1.0:
        raise ValueError(f"test_fraction must lie in [0, 1), got {test_fraction}")
    if len(changes) < 2:
        raise ValueError(f"a surrogate needs at least 2 individuals, got {len(changes)}")
    if not (alpha == "auto" or (isinstance(alpha, (int, float)) and alpha > 0)):
        raise ValueError(f"alpha must be 'auto' or a positive number, got {alpha!r}")
    x = changes.features()
    order = np.random.default_rng(seed).permutation(len(changes))
    n_test = int(round(test_fraction * len(changes)))
    test, train = order[:n_test], order[n_test:]
    x_train = np.vstack([x[train], np.zeros((1, x.shape[1]))])
    y_train = np.append(y[train], float(original_score))
    used = auto_alpha(x_train, y_train) if alpha == "auto" else float(alpha)
    model = Lasso(alpha=used, max_iter=10_000).fit(x_train, y_train)
    coef = np.asarray(model.coef_, np.float64)
    surrogate = MotifSurrogate(changes.feature_names(), coef, float(model.intercept_), used, {})
    fit = fidelity(surrogate.predict(x[test]), y[test]) if n_test >= 2 else \
        {"r2": float("nan"), "spearman": float("nan")}
    fit.update(n_train=int(train.size), n_test=int(n_test))
    surrogate.fidelity = fit
    return surrogate
