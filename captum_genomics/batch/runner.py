"""A batch run from start to end: checks, the manifest, an engine, then the merged outputs."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from captum_genomics.batch.engines import run_local, run_ray
from captum_genomics.batch.manifest import MANIFEST_NAME, Manifest, file_sha256
from captum_genomics.batch.plan import RegionTask, plan_regions
from captum_genomics.cli import ig
from captum_genomics.cli._common import check_output_dir
from captum_genomics.dna.annotations import read_bed
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
#: Columns of the batch's ``regions.tsv``: the region's id, status and error, then those of
#: ``captum-genomics ig`` (empty for a failed region beyond its coordinates).
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
    settings = {name: getattr(args, name) for name in RESULT_OPTIONS}
    settings["regions_sha256"] = file_sha256(args.regions)
    settings["fasta"] = os.path.abspath(args.fasta)
    settings["fasta_bytes"] = os.path.getsize(args.fasta)
    if os.path.isfile(args.model):
        settings["model_sha256"] = file_sha256(args.model)
    return settings


def run_batch(args: argparse.Namespace) -> BatchSummary:
    """Explain every region of ``--regions`` not already done, then merge the outputs.

    Per region ``regions/<id>.npz`` (the arrays of ``captum-genomics ig``'s
    ``attributions.npz`` for that region: ``one_hot_0``, ``<baseline>_0``,
    ``<baseline>_hypothetical_0``, each (4, L_input), model orientation, with the region's
    columns and ``flank``) and ``regions/<id>.<baseline>.bedgraph``; ``manifest.jsonl``
    (:class:`~captum_genomics.batch.manifest.Manifest`); at the end, over every done region,
    ``ig_<baseline>.bedgraph`` and ``ig_<baseline>.bw`` and ``regions.tsv``
    (:data:`SUMMARY_COLUMNS`, failed regions with their error).

    Parameters
    ----------
    args : argparse.Namespace
        Parsed ``captum-genomics batch`` options.

    Returns
    -------
    BatchSummary

    Raises
    ------
    ValueError, TypeError, FileNotFoundError, ModuleNotFoundError
        On bad options, before any region is explained.
    """
    device, baselines = ig.check_settings(args)
    ig.check_model_options(args, [])
    if not os.path.isfile(args.regions):
        raise FileNotFoundError(f"--regions {args.regions}: no such file")
    regions = read_bed(args.regions)
    if not regions:
        raise ValueError(f"--regions {args.regions} holds no region")
    if args.overlap == "error":
        check_overlaps(regions)
    sizes, _ = ig.open_genome(args.fasta)
    resumed = (Path(args.output_dir) / MANIFEST_NAME).is_file()
    output_dir = check_output_dir(args.output_dir, args.force, [] if resumed else None)
    if args.engine != "local" or args.workers > 1:  # a bad --model fails here, not per worker
        ig.load_model(args.model, device)
    manifest = Manifest(output_dir, _settings(args), restart=args.force)
    tasks = plan_regions(regions, args.seed)
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
    summary.written = merge_outputs(tasks, manifest, sizes, baselines, args)
    return summary


def merge_outputs(tasks: list[RegionTask], manifest: Manifest, sizes: dict[str, int],
                  baselines: list[str], args: argparse.Namespace) -> list[Path]:
    """Write the merged tracks and ``regions.tsv`` of a run (see :func:`run_batch`), in the
    regions' file order whatever order they finished in; returns the paths."""
    out = manifest.directory
    done = [t for t in tasks if manifest.entries[t.region_id]["status"] == "done"]
    written = []
    for baseline in baselines if done else []:
        tracks = []
        for task in done:
            with np.load(out / f"regions/{task.region_id}.npz") as arrays:
                flank, region = int(arrays["flank"]), task.region
                values = arrays[f"{baseline}_0"].sum(axis=0)[flank:flank + len(region)]
            tracks.append(RegionTrack(region.chrom, region.start, region.end,
                                      "-" if region.strand == "-" else "+", values, region.name))
        bigwig, bedgraph = out / f"ig_{baseline}.bw", out / f"ig_{baseline}.bedgraph"
        write_bigwig(bigwig, tracks, sizes, overlap=args.overlap)
        write_bedgraph(bedgraph, tracks, name=f"IG {baseline}",
                       description=f"integrated gradients of {args.model}, {baseline} "
                                   "baseline, per-base sum", overlap=args.overlap)
        written += [bigwig, bedgraph]
    rows = []
    for task in tasks:
        entry = manifest.entries[task.region_id]
        if entry["status"] == "done":
            rows += [(task.region_id, "done", "", *row) for row in entry["rows"]]
        else:
            region = task.region
            blanks = [""] * (len(ig.SUMMARY_COLUMNS) - 5)
            rows.append((task.region_id, "failed", entry["error"], region.chrom, region.start,
                         region.end, region.strand, region.name, *blanks))
    write_table(out / "regions.tsv", rows, SUMMARY_COLUMNS)
    return [*written, out / "regions.tsv"]
