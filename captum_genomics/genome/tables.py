"""The study's gene quantile table: genes ranked by score, with genome-wide quantiles."""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping

import numpy as np

from captum_genomics._atomic import write_table
from captum_genomics.aggregate import IntervalScores, genome_quantiles

__all__ = ["QUANTILE_TABLE_COLUMNS", "genome_quantiles", "quantile_table", "write_quantile_table"]

QUANTILE_TABLE_COLUMNS = ("gene", "description", "score", "rank", "quantile",
                          "genome_quantile", "sets")


def quantile_table(genes: IntervalScores, track=None, top: int | None = 15,
                   descriptions: Mapping[str, str] | None = None,
                   gene_sets: Mapping[str, Collection[str]] | None = None) -> list[dict]:
    """The study's table: genes by decreasing quantile, with descriptions and set labels.

    Parameters
    ----------
    genes : IntervalScores
        From :func:`~captum_genomics.aggregate.interval_scores`.
    track : array_like, shape (L,), optional
        A per-position track to place the genes on (:func:`genome_quantiles`); default: the
        ``genome_quantile`` that :func:`~captum_genomics.aggregate.interval_scores` computed
        on the track the genes were scored on.
    top : int or None, default 15
        Rows kept (the study showed 15); None keeps all.
    descriptions : mapping of str to str, optional
        Gene name to description (e.g. the GFF ``product``).
    gene_sets : mapping of str to collection of str, optional
        Set name to member gene names; a row's ``sets`` lists the sets holding it.

    Returns
    -------
    list of dict
        Keys :data:`QUANTILE_TABLE_COLUMNS`; highest score first (NaN scores last).
    """
    order = np.argsort(-np.nan_to_num(genes.score, nan=-np.inf), kind="stable")
    if top is not None:
        order = order[:top]
    whole = genes.genome_quantile if track is None else genome_quantiles(track, genes.score)
    descriptions = descriptions or {}
    membership = {name: set(map(str, members)) for name, members in (gene_sets or {}).items()}
    rows = []
    for k in order:
        name = str(genes.name[k])
        rows.append({
            "gene": name,
            "description": descriptions.get(name, ""),
            "score": float(genes.score[k]),
            "rank": int(genes.rank[k]),
            "quantile": float(genes.quantile[k]),
            "genome_quantile": float(whole[k]),
            "sets": ",".join(s for s, members in membership.items() if name in members),
        })
    return rows


def write_quantile_table(path: str | os.PathLike[str], rows: list[dict]) -> None:
    """Write :func:`quantile_table` rows as a tab-separated file, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Output file; its directory must exist.
    rows : list of dict
        From :func:`quantile_table`.
    """
    write_table(path, ([row[c] for c in QUANTILE_TABLE_COLUMNS] for row in rows),
                QUANTILE_TABLE_COLUMNS)
