"""The search loop: generations, batched cached scoring, archive updates, budgets.

A *scorer* is any callable ``scorer(batch: EditBatch) -> (n,)`` array of scores.  The batch holds
the reference, the ``n`` individuals (:class:`~.population.Population`), their edited sequences
``(n, W)`` as uint8 codes (A=0, C=1, G=2, T=3, N=4, padded with N), their lengths and the new
coordinates of tracked positions.  A full-model scorer reads ``batch.sequences``; an exact
incremental scorer may read ``batch.reference`` and ``batch.population`` instead.  The engine
never scores the same model input twice and never passes more than ``batch_size`` sequences per
call.  An optional ``name`` attribute is recorded in the provenance.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from .._deprecation import renamed_arguments
from .archive import Archive, Binning
from .fitness import frontier_distance, get_fitness, open_bins
from .grammar import Grammar, SearchSpace
from .locality import locality_statistics
from .operators import (
    crossover,
    dense_rank,
    mutate,
    parsimony_rank,
    positional_crossover,
    random_population,
    repair,
    tournament_select,
    union_crossover,
)
from .population import EditBatch, Population, apply_population
from .prune import prune_archive
from .settings import SearchSettings

logger = logging.getLogger(__name__)

Scorer = Callable[[EditBatch], Any]
SeedLike = int | np.random.Generator | None


def sequence_key(codes: np.ndarray) -> bytes:
    """Identity of a model input: a 16-byte BLAKE2b digest of its codes."""
    return hashlib.blake2b(np.ascontiguousarray(codes, np.uint8).tobytes(), digest_size=16).digest()


class Evaluator:
    """Batched, cached scoring of populations.

    Parameters
    ----------
    space : SearchSpace
        Grammar bound to the reference.
    scorer : callable
        ``scorer(EditBatch) -> (n,)`` (see the module docstring).
    tracked : sequence of int
        ``(T,)`` reference positions followed into ``EditBatch.tracked``.
    batch_size : int
        Most sequences per scorer call.
    sequence_length : int or None
        Fixed model input length, or ``None``.
    trim : {"right", "left"}
        Padding or trimming end for a fixed length.
    progress_bar : tqdm.tqdm or None
        Progress bar advanced by each new evaluation (``progress=`` is its deprecated name).

    Attributes
    ----------
    cache : dict
        Score of every model input scored so far, by :func:`sequence_key`.
    evaluations : int
        Distinct model inputs scored.
    cache_hits : int
        Lookups answered by the cache.
    """

    @renamed_arguments(progress="progress_bar")
    def __init__(
        self,
        space: SearchSpace,
        scorer: Scorer,
        tracked=(),
        batch_size: int = 256,
        sequence_length: int | None = None,
        trim: str = "right",
        progress_bar=None,
    ) -> None:
        if not callable(scorer):
            raise TypeError(
                f"scorer must be callable as scorer(EditBatch) -> scores, got {type(scorer)}"
            )
        self.space = space
        self.scorer = scorer
        self.tracked = np.asarray(tracked, dtype=np.int64).reshape(-1)
        self.batch_size = int(batch_size)
        self.sequence_length = sequence_length
        self.trim = trim
        self.progress_bar = progress_bar
        self.cache: dict[bytes, float] = {}
        self.evaluations = 0
        self.cache_hits = 0

    def _apply(self, population: Population) -> EditBatch:
        return apply_population(
            self.space, population, self.tracked, self.sequence_length, self.trim
        )

    def edit(self, population: Population) -> tuple[EditBatch, list[bytes]]:
        """Apply a population in chunks of ``batch_size``.

        Returns
        -------
        batch : EditBatch
            All ``n`` model inputs.
        keys : list of bytes
            ``(n,)`` model-input identities (:func:`sequence_key`).
        """
        n = len(population)
        parts = [
            self._apply(population.take(np.arange(start, min(start + self.batch_size, n))))
            for start in range(0, n, self.batch_size)
        ] or [self._apply(population)]
        width = max(p.sequences.shape[1] for p in parts)
        pad = [((0, 0), (0, width - p.sequences.shape[1])) for p in parts]
        batch = EditBatch(
            self.space.reference,
            population,
            np.concatenate([np.pad(p.sequences, w, constant_values=4) for p, w in zip(parts, pad)]),
            np.concatenate([p.lengths for p in parts]),
            np.concatenate([p.tracked for p in parts]),
            self.sequence_length,
        )
        return batch, [sequence_key(row) for row in batch.rows()]

    def __call__(
        self,
        population: Population,
        max_new: int | None = None,
        deadline: float | None = None,
    ) -> tuple[np.ndarray, list[bytes], np.ndarray]:
        """Score a population, calling the scorer only for inputs never scored.

        Parameters
        ----------
        population : Population
            ``n`` canonical individuals.
        max_new : int, optional
            Most new evaluations allowed (the evaluation budget left).
        deadline : float, optional
            ``time.perf_counter()`` value after which no further scorer call starts.

        Returns
        -------
        scores : numpy.ndarray
            ``(n,)`` float scores, NaN for individuals left unscored by a budget.
        keys : list of bytes
            ``(n,)`` model-input identities.
        scored : numpy.ndarray
            ``(n,)`` bool, True where a score is known.
        """
        edited, keys = self.edit(population)
        todo: dict[bytes, int] = {}
        for i, key in enumerate(keys):
            if key in self.cache:
                self.cache_hits += 1
            elif key not in todo:
                todo[key] = i
        new = np.fromiter(todo.values(), dtype=np.int64, count=len(todo))
        if max_new is not None:
            new = new[: max(0, int(max_new))]
        for start in range(0, new.size, self.batch_size):
            if deadline is not None and time.perf_counter() >= deadline:
                break
            idx = new[start : start + self.batch_size]
            lengths = edited.lengths[idx]
            width = edited.sequences.shape[1]
            if self.sequence_length is None:
                width = int(lengths.max(initial=0))
            batch = EditBatch(
                edited.reference,
                population.take(idx),
                edited.sequences[idx, :width],
                lengths,
                edited.tracked[idx],
                self.sequence_length,
            )
            scores = self._call(batch)
            for i, s in zip(idx, scores):
                self.cache[keys[i]] = float(s)
            self.evaluations += idx.size
            if self.progress_bar is not None:
                self.progress_bar.update(idx.size)
        scores = np.array([self.cache.get(k, math.nan) for k in keys], dtype=float)
        return scores, keys, ~np.isnan(scores)

    def _call(self, batch: EditBatch) -> np.ndarray:
        out = np.asarray(self.scorer(batch), dtype=float)
        if out.size != len(batch):
            raise ValueError(
                f"scorer returned {out.size} scores for a batch of {len(batch)} sequences; it "
                "must return one score per sequence, shaped (n,)"
            )
        out = out.reshape(-1)
        if not np.isfinite(out).all():
            raise ValueError("scorer returned NaN or infinite scores; make it return finite floats")
        return out


@dataclass
class SearchResult:
    """Outcome of :func:`search`.

    Attributes
    ----------
    archive : Archive
        The archive.
    space : SearchSpace
        Grammar and reference searched.
    original_score : float
        Score of the unedited reference.
    log : list of dict
        One row per generation: ``generation, evaluations, new_evaluations, cache_hits,
        archived, archive_size, quality, size, uniformity, diversity, coverage, mean_fitness,
        max_fitness, mean_units, prune_evaluations, elapsed, frontier`` (``mean_units`` of the
        archive, ``prune_evaluations`` spent pruning after that generation, ``frontier``
        whether the next generation was bred with frontier selection).
    evaluations, generations : int
        Budget spent (``evaluations`` includes pruning's).
    elapsed : float
        Wall time in seconds.
    stop_reason : str
        ``"evaluations"``, ``"time"``, ``"generations"``, ``"archive"``, ``"stalled"``, or
        ``"error"`` (the scorer raised: the result of an interrupted search, see
        :func:`search`).
    settings : SearchSettings
        Settings used.
    seed : int or None
        Integer seed (``None`` when a Generator was passed).
    tracked : numpy.ndarray
        ``(T,)`` tracked reference positions.
    scorer_name : str
        Name of the scorer.
    out_of_range : int
        Distinct edited sequences scored outside ``settings.score_range``: never archived
        (search warns when there are any).
    prune_evaluations : int
        Evaluations spent pruning (part of ``evaluations``).
    pruning : list of dict
        One :class:`~.prune.PruneReport` per pruning, with its ``generation`` (``"end"`` for
        the end of the run).
    locality : dict
        :func:`~.locality.locality_statistics` of the final archive (mean and median exact
        edit distance to the reference, mean units).
    scored : dict
        Score of every distinct model input the search scored, by :func:`sequence_key`
        (16 bytes each); :func:`~.prune.prune_result` reuses them instead of scoring again.
    """

    archive: Archive
    space: SearchSpace
    original_score: float
    log: list[dict[str, float]]
    evaluations: int
    generations: int
    elapsed: float
    stop_reason: str
    settings: SearchSettings
    seed: int | None
    tracked: np.ndarray
    scorer_name: str = field(default="scorer")
    out_of_range: int = 0
    prune_evaluations: int = 0
    pruning: list[dict[str, Any]] = field(default_factory=list)
    locality: dict[str, float] = field(default_factory=dict)
    scored: dict[bytes, float] = field(default_factory=dict, repr=False)

    def provenance(self) -> dict[str, Any]:
        """JSON-ready record of how the archive was made (``quality_trace``: the evaluations
        spent and the archive quality after each generation, from :attr:`log`)."""
        return {
            "seed": self.seed,
            "settings": self.settings.describe(),
            "grammar": self.space.grammar.describe(),
            "scorer": self.scorer_name,
            "original_score": self.original_score,
            "tracked": self.tracked.tolist(),
            "evaluations": self.evaluations,
            "generations": self.generations,
            "stop_reason": self.stop_reason,
            "out_of_range": self.out_of_range,
            "prune_evaluations": self.prune_evaluations,
            "pruned_individuals": sum(int(p["pruned"]) for p in self.pruning),
            "units_removed": sum(int(p["units_removed"]) for p in self.pruning),
            "pruning": list(self.pruning),
            "locality": dict(self.locality),
            "quality_trace": {
                "evaluations": [int(row["evaluations"]) for row in self.log],
                "quality": [float(row["quality"]) for row in self.log],
            },
        }


def _split(total: int, weights) -> np.ndarray:
    """Largest-remainder split of ``total`` by ``weights``."""
    w = np.asarray(weights, dtype=float)
    exact = total * w / w.sum()
    counts = np.floor(exact).astype(np.int64)
    rest = total - counts.sum()
    counts[np.argsort(-(exact - counts), kind="stable")[:rest]] += 1
    return counts


def next_generation(
    space: SearchSpace,
    population: Population,
    fitness: np.ndarray,
    settings: SearchSettings,
    rng: np.random.Generator,
    frontier: np.ndarray | None = None,
) -> Population:
    """Breed the next generation.

    ``"gggp"``: a weighted parallel of elitism (fittest copied), novelty (fresh random) and
    tournament selection -> crossover (a share ``settings.union_share`` of it by
    :func:`~.operators.union_crossover`) -> mutation, then repair.  ``"random"``: all fresh.
    With ``settings.parsimony="lexicographic"`` selection ranks fitness ties by fewer units,
    then fewer bases edited (:func:`~.operators.parsimony_rank`).  Given ``frontier``,
    selection ranks by it first (nearer the bins that still admit is better), then as above.

    Parameters
    ----------
    space : SearchSpace
        Grammar bound to the reference.
    population : Population
        ``n`` evaluated individuals.
    fitness : numpy.ndarray
        ``(n,)`` their fitness.
    settings : SearchSettings
        Operator settings.
    rng : numpy.random.Generator
        Source of randomness.
    frontier : numpy.ndarray, optional
        ``(n,)`` distance in bins from each individual's score to the nearest bin that still
        admits (:func:`~.fitness.frontier_distance`).

    Returns
    -------
    Population
        ``settings.population_size`` repaired individuals.
    """
    size = settings.population_size
    if settings.strategy == "random" or len(population) == 0:
        return random_population(space, size, rng)
    n_op, n_elite, n_novel = _split(
        size, (settings.operators_weight, settings.elitism_weight, settings.novelty_weight)
    )
    merit = np.asarray(fitness, dtype=float)
    if settings.parsimony == "lexicographic":
        merit = -parsimony_rank(merit, population, settings.tie_tolerance).astype(float)
    if frontier is not None:  # nearer the admitting bins first, then merit
        merit = -dense_rank(frontier, -merit).astype(float)
    elite = population.take(np.argsort(-merit, kind="stable")[: min(n_elite, len(population))])
    novel = random_population(space, n_novel + n_elite - len(elite), rng)
    first = tournament_select(merit, n_op, settings.tournament_size, rng)
    second = tournament_select(merit, n_op, settings.tournament_size, rng)
    cross = positional_crossover if settings.crossover_operator == "positional" else crossover
    joined = np.zeros(n_op, bool)
    if settings.union_share > 0:  # draws nothing when off: seeds replay earlier runs
        joined = rng.random(n_op) < settings.union_share
    children = Population.concatenate(
        [
            cross(population, first[~joined], second[~joined], settings.crossover_probability, rng),
            union_crossover(population, first[joined], second[joined], 1.0, rng),
        ]
    )
    children = mutate(
        space,
        children,
        settings.mutation_probability,
        settings.locality_weight,
        settings.sigma,
        rng,
    )
    return Population.concatenate([elite, novel, repair(space, children, rng)])


def _rng(seed: SeedLike) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        raise ValueError("give seed= an int (or a numpy Generator) so the search is reproducible")
    return np.random.default_rng(int(seed))


@renamed_arguments(progress="show_progress")
def search(
    reference,
    scorer: Scorer,
    *,
    grammar: Grammar | None = None,
    settings: SearchSettings | None = None,
    tracked=(),
    seed: SeedLike = 0,
    show_progress: bool = False,
) -> SearchResult:
    """Grow an archive of perturbations of ``reference`` whose scores spread over the range.

    Runs generations until the first budget is spent: evaluations, wall time, generations, or
    the archive reaching its target size.  With the same seed and evaluation (or generation)
    budget the archive is identical run to run.

    Generation 0 archives what scores at least ``initial_min_delta`` from the reference; later
    generations archive by ``settings.admission`` (default: fitness > 0 against the archive as
    it stood before the generation, as the method does).  The archive is pruned after the
    generations in ``settings.prune_generations`` and, with ``prune="end"``, after the run
    (:func:`~.prune.prune_archive`).  When the time budget ends the run before the archive is
    full, a warning says so.

    Parameters
    ----------
    reference : str or numpy.ndarray
        ``(L,)`` reference sequence (text or uint8 codes).
    scorer : callable
        ``scorer(EditBatch) -> (n,)`` scores (see the module docstring).
    grammar : Grammar, optional
        Perturbation grammar (default :class:`Grammar()`).
    settings : SearchSettings, optional
        Search settings; one budget at least must be set, e.g.
        ``SearchSettings(max_evaluations=10_000)``.
    tracked : sequence of int
        ``(T,)`` reference positions (e.g. splice sites) followed into ``EditBatch.tracked``.
    seed : int or numpy.random.Generator
        Randomness source.
    show_progress : bool
        Show a tqdm progress bar of evaluations (``progress=`` is its deprecated name).

    Returns
    -------
    SearchResult

    Raises
    ------
    Exception
        Whatever the scorer raises, unchanged in type, after the scoring of the reference.
        Nothing evaluated is lost: the scores received before the error (those of the failing
        generation included) are archived, and the exception carries the result so far as its
        ``partial`` attribute (a :class:`SearchResult` with ``stop_reason="error"``; recover
        the rows with ``LocalDataset.from_search(err.partial)``). An error while scoring the
        reference itself is raised as it is, without ``partial`` (nothing was evaluated).
        An error while pruning leaves the archive as it was before that pruning.
    """
    if settings is None:
        raise ValueError(
            "pass settings=SearchSettings(...) with a budget (max_evaluations, max_time or "
            "max_generations)"
        )
    space = (grammar or Grammar()).bind(reference)
    rng = _rng(seed)
    fitness_fn = get_fitness(settings.fitness)
    archive = Archive(
        Binning(settings.n_bins, *settings.score_range, settings.n_sub_bins),
        settings.archive_size,
        settings.min_per_bin,
    )
    bar = tqdm(
        total=settings.max_evaluations,
        disable=not show_progress,
        desc="GGGP evaluations",
        unit="seq",
    )
    evaluator = Evaluator(
        space, scorer, tracked, settings.batch_size, settings.sequence_length, settings.trim, bar
    )
    start = time.perf_counter()
    deadline = None if settings.max_time is None else start + settings.max_time
    empty = Population.empty(1, space.grammar.max_units, space.alt_width)
    original, original_keys, _ = evaluator(empty)
    archive.exclude(original_keys)
    original_score = float(original[0])

    log: list[dict[str, float]] = []
    pruning: list[dict[str, Any]] = []

    def left_of() -> int | None:
        if settings.max_evaluations is None:
            return None
        return settings.max_evaluations - evaluator.evaluations

    generation = 0
    idle = 0
    failure: Exception | None = None
    population = random_population(space, settings.population_size, rng)
    while True:
        stop = _stop_reason(settings, evaluator, archive, generation, deadline, idle)
        if stop is not None:
            break
        before, hits_before = evaluator.evaluations, evaluator.cache_hits
        try:
            scores, keys, scored = evaluator(population, left_of(), deadline)
        except Exception as err:  # keep what was scored: archive it, then re-raise with it
            failure = err
            scores, keys, scored = evaluator(population, 0)
        if not scored.all():  # a budget ran out inside this generation: keep the scored part
            population = population.take(scored)
            scores = scores[scored]
            keys = [k for k, ok in zip(keys, scored) if ok]
        bins, _ = archive.binning.assign(scores)
        fitness = np.asarray(fitness_fn(bins, archive.counts, settings.archive_size), float)
        eligible = None
        if generation == 0:
            eligible = np.abs(scores - original_score) >= settings.initial_min_delta
        elif settings.admission == "fitness":  # >= 0 while empty: IAD gains nothing then
            eligible = fitness >= 0 if len(archive) == 0 else fitness > 0
        added = archive.add(keys, scores, population, generation, fitness, eligible)
        new = evaluator.evaluations - before
        idle = idle + 1 if new == 0 else 0
        pruned_with = evaluator.evaluations
        if failure is None and generation in settings.prune_generations:
            failure = _prune(archive, evaluator, settings, generation, pruning, left_of(), deadline)
        quality = archive.quality()
        row = {
            "generation": generation,
            "evaluations": evaluator.evaluations,
            "new_evaluations": new,
            "cache_hits": evaluator.cache_hits - hits_before,
            "archived": int(added.sum()),
            "archive_size": len(archive),
            **quality._asdict(),
            "mean_fitness": float(fitness.mean()) if fitness.size else math.nan,
            "max_fitness": float(fitness.max()) if fitness.size else math.nan,
            "mean_units": archive.mean_units,
            "prune_evaluations": evaluator.evaluations - pruned_with,
            "elapsed": time.perf_counter() - start,
            "frontier": False,
        }
        log.append(row)
        logger.debug(
            "generation %(generation)d: archive %(archive_size)d, quality %(quality).4f", row
        )
        bar.set_postfix(archive=len(archive), quality=f"{quality.quality:.3f}", refresh=False)
        generation += 1
        if failure is not None:
            stop = "error"
            break
        if _stop_reason(settings, evaluator, archive, generation, deadline, idle) is None:
            frontier = None
            archived = int(added.sum())
            stalled = archived == 0 or archived < settings.stall_share * len(population)
            mode = settings.frontier_mode
            if mode == "always" or (mode == "stalled" and stalled):
                admitting = open_bins(fitness_fn, archive.counts, settings.archive_size)
                frontier = frontier_distance(bins, admitting)
                row["frontier"] = True
            population = next_generation(space, population, fitness, settings, rng, frontier)
    if failure is None and settings.prune == "end":
        failure = _prune(
            archive, evaluator, settings, "end", pruning, settings.prune_max_evaluations, None
        )
        stop = "error" if failure is not None else stop
    bar.close()
    if stop == "time" and not archive.full:
        warnings.warn(
            f"the time budget (max_time={settings.max_time:g} s) ended the search with "
            f"{len(archive)} of {settings.archive_size} archived after {evaluator.evaluations} "
            "evaluations; raise SearchSettings(max_time=...) or set max_evaluations instead to "
            "fill the archive",
            UserWarning,
            stacklevel=3,
        )
    out_of_range = _warn_out_of_range(evaluator, original_keys[0], archive.binning)
    result = SearchResult(
        archive=archive,
        space=space,
        original_score=original_score,
        log=log,
        evaluations=evaluator.evaluations,
        generations=generation,
        elapsed=time.perf_counter() - start,
        stop_reason=stop,
        settings=settings,
        seed=None if isinstance(seed, np.random.Generator) else int(seed),
        tracked=evaluator.tracked,
        scorer_name=str(
            getattr(scorer, "name", None) or getattr(scorer, "__name__", type(scorer).__name__)
        ),
        out_of_range=out_of_range,
        prune_evaluations=sum(int(p["evaluations"]) for p in pruning),
        pruning=pruning,
        locality=locality_statistics(space, archive.entries()[0]),
        scored=evaluator.cache,
    )
    if failure is not None:
        failure.partial = result
        note = (
            f"the GGGP search kept its {result.evaluations} evaluations made before this error: "
            f"the {len(archive)} archived are in this exception's .partial (a SearchResult; "
            "LocalDataset.from_search(err.partial) makes them a local dataset)"
        )
        if hasattr(failure, "add_note"):  # Python 3.11+
            failure.add_note(note)
        raise failure
    return result


def _prune(
    archive: Archive,
    evaluator: Evaluator,
    settings: SearchSettings,
    generation: int | str,
    pruning: list[dict[str, Any]],
    max_evaluations: int | None,
    deadline: float | None,
) -> Exception | None:
    """Prune the archive, appending the report to ``pruning``; return the scorer's exception
    (the archive then unchanged) instead of raising it."""
    try:
        report = prune_archive(
            archive,
            evaluator,
            tolerance=settings.prune_tolerance,
            repeat=settings.prune_repeat,
            max_evaluations=max_evaluations,
            deadline=deadline,
        )
    except Exception as err:
        return err
    pruning.append({"generation": generation, **report.as_dict()})
    return None


def _warn_out_of_range(evaluator: Evaluator, original_key: bytes, binning: Binning) -> int:
    """Count the distinct edited sequences scored outside the binning's range (never
    archived), and warn once with the count and the fix when there are any."""
    scores = np.array([v for k, v in evaluator.cache.items() if k != original_key], dtype=float)
    outside = scores[binning.assign(scores)[0] < 0]
    if outside.size:
        warnings.warn(
            f"{outside.size} of {scores.size} edited sequences scored outside "
            f"score_range=({binning.low:g}, {binning.high:g}) (from {outside.min():.4g} to "
            f"{outside.max():.4g}) and were not archived; widen "
            "SearchSettings(score_range=...) (the archive's Binning) to the range the scores "
            "take",
            UserWarning,
            stacklevel=4,  # the caller of search (through its argument-renaming wrapper),
        )
    return int(outside.size)


def _stop_reason(
    settings: SearchSettings,
    evaluator: Evaluator,
    archive: Archive,
    generation: int,
    deadline: float | None,
    idle: int,
) -> str | None:
    if settings.max_evaluations is not None and evaluator.evaluations >= settings.max_evaluations:
        return "evaluations"
    if deadline is not None and time.perf_counter() >= deadline:
        return "time"
    if settings.max_generations is not None and generation >= settings.max_generations:
        return "generations"
    if archive.full:
        return "archive"
    if idle >= settings.patience:
        return "stalled"
    return None
