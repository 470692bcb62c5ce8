"""Settings of a GGGP search: strategy, operators, archive, admission, pruning and budgets."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from .archive import Binning
from .fitness import FitnessFunction, get_fitness


@dataclass(frozen=True)
class SearchSettings:
    """Settings of a search; defaults follow the reference's tuned BinFiller configuration.

    Attributes
    ----------
    strategy : {"gggp", "random"}
        ``"random"`` replaces every generation by fresh random individuals (the baseline).
    fitness : str or callable
        ``"binfiller"``, ``"iad"`` or ``f(bins, counts, target_size) -> (n,)``.
    admission : {"fitness", "all"}
        Which scored individuals enter the archive after generation 0.  ``"fitness"`` (the
        method's rule, default): only those of fitness > 0, the fitness computed against the
        archive as it stood before the generation (BinFiller also counts the earlier members of
        the generation in the same bin, so bins cap at about ``1.05 * archive_size / n_bins``;
        IAD admits what raises the bin entropy; while the archive is empty, fitness >= 0 is
        enough, since no single score raises the entropy of nothing).  ``"all"``: every
        distinct in-range individual until the archive is full (the behaviour before 0.2, when
        the archive was simply the first ``archive_size`` distinct evaluations).  The random
        strategy uses the same rule.
    parsimony : {"lexicographic", "none"}
        ``"lexicographic"`` (default): selection (tournament and elitism) breaks fitness ties
        by fewer units, then by fewer bases edited, so at equal quality the archive stays
        closer to the input (BinFiller yields many ties).  ``"none"``: ties go to the first
        entrant.
    parsimony_tolerance : float or None
        Fitness differences up to this fraction of the generation's largest ``|fitness|``
        count as ties for ``"lexicographic"`` parsimony (fitness is read on a grid of that
        step); 0: exact ties only.  ``None`` (default): 0.3 for IAD, 0 otherwise.  IAD's
        entropy gain is continuous and has few exact ties: on the TUBB8 exon (SpliceAI
        ensemble, 1,500 evaluations, seed 0) 0.3 took IAD's mean edit distance from 10.4 to
        5.8 at nearly equal archive quality (0.580 to 0.575).  On BinFiller, whose fitness
        already ties by bin, 0.1 trades quality for locality by budget (two seeds): at
        1,500 evaluations 0.61 to 0.58 quality, 7.4 to 4.6 edits; at 5,000 0.81 to 0.89
        quality, 8.5 to 5.6 edits (it reached the lower half of the score range in both seeds).
    frontier : {"stalled", "always", "never"} or None
        Frontier selection: rank first by the distance, in bins, from an individual's score
        to the nearest bin that still admits (:func:`~.fitness.frontier_distance`), then by
        fitness (and parsimony).  Once the bins around the input's score are full, every
        individual there scores the same fitness (BinFiller's -1): the plain method drifts
        among ties and may never reach the far side of the score range; the frontier walks
        the population toward it.  ``"stalled"``: only in the generations after one that
        archived fewer than ``stall_fraction`` of its individuals; ``"always"``: every
        generation; ``"never"``: the reference's selection on fitness.  ``None`` (default):
        ``"stalled"`` for BinFiller and IAD, ``"never"`` for a callable.  On the TUBB8 exon
        (SpliceAI ensemble, 5,000 evaluations, three seeds) BinFiller's mean quality rose from
        0.77 to 0.81 and its mean edit distance from 8.8 to 9.3: one stalled run went from
        0.69 to 0.81 (coverage 0.53 to 0.85), one did not stall and was unchanged, one stayed
        stalled (0.69).  IAD's admissions fall below 5 % without any stall (the 5 % rule cost
        it quality, 0.68 to 0.64), so IAD waits for a generation that archives nothing
        (``stall_fraction`` 0): there every bin it reaches holds about the same count and no
        score raises the entropy.  That took IAD's stalled seed from 0.610 to 0.784 quality
        (coverage 0.95) and 6.08 to 5.56 mean edits; the two seeds that never stalled were
        unchanged (mean 0.754 to 0.812, 8.38 to 8.21 edits).
    stall_fraction : float or None
        ``frontier="stalled"`` steps in after a generation that archived fewer than this
        share of its individuals, or none of them.  ``None`` (default): 0.05 for BinFiller,
        0 (only generations that archive nothing) for IAD and callables.
    crossover_operator : {"positional", "one_point"}
        ``"positional"`` (default, size-neutral on average): the child takes the first
        parent's units left of a cut position drawn among both parents' unit positions and
        the second parent's units from it on.  ``"one_point"``: the first ``a`` units of
        one parent then the tail of the other (its children grow by half a unit on average).
    union_probability : float or None
        Share of the selected children made by :func:`~.operators.union_crossover` instead
        (every unit of one parent plus the other's that touch none of them), so two parents
        with different effects make a child with both in one step; 0: off.  ``None``
        (default): 0.05 for BinFiller, 0.1 for IAD, 0 for a callable fitness.  On the TUBB8
        exon (SpliceAI ensemble, seeds 0-2; random sampling 0.472 quality and 8.86 mean
        edits at 1,500 evaluations, 0.578 and 9.42 at 5,000): at 1,500 BinFiller went from
        0.608 to 0.639 quality and 7.95 to 8.34 edits (0.1: 0.649, 9.53 edits; 0.2: 0.599),
        IAD from 0.570 to 0.620 and 6.13 to 7.92 edits (0.05: 0.568; 0.2: 0.569); at 5,000
        BinFiller went from 0.812 to 0.770 and 9.27 to 9.20 edits, IAD from 0.678 to 0.754
        and 6.48 to 8.38 edits.  Every change is one seed's archive reaching, or not, the
        far half of the score range (there, both splice sites are weakened): the operator
        changes the odds, not the outcome of every run.
    population_size : int
        Individuals per generation.
    operators_weight, elitism_weight, novelty_weight : float
        Shares of each generation made by selection -> crossover -> mutation, by copying the
        fittest, and by fresh random individuals (normalised; 0.8, 0.0, 0.1).
    tournament_size : int
        Entrants per tournament.
    crossover_probability, mutation_probability : float
        Per-child chances (0.25, 0.7).
    locality_weight : float
        Share of mutations that are locality-aware (0.8).
    sigma : float
        Standard deviation of locality moves, in bases (4).
    n_bins, score_range, n_sub_bins : int, (float, float), int
        Archive binning (40 bins over [0, 1], 10 sub-bins). Sequences scored outside
        ``score_range`` are never archived: :func:`search` counts them
        (:attr:`SearchResult.out_of_range`, ``"out_of_range"`` in the provenance) and warns.
    archive_size : int
        Archive target size: capacity, BinFiller target and a stopping criterion.
    min_per_bin : int
        Coverage threshold of the quality metric.
    initial_min_delta : float
        Generation 0 archives only scores at least this far from the reference's score.
    max_evaluations : int or None
        Budget of distinct model inputs scored, the reference included (pruning during the
        run included; pruning at the end has its own ``prune_max_evaluations``).
    max_time : float or None
        Wall-time budget in seconds (checked between scorer calls).
    max_generations : int or None
        Budget of generations.
    patience : int
        Stop after this many generations in a row without a new evaluation (generations that
        score new sequences but archive none do not count: the run goes on to a budget, as
        the method's does).
    prune : {"none", "end"}
        ``"end"``: prune the archive after the search (see :func:`~.prune.prune_archive`):
        each archived individual loses a unit whose removal leaves its score unchanged.
        Default ``"none"`` because pruning at the end costs up to ``mean units * archive
        size`` further evaluations (3-4 times a 5,000-evaluation search); ask for it.
    prune_generations : tuple of int
        Generations after whose archiving the archive is also pruned (within the evaluation
        and time budgets of the search).
    prune_tolerance : float or None
        A variant "scores the same" when ``|variant - archived score| <= prune_tolerance``;
        ``None`` (default, the reference's rule) when both rounded to 4 decimals are equal.
    prune_repeat : bool
        Repeat pruning passes until no unit can be dropped (default ``False``: one pass, one
        unit per individual, as the reference does).
    prune_max_evaluations : int or None
        Budget of new evaluations for the end-of-run pruning (``None``: unlimited).  Its
        evaluations are counted in :attr:`SearchResult.evaluations` and reported apart as
        ``prune_evaluations``.
    batch_size : int
        Most sequences per scorer call.
    sequence_length : int or None
        Fixed model input length: edited sequences are padded with N or trimmed at ``trim``'s
        end.  ``None`` passes variable lengths.
    trim : {"right", "left"}
        End where padding or trimming happens.
    """

    strategy: str = "gggp"
    fitness: str | FitnessFunction = "binfiller"
    admission: str = "fitness"
    parsimony: str = "lexicographic"
    parsimony_tolerance: float | None = None
    frontier: str | None = None
    stall_fraction: float | None = None
    crossover_operator: str = "positional"
    union_probability: float | None = None
    population_size: int = 500
    operators_weight: float = 0.8
    elitism_weight: float = 0.0
    novelty_weight: float = 0.1
    tournament_size: int = 5
    crossover_probability: float = 0.25
    mutation_probability: float = 0.7
    locality_weight: float = 0.8
    sigma: float = 4.0
    n_bins: int = 40
    score_range: tuple[float, float] = (0.0, 1.0)
    n_sub_bins: int = 10
    archive_size: int = 5000
    min_per_bin: int = 10
    initial_min_delta: float = 0.1
    max_evaluations: int | None = None
    max_time: float | None = None
    max_generations: int | None = None
    patience: int = 50
    batch_size: int = 256
    sequence_length: int | None = None
    trim: str = "right"
    prune: str = "none"
    prune_generations: tuple[int, ...] = ()
    prune_tolerance: float | None = None
    prune_repeat: bool = False
    prune_max_evaluations: int | None = None

    def __post_init__(self) -> None:
        if self.strategy not in ("gggp", "random"):
            raise ValueError(f"strategy must be 'gggp' or 'random', got {self.strategy!r}")
        get_fitness(self.fitness)
        for name, allowed in (
            ("admission", ("fitness", "all")),
            ("parsimony", ("lexicographic", "none")),
            ("frontier", ("stalled", "always", "never", None)),
            ("crossover_operator", ("positional", "one_point")),
            ("prune", ("none", "end")),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        if self.parsimony_tolerance is not None and not 0 <= self.parsimony_tolerance < 1:
            raise ValueError(
                f"parsimony_tolerance must lie in [0, 1) or be None, got "
                f"{self.parsimony_tolerance}"
            )
        if self.stall_fraction is not None and not 0 <= self.stall_fraction <= 1:
            raise ValueError(
                f"stall_fraction must lie in [0, 1] or be None, got {self.stall_fraction}"
            )
        if self.union_probability is not None and not 0 <= self.union_probability <= 1:
            raise ValueError(
                f"union_probability must lie in [0, 1] or be None, got {self.union_probability}"
            )
        object.__setattr__(self, "prune_generations", tuple(int(g) for g in self.prune_generations))
        if self.prune_tolerance is not None and not self.prune_tolerance >= 0:
            raise ValueError(f"prune_tolerance must be >= 0 or None, got {self.prune_tolerance}")
        if self.prune_max_evaluations is not None and int(self.prune_max_evaluations) < 0:
            raise ValueError(
                f"prune_max_evaluations must be >= 0 or None, got {self.prune_max_evaluations}"
            )
        for name in (
            "population_size",
            "tournament_size",
            "archive_size",
            "batch_size",
            "patience",
            "n_bins",
            "n_sub_bins",
        ):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)}")
        weights = np.array([self.operators_weight, self.elitism_weight, self.novelty_weight])
        if (weights < 0).any() or weights.sum() <= 0:
            raise ValueError(
                f"operators/elitism/novelty weights must be >= 0 with a positive sum, got {weights}"
            )
        for name in (
            "crossover_probability",
            "mutation_probability",
            "locality_weight",
        ):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {getattr(self, name)}")
        if not self.sigma > 0:
            raise ValueError(f"sigma must be > 0, got {self.sigma}")
        object.__setattr__(self, "score_range", tuple(float(v) for v in self.score_range))
        Binning(self.n_bins, *self.score_range, self.n_sub_bins)
        budgets = (self.max_evaluations, self.max_time, self.max_generations)
        if all(b is None for b in budgets):
            raise ValueError(
                "give at least one of max_evaluations, max_time or max_generations: the archive "
                "target alone may never be reached"
            )
        for name, value in zip(("max_evaluations", "max_time", "max_generations"), budgets):
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be positive or None, got {value}")
        if self.sequence_length is not None and int(self.sequence_length) < 1:
            raise ValueError(
                f"sequence_length must be positive or None, got {self.sequence_length}"
            )
        if self.trim not in ("right", "left"):
            raise ValueError(f"trim must be 'right' or 'left', got {self.trim!r}")

    @property
    def tie_tolerance(self) -> float:
        """The parsimony tolerance in force (``parsimony_tolerance``, or its default for the
        fitness function)."""
        if self.parsimony_tolerance is not None:
            return float(self.parsimony_tolerance)
        return 0.3 if _named(self.fitness) == "iad" else 0.0

    @property
    def union_share(self) -> float:
        """The union crossover share in force (``union_probability``, or its default for the
        fitness function)."""
        if self.union_probability is not None:
            return float(self.union_probability)
        return {"binfiller": 0.05, "iad": 0.1}.get(_named(self.fitness), 0.0)

    @property
    def stall_share(self) -> float:
        """The stall threshold in force (``stall_fraction``, or its default for the fitness
        function)."""
        if self.stall_fraction is not None:
            return float(self.stall_fraction)
        return 0.05 if _named(self.fitness) == "binfiller" else 0.0

    @property
    def frontier_mode(self) -> str:
        """The frontier selection in force (``frontier``, or its default for the fitness
        function)."""
        if self.frontier is not None:
            return self.frontier
        return "stalled" if _named(self.fitness) in ("binfiller", "iad") else "never"

    def describe(self) -> dict[str, Any]:
        """JSON-ready settings (a callable fitness is recorded by name)."""
        out = dataclasses.asdict(self)
        if callable(self.fitness):
            out["fitness"] = getattr(self.fitness, "__name__", type(self.fitness).__name__)
        out["score_range"] = list(self.score_range)
        out["prune_generations"] = list(self.prune_generations)
        return out


def _named(fitness) -> str | None:
    """The lower-case name of a named fitness function, ``None`` for a callable."""
    return fitness.lower() if isinstance(fitness, str) else None
