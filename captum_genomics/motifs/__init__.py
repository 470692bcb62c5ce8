"""Motifs: MEME files, FIMO scans (``memelite``) and motif analysis of local datasets."""

from __future__ import annotations

from .io import DEFAULT_PSEUDOCOUNT, IUPAC, Motif, default_splicing_motifs, read_meme, write_meme

__all__ = [
    "DEFAULT_PSEUDOCOUNT",
    "IUPAC",
    "Motif",
    "default_splicing_motifs",
    "read_meme",
    "write_meme",
]
