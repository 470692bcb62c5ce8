"""Figures of attributions and local datasets (matplotlib + logomaker).

Every function draws on ``ax`` (a new figure when omitted) and returns the Axes, or the
Figure when it draws several panels; none calls ``plt.show()``. Arrays may be torch tensors
or numpy arrays.

Coordinates: position ``i`` of a track is drawn at ``start + i``. Give the genome position of
the first base as ``start`` (1-based, as :class:`~captum_genomics.dna.annotations.Interval`)
to label the axis with genome coordinates, or minus the index of a site to label it relative to
that site. Tracks are drawn in the order given: flip a minus-strand track (transcript
orientation) to genome order before plotting it against genome coordinates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator

from captum_genomics.aggregate import rolling_mean
from captum_genomics.dna.alphabet import BASES
from captum_genomics.dna.annotations import Interval
from captum_genomics.gggp.archive import archive_quality
from captum_genomics.gggp.dataset import LocalDataset
from captum_genomics.gggp.grammar import SNV, Deletion, Grammar, Insertion, encode_sequence

__all__ = [
    "BASE_COLORS",
    "plot_archive_scores",
    "plot_baselines",
    "plot_edits",
    "plot_logo",
    "plot_motif_effects",
    "plot_quality",
    "plot_track",
]

#: Glyph colours of A, C, G, T (tangermeme's and the usual logo colours).
BASE_COLORS = {"A": (0.0, 0.5, 0.0), "C": (0.0, 0.0, 1.0), "G": (1.0, 0.65, 0.0),
               "T": (1.0, 0.0, 0.0)}
#: Longest window :func:`plot_logo` draws (each base is four glyphs).
MAX_LOGO_LENGTH = 1000
_DIRECTION_COLORS = {"gained": "tab:green", "lost": "tab:purple"}
_KIND_COLORS = {"SNV": "tab:blue", "Deletion": "tab:red", "Insertion": "tab:green"}
_COORDINATE = FuncFormatter(lambda value, _: f"{value:,.0f}")


def _as_array(values, name: str) -> np.ndarray:
    """``values`` (tensor or array-like) as a finite float64 numpy array."""
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    array = np.asarray(values, dtype=np.float64)
    if not np.isfinite(array).all():
        raise ValueError(f"{name} holds NaN or infinite values; plot finite values only")
    return array


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _positions(start: int, length: int) -> np.ndarray:
    if isinstance(start, bool) or not hasattr(start, "__index__"):
        raise TypeError(f"start must be an int (the coordinate of the first base), got {start!r}")
    return int(start) + np.arange(length)


def _coordinate_axis(ax: Axes, first: int, length: int, xlabel: str | None) -> None:
    ax.set_xlim(first - 0.5, first + length - 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True))
    ax.xaxis.set_major_formatter(_COORDINATE)
    if xlabel:
        ax.set_xlabel(xlabel)


def plot_logo(
    attributions,
    ax: Axes | None = None,
    start: int = 0,
    highlights: Sequence[tuple] = (),
    xlabel: str | None = "position",
    ylabel: str = "attribution",
    title: str | None = None,
) -> Axes:
    """Draw (4, L) attributions as a sequence logo: positive letters up, negative down.

    Parameters
    ----------
    attributions : torch.Tensor or numpy.ndarray, shape (4, L)
        One window of one sequence, channels A, C, G, T: e.g. observed-base attributions
        (``attr[i] * x[i]``) or hypothetical contributions. At most 1,000 positions.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new 10 x 2.5 inch figure by default.
    start : int, default 0
        Coordinate of the first position (see the module notes).
    highlights : sequence of (first, last) or (first, last, label)
        Spans to shade, inclusive, in the axis coordinates (e.g. a motif or a splice site).
    xlabel, ylabel, title : str, optional
        Axis labels and title.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If ``attributions`` is not (4, L), is longer than 1,000 positions, or is not finite.
    """
    import logomaker  # imported here: pandas and logomaker are slow to import
    import pandas as pd

    a = _as_array(attributions, "attributions")
    if a.ndim != 2 or a.shape[0] != 4 or a.shape[1] == 0:
        hint = " (it looks (L, 4): pass attributions.T)" if a.ndim == 2 and a.shape[1] == 4 else ""
        raise ValueError(
            f"attributions must be (4, L) with channels A, C, G, T, got shape {a.shape}{hint}; "
            "take one sequence and a window of (N, 4, L) attributions, e.g. attr[0, :, 100:160]"
        )
    if a.shape[1] > MAX_LOGO_LENGTH:
        raise ValueError(
            f"a logo of {a.shape[1]} positions is unreadable (and slow); plot a window of at "
            f"most {MAX_LOGO_LENGTH} positions, or the whole sequence with plot_track"
        )
    ax = _axes(ax, (10, 2.5))
    frame = pd.DataFrame(a.T, columns=list(BASES), index=_positions(start, a.shape[1]))
    logomaker.Logo(frame, ax=ax, color_scheme=BASE_COLORS, font_name="DejaVu Sans",
                   baseline_width=0.5)
    _coordinate_axis(ax, int(start), a.shape[1], xlabel)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_ylabel(ylabel)
    for span in highlights:
        first, last, *label = span
        ax.axvspan(first - 0.5, last + 0.5, color="0.85", zorder=-1, lw=0)
        if label:
            ax.text((first + last) / 2, 1.0, str(label[0]), transform=ax.get_xaxis_transform(),
                    ha="center", va="bottom", fontsize=9)
    if title:
        ax.set_title(title, pad=14 if any(len(s) > 2 for s in highlights) else 6)
    return ax


def _feature(item) -> tuple[int, int, str, bool]:
    """``(first, last, name, is_intron)`` of an :class:`Interval` or a (start, end, name)."""
    if isinstance(item, Interval):
        first, last, name = item.start, item.end, item.name
        kind = item.feature or name
    else:
        try:
            first, last, name = item
        except (TypeError, ValueError):
            raise ValueError(
                f"intervals must be Interval objects or (start, end, name) tuples, got {item!r}"
            ) from None
        kind = name = str(name)
        first, last = int(first), int(last)
    return first, last, name, kind.lower().startswith("intron")


def _annotation_lane(lane: Axes, intervals, sites) -> None:
    """Exons as boxes on a line, introns as the line, sites as ticks with labels."""
    features = [_feature(item) for item in intervals or ()]
    lane.set_ylim(-1.8, 1.8)
    lane.set_yticks([])
    lane.spines[["top", "right", "left"]].set_visible(False)
    if features:
        low = min(f[0] for f in features)
        high = max(f[1] for f in features)
        lane.plot([low - 0.5, high + 0.5], [0, 0], color="0.3", lw=1, zorder=1)
        boxes = sorted((f for f in features if not f[3]), key=lambda f: f[0])
        for row, (first, last, name, _) in enumerate(boxes):
            lane.add_patch(Rectangle((first - 0.5, -0.4), last - first + 1, 0.8,
                                     facecolor="0.55", edgecolor="0.2", lw=0.8, zorder=2))
            if name:  # labels alternate above and below, so that close exons stay readable
                y, va = (0.55, "bottom") if row % 2 == 0 else (-0.55, "top")
                lane.text((first + last) / 2, y, name, ha="center", va=va, fontsize=8,
                          clip_on=True)
    for site in sites or ():
        position, label = (site, None) if np.ndim(site) == 0 else site
        lane.plot([position, position], [-1.0, 1.0], color="tab:purple", lw=1.2, zorder=3)
        lane.plot([position], [1.1], marker="v", color="tab:purple", markersize=5, zorder=3)


def _track_and_lane(ax: Axes | None) -> tuple[Axes, Axes]:
    """A track Axes over a thin annotation lane: a new figure, or ``ax``'s place split."""
    if ax is None:
        figure = plt.figure(figsize=(10, 3.4), layout="constrained")
        spec = figure.add_gridspec(2, 1, height_ratios=(4, 1))
    else:
        figure = ax.figure
        spec = ax.get_subplotspec().subgridspec(2, 1, height_ratios=(4, 1), hspace=0.02)
        ax.remove()
    track = figure.add_subplot(spec[0])
    lane = figure.add_subplot(spec[1], sharex=track)
    lane.set_label("annotation")
    return track, lane


def plot_track(
    values,
    ax: Axes | None = None,
    start: int = 0,
    intervals: Sequence | None = None,
    sites: Sequence | None = None,
    smooth: int | None = None,
    label: str | None = None,
    xlabel: str | None = "position",
    ylabel: str = "attribution",
    color: str = "tab:blue",
    lane: Axes | None = None,
) -> Axes:
    """Draw a per-base track, with an annotation lane beneath when features are given.

    Parameters
    ----------
    values : torch.Tensor or numpy.ndarray, shape (L,)
        One score per base, e.g. ``locus_scores(attr)[i]``.
    ax : matplotlib.axes.Axes, optional
        Where to draw the track; a new 10 x 3 inch figure by default. With features and no
        ``lane``, the place of ``ax`` (a subplot) is split into the track and a lane beneath
        it, and the track is a new Axes: use the one returned.
    start : int, default 0
        Coordinate of ``values[0]`` (see the module notes).
    intervals : sequence of Interval or tuple, optional
        ``Interval`` objects or ``(start, end, name)`` tuples: features in the axis
        coordinates, ``start`` and ``end`` inclusive (the convention of
        :class:`~captum_genomics.dna.annotations.Interval`, so that intervals read by
        ``read_bed`` / ``read_gff3`` line up with ``start`` = the genome position of the first
        base). Features whose type (``Interval.feature``) or name starts with "intron" are
        drawn as the line, the others (exons) as boxes.
    sites : sequence of int or (int, label), optional
        Splice sites (or any positions) in the axis coordinates, drawn as ticks in the lane
        and dashed lines on the track, labels above the track.
    smooth : int, optional
        Width of a rolling mean (:func:`~captum_genomics.aggregate.rolling_mean`) drawn over
        the track.
    label : str, optional
        Legend label of the track.
    xlabel, ylabel : str, optional
        Axis labels (``xlabel`` goes under the lowest panel).
    color : str, default "tab:blue"
        Colour of the track.
    lane : matplotlib.axes.Axes, optional
        Where to draw the features (labelled ``"annotation"`` when made here).

    Returns
    -------
    matplotlib.axes.Axes
        The track's Axes.

    Raises
    ------
    ValueError
        If ``values`` is not a finite (L,) array, or a feature is malformed.
    """
    v = _as_array(values, "values")
    if v.ndim != 1 or v.size == 0:
        raise ValueError(
            f"values must be one track (L,), got shape {v.shape}; reduce (N, 4, L) attributions "
            "with locus_scores(attr)[i] first"
        )
    annotated = bool(intervals) or bool(sites)
    if annotated and lane is None:
        ax, lane = _track_and_lane(ax)
    ax = _axes(ax, (10, 3))
    x = _positions(start, v.size)
    ax.fill_between(x, 0, v, step="mid", color=color, lw=0, alpha=0.8, label=label)
    ax.axhline(0, color="0.4", lw=0.5)
    if smooth is not None:
        ax.plot(x, rolling_mean(v, smooth), color="black", lw=1,
                label=f"rolling mean ({smooth} nt)")
    if label is not None or smooth is not None:
        ax.legend(loc="lower right", bbox_to_anchor=(1, 1), ncols=2, fontsize=8, frameon=False,
                  borderaxespad=0)
    ax.set_ylabel(ylabel)
    ax.spines[["top", "right"]].set_visible(False)
    _coordinate_axis(ax, int(start), v.size, xlabel)
    for site in sites or ():
        position, site_label = (site, None) if np.ndim(site) == 0 else site
        ax.axvline(position, color="tab:purple", lw=0.6, ls="--", zorder=0)
        if site_label:
            ax.text(position, 1.0, site_label, transform=ax.get_xaxis_transform(), ha="center",
                    va="bottom", fontsize=8, color="tab:purple")
    if annotated:
        _annotation_lane(lane, intervals, sites)
        _coordinate_axis(lane, int(start), v.size, xlabel)
        ax.tick_params(labelbottom=False)
        ax.set_xlabel("")
    return ax


def plot_baselines(
    tracks: Mapping[str, object],
    axes: Sequence[Axes] | None = None,
    start: int = 0,
    intervals: Sequence | None = None,
    sites: Sequence | None = None,
    smooth: int | None = None,
    xlabel: str | None = "position",
    sharey: bool = False,
) -> Figure:
    """Stack per-base tracks of several baselines or methods over a shared x axis.

    Parameters
    ----------
    tracks : mapping of str to (L,) arrays
        One track per baseline or method (e.g. ``{"uniform": scores_u, "shuffle": ...}``),
        all of the same length, drawn top to bottom in order.
    axes : sequence of matplotlib.axes.Axes, optional
        One Axes per track; a new figure with one row per track by default.
    start, intervals, sites, xlabel
        As in :func:`plot_track`; the annotation lane goes under the lowest track (its own
        row in a new figure; given ``axes``, the lowest one's place is split).
    smooth : int, optional
        Width of a rolling mean drawn over the top track.
    sharey : bool, default False
        One y scale for every track (compare magnitudes) instead of one per track.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``tracks`` is empty, the tracks differ in length, or ``axes`` has the wrong
        number of Axes.
    """
    if not tracks:
        raise ValueError("tracks is empty: give one (L,) track per baseline or method")
    arrays = {name: _as_array(values, f"track {name!r}") for name, values in tracks.items()}
    shapes = {name: a.shape for name, a in arrays.items()}
    if len(set(shapes.values())) != 1 or next(iter(shapes.values())).__len__() != 1:
        raise ValueError(f"tracks must all be (L,) of one length, got shapes {shapes}")
    annotated = bool(intervals) or bool(sites)
    lane = None
    if axes is None:
        n = len(arrays)
        figure, grid = plt.subplots(n + annotated, 1, figsize=(10, 1.5 + 1.3 * n),
                                    sharex=True, layout="constrained", squeeze=False,
                                    height_ratios=[4] * n + [1.5] * annotated)
        axes = list(grid[:n, 0])
        lane = grid[n, 0] if annotated else None
        if lane is not None:
            lane.set_label("annotation")
        if sharey:
            for ax in axes[1:]:
                ax.sharey(axes[0])
    if len(axes) != len(arrays):
        raise ValueError(f"axes has {len(axes)} Axes for {len(arrays)} tracks")
    last = len(arrays) - 1
    for i, (ax, (name, values)) in enumerate(zip(axes, arrays.items())):
        bottom = i == last
        ax = plot_track(values, ax=ax, start=start, intervals=intervals if bottom else None,
                        sites=sites if bottom else None, smooth=smooth if i == 0 else None,
                        xlabel=xlabel if bottom else None, ylabel=name, color=f"C{i}",
                        lane=lane if bottom else None)
        if not bottom:
            ax.tick_params(labelbottom=False)
        for site in () if bottom else sites or ():
            ax.axvline(site if np.ndim(site) == 0 else site[0], color="tab:purple", lw=0.6,
                       ls="--", zorder=0)
    return axes[0].figure


def plot_archive_scores(
    dataset: LocalDataset,
    ax: Axes | None = None,
    bins: int = 40,
    score_range: tuple[float, float] | None = None,
    reference_score: float | None = None,
    label: str | None = None,
) -> Axes:
    """Histogram of a local dataset's scores, with the unedited sequence's score marked.

    Parameters
    ----------
    dataset : LocalDataset
        ``n`` scored perturbations.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new 6 x 3.5 inch figure by default.
    bins : int, default 40
        Bins over ``score_range`` (40 bins over 0-1 are the archive's own).
    score_range : (float, float), optional
        Range of the bins, scores outside it counted in the end bins; by default (0, 1) (the
        archive's) when every score lies in it, else the range of the scores.
    reference_score : float, optional
        Score of the unedited sequence; by default the dataset's ``original_score``
        provenance.
    label : str, optional
        Title; by default the size and the archive quality.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not isinstance(dataset, LocalDataset):
        raise TypeError(f"dataset must be a LocalDataset, got {type(dataset).__name__}")
    ax = _axes(ax, (6, 3.5))
    if reference_score is None:
        reference_score = dataset.provenance.get("original_score")
    if score_range is None:
        scores = np.append(dataset.scores, [] if reference_score is None else reference_score)
        low, high = (float(scores.min()), float(scores.max())) if scores.size else (0.0, 1.0)
        score_range = (0.0, 1.0) if low >= 0 and high <= 1 else (low, max(high, low + 1e-9))
    low, high = score_range
    ax.hist(np.clip(dataset.scores, low, high), bins=bins, range=score_range, color="tab:blue",
            edgecolor="white", lw=0.5)
    if reference_score is not None:
        ax.axvline(reference_score, color="tab:red", lw=1.5,
                   label=f"unedited sequence ({reference_score:.3f})")
        ax.legend(fontsize=8, frameon=False)
    ax.set_xlim(low, high)
    ax.set_xlabel("model score")
    ax.set_ylabel("sequences in the archive")
    ax.spines[["top", "right"]].set_visible(False)
    if label is None:
        quality = archive_quality(dataset.scores, score_range=score_range)
        label = f"{len(dataset)} sequences, archive quality {quality:.3f}"
    ax.set_title(label, fontsize=10)
    return ax


def plot_quality(
    evaluations: Sequence,
    qualities: Sequence,
    labels: Sequence[str] | None = None,
    ax: Axes | None = None,
    xlabel: str = "model evaluations",
) -> Axes:
    """Archive quality against evaluations, one line per run.

    Parameters
    ----------
    evaluations : sequence of (T_i,) arrays
        Evaluations spent after each generation of each run (``row["evaluations"]`` of a
        :class:`~captum_genomics.gggp.SearchResult`'s ``log``).
    qualities : sequence of (T_i,) arrays
        Archive quality after the same generations (``row["quality"]``).
    labels : sequence of str, optional
        One name per run (e.g. ``["GGGP", "random"]``).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new 6 x 3.5 inch figure by default.
    xlabel : str, default "model evaluations"
        Label of the x axis.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If the runs, their lengths or the labels do not match.
    """
    if len(evaluations) != len(qualities):
        raise ValueError(f"{len(evaluations)} runs of evaluations but {len(qualities)} of "
                         "qualities: give one array of each per run")
    if labels is not None and len(labels) != len(evaluations):
        raise ValueError(f"{len(labels)} labels for {len(evaluations)} runs")
    ax = _axes(ax, (6, 3.5))
    for i, (x, y) in enumerate(zip(evaluations, qualities)):
        x, y = _as_array(x, "evaluations"), _as_array(y, "qualities")
        if x.ndim != 1 or x.shape != y.shape:
            raise ValueError(f"run {i}: evaluations {x.shape} and qualities {y.shape} must be "
                             "two (T,) arrays")
        ax.plot(x, y, marker="o", markersize=3, lw=1.2,
                label=None if labels is None else labels[i])
    ax.set_ylim(0, 1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("archive quality")
    ax.spines[["top", "right"]].set_visible(False)
    if labels is not None:
        ax.legend(fontsize=8, frameon=False)
    return ax


def _grammar_of(dataset: LocalDataset) -> Grammar:
    """The grammar recorded in a dataset's provenance (built-in unit kinds only)."""
    description = dict(dataset.provenance.get("grammar") or {})
    if not description:
        raise ValueError("the dataset records no grammar: pass grammar=")
    kinds = []
    for kind in description.pop("kinds"):
        fields = {k: tuple(v) if isinstance(v, list) else v for k, v in kind.items()}
        cls = {"SNV": SNV, "Deletion": Deletion, "Insertion": Insertion}.get(fields.pop("type"))
        if cls is None:
            raise ValueError(f"the dataset's grammar has a unit kind of its own ({kind['type']})"
                             ": pass grammar=")
        kinds.append(cls(**fields))
    return Grammar(kinds=tuple(kinds), **description)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Half-open ``[start, end)`` runs of True in a (L,) bool mask."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def plot_edits(
    dataset: LocalDataset,
    grammar: Grammar | None = None,
    ax: Axes | None = None,
    bins: int = 100,
    start: int = 0,
    xlabel: str | None = "position in the reference",
    zoom: bool = True,
) -> Axes:
    """Where the edits of a local dataset fall: counts per kind along the reference.

    Parameters
    ----------
    dataset : LocalDataset
        ``n`` perturbations of one reference of length L.
    grammar : Grammar, optional
        The grammar that made them; by default the one recorded in the provenance. Its
        forbidden positions (splice-site windows, N padding, beyond ``max_distance`` of the
        region of interest) are shaded grey and the region of interest yellow.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new 10 x 3 inch figure by default.
    bins : int, default 100
        Bins along the drawn span (at most one per base); each unit counts once in the bin of
        its first reference base, stacked by kind (a deletion counts where it starts).
    start : int, default 0
        Coordinate of reference base 0 (see the module notes).
    xlabel : str, optional
        Label of the x axis.
    zoom : bool, default True
        Draw only the span where edits are allowed (plus 5 %), not the whole reference.

    Returns
    -------
    matplotlib.axes.Axes
        One bar container per kind, one bar per bin.
    """
    if not isinstance(dataset, LocalDataset):
        raise TypeError(f"dataset must be a LocalDataset, got {type(dataset).__name__}")
    grammar = _grammar_of(dataset) if grammar is None else grammar
    population = dataset.population(grammar)
    forbidden = grammar.forbidden_mask(encode_sequence(dataset.reference))
    allowed = np.flatnonzero(~forbidden)
    low, high = 0, len(dataset.reference)
    if zoom and allowed.size:
        margin = max(10, (allowed[-1] + 1 - allowed[0]) // 20)
        low, high = max(low, allowed[0] - margin), min(high, allowed[-1] + 1 + margin)
    length = high - low
    bins = max(1, min(int(bins), length))
    edges = np.linspace(low, high, bins + 1)
    ax = _axes(ax, (10, 3))
    offset = int(start)
    for first, end in _runs(forbidden):
        ax.axvspan(offset + first - 0.5, offset + end - 0.5, color="0.88", lw=0, zorder=0)
    if grammar.roi is not None:
        ax.axvspan(offset + grammar.roi[0] - 0.5, offset + grammar.roi[1] - 0.5,
                   color="gold", alpha=0.35, lw=0, zorder=0, label="region of interest")
    bottom = np.zeros(bins)
    widths = np.diff(edges)
    for code, name in enumerate(grammar.kind_names):
        positions = population.pos[population.kind == code]
        counts, _ = np.histogram(positions, bins=edges)
        ax.bar(offset + edges[:-1] - 0.5, counts, width=widths, bottom=bottom, align="edge",
               color=_KIND_COLORS.get(name, f"C{code + 3}"), label=name, lw=0, zorder=2)
        bottom += counts
    ax.set_ylabel(f"edits per {length / bins:,.0f} nt")
    ax.spines[["top", "right"]].set_visible(False)
    _coordinate_axis(ax, offset + low, length, xlabel)
    ax.legend(fontsize=8, frameon=False, ncols=4, loc="upper left", bbox_to_anchor=(0, 1.15))
    return ax


def _q_values(enrichment) -> dict[tuple[str, str], float]:
    """``(motif, direction) -> q-value`` of a motif enrichment table."""
    rows = zip(enrichment.column("motif"), enrichment.column("direction"),
               enrichment.column("q_value"))
    return {(str(m), str(d)): float(q) for m, d, q in rows}


def plot_motif_effects(surrogate, enrichment=None, ax: Axes | None = None,
                       top: int = 12) -> Axes:
    """Horizontal bars of a motif surrogate's non-zero coefficients, largest first.

    Parameters
    ----------
    surrogate : MotifSurrogate
        From :func:`~captum_genomics.motifs.fit_motif_surrogate`: ``(2M,)`` coefficients, the
        score change per motif occurrence gained or lost, and the held-out fidelity (its R² is
        in the title).
    enrichment : MotifTable, optional
        From :func:`~captum_genomics.motifs.motif_enrichment`: each bar's Benjamini–Hochberg
        q-value is written at its end (``"q=3e-05"``; ``"q=n/a"`` when untestable).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure, 6.5 inches wide and sized to the bars, by default.
    top : int, default 12
        Most bars drawn (the largest ``|coefficient|``).

    Returns
    -------
    matplotlib.axes.Axes
        One bar per drawn feature, top to bottom by decreasing ``|coefficient|``, labelled
        ``"MOTIF gained"`` / ``"MOTIF lost"``; a message in the Axes when every coefficient is
        zero.
    """
    if not hasattr(surrogate, "ranking") or not hasattr(surrogate, "fidelity"):
        raise TypeError(f"surrogate must be a MotifSurrogate, got {type(surrogate).__name__}")
    if isinstance(top, bool) or not hasattr(top, "__index__") or top < 1:
        raise ValueError(f"top must be a positive int, got {top!r}")
    ranking = surrogate.ranking()
    rows = [(str(m), str(d), float(c)) for m, d, c in ranking.rows if c != 0][: int(top)]
    ax = _axes(ax, (6.5, 1.4 + 0.32 * max(len(rows), 2)))
    r2 = surrogate.fidelity.get("r2", float("nan"))
    fidelity = "not held out" if np.isnan(r2) else f"{r2:.2f}"
    ax.set_title(f"motif surrogate (held-out R\N{SUPERSCRIPT TWO} {fidelity})", fontsize=10,
                 loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_xlabel("predicted score change per occurrence")
    if not rows:
        ax.text(0.5, 0.5, "every motif coefficient is zero:\nno motif change predicts the score",
                transform=ax.transAxes, ha="center", va="center", fontsize=9, color="0.3")
        ax.set_yticks([])
        return ax
    values = np.array([c for _, _, c in rows])
    y = np.arange(len(rows))
    ax.barh(y, values, color=[_DIRECTION_COLORS[d] for _, d, _ in rows], height=0.7, zorder=2)
    ax.set_yticks(y, [f"{m} {d}" for m, d, _ in rows], fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0, color="0.3", lw=0.8, zorder=3)
    span = max(float(np.abs(values).max()), 1e-12)
    low, high = min(values.min(), 0.0), max(values.max(), 0.0)
    if enrichment is not None:
        q_values = _q_values(enrichment)
        for row, (motif, direction, value) in enumerate(rows):
            q = q_values.get((motif, direction), float("nan"))
            ax.text(value + np.copysign(0.02 * span, value), row,
                    "q=n/a" if np.isnan(q) else f"q={q:.0e}" if q < 0.01 else f"q={q:.2f}",
                    ha="left" if value > 0 else "right", va="center", fontsize=7, color="0.25")
        # room for the labels beyond the longest bars
        low, high = low - 0.3 * span * (low < 0), high + 0.3 * span * (high > 0)
    ax.set_xlim(low - 0.05 * span, high + 0.05 * span)
    ax.legend(handles=[Rectangle((0, 0), 1, 1, color=color, label=direction)
                       for direction, color in _DIRECTION_COLORS.items()],
              fontsize=8, loc="best")  # inside: the small bars leave room at the bottom
    return ax
