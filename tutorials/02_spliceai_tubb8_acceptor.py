# %% [markdown]
# # Why does SpliceAI call this acceptor? Integrated gradients on TUBB8
#
# The package ships the first 110 kb of GRCh37 chr10, which holds the gene TUBB8
# (minus strand). We read 15 kb around it in transcript orientation, load the
# published SpliceAI models from the installed `spliceai` package (CC BY-NC 4.0,
# never shipped with this package: `pip install --no-deps spliceai==1.3.1`), and ask
# which bases drive the acceptor call of the third exon (transcript order; the first exon has
# no acceptor, so it is `TUBB8.acceptors[1]`).
#
# `SMALL=1` in the environment uses one model and a few integration steps.
# Figures are written with `captum_genomics.plot` to the directory named by the environment
# variable `TUTORIAL_OUTPUT` (default `./tutorial_figures`; a temporary directory with
# `SMALL=1`, so that test runs leave nothing behind).

# %%
import os
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no window

import torch

from captum_genomics import TUBB8, GenomicIntegratedGradients, locus_scores, one_hot, tubb8_sequence
from captum_genomics.models import load_spliceai
from captum_genomics.splicing import SpliceSiteHead

SMALL = os.environ.get("SMALL") == "1"
OUTPUT = Path(os.environ.get("TUTORIAL_OUTPUT")
              or (tempfile.mkdtemp(prefix="tutorial_") if SMALL else "tutorial_figures"))
OUTPUT.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## The input: 15 kb in transcript orientation
# `tubb8_sequence((upstream, downstream))` reads the gene plus flanks; `index()`
# maps genome positions to indices. Sites are named by their index in the input (the
# sequence the model reads): SpliceAI-10k needs 5,000 nt of context on each side, so the
# input index `i` is SpliceAI's output position `i - 5000`, and indices 5000..9999 of
# this 15-kb input have a full context.

# %%
region = tubb8_sequence((6182, 6181))
x = one_hot(region.sequence)  # (1, 4, 15000); N columns are all zero, as SpliceAI expects
acceptor = TUBB8.acceptors[1]  # genome position of exon 3's acceptor (exon 1 has none)
site = region.index(acceptor)
print(f"{len(region)} nt, acceptor chr10:{acceptor} is input position {site}")

# %% [markdown]
# ## A head that turns SpliceAI's (N, 3, L) output into one score
# `SpliceSiteHead` runs only the 10,001-nt window the site depends on.

# %%
try:
    model = load_spliceai("spliceai", members=[1] if SMALL else None)
except ModuleNotFoundError as missing:  # the weights package is not installed
    print(missing)
    raise SystemExit(0) from None
head = SpliceSiteHead(model, sites=[site], kinds="acceptor")
with torch.no_grad():
    print(f"acceptor probability: {head(x).item():.3f}")

# %% [markdown]
# ## Integrated gradients from the uniform reference
# The completeness delta tells whether `n_steps` was enough.

# %%
ig = GenomicIntegratedGradients(head)
attr, delta = ig.attribute(x, baselines="uniform", target=0, n_steps=8 if SMALL else 50,
                           internal_batch_size=4, return_convergence_delta=True)
scores = locus_scores(attr, "sum")[0]
print(f"sum of attributions {scores.sum():.3f}, completeness delta {delta.item():.2e}")

# %% [markdown]
# ## Where the evidence sits
# Positions are given relative to the acceptor's exon base (0); the intron is
# upstream (negative). Expect the AG at -2/-1 and the pyrimidine tract before it.

# %%
centre = site
top = torch.topk(scores.abs(), 10).indices
for index in sorted(top.tolist()):
    base = region.sequence[index].upper()
    print(f"{index - centre:+6d} {base} {scores[index]:+.4f}")

# %% [markdown]
# ## From bases to annotated features
# Per-base scores add up over annotated features. We write TUBB8's exons and introns to
# a BED file (any BED or GFF3 works: `read_bed`, `read_gff3`), put the track back in
# genome order (it is in transcript orientation, the reverse of the genome here), and
# rank the features by their mean absolute attribution (the explained acceptor opens
# exon 3, whose donor lies 111 nt downstream, at +111). A rolling mean shows where the
# evidence concentrates along the transcript.

# %%
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

from captum_genomics import interval_scores, read_bed, rolling_mean  # noqa: E402

exons = TUBB8.exons_transcript_order  # numbered 1, 2, ... along the transcript
features = [(s, e, f"exon{i + 1}") for i, (s, e) in enumerate(exons)]
features += [(min(a[1], b[1]) + 1, max(a[0], b[0]) - 1, f"intron{i + 1}")
             for i, (a, b) in enumerate(zip(exons, exons[1:]))]
with tempfile.TemporaryDirectory() as folder:
    bed = Path(folder) / "tubb8.bed"
    bed.write_text("".join(f"chr10\t{s - 1}\t{e}\t{name}\n" for s, e, name in features))
    intervals = read_bed(bed)
genome_order = scores.flip(0) if region.strand == "-" else scores
table = interval_scores(genome_order, intervals, offset=region.start, reduce="abs_mean",
                        chrom="chr10")
for name, score, rank in sorted(zip(table.name, table.score, table.rank), key=lambda r: r[2]):
    print(f"{name:>8}: mean |attribution| {score:.2e} (rank {rank})")
smooth = rolling_mean(scores.abs(), 50)
peak = int(smooth.argmax())
print(f"50-nt window with most evidence centred {peak - centre:+d} nt from the acceptor")

# %% [markdown]
# ## Figures
# A logo of the 60 nt before the acceptor and 20 after (transcript orientation, 0 = first exon
# base), and the track in genome order over the bases SpliceAI reads with full context, with
# TUBB8's exons beneath.

# %%
from captum_genomics.plot import plot_logo, plot_track  # noqa: E402

ax = plot_logo((attr[0] * x[0])[:, site - 60:site + 21], start=-60,
               highlights=[(-20, -3, "pyrimidine tract"), (-2, -1, "AG")],
               xlabel="position relative to the acceptor")
ax.figure.savefig(OUTPUT / "02_acceptor_logo.png", dpi=110)
full = genome_order[5000:len(region) - 5000]  # genome order: index 0 is region.start
ax = plot_track(full, start=region.start + 5000, intervals=intervals,
                sites=[(acceptor, "acceptor")], smooth=50, xlabel="chr10 (GRCh37)")
ax.figure.savefig(OUTPUT / "02_track.png", dpi=110)
print(f"figures written to {OUTPUT}")
