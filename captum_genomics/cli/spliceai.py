"""``captum-genomics spliceai``: SpliceAI delta scores of a VCF, with upstream's flags.

``-I in.vcf -O out.vcf -R ref.fa -A grch37|grch38|TABLE -D 50 -M 0|1`` as in SpliceAI 1.3.1;
the output is the input with the ``SpliceAI`` INFO field added
(``ALLELE|SYMBOL|DS_AG|DS_AL|DS_DG|DS_DL|DP_AG|DP_AL|DP_DG|DP_DL``, one entry per ALT and
gene), formatted exactly as upstream. ``.bcf`` outputs are BCF, ``.gz``/``.bgz`` bgzipped VCF.
``-A`` also takes a GTF/GFF3 (one transcript per gene, see ``read_gene_table``). Every
argument is checked before the model is loaded.

Beyond upstream:

* ``--tracks-tsv FILE`` / ``--tracks-json FILE`` also write every position's REF and ALT
  acceptor/donor outputs within ``-D`` of each scored variant (``TrackWriter``);
* ``--haplotypes SAMPLE`` scores the two haplotypes of SAMPLE (phased ``GT``, all variants of
  a haplotype in a gene applied together) and writes a TSV to ``-O`` instead of a VCF:
  ``sample haplotype gene variants DS_AG DS_AL DS_DG DS_DL DP_AG DP_AL DP_DG DP_DL``;
  ``--unphased skip`` leaves unphased heterozygous calls out instead of stopping.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
from pathlib import Path

from captum_genomics.cli._common import (
    UsageError,
    check_device,
    check_output_file,
    non_negative_int,
    positive_int,
    run_command,
)

#: One-line summary shown by ``captum-genomics --help``.
HELP = "SpliceAI delta scores of the variants of a VCF (upstream's -I -O -R -A -D -M)"

#: Largest ``-D`` upstream accepts (its argparse choices are range(0, 5000)).
MAX_DISTANCE = 4999


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
            if args.haplotypes:
                raise UsageError(f"{option} applies to VCF scoring, not to --haplotypes")
            check_output_file(path, option)
    if args.members and max(args.members) > 5:
        raise UsageError(f"--members {max(args.members)}: SpliceAI has members 1-5")
    return check_device(args.device)


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
    if args.haplotypes:
        _write_haplotypes(args, model, table, device)
        return 0
    tracks = (args.tracks_tsv, args.tracks_json)
    with TrackWriter(*tracks) if any(tracks) else contextlib.nullcontext() as writer:
        score_vcf(args.input, args.output, args.reference, table, args.distance,
                  bool(args.mask), model=model, batch_size=args.batch_size, device=device,
                  show_progress=not args.quiet, on_scores=writer.add if writer else None,
                  engine=args.engine)
    return 0


#: Columns of the ``--haplotypes`` TSV.
HAPLOTYPE_COLUMNS = ("sample", "haplotype", "gene", "variants", "DS_AG", "DS_AL", "DS_DG",
                     "DS_DL", "DP_AG", "DP_AL", "DP_DG", "DP_DL")


def _write_haplotypes(args: argparse.Namespace, model, table, device) -> None:
    from captum_genomics._atomic import write_table
    from captum_genomics.variants import score_haplotypes

    scores = score_haplotypes(model, args.reference, args.input, args.haplotypes, table,
                              args.distance, bool(args.mask), args.unphased, args.batch_size,
                              device)
    write_table(args.output, [
        (s.sample, s.haplotype, s.gene, ";".join(map(str, s.variants)),
         *(f"{v:.2f}" for v in s.scores), *s.positions) for s in scores
    ], HAPLOTYPE_COLUMNS)
