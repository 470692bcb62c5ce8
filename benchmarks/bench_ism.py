"""Exact in-silico mutagenesis of the TUBB8 acceptor: incremental vs naive, and vs IG's ranking.

Input: SpliceAI's input around TUBB8's acceptor chr10:94852 (minus strand; the site in the
middle of 10,000 nt of context, :func:`~captum_genomics.splicing.build_site_input`).  The
explained score is P(acceptor) at the site.  The benchmark times

* naive ISM: :class:`~captum_genomics.attr.InSilicoMutagenesis` with ``method="plain"``, a
  batched forward pass of the model over the site's receptive window (context + 1 nt,
  SpliceAI's single-output path) for every mutant, on ``--naive`` positions spread over the
  window (its mutants/s does not depend on which positions), and
* ours: the incremental path (``for_spliceai_site``), which rescores each mutant from the
  reference's cached activations, on every position of the window (the reference cache is
  built inside the timed call),

in alternating rounds, and reports mutants/s, their ratio and the largest difference on the
shared mutants.  It then ranks the window's positions by ISM (max |effect| over the three
substitutions) and by integrated gradients
(:class:`~captum_genomics.GenomicIntegratedGradients`, uniform baseline, |per-locus sum|) on
the same target, and gives their Spearman correlation and top-10 overlap.

    python benchmarks/bench_ism.py                       # 5-model ensemble, 100 positions
    python benchmarks/bench_ism.py --members 1 --window 30 --naive 4 --ig-steps 8

Uses the published weights when spliceai 1.3.1 is installed, else random-weight SpliceAI-10k
models (same speed, meaningless scores and ranks; a note says so).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import numpy as np
import torch
from scipy.stats import spearmanr

from captum_genomics.attr import InSilicoMutagenesis
from captum_genomics.attr.integrated_gradients import GenomicIntegratedGradients
from captum_genomics.dna.codec import one_hot
from captum_genomics.models.spliceai import SpliceAI, SpliceAIEnsemble
from captum_genomics.splicing import SpliceSiteHead, build_site_input


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=5, help="ensemble members (1-5)")
    parser.add_argument("--window", type=int, default=100, help="positions mutated, 3/5 before")
    parser.add_argument("--naive", type=int, default=8, help="window positions timed naively")
    parser.add_argument("--rounds", type=int, default=2, help="alternating timing rounds")
    parser.add_argument("--batch-size", type=int, default=128, help="mutants per call (ours)")
    parser.add_argument("--ig-steps", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--random-weights", action="store_true", help="skip the real weights")
    return parser.parse_args(argv)


def load_model(members: int, random_weights: bool) -> tuple[torch.nn.Module, str]:
    """The first ``members`` models of the ensemble and a label saying which weights they hold."""
    if not random_weights:
        from captum_genomics.models.spliceai_weights import load_spliceai

        try:
            model = load_spliceai("spliceai", members=list(range(1, members + 1)))
            return model.eval(), f"spliceai 1.3.1 published weights, {members} model(s)"
        except ModuleNotFoundError:
            pass
    torch.manual_seed(0)
    model = SpliceAIEnsemble([SpliceAI(10_000) for _ in range(members)])
    return model.eval(), (
        f"RANDOM weights, {members} model(s) (pip install --no-deps spliceai==1.3.1 for the "
        "real ones): speed only"
    )


def ranks_agreement(ism: np.ndarray, ig: np.ndarray, top: int = 10) -> tuple[float, int]:
    """Spearman correlation of two per-position importances, and their top-``top`` overlap."""
    rho = float(spearmanr(ism, ig).statistic)
    overlap = len(set(np.argsort(-ism)[:top]) & set(np.argsort(-ig)[:top]))
    return rho, overlap


def main(argv: Sequence[str] | None = None) -> dict:
    """Run the benchmark, print the figures, return them."""
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    model, label = load_model(args.members, args.random_weights)
    site = build_site_input("chr10", 94852, "-", "acceptor")
    x = one_hot(site.sequence)
    start = site.site - (3 * args.window) // 5
    window = np.arange(start, start + args.window)
    naive_positions = np.unique(np.linspace(0, args.window - 1, args.naive).round().astype(int))
    naive_positions = window[naive_positions]
    print(f"model: {label}; torch threads: {args.threads}")
    print(
        f"input: TUBB8 acceptor chr10:94852 (-), {len(site.sequence)} nt, site {site.site}; "
        f"window {window[0]}..{window[-1]} ({args.window} positions, {3 * args.window} "
        f"mutants), naive on {naive_positions.size} of them, {args.rounds} alternating rounds"
    )
    ism = InSilicoMutagenesis.for_spliceai_site(model, site.site, "acceptor")
    ours = ism.attribute(x, positions=window[:2], perturbations_per_eval=args.batch_size)  # warm
    t_naive = t_ours = 0.0
    for r in range(args.rounds):
        part_n = naive_positions[r::args.rounds]
        part_o = window[r::args.rounds]
        begin = time.perf_counter()
        naive = ism.attribute(x, positions=part_n, method="plain", perturbations_per_eval=4)
        t_naive += time.perf_counter() - begin
        begin = time.perf_counter()
        ism.attribute(x, positions=part_o, perturbations_per_eval=args.batch_size)
        t_ours += time.perf_counter() - begin
    naive = ism.attribute(x, positions=naive_positions, method="plain", perturbations_per_eval=4)
    ours = ism.attribute(x, positions=window, perturbations_per_eval=args.batch_size)
    difference = float((ours - naive)[..., naive_positions].abs().max())
    row = {
        "naive_mutants_s": 3 * naive_positions.size / t_naive,
        "ours_mutants_s": 3 * args.window / t_ours,
        "max_abs_diff": difference,
    }
    row["ratio"] = row["ours_mutants_s"] / row["naive_mutants_s"]

    ig = GenomicIntegratedGradients(SpliceSiteHead(model, [site.site], "acceptor"))
    begin = time.perf_counter()
    per_locus = ig.attribute(x, n_steps=args.ig_steps, internal_batch_size=4, aggregate="sum")
    row["ig_s"] = time.perf_counter() - begin
    ism_importance = ours[0].abs().amax(dim=0)[window].numpy()
    ig_importance = per_locus[0].abs()[window].numpy()
    row["spearman"], row["top10_overlap"] = ranks_agreement(ism_importance, ig_importance)
    effects = ours[0][:, window]
    top = window[np.argsort(-ism_importance)[:5]] - site.site
    print()
    print("          mutants/s")
    print(f"naive     {row['naive_mutants_s']:>9.2f}")
    print(f"ours      {row['ours_mutants_s']:>9.2f}   ratio {row['ratio']:.1f}x   "
          f"max|diff| {row['max_abs_diff']:.1e}")
    print()
    print(
        f"ISM vs IG ({args.ig_steps} steps, {row['ig_s']:.0f} s) over the window: Spearman "
        f"{row['spearman']:.2f}, top-10 overlap {row['top10_overlap']}/10; strongest ISM "
        f"positions (relative to the site): {top.tolist()}; largest loss "
        f"{float(effects.min()):.3f}, largest gain {float(effects.max()):.3f}"
    )
    return row


if __name__ == "__main__":
    main()
