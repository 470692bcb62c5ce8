"""Batch workers: each loads its model once, then handles one task (a region, or a chunk of
VCF records) at a time. :class:`BatchWorker` records a task's outcome;
:class:`RegionWorker` explains a region with the code of ``captum-genomics ig``
(:func:`~captum_genomics.cli.ig.build_plan`, :func:`~captum_genomics.cli.ig.explain`,
:func:`~captum_genomics.cli.ig.write_arrays`); the other methods' workers are in
:mod:`~captum_genomics.batch.methods`, :mod:`~captum_genomics.batch.exons` and
:mod:`~captum_genomics.batch.vcf`."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from captum_genomics._atomic import atomic_open
from captum_genomics.batch.manifest import file_sha256
from captum_genomics.batch.plan import RegionTask, region_key
from captum_genomics.cli import ig
from captum_genomics.export import write_bedgraph

#: Folder of the per-region outputs inside ``--output-dir``.
REGION_FOLDER = "regions"


def save_region_arrays(path: Path, region, name: str, flank: int, **arrays: np.ndarray) -> None:
    """Write a region's ``.npz`` atomically: its coordinates (``chrom``, ``start``, ``end``,
    ``strand`` of ``region``, the bases read), ``name``, ``flank`` (bases of context before
    the region in the arrays) and ``arrays`` (e.g. ``one_hot_0``, ``ism_0``)."""
    with atomic_open(path, "wb") as handle:
        np.savez_compressed(
            handle, chrom=np.array([region.chrom]), start=np.array([region.start]),
            end=np.array([region.end]), strand=np.array([region.strand]),
            name=np.array([name]), flank=np.array(flank), **arrays)


class BatchWorker:
    """Runs a batch's tasks one at a time and turns each outcome into a manifest entry.

    Subclasses load their model in ``__init__`` (after this one) and do a task's work in
    ``_explain(task) -> (files, rows)``: the paths (relative to the output folder) of the
    files written, with their SHA-256, and the task's ``regions.tsv`` rows.

    Parameters
    ----------
    options : dict
        The run's options (``vars`` of the parsed ``captum-genomics batch`` arguments).
    output_dir : str
        The run's output folder.

    Notes
    -----
    Torch runs single-threaded in a worker unless ``--threads`` says otherwise: workers run
    side by side, and one thread keeps CPU results identical whatever the engine.
    """

    def __init__(self, options: dict, output_dir: str):
        self.args = argparse.Namespace(**{**options, "quiet": True})
        torch.set_num_threads(self.args.threads or 1)
        self.output_dir = Path(output_dir)

    def explain(self, task: RegionTask) -> dict:
        """Run ``task`` and write its files; returns its manifest entry.

        Returns
        -------
        dict
            ``id``, ``key``, ``index``, ``seed``, ``status`` ("done" or "failed"), ``error``
            (None, or the exception's type and message), ``files`` (path relative to the
            output folder -> SHA-256) and ``rows`` (its ``regions.tsv`` rows).
        """
        entry = {"id": task.region_id, "key": region_key(task.region), "index": task.index,
                 "seed": task.seed}
        try:
            files, rows = self._explain(task)
        except Exception as err:  # bad coordinates, all N, a model error: recorded, not raised
            message = " ".join(str(err).split())  # one line, for the manifest and the table
            return {**entry, "status": "failed", "error": f"{type(err).__name__}: {message}",
                    "files": {}, "rows": []}
        return {**entry, "status": "done", "error": None, "files": files, "rows": rows}

    def _explain(self, task: RegionTask) -> tuple[dict[str, str], list[list]]:
        raise NotImplementedError

    def checksums(self, paths: list[Path]) -> dict[str, str]:
        """``{path relative to the output folder: SHA-256}`` of written files."""
        return {p.relative_to(self.output_dir).as_posix(): file_sha256(p) for p in paths}


class RegionWorker(BatchWorker):
    """Explains regions with integrated gradients, one at a time; its model and genome are
    opened once, when it starts (the ISM and GGGP workers build on it).

    Parameters
    ----------
    options : dict
        The run's options (``vars`` of the parsed ``captum-genomics batch`` arguments).
    output_dir : str
        The run's output folder; per-region files go to its ``regions/`` folder.

    Notes
    -----
    TorchScript models run without the JIT's graph optimisation: the profiling executor
    switches to an optimised (fused) graph after its first calls, so a region's last bits would
    otherwise depend on how many regions its worker had explained before.
    """

    def __init__(self, options: dict, output_dir: str):
        super().__init__(options, output_dir)
        self.device, self.baselines = ig.check_settings(self.args)
        self.model = ig.load_model(self.args.model, self.device)
        self.sizes, self.fetch = ig.open_genome(self.args.fasta)

    def plan(self, task: RegionTask) -> ig.Plan:
        """The checked :class:`~captum_genomics.cli.ig.Plan` of ``task``'s region alone, with
        the region's seed; ValueError for a region outside the genome or all N."""
        region = task.region
        ig.check_region(region, self.sizes, self.args.fasta)
        args = argparse.Namespace(**{**vars(self.args), "seed": task.seed})
        ig.check_model_options(args, [region])
        plan = ig.build_plan(args, [region], self.sizes, self.fetch, self.model,
                             self.output_dir, self.baselines)
        if not plan.texts[0][plan.flank:plan.flank + len(region)].strip("Nn"):
            raise ValueError(f"region {region.name} ({region_key(region)}) is all N: "
                             "nothing to explain")
        (self.output_dir / REGION_FOLDER).mkdir(exist_ok=True)
        return plan

    def _explain(self, task: RegionTask) -> tuple[dict[str, str], list[list]]:
        plan = self.plan(task)
        with torch.jit.optimized_execution(False):
            run = ig.explain(plan)
        folder = self.output_dir / REGION_FOLDER
        arrays = folder / f"{task.region_id}.npz"
        ig.write_arrays(run, arrays)
        paths = [arrays]
        for baseline in self.baselines:
            path = folder / f"{task.region_id}.{baseline}.bedgraph"
            write_bedgraph(path, run.tracks(baseline), name=f"IG {baseline} {task.region.name}")
            paths.append(path)
        return self.checksums(paths), [list(row) for row in ig.summary_rows(run)]
