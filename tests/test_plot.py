"""Figures: each function returns Axes (or a Figure) with the expected artists, on genome
coordinates, saves a non-empty PNG, and refuses bad shapes with a message."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from captum_genomics import plot  # noqa: E402
from captum_genomics.dna.annotations import Interval  # noqa: E402
from captum_genomics.gggp import Grammar, LocalDataset, SearchSettings, search  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def saved(figure, tmp_path, name="figure.png") -> int:
    path = tmp_path / name
    figure.savefig(path)
    return path.stat().st_size


def test_logo_draws_letters_on_coordinates(tmp_path):
    attributions = np.zeros((4, 20))
    attributions[np.arange(20) % 4, np.arange(20)] = np.linspace(-1, 1, 20)
    ax = plot.plot_logo(torch.from_numpy(attributions), start=94800,
                        highlights=[(94805, 94808, "motif")])
    assert ax.get_xlim() == (94799.5, 94819.5)
    bottom, top = ax.get_ylim()
    assert bottom < 0 < top  # negative letters drawn downwards
    letters = [p for p in ax.patches if p.get_facecolor()[:3] in
               {tuple(c) for c in plot.BASE_COLORS.values()}]
    assert len(letters) >= 20
    assert any(t.get_text() == "motif" for t in ax.texts)
    assert saved(ax.figure, tmp_path) > 1000


@pytest.mark.parametrize("shape", [(20, 4), (3, 20), (4,), (2, 4, 20), (4, 0)])
def test_logo_refuses_bad_shapes(shape):
    with pytest.raises(ValueError, match=r"\(4, L\)"):
        plot.plot_logo(np.zeros(shape))


def test_logo_refuses_long_windows_and_nan():
    with pytest.raises(ValueError, match="plot_track"):
        plot.plot_logo(np.zeros((4, plot.MAX_LOGO_LENGTH + 1)))
    values = np.zeros((4, 10))
    values[0, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        plot.plot_logo(values)


def test_track_with_annotation_lane(tmp_path):
    values = np.sin(np.arange(3000) / 50)
    intervals = [Interval("chr10", 92201, 92600, name="exon1"),
                 Interval("chr10", 92601, 92999, name="intron1"), (93000, 93100, "exon2")]
    ax = plot.plot_track(values, start=92001, intervals=intervals,
                         sites=[(93000, "acceptor"), 93100], smooth=25, label="IG")
    assert ax.get_xlim() == (92000.5, 95000.5)
    lanes = [a for a in ax.figure.axes if a.get_label() == "annotation"]
    assert len(lanes) == 1
    lane = lanes[0]
    assert len(lane.patches) == 2  # two exon boxes; the intron is the line
    assert {t.get_text() for t in lane.texts} == {"exon1", "exon2"}
    assert [t.get_text() for t in ax.texts] == ["acceptor"]
    assert lane.get_xlim() == ax.get_xlim()
    assert len(ax.lines) >= 1 + 2  # rolling mean and two site lines (plus the zero line)
    assert saved(ax.figure, tmp_path) > 1000


def test_track_without_features_has_no_lane():
    ax = plot.plot_track(torch.zeros(50))
    assert [a.get_label() for a in ax.figure.axes] == [ax.get_label()]
    assert ax.get_xlim() == (-0.5, 49.5)


@pytest.mark.parametrize("shape", [(4, 50), (1, 50), (0,)])
def test_track_refuses_bad_shapes(shape):
    with pytest.raises(ValueError, match=r"\(L,\)"):
        plot.plot_track(np.zeros(shape))


def test_track_refuses_malformed_interval():
    with pytest.raises(ValueError, match="start, end, name"):
        plot.plot_track(np.zeros(10), intervals=[(1, 2)])


def test_baselines_stack_tracks_on_a_shared_axis(tmp_path):
    tracks = {"uniform": np.ones(100), "shuffle": -np.ones(100), "zeros": np.arange(100.0)}
    figure = plot.plot_baselines(tracks, start=1000, intervals=[(1010, 1040, "motif")])
    tracks_axes = [a for a in figure.axes if a.get_label() != "annotation"]
    assert [a.get_ylabel() for a in tracks_axes] == list(tracks)
    assert all(a.get_xlim() == (999.5, 1099.5) for a in figure.axes)
    assert len([a for a in figure.axes if a.get_label() == "annotation"]) == 1
    assert saved(figure, tmp_path) > 1000


def test_baselines_refuse_mismatched_tracks():
    with pytest.raises(ValueError, match="one length"):
        plot.plot_baselines({"a": np.zeros(10), "b": np.zeros(11)})
    with pytest.raises(ValueError, match="empty"):
        plot.plot_baselines({})


@pytest.fixture(scope="module")
def search_result():
    rng = np.random.default_rng(0)
    reference = "".join(rng.choice(list("ACGT"), 400))
    grammar = Grammar(acceptors=(200,), roi=(150, 260), max_distance=100)

    def gc_share(batch):
        codes = batch.sequences[:, 100:300]
        return ((codes == 1) | (codes == 2)).mean(axis=1)

    return search(reference, gc_share, grammar=grammar,
                  settings=SearchSettings(max_evaluations=300, population_size=60), seed=0)


def test_archive_scores_histogram(search_result, tmp_path):
    dataset = LocalDataset.from_search(search_result)
    ax = plot.plot_archive_scores(dataset, bins=40)
    assert len(ax.patches) == 40
    assert sum(p.get_height() for p in ax.patches) == len(dataset)
    marked = [line.get_xdata()[0] for line in ax.lines]
    assert marked == [pytest.approx(search_result.original_score)]
    assert ax.get_xlim() == (0.0, 1.0)
    assert saved(ax.figure, tmp_path) > 1000


def test_archive_scores_range_follows_scores_outside_0_1(search_result):
    dataset = LocalDataset.from_search(search_result)
    dataset.scores = dataset.scores * 10 - 3
    ax = plot.plot_archive_scores(dataset, reference_score=-5.0)  # the range includes it
    assert ax.get_xlim() == (-5.0, pytest.approx(dataset.scores.max()))


def test_quality_one_line_per_run(search_result, tmp_path):
    log = search_result.log
    runs = ([r["evaluations"] for r in log], [r["evaluations"] for r in log])
    qualities = ([r["quality"] for r in log], [r["quality"] / 2 for r in log])
    ax = plot.plot_quality(runs, qualities, ["GGGP", "half"])
    assert len(ax.lines) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["GGGP", "half"]
    assert saved(ax.figure, tmp_path) > 1000
    with pytest.raises(ValueError, match="labels"):
        plot.plot_quality(runs, qualities, ["one"])
    with pytest.raises(ValueError, match="run 0"):
        plot.plot_quality([[1, 2, 3]], [[0.1, 0.2]])


def test_edits_counted_per_kind_and_bin(search_result, tmp_path):
    dataset = LocalDataset.from_search(search_result)
    ax = plot.plot_edits(dataset, bins=40, start=1, zoom=False)  # grammar from provenance
    kinds = dataset.population(search_result.space.grammar).kind
    assert [len(bars) for bars in ax.containers] == [40, 40, 40]
    for code, bars in enumerate(ax.containers):
        assert sum(bar.get_height() for bar in bars) == int((kinds == code).sum())
    assert ax.get_xlim() == (0.5, 400.5)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["region of interest", "SNV", "Deletion", "Insertion"]
    # no edit falls in the forbidden acceptor window [190, 203) or beyond the distance limit
    for patch in (bar for bars in ax.containers for bar in bars):
        left = patch.get_x() + 0.5 - 1
        if patch.get_height() and (left + patch.get_width() <= 50 or left >= 360):
            pytest.fail(f"edits drawn at forbidden positions {left}")
    assert saved(ax.figure, tmp_path) > 1000


def test_edits_zoom_on_the_allowed_span(search_result):
    dataset = LocalDataset.from_search(search_result)
    ax = plot.plot_edits(dataset, bins=20)  # edits allowed in [50, 360): margin 15
    assert ax.get_xlim() == (34.5, 374.5)
    assert [len(bars) for bars in ax.containers] == [20, 20, 20]


def test_edits_need_a_grammar_when_none_was_recorded(search_result):
    dataset = LocalDataset.from_search(search_result)
    dataset.provenance = {}
    with pytest.raises(ValueError, match="grammar="):
        plot.plot_edits(dataset)
    ax = plot.plot_edits(dataset, search_result.space.grammar, bins=10)
    assert [len(bars) for bars in ax.containers] == [10, 10, 10]


def _motif_surrogate(coefficients, r2=0.8):
    from captum_genomics.motifs import MotifSurrogate

    names = [(m, d) for d in ("gained", "lost") for m in ("ESE", "ESS", "PTB")]
    return MotifSurrogate(names, np.asarray(coefficients, float), 0.5, 1e-3,
                          {"r2": r2, "spearman": 0.9, "n_train": 30, "n_test": 10})


def test_motif_effects_bars_follow_the_surrogate(tmp_path):
    from captum_genomics.motifs import MotifTable

    surrogate = _motif_surrogate([0.02, 0.0, 0.0, -0.3, 0.1, 0.0])
    enrichment = MotifTable(("motif", "direction", "q_value"),
                            [("ESE", "lost", 3e-5), ("ESS", "lost", 0.2),
                             ("ESE", "gained", float("nan"))])
    ax = plot.plot_motif_effects(surrogate, enrichment)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["ESE lost", "ESS lost", "ESE gained"]  # by |coefficient|, zeros left out
    widths = [bar.get_width() for bar in ax.patches[:3]]
    assert widths == pytest.approx([-0.3, 0.1, 0.02])
    colors = [bar.get_facecolor() for bar in ax.patches[:3]]
    assert colors[0] == colors[1] != colors[2]  # lost and gained in two colours
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["q=3e-05", "q=0.20", "q=n/a"]
    assert "0.80" in ax.get_title(loc="left")
    assert ax.get_xlabel() == "predicted score change per occurrence"
    assert ax.get_xlim()[0] < -0.3 and ax.get_xlim()[1] > 0.1
    assert saved(ax.figure, tmp_path) > 1000


def test_motif_effects_top_and_zero_surrogate(tmp_path):
    ax = plot.plot_motif_effects(_motif_surrogate([0.02, 0.0, 0.0, -0.3, 0.1, 0.0]), top=1)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["ESE lost"]
    assert not ax.texts  # no enrichment, no q-values
    ax = plot.plot_motif_effects(_motif_surrogate(np.zeros(6), r2=float("nan")))
    assert not ax.patches
    assert "zero" in ax.texts[0].get_text()
    assert "not held out" in ax.get_title(loc="left")
    assert saved(ax.figure, tmp_path) > 1000
    with pytest.raises(ValueError, match="top"):
        plot.plot_motif_effects(_motif_surrogate(np.zeros(6)), top=0)
