# %% [markdown]
# # Explaining a deepG model trained in R/Keras
#
# deepG trains its CNNs with Keras and saves them whole as HDF5 (`save_model_hdf5` in R).
# `load_keras_deepg` rebuilds such a network as a PyTorch `DeepGCNN` from the file alone
# (h5py, no TensorFlow), and keeps deepG's (N, L, 4) input layout if you ask for it, so
# the tensors you already have go straight into Captum-style explainers.
#
# `tutorials/data/deepg_planted_motif.h5` is a small deepG-style CNN trained in Keras
# (by `tutorials/data/make_deepg_model.py`, TensorFlow needed only there) to detect the
# deepG study's 30-bp motif in 600-bp sequences. We import it, check it reproduces Keras's
# own outputs, and ask integrated gradients where it looks.
#
# `SMALL=1` in the environment explains fewer sequences with fewer steps.
# Figures are written with `captum_genomics.plot` to the directory named by the environment
# variable `TUTORIAL_OUTPUT` (default `./tutorial_figures`; a temporary directory with
# `SMALL=1`, so that test runs leave nothing behind).

# %%
import os
import tempfile
from pathlib import Path

import numpy as np
import torch

from captum_genomics import (
    MOTIFS,
    GenomicIntegratedGradients,
    avg_match_percent,
    locus_scores,
    motif_recovery,
    planted_motif_dataset,
    rolling_mean,
)
from captum_genomics.models import load_keras_deepg

SMALL = os.environ.get("SMALL") == "1"
DATA = Path(__file__).resolve().parent / "data"
OUTPUT = Path(os.environ.get("TUTORIAL_OUTPUT")
              or (tempfile.mkdtemp(prefix="tutorial_") if SMALL else "tutorial_figures"))
OUTPUT.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## Import, and check against Keras
# The file records Keras's outputs on 8 held-out sequences; the port must give the same
# probabilities. `output="logits"` returns the last Dense layer before its softmax, the
# score we explain (the softmax saturates near 0 and 1).

# %%
keras_file = DATA / "deepg_planted_motif.h5"
reference = np.load(DATA / "deepg_planted_motif_reference.npz")
probabilities = load_keras_deepg(keras_file, layout="NLC", output="probabilities")
with torch.no_grad():
    ours = probabilities(torch.from_numpy(reference["inputs"])).numpy()
print(probabilities)
gap = np.abs(ours - reference["probabilities"]).max()
print(f"largest difference from Keras's probabilities: {gap:.1e}")
model = load_keras_deepg(keras_file, layout="NLC", output="logits")

# %% [markdown]
# ## The sequences, in deepG's layout
# The model was trained on `planted_motif_dataset(4400, 600, seed=1)`; its last 400
# sequences were held out. Regenerating them gives the ground truth: where the motif sits.

# %%
data = planted_motif_dataset(4400, 600, MOTIFS["base"], seed=1, layout="NLC")
held_out = torch.arange(4000, 4400)
positives = held_out[data.labels[held_out] == 1][: 5 if SMALL else 50]
x, mask = data.inputs[positives], data.motif_mask[positives]  # (n, 600, 4), (n, 600)
with torch.no_grad():
    called = probabilities(x).argmax(dim=1)
print(f"{len(positives)} held-out motif sequences, {int((called == 1).sum())} called positive")

# %% [markdown]
# ## Integrated gradients, (N, L, 4) in and out
# `layout="NLC"` tells the explainer where the channel axis is; attributions come back in
# the same layout. Two references: uniform 0.25 (deepG's N) and dinucleotide shuffles of
# each sequence (expected IG over 10 of them). `internal_batch_size` bounds how many
# sequences reach the model at once: without it the whole path (50 sequences x 10
# references x 50 steps = 25,000 inputs, with their activations and gradients) goes in one
# batch, as in Captum, and this small CNN peaked at 5.5 GB; 1,000 at a time gives the same
# attributions (to float rounding).

# %%
ig = GenomicIntegratedGradients(model, layout="NLC")
steps = 16 if SMALL else 50
per_reference = {}
for baselines in ("uniform", "shuffle"):
    attr, delta = ig.attribute(x, baselines=baselines, target=1, n_steps=steps, n_shuffles=10,
                               seed=0, internal_batch_size=1000, return_convergence_delta=True)
    scores = locus_scores(attr, "sum", layout="NLC")  # (n, 600)
    per_reference[baselines] = scores
    recovery = motif_recovery(scores, mask)
    match = avg_match_percent(attr, x, mask, layout="NLC")
    print(f"{baselines:>8}: attributions {tuple(attr.shape)}, motif AUROC "
          f"{recovery['auroc']:.3f}, AUPR {recovery['aupr']:.3f}, Avg.Match% {match:.1f}, "
          f"max|delta| {delta.abs().max():.1e}")

# %% [markdown]
# ## One sequence: does the evidence sit on the motif?
# A 30-nt rolling mean of the per-base scores peaks where the model found the motif.

# %%
smooth = rolling_mean(scores[0], 30)
peak = int(smooth.argmax())
start = int(torch.nonzero(mask[0])[0])
print(f"motif planted at {start}-{start + 29}; 30-nt window with most evidence centred at {peak}")

# %% [markdown]
# ## Enough steps? Let the explainer decide
# `max|delta|` above is the completeness error (attributions' sum minus the score
# difference). With `completeness_tol` the explainer refines the path where the error
# is, up to `n_steps` points per (sequence, reference) pair, and stops once every pair is
# under the tolerance.

# %%
attr, delta = ig.attribute(x, baselines="uniform", target=1, completeness_tol=1e-2,
                           n_steps=65 if SMALL else 257, internal_batch_size=1000,
                           return_convergence_delta=True)
print(f"uniform, completeness_tol=1e-2: max|delta| {delta.abs().max():.1e}, points per "
      f"sequence {ig.last_n_steps.float().mean():.0f} on average")

# %% [markdown]
# ## The same model through the GGGP explainer
# `GGGPPerturbationExplainer` takes the same (N, L, 4) tensors. It edits each sequence
# (SNVs, insertions, deletions; a deletion is padded with N at the right end, an insertion
# trimmed there, so every input keeps 600 nt; `n_value=0.25` encodes that N as deepG does,
# where the default 0 is SpliceAI's all-zero N),
# scores the edited copies with the model, and fits a lasso on which 5-nt windows were
# edited; attributions land on the observed bases.

# %%
from captum_genomics import GGGPPerturbationExplainer  # noqa: E402

gggp = GGGPPerturbationExplainer(probabilities, layout="NLC", feature_width=5, n_value=0.25)
few = 3 if SMALL else 10
attr, fits = gggp.attribute(x[:few], target=1, n_samples=400, return_surrogate=True)
recovery = motif_recovery(locus_scores(attr, "sum", layout="NLC"), mask[:few])
spearman = np.nanmean([fit.fidelity["spearman"] for fit in fits])
print(f"GGGP on {few} sequences: attributions {tuple(attr.shape)}, motif AUROC "
      f"{recovery['auroc']:.3f}, AUPR {recovery['aupr']:.3f}; surrogate Spearman {spearman:.2f}")

# %% [markdown]
# ## Figures
# The first sequence's per-base scores under both references and from GGGP; the motif is the
# box in the lane beneath.

# %%
import matplotlib  # noqa: E402

matplotlib.use("Agg")  # files only, no window
from captum_genomics.plot import plot_baselines  # noqa: E402

figure = plot_baselines({"IG, uniform": per_reference["uniform"][0],
                         "IG, shuffle": per_reference["shuffle"][0],
                         "GGGP": locus_scores(attr, "sum", layout="NLC")[0]},
                        intervals=[(start, start + 29, "motif")], smooth=30)
figure.savefig(OUTPUT / "04_tracks.png", dpi=110)
print(f"figures written to {OUTPUT}")
