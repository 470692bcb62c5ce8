"""Aggregation of one-hot attributions: per-position scores, corrections, tracks, intervals.

These helpers work on any Captum attribution of a one-hot DNA input, not only on this
package's explainers. Notation: ``x`` is the one-hot input (N, 4, L), ``b`` a baseline and
``g`` the path-averaged gradient, so that Integrated Gradients with
``multiply_by_inputs=True`` returns ``(x - b) * g`` and with ``multiply_by_inputs=False``
returns ``g``.

Tensor functions accept ``torch.Tensor`` or ``numpy.ndarray`` in the layout ``"NCL"``
(N, 4, L; default) or ``"NLC"`` (N, L, 4), channel order A, C, G, T, and return
``torch.Tensor`` on the input's device (CPU for NumPy input). Track functions
(:func:`rolling_mean`, :func:`interval_scores`) treat NaN as missing data.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, fields

import numpy as np
import torch

from captum_genomics._atomic import write_table
from captum_genomics._deprecation import moved_names, renamed_arguments
from captum_genomics._validate import check_choice, check_int
from captum_genomics.dna.codec import check_one_hot, from_ncl

__all__ = [
    "LOCUS_AGGREGATES",
    "INTERVAL_REDUCTIONS",
    "IntervalScores",
    "correct_gradients",
    "hypothetical_scores",
    "interval_scores",
    "locus_scores",
    "rolling_mean",
]

#: The per-locus reductions of :func:`locus_scores` (its ``aggregate``).
LOCUS_AGGREGATES = ("sum", "abs_sum", "observed", "max_abs")
INTERVAL_REDUCTIONS = ("mean", "sum", "max", "abs_mean")

__getattr__ = moved_names(__name__, {
    "LOCUS_METHODS": "captum_genomics.aggregate:LOCUS_AGGREGATES",
})


def _tracks(x, layout: str, name: str) -> torch.Tensor:
    """Validate a batch of 4-channel tracks and return it as (N, 4, L)."""
    if isinstance(x, (tuple, list)) and x and isinstance(x[0], (torch.Tensor, np.ndarray)):
        raise TypeError(
            f"{name} is a {type(x).__name__} of tensors (Captum returns a tuple for tuple "
            f"inputs); pass the tensor of the one-hot input, e.g. {name}[0]"
        )
    return check_one_hot(x, layout=layout, name=name)


@renamed_arguments(method="aggregate")
def locus_scores(attributions, aggregate: str = "sum", inputs=None, layout: str = "NCL"):
    """Collapse (N, 4, L) attributions to one score per position.

    Parameters
    ----------
    attributions : torch.Tensor or numpy.ndarray, shape (N, 4, L) or (N, L, 4)
        Attributions in ``layout``, floating point and finite.
    aggregate : {"sum", "abs_sum", "observed", "max_abs"}, default "sum"
        ``"sum"``: sum over the four channels, the per-position share of the
        completeness total (the scores sum to ``attributions.sum()``).
        ``"abs_sum"``: magnitude of that sum.
        ``"observed"``: the attribution at the observed base,
        ``sum_c attributions[:, c] * inputs[:, c]``; an N column (all zeros) gives 0 and a
        fractional column (e.g. 0.25 for N) gives the input-weighted sum.
        ``"max_abs"``: the channel value of largest magnitude, sign kept (the positive one
        when ``+v`` and ``-v`` tie).
        The same name as the ``aggregate`` of the explainers; formerly ``method`` (still
        accepted, with a DeprecationWarning, until 0.3.0).
    inputs : torch.Tensor or numpy.ndarray, shape like ``attributions``, optional
        One-hot inputs in ``layout``; required by ``"observed"`` and ignored otherwise. They
        are moved to the attributions' device and dtype.
    layout : {"NCL", "NLC"}, default "NCL"
        Layout of ``attributions`` and ``inputs``.

    Returns
    -------
    torch.Tensor, shape (N, L)
        Same dtype and device as ``attributions`` (CPU for NumPy input).

    Raises
    ------
    TypeError
        If an array is not a floating tensor/array (or is a Captum tuple).
    ValueError
        On an unknown aggregate or layout, a wrong shape, non-finite values, or missing or
        mismatched ``inputs`` for ``"observed"``.
    """
    check_choice(aggregate, "aggregate", LOCUS_AGGREGATES)
    a = _tracks(attributions, layout, "attributions")
    if aggregate == "sum":
        return a.sum(dim=1)
    if aggregate == "abs_sum":
        return a.sum(dim=1).abs()
    if aggregate == "max_abs":
        high, low = a.amax(dim=1), a.amin(dim=1)
        return torch.where(high >= -low, high, low)
    if inputs is None:
        raise ValueError("aggregate='observed' needs the one-hot inputs: pass inputs=x")
    x = _tracks(inputs, layout, "inputs")
    if x.shape != a.shape:
        raise ValueError(
            f"inputs shape {tuple(x.shape)} differs from attributions shape {tuple(a.shape)} "
            "(both shown as (N, 4, L)); pass the inputs the attributions were computed for"
        )
    x = x.to(device=a.device, dtype=a.dtype)
    return torch.einsum("ncl,ncl->nl", a, x)


def correct_gradients(gradients, layout: str = "NCL"):
    """Gradient correction of Majdandzic et al. (2023): remove the mean over the 4 bases.

    One-hot inputs live on the simplex ``sum_c x_c = 1``, so the gradient component along
    ``(1, 1, 1, 1)`` is off-manifold noise. Removing it changes no attribution
    ``sum_c (x - b)_c g_c`` for which both ``x`` and ``b`` columns sum to 1.

    Parameters
    ----------
    gradients : torch.Tensor or numpy.ndarray, shape (N, 4, L) or (N, L, 4)
        Gradients (or path-averaged gradients) in ``layout``.
    layout : {"NCL", "NLC"}, default "NCL"
        Layout of ``gradients`` and of the result.

    Returns
    -------
    torch.Tensor, shape like ``gradients``
        ``g - g.mean(channel)``, same dtype and device (CPU for NumPy input).

    Raises
    ------
    TypeError, ValueError
        On a non-floating input, wrong shape or layout, or non-finite values.
    """
    g = _tracks(gradients, layout, "gradients")
    return from_ncl(g - g.mean(dim=1, keepdim=True), layout)


def hypothetical_scores(gradients, baselines, layout: str = "NCL"):
    """Hypothetical contribution of every base at every position.

    ``hyp[:, c, l] = g[:, c, l] - sum_c' b[:, c', l] * g[:, c', l]``, the attribution that
    base ``c`` would receive at position ``l`` (``(e_c - b) . g``). For a one-hot input the
    observed base's entry equals the per-position attribution sum ``sum_c ((x - b) * g)_c``;
    with ``b = 0.25`` the result equals :func:`correct_gradients`.

    Parameters
    ----------
    gradients : torch.Tensor or numpy.ndarray, shape (N, 4, L) or (N, L, 4)
        Path-averaged gradients in ``layout`` (Captum IG with ``multiply_by_inputs=False``).
    baselines : float, or torch.Tensor / numpy.ndarray of shape (4,), or 3-D in ``layout``
        The baseline the gradients were averaged along: a scalar (same value in every
        channel), a per-channel vector (4,) such as background frequencies, or a 3-D array
        broadcastable to the gradients' shape, e.g. (1, 4, L), (N, 4, L) or (1, 4, 1) for
        ``"NCL"``. Moved to the gradients' device and dtype.
    layout : {"NCL", "NLC"}, default "NCL"
        Layout of ``gradients``, of 3-D ``baselines`` and of the result.

    Returns
    -------
    torch.Tensor, shape like ``gradients``
        Same dtype and device as ``gradients`` (CPU for NumPy input).

    Raises
    ------
    TypeError
        If ``baselines`` has an unsupported type or dtype.
    ValueError
        On a wrong shape or layout, a baseline not broadcastable to the gradients, or
        non-finite values.
    """
    g = _tracks(gradients, layout, "gradients")
    if isinstance(baselines, np.ndarray):
        baselines = torch.from_numpy(baselines)
    if isinstance(baselines, torch.Tensor) and baselines.ndim == 0:
        baselines = baselines.item()
    if isinstance(baselines, (int, float, np.integer, np.floating)) and not isinstance(
        baselines, (bool, np.bool_)
    ):
        b = float(baselines)
        if not np.isfinite(b):
            raise ValueError(f"baselines must be finite, got {b}")
        return from_ncl(g - b * g.sum(dim=1, keepdim=True), layout)
    if not isinstance(baselines, torch.Tensor):
        raise TypeError(
            "baselines must be a float, a (4,) vector or a 3-D tensor/array, "
            f"got {type(baselines).__name__}"
        )
    if baselines.ndim == 1:
        if baselines.shape[0] != 4:
            raise ValueError(
                f"a 1-D baseline holds one value per channel (A, C, G, T): need shape (4,), "
                f"got {tuple(baselines.shape)}"
            )
        baselines = baselines.reshape(1, 4, 1) if layout == "NCL" else baselines.reshape(1, 1, 4)
    b = _tracks(baselines, layout, "baselines")
    try:
        broadcast = torch.broadcast_shapes(b.shape, g.shape)
    except RuntimeError:
        broadcast = None
    if broadcast != g.shape:
        raise ValueError(
            f"baselines shape {tuple(b.shape)} does not broadcast to gradients shape "
            f"{tuple(g.shape)} (both shown as (N, 4, L)); use (1, 4, L), (N, 4, L) or (1, 4, 1)"
        )
    b = b.to(device=g.device, dtype=g.dtype)
    return from_ncl(g - (b * g).sum(dim=1, keepdim=True), layout)


def _track_tensor(scores, name: str) -> tuple[torch.Tensor, bool]:
    """Return ``scores`` as a real tensor (no copy) and whether it came from NumPy."""
    if isinstance(scores, np.ndarray):
        if scores.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold real numbers, got numpy dtype {scores.dtype}")
        return torch.from_numpy(scores), True
    if isinstance(scores, torch.Tensor):
        if scores.is_complex():
            raise TypeError(f"{name} must hold real numbers, got {scores.dtype}")
        return scores, False
    raise TypeError(f"{name} must be a torch.Tensor or numpy.ndarray, got {type(scores).__name__}")


def rolling_mean(scores, window: int, center: bool = True, min_periods: int = 1):
    """Moving average along the last axis of per-position scores.

    Parameters
    ----------
    scores : torch.Tensor or numpy.ndarray, shape (L,) or (N, L)
        Per-position scores, e.g. from :func:`locus_scores`. NaN marks a missing value: it is
        left out of every window mean. Infinite values are rejected.
    window : int
        Window width in positions (>= 1). Windows are cut at the sequence ends.
    center : bool, default True
        ``True``: the window at position i spans ``i - (window - 1) // 2`` to
        ``i + window // 2`` (the pandas convention; symmetric for odd widths).
        ``False``: trailing window ``i - window + 1`` to ``i``.
    min_periods : int, default 1
        Fewest non-NaN values a window needs (1 <= min_periods <= window); windows with fewer
        give NaN.

    Returns
    -------
    torch.Tensor or numpy.ndarray, shape like ``scores``
        Same type and device as ``scores``; same dtype for floating input, otherwise float64
        (NumPy) or ``torch.get_default_dtype()`` (torch). Computed in O(N L) from float64
        cumulative sums of row-centred values, whatever the window.

    Raises
    ------
    TypeError
        On a wrong type or a non-integer window.
    ValueError
        On a wrong shape, ``window < 1``, ``min_periods`` outside ``[1, window]`` or
        infinite values.
    """
    t, from_numpy = _track_tensor(scores, "scores")
    if t.ndim not in (1, 2):
        raise ValueError(
            f"scores must be (L,) or (N, L), got shape {tuple(t.shape)}; reduce (N, 4, L) "
            "attributions first with locus_scores(...)"
        )
    window = check_int(window, "window", 1)
    min_periods = check_int(min_periods, "min_periods", 1)
    if min_periods > window:
        raise ValueError(f"min_periods ({min_periods}) must be <= window ({window})")
    if t.is_floating_point():
        out_dtype = t.dtype
    else:
        out_dtype = torch.float64 if from_numpy else torch.get_default_dtype()

    v = t.to(torch.float64)
    if bool(torch.isinf(v).any()):
        raise ValueError("scores hold infinite values; replace them (e.g. with NaN = missing)")
    valid = ~torch.isnan(v)
    zero = torch.zeros((), dtype=v.dtype, device=v.device)
    # Centring each row keeps the prefix sums small, so their differences stay accurate.
    shift = torch.where(valid, v, zero).sum(-1, keepdim=True) / valid.sum(
        -1, keepdim=True
    ).clamp(min=1)
    v = torch.where(valid, v - shift, zero)
    pad = torch.zeros((*v.shape[:-1], 1), dtype=v.dtype, device=v.device)
    csum = torch.cat([pad, v.cumsum(-1)], dim=-1)
    ccount = torch.cat([pad.long(), valid.long().cumsum(-1)], dim=-1)

    length = v.shape[-1]
    left, right = ((window - 1) // 2, window // 2) if center else (window - 1, 0)
    pos = torch.arange(length, device=v.device)
    lo = (pos - left).clamp(min=0)
    hi = (pos + right + 1).clamp(max=length)
    total = csum[..., hi] - csum[..., lo]
    count = ccount[..., hi] - ccount[..., lo]
    mean = total / count.clamp(min=1) + shift
    mean = torch.where(count >= min_periods, mean, torch.full_like(mean, float("nan")))
    mean = mean.to(out_dtype)
    return mean.numpy() if from_numpy else mean


@dataclass(frozen=True, eq=False)
class IntervalScores:
    """Scores of annotated intervals (genes, exons, peaks) over a per-position track.

    All fields are NumPy arrays of one length, one entry per scored interval, in the order
    the intervals were given (intervals lying wholly outside the track are absent).

    Attributes
    ----------
    name, chrom : numpy.ndarray of str, shape (K,)
        Interval names and chromosomes.
    start, end : numpy.ndarray of int64, shape (K,)
        Interval bounds as given, 1-based inclusive (not clipped).
    n_positions : numpy.ndarray of int64, shape (K,)
        Positions of the interval inside the track (fewer than ``end - start + 1`` when
        the interval was clipped).
    score : numpy.ndarray of float64, shape (K,)
        Reduced score; NaN when every position in the interval is NaN.
    rank : numpy.ndarray of int64, shape (K,)
        1 = highest score; ties share the best rank (1, 1, 3, ...); NaN scores rank last
        (number of non-NaN scores + 1).
    quantile : numpy.ndarray of float64, shape (K,)
        Fraction of (non-NaN) intervals scoring <= this one, in (0, 1]; NaN for NaN scores.
    genome_quantile : numpy.ndarray of float64, shape (K,)
        Fraction of the track's (non-NaN) positions scoring <= this interval's score
        (:func:`genome_quantiles`; the deepG study's "quantile among all positions"); NaN
        for NaN scores or when not computed.
    """

    name: np.ndarray
    chrom: np.ndarray
    start: np.ndarray
    end: np.ndarray
    n_positions: np.ndarray
    score: np.ndarray
    rank: np.ndarray
    quantile: np.ndarray
    genome_quantile: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.genome_quantile is None:
            object.__setattr__(self, "genome_quantile", np.full(len(self.score), np.nan))
        lengths = {f.name: len(getattr(self, f.name)) for f in fields(self)}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"IntervalScores fields differ in length: {lengths}")

    def __len__(self) -> int:
        """Number of scored intervals."""
        return len(self.score)

    def to_tsv(self, path: str | os.PathLike[str]) -> None:
        """Write a tab-separated table with a header row, atomically.

        Columns: name, chrom, start, end (1-based inclusive), n_positions, score, rank,
        quantile, genome_quantile. Floats are written at full (round-trip) precision, NaN
        as ``nan``. The table goes to a temporary file beside ``path`` that then replaces
        ``path``, so readers never see a partial file.

        Parameters
        ----------
        path : str or os.PathLike
            Output file; its directory must exist.

        Raises
        ------
        ValueError
            If a name or chromosome holds a tab or line break (it would break the table).
        """
        write_table(
            path,
            zip(self.name.tolist(), self.chrom.tolist(), self.start.tolist(),
                self.end.tolist(), self.n_positions.tolist(), self.score.tolist(),
                self.rank.tolist(), self.quantile.tolist(), self.genome_quantile.tolist()),
            ("name", "chrom", "start", "end", "n_positions", "score", "rank", "quantile",
             "genome_quantile"),
        )

    def quantile_table(self, top: int | None = 15, descriptions=None, gene_sets=None) -> list:
        """The deepG study's table of the top genes: see
        :func:`captum_genomics.genome.quantile_table` (same arguments, this object as
        ``genes``)."""
        from captum_genomics.genome.tables import quantile_table

        return quantile_table(self, top=top, descriptions=descriptions, gene_sets=gene_sets)


def genome_quantiles(track, values) -> np.ndarray:
    """Where values fall among all positions of a genome-wide track.

    Parameters
    ----------
    track : array_like, shape (L,)
        Per-position scores of the genome (NaN ignored).
    values : array_like, shape (K,)
        Scores to place, e.g. gene means from :func:`interval_scores`.

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


def _interval_columns(intervals, chrom: str | None):
    """Extract (name, chrom, start, end) arrays from interval-like objects."""
    if isinstance(intervals, (str, bytes)) or not isinstance(intervals, Iterable):
        raise TypeError("intervals must be an iterable of Interval (see read_bed, read_gff3)")
    items = list(intervals)
    for i, iv in enumerate(items):
        if not all(hasattr(iv, attr) for attr in ("chrom", "start", "end", "name")):
            raise TypeError(
                f"intervals[{i}] is a {type(iv).__name__}, not an Interval-like object with "
                "chrom, start, end and name; build intervals with read_bed/read_gff3/Interval"
            )
    chroms = sorted({iv.chrom for iv in items})
    if chrom is None and len(chroms) > 1:
        raise ValueError(
            f"intervals lie on {len(chroms)} chromosomes ({', '.join(chroms[:5])}"
            f"{', ...' if len(chroms) > 5 else ''}) but the track is one sequence; pass "
            "chrom='...' to choose one"
        )
    if chrom is not None:
        items = [iv for iv in items if iv.chrom == chrom]
    names = np.array([str(iv.name) for iv in items], dtype=str)
    chrom_arr = np.array([str(iv.chrom) for iv in items], dtype=str)
    start = np.array([iv.start for iv in items], dtype=np.int64)
    end = np.array([iv.end for iv in items], dtype=np.int64)
    if np.any(end < start):
        i = int(np.argmax(end < start))
        raise ValueError(f"interval {names[i]!r} has end ({end[i]}) < start ({start[i]})")
    return names, chrom_arr, start, end


def _reduce_segments(ufunc: np.ufunc, track: np.ndarray, lo: np.ndarray, stop: np.ndarray):
    """``ufunc.reduce(track[lo[k]:stop[k]])`` for every k, with ``lo < stop <= len(track)``.

    Segments are visited in order of ``lo`` through one ``reduceat`` over interleaved
    ``[lo, stop]`` bounds (its even slots are the segments), so the work is
    O(len(track) + total segment length); summing each segment directly avoids the
    cancellation error of cumulative-sum differences.
    """
    if len(lo) == 0:
        return np.empty(0, dtype=track.dtype)
    order = np.argsort(lo, kind="stable")
    # A trailing element (never inside a segment) keeps stop == len(track) a legal index.
    padded = np.append(track, 0.0)
    bounds = np.column_stack([lo[order], stop[order]]).ravel()
    value = np.empty(len(lo), dtype=track.dtype)
    value[order] = ufunc.reduceat(padded, bounds)[::2]
    return value


def interval_scores(
    scores,
    intervals,
    offset: int = 1,
    reduce: str = "mean",
    chrom: str | None = None,
) -> IntervalScores:
    """Score annotated intervals on a per-position track, then rank them.

    This is the gene-level summary of the deepG IG study: per-position attribution sums over
    a genome, reduced per annotated gene, each gene placed by its quantile among all genes.

    Parameters
    ----------
    scores : torch.Tensor or numpy.ndarray, shape (L,)
        Per-position track of one sequence (e.g. ``locus_scores(attr)[0]``). NaN marks a
        missing value and is left out of every reduction.
    intervals : iterable of Interval
        Intervals in 1-based inclusive coordinates (:func:`~captum_genomics.dna.annotations.
        read_bed`, :func:`~captum_genomics.dna.annotations.read_gff3`). Any object with
        ``chrom``, ``start``, ``end`` and ``name`` attributes works.
    offset : int, default 1
        Genome coordinate (1-based) of ``scores[0]``; ``scores[i]`` is position
        ``offset + i``. Intervals partly outside ``[offset, offset + L - 1]`` are clipped;
        those wholly outside are dropped with a ``UserWarning`` giving their number.
    reduce : {"mean", "sum", "max", "abs_mean"}, default "mean"
        Reduction over each interval's non-NaN positions (``"abs_mean"`` = mean of absolute
        values). An interval whose positions are all NaN scores NaN.
    chrom : str, optional
        Chromosome of the track: intervals on other chromosomes are skipped silently. Needed
        when ``intervals`` span several chromosomes.

    Returns
    -------
    IntervalScores
        Per-interval name, chrom, start, end, n_positions, score, rank, quantile among
        intervals and ``genome_quantile`` among all the track's positions (of absolute
        values for ``"abs_mean"``).

    Raises
    ------
    TypeError
        On wrong argument types.
    ValueError
        On a wrong ``scores`` shape, infinite scores, an unknown reduction, ``offset < 1``,
        or intervals on several chromosomes without ``chrom``.
    """
    if reduce not in INTERVAL_REDUCTIONS:
        raise ValueError(f"reduce must be one of {INTERVAL_REDUCTIONS}, got {reduce!r}")
    offset = check_int(offset, "offset", 1)
    t, _ = _track_tensor(scores, "scores")
    if t.ndim != 1:
        hint = " (one sequence: pass scores[0])" if t.ndim == 2 and t.shape[0] == 1 else ""
        raise ValueError(f"scores must be a 1-D track (L,), got shape {tuple(t.shape)}{hint}")
    if t.shape[0] == 0:
        raise ValueError("scores is empty; need a track of length L >= 1")
    s = t.detach().to(device="cpu", dtype=torch.float64).numpy()
    if np.isinf(s).any():
        raise ValueError("scores hold infinite values; replace them (e.g. with NaN = missing)")
    names, chroms, start, end = _interval_columns(intervals, chrom)

    length = s.shape[0]
    lo, hi = start - offset, end - offset  # 0-based inclusive indices into scores
    inside = (hi >= 0) & (lo < length)
    n_dropped = int((~inside).sum())
    if n_dropped:
        warnings.warn(
            f"{n_dropped} of {len(start)} intervals lie wholly outside the scored range "
            f"{offset}-{offset + length - 1} and were dropped",
            UserWarning,
            stacklevel=2,
        )
    names, chroms, start, end = names[inside], chroms[inside], start[inside], end[inside]
    lo = np.clip(lo[inside], 0, length - 1)
    stop = np.clip(hi[inside], 0, length - 1) + 1  # exclusive

    valid = ~np.isnan(s)
    count = np.concatenate([[0], np.cumsum(valid)])
    n_valid_pos = count[stop] - count[lo]
    if reduce == "max":
        track, ufunc = np.where(valid, s, -np.inf), np.maximum
    else:
        track, ufunc = np.where(valid, np.abs(s) if reduce == "abs_mean" else s, 0.0), np.add
    value = _reduce_segments(ufunc, track, lo, stop)
    if reduce in ("mean", "abs_mean"):
        value = value / np.maximum(n_valid_pos, 1)
    value = np.where(n_valid_pos > 0, value, np.nan)

    scored = ~np.isnan(value)
    ranked = np.sort(value[scored])
    at_or_below = np.searchsorted(ranked, value, side="right")
    rank = np.where(scored, len(ranked) - at_or_below + 1, len(ranked) + 1).astype(np.int64)
    quantile = np.full(len(value), np.nan)
    quantile[scored] = at_or_below[scored] / len(ranked)
    return IntervalScores(
        name=names,
        chrom=chroms,
        start=start,
        end=end,
        n_positions=(stop - lo).astype(np.int64),
        score=value.astype(np.float64),
        rank=rank,
        quantile=quantile,
        genome_quantile=genome_quantiles(
            np.where(valid, np.abs(s), np.nan) if reduce == "abs_mean" else s, value
        ),
    )
