"""Grammar-guided genetic programming for local datasets (numpy only).

Grow archives of perturbed sequences (SNVs, insertions, deletions, or user kinds) whose model
scores spread over the score range, as local datasets for explaining one prediction.

Main entry points: :class:`Grammar` (what may change), :func:`search` with
:class:`SearchSettings` (how to search, budgets), :class:`LocalDataset` (the result as data) and
:func:`archive_quality` (how good an archive is).
"""

from __future__ import annotations

from .archive import (
    Archive,
    Binning,
    QualityComponents,
    archive_quality,
    normalized_entropy,
    quality_components,
)
from .dataset import LocalDataset
from .fitness import FITNESS_FUNCTIONS, binfiller, get_fitness, iad
from .grammar import (
    SNV,
    Deletion,
    Grammar,
    Insertion,
    SearchSpace,
    UnitDraw,
    UnitKind,
    decode_sequence,
    encode_sequence,
)
from .locality import edit_distances, locality_statistics
from .operators import (
    crossover,
    locality_mutation,
    mutate,
    parsimony_rank,
    positional_crossover,
    random_population,
    repair,
    standard_mutation,
    tournament_select,
)
from .population import (
    EditBatch,
    Population,
    apply_population,
    format_phenotypes,
    parse_phenotypes,
)
from .prune import PruneReport, drop_each_unit, prune_archive, prune_result
from .search import Evaluator, SearchResult, next_generation, search
from .settings import SearchSettings

__all__ = [
    "FITNESS_FUNCTIONS",
    "SNV",
    "Archive",
    "Binning",
    "Deletion",
    "EditBatch",
    "Evaluator",
    "Grammar",
    "Insertion",
    "LocalDataset",
    "Population",
    "PruneReport",
    "QualityComponents",
    "SearchResult",
    "SearchSettings",
    "SearchSpace",
    "UnitDraw",
    "UnitKind",
    "apply_population",
    "archive_quality",
    "binfiller",
    "crossover",
    "decode_sequence",
    "drop_each_unit",
    "edit_distances",
    "encode_sequence",
    "format_phenotypes",
    "get_fitness",
    "iad",
    "locality_statistics",
    "locality_mutation",
    "mutate",
    "next_generation",
    "normalized_entropy",
    "parse_phenotypes",
    "parsimony_rank",
    "positional_crossover",
    "prune_archive",
    "prune_result",
    "quality_components",
    "random_population",
    "repair",
    "search",
    "standard_mutation",
    "tournament_select",
]
