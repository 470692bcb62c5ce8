# %% [markdown]
# # Variant effects on splicing: SpliceAI delta scores, their tracks and their explanation
#
# What SpliceAI's users run most is variant scoring: a VCF in, delta scores out (acceptor
# gain/loss, donor gain/loss, each with the offset of the site it moves). We score a handful
# of variants around the splice sites of TUBB8 on the shipped first 110 kb of GRCh37 chr10,
# write their full delta tracks, ask *which bases make a variant matter* (integrated gradients
# of the delta score), score two variants of one haplotype together, and compare the
# attribution with exact in-silico mutagenesis.
#
# The published SpliceAI models and gene tables come from the installed `spliceai` package
# (CC BY-NC 4.0, never shipped with this package: `pip install --no-deps spliceai==1.3.1`).
# `SMALL=1` in the environment uses one model of the five and few integration steps, so the
# numbers differ a little from the ensemble's. Figures go to `TUTORIAL_OUTPUT` (default
# `./tutorial_figures`; a temporary directory with `SMALL=1`), the VCFs, tracks and
# attributions to its `07_variants` folder.

# %%
import json
import os
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no window

import matplotlib.pyplot as plt
import numpy as np
import torch
from scipy.stats import spearmanr

from captum_genomics import InSilicoMutagenesis, one_hot
from captum_genomics.dna.fasta import read_region
from captum_genomics.example_data import TUBB8, example_fasta_path
from captum_genomics.models import load_spliceai
from captum_genomics.plot import plot_logo, plot_track
from captum_genomics.variants import (
    DeltaAttributionWriter,
    TrackWriter,
    Variant,
    explain_deltas,
    haplotype_scores,
    read_delta_attribution,
    read_gene_table,
    score_vcf,
)

SMALL = os.environ.get("SMALL") == "1"
N_STEPS, DISTANCE = (24 if SMALL else 50), 50
OUTPUT = Path(os.environ.get("TUTORIAL_OUTPUT")
              or (tempfile.mkdtemp(prefix="tutorial_") if SMALL else "tutorial_figures"))
OUTPUT.mkdir(parents=True, exist_ok=True)
WORK = OUTPUT / "07_variants"  # the VCFs, tracks and attributions
WORK.mkdir(exist_ok=True)
FASTA = str(example_fasta_path())
started = time.perf_counter()

# %% [markdown]
# ## The model and the gene table
# `read_gene_table("grch37")` reads upstream SpliceAI's own table (one canonical transcript
# per gene, chromosomes named `10`, not `chr10`: the VCF may use either naming, and so may the
# FASTA, as upstream allows).

# %%
try:
    model = load_spliceai("spliceai", members=[1] if SMALL else None)
    genes = read_gene_table("grch37")
except ModuleNotFoundError as missing:  # the weights package is not installed
    print(missing)
    raise SystemExit(0) from None
row = int(np.flatnonzero(genes.names == "TUBB8")[0])
print(f"TUBB8 in the table: chromosome {genes.chroms[row]}, strand {genes.strands[row]}, "
      f"transcript {genes.tx_starts[row]}-{genes.tx_ends[row]}")
print(f"donors {TUBB8.donors}, acceptors {TUBB8.acceptors} (genome positions, transcript order)")

# %% [markdown]
# ## A small VCF around TUBB8's splice sites
# TUBB8 is on the minus strand, so a donor's intronic `GT` reads `AC` on the VCF's plus
# strand, just *below* the donor's last exon base, and an acceptor's `AG` reads `CT` just
# above its first exon base. We read every REF allele from the FASTA (SpliceAI skips a
# record whose REF does not match) and write five records:
#
# * `donor_GT`: the G of exon 1's donor `GT` becomes T;
# * `acceptor_AG`: the G of exon 2's acceptor `AG` becomes C;
# * `deep_intron`: an SNV in intron 3, more than 100 nt from any site (expect about 0);
# * `deletion`: 4 nt deleted across exon 2's donor (its last exon base and the `GT`);
# * `insertion`: 5 nt inserted into the pyrimidine tract of exon 3's acceptor (purines,
#   `AGAGA` on the transcript's strand).


# %%
def reference(start: int, end: int | None = None) -> str:
    """Plus-strand bases of chr10 start..end (1-based, inclusive)."""
    return read_region(FASTA, ("chr10", start, end or start)).upper()


donor, acceptor = TUBB8.donors[0], TUBB8.acceptors[0]  # exon 1's donor, exon 2's acceptor
records = [  # (id, position, REF, ALT); ALT given on the plus strand
    ("donor_GT", donor - 1, reference(donor - 1), "A"),
    ("acceptor_AG", acceptor + 1, reference(acceptor + 1), "G"),
    ("deep_intron", 94200, reference(94200), "A"),
    ("deletion", TUBB8.donors[1] - 4, reference(TUBB8.donors[1] - 4, TUBB8.donors[1]),
     reference(TUBB8.donors[1] - 4)),
    ("insertion", TUBB8.acceptors[1] + 5, reference(TUBB8.acceptors[1] + 5),
     reference(TUBB8.acceptors[1] + 5) + "TCTCT"),
]
vcf = WORK / "tubb8.vcf"
vcf.write_text("##fileformat=VCFv4.2\n##contig=<ID=10,length=135534747>\n"
               "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
               + "".join(f"10\t{pos}\t{name}\t{ref}\t{alt}\t.\t.\t.\n"
                         for name, pos, ref, alt in records))
for name, pos, ref, alt in records:
    print(f"{name:>12}  10:{pos} {ref}>{alt}")

# %% [markdown]
# ## Delta scores, and their full tracks
# `score_vcf` writes upstream's `SpliceAI` INFO field,
# `ALLELE|SYMBOL|DS_AG|DS_AL|DS_DG|DS_DL|DP_AG|DP_AL|DP_DG|DP_DL`, byte for byte as SpliceAI
# 1.3.1 does (`captum-genomics spliceai -I in.vcf -O out.vcf -R ref.fa -A grch37` on the
# command line). A delta score is the largest change of a site's probability within
# `DISTANCE` nt of the variant, and its position is the offset of that site from the variant.
# With `on_scores=TrackWriter(...)` the REF and ALT probabilities at every offset are written
# too (TSV and JSON), so one can see *how* a site is lost or gained.

# %%
tick = time.perf_counter()
with TrackWriter(tsv=WORK / "tracks.tsv", json=WORK / "tracks.json") as tracks:
    n_records = score_vcf(vcf, WORK / "tubb8.scored.vcf", FASTA, genes, distance=DISTANCE,
                          model=model, on_scores=tracks.add)
print(f"scored {n_records} records in {time.perf_counter() - tick:.1f} s; "
      f"{tracks.n_entries} track entries")
for line in (WORK / "tubb8.scored.vcf").read_text().splitlines():
    if not line.startswith("#"):
        fields = line.split("\t")
        print(f"{fields[2]:>12}  {fields[7]}")
entries = {entry["pos"]: entry for entry in json.loads((WORK / "tracks.json").read_text())}

# %% [markdown]
# ## Figure 1: how the sites are lost and gained
# The REF (solid) and ALT (dashed) probabilities around three of the variants, in genome
# coordinates (the transcript runs right to left). `donor_GT` and `deletion` take their
# donor away and no nearby site takes over; `insertion` takes its acceptor away and wakes a
# weak donor (DS_DG). The arrow marks each variant's largest delta score at its position.

# %%
colours = {"acceptor": "tab:green", "donor": "tab:orange"}
shown = ("donor_GT", "deletion", "insertion")
figure, axes = plt.subplots(len(shown), 1, figsize=(9, 7.5))
for ax, (name, pos, ref, alt) in zip(axes, (r for r in records if r[0] in shown)):
    entry = entries[pos]
    positions = pos + np.array(entry["offsets"])
    for kind, colour in colours.items():
        ax.plot(positions, entry[f"{kind}_ref"], color=colour, lw=1.5, label=f"{kind} REF")
        ax.plot(positions, entry[f"{kind}_alt"], color=colour, lw=1.5, ls="--",
                label=f"{kind} ALT")
    ax.axvline(pos, color="0.5", lw=0.8, ls=":")
    top = max(entry["scores"], key=entry["scores"].get)  # e.g. "DS_DL"
    offset = entry["positions"]["DP" + top[2:]]
    track = entry["acceptor_ref" if top[3] == "A" else "donor_ref"]
    height = max(track[entry["offsets"].index(offset)], entry[
        "acceptor_alt" if top[3] == "A" else "donor_alt"][entry["offsets"].index(offset)])
    ax.annotate(f"{top} {entry['scores'][top]:.2f} at {offset:+d}", xy=(pos + offset, height),
                xytext=(pos + offset + (12 if offset < 25 else -40), 0.6),
                arrowprops={"arrowstyle": "->", "lw": 0.8})
    ax.set_title(f"{name}: 10:{pos} {ref}>{alt}", fontsize=10, loc="left")
    ax.set_ylabel("probability")
    ax.set_ylim(-0.03, 1.05)
    ax.spines[["top", "right"]].set_visible(False)
axes[0].legend(loc="upper left", frameon=False, ncol=2, fontsize=8)
axes[-1].set_xlabel("chr10 (GRCh37); dotted line: the variant")
figure.tight_layout()
figure.savefig(OUTPUT / "07_delta_tracks.png", dpi=110)
plt.close(figure)

# %% [markdown]
# ## Which bases make the variant matter
# `explain_deltas` attributes every delta score of at least `min_score` to the bases of the
# window: integrated gradients of the site's probability with the ALT allele minus that with
# the REF allele, both from the same all-0.25 baseline, so the attributions add up to the
# delta score itself (completeness; the integration error shrinks as `n_steps` grows).
# `DeltaAttributionWriter` writes one `.npz` per item and a summary TSV;
# `read_delta_attribution` reads an item back. With `SMALL=1` only `donor_GT` is explained.

# %%
tick = time.perf_counter()
variants = [Variant("10", pos, ref, alt) for _, pos, ref, alt in records]
explained = WORK / "explained"
explained.mkdir(exist_ok=True)
with DeltaAttributionWriter(explained) as writer:
    for item in explain_deltas(model, FASTA, variants[:1] if SMALL else variants, genes,
                               min_score=0.2, distance=DISTANCE, n_steps=N_STEPS,
                               internal_batch_size=8):
        writer.add(item)
print(f"{len(writer.paths)} delta score(s) explained in {time.perf_counter() - tick:.1f} s "
      f"(n_steps={N_STEPS})")
items = [read_delta_attribution(path) for path in writer.paths]
for path, item in zip(writer.paths, items):
    print(f"  {path.name} {item.variant} {item.kind} at {item.offset:+d}: delta {item.delta:.3f}"
          f" (site REF {item.ref_score:.3f}, ALT {item.alt_score:.3f}); sum of attributions "
          f" {float(item.attributions.sum()):.3f} "
          f"(integration error {item.convergence_delta:+.3f})")
print((explained / "summary.tsv").read_text().splitlines()[0])

# %% [markdown]
# ## Figure 2: the donor loss, base by base
# The attribution of `donor_GT`'s DS_DL, turned to the transcript's strand (reverse
# complement) so that it reads as the transcript does: 0 is exon 1's last base and intron 1
# starts at +1 with `GT` (the variant is the `G`). Each base's attribution (summed over the
# four channels) is drawn on its REF letter. The ALT allele leaves almost no donor, so the
# ALT term is about 0 and the delta is shared by the bases that built the donor with the
# REF allele: the `GT` (its `T` most, at +2) and the exon's end, but also bases hundreds of
# nt away. The lower panel follows the attribution along exon 1, intron 1 and exon 2: the
# bases at exon 2's own acceptor and donor count too, as SpliceAI defines an exon by both of
# its ends.

# %%
loss = next(item for item in items if item.variant == variants[0] and item.kind == "DL")
length = loss.attributions.shape[2]
ref_window = reference(loss.start, loss.start + length - 1)
ref_one_hot = one_hot(ref_window)[0]  # (4, L), genome orientation
transcript_window = read_region(FASTA, ("chr10", loss.start, loss.start + length - 1),
                                strand="-").upper()


def on_transcript_strand(attributions: torch.Tensor) -> torch.Tensor:
    """(4, L) genome-orientation attributions -> per-base sums on the REF letters, reversed
    and complemented (channels A, C, G, T -> T, G, C, A) as the transcript reads them."""
    return (attributions.sum(0, keepdim=True) * ref_one_hot).flip(0).flip(1)


site_column = length - 1 - (donor - loss.start)  # the donor's column on the transcript strand
oriented = on_transcript_strand(loss.attributions[0])  # (4, L)
per_base = oriented.sum(0)
print(f"REF term {float(loss.ref_attributions.sum()):.3f}, ALT term "
      f"{float(loss.alt_attributions.sum()):.3f}")
for reach in (30, 400):
    near = per_base[site_column - reach:site_column + reach + 1].sum()
    print(f"  share of the delta within {reach} nt of the donor: {near / loss.delta:.0%}")
print("  largest bases (position from the donor, transcript strand):")
for column in torch.topk(per_base.abs(), 6).indices.tolist():
    print(f"  {column - site_column:+6d} {transcript_window[column]} {per_base[column]:+.4f}")

exon_spans = [(donor - end, donor - start) for start, end in TUBB8.exons_transcript_order]
features = [(first, last, f"exon{k + 1}") for k, (first, last) in enumerate(exon_spans)]
features += [(a[1] + 1, b[0] - 1, f"intron{k + 1}")
             for k, (a, b) in enumerate(zip(exon_spans, exon_spans[1:]))]
sites = [(0, "donor"), (donor - TUBB8.acceptors[0], "acceptor 2"),
         (donor - TUBB8.donors[1], "donor 2")]
figure = plt.figure(figsize=(11, 6.5))
logo_ax = figure.add_subplot(2, 1, 1)
plot_logo(oriented[:, site_column - 30:site_column + 31], ax=logo_ax, start=-30,
          highlights=[(1, 2, "GT")], ylabel="attribution",
          xlabel="position relative to the donor (transcript strand)")
logo_ax.set_title(f"{variants[0]}: attribution of DS_DL {loss.delta:.2f}", pad=14)
span = (-300, 420)
plot_track(per_base[site_column + span[0]:site_column + span[1] + 1],
                      ax=figure.add_subplot(2, 1, 2), start=span[0],
                      intervals=[f for f in features if f[1] >= span[0] and f[0] <= span[1]],
                      sites=sites, xlabel="position relative to the donor (transcript strand)")
figure.tight_layout()
figure.savefig(OUTPUT / "07_donor_loss_attribution.png", dpi=110)
plt.close(figure)

# %% [markdown]
# ## Two variants of one haplotype
# Upstream scores each record alone. Two variants of one sample in one gene can combine
# non-additively: here `donor_GT` breaks exon 1's donor and a second SNV, 23 nt into the
# intron, creates a weak `GT` (a cryptic donor). Alone, the cryptic donor is little used;
# with the real donor gone, SpliceAI moves to it. `haplotype_scores` applies the variants
# together; its tracks give the cryptic donor's probability in each case.

# %%
cryptic = Variant("10", donor - 23, reference(donor - 23), "A")
print(f"cryptic donor variant {cryptic}: transcript "
      f"{read_region(FASTA, ('chr10', donor - 24, donor - 19), strand='-').upper()} -> "
      f"GT at {donor - 22}, {donor - 23}")
cryptic_site = donor - 21  # the base before the new GT (transcript order)
rows = []
for label, haplotype in (("donor_GT alone", [variants[0]]), ("cryptic alone", [cryptic]),
                         ("both together", [variants[0], cryptic])):
    score = haplotype_scores(model, FASTA, haplotype, genes, distance=DISTANCE)[0]
    first = score.variants[0].pos - DISTANCE  # genome position of track column 0
    ref_p, alt_p = score.tracks[:, cryptic_site - first, 2]
    rows.append((label, score, alt_p - ref_p))
    print(f"{label:>15}: DS_DG {score.scores[2]:.2f}, DS_DL {score.scores[3]:.2f}; "
          f"P(donor) at {cryptic_site}: {ref_p:.3f} -> {alt_p:.3f}")
gain_alone = rows[0][2] + rows[1][2]
print(f"gain of the cryptic donor: {rows[2][2]:+.3f} together vs {gain_alone:+.3f}, "
      "the sum of the two alone")

# %% [markdown]
# ## Exact in-silico mutagenesis of the donor, and how it ranks bases against IG
# `InSilicoMutagenesis.for_spliceai_site` scores every single-base substitution of the
# donor's ±20 nt exactly, rescoring only each mutation's cone. A base matters to ISM when
# substituting it lowers the donor probability (we take minus the mean effect of its three
# substitutions); we compare that ranking with the REF term of the IG attribution above.

# %%
tick = time.perf_counter()
x = one_hot(read_region(FASTA, ("chr10", donor - 5000, donor + 5000), strand="-"))
ism = InSilicoMutagenesis.for_spliceai_site(model, 5000, kind="donor")
effects = ism.attribute(x, positions=(4980, 5021))[0, :, 4980:5021]  # (4, 41)
importance = -effects.sum(0) / 3
ref_term = on_transcript_strand(loss.ref_attributions[0]).sum(0)
ref_term = ref_term[site_column - 20:site_column + 21]
rho = spearmanr(importance.numpy(), ref_term.numpy()).statistic
strongest = int(importance.argmax()) - 20
print(f"ISM of 41 x 3 substitutions in {time.perf_counter() - tick:.1f} s; "
      f"most important position {strongest:+d}; Spearman(ISM, IG REF term) = {rho:.2f}")
print(f"total {time.perf_counter() - started:.0f} s; figures written to {OUTPUT}")
