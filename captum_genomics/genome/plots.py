"""Genome-scale figures: the study's rolling-mean track with genes by set, set score plots.

Like :mod:`captum_genomics.plot`, every function draws on ``ax`` (a new figure when omitted),
returns the Axes (or the Figure for several panels) and never calls ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from captum_genomics.aggregate import IntervalScores, rolling_mean
from captum_genomics.genome.masks import interval_positions

__all__ = ["plot_gene_set_scores", "plot_genome_track"]

_OTHER = "other genes"
_MAX_POINTS = 20_000


def _membership(names, gene_sets: Mapping[str, Collection[str]] | None) -> list[str]:
    """The first set holding each gene, or "other genes"."""
    sets = {label: set(map(str, members)) for label, members in (gene_sets or {}).items()}
    return [next((label for label, members in sets.items() if str(n) in members), _OTHER)
            for n in names]


def _colours(labels) -> dict[str, object]:
    palette = plt.get_cmap("tab10")
    ordered = [label for label in dict.fromkeys(labels) if label != _OTHER]
    colours = {label: palette(i % 10) for i, label in enumerate(ordered)}
    colours[_OTHER] = (0.6, 0.6, 0.6, 1.0)
    return colours


def plot_genome_track(scores, genes, gene_sets=None, start: int = 1, window: int = 50,
                      title: str | None = None) -> Figure:
    """The study's figure: per-position scores, their rolling mean, genes coloured by set.

    Parameters
    ----------
    scores : torch.Tensor or numpy.ndarray, shape (L,)
        Per-position scores of one genome window (e.g. ``locus_scores(attr)[0]``).
    genes : sequence of Interval
        Genes drawn as bars under the track (1-based inclusive).
    gene_sets : mapping of str to collection of str, optional
        Set name to member gene names; genes of no set are grey. The legend lists the sets
        with a gene in the window.
    start : int, default 1
        Genome coordinate of ``scores[0]``.
    window : int, default 50
        Rolling-mean width (the study's k = 50), drawn in red.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Two panels: the track and the gene lane.
    """
    track = np.asarray(scores.detach().cpu() if hasattr(scores, "detach") else scores,
                       dtype=np.float64).reshape(-1)
    length = track.size
    position = start + np.arange(length)
    every = max(1, length // _MAX_POINTS)
    smooth = rolling_mean(track, window)
    fig, (top, lane) = plt.subplots(2, 1, figsize=(12, 4.5), sharex=True, layout="constrained",
                                    height_ratios=(4, 1))
    top.scatter(position[::every], track[::every], s=2, color="0.55", alpha=0.5,
                label=f"score (every {every}th position)" if every > 1 else "score")
    top.plot(position, smooth, color="red", lw=0.8, label=f"rolling mean, k = {window}")
    top.axhline(0, color="black", lw=0.5)
    top.set_ylabel("attribution")
    top.legend(loc="upper right", fontsize=8)
    if title:
        top.set_title(title)
    genes = list(genes)
    labels = _membership([g.name for g in genes], gene_sets)
    colours = _colours(labels)
    lo, stop = interval_positions(genes, start, length)
    shown = set()
    for a, b, label in zip(lo, stop, labels):
        if b > a:
            # genes fill the lower part of the lane so the legend above never hides one
            lane.axvspan(start + a, start + b - 1, ymax=0.6, color=colours[label], lw=0)
            shown.add(label)
    lane.set_yticks([])
    lane.set_xlabel("genome position")
    lane.set_xlim(start, start + length - 1)
    lane.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    lane.legend(handles=[Patch(color=c, label=s) for s, c in colours.items() if s in shown],
                loc="upper right", fontsize=8, ncol=4, frameon=False, borderaxespad=0.1)
    return fig


def plot_gene_set_scores(genes: IntervalScores, gene_sets: Mapping[str, Collection[str]],
                         ax: Axes | None = None, seed: int = 0) -> Axes:
    """Score distribution of each gene set beside the other genes (box and points).

    Parameters
    ----------
    genes : IntervalScores
        Gene scores (:func:`~captum_genomics.aggregate.interval_scores`).
    gene_sets : mapping of str to collection of str
        Set name to member gene names; a gene may be in several sets. "other genes" are
        those in none.
    ax : matplotlib.axes.Axes, optional
    seed : int, default 0
        Horizontal jitter of the points.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(1.8 + 1.4 * (len(gene_sets) + 1), 4), layout="constrained")
    names = genes.name.astype(str)
    score = genes.score
    groups = {label: np.isin(names, np.asarray(list(members), dtype=str))
              for label, members in gene_sets.items()}
    groups[_OTHER] = ~np.any(list(groups.values()), axis=0) if groups else np.ones(len(names),
                                                                                     bool)
    colours = _colours(list(groups))
    rng = np.random.default_rng(seed)
    data = [score[m][~np.isnan(score[m])] for m in groups.values()]
    ax.boxplot(data, showfliers=False, widths=0.5, medianprops={"color": "black"})
    for i, (label, values) in enumerate(zip(groups, data), start=1):
        ax.scatter(i + rng.uniform(-0.15, 0.15, values.size), values, s=8,
                   color=colours[label], alpha=0.7)
    ax.set_xticks(range(1, len(groups) + 1),
                  [f"{label}\n(n = {d.size})" for label, d in zip(groups, data)])
    ax.axhline(0, color="black", lw=0.5)
    ax.set_ylabel("gene score")
    return ax
