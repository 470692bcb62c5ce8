"""The demo's real part: IG and GGGP on TUBB8 with the published SpliceAI weights."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from captum_genomics import plot
from captum_genomics.aggregate import locus_scores
from captum_genomics.attr.gggp import GGGPPerturbationExplainer
from captum_genomics.attr.integrated_gradients import GenomicIntegratedGradients
from captum_genomics.cli._common import weights_source
from captum_genomics.dna.codec import one_hot
from captum_genomics.example_data import TUBB8, tubb8_sequence
from captum_genomics.gggp.archive import archive_quality
from captum_genomics.gggp.search import SearchSettings
from captum_genomics.models.spliceai_weights import find_spliceai_weights, load_spliceai
from captum_genomics.splicing import IncrementalExonScorer, SpliceSiteHead, build_exon_input

INSTALL = "pip install --no-deps spliceai==1.3.1"
#: Windows relative to the acceptor's first exon base (0), inclusive, for the summary.
ACCEPTOR_REGIONS = {"branch-point region (-50..-21)": (-50, -21),
                    "polypyrimidine tract (-20..-3)": (-20, -3), "AG (-2..-1)": (-2, -1),
                    "exon start (0..+49)": (0, 49)}


@dataclass
class SpliceAIPart:
    """What the real part found: printed lines, table rows and figures for the report."""

    lines: list[str] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)
    figures: list[tuple] = field(default_factory=list)
    settings: dict = field(default_factory=dict)


def spliceai_installed() -> bool:
    """Whether the published SpliceAI weights (the ``spliceai`` distribution) are installed."""
    try:
        find_spliceai_weights("spliceai")
    except (ModuleNotFoundError, FileNotFoundError):
        return False
    return True


def run_spliceai_part(members=(1,), n_steps: int = 20, evaluations: int = 100,
                      seed: int = 0) -> SpliceAIPart:
    """IG of the TUBB8 acceptor chr10:94665 and a GGGP local dataset of exon chr10:94744-94852.

    Parameters
    ----------
    members : sequence of int, default (1,)
        SpliceAI members (1 to 5) averaged; one keeps the demo fast.
    n_steps : int, default 20
        IG steps from the uniform reference.
    evaluations : int, default 100
        Model evaluations of the GGGP search (incremental scorer).
    seed : int, default 0
        Search seed.

    Returns
    -------
    SpliceAIPart
    """
    part = SpliceAIPart()
    model = load_spliceai("spliceai", members=list(members))
    region = tubb8_sequence((6182, 6181))
    acceptor = TUBB8.acceptors[1]
    site = region.index(acceptor)
    head = SpliceSiteHead(model, sites=[site], kinds="acceptor")
    start = time.perf_counter()
    x = one_hot(region.sequence)
    attr, delta = GenomicIntegratedGradients(head).attribute(
        x, baselines="uniform", target=0, n_steps=n_steps, internal_batch_size=10,
        return_convergence_delta=True)
    seconds = time.perf_counter() - start
    scores = locus_scores(attr, "sum")[0].numpy()
    magnitude = np.abs(scores)
    shares = {name: magnitude[site + lo: site + hi + 1].sum() / magnitude.sum()
              for name, (lo, hi) in ACCEPTOR_REGIONS.items()}
    total = float(scores.sum())
    gap = float(delta.abs().max())
    width = sum(hi - lo + 1 for lo, hi in ACCEPTOR_REGIONS.values())
    relative = gap / max(abs(total), 1e-12)
    verdict = ("within the 1% rule of thumb" if relative <= 0.01 else
               "a quick look; use more steps for conclusions")
    part.lines.append(
        f"SpliceAI IG on the TUBB8 acceptor chr10:{acceptor} (members {list(members)}, "
        f"{n_steps} steps, {seconds:.0f} s): attributions sum to {total:+.3f}, completeness "
        f"delta {gap:.1e} ({100 * relative:.1f}% of that: {verdict}). Share of the "
        "|attribution| mass: "
        + ", ".join(f"{name} {100 * s:.0f}%" for name, s in shares.items())
        + f"; these {width} nt ({100 * width / scores.size:.1f}% of the input) hold "
        f"{100 * sum(shares.values()):.0f}%.")
    part.rows.append((f"IG, acceptor chr10:{acceptor}", f"{total:+.3f}",
                      f"{gap:.1e}", f"{seconds:.1f}"))
    window = slice(site - 60, site + 21)
    observed = (attr[0] * x[0])[:, window]
    ax = plot.plot_logo(observed, start=-60, highlights=[(-20, -3, "pyrimidine tract"),
                                                       (-2, -1, "AG")],
                        xlabel="position relative to the acceptor (exon starts at 0)",
                        title=f"SpliceAI acceptor chr10:{acceptor}: IG on the observed bases")
    part.figures.append(("IG attributions of the observed bases around the TUBB8 acceptor "
                         f"chr10:{acceptor} (transcript orientation).", ax.figure))
    context = slice(5000, len(region) - 5000)  # the bases SpliceAI reads with full context
    genome_order = scores[context][::-1] if region.strand == "-" else scores[context]
    first = region.start + (len(region) - context.stop if region.strand == "-" else 5000)
    exons = [(s, e, f"exon {i + 1}") for i, (s, e) in enumerate(TUBB8.exons_transcript_order)]
    ax = plot.plot_track(genome_order, start=first, intervals=exons,
                         sites=[(acceptor, "explained acceptor")], smooth=25,
                         xlabel="chr10 (GRCh37), genome order; TUBB8 is on the minus strand")
    part.figures.append(("Per-base IG attribution along TUBB8 with its exons (boxes, numbered "
                         "along the transcript).", ax.figure))

    exon = build_exon_input()
    scorer = IncrementalExonScorer(model, exon.acceptor, exon.donor, reference=exon.sequence)
    start = time.perf_counter()
    explainer = GGGPPerturbationExplainer(
        scorer=scorer, grammar=exon.grammar(), length_policy="variable", model_name="spliceai",
        settings=SearchSettings(max_evaluations=evaluations,
                                population_size=max(10, evaluations // 4)))
    dataset = explainer.generate(one_hot(exon.sequence), seed=seed)
    seconds = time.perf_counter() - start
    original = dataset.provenance["original_score"]
    low, high = float(dataset.scores.min()), float(dataset.scores.max())
    quality = archive_quality(dataset.scores)
    part.lines.append(
        f"SpliceAI GGGP on the TUBB8 exon chr10:94744-94852 ({evaluations} evaluations, "
        f"{seconds:.0f} s): {len(dataset)} edited sequences scoring {low:.3f} to {high:.3f} "
        f"around the unedited {original:.3f} (archive quality {quality:.3f}; larger budgets "
        "spread the scores further).")
    part.rows.append(("GGGP, exon chr10:94744-94852", f"{original:.3f} (unedited)",
                      f"{low:.3f} to {high:.3f}", f"{seconds:.1f}"))
    ax = plot.plot_archive_scores(dataset)
    part.figures.append(("Scores of the GGGP local dataset of the TUBB8 exon (SpliceAI mean of "
                         "its acceptor and donor probabilities).", ax.figure))
    ax = plot.plot_edits(dataset, exon.grammar(), bins=120,
                         xlabel="position in the exon input (transcript orientation)")
    part.figures.append(("Where the edits fall: grey is forbidden (splice-site windows, N "
                         "padding), yellow the exon.", ax.figure))
    part.settings = {"SpliceAI members": list(members), "SpliceAI IG steps": n_steps,
                     "SpliceAI GGGP evaluations": evaluations,
                     "SpliceAI weights": weights_source("spliceai")}
    return part
