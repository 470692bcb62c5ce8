"""Delta attributions at scale: every delta score that matters, and their files.

:func:`explain_deltas` explains each (variant, gene, kind) whose delta score reaches
``min_score`` with :func:`~captum_genomics.variants.explain_delta`'s definition and code,
batching the integrated-gradients runs over windows of one length;
:class:`DeltaAttributionWriter` writes each result as it comes, one ``.npz`` per item, plus a
summary TSV, and :func:`read_delta_attribution` reads an ``.npz`` back.

Example::

    with DeltaAttributionWriter("explained") as writer:
        for result in explain_deltas(model, "ref.fa", variants, table, min_score=0.5):
            writer.add(result)
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import torch

from captum_genomics._atomic import atomic_open, write_table
from captum_genomics.variants.annotation import GeneTable
from captum_genomics.variants.delta import _check, _device_of
from captum_genomics.variants.explain import (
    DELTA_KINDS,
    DeltaAttribution,
    _attribute,
    _check_kind,
    _Item,
    _item,
    _predicted,
)
from captum_genomics.variants.haplotype import (
    Variant,
    _aligned,
    _checked,
    _model_context,
    _scores,
    _window,
)

__all__ = ["EXPLAIN_SUMMARY_COLUMNS", "DeltaAttributionWriter", "explain_deltas",
           "read_delta_attribution"]

LOGGER = logging.getLogger("captum_genomics.variants")


def explain_deltas(model, fasta, variants: Iterable[Variant], annotation: GeneTable,
                   kinds: Sequence[str] = tuple(DELTA_KINDS), min_score: float = 0.2,
                   distance: int = 50, n_steps: int = 50, method: str | None = None,
                   internal_batch_size: int | None = None, batch_size: int = 16,
                   windows_per_call: int = 8, device=None) -> Iterator[DeltaAttribution]:
    """Attribute every delta score that matters: each (variant, gene, kind) reaching ``min_score``.

    Each variant is scored alone in each gene whose transcript covers it (as
    :func:`~captum_genomics.variants.haplotype_scores` scores a one-variant haplotype: the
    upstream scores, unmasked, with MNPs applied), and each kind of ``kinds`` whose delta
    score is at least ``min_score`` is explained at its own position as :func:`explain_delta`
    does (same definition, same code). The IG runs are batched: all REF and ALT windows of a
    group of items that have one length (every REF window, and the ALT window of every SNV
    or MNP) go through one :class:`~captum_genomics.attr.GenomicIntegratedGradients` call,
    each row with its own site, strand and channel.

    Parameters
    ----------
    model : torch.nn.Module
        SpliceAI-like, (N, 4, L + context) -> (N, 3, L) probabilities, with ``context``.
    fasta : str, os.PathLike or pyfaidx.Fasta
    variants : iterable of Variant
        Explained one by one (not as a haplotype), in the given order.
    annotation : GeneTable
    kinds : sequence of {"AG", "AL", "DG", "DL"}, default all four
    min_score : float, default 0.2
        Smallest delta score explained (a common "possibly splice-altering" cut-off of
        SpliceAI's delta scores); 0 explains every kind of every variant.
    distance : int, default 50
        Upstream ``-D``.
    n_steps, method, internal_batch_size
        Of :meth:`GenomicIntegratedGradients.attribute`; ``internal_batch_size`` bounds the
        forward batch over all windows of one call and their steps.
    batch_size : int, default 16
        Sequences per forward pass when scoring.
    windows_per_call : int, default 8
        Windows (REF or ALT) attributed by one IG call; with ``n_steps`` it sets the memory
        of the call (``windows_per_call * n_steps`` one-hot windows).
    device : torch.device or str, optional
        Default the model's.

    Yields
    ------
    DeltaAttribution
        With ``variant`` set; by variant, then gene (table order), then kind (``kinds``
        order). Symbolic ALTs, variants outside every gene, and variants that cannot be
        applied (REF mismatch, too near a chromosome end, REF longer than 2 * distance) are
        skipped with a logged warning.

    Raises
    ------
    ValueError
        For an unknown kind, or ``min_score``, ``distance``, ``batch_size`` or
        ``windows_per_call`` out of range.
    """
    from captum_genomics.dna.fasta import _open_fasta

    for kind in kinds:
        _check_kind(kind)
    if not min_score >= 0:
        raise ValueError(f"min_score must be >= 0, got {min_score!r}")
    if isinstance(windows_per_call, bool) or not isinstance(windows_per_call, int) \
            or windows_per_call < 1:
        raise ValueError(f"windows_per_call must be an integer >= 1, got {windows_per_call!r}")
    _check(distance, batch_size)
    context = _model_context(model)
    device = _device_of(model, device)
    handle, owned = _open_fasta(fasta)
    try:
        plans, items = [], []
        for variant in variants:
            try:
                (variant,) = _checked([variant])
                for gene in annotation.overlapping(variant.chrom, variant.pos):
                    plans.append((variant, str(annotation.names[gene]),
                                  _window(handle, [variant], gene, annotation, distance,
                                          context)))
            except ValueError as problem:
                LOGGER.warning("Not explaining: %s", problem)
            if len(plans) >= batch_size:
                items += _selected(model, plans, kinds, min_score, distance, batch_size,
                                   device, context)
                plans = []
            while len(items) >= windows_per_call:
                yield from _attribute(model, items[:windows_per_call], n_steps, method,
                                      internal_batch_size, windows_per_call, device)
                items = items[windows_per_call:]
        items += _selected(model, plans, kinds, min_score, distance, batch_size, device,
                           context)
        for start in range(0, len(items), windows_per_call):
            yield from _attribute(model, items[start:start + windows_per_call], n_steps,
                                  method, internal_batch_size, windows_per_call, device)
    finally:
        if owned:
            handle.close()


def _selected(model, plans: list, kinds: Sequence[str], min_score: float, distance: int,
              batch_size: int, device, context: int) -> list[_Item]:
    """The items of the planned (variant, gene, window)s whose delta reaches ``min_score``."""
    if not plans:
        return []
    outputs = _predicted(model, [window for *_, window in plans], batch_size, device, context)
    items = []
    for (variant, gene, window), (y_ref, y_alt) in zip(plans, outputs):
        scores, positions = _scores(y_ref, _aligned(y_alt, window, context), distance,
                                    window.boundary, False)
        for kind in kinds:
            k = list(DELTA_KINDS).index(kind)
            if abs(scores[k]) >= min_score:
                items.append(_item(variant, gene, kind, positions[k], window, y_alt, distance,
                                   context))
    return items


#: Columns of the summary TSV of :class:`DeltaAttributionWriter`, one row per item: its file,
#: the variant, gene and kind, the site's offset, both scores, the delta, the base with the
#: largest absolute attribution (summed over channels; 1-based genome position) and its
#: attribution, and the completeness gap (``sum(attributions) - delta``).
EXPLAIN_SUMMARY_COLUMNS = ("file", "chrom", "pos", "ref", "alt", "gene", "kind", "offset",
                           "ref_score", "alt_score", "delta", "top_base_pos",
                           "top_base_attribution", "convergence_delta")
_SCALARS = ("start", "offset", "ref_score", "alt_score", "delta", "convergence_delta")


class DeltaAttributionWriter(contextlib.AbstractContextManager):
    """Write delta attributions to a folder: one ``.npz`` per item and a summary TSV.

    Each item is written when added, to ``NNNNN.npz`` (numbered from 00001 in the order
    added), atomically (:mod:`captum_genomics._atomic`), so a long run that stops keeps every
    finished item whole; the summary (:data:`EXPLAIN_SUMMARY_COLUMNS`) is written, atomically,
    when the block ends without error. One file per item keeps memory flat however many
    variants are explained. An ``.npz`` holds ``attributions``, ``ref_attributions`` and
    ``alt_attributions`` (each (4, L), genome orientation, channels A, C, G, T), ``start``
    (1-based genome position of column 0), ``chrom``, ``pos``, ``ref``, ``alt``, ``gene``,
    ``kind``, ``offset``, ``ref_score``, ``alt_score``, ``delta`` and ``convergence_delta``;
    :func:`read_delta_attribution` reads it back.

    Parameters
    ----------
    directory : str or os.PathLike
        An existing folder.
    summary : str, default "summary.tsv"
        Name of the summary file inside ``directory``.

    Attributes
    ----------
    paths : list of pathlib.Path
        The ``.npz`` files written so far.
    """

    def __init__(self, directory: str | os.PathLike, summary: str = "summary.tsv") -> None:
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise FileNotFoundError(f"{directory} is not a directory")
        self.summary = self.directory / summary
        self.paths: list[Path] = []
        self._rows: list[tuple] = []

    def add(self, result: DeltaAttribution) -> Path:
        """Write one item.

        Parameters
        ----------
        result : DeltaAttribution
            With ``variant`` set (as :func:`explain_deltas` yields).

        Returns
        -------
        pathlib.Path
            Its ``.npz`` file.
        """
        variant = result.variant
        if variant is None:
            raise ValueError("the DeltaAttribution has no variant: build it with "
                             "explain_delta or explain_deltas")
        path = self.directory / f"{len(self.paths) + 1:05d}.npz"
        arrays = {name: getattr(result, name)[0].cpu().numpy()
                  for name in ("attributions", "ref_attributions", "alt_attributions")}
        with atomic_open(path, "wb") as handle:
            np.savez_compressed(handle, **arrays, chrom=variant.chrom, pos=variant.pos,
                                ref=variant.ref, alt=variant.alt, gene=result.gene,
                                kind=result.kind,
                                **{name: getattr(result, name) for name in _SCALARS})
        per_base = arrays["attributions"].sum(0)
        top = int(np.abs(per_base).argmax())
        self._rows.append((path.name, variant.chrom, variant.pos, variant.ref, variant.alt,
                           result.gene, result.kind, result.offset, result.ref_score,
                           result.alt_score, result.delta, result.start + top,
                           float(per_base[top]), result.convergence_delta))
        self.paths.append(path)
        return path

    def __exit__(self, *exc_info) -> None:
        if exc_info[0] is None:
            write_table(self.summary, self._rows, EXPLAIN_SUMMARY_COLUMNS)


def read_delta_attribution(path: str | os.PathLike) -> DeltaAttribution:
    """Read an ``.npz`` written by :class:`DeltaAttributionWriter`.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    DeltaAttribution
        As written (attributions of shape (1, 4, L) on the CPU, ``variant`` set).
    """
    with np.load(path, allow_pickle=False) as data:
        tensors = [torch.from_numpy(data[name])[None]
                   for name in ("attributions", "ref_attributions", "alt_attributions")]
        text = {name: str(data[name]) for name in ("chrom", "ref", "alt", "gene", "kind")}
        start, offset = int(data["start"]), int(data["offset"])
        ref_score, alt_score, delta, gap = (float(data[name]) for name in _SCALARS[2:])
        variant = Variant(text["chrom"], int(data["pos"]), text["ref"], text["alt"])
    return DeltaAttribution(*tensors, start, text["gene"], text["kind"], offset, ref_score,
                            alt_score, delta, gap, variant)
