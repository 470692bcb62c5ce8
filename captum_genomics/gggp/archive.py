"""The archive of evaluated perturbations, score binning and the archive-quality metric.

Depends on numpy only; :func:`archive_quality` and :func:`quality_components` work on any array of
scores, independently of a search.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .population import Population


@dataclass(frozen=True)
class Binning:
    """Equal-width score bins, each split into equal sub-bins.

    Bin ``b`` holds ``[low + b*w, low + (b+1)*w)`` with ``w = (high - low) / n_bins``; a score of
    exactly ``high`` belongs to the last bin.  Scores outside ``[low, high]`` or NaN have no bin.

    Attributes
    ----------
    n_bins : int
        Number of bins (40 for probabilities, width 0.025).
    low, high : float
        Score range.
    n_sub_bins : int
        Sub-bins per bin for within-bin diversity (10, width 0.0025 by default).
    """

    n_bins: int = 40
    low: float = 0.0
    high: float = 1.0
    n_sub_bins: int = 10

    def __post_init__(self) -> None:
        if int(self.n_bins) < 2 or int(self.n_sub_bins) < 2:
            raise ValueError(
                f"n_bins and n_sub_bins must be >= 2, got {self.n_bins} and {self.n_sub_bins}"
            )
        if not (np.isfinite(self.low) and np.isfinite(self.high) and self.low < self.high):
            raise ValueError(
                f"score range must be finite with low < high, got ({self.low}, {self.high}); "
                "set it to the range your model's scores can take"
            )

    @property
    def width(self) -> float:
        """Bin width."""
        return (self.high - self.low) / self.n_bins

    def assign(self, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Bin and sub-bin of each score.

        Parameters
        ----------
        scores : numpy.ndarray
            ``(n,)`` scores.

        Returns
        -------
        bins, sub_bins : numpy.ndarray
            ``(n,)`` int64 each; -1 for scores outside the range or NaN.
        """
        scores = np.asarray(scores, dtype=float).reshape(-1)
        fine_n = self.n_bins * self.n_sub_bins
        edges = self.low + (self.high - self.low) * (np.arange(fine_n + 1) / fine_n)
        fine = np.clip(np.searchsorted(edges, scores, side="right") - 1, 0, fine_n - 1)
        inside = (scores >= self.low) & (scores <= self.high)
        bins = np.where(inside, fine // self.n_sub_bins, -1)
        sub = np.where(inside, fine % self.n_sub_bins, -1)
        return bins, sub


def normalized_entropy(counts: np.ndarray, axis: int = -1) -> np.ndarray:
    """Shannon entropy of counts divided by ``ln K`` (``K`` = number of categories).

    Parameters
    ----------
    counts : numpy.ndarray
        ``(..., K, ...)`` non-negative counts.
    axis : int
        Category axis.

    Returns
    -------
    numpy.ndarray
        Entropies in ``[0, 1]`` with ``axis`` removed; 0 where all counts are 0.
    """
    counts = np.asarray(counts, dtype=float)
    k = counts.shape[axis]
    total = counts.sum(axis=axis, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(total > 0, counts / total, 0.0)
        terms = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    return -terms.sum(axis=axis) / np.log(k) if k > 1 else np.zeros(terms.sum(axis=axis).shape)


class QualityComponents(NamedTuple):
    """Archive quality and its weighted parts.

    Attributes
    ----------
    quality : float
        ``0.3*size + 0.3*uniformity + 0.2*diversity + 0.2*coverage``.
    size : float
        ``min(1, |A| / target_size)``.
    uniformity : float
        Normalised entropy of the bin counts.
    diversity : float
        Mean over non-empty bins of the normalised entropy of their sub-bin counts.
    coverage : float
        ``1 -`` fraction of bins holding fewer than ``min_per_bin`` sequences.
    """

    quality: float
    size: float
    uniformity: float
    diversity: float
    coverage: float


def quality_from_counts(
    sub_counts: np.ndarray, target_size: int = 5000, min_per_bin: int = 10
) -> QualityComponents:
    """Archive quality from sub-bin counts.

    Parameters
    ----------
    sub_counts : numpy.ndarray
        ``(B, S)`` counts per bin and sub-bin.
    target_size : int
        Archive size that scores full marks on ``size``.
    min_per_bin : int
        Bins with fewer sequences count as uncovered.

    Returns
    -------
    QualityComponents
    """
    sub_counts = np.asarray(sub_counts)
    counts = sub_counts.sum(axis=1)
    size = min(1.0, counts.sum() / target_size)
    uniformity = float(normalized_entropy(counts))
    filled = counts > 0
    diversity = (
        float(normalized_entropy(sub_counts[filled], axis=1).mean()) if filled.any() else 0.0
    )
    coverage = 1.0 - float(np.mean(counts < min_per_bin))
    quality = 0.3 * size + 0.3 * uniformity + 0.2 * diversity + 0.2 * coverage
    return QualityComponents(float(quality), float(size), uniformity, diversity, coverage)


def _sub_counts(bins: np.ndarray, sub: np.ndarray, binning: Binning) -> np.ndarray:
    flat = np.bincount(
        bins * binning.n_sub_bins + sub, minlength=binning.n_bins * binning.n_sub_bins
    )
    return flat.reshape(binning.n_bins, binning.n_sub_bins)


def quality_components(
    scores: Sequence[float] | np.ndarray,
    *,
    n_bins: int = 40,
    score_range: tuple[float, float] = (0.0, 1.0),
    n_sub_bins: int = 10,
    target_size: int = 5000,
    min_per_bin: int = 10,
) -> QualityComponents:
    """Quality of an archive given its scores, with its components.

    Parameters
    ----------
    scores : array-like
        ``(n,)`` archived scores, all inside ``score_range``.
    n_bins, score_range, n_sub_bins : see :class:`Binning`.
    target_size : int
        Archive size that scores full marks on ``size``.
    min_per_bin : int
        Bins with fewer sequences count as uncovered.

    Returns
    -------
    QualityComponents
    """
    binning = Binning(n_bins, float(score_range[0]), float(score_range[1]), n_sub_bins)
    bins, sub = binning.assign(scores)
    if (bins < 0).any():
        raise ValueError(
            f"{int((bins < 0).sum())} scores are NaN or outside score_range={tuple(score_range)}; "
            "pass the range the archive was binned with"
        )
    if int(target_size) < 1:
        raise ValueError(f"target_size must be >= 1, got {target_size}")
    return quality_from_counts(_sub_counts(bins, sub, binning), target_size, min_per_bin)


def archive_quality(
    scores: Sequence[float] | np.ndarray,
    *,
    n_bins: int = 40,
    score_range: tuple[float, float] = (0.0, 1.0),
    n_sub_bins: int = 10,
    target_size: int = 5000,
    min_per_bin: int = 10,
) -> float:
    """Archive quality in ``[0, 1]`` (see :func:`quality_components` for the parts).

    ``0.3*min(1, n/target_size) + 0.3*H(bins) + 0.2*mean H(sub-bins of non-empty bins)
    + 0.2*(1 - fraction of bins with < min_per_bin)``, entropies normalised by ``ln`` of the
    number of categories.

    Parameters
    ----------
    scores : array-like
        ``(n,)`` archived scores.
    n_bins, score_range, n_sub_bins, target_size, min_per_bin
        As in :func:`quality_components`.

    Returns
    -------
    float
    """
    return quality_components(
        scores,
        n_bins=n_bins,
        score_range=score_range,
        n_sub_bins=n_sub_bins,
        target_size=target_size,
        min_per_bin=min_per_bin,
    ).quality


class Archive:
    """Distinct evaluated perturbations kept by score bin; nothing is ever evicted.

    Parameters
    ----------
    binning : Binning
        Score bins.
    target_size : int
        Capacity: additions stop once the archive holds this many.
    min_per_bin : int
        Coverage threshold of the quality metric.

    Attributes
    ----------
    counts : numpy.ndarray
        ``(B,)`` archived sequences per bin.
    sub_counts : numpy.ndarray
        ``(B, S)`` archived sequences per sub-bin.
    """

    def __init__(
        self, binning: Binning | None = None, target_size: int = 5000, min_per_bin: int = 10
    ) -> None:
        self.binning = binning or Binning()
        if int(target_size) < 1:
            raise ValueError(f"target_size must be >= 1, got {target_size}")
        self.target_size = int(target_size)
        self.min_per_bin = int(min_per_bin)
        self.sub_counts = np.zeros((self.binning.n_bins, self.binning.n_sub_bins), np.int64)
        self._excluded: set[bytes] = set()
        self._seen: set[bytes] = set()
        self._chunks: list[tuple] = []
        self._size = 0
        self._units = 0

    def __len__(self) -> int:
        return self._size

    @property
    def counts(self) -> np.ndarray:
        """``(B,)`` archived sequences per bin."""
        return self.sub_counts.sum(axis=1)

    @property
    def mean_units(self) -> float:
        """Mean units per archived individual (NaN when empty)."""
        return self._units / self._size if self._size else float("nan")

    @property
    def full(self) -> bool:
        """Whether the archive reached ``target_size``."""
        return self._size >= self.target_size

    def exclude(self, keys: Sequence[bytes]) -> None:
        """Never archive sequences with these keys (e.g. the unedited reference)."""
        self._excluded.update(keys)
        self._seen.update(keys)

    def add(
        self,
        keys: Sequence[bytes],
        scores: np.ndarray,
        population: Population,
        generation: int | np.ndarray,
        fitness: np.ndarray,
        eligible: np.ndarray | None = None,
    ) -> np.ndarray:
        """Archive new sequences, in order, until full.

        Parameters
        ----------
        keys : sequence of bytes
            ``(n,)`` sequence identities (equal keys = identical sequences).
        scores : numpy.ndarray
            ``(n,)`` scores.
        population : Population
            The ``n`` individuals.
        generation : int or numpy.ndarray
            Generation number stored with the entries (one, or ``(n,)``).
        fitness : numpy.ndarray
            ``(n,)`` fitness stored with each entry.
        eligible : numpy.ndarray, optional
            ``(n,)`` bool; only these may be added.

        Returns
        -------
        numpy.ndarray
            ``(n,)`` bool, True for entries added.  Duplicates (of the archive, of excluded keys
            or of earlier entries in ``keys``), scores outside the range and entries past
            capacity are skipped.
        """
        scores = np.asarray(scores, dtype=float)
        n = scores.size
        ok = np.ones(n, bool) if eligible is None else np.asarray(eligible, bool).copy()
        bins, sub = self.binning.assign(scores)
        ok &= bins >= 0
        first: dict[bytes, int] = {}
        for i, key in enumerate(keys):
            if ok[i]:
                if key in self._seen or key in first:
                    ok[i] = False
                else:
                    first[key] = i
        ok &= np.cumsum(ok) <= self.target_size - self._size
        idx = np.flatnonzero(ok)
        if idx.size:
            self._seen.update(keys[i] for i in idx)
            np.add.at(self.sub_counts, (bins[idx], sub[idx]), 1)
            self._chunks.append(
                (
                    population.take(idx),
                    scores[idx],
                    np.broadcast_to(np.asarray(generation, np.int64), (n,))[idx].copy(),
                    np.asarray(fitness, dtype=float)[idx],
                )
            )
            self._size += idx.size
            self._units += int(population.n_units[idx].sum())
        return ok

    def rebuild(
        self,
        keys: Sequence[bytes],
        scores: np.ndarray,
        population: Population,
        generation: np.ndarray,
        fitness: np.ndarray,
    ) -> np.ndarray:
        """Replace every entry by these, in order (e.g. after pruning); counts follow the new
        scores, duplicates keep their first occurrence and excluded keys stay excluded.

        Parameters
        ----------
        keys, scores, population, generation, fitness
            ``n`` entries as in :meth:`add` (``generation`` ``(n,)``).

        Returns
        -------
        numpy.ndarray
            ``(n,)`` bool, True for entries kept.
        """
        self.sub_counts[:] = 0
        self._seen = set(self._excluded)
        self._chunks = []
        self._size = 0
        self._units = 0
        return self.add(keys, scores, population, generation, fitness)

    def quality(self) -> QualityComponents:
        """Quality of the current archive."""
        return quality_from_counts(self.sub_counts, self.target_size, self.min_per_bin)

    def entries(self) -> tuple[Population | None, np.ndarray, np.ndarray, np.ndarray]:
        """Archived individuals, scores ``(n,)``, generations ``(n,)`` and fitness ``(n,)``,
        in order of addition (population ``None`` when empty)."""
        if not self._chunks:
            return None, np.zeros(0), np.zeros(0, np.int64), np.zeros(0)
        pops, scores, gens, fits = zip(*self._chunks)
        return (
            Population.concatenate(pops),
            np.concatenate(scores),
            np.concatenate(gens),
            np.concatenate(fits),
        )

    @property
    def scores(self) -> np.ndarray:
        """``(n,)`` archived scores in order of addition."""
        return self.entries()[1]
