"""A GGGP grammar with motif-aware units over the motif occurrences of one reference."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence

from captum_genomics.gggp.grammar import Grammar
from captum_genomics.gggp.motif_units import MotifOccurrences, MotifSet, motif_kinds

from .io import Motif, default_splicing_motifs, read_meme
from .scan import DEFAULT_THRESHOLD, scan_motifs

__all__ = ["load_motifs", "motif_grammar"]


def load_motifs(motifs: str | os.PathLike[str] | Sequence[Motif] | None) -> list[Motif]:
    """Motifs from a MEME file, a list of :class:`Motif`, or ``None`` (the shipped set).

    Parameters
    ----------
    motifs : str, path-like, sequence of Motif or None
        A MEME file path, motifs already read, or ``None`` for
        :func:`~captum_genomics.motifs.default_splicing_motifs`.

    Returns
    -------
    list of Motif

    Raises
    ------
    TypeError
        If ``motifs`` holds something else than :class:`Motif` objects.
    """
    if motifs is None:
        return default_splicing_motifs()
    if isinstance(motifs, (str, os.PathLike)):
        return read_meme(motifs)
    motifs = list(motifs)
    bad = [type(m).__name__ for m in motifs if not isinstance(m, Motif)]
    if bad or not motifs:
        raise TypeError(
            "motifs must be a MEME file path, a non-empty list of captum_genomics.motifs.Motif, "
            f"or None for the shipped splicing set; got {bad or 'an empty list'}"
        )
    return motifs


def motif_grammar(
    grammar: Grammar,
    reference,
    motifs: str | os.PathLike[str] | Sequence[Motif] | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    strands: str = "+",
    weights: tuple[float, float, float] = (1 / 3, 1 / 3, 1 / 3),
    max_changes: int = 2,
    destroy_threshold: float = 0.6,
) -> Grammar:
    """``grammar`` plus units that insert, delete or mutate motif occurrences of ``reference``.

    The reference is scanned once (:func:`~captum_genomics.motifs.scan_motifs`, FIMO p-value
    below ``threshold``); its occurrences become the sites of
    :class:`~captum_genomics.gggp.MotifDeletion` and :class:`~captum_genomics.gggp.MotifMutation`
    units, and every motif can be inserted by :class:`~captum_genomics.gggp.MotifInsertion`
    (consensus). The grammar's constraints (splice-site windows, region of interest,
    forbidden intervals) apply to the motif units as to the others: an occurrence that
    overlaps a forbidden position is never deleted or mutated.

    Parameters
    ----------
    grammar : Grammar
        The base grammar (its kinds are kept).
    reference : str or numpy.ndarray
        ``(L,)`` the sequence the search will edit (text or uint8 codes), in the orientation the
        motifs act on (transcript orientation for RNA-binding motifs).
    motifs : path, sequence of Motif or None
        See :func:`load_motifs` (``None``: the shipped splicing-regulatory set).
    threshold : float
        FIMO p-value threshold of the reference scan.
    strands : {"+", "both"}
        Strands scanned: ``"+"`` for RNA-binding motifs, ``"both"`` for DNA-binding ones.
    weights : tuple of 3 float
        Weights of motif insertion, deletion and mutation, beside the base grammar's kind
        weights (the defaults give the three motif kinds together the weight of the three
        standard kinds).
    max_changes, destroy_threshold : int, float
        :class:`~captum_genomics.gggp.MotifMutation` fields: bases changed at first, and the
        relative PWM score a mutated occurrence must fall below.

    Returns
    -------
    Grammar
        A copy of ``grammar`` with three more kinds. A kind with no admissible occurrence gets
        no units (binding the grammar warns).
    """
    motifs = load_motifs(motifs)
    found = scan_motifs(reference, motifs, threshold=threshold, strands=strands)
    motif_set = MotifSet(tuple(m.name for m in motifs), tuple(m.pwm for m in motifs))
    occurrences = MotifOccurrences(found.start, found.end, found.motif, tuple(found.strand))
    kinds = motif_kinds(
        motif_set, occurrences, weights, max_changes=max_changes, threshold=destroy_threshold
    )
    return dataclasses.replace(grammar, kinds=(*grammar.kinds, *kinds))
