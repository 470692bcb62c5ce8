"""``captum-genomics ig``: integrated gradients of a model on genome regions, written for
genome browsers, TF-MoDISco-lite and people.

Every argument, the model and the output directory are checked before any work
(:func:`prepare`); :func:`explain` runs the explainer over the regions; :func:`write_outputs`
writes what a run leaves behind. Minus-strand regions are reverse-complemented for the model
and their per-base scores are mapped back to genome coordinates on output.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from captum_genomics._atomic import atomic_open
from captum_genomics._validate import check_positive_number
from captum_genomics.aggregate import interval_scores
from captum_genomics.attr.baselines import BASELINE_NAMES
from captum_genomics.attr.integrated_gradients import GenomicIntegratedGradients
from captum_genomics.cli._common import (
    REPORT_LIMIT,
    check_device,
    check_output_dir,
    file_stem,
    non_negative_int,
    option_settings,
    positive_int,
    run_command,
    weights_source,
)
from captum_genomics.dna.annotations import Interval, read_bed, read_gff3
from captum_genomics.dna.codec import one_hot, reverse_complement, to_ncl
from captum_genomics.dna.fasta import _open_fasta, _parse_region, read_region
from captum_genomics.export import (
    OVERLAP_POLICIES,
    RegionTrack,
    check_overlaps,
    chrom_sizes,
    write_bedgraph,
    write_bigwig,
    write_modisco_inputs,
    write_table,
)
from captum_genomics.splicing.heads import SpliceSiteHead
from captum_genomics.splicing.sites import model_context

#: One-line summary shown by ``captum-genomics --help``.
HELP = "explain a model on genome regions with IG: tracks, modisco inputs, tables"

#: ``--model`` names that load the published SpliceAI-family weights.
SPLICEAI_MODELS = ("spliceai", "cispliceai")
#: SpliceAI output classes ``--target`` may name.
SPLICEAI_TARGETS = {"acceptor": 1, "donor": 2}
#: Columns of ``regions.tsv``.
SUMMARY_COLUMNS = ("chrom", "start", "end", "strand", "name", "baseline", "model_score",
                   "attribution_sum", "input_attribution_sum", "max_abs_delta")
INTERVAL_COLUMNS = ("region", "baseline", "chrom", "start", "end", "name", "n_positions",
                    "attribution_sum", "attribution_mean", "rank_in_region")

_REGION_STRAND = re.compile(r"^(?P<region>.+?)(?::(?P<strand>[+-]))?$")
_FACTORY = re.compile(r"^(?P<module>[A-Za-z_][\w.]*):(?P<function>[A-Za-z_]\w*)$")


def add_input_and_path_arguments(parser: argparse.ArgumentParser, model):
    """Add ``--layout``, ``--n-policy`` to ``model`` and the IG group (baselines, steps) that
    ``ig`` and ``batch`` share; returns that group."""
    model.add_argument("--layout", choices=("NCL", "NLC"), default="NCL",
                       help="input layout of the model: (N, 4, L) or (N, L, 4)")
    model.add_argument("--n-policy", choices=("zeros", "uniform"), default="zeros",
                       help="one-hot column of N: all zeros (SpliceAI) or 0.25 (deepG)")
    ig = parser.add_argument_group("integrated gradients")
    ig.add_argument("--baseline", action="append", choices=BASELINE_NAMES,
                    help="reference; repeatable, one track per baseline (default: uniform)")
    ig.add_argument("--n-shuffles", type=positive_int, default=20,
                    help="shuffled references per region for --baseline shuffle")
    ig.add_argument("--steps", type=positive_int, default=50,
                    help="path points (most, with a tolerance)")
    ig.add_argument("--completeness-tol", type=float,
                    help="refine the path until |sum(attr) - (F(x) - F(b))| is at most this")
    return ig


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``captum-genomics ig`` to its subparser."""
    where = parser.add_argument_group("regions (one of)")
    where.add_argument("--fasta", help="genome FASTA (indexed with .fai, built if missing)")
    where.add_argument("--regions", metavar="BED",
                       help="BED file of regions (with --fasta); column 6 gives the strand")
    where.add_argument("--region", action="append", default=[], metavar="CHR:START-END[:STRAND]",
                       help="a region, 1-based inclusive (with --fasta); repeatable")
    where.add_argument("--sequence", action="append", default=[], metavar="ACGT...",
                       help="a sequence to explain instead of genome regions; repeatable "
                            "(tracks use the names sequence1, sequence2, ...)")
    model = parser.add_argument_group("model and target")
    model.add_argument("--model", required=True,
                       help="'spliceai', 'cispliceai', a TorchScript file, a torch.export "
                            ".pt2 file, or module:function (a factory returning an "
                            "nn.Module); files are never unpickled")
    model.add_argument("--target",
                       help="output class index (int); for SpliceAI 'acceptor' or 'donor'")
    model.add_argument("--site", type=positive_int,
                       help="SpliceAI: 1-based genome position of the site inside every region "
                            "(default: the score summed over the region)")
    ig = add_input_and_path_arguments(parser, model)
    ig.add_argument("--seed", type=non_negative_int, default=0,
                    help="seed of the shuffled references")
    ig.add_argument("--batch-size", type=positive_int, default=64,
                    help="most sequences in one model call")
    ig.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda:0")
    ig.add_argument("--threads", type=positive_int, help="CPU threads for torch")
    out = parser.add_argument_group("output")
    out.add_argument("--output-dir", required=True,
                     help="directory of the run's files (created if missing)")
    out.add_argument("--annotation", metavar="BED_or_GFF3",
                     help="exons and introns (BED, or the exon and intron features of a "
                          "GFF3) drawn under the report's tracks, with the splice sites they "
                          "imply")
    out.add_argument("--overlap", choices=OVERLAP_POLICIES, default="error",
                     help="overlapping regions: refuse, or average their tracks per base")
    out.add_argument("--force", action="store_true",
                     help="write into a non-empty output directory, replacing its files")
    out.add_argument("--quiet", action="store_true", help="no progress bar")


@dataclass
class Plan:
    """Everything a run needs, checked: regions, their model inputs, model and settings."""

    regions: list[Interval]
    texts: list[str]  # model input of each region, model orientation, flanks included
    flank: int  # input positions before (and after) the region in every input
    sizes: dict[str, int]  # chromosome lengths of the tracks
    model: nn.Module
    forward: nn.Module
    target: int | None
    sites: list[int] | None  # SpliceAI --site: the site's input position per region
    window: bool  # SpliceAI without --site: explain the class summed over the region
    baselines: list[str]
    output_dir: Path
    args: argparse.Namespace
    annotation: list[Interval] = field(default_factory=list)  # --annotation's features


@dataclass
class BaselineResult:
    """Attributions of every region under one baseline (arrays (4, L_input), NCL)."""

    attributions: list[np.ndarray] = field(default_factory=list)
    hypothetical: list[np.ndarray] = field(default_factory=list)
    delta: list[float] = field(default_factory=list)
    score: list[float] = field(default_factory=list)


@dataclass
class Run:
    """The results of a run: its plan, one-hot inputs (4, L_input) and results per baseline."""

    plan: Plan
    one_hot: list[np.ndarray]
    results: dict[str, BaselineResult]

    def tracks(self, baseline: str) -> list[RegionTrack]:
        """Per-base attribution sums over each region, in model orientation."""
        flank = self.plan.flank
        return [RegionTrack(r.chrom, r.start, r.end, "-" if r.strand == "-" else "+",
                            a.sum(axis=0)[flank:flank + len(r)], r.name)
                for r, a in zip(self.plan.regions, self.results[baseline].attributions)]


# ------------------------------------------------------------------------------------------
# Checks, before any work
# ------------------------------------------------------------------------------------------


def _parse_cli_region(text: str) -> Interval:
    match = _REGION_STRAND.match(text.strip())
    chrom, start, end = _parse_region(match["region"])
    return Interval(chrom, start, end, match["strand"] or "+", text)


def _regions(args) -> tuple[list[Interval], dict[str, int], object]:
    """Regions, chromosome sizes, and a fetch(chrom, start, end) of + strand text."""
    sources = sum(bool(s) for s in (args.regions or args.region, args.sequence))
    if sources != 1:
        raise ValueError("give regions with --fasta FA and --regions BED or --region "
                         "CHR:START-END[:STRAND], or sequences with --sequence (one of them)")
    if args.sequence:
        if args.fasta:
            raise ValueError("--sequence explains given sequences: leave out --fasta")
        texts = {f"sequence{i}": s.strip() for i, s in enumerate(args.sequence, start=1)}
        for name, text in texts.items():
            if not text:
                raise ValueError(f"--sequence {name} is empty")
            one_hot(text)  # rejects what is not A, C, G, T or N, naming it
        regions = [Interval(name, 1, len(text), "+", name) for name, text in texts.items()]
        return regions, {n: len(t) for n, t in texts.items()}, (
            lambda chrom, start, end: texts[chrom][start - 1:end])
    if not args.fasta:
        raise ValueError("--regions and --region read the genome: pass --fasta FA")
    sizes, fetch = open_genome(args.fasta)
    regions = [_parse_cli_region(r) for r in args.region]
    if args.regions:
        if not os.path.isfile(args.regions):
            raise FileNotFoundError(f"--regions {args.regions}: no such file")
        regions += read_bed(args.regions)
    if not regions:
        raise ValueError(f"--regions {args.regions} holds no region")
    for region in regions:
        check_region(region, sizes, args.fasta)
    return regions, sizes, fetch


def open_genome(path: str) -> tuple[dict[str, int], object]:
    """A FASTA's chromosome lengths and a ``fetch(chrom, start, end)`` of its + strand text
    (1-based, inclusive)."""
    fasta, _ = _open_fasta(path)
    return chrom_sizes(fasta), lambda chrom, start, end: read_region(fasta, (chrom, start, end))


def check_region(region: Interval, sizes: dict[str, int], fasta: str) -> None:
    """Raise ValueError, naming the region, if it lies outside the genome ``fasta``.

    Parameters
    ----------
    region : Interval
        1-based inclusive coordinates.
    sizes : dict of str to int
        Chromosome lengths of ``fasta``.
    fasta : str
        The genome's path, for the message.
    """
    if region.chrom not in sizes:
        raise ValueError(f"region {region.name}: chromosome {region.chrom!r} is not in "
                         f"{fasta} (it has {', '.join(list(sizes)[:10])})")
    if region.end > sizes[region.chrom]:
        raise ValueError(f"region {region.name} ends past {region.chrom!r}, which has length "
                         f"{sizes[region.chrom]}")


def _input_text(fetch, sizes, region: Interval, flank: int) -> str:
    """Model input of a region: the + strand with ``flank`` bases each side (N beyond the
    chromosome ends), reverse-complemented for minus-strand regions."""
    lo, hi = region.start - flank, region.end + flank
    inside = fetch(region.chrom, max(lo, 1), min(hi, sizes[region.chrom]))
    text = "N" * max(0, 1 - lo) + inside + "N" * max(0, hi - sizes[region.chrom])
    return reverse_complement(text) if region.strand == "-" else text


def load_model(spec: str, device: torch.device) -> nn.Module:
    """The ``--model`` module in eval mode on ``device`` (see the option's help)."""
    if spec in SPLICEAI_MODELS:
        from captum_genomics.models.spliceai_weights import load_spliceai

        return load_spliceai(spec, device=device)
    if os.path.isfile(spec):
        exported = spec.endswith(".pt2")  # torch.export.save's archive; others: TorchScript
        try:
            if exported:  # an exported program's module is in inference form (no .eval())
                return torch.export.load(spec).module().to(device)
            return torch.jit.load(spec, map_location=device).eval()
        except Exception as err:
            kind = "torch.export (.pt2)" if exported else "TorchScript"
            raise ValueError(
                f"--model {spec} cannot be read as a {kind} file ({str(err).splitlines()[0]}); "
                "save the model with torch.jit.save (any name) or torch.export.save (a .pt2 "
                "name), or pass module:function"
            ) from None
    match = _FACTORY.match(spec)
    if match is None:
        raise ValueError(f"--model {spec!r} is not 'spliceai', 'cispliceai', an existing file, or "
                         "module:function (e.g. mypackage.models:build)")
    try:
        factory = getattr(importlib.import_module(match["module"]), match["function"])
    except (ImportError, AttributeError) as err:
        raise ValueError(f"--model {spec}: cannot import it ({err}); put its module on "
                         "PYTHONPATH") from None
    model = factory()
    if not isinstance(model, nn.Module):
        raise TypeError(f"--model {spec} returned a {type(model).__name__}, not a "
                        "torch.nn.Module; the factory must return the model")
    return model.to(device).eval()


def check_settings(args: argparse.Namespace) -> tuple[torch.device, list[str]]:
    """``--completeness-tol`` checked; the ``--device`` and the baselines of a run."""
    if args.completeness_tol is not None:
        check_positive_number(args.completeness_tol, "--completeness-tol")
    device = check_device(args.device)
    baselines = list(dict.fromkeys(args.baseline or ["uniform"]))
    return device, baselines


def check_model_options(args: argparse.Namespace, regions: list[Interval]) -> None:
    """Check ``--target``, ``--layout`` and ``--site`` against ``--model`` and the regions.

    Raises
    ------
    ValueError
        Naming the problem and the fix.
    """
    spliceai = args.model in SPLICEAI_MODELS
    if spliceai and args.target not in SPLICEAI_TARGETS:
        raise ValueError(f"--model {args.model} needs --target acceptor or donor")
    if spliceai and args.layout != "NCL":
        raise ValueError(f"--model {args.model} reads (N, 4, L): leave out --layout NLC")
    if not spliceai and args.target is not None and not re.fullmatch(r"\d+", args.target):
        raise ValueError(f"--target {args.target!r}: give an output class index (0, 1, ...); "
                         "acceptor and donor are for --model spliceai or cispliceai")
    if args.site is not None:
        if not spliceai:
            raise ValueError("--site picks a SpliceAI output position: use it with --model "
                             "spliceai or cispliceai")
        outside = [r.name for r in regions if not r.start <= args.site <= r.end]
        if outside:
            raise ValueError(f"--site {args.site} lies outside region {outside[0]}; every region "
                             "must contain the site")


def prepare(args: argparse.Namespace) -> Plan:
    """Check every argument, the output directory and the model; read the regions.

    Raises
    ------
    ValueError, TypeError, FileNotFoundError, ModuleNotFoundError
        Naming the problem and the fix.
    """
    device, baselines = check_settings(args)
    output_dir = check_output_dir(args.output_dir, args.force)
    regions, sizes, fetch = _regions(args)
    if args.overlap == "error":
        check_overlaps(regions)
    check_model_options(args, regions)
    annotation = _read_annotation(args.annotation)
    if args.threads:
        torch.set_num_threads(args.threads)
    model = load_model(args.model, device)
    return build_plan(args, regions, sizes, fetch, model, output_dir, baselines, annotation)


def build_plan(args: argparse.Namespace, regions: list[Interval], sizes: dict[str, int],
               fetch, model: nn.Module, output_dir: Path, baselines: list[str],
               annotation: list[Interval] | None = None) -> Plan:
    """The :class:`Plan` of checked ``regions`` with a loaded ``model``: model inputs, target
    and the SpliceAI site head (no checks: :func:`prepare` makes them).

    Parameters
    ----------
    args : argparse.Namespace
        The options of ``captum-genomics ig``.
    regions : list of Interval
        Regions inside the genome (:func:`check_region`).
    sizes : dict of str to int
        Chromosome lengths.
    fetch : callable
        ``fetch(chrom, start, end)``: + strand text, 1-based inclusive.
    model : torch.nn.Module
        The ``--model``, loaded (:func:`load_model`).
    output_dir : pathlib.Path
        Where the run writes.
    baselines : list of str
        Baseline names, one track each.
    annotation : list of Interval, optional
        ``--annotation``'s features.
    """
    spliceai = args.model in SPLICEAI_MODELS
    flank = model_context(model) // 2 if spliceai else 0
    texts = [_input_text(fetch, sizes, r, flank) for r in regions]
    sites = target = None
    forward = model
    if spliceai and args.site is not None:
        sites = [flank + (r.end - args.site if r.strand == "-" else args.site - r.start)
                 for r in regions]
        forward, target = SpliceSiteHead(model, 0, args.target), 0
    elif spliceai:
        target = SPLICEAI_TARGETS[args.target]
    elif args.target is not None:
        target = int(args.target)
    return Plan(regions, texts, flank, sizes, model, forward, target, sites,
                spliceai and args.site is None, baselines, output_dir, args, annotation or [])


def _read_annotation(path: str | None) -> list[Interval]:
    """``--annotation``: a BED file, or the exon and intron features of a GFF3 file."""
    if path is None:
        return []
    if not os.path.isfile(path):
        raise FileNotFoundError(f"--annotation {path}: no such file; give a BED or GFF3 file "
                                "of exons (and introns)")
    gff = re.search(r"\.gff3?(\.gz)?$", path, re.IGNORECASE) is not None
    try:
        return read_gff3(path, feature=("exon", "intron")) if gff else read_bed(path)
    except ValueError as err:
        raise ValueError(f"--annotation {path}: {err}") from None


# ------------------------------------------------------------------------------------------
# The work
# ------------------------------------------------------------------------------------------


def _batches(plan: Plan) -> list[list[int]]:
    """Indices of consecutive regions of equal input length, at most ``--batch-size`` each."""
    batches: list[list[int]] = []
    for i, text in enumerate(plan.texts):
        if (batches and len(plan.texts[batches[-1][0]]) == len(text)
                and len(batches[-1]) < plan.args.batch_size):
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches


def _model_score(plan: Plan, x: torch.Tensor, extra) -> torch.Tensor:
    """F(x) of the explained output, shape (N,)."""
    with torch.no_grad():
        out = plan.forward(x) if extra is None else plan.forward(x, extra)
        if plan.window:
            out = out.sum(dim=-1)
        if plan.target is not None:
            out = out[:, plan.target]
        if out.dim() != 1:
            raise ValueError(f"the model gives shape {tuple(out.shape)} per batch; pass --target "
                             "to pick one output per sequence")
    return out


def explain(plan: Plan) -> Run:
    """Integrated gradients of every region under every baseline."""
    args = plan.args
    explainer = GenomicIntegratedGradients(plan.forward, layout=args.layout)
    device = torch.device(args.device)
    one_hots: list[np.ndarray] = []
    results = {b: BaselineResult() for b in plan.baselines}
    batches = _batches(plan)  # consecutive, so appending keeps the regions' order
    with tqdm(total=len(plan.regions) * len(plan.baselines), disable=args.quiet,
              desc="regions", unit="region") as bar:
        for baseline in plan.baselines:
            result = results[baseline]
            for batch in batches:
                x = one_hot([plan.texts[i] for i in batch], layout=args.layout,
                            n_policy=args.n_policy, unknown="n", device=device)
                extra = (None if plan.sites is None else
                         torch.tensor([[plan.sites[i]] for i in batch], device=device))
                length = x.shape[-1] if args.layout == "NCL" else x.shape[1]
                common = dict(baselines=baseline, target=plan.target, n_steps=args.steps,
                              n_shuffles=args.n_shuffles, seed=args.seed,
                              internal_batch_size=args.batch_size,
                              completeness_tol=args.completeness_tol,
                              additional_forward_args=extra,
                              output_window=(0, length - 2 * plan.flank) if plan.window else None,
                              receptive_field=(0, 2 * plan.flank) if plan.window else None)
                attributions, delta = explainer.attribute(x, return_convergence_delta=True,
                                                          **common)
                hypothetical = explainer.attribute(x, aggregate="hypothetical", **common)
                score = _model_score(plan, x, extra)
                x, attributions, hypothetical = (
                    to_ncl(t, args.layout).detach().cpu().numpy()
                    for t in (x, attributions, hypothetical))
                if baseline == plan.baselines[0]:
                    one_hots.extend(x)
                result.attributions.extend(attributions)
                result.hypothetical.extend(hypothetical)
                result.delta.extend(delta.abs().tolist())
                result.score.extend(score.tolist())
                bar.update(len(batch))
    return Run(plan, one_hots, results)


# ------------------------------------------------------------------------------------------
# Outputs
# ------------------------------------------------------------------------------------------


def _write_modisco(run: Run, directory: Path) -> None:
    """One pair of npz per baseline (per region length when lengths differ), region only."""
    flank = run.plan.flank
    lengths = sorted({len(r) for r in run.plan.regions})
    for baseline, result in run.results.items():
        for length in lengths:
            rows = [i for i, r in enumerate(run.plan.regions) if len(r) == length]
            prefix = f"{baseline}_" if len(lengths) == 1 else f"{baseline}_{length}nt_"
            write_modisco_inputs(
                directory,
                np.stack([run.one_hot[i][:, flank:flank + length] for i in rows]),
                np.stack([result.hypothetical[i][:, flank:flank + length] for i in rows]),
                prefix=prefix)


def write_arrays(run: Run, path: Path) -> None:
    """Write ``attributions.npz`` of ``run`` atomically (arrays: see :func:`write_outputs`)."""
    regions = run.plan.regions
    arrays = {"chrom": np.array([r.chrom for r in regions]),
              "start": np.array([r.start for r in regions]),
              "end": np.array([r.end for r in regions]),
              "strand": np.array([r.strand for r in regions]),
              "name": np.array([r.name for r in regions]),
              "flank": np.array(run.plan.flank)}
    for i, x in enumerate(run.one_hot):
        arrays[f"one_hot_{i}"] = x
        for baseline, result in run.results.items():
            arrays[f"{baseline}_{i}"] = result.attributions[i]
            arrays[f"{baseline}_hypothetical_{i}"] = result.hypothetical[i]
    with atomic_open(path, "wb") as handle:
        np.savez_compressed(handle, **arrays)


def write_outputs(run: Run) -> list[Path]:
    """Write the run's files into ``--output-dir``; returns their paths.

    Per baseline ``ig_<baseline>.bw`` and ``ig_<baseline>.bedgraph`` (per-base attribution
    sums in genome coordinates) and ``modisco/<baseline>_ohe.npz`` / ``_shap.npz`` (one-hot
    inputs and hypothetical contributions of the regions, model orientation); then
    ``regions.tsv`` (one row per region and baseline), with ``--annotation`` also
    ``intervals.tsv`` (each feature's attribution sum, mean and rank within each region it
    overlaps, per baseline), and ``attributions.npz`` (every array:
    ``one_hot_<i>``, ``<baseline>_<i>``, ``<baseline>_hypothetical_<i>``, each (4, L_input)
    in model orientation, flanks included, with the region columns and ``flank``); then
    ``report.html`` and its figures as PNG in ``figures/`` (see :func:`write_report`).
    """
    plan = run.plan
    out = plan.output_dir
    (out / "modisco").mkdir(parents=True, exist_ok=True)
    written = []
    for baseline in plan.baselines:
        tracks = run.tracks(baseline)
        bigwig, bedgraph = out / f"ig_{baseline}.bw", out / f"ig_{baseline}.bedgraph"
        write_bigwig(bigwig, tracks, plan.sizes, overlap=plan.args.overlap)
        write_bedgraph(bedgraph, tracks, name=f"IG {baseline}",
                       description=f"integrated gradients of {plan.args.model}, {baseline} "
                                   "baseline, per-base sum", overlap=plan.args.overlap)
        written += [bigwig, bedgraph]
    _write_modisco(run, out / "modisco")
    written.append(out / "modisco")
    rows = summary_rows(run)
    write_table(out / "regions.tsv", rows, SUMMARY_COLUMNS)
    written.append(out / "regions.tsv")
    if plan.annotation:
        write_table(out / "intervals.tsv", _interval_rows(run), INTERVAL_COLUMNS)
        written.append(out / "intervals.tsv")
    write_arrays(run, out / "attributions.npz")
    figures = write_report(run, rows)
    return [*written, out / "attributions.npz", out / "report.html", *figures]


def summary_rows(run: Run) -> list[tuple]:
    """Rows of ``regions.tsv`` (:data:`SUMMARY_COLUMNS`): one per region and baseline."""
    return [(r.chrom, r.start, r.end, track.strand, r.name, baseline, score,
             float(track.values.sum()), float(attributions.sum()), delta)
            for baseline, result in run.results.items()
            for r, track, attributions, score, delta in zip(
                run.plan.regions, run.tracks(baseline), result.attributions, result.score,
                result.delta)]


def _interval_rows(run: Run) -> list[tuple]:
    """``intervals.tsv``: each ``--annotation`` feature's attribution over each region it
    overlaps (clipped to the region), per baseline: sum, mean, and rank within the region."""
    rows = []
    for baseline in run.plan.baselines:
        for track in run.tracks(baseline):
            features = [f for f in run.plan.annotation if f.chrom == track.chrom
                        and f.start <= track.end and f.end >= track.start]
            if not features:
                continue
            values = track.genome_values()
            sums = interval_scores(values, features, offset=track.start, reduce="sum",
                                   chrom=track.chrom)
            means = interval_scores(values, features, offset=track.start, reduce="mean",
                                    chrom=track.chrom)
            rows += [(track.name, baseline, chrom, int(start), int(end), name, int(n),
                      float(total), float(mean), int(rank))
                     for chrom, start, end, name, n, total, mean, rank in zip(
                         sums.chrom, sums.start, sums.end, sums.name, sums.n_positions,
                         sums.score, means.score, sums.rank)]
    return rows


LOGO_WIDTH = 60  # bases in a report's logo


def _features_in(region: Interval, annotation: list[Interval]) -> tuple[list, list]:
    """The annotation's features over ``region`` (clipped to it) and the splice sites their
    exons imply inside it (exon ends that are not a transcript's first or last base)."""
    on_chrom = [f for f in annotation if f.chrom == region.chrom]
    intervals = [Interval(f.chrom, max(f.start, region.start), min(f.end, region.end),
                          f.strand, f.name, f.feature)
                 for f in on_chrom if f.start <= region.end and f.end >= region.start]
    sites = []
    for strand in "+-":
        exons = [f for f in on_chrom if f.strand == strand
                 and not (f.feature or f.name).lower().startswith("intron")]
        if not exons:
            continue
        low, high = min(f.start for f in exons), max(f.end for f in exons)
        five, three = ("acceptor", "donor") if strand == "+" else ("donor", "acceptor")
        for exon in exons:
            sites += [(position, kind) for position, kind in ((exon.start, five),
                                                              (exon.end, three))
                      if position not in (low, high) and region.start <= position <= region.end]
    return intervals, sorted(set(sites))


def _region_figures(run: Run, index: int, tracks: dict[str, np.ndarray]) -> list[tuple]:
    """A region's baseline comparison and the logo of its strongest window (genome order)."""
    from captum_genomics import plot

    plan, args = run.plan, run.plan.args
    region = plan.regions[index]
    strand = "-" if region.strand == "-" else "+"
    intervals, sites = _features_in(region, plan.annotation)
    if args.site is not None:
        sites.append((args.site, "explained site"))
    where = f"{region.chrom}:{region.start:,}-{region.end:,} ({strand})"
    xlabel = f"{region.chrom}, genome order (+ strand, as the bigWig)"
    stem = file_stem(index, region.name)
    comparison = plot.plot_baselines(tracks, start=region.start, intervals=intervals,
                                     sites=sites, xlabel=xlabel)
    comparison.suptitle(f"{region.name}: per-base IG attribution by baseline, {where}",
                        fontsize=10)
    first = plan.baselines[0]
    observed = run.results[first].attributions[index] * run.one_hot[index]
    observed = observed[:, plan.flank:plan.flank + len(region)]
    if strand == "-":  # reverse and complement (A C G T -> T G C A): + strand bases
        observed = observed[::-1, ::-1]
    if args.site is not None:
        centre = args.site - region.start
    else:
        centre = int(np.argmax(np.abs(tracks[first])))
    low = min(max(0, centre - LOGO_WIDTH // 2), max(0, len(region) - LOGO_WIDTH))
    high = min(len(region), low + LOGO_WIDTH)
    highlights = [] if args.site is None else [(args.site, args.site, "explained site")]
    logo = plot.plot_logo(observed[:, low:high], start=region.start + low,
                          highlights=highlights, xlabel=xlabel,
                          ylabel=f"IG ({first})",
                          title=f"{region.name}: observed bases, {region.chrom}:"
                                f"{region.start + low:,}-{region.start + high - 1:,} (+ strand)")
    around = "the explained site" if args.site is not None else "the strongest attribution"
    return [
        (f"{stem}_baselines",
         f"Region {region.name}, {where}: per-base attribution (sum over the four bases) "
         "under each baseline, in genome coordinates"
         + ("; below, the annotation's features and splice sites." if intervals or sites
            else "."), comparison),
        (f"{stem}_logo",
         f"Region {region.name}: IG attribution ({first} baseline) of the observed bases in "
         f"the {high - low} nt around {around}, + strand bases in genome order.", logo.figure),
    ]


def write_report(run: Run, rows: list[tuple]) -> list[Path]:
    """Write ``report.html`` (settings, versions, the regions table, figures of the first
    :data:`~captum_genomics.cli._common.REPORT_LIMIT` regions) and the figures as PNG in
    ``figures/``; returns the PNG paths."""
    from captum_genomics import report

    plan, args = run.plan, run.plan.args
    shown = plan.regions[:REPORT_LIMIT]
    genome = {b: [t.genome_values() for t in run.tracks(b)[:len(shown)]]
              for b in plan.baselines}
    figures = [figure for i in range(len(shown))
               for figure in _region_figures(run, i, {b: genome[b][i] for b in genome})]
    paths, images = report.save_figures(plan.output_dir / "figures", figures)
    settings = {**option_settings(args), "model input flank (nt each side)": plan.flank}
    if args.model in SPLICEAI_MODELS:
        settings["weights"] = weights_source(args.model)
    notes = [f"Integrated gradients of {args.model} on {len(plan.regions)} region(s) under "
             f"the {', '.join(plan.baselines)} baseline(s). Tracks are in genome coordinates, "
             "+ strand, as in the bigWig and bedGraph files: minus-strand regions were read "
             "reverse-complemented by the model and flipped back."]
    if len(plan.regions) > len(shown):
        notes.append(f"Figures show the first {len(shown)} of {len(plan.regions)} regions; "
                     "the table, the tracks and the arrays hold every region.")
    report.write_report(plan.output_dir / "report.html", f"captum-genomics ig: {args.model}",
                        settings, images, [("regions.tsv", SUMMARY_COLUMNS, rows)], notes)
    return paths


def run(args: argparse.Namespace) -> int:
    """Run ``captum-genomics ig`` with parsed options; returns the exit status.

    User errors (bad arguments, files, model specifications, missing weights) exit with
    status 2 and a one-line message on stderr, before any work when they can be seen then.
    """
    return run_command("ig", _run, args)


def _run(args: argparse.Namespace) -> int:
    plan = prepare(args)
    written = write_outputs(explain(plan))
    if not args.quiet:
        print(f"explained {len(plan.regions)} region(s) under {', '.join(plan.baselines)}; "
              f"wrote {', '.join(str(p) for p in written)}")
    return 0
