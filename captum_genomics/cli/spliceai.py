"""``captum-genomics spliceai``: SpliceAI delta scores of a VCF, with upstream's flags.

``-I in.vcf -O out.vcf -R ref.fa -A grch37|grch38|TABLE -D 50 -M 0|1`` as in SpliceAI 1.3.1;
the output is the input with the ``SpliceAI`` INFO field added
(``ALLELE|SYMBOL|DS_AG|DS_AL|DS_DG|DS_DL|DP_AG|DP_AL|DP_DG|DP_DL``, one entry per ALT and
gene), formatted exactly as upstream. ``.bcf`` outputs are BCF, ``.gz``/``.bgz`` bgzipped VCF.
``-A`` also takes a GTF/GFF3 (one transcript per gene, see ``read_gene_table``). Every
argument is checked before the model is loaded.

Beyond upstream:

* ``--tracks-tsv FILE`` / ``--tracks-json FILE`` also write every position's REF and ALT
  acceptor/donor outputs within ``-D`` of each scored variant (``TrackWriter``), or, with
  ``--haplotypes``, of each scored haplotype and gene (``HaplotypeTrackWriter``: ``sample``,
  ``haplotype`` and ``variants`` columns, positions from ``-D`` before its first variant to
  ``-D`` after its last);
* ``--haplotypes SAMPLE`` scores the two haplotypes of SAMPLE (phased ``GT``, all variants of
  a haplotype in a gene applied together) and writes a TSV to ``-O`` instead of a VCF:
  ``sample haplotype gene variants DS_AG DS_AL DS_DG DS_DL DP_AG DP_AL DP_DG DP_DL``;
  ``--unphased skip`` leaves unphased heterozygous calls out instead of stopping;
* ``--explain-dir DIR`` (a new or empty folder) also attributes every delta score of the
  kinds ``--explain-kinds`` (default all four) that reaches ``--explain-min-score``
  (default 0.2) to the bases of its window (``explain_deltas``: IG of ALT minus IG of REF,
  ``--explain-steps`` steps, default 50), writing one ``NNNNN.npz`` per explained
  (variant, ALT, gene, kind) and ``summary.tsv`` (``DeltaAttributionWriter``); each ALT is
  explained alone, so it does not combine with ``--haplotypes``.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
from pathlib import Path

from captum_genomics.cli._common import (
    UsageError,
    check_device,
    check_output_dir,
    check_output_file,
    non_negative_int,
    positive_int,
    run_command,
)

#: One-line summary shown by ``captum-genomics --help``.
HELP = "SpliceAI delta scores of the variants of a VCF (upstream's -I -O -R -A -D -M)"

#: Largest ``-D`` upstream accepts (its argparse choices are range(0, 5000)).
MAX_DISTANCE = 4999
#: ``--explain-kinds`` choices, ``--explain-min-score`` and ``--explain-steps`` defaults.
EXPLAIN_KINDS = ("AG", "AL", "DG", "DL")
EXPLAIN_MIN_SCORE = 0.2
EXPLAIN_STEPS = 50


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``captum-genomics spliceai`` to its subparser."""
    parser.add_argument("-I", dest="input", metavar="input", required=True,
                        help="input VCF, bgzipped VCF or BCF")
    parser.add_argument("-O", dest="output", metavar="output", required=True,
                        help="output VCF (.bcf: BCF; .gz/.bgz: bgzipped VCF)")
    parser.add_argument("-R", dest="reference", metavar="reference", required=True,
                        help="reference genome FASTA")
    parser.add_argument("-A", dest="annotation", metavar="annotation", required=True,
                        help="'grch37' or 'grch38' (SpliceAI 1.3.1's GENCODE V24 canonical "
                             "tables), a gene table with the columns #NAME CHROM STRAND "
                             "TX_START TX_END EXON_START EXON_END, or a GTF/GFF3")
    parser.add_argument("-D", dest="distance", metavar="distance", type=non_negative_int,
                        default=50, help="largest distance between the variant and a gained "
                                         f"or lost site, 0-{MAX_DISTANCE} (default 50)")
    parser.add_argument("-M", dest="mask", metavar="mask", type=non_negative_int,
                        choices=(0, 1), default=0,
                        help="1: mask gains at annotated sites and losses at unannotated "
                             "ones (default 0)")
    parser.add_argument("--device", default="cpu", help="torch device (default cpu)")
    parser.add_argument("--threads", type=positive_int, help="torch CPU threads")
    parser.add_argument("--batch-size", type=positive_int, default=16,
                        help="sequences per forward pass (default 16)")
    parser.add_argument("--members", type=positive_int, nargs="+", metavar="K",
                        help="1-based ensemble members to keep (default all five)")
    parser.add_argument("--engine", choices=("auto", "incremental", "plain"), default="auto",
                        help="incremental: share each gene window's reference work and rescore "
                             "only each variant's cone (same scores); plain: full forward "
                             "passes (default auto: incremental)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--tracks-tsv", metavar="FILE",
                        help="also write the full delta tracks (one row per position) as TSV")
    parser.add_argument("--tracks-json", metavar="FILE",
                        help="also write the full delta tracks as JSON (one object per "
                             "variant, ALT and gene)")
    parser.add_argument("--haplotypes", metavar="SAMPLE",
                        help="score SAMPLE's two phased haplotypes (variants applied "
                             "together); -O receives a TSV")
    parser.add_argument("--unphased", choices=("error", "skip"), default="error",
                        help="with --haplotypes: stop at an unphased heterozygous call "
                             "(default) or skip it")
    parser.add_argument("--explain-dir", metavar="DIR",
                        help="also attribute each delta score that reaches "
                             "--explain-min-score to the bases of its window: one .npz per "
                             "(variant, ALT, gene, kind) and summary.tsv in DIR (new or empty)")
    parser.add_argument("--explain-kinds", nargs="+", choices=EXPLAIN_KINDS, metavar="KIND",
                        help="with --explain-dir: kinds to explain, of AG AL DG DL (default "
                             "all)")
    parser.add_argument("--explain-min-score", type=float, metavar="SCORE",
                        help=f"with --explain-dir: smallest delta score explained, 0-1 "
                             f"(default {EXPLAIN_MIN_SCORE})")
    parser.add_argument("--explain-steps", type=positive_int, metavar="N",
                        help=f"with --explain-dir: integrated-gradients steps (default "
                             f"{EXPLAIN_STEPS})")


def run(args: argparse.Namespace) -> int:
    """Run ``captum-genomics spliceai`` with parsed options; returns the exit status."""
    return run_command("spliceai", _run, args)


def _check(args: argparse.Namespace):
    if args.distance > MAX_DISTANCE:
        raise UsageError(f"-D {args.distance} is too large; use 0-{MAX_DISTANCE} as SpliceAI")
    for option, path in (("-I", args.input), ("-R", args.reference)):
        if not Path(path).is_file():
            raise UsageError(f"{option} {path}: no such file")
    if Path(args.output).expanduser().resolve() == Path(args.input).expanduser().resolve():
        raise UsageError(f"-O {args.output} is the input file; choose another output path")
    check_output_file(args.output, "-O")
    for option, path in (("--tracks-tsv", args.tracks_tsv), ("--tracks-json", args.tracks_json)):
        if path is not None:
            check_output_file(path, option)
    _check_explain(args)
    if args.members and max(args.members) > 5:
        raise UsageError(f"--members {max(args.members)}: SpliceAI has members 1-5")
    return check_device(args.device)


def _check_explain(args: argparse.Namespace) -> None:
    settings = {"--explain-kinds": args.explain_kinds,
                "--explain-min-score": args.explain_min_score,
                "--explain-steps": args.explain_steps}
    if args.explain_dir is None:
        given = [option for option, value in settings.items() if value is not None]
        if given:
            raise UsageError(f"{given[0]} needs --explain-dir DIR (where the attributions go)")
        return
    if args.haplotypes:
        raise UsageError("--explain-dir explains each variant alone; it does not combine with "
                         "--haplotypes")
    score = args.explain_min_score
    if score is not None and not 0 <= score <= 1:
        raise UsageError(f"--explain-min-score {score} is not a delta score; use 0-1")
    folder = Path(args.explain_dir).expanduser()
    if folder.is_dir() and any(folder.iterdir()):
        raise UsageError(f"--explain-dir {args.explain_dir} is not empty; give a new or empty "
                         "directory")
    check_output_dir(folder, option="--explain-dir")


def _run(args: argparse.Namespace) -> int:
    from captum_genomics.variants import TrackWriter, read_gene_table, score_vcf

    device = _check(args)
    table = read_gene_table(args.annotation)
    import torch

    from captum_genomics.models import load_spliceai

    if args.threads:
        torch.set_num_threads(args.threads)
    logging.basicConfig(format="%(levelname)s: %(message)s")
    model = load_spliceai("spliceai", members=args.members, device=device)
    tracks = (args.tracks_tsv, args.tracks_json)
    if args.haplotypes:
        _write_haplotypes(args, model, table, device, tracks)
        return 0
    with TrackWriter(*tracks) if any(tracks) else contextlib.nullcontext() as writer:
        score_vcf(args.input, args.output, args.reference, table, args.distance,
                  bool(args.mask), model=model, batch_size=args.batch_size, device=device,
                  show_progress=not args.quiet, on_scores=writer.add if writer else None,
                  engine=args.engine)
    if args.explain_dir is not None:
        _write_explanations(args, model, table, device)
    return 0


def _vcf_variants(path: str):
    """Every (record, ALT) of a VCF/BCF as a Variant, in file order."""
    import pysam

    from captum_genomics.variants import Variant

    with pysam.VariantFile(path) as handle:
        for record in handle:
            for alt in record.alts or ():
                yield Variant(record.chrom, record.pos, record.ref, alt)


def _write_explanations(args: argparse.Namespace, model, table, device) -> None:
    from captum_genomics.variants import DeltaAttributionWriter, explain_deltas

    kinds = args.explain_kinds or EXPLAIN_KINDS
    min_score = EXPLAIN_MIN_SCORE if args.explain_min_score is None else args.explain_min_score
    with DeltaAttributionWriter(args.explain_dir) as writer:
        for result in explain_deltas(model, args.reference, _vcf_variants(args.input), table,
                                     tuple(dict.fromkeys(kinds)), min_score, args.distance,
                                     args.explain_steps or EXPLAIN_STEPS,
                                     internal_batch_size=args.batch_size,
                                     batch_size=args.batch_size, device=device):
            writer.add(result)


#: Columns of the ``--haplotypes`` TSV.
HAPLOTYPE_COLUMNS = ("sample", "haplotype", "gene", "variants", "DS_AG", "DS_AL", "DS_DG",
                     "DS_DL", "DP_AG", "DP_AL", "DP_DG", "DP_DL")


def _write_haplotypes(args: argparse.Namespace, model, table, device, tracks) -> None:
    from captum_genomics._atomic import write_table
    from captum_genomics.variants import HaplotypeTrackWriter, score_haplotypes

    scores = score_haplotypes(model, args.reference, args.input, args.haplotypes, table,
                              args.distance, bool(args.mask), args.unphased, args.batch_size,
                              device)
    if any(tracks):
        with HaplotypeTrackWriter(*tracks) as writer:
            writer.add(scores)
    write_table(args.output, [
        (s.sample, s.haplotype, s.gene, ";".join(map(str, s.variants)),
         *(f"{v:.2f}" for v in s.scores), *s.positions) for s in scores
    ], HAPLOTYPE_COLUMNS)
