"""Grammar-guided genetic programming for local datasets (numpy only).

Grow archives of perturbed sequences (SNVs, insertions, deletions, motif insertions, deletions
or mutations, or user kinds) whose model scores spread over the score range, as local datasets
for explaining one prediction.

Main entry points: :class:`Grammar` (what may change), :func:`search` with
:class:`SearchSettings` (how to search, budgets), :class:`LocalDataset` (the result as data) and
:func:`archive_quality` (how good an archive is); :func:`read_dress_csv` and
:func:`write_dress_csv` exchange datasets with the reference tool DRESS.
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
from .dress import DRESS_COLUMNS, read_dress_csv, write_dress_csv
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
from .locality import (
    edit_distances,
    individual_edit_distances,
    locality_statistics,
    score_matched_locality,
)
from .motif_units import (
    MotifDeletion,
    MotifInsertion,
    MotifMutation,
    MotifOccurrences,
    MotifSet,
    motif_kinds,
)
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
    union_crossover,
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
    "DRESS_COLUMNS",
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
    "MotifDeletion",
    "MotifInsertion",
    "MotifMutation",
    "MotifOccurrences",
    "MotifSet",
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
    "individual_edit_distances",
    "locality_statistics",
    "locality_mutation",
    "motif_kinds",
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
    "read_dress_csv",
    "repair",
    "score_matched_locality",
    "search",
    "standard_mutation",
    "tournament_select",
    "union_crossover",
    "write_dress_csv",
]
