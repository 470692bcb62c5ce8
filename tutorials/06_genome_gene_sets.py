# %% [markdown]
# # Explaining a whole genome: gene tables, gene-set tests, blacking genes out
#
# The deepG study explained a 1-Mb genome prediction with integrated gradients, summed it
# per gene from a Prokka GFF, ranked the genes by quantile and asked whether a class of
# genes (spore-related) scores differently from the rest. Here we do the same on a
# synthetic genome whose answer we know: a CNN learns to respond to a 30-bp motif, and the
# motif sits only inside a planted set of "genes" among many random ones.
#
# Run it as a script (`python tutorials/06_genome_gene_sets.py`) or as a notebook with
# jupytext. `SMALL=1` makes it fast (100-kb genome). Figures go to `TUTORIAL_OUTPUT`
# (default `./tutorial_figures`; a temporary directory with `SMALL=1`).

# %%
import os
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no window

import numpy as np
import torch

from captum_genomics import (
    GenomicIntegratedGradients,
    blackout,
    coding_density,
    gene_set_test,
    interval_scores,
    locus_scores,
    one_hot,
    read_gff3,
)
from captum_genomics.genome import presence_absence_forest
from captum_genomics.models import DeepGCNN, balanced_accuracy, predict, train_model
from captum_genomics.synthetic import MOTIFS, planted_motif_dataset

SMALL = os.environ.get("SMALL") == "1"
GENOME_LENGTH, N_TRAIN, EPOCHS, N_STEPS = ((100_000, 400, 3, 16) if SMALL
                                           else (1_000_000, 2000, 5, 32))
OUTPUT = Path(os.environ.get("TUTORIAL_OUTPUT")
              or (tempfile.mkdtemp(prefix="tutorial_") if SMALL else "tutorial_figures"))
OUTPUT.mkdir(parents=True, exist_ok=True)
MOTIF, WINDOW = MOTIFS["base"], 300
started = time.perf_counter()
torch.manual_seed(0)
rng = np.random.default_rng(0)

# %% [markdown]
# ## A synthetic genome with a known answer
# Genes of 600 to 1,500 bp on both strands, separated by 100 to 600 bp of intergenic DNA.
# One gene in ten is *planted*: it carries three copies of the motif. We write the genes
# to a GFF3 file, as Prokka would, and read them back.

# %%
letters = np.array(list("ACGT"))[rng.integers(0, 4, GENOME_LENGTH)]
genes_gff, planted, position, k = [], set(), 1 + int(rng.integers(100, 600)), 0
while True:
    length = int(rng.integers(600, 1501))
    if position + length - 1 > GENOME_LENGTH:
        break
    name, strand = f"gene_{k:04d}", "+-"[int(rng.integers(0, 2))]
    product = "hypothetical protein"
    if k % 10 == 3:
        planted.add(name)
        product = "motif-rich (planted)"
        for at in position - 1 + rng.choice(np.arange(20, length - 60, 40), 3, replace=False):
            letters[at:at + len(MOTIF)] = list(MOTIF)
    genes_gff.append(f"genome\tsynthetic\tgene\t{position}\t{position + length - 1}\t.\t"
                     f"{strand}\t.\tID={name};Name={name};product={product}")
    position += length + int(rng.integers(100, 601))
    k += 1
gff_path = Path(tempfile.mkdtemp(prefix="genome_")) / "genome.gff3"
gff_path.write_text("##gff-version 3\n" + "\n".join(genes_gff) + "\n")
genes = read_gff3(gff_path)
genome = one_hot("".join(letters)).float()  # (1, 4, L)
descriptions = {g.name: "motif-rich (planted)" if g.name in planted else "hypothetical protein"
                for g in genes}
print(f"genome {GENOME_LENGTH:,} bp, {len(genes)} genes, {len(planted)} planted")

# %% [markdown]
# ## A deepG-style CNN that responds to the motif
# One convolution (8 filters of 15 bp) and a global max, trained on 300-bp windows (half
# carry the motif). The genome's score is the mean of its logits over consecutive 300-bp
# windows, so it grows with every window that holds a motif copy, wherever that lies.

# %%
tick = time.perf_counter()
data = planted_motif_dataset(n_sequences=N_TRAIN, length=WINDOW, motif=MOTIF, seed=1)
n_fit = int(0.8 * N_TRAIN)
classifier = DeepGCNN(None, filters=(8,), kernel_sizes=(15,), pool_sizes=(1,),
                      batch_norm=False, head="global_max")
train_model(classifier, data.inputs[:n_fit], data.labels[:n_fit], epochs=EPOCHS, lr=1e-2,
            batch_size=32, seed=0, show_progress=False)
accuracy = balanced_accuracy(data.labels[n_fit:], predict(classifier, data.inputs[n_fit:]))
print(f"held-out balanced accuracy on {WINDOW}-bp windows: {accuracy:.3f} "
      f"(training {time.perf_counter() - tick:.1f} s)")


class WindowMean(torch.nn.Module):
    """Mean of the window classifier's logits (N, C) over consecutive windows of (N, 4, L)."""

    def __init__(self, classifier, window=WINDOW):
        super().__init__()
        self.classifier, self.window = classifier, window

    def forward(self, x):
        n, channels, length = x.shape
        x = torch.nn.functional.pad(x, (0, (-length) % self.window), value=0.25)
        windows = x.reshape(n, channels, -1, self.window).transpose(1, 2)
        logits = self.classifier(windows.reshape(-1, channels, self.window))
        return logits.reshape(n, -1, logits.shape[-1]).mean(dim=1)


model = WindowMean(classifier).eval()

# %% [markdown]
# ## Integrated gradients over the whole genome
# One attribution per base (the channel sum), then one score per gene: the mean over the
# gene, its rank and its quantile among all genes (the study's "quantile position").

# %%
tick = time.perf_counter()
ig = GenomicIntegratedGradients(model)
attributions = ig.attribute(genome, baselines="uniform", target=1, n_steps=N_STEPS,
                            internal_batch_size=4)
track = locus_scores(attributions)[0]
print(f"IG over {GENOME_LENGTH:,} bp, {N_STEPS} steps: {time.perf_counter() - tick:.1f} s")
gene_scores = interval_scores(track, genes, offset=1, reduce="mean")
table = gene_scores.quantile_table(top=8, descriptions=descriptions)
print("top genes:")
for row in table:
    print(f"  {row['gene']}  quantile {row['quantile']:.3f}  genome-wide "
          f"{row['genome_quantile']:.3f}  {row['description']}")

# %% [markdown]
# ## Does the planted set score differently? And a random set?
# A permutation test of the difference of means (seeded) and a Mann-Whitney test. The
# random set is drawn among the unplanted genes and compared with the other unplanted genes
# (the planted genes are left out as NaN): against all genes, the planted genes' high
# scores would lift the mean of "the rest" and the difference of means would flag any set
# (the rank test much less so).

# %%
names = gene_scores.name
is_planted = np.isin(names, sorted(planted))
random_set = rng.choice(names[~is_planted], size=int(is_planted.sum()), replace=False)
without_planted = np.where(is_planted, np.nan, gene_scores.score)
for label, scores, members in (("planted", gene_scores.score, sorted(planted)),
                               ("random", without_planted, random_set)):
    for method in ("permutation", "mannwhitney"):
        result = gene_set_test(scores, members, names=names, method=method, seed=0)
        print(f"{label:>8} set, {method:>11}: difference {result.difference:+.2e}  "
              f"rank-biserial {result.rank_biserial:+.2f}  p = {result.p_value:.2g}")
density = coding_density(track, genes, offset=1, method="mannwhitney")
print(f"coding vs intergenic attribution per base: {density.coding_mean:.2e} vs "
      f"{density.noncoding_mean:.2e} ({density.coding_fraction:.0%} coding), "
      f"p = {density.test.p_value:.2g}")

# %% [markdown]
# ## Black genes out
# Each gene is replaced by a dinucleotide shuffle of itself (same composition, motifs
# broken) and the genome is scored again. We black out the planted genes and a sample of
# the others; the largest drop should be a planted gene. The re-attribution of the genome
# without the top gene shows where the explanation goes.

# %%
tick = time.perf_counter()
others = rng.choice(names[~is_planted], size=min(30, int((~is_planted).sum())), replace=False)
chosen = sorted(planted)[:10] + list(others)
moved = blackout(model, genome, genes, start=1, baselines="shuffle", target=1, genes=chosen,
                 internal_batch_size=4)
order = moved.ranking()
print(f"blackout of {len(chosen)} genes: {time.perf_counter() - tick:.1f} s")
for k in order[:5]:
    print(f"  {moved.name[k]}  change {moved.change[0, k]:+.2e}  "
          f"{'planted' if moved.name[k] in planted else 'random'}")
top_gene = str(moved.name[order[0]])
assert top_gene in planted, "the largest blackout effect should be a planted gene"
again = blackout(model, genome, genes, start=1, baselines="shuffle", target=1,
                 genes=[top_gene], attribute=True, n_steps=N_STEPS, internal_batch_size=4)
interval = next(g for g in genes if g.name == top_gene)
inside = slice(interval.start - 1, interval.end)
print(f"IG inside {top_gene}: {track[inside].sum():+.2e} before, "
      f"{again.attributions[0, 0, inside].sum():+.2e} after blacking it out")

# %% [markdown]
# ## The study's other baseline: a random forest on gene presence
# Across 150 synthetic genomes a phenotype follows one planted gene (in 90% of them); the
# other genes are present at random. The forest's permutation importance (on held-out
# genomes) puts that gene first: a ranking to set beside the attribution one.

# %%
tick = time.perf_counter()
labels = rng.integers(0, 2, 150)
presence = (rng.random((150, len(genes))) < 0.5).astype(np.uint8)
deciding = next(i for i, g in enumerate(genes) if g.name in planted)
presence[:, deciding] = np.where(rng.random(150) < 0.9, labels, 1 - labels)
forest = presence_absence_forest(presence, labels, names=[g.name for g in genes],
                                 n_trees=50 if SMALL else 200, n_repeats=2)
print("forest's top genes by permutation importance:",
      [str(name) for name in forest.name[forest.ranking()[:3]]], "by Gini:",
      [str(name) for name in forest.name[forest.ranking("gini")[:3]]],
      f"(deciding: {genes[deciding].name}; {time.perf_counter() - tick:.1f} s)")

# %% [markdown]
# ## Figures
# The study's genome-wide track (per-base scores and their rolling mean, k = 50) with the
# genes coloured by set, a zoom on the top planted gene, and the gene-set score
# distributions.

# %%
from captum_genomics.genome.plots import plot_gene_set_scores, plot_genome_track  # noqa: E402

sets = {"planted": sorted(planted), "random set": list(random_set)}
figure = plot_genome_track(track, genes, sets, start=1, window=50,
                           title="IG (uniform reference) over the synthetic genome")
figure.savefig(OUTPUT / "06_genome_track.png", dpi=100)
lo, hi = max(interval.start - 3000, 1), min(interval.end + 3000, GENOME_LENGTH)
zoom = plot_genome_track(track[lo - 1:hi], genes, sets, start=lo, window=50,
                         title=f"around {top_gene}")
zoom.savefig(OUTPUT / "06_genome_zoom.png", dpi=100)
ax = plot_gene_set_scores(gene_scores, sets)
ax.set_title("mean IG per gene")
ax.figure.savefig(OUTPUT / "06_gene_set_scores.png", dpi=100)
print(f"figures written to {OUTPUT}; total {time.perf_counter() - started:.1f} s")
