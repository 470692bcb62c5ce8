"""How close a local dataset stays to its input: exact edit distances and units per individual.

Numpy only, so the search records them in its log and provenance; :mod:`captum_genomics.metrics`
re-exports them beside :func:`~captum_genomics.metrics.archive_quality`.
"""

from __future__ import annotations

import numpy as np

from .archive import Binning
from .grammar import SearchSpace, encode_sequence
from .population import Population, apply_population


def edit_distances(sequences, reference, max_distance: int | None = None) -> np.ndarray:
    """Levenshtein distance of each sequence to a reference.

    Unit costs for substituting, inserting and deleting one base (N is a letter like any
    other). Computed exactly by a banded dynamic programme vectorised over the sequences:
    an alignment of cost ``d`` never leaves the diagonals ``|i - j| <= d``, so a band as
    wide as an upper bound of every distance (``|len - L|`` plus the mismatches of the
    overlapping prefix) gives exact results.

    Parameters
    ----------
    sequences : sequence of str or of 1-D integer arrays
        ``(n,)`` sequences over A, C, G, T, N (any case), or codes A=0, C=1, G=2, T=3,
        N=4; lengths may differ.
    reference : str or 1-D integer array, length L
        The sequence distances are measured to.
    max_distance : int, optional
        Only distances up to this are needed: larger ones are reported as
        ``max_distance + 1`` and the band narrows to it, which is faster.

    Returns
    -------
    numpy.ndarray, shape (n,), int64
        The distances (capped at ``max_distance + 1`` when given).

    Examples
    --------
    >>> edit_distances(["ACGT", "AGT", "ACGTT", "TTTT"], "ACGT").tolist()
    [0, 1, 1, 3]
    """
    ref = encode_sequence(reference).astype(np.int16)
    rows = [encode_sequence(seq) for seq in sequences]
    if max_distance is not None and (isinstance(max_distance, bool) or int(max_distance) < 0):
        raise ValueError(f"max_distance must be an int >= 0 or None, got {max_distance!r}")
    if not rows:
        return np.zeros(0, dtype=np.int64)
    ref, rows = _strip_shared_ends(ref, rows)
    n, big_l = len(rows), ref.size
    lengths = np.array([row.size for row in rows], dtype=np.int64)
    width = int(lengths.max())
    codes = np.full((n, width + 1), -1, dtype=np.int16)  # column ``width``: never a base
    codes[np.arange(width + 1) < lengths[:, None]] = np.concatenate(rows)
    overlap = min(width, big_l)
    mismatch = (codes[:, :overlap] != ref[:overlap]) & (
        np.arange(overlap) < np.minimum(lengths, big_l)[:, None]
    )
    bound = int((mismatch.sum(axis=1) + np.abs(lengths - big_l)).max())
    band = bound if max_distance is None else min(bound, int(max_distance))
    result = _banded_levenshtein(codes, lengths, ref, band)
    if max_distance is not None:
        result = np.minimum(result, int(max_distance) + 1)
    return result


def _strip_shared_ends(ref: np.ndarray, rows: list[np.ndarray]):
    """Drop the longest prefix and suffix that the reference shares with every sequence.

    Exact for Levenshtein distances (``d(aX, aY) = d(X, Y)``, and likewise at the end), and
    it shrinks the dynamic programme to the stretch the edits span: local edits of a long
    input leave most of it shared.
    """
    shortest = min(ref.size, *(row.size for row in rows))
    prefix = suffix = shortest
    for row in rows:
        if prefix:
            head = np.flatnonzero(row[:prefix] != ref[:prefix])
            prefix = int(head[0]) if head.size else prefix
        if suffix:
            tail = np.flatnonzero(row[row.size - suffix:][::-1] != ref[ref.size - suffix:][::-1])
            suffix = int(tail[0]) if tail.size else suffix
    suffix = min(suffix, shortest - prefix)
    return ref[prefix : ref.size - suffix], [row[prefix : row.size - suffix] for row in rows]


def _banded_levenshtein(
    codes: np.ndarray, lengths: np.ndarray, ref: np.ndarray, band: int
) -> np.ndarray:
    """Levenshtein distances on the diagonals ``|i - j| <= band`` (exact up to ``band``).

    ``codes`` is (n, W + 1) with -1 past each row's end; cell ``[:, band + d]`` of the
    running row holds ``D[i][i + d]``, the distance of ``ref[:i]`` to ``seq[:i + d]``.
    """
    big = ref.size + codes.shape[1] + 2  # above any distance
    offsets = np.arange(-band, band + 1)
    last = codes.shape[1] - 1
    inside = (offsets >= 0) & (offsets <= lengths[:, None])
    row = np.where(inside, offsets, big)
    for i in range(1, ref.size + 1):
        j = i + offsets
        inside = (j >= 0) & (j <= lengths[:, None])
        substitute = row + (codes[:, np.clip(j - 1, 0, last)] != ref[i - 1])
        delete = np.full_like(row, big)
        delete[:, :-1] = row[:, 1:] + 1
        best = np.where(inside, np.minimum(substitute, delete), big)
        # insertions run along the row: D[i][j] = min over j' <= j of best[j'] + (j - j')
        best = np.minimum.accumulate(best - offsets, axis=1) + offsets
        row = np.where(inside, np.minimum(best, big), big)
    end = lengths - ref.size
    within = np.abs(end) <= band
    out = np.full(lengths.shape, big, dtype=np.int64)
    out[within] = row[np.flatnonzero(within), end[within] + band]
    return out


def individual_edit_distances(
    reference: np.ndarray | SearchSpace, population: Population
) -> np.ndarray:
    """Exact edit distance of each individual's sequence to the reference.

    Each individual is applied to the reference without model-input padding or trimming and
    its Levenshtein distance computed by :func:`edit_distances` (band = the largest sum over
    an individual's units of ``max(bases replaced, bases written)``).

    Parameters
    ----------
    reference : numpy.ndarray or SearchSpace
        ``(L,)`` reference codes (or a space holding them).
    population : Population
        ``n`` individuals.

    Returns
    -------
    numpy.ndarray, shape (n,), int64
        The distances.
    """
    if len(population) == 0:
        return np.zeros(0, dtype=np.int64)
    batch = apply_population(reference, population)
    bound = np.where(population.valid, np.maximum(population.ref_len, population.alt_len), 0)
    return edit_distances(
        batch.rows(), batch.reference, max_distance=int(bound.sum(axis=1).max())
    )


def locality_statistics(
    reference: np.ndarray | SearchSpace, population: Population | None
) -> dict[str, float]:
    """Companions of archive quality: how far a set of individuals lies from the input.

    Parameters
    ----------
    reference : numpy.ndarray or SearchSpace
        ``(L,)`` reference codes (or a space holding them).
    population : Population or None
        ``n`` individuals (``None`` or empty: NaN statistics).

    Returns
    -------
    dict
        ``mean_edit_distance``, ``median_edit_distance`` (:func:`individual_edit_distances`),
        ``mean_units`` (floats, NaN when there are no individuals) and ``n`` (int).
    """
    if population is None or len(population) == 0:
        nan = float("nan")
        return {"mean_edit_distance": nan, "median_edit_distance": nan, "mean_units": nan, "n": 0}
    distances = individual_edit_distances(reference, population)
    return {
        "mean_edit_distance": float(distances.mean()),
        "median_edit_distance": float(np.median(distances)),
        "mean_units": float(population.n_units.mean()),
        "n": len(population),
    }


def score_matched_locality(
    distances,
    scores,
    baseline_distances,
    baseline_scores,
    *,
    n_bins: int = 40,
    score_range: tuple[float, float] = (0.0, 1.0),
) -> dict[str, float]:
    """Edit distances of a local dataset and a baseline's, compared at equal scores.

    Moving a model's score far from the input's takes more edits than staying near it, so
    the plain mean edit distance of a dataset that covers the whole score range (what GGGP
    aims for) is larger than that of one crowded near the input's score (random sampling),
    even when, score for score, its edits are fewer.  This compares them bin by bin (direct
    standardisation): in every score bin both datasets occupy, the dataset's mean distance
    there, averaged with the baseline's counts as weights, against the baseline's mean over
    the same bins.

    Parameters
    ----------
    distances, scores : array-like
        ``(n,)`` edit distances to the input and scores of the dataset's perturbations.
    baseline_distances, baseline_scores : array-like
        ``(m,)`` the same for the baseline (e.g. random sampling's archive).
    n_bins : int
        Equal-width score bins (as the archive's: 40).
    score_range : (float, float)
        Range the bins cover; every score must lie inside.

    Returns
    -------
    dict
        ``edit_distance`` (the dataset's, on the baseline's score distribution),
        ``baseline_edit_distance`` (the baseline's over the same bins), ``shared_bins``
        (int), ``share`` and ``baseline_share`` (fractions of each dataset in the shared
        bins).  NaN distances and zero shares when no bin is shared.

    Raises
    ------
    ValueError
        If lengths differ, or a score is NaN or outside ``score_range``.

    Examples
    --------
    >>> out = score_matched_locality([2, 8], [0.9, 0.1], [3, 3], [0.9, 0.9])
    >>> out["edit_distance"], out["baseline_edit_distance"]
    (2.0, 3.0)
    """
    binning = Binning(int(n_bins), float(score_range[0]), float(score_range[1]))
    per_bin = []
    for name, d, s in (
        ("distances/scores", distances, scores),
        ("baseline_distances/baseline_scores", baseline_distances, baseline_scores),
    ):
        d = np.asarray(d, dtype=float).reshape(-1)
        s = np.asarray(s, dtype=float).reshape(-1)
        if d.size != s.size:
            raise ValueError(f"{name}: lengths differ ({d.size} and {s.size})")
        bins = binning.assign(s)[0]
        if (bins < 0).any():
            raise ValueError(
                f"{name}: {int((bins < 0).sum())} scores are NaN or outside "
                f"score_range={tuple(score_range)}; pass the range the archives were binned with"
            )
        counts = np.bincount(bins, minlength=binning.n_bins)
        sums = np.bincount(bins, weights=d, minlength=binning.n_bins)
        per_bin.append((counts, sums))
    (counts, sums), (base_counts, base_sums) = per_bin
    shared = (counts > 0) & (base_counts > 0)
    if not shared.any():
        nan = float("nan")
        return {"edit_distance": nan, "baseline_edit_distance": nan, "shared_bins": 0,
                "share": 0.0, "baseline_share": 0.0}
    weights = base_counts[shared] / base_counts[shared].sum()
    return {
        "edit_distance": float(weights @ (sums[shared] / counts[shared])),
        "baseline_edit_distance": float(base_sums[shared].sum() / base_counts[shared].sum()),
        "shared_bins": int(shared.sum()),
        "share": float(counts[shared].sum() / counts.sum()),
        "baseline_share": float(base_counts[shared].sum() / base_counts.sum()),
    }
