"""Archive pruning: drop edit units whose removal leaves an individual's score unchanged.

The reference method prunes once at the end of a run (optionally also at chosen generations):
every archived individual with more than one unit is re-scored with each unit removed in turn;
the first variant scoring the same (both rounded to 4 decimals) replaces it; duplicates are then
dropped.  :func:`prune_archive` does that through the search's :class:`~.search.Evaluator`
(batched, cached, exact with any scorer, incremental ones included) and can go further: repeat
until no unit can be dropped, and accept a tolerance on "the same score".
"""

from __future__ import annotations

import copy
import dataclasses
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .archive import Archive
from .population import Population

if TYPE_CHECKING:
    from .search import Evaluator, Scorer, SearchResult

_FIELDS = ("kind", "pos", "ref_len", "alt_len", "alt")


@dataclass
class PruneReport:
    """What one pruning did.

    Attributes
    ----------
    evaluations : int
        New model evaluations it spent.
    pruned : int
        Individuals that lost at least one unit.
    units_removed : int
        Units removed in all.
    duplicates : int
        Entries dropped because pruning made them equal to an earlier one.
    passes : int
        Passes run (one unless ``repeat``).
    complete : bool
        False when a budget stopped it before every variant was scored.
    """

    evaluations: int = 0
    pruned: int = 0
    units_removed: int = 0
    duplicates: int = 0
    passes: int = 0
    complete: bool = True

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return dataclasses.asdict(self)


def drop_each_unit(population: Population) -> tuple[Population, np.ndarray]:
    """Every variant of each individual with one unit removed (individuals with > 1 unit).

    Parameters
    ----------
    population : Population
        ``n`` canonical individuals.

    Returns
    -------
    variants : Population
        ``v`` canonical variants, grouped by individual, in unit order.
    owner : numpy.ndarray
        ``(v,)`` int64 index of each variant's individual.
    """
    k = population.n_units
    owner = np.repeat(np.arange(len(population)), np.where(k > 1, k, 0))
    first = np.concatenate([[0], np.cumsum(np.where(k > 1, k, 0))])[:-1]
    removed = np.arange(owner.size) - first[owner]
    u = population.max_units
    j = np.arange(u)[None, :]
    source = np.minimum(j + (j >= removed[:, None]), u - 1)
    variants = population.take(owner)
    for name in _FIELDS:
        arr = getattr(variants, name)
        idx = source if arr.ndim == 2 else source[:, :, None]
        setattr(variants, name, np.take_along_axis(arr, idx, axis=1))
    last = k[owner] - 1
    variants.kind[np.arange(owner.size), last] = -1
    for name in _FIELDS[1:]:
        getattr(variants, name)[np.arange(owner.size), last] = 0
    return variants, owner


def _same(scores: np.ndarray, target: np.ndarray, tolerance: float | None) -> np.ndarray:
    if tolerance is None:
        return np.round(scores, 4) == np.round(target, 4)
    return np.abs(scores - target) <= tolerance


def prune_archive(
    archive: Archive,
    evaluator: Evaluator,
    *,
    tolerance: float | None = None,
    repeat: bool = False,
    max_evaluations: int | None = None,
    deadline: float | None = None,
) -> PruneReport:
    """Prune an archive in place: drop units whose removal leaves the score the same.

    Each pass re-scores, for every archived individual with more than one unit, each variant
    with one unit removed; the first variant (in unit order) scoring the same as the
    individual's archived score replaces it, with the variant's exact score.  ``repeat`` runs
    passes on the individuals just pruned until none changes; "the same" is always measured
    against the score the individual had when archived, so repeated removals cannot drift
    further than ``tolerance``.  The archive is then rebuilt in its order, bin counts following
    the new scores and duplicates keeping their first entry.  Nothing changes if the scorer
    raises.

    Parameters
    ----------
    archive : Archive
        The archive, modified in place.
    evaluator : Evaluator
        Scorer of the archive's space (its cache and evaluation count are shared).
    tolerance : float, optional
        Same score when ``|variant - archived| <= tolerance``; ``None``: equal after rounding
        both to 4 decimals (the reference's rule).
    repeat : bool
        Repeat passes until no unit can be dropped (the reference runs one).
    max_evaluations : int, optional
        Most new evaluations; variants left unscored are not considered.
    deadline : float, optional
        ``time.perf_counter()`` value after which no scorer call starts.

    Returns
    -------
    PruneReport
    """
    report = PruneReport()
    population, scores, generations, fitness = archive.entries()
    if population is None:
        return report
    start = evaluator.evaluations
    target = scores.copy()
    current, current_scores = population.copy(), scores.copy()
    removed = np.zeros(len(current), np.int64)
    active = np.ones(len(current), bool)
    while True:
        rows = np.flatnonzero(active & (current.n_units > 1))
        if rows.size == 0:
            break
        variants, owner = drop_each_unit(current.take(rows))
        spent = evaluator.evaluations - start
        left = None if max_evaluations is None else max_evaluations - spent
        variant_scores, _, scored = evaluator(variants, left, deadline)
        report.passes += 1
        hits = np.flatnonzero(scored & _same(variant_scores, target[rows[owner]], tolerance))
        winners, first = np.unique(owner[hits], return_index=True)
        chosen, changed = hits[first], rows[winners]
        for name in _FIELDS:
            getattr(current, name)[changed] = getattr(variants, name)[chosen]
        current_scores[changed] = variant_scores[chosen]
        removed[changed] += 1
        if not scored.all():
            report.complete = False
            break
        if not repeat:
            break
        active[:] = False
        active[changed] = True
    report.evaluations = evaluator.evaluations - start
    report.pruned = int((removed > 0).sum())
    report.units_removed = int(removed.sum())
    step = evaluator.batch_size
    keys = [
        key
        for lo in range(0, len(current), step)
        for key in evaluator.edit(current.take(np.arange(lo, min(lo + step, len(current)))))[1]
    ]
    kept = archive.rebuild(keys, current_scores, current, generations, fitness)
    report.duplicates = int((~kept).sum())
    return report


def prune_result(
    result: SearchResult,
    scorer: Scorer,
    *,
    tolerance: float | None = None,
    repeat: bool = False,
    max_evaluations: int | None = None,
    max_time: float | None = None,
) -> SearchResult:
    """Prune the archive of a finished search (see :func:`prune_archive`), as a new result.

    Variants the search already scored (:attr:`~.search.SearchResult.scored`) are not scored
    again, as when the search prunes itself (``SearchSettings(prune="end")``).

    Parameters
    ----------
    result : SearchResult
        A search's result; left unchanged.
    scorer : callable
        The scorer the search used (``scorer(EditBatch) -> (n,)``).
    tolerance, repeat, max_evaluations
        As in :func:`prune_archive`.
    max_time : float, optional
        Wall-time budget in seconds.

    Returns
    -------
    SearchResult
        A copy with the pruned archive; its ``evaluations`` and ``prune_evaluations`` include
        the pruning's new evaluations, ``scored`` its scores, and ``pruning`` ends with this
        pruning's report (``generation="end"``).
    """
    from .locality import locality_statistics
    from .search import Evaluator

    settings = result.settings
    evaluator = Evaluator(
        result.space,
        scorer,
        result.tracked,
        settings.batch_size,
        settings.sequence_length,
        settings.trim,
    )
    evaluator.cache.update(result.scored)
    archive = copy.deepcopy(result.archive)
    deadline = None if max_time is None else time.perf_counter() + max_time
    report = prune_archive(
        archive,
        evaluator,
        tolerance=tolerance,
        repeat=repeat,
        max_evaluations=max_evaluations,
        deadline=deadline,
    )
    return dataclasses.replace(
        result,
        archive=archive,
        evaluations=result.evaluations + report.evaluations,
        prune_evaluations=result.prune_evaluations + report.evaluations,
        pruning=[*result.pruning, {"generation": "end", **report.as_dict()}],
        locality=locality_statistics(result.space, archive.entries()[0]),
        scored=evaluator.cache,
    )
