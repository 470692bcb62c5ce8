"""Motifs: MEME files, FIMO scans (``memelite``) and motif analysis of local datasets.

:func:`read_meme` / :func:`default_splicing_motifs` give :class:`Motif` objects,
:func:`scan_motifs` finds their :class:`Occurrences`, :func:`motif_changes` counts the
occurrences each individual of a GGGP local dataset creates and breaks, and
:func:`motif_enrichment` / :func:`fit_motif_surrogate` relate those changes to the score, and
:func:`motif_grammar` adds units that insert, delete or mutate motif occurrences to a GGGP grammar.
"""

from __future__ import annotations

from .analysis import (
    DIRECTIONS,
    ENRICHMENT_COLUMNS,
    MotifChanges,
    MotifSurrogate,
    benjamini_hochberg,
    fit_motif_surrogate,
    motif_changes,
    motif_enrichment,
)
from .grammar import load_motifs, motif_grammar
from .io import DEFAULT_PSEUDOCOUNT, IUPAC, Motif, default_splicing_motifs, read_meme, write_meme
from .scan import DEFAULT_THRESHOLD, STRANDS, MotifTable, Occurrences, scan_motifs

__all__ = [
    "DEFAULT_PSEUDOCOUNT",
    "DEFAULT_THRESHOLD",
    "DIRECTIONS",
    "ENRICHMENT_COLUMNS",
    "IUPAC",
    "STRANDS",
    "Motif",
    "MotifChanges",
    "MotifSurrogate",
    "MotifTable",
    "Occurrences",
    "benjamini_hochberg",
    "default_splicing_motifs",
    "fit_motif_surrogate",
    "motif_changes",
    "load_motifs",
    "motif_enrichment",
    "motif_grammar",
    "read_meme",
    "scan_motifs",
    "write_meme",
]
