"""Feature masks and intergenic segments from genome annotations.

Coordinates are 1-based inclusive (:class:`~captum_genomics.dna.annotations.Interval`,
as :func:`~captum_genomics.dna.annotations.read_gff3` and
:func:`~captum_genomics.dna.annotations.read_bed` return them); ``start`` is the genome
coordinate of the first position of the model's input window.
"""

from __future__ import annotations

import numpy as np
import torch

from captum_genomics._validate import check_choice, check_int, check_layout
from captum_genomics.dna.annotations import Interval

__all__ = ["interval_feature_mask", "interval_positions", "intergenic_intervals"]

STRANDS = (None, "+", "-")


def interval_positions(intervals, start: int, length: int, reverse_complemented: bool = False):
    """0-based input index bounds ``[lo, stop)`` of each interval, clipped to the window.

    Parameters
    ----------
    intervals : sequence of Interval
        1-based inclusive intervals (any object with ``start`` and ``end``).
    start : int
        Genome coordinate (1-based) of input position 0.
    length : int
        Input length L.
    reverse_complemented : bool, default False
        The input is the reverse complement of the window ``[start, start + L - 1]``, so
        input index ``i`` reads genome coordinate ``start + L - 1 - i``.

    Returns
    -------
    lo, stop : numpy.ndarray of int64, shape (K,)
        Half-open index bounds; ``lo == stop`` for an interval wholly outside the window.
    """
    start = check_int(start, "start", 1)
    length = check_int(length, "length", 1)
    first = np.array([iv.start for iv in intervals], dtype=np.int64) - start
    last = np.array([iv.end for iv in intervals], dtype=np.int64) - start
    if reverse_complemented:
        first, last = length - 1 - last, length - 1 - first
    lo = np.clip(first, 0, length)
    stop = np.clip(last + 1, 0, length)
    return lo, np.maximum(stop, lo)


def interval_feature_mask(
    intervals,
    start: int,
    length: int,
    strand: str | None = None,
    reverse_complemented: bool = False,
    layout: str = "NCL",
) -> torch.Tensor:
    """Captum feature mask grouping each interval's positions: 0 outside, i + 1 in interval i.

    Parameters
    ----------
    intervals : sequence of Interval
        Genes or other features, 1-based inclusive, e.g. from ``read_gff3`` or ``read_bed``.
        Where intervals overlap, the later one in the sequence owns the shared positions
        (a Captum mask gives each position one group).
    start : int
        Genome coordinate (1-based) of input position 0 (the ``offset`` of
        :func:`~captum_genomics.aggregate.interval_scores`).
    length : int
        Input length L.
    strand : {None, "+", "-"}, default None
        Keep only the intervals on this strand (their group numbers stay their indices in
        ``intervals``, so group ``i + 1`` is always ``intervals[i]``). None keeps all.
    reverse_complemented : bool, default False
        The input is the reverse complement of the genome window (a minus-strand model
        input): input index ``i`` reads genome coordinate ``start + L - 1 - i``.
    layout : {"NCL", "NLC"}, default "NCL"
        Layout of the one-hot input the mask goes with: the mask is (1, 1, L) for
        (N, 4, L) inputs and (1, L, 1) for (N, L, 4); it broadcasts over the batch and the
        four channels, so a whole interval is ablated at once.

    Returns
    -------
    torch.Tensor of int64, shape (1, 1, L) or (1, L, 1)

    Raises
    ------
    TypeError
        If an item is not an Interval-like object.
    ValueError
        On ``start < 1``, ``length < 1``, an unknown strand or layout.

    Examples
    --------
    Ablate each gene of a genome window with Captum's ``FeatureAblation`` (the gene is
    set to the 0.25 reference; ``attr[0, 0, lo:stop]`` holds that gene's effect at every
    one of its positions):

    >>> from captum.attr import FeatureAblation
    >>> genes = [Interval("chr", 101, 200, "+", "g1"), Interval("chr", 301, 350, "-", "g2")]
    >>> mask = interval_feature_mask(genes, start=1, length=1000)
    >>> attr = FeatureAblation(model).attribute(x, baselines=0.25, target=1,
    ...                                         feature_mask=mask)   # doctest: +SKIP
    >>> effect = attr[0, 0, [100, 300]]   # one value per gene              # doctest: +SKIP
    """
    check_choice(strand, "strand", STRANDS)
    layout = check_layout(layout)
    items = list(intervals)
    for i, iv in enumerate(items):
        if not all(hasattr(iv, attr) for attr in ("start", "end", "strand")):
            raise TypeError(
                f"intervals[{i}] is a {type(iv).__name__}, not an Interval; build intervals "
                "with read_gff3, read_bed or Interval(...)"
            )
    lo, stop = interval_positions(items, start, length, reverse_complemented)
    group = np.zeros(length, dtype=np.int64)
    for i, iv in enumerate(items):
        if strand is None or iv.strand == strand:
            group[lo[i]:stop[i]] = i + 1
    mask = torch.from_numpy(group)
    return mask.reshape(1, 1, length) if layout == "NCL" else mask.reshape(1, length, 1)


def intergenic_intervals(intervals, start: int, length: int, chrom: str | None = None,
                         min_length: int = 1) -> list[Interval]:
    """The gaps between intervals inside a window: the non-coding (intergenic) segments.

    Parameters
    ----------
    intervals : sequence of Interval
        Genes, 1-based inclusive; overlapping genes merge.
    start : int
        Genome coordinate (1-based) of the window's first position.
    length : int
        Window length L.
    chrom : str, optional
        Chromosome of the segments; default that of the first interval (``"."`` if none).
    min_length : int, default 1
        Shortest segment kept.

    Returns
    -------
    list of Interval
        Segments named ``"intergenic_<k>"`` (strand ``"."``, feature ``"intergenic"``),
        in genome order, covering every window position outside all intervals.
    """
    start = check_int(start, "start", 1)
    length = check_int(length, "length", 1)
    min_length = check_int(min_length, "min_length", 1)
    items = list(intervals)
    if chrom is None:
        chrom = items[0].chrom if items else "."
    covered = np.zeros(length + 2, dtype=np.int64)
    lo, stop = interval_positions(items, start, length)
    np.add.at(covered, lo + 1, 1)
    np.add.at(covered, stop + 1, -1)
    free = np.cumsum(covered)[1:length + 1] == 0
    edges = np.diff(np.concatenate([[0], free.astype(np.int8), [0]]))
    run_lo, run_stop = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    keep = run_stop - run_lo >= min_length
    return [
        Interval(chrom, int(a) + start, int(b) + start - 1, ".", f"intergenic_{k}", "intergenic")
        for k, (a, b) in enumerate(zip(run_lo[keep], run_stop[keep]))
    ]
