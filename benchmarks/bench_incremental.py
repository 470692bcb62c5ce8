"""Incremental vs plain SpliceAI exon scoring of GGGP individuals, against the cone work bound.

Input: the TUBB8 internal exon (chr10:94744-94852) as the reference method feeds SpliceAI
(:func:`~captum_genomics.splicing.build_exon_input`: the exon triplet padded with
5,000 N per side; sites 108 nt apart).  For random individuals of 1, 3 and 6 units drawn by the
GGGP grammar (edits anywhere in the triplet outside the forbidden zones), it times

* the plain scorer (:class:`~captum_genomics.splicing.SpliceAIExonScorer`: a batched
  forward over each site's receptive window, SpliceAI's single-output path), and
* the incremental scorer (:class:`~captum_genomics.splicing.IncrementalExonScorer`, same arguments),

and reports evaluations/s, their ratio, the work bound (full / bound multiply-accumulates from
:func:`~captum_genomics.splicing.cone_work`), the fraction of the bound reached, and the
largest probability difference.  A work table splits the ratio into work (MACs per evaluation:
plain heads, cone union, bound, incremental useful and computed) and speed (GMAC/s).  The two
scorers are timed in alternating rounds, so load drift on a shared machine hits both.

    python benchmarks/bench_incremental.py                 # 1, 3, 6 units, 1 thread
    python benchmarks/bench_incremental.py --plain 4 --incremental 128 --threads 2
    python benchmarks/bench_incremental.py --profile       # where the incremental time goes

Uses the published five-model ensemble when spliceai 1.3.1 is installed, else five random-weight
SpliceAI-10k models (same speed, meaningless scores; a note says so).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
from collections.abc import Sequence

import numpy as np
import torch

from captum_genomics.gggp import apply_population, random_population
from captum_genomics.gggp.population import Population
from captum_genomics.models.spliceai import SpliceAI, SpliceAIEnsemble
from captum_genomics.splicing import (
    EditGeometry,
    IncrementalExonScorer,
    SpliceAIExonScorer,
    build_exon_input,
    cone_work,
    plain_work,
)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, nargs="+", default=[1, 3, 6])
    parser.add_argument("--plain", type=int, default=6, help="individuals timed on plain")
    parser.add_argument(
        "--incremental", type=int, default=384, help="individuals timed incrementally"
    )
    parser.add_argument("--rounds", type=int, default=3, help="alternating timing rounds")
    parser.add_argument("--batch-size", type=int, default=128, help="incremental batch size")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--random-weights", action="store_true", help="skip the real weights")
    parser.add_argument("--profile", action="store_true", help="profile the incremental scorer")
    return parser.parse_args(argv)


def load_model(random_weights: bool) -> tuple[SpliceAIEnsemble, str]:
    """The five-model ensemble and a label saying which weights it holds."""
    if not random_weights:
        from captum_genomics.models.spliceai_weights import load_spliceai

        try:
            return load_spliceai("spliceai").eval(), "spliceai 1.3.1 published weights"
        except ModuleNotFoundError:
            pass
    torch.manual_seed(0)
    members = [SpliceAI(10_000) for _ in range(5)]
    note = "RANDOM weights (pip install --no-deps spliceai==1.3.1 for the real ones): speed only"
    return SpliceAIEnsemble(members).eval(), note


def individuals(space, n: int, units: int, rng: np.random.Generator) -> Population:
    """``n`` repaired random individuals with exactly ``units`` units."""
    parts, found = [], 0
    while found < n:
        pop = random_population(space, 4 * n, rng)
        keep = pop.take(np.flatnonzero(pop.n_units == units))
        parts.append(keep)
        found += len(keep)
    return Population.concatenate(parts).take(np.arange(n))


def fas_like_bounds(model, units: Sequence[int], rng: np.random.Generator) -> list[float]:
    """Bound on the issue's geometry: 1,743-nt triplet, sites 62 apart mid-triplet, SNVs."""
    out = []
    for u in units:
        starts = np.sort(rng.choice(1743, size=(400, u)), axis=1)
        full, bound = cone_work(model, np.tile([840, 902], (400, 1)), starts, starts + 1)
        out.append(float(full.sum() / bound.sum()))
    return out


def measure(args, model, exon, units: int, rng: np.random.Generator) -> dict:
    """Timings, agreement and work of one population size."""
    space = exon.grammar(max_units=units).bind(exon.sequence)
    sites = (exon.acceptor, exon.donor)
    n_plain, n_inc = args.plain, args.incremental
    pop = individuals(space, n_plain + n_inc, units, rng)
    batch = apply_population(space, pop, sites)
    plain_batch = apply_population(space, pop.take(np.arange(n_plain)), sites)
    inc_batch = apply_population(space, pop.take(np.arange(n_plain, n_plain + n_inc)), sites)
    plain = SpliceAIExonScorer(model, *sites, reference=exon.sequence)
    incremental = IncrementalExonScorer(
        model, *sites, batch_size=args.batch_size, reference=exon.sequence
    )
    # warm-up (first-call allocations), and agreement on the plain individuals
    expected = plain.site_probabilities(plain_batch)
    difference = float(np.abs(incremental.site_probabilities(plain_batch) - expected).max())

    t_plain = t_inc = 0.0
    for r in range(args.rounds):
        part_p = np.arange(r * n_plain // args.rounds, (r + 1) * n_plain // args.rounds)
        part_i = np.arange(r * n_inc // args.rounds, (r + 1) * n_inc // args.rounds)
        sub_p = apply_population(space, plain_batch.population.take(part_p), sites)
        sub_i = apply_population(space, inc_batch.population.take(part_i), sites)
        start = time.perf_counter()
        plain.site_probabilities(sub_p)
        t_plain += time.perf_counter() - start
        start = time.perf_counter()
        incremental.site_probabilities(sub_i)
        t_inc += time.perf_counter() - start

    geometry = EditGeometry.from_edit_batch(batch, batch.tracked)
    full, bound = cone_work(model, geometry.sites, geometry.starts, geometry.ends, geometry.valid)
    work = incremental.engine.work(EditGeometry.from_edit_batch(inc_batch, inc_batch.tracked))
    members = len(model.members)
    plain_macs = plain_work(model, geometry.sites).mean()
    row = {
        "units": units,
        "plain_eval_s": n_plain / t_plain,
        "incremental_eval_s": n_inc / t_inc,
        "bound": float(full.sum() / bound.sum()),
        "max_abs_diff": difference,
        "plain_gmac": plain_macs / 1e9,
        "union_gmac": full.mean() / 1e9,
        "bound_gmac": bound.mean() / 1e9,
        "useful_gmac": members * work["useful"] / n_inc / 1e9,
        "computed_gmac": members * work["computed"] / n_inc / 1e9,
    }
    row["ratio"] = row["incremental_eval_s"] / row["plain_eval_s"]
    row["fraction"] = row["ratio"] / row["bound"]
    row["plain_gmac_s"] = row["plain_gmac"] * row["plain_eval_s"]
    row["incremental_gmac_s"] = row["computed_gmac"] * row["incremental_eval_s"]
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        incremental.site_probabilities(inc_batch)
        profiler.disable()
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(10)
        row["profile"] = text.getvalue()
    return row


def main(argv: Sequence[str] | None = None) -> list[dict]:
    """Run the benchmark, print the tables, return one row per number of units."""
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    model, label = load_model(args.random_weights)
    exon = build_exon_input()
    print(f"model: {label}; torch threads: {args.threads}")
    print(
        f"input: TUBB8 exon chr10:94744-94852, {len(exon.sequence)} nt, sites "
        f"{exon.acceptor}/{exon.donor}; {args.plain} plain / {args.incremental} incremental "
        f"individuals per row, {args.rounds} alternating rounds"
    )
    rows = [measure(args, model, exon, u, rng) for u in args.units]
    print()
    print("units  plain ev/s  incr ev/s   ratio   bound  of bound  max|dp|")
    for r in rows:
        print(
            f"{r['units']:>5}  {r['plain_eval_s']:>10.3f}  {r['incremental_eval_s']:>9.2f}  "
            f"{r['ratio']:>6.1f}x  {r['bound']:>5.1f}x  {100 * r['fraction']:>7.0f}%  "
            f"{r['max_abs_diff']:.1e}"
        )
    print()
    print("GMAC per evaluation (ensemble)                     GMAC/s")
    print("units   plain   union   bound  useful  computed    plain  incremental")
    for r in rows:
        print(
            f"{r['units']:>5}  {r['plain_gmac']:>6.2f}  {r['union_gmac']:>6.2f}  "
            f"{r['bound_gmac']:>6.3f}  {r['useful_gmac']:>6.3f}  {r['computed_gmac']:>8.3f}  "
            f"{r['plain_gmac_s']:>7.1f}  {r['incremental_gmac_s']:>11.1f}"
        )
    fas = fas_like_bounds(model, args.units, rng)
    print()
    print(
        "bound on the issue's geometry (1,743-nt triplet, sites 62 apart, SNVs): "
        + ", ".join(f"{u} units {b:.1f}x" for u, b in zip(args.units, fas))
    )
    for r in rows:
        if "profile" in r:
            print(f"\nprofile, {r['units']} units:\n{r['profile']}")
    return rows


if __name__ == "__main__":
    main()
