"""``--method spliceai``: SpliceAI delta scores of a VCF, in chunks of records.

The records of ``--vcf`` (plain or bgzipped VCF) are cut, in file order, into chunks of
``--chunk-size``; chunk ``k`` (0-based) holds records ``k * size + 1`` to ``(k + 1) * size``,
so its id (``<k + 1>_records_<first>-<last>``) depends on the file and the chunk size only.
The driver writes each chunk's input (the header and its record lines, verbatim) to
``chunks/<id>.input.vcf``; a :class:`VCFChunkWorker` scores it with
:func:`~captum_genomics.variants.score_vcf` (the code of ``captum-genomics spliceai``) into
``chunks/<id>.vcf``, written atomically. When every chunk is done, ``spliceai.vcf`` is the
header of a chunk followed by the records of all chunks in order: the bytes
``captum-genomics spliceai`` writes for the same input and options (a plain VCF).
"""

from __future__ import annotations

import argparse
import gzip
import os
from collections.abc import Iterator
from pathlib import Path

from captum_genomics._atomic import atomic_open
from captum_genomics.batch.plan import RegionTask
from captum_genomics.batch.worker import BatchWorker
from captum_genomics.cli._common import UsageError, check_device
from captum_genomics.dna.annotations import Interval

#: Folder of the per-chunk inputs and outputs inside ``--output-dir``.
CHUNK_FOLDER = "chunks"
#: The merged output inside ``--output-dir``.
MERGED_VCF = "spliceai.vcf"
#: ``regions.tsv`` columns (after ``id status error``) of a ``spliceai`` run.
SUMMARY_COLUMNS = ("first_record", "last_record", "records", "scored")


def check_options(args: argparse.Namespace) -> None:
    """Check the options of ``--method spliceai`` before any work.

    Raises
    ------
    UsageError
        Naming the problem and the fix.
    """
    from captum_genomics.cli.spliceai import MAX_DISTANCE

    if args.regions is not None:
        raise UsageError("--method spliceai scores the records of --vcf: leave out --regions")
    if args.vcf is None:
        raise UsageError("--method spliceai needs --vcf IN.vcf (plain or bgzipped)")
    if args.vcf.lower().endswith(".bcf"):
        raise UsageError(f"--vcf {args.vcf}: BCF is not split into chunks; convert it with "
                         "'bcftools view -Oz' first")
    for option, path in (("--vcf", args.vcf), ("--fasta", args.fasta)):
        if not os.path.isfile(path):
            raise UsageError(f"{option} {path}: no such file")
    if args.annotation is None:
        raise UsageError("--method spliceai needs --annotation grch37|grch38|TABLE (as "
                         "captum-genomics spliceai -A)")
    if args.model not in (None, "spliceai"):
        raise UsageError(f"--method spliceai scores with SpliceAI: leave out --model {args.model}")
    if args.distance > MAX_DISTANCE:
        raise UsageError(f"--distance {args.distance} is too large; use 0-{MAX_DISTANCE}")
    if args.members and max(args.members) > 5:
        raise UsageError(f"--members {max(args.members)}: SpliceAI has members 1-5")
    check_device(args.device)
    from captum_genomics.variants import read_gene_table

    read_gene_table(args.annotation)  # a bad table fails here, not in every chunk


def _lines(path: str) -> Iterator[str]:
    """The text lines of a plain or bgzipped VCF, newlines kept."""
    with open(path, "rb") as probe:
        packed = probe.read(2) == b"\x1f\x8b"
    with (gzip.open(path, "rt") if packed else open(path)) as handle:
        yield from handle


def split_vcf(path: str, chunk_size: int, output_dir: Path) -> list[RegionTask]:
    """Write the chunk inputs of ``path`` into ``output_dir/chunks``; returns one task per
    chunk, in file order (its ``region`` spans record numbers, 1-based, on ``"records"``).

    Raises
    ------
    UsageError
        If the VCF holds no record.
    """
    folder = output_dir / CHUNK_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    header: list[str] = []
    tasks: list[RegionTask] = []
    chunk: list[str] = []

    def flush() -> None:
        first = len(tasks) * chunk_size + 1
        region_id = f"{len(tasks) + 1:02d}_records_{first}-{first + len(chunk) - 1}"
        with atomic_open(folder / f"{region_id}.input.vcf") as handle:
            handle.writelines(header + chunk)
        records = Interval("records", first, first + len(chunk) - 1, "+", region_id)
        tasks.append(RegionTask(len(tasks), records, region_id, 0))
        chunk.clear()

    for line in _lines(path):
        if line.startswith("#") and not chunk and not tasks:
            header.append(line)
        elif line.strip():
            chunk.append(line)
            if len(chunk) == chunk_size:
                flush()
    if chunk:
        flush()
    if not tasks:
        raise UsageError(f"--vcf {path} holds no record")
    return tasks


class VCFChunkWorker(BatchWorker):
    """Scores chunks of VCF records with SpliceAI (:func:`split_vcf`); the model (``--members``)
    and the gene table (``--annotation``) are loaded once, when it starts."""

    def __init__(self, options: dict, output_dir: str):
        super().__init__(options, output_dir)
        from captum_genomics.models import load_spliceai
        from captum_genomics.variants import read_gene_table

        self.device = check_device(self.args.device)
        self.model = load_spliceai("spliceai", members=self.args.members, device=self.device)
        self.table = read_gene_table(self.args.annotation)

    def _explain(self, task: RegionTask) -> tuple[dict[str, str], list[list]]:
        from captum_genomics.variants import score_vcf

        folder = self.output_dir / CHUNK_FOLDER
        output = folder / f"{task.region_id}.vcf"
        scored = score_vcf(folder / f"{task.region_id}.input.vcf", output, self.args.fasta,
                           self.table, self.args.distance, bool(self.args.mask),
                           model=self.model, batch_size=self.args.batch_size,
                           device=self.device)
        records = task.region
        return self.checksums([output]), [[records.start, records.end, len(records), scored]]


def merge_vcf(tasks: list[RegionTask], output_dir: Path) -> Path:
    """Write ``spliceai.vcf``: the first chunk's header, then every chunk's records in order.

    Parameters
    ----------
    tasks : list of RegionTask
        Every chunk of the run, in file order, all done.
    output_dir : pathlib.Path
        The run's output folder.
    """
    path = output_dir / MERGED_VCF
    with atomic_open(path) as merged:
        for task in tasks:
            with open(output_dir / CHUNK_FOLDER / f"{task.region_id}.vcf") as chunk:
                for line in chunk:
                    if task.index == 0 or not line.startswith("#"):
                        merged.write(line)
    return path
