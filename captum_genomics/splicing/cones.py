"""Work bound of incremental scoring: convolution positions inside both cones.

For an edited sequence, an activation of a dilated convolution needs recomputing only if it
lies in the **forward cone** of an edited span (within the layer's accumulated radius of the
span) and in the **backward cone** of a scored site (it feeds the site).  Counting those
positions, times the kernel width and the channels, gives the least convolution work any exact
incremental method must do; the same count without the forward-cone condition is the work of a
forward pass restricted to the sites' receptive fields.

The backward cone follows the dilations: an activation feeding a site through layers of
dilations ``d_1, d_2, ...`` lies on the lattice ``site + gcd(d_1, d_2, ...) Z`` within the
remaining receptive radius, so SpliceAI-10k's last four units read every 25th position and
the four before them every 5th.  Only the residual units' dilated convolutions are counted;
the width-1 convolutions (input, skip, output) are not.

Examples
--------
>>> full, bound = cone_work(model, sites=[[5677, 5785]], starts=[[5700]], ends=[[5701]])
... # doctest: +SKIP
>>> float(full.sum() / bound.sum())  # how much less work one SNV needs  # doctest: +SKIP
"""

from __future__ import annotations

import math

import numpy as np
from torch import nn

from captum_genomics.splicing._incremental_plan import spliceai_members

__all__ = ["cone_work", "plain_work"]


def _lattice_points(lo: np.ndarray, hi: np.ndarray, residue: np.ndarray, step: int) -> np.ndarray:
    """Number of integers ``x = residue (mod step)`` with ``lo <= x <= hi`` (0 if empty)."""
    count = np.floor_divide(hi - residue, step) - np.floor_divide(lo - 1 - residue, step)
    return np.where(hi >= lo, count, 0)


def cone_work(model: nn.Module, sites, starts, ends, valid=None) -> tuple[np.ndarray, np.ndarray]:
    """Convolution work of the sites' backward cones, and of their part in the edits' cones.

    Parameters
    ----------
    model : SpliceAI or SpliceAIEnsemble
        Gives the layer structure (kernel widths, dilations, channels); an ensemble counts
        every member.
    sites : array-like of int, shape (n, k)
        Scored input positions of each edited sequence (edited coordinates).
    starts, ends : array-like of int, shape (n, S)
        Edited spans ``[start, end)`` per sequence, sorted by start and disjoint; an empty span
        (``start == end``) is a deletion point, whose cone holds the positions that read both
        sides of it.
    valid : array-like of bool, shape (n, S), optional
        Which spans are real (default all).

    Returns
    -------
    full : numpy.ndarray, shape (n,)
        Multiply-accumulates of the dilated convolutions over the union of the sites' backward
        cones: a forward pass that computes only what the sites read.
    bound : numpy.ndarray, shape (n,)
        The part of ``full`` inside the union of the spans' forward cones: the least work of an
        exact incremental pass.
    """
    members = spliceai_members(model)
    member, n_members = members[0], len(members)
    sites = np.atleast_2d(np.asarray(sites, dtype=np.int64))
    starts = np.atleast_2d(np.asarray(starts, dtype=np.int64))
    ends = np.atleast_2d(np.asarray(ends, dtype=np.int64))
    valid = np.ones(starts.shape, bool) if valid is None else np.asarray(valid, bool)
    if not (starts.shape == ends.shape == valid.shape and starts.shape[0] == sites.shape[0]):
        raise ValueError(
            f"sites (n, k) and starts, ends, valid (n, S) must share n; got {sites.shape}, "
            f"{starts.shape}, {ends.shape}, {valid.shape}"
        )
    if np.any(valid & (ends < starts)):
        raise ValueError("every span needs start <= end")
    widths = [int(u.kernel_size) for u in member.units]
    dilations = [int(u.dilation) for u in member.units]
    channels = member.conv_in.out_channels
    n_units = len(widths)
    # per convolution output: lattice step, backward radius and forward radius
    layers = []
    back = 0
    after = 0  # gcd of the dilations after this output (0: the site itself)
    for u in range(n_units - 1, -1, -1):
        r = dilations[u] * (widths[u] - 1) // 2
        layers.append((widths[u], after, back))  # second conv: output h_{u+1}
        back += r
        after = math.gcd(after, dilations[u])
        layers.append((widths[u], after, back))  # first conv: output y_u
        back += r
    layers.reverse()
    forward = np.cumsum([dilations[u] * (widths[u] - 1) // 2 for u in range(n_units) for _ in "12"])

    order = np.argsort(sites, axis=1, kind="stable")
    sites = np.take_along_axis(sites, order, axis=1)
    n, k = sites.shape
    full = np.zeros(n, np.int64)
    bound = np.zeros(n, np.int64)
    for (width, step, radius), f in zip(layers, forward):
        macs = width * channels * channels
        lattice = max(step, 1)
        reach = radius // lattice * lattice if step else 0
        residue = np.mod(sites, lattice)
        # site intervals on their lattice, made disjoint within a residue class
        s_lo, s_hi = sites - reach, sites + reach
        for j in range(1, k):
            same = residue[:, :j] == residue[:, j : j + 1]
            covered = np.where(same, s_hi[:, :j], np.iinfo(np.int64).min).max(axis=1)
            s_lo[:, j] = np.maximum(s_lo[:, j], covered + lattice)
        full += macs * _lattice_points(s_lo, s_hi, residue, lattice).sum(axis=1)
        # edit cones, merged into disjoint intervals
        e_lo = np.where(valid, starts - f, 0)
        e_hi = np.where(valid, ends - 1 + f, -1)
        running = np.maximum.accumulate(np.where(valid, e_hi, np.iinfo(np.int64).min), axis=1)
        previous = np.concatenate(
            [np.full((n, 1), np.iinfo(np.int64).min + 1, np.int64), running[:, :-1]], axis=1
        )
        e_lo = np.maximum(e_lo, previous + 1)
        lo = np.maximum(s_lo[:, :, None], e_lo[:, None, :])
        hi = np.minimum(s_hi[:, :, None], e_hi[:, None, :])
        counts = _lattice_points(lo, hi, residue[:, :, None], lattice)
        bound += macs * counts.sum(axis=(1, 2))
    return full * n_members, bound * n_members


def plain_work(model: nn.Module, sites) -> np.ndarray:
    """Multiply-accumulates of the plain site heads on each sequence.

    :func:`captum_genomics.splicing.heads.score_splice_sites` runs one window of
    ``context + 1`` inputs per site (SpliceAI's single-output path), or one window spanning
    all sites when that is cheaper; this is the work it does, all convolutions included.

    Parameters
    ----------
    model : SpliceAI or SpliceAIEnsemble
        The scored model.
    sites : array-like of int, shape (n, k)
        Scored input positions.

    Returns
    -------
    numpy.ndarray, shape (n,)
        Multiply-accumulates per sequence.
    """
    sites = np.atleast_2d(np.asarray(sites, dtype=np.int64))
    k = sites.shape[1]
    spans = sites.max(axis=1) - sites.min(axis=1)
    single = k * model.macs(1)
    return np.array([min(single, model.macs(int(s) + 1)) if k > 1 else single for s in spans])
