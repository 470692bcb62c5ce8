"""Black a gene out: replace it with a reference and measure how the prediction moves.

The deepG study's next idea: *black a selected gene out and see how the prediction and
the explanation change*. :func:`blackout` does it for every gene of a genome window in
batches, and on request explains each blacked-out input again with integrated gradients.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from captum_genomics._validate import check_int, check_layout
from captum_genomics.aggregate import locus_scores
from captum_genomics.attr._targets import per_example_targets, select_targets
from captum_genomics.attr.integrated_gradients import GenomicIntegratedGradients
from captum_genomics.dna.codec import check_one_hot, from_ncl
from captum_genomics.dna.shuffle import dinucleotide_shuffle
from captum_genomics.genome.masks import interval_positions

__all__ = ["BLACKOUT_BASELINES", "BlackoutResult", "blackout"]

#: Named references of :func:`blackout` ("N" and "zeros" are the same all-zero columns).
BLACKOUT_BASELINES = ("uniform", "shuffle", "N", "zeros")


@dataclass(frozen=True, eq=False)
class BlackoutResult:
    """Prediction change of each blacked-out gene (K genes, N inputs).

    Attributes
    ----------
    name : numpy.ndarray of str, shape (K,)
        Gene names, in the order of the intervals given.
    start, end : numpy.ndarray of int64, shape (K,)
        Gene bounds, 1-based inclusive.
    original : numpy.ndarray of float64, shape (N,)
        Prediction of each unchanged input.
    prediction : numpy.ndarray of float64, shape (N, K)
        Prediction with gene k blacked out.
    change : numpy.ndarray of float64, shape (N, K)
        ``prediction - original[:, None]`` (negative: the gene supported the prediction).
    attributions : torch.Tensor or None, shape (N, K, L)
        Per-position IG (channel sum) of each blacked-out input, when requested.
    """

    name: np.ndarray
    start: np.ndarray
    end: np.ndarray
    original: np.ndarray
    prediction: np.ndarray
    change: np.ndarray
    attributions: torch.Tensor | None = None

    def ranking(self, input_index: int = 0) -> np.ndarray:
        """Gene indices by decreasing ``|change|`` of one input, shape (K,)."""
        return np.argsort(-np.abs(self.change[input_index]), kind="stable")


def _reference(kind, segment: torch.Tensor, seed) -> torch.Tensor:
    """The (4, len) replacement of a one-hot segment (4, len)."""
    if kind == "uniform":
        return torch.full_like(segment, 0.25)
    if kind in ("N", "zeros"):
        return torch.zeros_like(segment)
    if kind == "shuffle":
        return dinucleotide_shuffle(segment[None], 1, seed=seed)[0, 0]
    return torch.full_like(segment, float(kind))


def blackout(
    forward_func: Callable,
    inputs,
    intervals,
    start: int,
    baselines: str | float = "uniform",
    target: int | None = None,
    *,
    genes=None,
    seed: int = 0,
    layout: str = "NCL",
    internal_batch_size: int = 8,
    attribute: bool = False,
    n_steps: int = 32,
    attribution_baselines="uniform",
) -> BlackoutResult:
    """Replace each gene with a reference and return the change of the prediction.

    Parameters
    ----------
    forward_func : callable
        The model: takes (B, 4, L) (or (B, L, 4) for ``layout="NLC"``) and returns (B,),
        (B, 1) or (B, C) scores.
    inputs : torch.Tensor or numpy.ndarray, shape (N, 4, L) or (N, L, 4)
        One-hot genome windows in ``layout``.
    intervals : sequence of Interval
        Genes, 1-based inclusive (``read_gff3``/``read_bed``).
    start : int
        Genome coordinate (1-based) of input position 0.
    baselines : {"uniform", "shuffle", "N", "zeros"} or float, default "uniform"
        What replaces a gene: every column 0.25; a dinucleotide shuffle of the gene itself
        (:func:`~captum_genomics.dna.shuffle.dinucleotide_shuffle`, seeded by ``seed``);
        all-zero (N) columns; or a constant.
    target : int, tuple, list or torch.Tensor, optional
        The output followed, as Captum reads ``target`` (one for all inputs, or one per
        input); None when the model returns one score per example.
    genes : collection of str, optional
        Names of the genes to black out; default every interval.
    seed : int, default 0
        Seed of the ``"shuffle"`` reference.
    layout : {"NCL", "NLC"}, default "NCL"
        Layout of ``inputs`` and of the model.
    internal_batch_size : int, default 8
        Blacked-out copies evaluated per model call.
    attribute : bool, default False
        Also explain every blacked-out input with
        :class:`~captum_genomics.GenomicIntegratedGradients` (the re-attribution: where
        the explanation moves once the gene is gone).
    n_steps : int, default 32
        IG steps of the re-attribution.
    attribution_baselines : str, float or tensor, default "uniform"
        IG reference of the re-attribution.

    Returns
    -------
    BlackoutResult

    Raises
    ------
    ValueError
        On an unknown baseline, genes not in ``intervals``, or a model output that needs a
        ``target``.
    """
    layout = check_layout(layout)
    internal_batch_size = check_int(internal_batch_size, "internal_batch_size", 1)
    if isinstance(baselines, str) and baselines not in BLACKOUT_BASELINES:
        raise ValueError(f"baselines must be one of {BLACKOUT_BASELINES} or a number, "
                         f"got {baselines!r}")
    x = check_one_hot(inputs, layout=layout)
    n, _, length = x.shape
    items = list(intervals)
    if genes is not None:
        wanted = set(genes)
        missing = wanted - {iv.name for iv in items}
        if missing:
            raise ValueError(f"genes not among the intervals: {sorted(missing)[:5]}")
        items = [iv for iv in items if iv.name in wanted]
    lo, stop = interval_positions(items, start, length)

    rows = per_example_targets(target, n)

    def score(batch: torch.Tensor, examples: list[int]) -> torch.Tensor:
        with torch.no_grad():
            out = forward_func(from_ncl(batch, layout))
        index = None if rows is None else rows[examples].to(out.device)
        return select_targets(out, index).detach().to("cpu", torch.float64)

    original = score(x, list(range(n))).numpy()
    prediction = np.empty((n, len(items)))
    copies = [(i, k) for i in range(n) for k in range(len(items))]
    blacked_all = [] if attribute else None
    for first in range(0, len(copies), internal_batch_size):
        chunk = copies[first:first + internal_batch_size]
        batch = x[[i for i, _ in chunk]].clone()
        for row, (_, k) in enumerate(chunk):
            segment = batch[row, :, lo[k]:stop[k]]
            if segment.shape[-1]:
                batch[row, :, lo[k]:stop[k]] = _reference(baselines, segment, seed)
        values = score(batch, [i for i, _ in chunk]).numpy()
        for row, (i, k) in enumerate(chunk):
            prediction[i, k] = values[row]
        if attribute:
            blacked_all.append(batch)

    attributions = None
    if attribute:
        ig = GenomicIntegratedGradients(forward_func, layout=layout)
        blacked = torch.cat(blacked_all)
        pieces = []
        for first in range(0, blacked.shape[0], internal_batch_size):
            chunk = from_ncl(blacked[first:first + internal_batch_size], layout)
            chunk_target = None if rows is None else [
                tuple(rows[i].tolist()) for i, _ in copies[first:first + internal_batch_size]]
            attr = ig.attribute(chunk, baselines=attribution_baselines, target=chunk_target,
                                n_steps=n_steps, internal_batch_size=internal_batch_size)
            pieces.append(locus_scores(attr, layout=layout).detach())
        attributions = torch.cat(pieces).reshape(n, len(items), length)
    return BlackoutResult(
        name=np.array([iv.name for iv in items], dtype=str),
        start=np.array([iv.start for iv in items], dtype=np.int64),
        end=np.array([iv.end for iv in items], dtype=np.int64),
        original=original,
        prediction=prediction,
        change=prediction - original[:, None],
        attributions=attributions,
    )
