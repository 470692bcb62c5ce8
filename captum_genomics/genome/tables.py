"""The study's gene quantile table: genes ranked by score, with genome-wide quantiles."""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping

import numpy as np

from captum_genomics._atomic import write_table
from captum_genomics.aggregate import IntervalScores

__all__ = ["QUANTILE_TABLE_COLUMNS", "genome_quantiles", "quantile_table", "write_quantile_table"]

QUANTILE_TABLE_COLUMNS = ("gene", "description", "score", "rank", "quantile",
                          "genome_quantile", "sets")


def genome_quantiles(track, values) -> np.ndarray:
    """Where values fall among all positions of a genome-wide track.

    Parameters
    ----------
    track : array_like, shape (L,)
        Per-position scores of the genome (NaN ignored).
    values : array_like, shape (K,)
        Scores to place, e.g. gene means from ``interval_scores``.

    Returns
    -------
    numpy.ndarray of float64, shape (K,)
        Fraction of the track's non-NaN positions scoring <= each value (NaN stays NaN).
    """
    t = np.asarray(track, dtype=np.float64).reshape(-1)
    t = np.sort(t[~np.isnan(t)])
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    out = np.searchsorted(t, v, side="right") / max(t.size, 1)
    return np.where(np.isnan(v), np.nan, out)


def quantile_table(genes: IntervalScores, track=None, top: int | None = 15,
                   descriptions: Mapping[str, str] | None = None,
                   gene_sets: Mapping[str, Collection[str]] | None = None) -> list[dict]:
    """The study's table: genes by decreasing quantile, with descriptions and set labels.

    Parameters
    ----------
    genes : IntervalScores
        From :func:`~captum_genomics.aggregate.interval_scores`.
    track : array_like, shape (L,), optional
        The per-position track the genes were scored on; adds ``genome_quantile``
        (:func:`genome_quantiles`), NaN without it.
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
    whole = (genome_quantiles(track, genes.score) if track is not None
             else np.full(len(genes), np.nan))
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
