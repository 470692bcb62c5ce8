# %% [markdown]
# # Why does SpliceAI call this acceptor? Integrated gradients on TUBB8
#
# The package ships the first 110 kb of GRCh37 chr10, which holds the gene TUBB8
# (minus strand). We read 15 kb around it in transcript orientation, load the
# published SpliceAI models from the installed `spliceai` package (CC BY-NC 4.0,
# never shipped with this package: `pip install --no-deps spliceai==1.3.1`), and ask
# which bases drive the acceptor call of the second exon.
#
# `SMALL=1` in the environment uses one model and a few integration steps.

# %%
import os

import torch

from captum_genomics import TUBB8, GenomicIntegratedGradients, locus_scores, one_hot, tubb8_sequence
from captum_genomics.models import SpliceSiteHead, load_spliceai

SMALL = os.environ.get("SMALL") == "1"

# %% [markdown]
# ## The input: 15 kb in transcript orientation
# `tubb8_sequence((upstream, downstream))` reads the gene plus flanks; `index()`
# maps genome positions to indices. SpliceAI-10k needs 5,000 nt of context on each
# side of an output position, so output position `i` is input index `i + 5000`.

# %%
region = tubb8_sequence((6182, 6181))
x = one_hot(region.sequence)  # (1, 4, 15000); N columns are all zero, as SpliceAI expects
acceptor = TUBB8.acceptors[1]  # genome position of the second exon's acceptor
site = region.index(acceptor) - 5000
print(f"{len(region)} nt, acceptor chr10:{acceptor} is output position {site}")

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
centre = site + 5000
top = torch.topk(scores.abs(), 10).indices
for index in sorted(top.tolist()):
    base = region.sequence[index].upper()
    print(f"{index - centre:+6d} {base} {scores[index]:+.4f}")
