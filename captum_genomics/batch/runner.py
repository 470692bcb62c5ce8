"""A batch run from start to end: checks, the manifest, an engine, then the merged outputs."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from captum_genomics.batch import exons, methods, vcf
from captum_genomics.batch.engines import run_local, run_ray
from captum_genomics.batch.manifest import MANIFEST_NAME, Manifest, file_sha256
from captum_genomics.batch.plan import RegionTask, plan_regions
from captum_genomics.cli import ig
from captum_genomics.cli._common import check_output_dir
from captum_genomics.dna.annotations import Interval, read_bed
from captum_genomics.export import (
    RegionTrack,
    check_overlaps,
    write_bedgraph,
    write_bigwig,
    write_table,
)

#: Options that decide a run's numbers: a resumed run must have the same ones.
RESULT_OPTIONS = ("method", "model", "target", "site", "layout", "n_policy", "baseline",
                  "n_shuffles", "steps", "completeness_tol", "seed", "batch_size", "device",
                  "overlap")
#: Further options that decide the numbers of some methods.
METHOD_OPTIONS = {"gggp": ("evaluations", "population", "score_range", "feature_width"),
                  "spliceai": ("annotation", "distance", "mask", "members", "chunk_size")}
#: Further options that decide the numbers of ``--method gggp --exons``.
EXON_OPTIONS = ("members", "max_distance")
#: Columns of the batch's ``regions.tsv`` for ``--method ig``: the region's id, status and
#: error, then those of ``captum-genomics ig`` (empty for a failed region beyond its
#: coordinates); other methods: :data:`captum_genomics.batch.methods.SUMMARY_COLUMNS`,
#: :data:`captum_genomics.batch.vcf.SUMMARY_COLUMNS`.
SUMMARY_COLUMNS = ("id", "status", "error", *ig.SUMMARY_COLUMNS)


@dataclass
class BatchSummary:
    """What a batch run did: region ids done now, skipped (done before), failed (-> error),
    and the merged files written."""

    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    written: list[Path] = field(default_factory=list)


def _settings(args: argparse.Namespace) -> dict:
    names = RESULT_OPTIONS + METHOD_OPTIONS.get(args.method, ())
    if args.exons is not None:
        names += EXON_OPTIONS
    settings = {name: getattr(args, name) for name in names}
    inputs = args.vcf if args.method == "spliceai" else args.exons or args.regions
    settings["regions_sha256"] = file_sha256(inputs)
    settings["fasta"] = os.path.abspath(args.fasta)
    settings["fasta_bytes"] = os.path.getsize(args.fasta)
    if args.model and os.path.isfile(args.model):
        settings["model_sha256"] = file_sha256(args.model)
    if args.method == "spliceai" and os.path.isfile(args.annotation):
        settings["annotation_sha256"] = file_sha256(args.annotation)
    return settings


def _plan(args: argparse.Namespace) -> tuple[list[RegionTask], dict[str, int], Path]:
    """Check the options before any work; the run's tasks, chromosome sizes and folder."""
    resumed = (Path(args.output_dir) / MANIFEST_NAME).is_file()
    if args.method == "spliceai":
        vcf.check_options(args)
        output_dir = check_output_dir(args.output_dir, args.force, [] if resumed else None)
        return vcf.split_vcf(args.vcf, args.chunk_size, output_dir), {}, output_dir
    if args.exons is not None:
        exons.check_options(args)
        tasks = exons.plan_exons(args.exons, args.seed, args.overlap)
        sizes, _ = ig.open_genome(args.fasta)
        output_dir = check_output_dir(args.output_dir, args.force, [] if resumed else None)
        return tasks, sizes, output_dir
    device, _ = ig.check_settings(args)
    if args.vcf is not None:
        raise ValueError(f"--vcf is read by --method spliceai; --method {args.method} explains "
                         "the regions of --regions")
    if args.regions is None or args.model is None:
        raise ValueError(f"--method {args.method} needs --regions BED and --model")
    ig.check_model_options(args, [])
    if not os.path.isfile(args.regions):
        raise FileNotFoundError(f"--regions {args.regions}: no such file")
    regions = read_bed(args.regions)
    if not regions:
        raise ValueError(f"--regions {args.regions} holds no region")
    if args.overlap == "error":
        check_overlaps(regions)
    sizes, _ = ig.open_genome(args.fasta)
    output_dir = check_output_dir(args.output_dir, args.force, [] if resumed else None)
    if args.engine != "local" or args.workers > 1:  # a bad --model fails here, not per worker
        ig.load_model(args.model, device)
    return plan_regions(regions, args.seed), sizes, output_dir


def run_batch(args: argparse.Namespace) -> BatchSummary:
    """Run every task of ``--regions`` (or, for ``--method spliceai``, every chunk of ``--vcf``)
    not already done, then merge the outputs.

    Per region ``regions/<id>.npz`` (``--method ig``: the arrays of ``captum-genomics ig``'s
    ``attributions.npz`` for that region: ``one_hot_0``, ``<baseline>_0``,
    ``<baseline>_hypothetical_0``, each (4, L_input), model orientation, with the region's
    columns and ``flank``; ``ism`` and ``gggp``: see :mod:`captum_genomics.batch.methods`) and
    its bedGraph tracks; ``manifest.jsonl``
    (:class:`~captum_genomics.batch.manifest.Manifest`); at the end, over every done region,
    the merged tracks (``ig_<baseline>``, ``ism`` or ``gggp``, ``.bedgraph`` and ``.bw``) and
    ``regions.tsv`` (:data:`SUMMARY_COLUMNS`, failed regions with their error). ``gggp``
    with ``--exons``: one task per row of the exon table (:mod:`captum_genomics.batch.exons`).
    ``spliceai``: see :mod:`captum_genomics.batch.vcf` (``spliceai.vcf`` once every chunk is
    done).

    Parameters
    ----------
    args : argparse.Namespace
        Parsed ``captum-genomics batch`` options.

    Returns
    -------
    BatchSummary

    Raises
    ------
    ValueError, TypeError, FileNotFoundError, ModuleNotFoundError, UsageError
        On bad options, before any region is explained.
    """
    tasks, sizes, output_dir = _plan(args)
    manifest = Manifest(output_dir, _settings(args), restart=args.force)
    summary = BatchSummary()
    todo = []
    for task in tasks:
        (summary.skipped if manifest.finished(task) else todo).append(task)
    summary.skipped = [task.region_id for task in summary.skipped]
    with tqdm(total=len(todo), disable=args.quiet, desc="regions", unit="region") as bar:
        def record(entry: dict) -> None:
            manifest.record(entry)
            bar.update(1)

        options = vars(args).copy()
        options.pop("run", None)  # the subcommand's function: not an option
        if todo and args.engine == "ray":
            run_ray(todo, options, str(output_dir), args.workers, record, args.address)
        elif todo:
            run_local(todo, options, str(output_dir), args.workers, record)
    for task in todo:
        entry = manifest.entries[task.region_id]
        if entry["status"] == "done":
            summary.done.append(task.region_id)
    summary.failed = {t.region_id: manifest.entries[t.region_id]["error"] for t in tasks
                      if manifest.entries[t.region_id]["status"] != "done"}
    summary.written = merge_outputs(tasks, manifest, sizes, args)
    return summary


def merge_outputs(tasks: list[RegionTask], manifest: Manifest, sizes: dict[str, int],
                  args: argparse.Namespace) -> list[Path]:
    """Write the merged outputs and ``regions.tsv`` of a run (see :func:`run_batch`), in the
    tasks' file order whatever order they finished in; returns the paths."""
    out = manifest.directory
    done = [t for t in tasks if manifest.entries[t.region_id]["status"] == "done"]
    written = []
    if args.method == "spliceai":
        columns = vcf.SUMMARY_COLUMNS
        if len(done) == len(tasks):
            written.append(vcf.merge_vcf(tasks, out))
    else:
        columns = methods.SUMMARY_COLUMNS[args.method]
        overlap = args.overlap
        if args.exons is not None:
            columns, overlap = exons.SUMMARY_COLUMNS, "mean"  # inputs share their neighbours
        baselines = list(dict.fromkeys(args.baseline or ["uniform"]))
        for spec in methods.merged_tracks(args.method, baselines, args.model) if done else []:
            written += _merge_track(spec, done, out, sizes, overlap)
    rows = []
    for task in tasks:
        entry = manifest.entries[task.region_id]
        if entry["status"] == "done":
            rows += [(task.region_id, "done", "", *row) for row in entry["rows"]]
        elif args.method == "spliceai":
            records = task.region
            rows.append((task.region_id, "failed", entry["error"], records.start, records.end,
                         len(records), ""))
        else:
            region = task.region
            blanks = [""] * (len(columns) - 5)
            rows.append((task.region_id, "failed", entry["error"], region.chrom, region.start,
                         region.end, region.strand, region.name, *blanks))
    write_table(out / "regions.tsv", rows, ("id", "status", "error", *columns))
    return [*written, out / "regions.tsv"]


def _merge_track(spec: methods.MergedTrack, done: list[RegionTask], out: Path,
                 sizes: dict[str, int], overlap: str) -> list[Path]:
    """Write ``<stem>.bw`` and ``<stem>.bedgraph`` over the ``done`` regions."""
    tracks = []
    for task in done:
        with np.load(out / f"regions/{task.region_id}.npz") as arrays:
            # the bases read: the region, or an --exons row's cassette exon with its neighbours
            region = Interval(str(arrays["chrom"][0]), int(arrays["start"][0]),
                              int(arrays["end"][0]), str(arrays["strand"][0]), task.region.name)
            flank = int(arrays["flank"])
            values = spec.per_base(arrays[spec.key], arrays["one_hot_0"])
            values = values[flank:flank + len(region)]
        tracks.append(RegionTrack(region.chrom, region.start, region.end,
                                  "-" if region.strand == "-" else "+", values, region.name))
    bigwig, bedgraph = out / f"{spec.stem}.bw", out / f"{spec.stem}.bedgraph"
    write_bigwig(bigwig, tracks, sizes, overlap=overlap)
    write_bedgraph(bedgraph, tracks, name=spec.name, description=spec.description,
                   overlap=overlap)
    return [bigwig, bedgraph]
