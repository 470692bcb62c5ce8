"""``--method gggp --exons TSV``: GGGP explanations of SpliceAI exons, one task per table row.

The table is ``captum-genomics gggp --table``'s (:data:`~captum_genomics.cli.gggp.TABLE_COLUMNS`:
``name chrom strand upstream_exon exon downstream_exon``). Row ``k`` (1-based) is task
``<k>_<name>`` (:func:`~captum_genomics.cli._common.file_stem`); its region is the cassette exon
and its seed :func:`~captum_genomics.batch.plan.region_seed` of the run seed and the exon, so a
row's outputs are those of ``captum-genomics gggp --table`` for that row run with
``--seed <the row's seed>`` (the ``seed`` column of ``manifest.jsonl``) and the same
``--evaluations``, ``--population``, ``--feature-width``, ``--max-distance`` and ``--members``
(the other search options at that command's defaults). A :class:`ExonWorker` loads the SpliceAI
ensemble once and explains a row with that command's code
(:func:`~captum_genomics.cli.gggp.build_input`,
:func:`~captum_genomics.cli.gggp.explain_target`: the exact incremental exon scorer).

Per row, in ``regions/``: ``<id>.dataset.tsv``, ``<id>.coefficients.tsv`` and
``<id>.attributions.tsv`` (as the command writes them for the row), ``<id>.npz`` (``one_hot_0``:
the (4, L_input) SpliceAI input in transcript orientation, N padding included, ``gggp_0``: the
per-base attribution on the read base's channel, ``flank``: the padding, and the coordinates of
the bases read) and ``<id>.gggp.bedgraph``. A row that is malformed, names an exon that is not
internal or lies outside the FASTA is recorded as failed; the others go on. The merged
``gggp.bedgraph`` / ``gggp.bw`` cover every done row's bases read, averaged where they overlap
(an exon's input holds its neighbours, so neighbouring rows' inputs overlap by construction);
``--overlap error`` refuses overlapping cassette exons.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np

from captum_genomics.batch.methods import REGION_COLUMNS
from captum_genomics.batch.plan import RegionTask, region_seed
from captum_genomics.batch.worker import REGION_FOLDER, BatchWorker, save_region_arrays
from captum_genomics.cli import gggp
from captum_genomics.cli._common import UsageError, check_device, file_stem
from captum_genomics.dna.alphabet import codes_to_one_hot, text_to_codes
from captum_genomics.dna.annotations import Interval
from captum_genomics.export import RegionTrack, check_overlaps, write_bedgraph

#: ``regions.tsv`` columns (after ``id status error``) of an ``--exons`` run: the cassette
#: exon, then the summary row of ``captum-genomics gggp`` (without its wall time).
SUMMARY_COLUMNS = (*REGION_COLUMNS, "acceptor", "donor", "model", "scorer", "strategy",
                   "evaluations", "stop_reason", "original_score", "rows", "archive_quality",
                   "mean_edit_distance", "r2", "spearman", "n_test")


@dataclasses.dataclass(frozen=True)
class ExonTask(RegionTask):
    """One row of ``--exons``: its target, or why the row cannot be explained."""

    target: gggp.Target | None = None
    problem: str = ""


def check_options(args: argparse.Namespace) -> None:
    """Check ``--exons`` and the SpliceAI options before any work.

    Raises
    ------
    UsageError
        Naming the problem and the fix.
    """
    if args.method != "gggp":
        raise UsageError(f"--exons is explained by --method gggp, not --method {args.method}")
    if args.regions is not None or args.vcf is not None:
        raise UsageError("--exons replaces --regions and --vcf: give one")
    if args.model is not None and args.model not in gggp.MODELS:
        raise UsageError(f"--exons explains SpliceAI exons: --model is one of "
                         f"{', '.join(gggp.MODELS)} (default spliceai), not {args.model}")
    model = args.model or "spliceai"
    gggp.check_model(argparse.Namespace(model=model, members=args.members, device=args.device))
    if not Path(args.fasta).is_file():
        raise UsageError(f"--fasta {args.fasta}: no such file")


def plan_exons(path: str, run_seed: int, overlap: str) -> list[ExonTask]:
    """One :class:`ExonTask` per row of the exon table ``path``, in file order.

    Parameters
    ----------
    path : str
        The ``--exons`` table.
    run_seed : int
        ``--seed`` of the run.
    overlap : str
        ``--overlap``: ``"error"`` refuses overlapping cassette exons.

    Returns
    -------
    list of ExonTask
        A malformed row's task carries its ``problem`` (its region: ``invalid:1-1``).

    Raises
    ------
    UsageError
        If the file is missing, lacks the header or holds no row.
    """
    tasks = []
    for index, row in enumerate(gggp.table_rows(Path(path))):
        try:
            target = gggp.table_target(Path(path), index + 2, row)
        except UsageError as problem:
            name = row.get("name") or ""
            tasks.append(ExonTask(index, Interval("invalid", 1, 1, ".", name),
                                  file_stem(index, name), 0, problem=str(problem)))
            continue
        transcript = target.transcript
        exon = Interval(transcript.chrom, *target.exon, transcript.strand, target.name)
        tasks.append(ExonTask(index, exon, file_stem(index, target.name),
                              region_seed(run_seed, exon), target))
    if overlap == "error":
        check_overlaps([task.region for task in tasks if task.target is not None])
    return tasks


class ExonWorker(BatchWorker):
    """Explains rows of ``--exons`` with the SpliceAI ensemble (``--model``, ``--members``)
    loaded once, when it starts; outputs in the module docstring."""

    def __init__(self, options: dict, output_dir: str):
        super().__init__(options, output_dir)
        from captum_genomics.models import load_spliceai

        args = self.args
        parser = argparse.ArgumentParser()
        gggp.add_arguments(parser)
        members = ["--members", *map(str, args.members)] if args.members else []
        self.gggp_args = parser.parse_args([
            "--table", args.exons, "--fasta", args.fasta, "--output-dir", output_dir,
            "--model", args.model or "spliceai", "--evaluations", str(args.evaluations),
            "--population", str(args.population), "--feature-width", str(args.feature_width),
            "--max-distance", str(args.max_distance), "--device", args.device, "--quiet",
            *members])
        self.settings = gggp.search_settings(self.gggp_args)
        self.device = check_device(args.device)
        self.model = load_spliceai(self.gggp_args.model, members=args.members,
                                   device=self.device)

    def _explain(self, task: ExonTask) -> tuple[dict[str, str], list[list]]:
        if task.target is None:
            raise ValueError(task.problem)
        built = gggp.build_input(task.target, Path(self.args.fasta), self.args.max_distance)
        folder = self.output_dir / REGION_FOLDER
        folder.mkdir(exist_ok=True)
        args = argparse.Namespace(**{**vars(self.gggp_args), "seed": task.seed})
        target = dataclasses.replace(task.target, name=task.region_id)
        result = gggp.explain_target(args, self.model, self.settings, target, built, folder)
        paths = [*result.files, *self._write_arrays(task, built, result.fit.per_position())]
        exon, summary = task.region, result.summary
        row = [exon.chrom, exon.start, exon.end, exon.strand, exon.name,
               *(summary[column] for column in SUMMARY_COLUMNS[len(REGION_COLUMNS):])]
        return self.checksums(paths), [row]

    def _write_arrays(self, task: ExonTask, built, per_position: np.ndarray) -> list[Path]:
        """Write ``<id>.npz`` and ``<id>.gggp.bedgraph`` of a row (module docstring)."""
        x = codes_to_one_hot(text_to_codes(built.sequence))
        attributions = (x == 1) * per_position[None, :]
        read = built.region
        folder = self.output_dir / REGION_FOLDER
        arrays = folder / f"{task.region_id}.npz"
        save_region_arrays(arrays, read, task.region.name, built.pad, one_hot_0=x,
                           gggp_0=attributions)
        per_base = attributions.sum(axis=0)[built.pad:built.pad + len(read)]
        bedgraph = folder / f"{task.region_id}.gggp.bedgraph"
        write_bedgraph(bedgraph, [RegionTrack(read.chrom, read.start, read.end, read.strand,
                                              per_base, task.region.name)],
                       name=f"GGGP {task.region.name}")
        return [arrays, bedgraph]
