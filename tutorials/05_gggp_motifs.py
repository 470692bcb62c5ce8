# %% [markdown]
# # Which splicing-regulatory motifs matter to SpliceAI's call of a TUBB8 exon?
#
# Tutorial 03 grew a local dataset of edits (SNVs, insertions, deletions) around TUBB8's
# internal exon chr10:94744-94852 and fitted a per-window surrogate. Here the edits also
# *insert, destroy or mutate motif occurrences* of splicing-regulatory RNA-binding proteins,
# and the dataset is read motif by motif: which motif gains and losses go with a lower or
# higher exon score, and a motif-level surrogate that says it in a few coefficients.
#
# Same input and score as tutorial 03 (SpliceAI's mean acceptor and donor probability at the
# exon's own sites, through an exact incremental scorer; weights from the installed `spliceai`
# package, CC BY-NC 4.0, never shipped here). `SMALL=1` uses SpliceAI member 1 and small
# budgets; figures go to `TUTORIAL_OUTPUT` (default `./tutorial_figures`).

# %%
import os
import tempfile
from pathlib import Path

import matplotlib
import numpy as np

from captum_genomics import GGGPPerturbationExplainer, LocalDataset
from captum_genomics.gggp import SearchSettings, search
from captum_genomics.gggp.dress import write_dress_csv
from captum_genomics.gggp.prune import prune_result
from captum_genomics.metrics import local_dataset_locality
from captum_genomics.models import load_spliceai
from captum_genomics.motifs import (
    default_splicing_motifs,
    fit_motif_surrogate,
    motif_changes,
    motif_enrichment,
    scan_motifs,
)
from captum_genomics.splicing import IncrementalExonScorer, build_exon_input

SMALL = os.environ.get("SMALL") == "1"
EVALUATIONS = int(os.environ.get("EVALUATIONS", 100 if SMALL else 3000))
POPULATION = 20 if SMALL else 100
MAX_DISTANCE = 300  # edits within 300 nt of the exon: where exonic and intronic regulators sit
matplotlib.use("Agg")  # files only, no window
OUTPUT = Path(os.environ.get("TUTORIAL_OUTPUT")
              or (tempfile.mkdtemp(prefix="tutorial_") if SMALL else "tutorial_figures"))
OUTPUT.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## The motifs
# `default_splicing_motifs()` is a small *teaching* set shipped with the package: eight RBP
# motifs (RBFOX, PTBP1, hnRNP A1, SRSF1, TRA2B, MBNL1, QKI, CELF1) built from published IUPAC
# consensus sequences (`captum_genomics/data/README.md` lists each consensus and its paper;
# BSD-3-Clause, no database matrix copied). For a real analysis pass your own MEME file,
# e.g. exported from ATtRACT or CISBP-RNA, to `read_meme` (or `motifs="path.meme"` below);
# nothing is downloaded here.
#
# `scan_motifs` runs FIMO (`memelite`) over the input; the default p-value threshold 1e-3
# finds exact six-letter matches (p = 4^-6).

# %%
exon = build_exon_input()
motifs = default_splicing_motifs()
occurrences = scan_motifs(exon.sequence, motifs)
near = np.abs((occurrences.start + occurrences.end) / 2 - (exon.acceptor + exon.donor) / 2) \
    <= MAX_DISTANCE + (exon.donor - exon.acceptor) / 2
counts = np.bincount(occurrences.motif[near], minlength=len(motifs))
bases = len(exon.sequence) - 2 * exon.pad
print(f"{len(occurrences)} motif occurrences in the {bases} nt input (without its N padding), "
      f"{int(near.sum())} within {MAX_DISTANCE} nt of the exon:")
for motif, n in zip(motifs, counts):
    print(f"  {motif.name:<16} {motif.consensus():<9} {n:3d}")

# %% [markdown]
# ## A search with motif units, then pruning
# `motifs="default"` adds three unit kinds over each occurrence found in the input (delete
# it, mutate it until it no longer matches) and over the motifs (insert a consensus copy);
# `grammar_for` returns the grammar the explainer searches with. We run the search itself
# (`captum_genomics.gggp.search`, what `generate` calls) to keep its `SearchResult`, so that
# pruning can be shown as a separate step: `prune_result` drops every unit whose removal
# leaves the score within `tolerance`, repeating until none can go (`SearchSettings(
# prune="end")` does the same inside the run). Locality is the mean exact edit distance of
# the archived sequences to the input, and their mean number of units.

# %%
try:
    model = load_spliceai("spliceai", members=[1] if SMALL else None)
except ModuleNotFoundError as missing:  # the weights package is not installed
    print(missing)
    raise SystemExit(0) from None
scorer = IncrementalExonScorer(model, exon.acceptor, exon.donor, reference=exon.sequence)
explainer = GGGPPerturbationExplainer(scorer=scorer,
                                      grammar=exon.grammar(max_distance=MAX_DISTANCE),
                                      motifs="default", length_policy="variable",
                                      model_name="spliceai")
grammar = explainer.grammar_for(exon.sequence)
print("unit kinds:", ", ".join(grammar.kind_names))
settings = SearchSettings(max_evaluations=EVALUATIONS, population_size=POPULATION,
                          sequence_length=None)
result = search(exon.sequence, scorer, grammar=grammar, settings=settings,
                tracked=scorer.tracked, seed=0)
pruned = prune_result(result, scorer, tolerance=0.0025, repeat=True,
                      max_evaluations=EVALUATIONS if SMALL else None)
report = pruned.pruning[-1]
print(f"original score {result.original_score:.3f}; {len(result.archive)} archived after "
      f"{result.evaluations} evaluations")
print(f"pruning: {report['units_removed']} units removed from {report['pruned']} sequences, "
      f"{report['duplicates']} duplicates dropped, {pruned.prune_evaluations} evaluations")
for name, run in [("before pruning", result), ("after pruning", pruned)]:
    locality = local_dataset_locality(run)
    print(f"{name:>15}: mean edit distance {locality['mean_edit_distance']:.1f} nt, "
          f"mean units {locality['mean_units']:.2f}, {locality['n']} sequences")
dataset = LocalDataset.from_search(pruned)

# %% [markdown]
# ## Which motifs do the edits create and break, and does it go with the score?
# `motif_changes` rescans each edited sequence near its edits: an occurrence is *lost* when an
# edit touches it, *gained* when a new one touches an edit. `motif_enrichment` compares, per
# motif and direction, the score changes of the sequences with such a change against the rest
# (Mann–Whitney U, Cliff's delta, Benjamini–Hochberg q).
#
# **Caveat (co-occurrence)**: each row tests one motif on its own, but GGGP breeds sequences
# that share edits, so a motif whose changes ride along with an effective one can test
# significant too (on a planted-motif model, a decoy the model ignores reached q < 1e-6). The
# motif surrogate below weighs all motifs jointly; read both. Nested motifs share their
# changes outright: SRSF1's AGAAGAAC holds TRA2B's GAAGAA, so inserting one inserts both.

# %%
original = dataset.provenance["original_score"]
changes = motif_changes(dataset, motifs, grammar=grammar)
enrichment = motif_enrichment(changes, dataset.scores, original)
print(f"{'motif':<16} {'direction':<9} {'n_with':>6} {'mean change':>11} {'q':>8}")
for row in enrichment.rows[:8]:
    values = dict(zip(enrichment.columns, row))
    print(f"{values['motif']:<16} {values['direction']:<9} {values['n_with']:6d} "
          f"{values['mean_change_with']:+11.3f} {values['q_value']:8.1e}")

# %% [markdown]
# ## A motif-level surrogate, with held-out fidelity
# A lasso of the score on the per-motif gained and lost counts; a quarter of the sequences is
# held out to say how much of the score the motifs alone explain.

# %%
surrogate = fit_motif_surrogate(changes, dataset.scores, original)
print(f"held-out R2 {surrogate.fidelity['r2']:.2f}, Spearman "
      f"{surrogate.fidelity['spearman']:.2f} ({surrogate.fidelity['n_test']} sequences)")
for motif, direction, coefficient in surrogate.ranking().rows[:5]:
    print(f"  {motif:<16} {direction:<7} {coefficient:+.4f} per occurrence")

import matplotlib.pyplot as plt  # noqa: E402

from captum_genomics.plot import plot_motif_effects  # noqa: E402

ax = plot_motif_effects(surrogate, enrichment)
ax.figure.savefig(OUTPUT / "05_motif_effects.png", dpi=110)
plt.close(ax.figure)

# %% [markdown]
# ## Keep the edits that weaken the exon, and hand the dataset to the reference tool
# `filter` is the reference tool's `filter`: `max_change=-0.1` keeps the sequences scoring at
# least 0.1 below the input (its `--tag lower --delta_score 0.1`). `write_dress_csv` writes
# the reference tool's dataset CSV, in coordinates of the sequence without the 5,000 N of
# padding on each side (`padding=`); it knows SNV, insertion and deletion units only, so the
# rows that use motif units are left out of the export.

# %%
weaker = dataset.filter(max_change=-0.1)
print(f"{len(weaker)} of {len(dataset)} sequences score at least 0.1 below the input")
for i in np.argsort(weaker.scores)[:3]:
    print(f"  {weaker.scores[i]:.3f}  {weaker.phenotypes[i]}")
plain = [i for i, p in enumerate(dataset.phenotypes) if not p.startswith("Motif")
         and "|Motif" not in p]
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "tubb8_exon_dress.csv"
    write_dress_csv(dataset.take(plain), path, padding=exon.pad)
    print(f"DRESS CSV: {len(path.read_text().splitlines()) - 1} rows (the input first)")
print(f"figure written to {OUTPUT}")
