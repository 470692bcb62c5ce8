import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from captum_genomics import interval_scores  # noqa: E402
from captum_genomics.dna.annotations import Interval  # noqa: E402
from captum_genomics.genome.plots import plot_gene_set_scores, plot_genome_track  # noqa: E402

GENES = [Interval("chr", 101 + 300 * k, 300 + 300 * k, "+", f"g{k}") for k in range(10)]
SETS = {"planted": ["g1", "g4"]}


def test_genome_track_colours_genes_by_set(tmp_path):
    track = np.random.default_rng(0).normal(size=3100)
    fig = plot_genome_track(track, GENES, SETS, start=1, window=50, title="t")
    top, lane = fig.axes
    assert top.get_title() == "t"
    labels = [t.get_text() for t in lane.get_legend().get_texts()]
    assert labels == ["planted", "other genes"]
    assert len(lane.patches) == 10
    fig.savefig(tmp_path / "track.png")
    plt.close(fig)
    zoom = plot_genome_track(track[:900], GENES, SETS, start=1)  # g0..g2: only g1 planted
    assert len(zoom.axes[1].patches) == 3
    plt.close(zoom)
    no_planted = plot_genome_track(track[:250], GENES, SETS, start=1)  # g0 only
    assert [t.get_text() for t in no_planted.axes[1].get_legend().get_texts()] == ["other genes"]
    plt.close(no_planted)


def test_gene_set_scores_one_box_per_group():
    track = np.random.default_rng(0).normal(size=3100)
    ax = plot_gene_set_scores(interval_scores(track, GENES), SETS)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["planted\n(n = 2)", "other genes\n(n = 8)"]
    plt.close(ax.figure)
