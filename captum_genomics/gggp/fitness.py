"""Diversity fitness functions: BinFiller and Increased Archive Diversity (IAD).

Both score a generation against the archive as it stood before the generation is added.  A
fitness function is any callable ``f(bins, counts, target_size) -> (n,)`` with ``bins`` the
``(n,)`` score bin of each individual (-1 when its score lies outside the archive's range),
``counts`` the ``(B,)`` archive counts per bin and ``target_size`` the archive target.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .archive import normalized_entropy

FitnessFunction = Callable[[np.ndarray, np.ndarray, int], np.ndarray]


def binfiller(bins: np.ndarray, counts: np.ndarray, target_size: int) -> np.ndarray:
    """BinFiller: reward individuals that land in sparsely filled bins.

    With ``T = target_size // B``, an individual in bin ``b`` gets ``1 - counts[b] / T``, or -1
    once ``counts[b]`` plus the earlier members of this generation in bin ``b`` exceeds
    ``1.05 * T``.  Scores outside the range get -1.

    Parameters
    ----------
    bins : numpy.ndarray
        ``(n,)`` bins of the generation, in generation order.
    counts : numpy.ndarray
        ``(B,)`` archive counts.
    target_size : int
        Archive target size.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` float fitness.
    """
    bins = np.asarray(bins, dtype=np.int64)
    counts = np.asarray(counts, dtype=np.int64)
    per_bin = int(target_size) // counts.size
    if per_bin < 1:
        raise ValueError(
            f"binfiller needs target_size >= number of bins ({counts.size}), got {target_size}"
        )
    inside = bins >= 0
    group = np.where(inside, bins, counts.size)  # out-of-range scores form their own group
    order = np.argsort(group, kind="stable")
    sorted_group = group[order]
    earlier = np.empty_like(order)
    earlier[order] = np.arange(order.size) - np.searchsorted(sorted_group, sorted_group)
    b = np.where(inside, bins, 0)
    fitness = 1.0 - counts[b] / per_bin
    overfull = counts[b] + earlier > 1.05 * per_bin
    return np.where(inside & ~overfull, fitness, -1.0)


def iad(bins: np.ndarray, counts: np.ndarray, target_size: int | None = None) -> np.ndarray:
    """Increased Archive Diversity: gain in normalised bin entropy from adding the individual.

    ``H(counts + e_b) - H(counts)`` with ``H`` the Shannon entropy of the bin counts divided by
    ``ln B``.  Scores outside the range get 0.

    Parameters
    ----------
    bins : numpy.ndarray
        ``(n,)`` bins of the generation.
    counts : numpy.ndarray
        ``(B,)`` archive counts.
    target_size : int, optional
        Unused; accepted for the common fitness signature.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` float fitness.
    """
    bins = np.asarray(bins, dtype=np.int64)
    counts = np.asarray(counts, dtype=np.int64)
    gain = normalized_entropy(counts[None, :] + np.eye(counts.size, dtype=np.int64), axis=1)
    gain = gain - normalized_entropy(counts)
    return np.where(bins >= 0, gain[np.clip(bins, 0, None)], 0.0)


FITNESS_FUNCTIONS: dict[str, FitnessFunction] = {"binfiller": binfiller, "iad": iad}


def open_bins(
    fitness: FitnessFunction, counts: np.ndarray, target_size: int
) -> np.ndarray:
    """Which bins would still admit an individual: those where one more scores fitness > 0.

    Parameters
    ----------
    fitness : callable
        A fitness function ``f(bins, counts, target_size) -> (n,)``.
    counts : numpy.ndarray
        ``(B,)`` archive counts.
    target_size : int
        Archive target size.

    Returns
    -------
    numpy.ndarray
        ``(B,)`` bool.
    """
    counts = np.asarray(counts, dtype=np.int64)
    return np.asarray(fitness(np.arange(counts.size), counts, target_size), float) > 0


def frontier_distance(bins: np.ndarray, admitting: np.ndarray) -> np.ndarray:
    """Distance, in bins, from each individual's bin to the nearest bin that still admits.

    0 inside an admitting bin (and for everyone when no bin admits); ``B`` for a score
    outside the range.  Selection uses it to walk a stalled population toward the parts of
    the score range the archive lacks (:class:`~.settings.SearchSettings` ``frontier``).

    Parameters
    ----------
    bins : numpy.ndarray
        ``(n,)`` bins of the individuals, -1 outside the range.
    admitting : numpy.ndarray
        ``(B,)`` bool, from :func:`open_bins`.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` int64 distances.
    """
    bins = np.asarray(bins, dtype=np.int64)
    targets = np.flatnonzero(admitting)
    if targets.size == 0:
        return np.zeros(bins.shape, np.int64)
    at = np.searchsorted(targets, bins)
    left = targets[np.clip(at - 1, 0, None)]
    right = targets[np.clip(at, None, targets.size - 1)]
    distance = np.minimum(np.abs(bins - left), np.abs(right - bins))
    return np.where(bins >= 0, distance, np.asarray(admitting).size)


def get_fitness(fitness: str | FitnessFunction) -> FitnessFunction:
    """The fitness function of that name, or the callable itself.

    Parameters
    ----------
    fitness : str or callable
        ``"binfiller"`` or ``"iad"`` (case-insensitive), or a function
        ``f(bins, counts, target_size) -> (n,)``.

    Returns
    -------
    callable
        The fitness function.

    Raises
    ------
    ValueError
        For an unknown name.
    """
    if callable(fitness):
        return fitness
    try:
        return FITNESS_FUNCTIONS[str(fitness).lower()]
    except KeyError:
        raise ValueError(
            f"unknown fitness {fitness!r}; use one of {sorted(FITNESS_FUNCTIONS)} or a callable "
            "f(bins, counts, target_size) -> (n,)"
        ) from None
