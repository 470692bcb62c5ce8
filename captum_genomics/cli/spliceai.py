"""``captum-genomics spliceai``: SpliceAI delta scores of a VCF, with upstream's flags.

``-I in.vcf -O out.vcf -R ref.fa -A grch37|grch38|TABLE -D 50 -M 0|1`` as in SpliceAI 1.3.1;
the output is the input with the ``SpliceAI`` INFO field added
(``ALLELE|SYMBOL|DS_AG|DS_AL|DS_DG|DS_DL|DP_AG|DP_AL|DP_DG|DP_DL``, one entry per ALT and
gene), formatted exactly as upstream. ``.bcf`` outputs are BCF, ``.gz``/``.bgz`` bgzipped VCF.
Every argument is checked before the model is loaded.
"""

from __future__ import annotations

import argparse
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
                             "tables) or a gene table with the columns #NAME CHROM STRAND "
                             "TX_START TX_END EXON_START EXON_END")
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
    if args.members and max(args.members) > 5:
        raise UsageError(f"--members {max(args.members)}: SpliceAI has members 1-5")
    return check_device(args.device)


def _run(args: argparse.Namespace) -> int:
    from captum_genomics.variants import read_gene_table, score_vcf

    device = _check(args)
    table = read_gene_table(args.annotation)
    import torch

    from captum_genomics.models import load_spliceai

    if args.threads:
        torch.set_num_threads(args.threads)
    logging.basicConfig(format="%(levelname)s: %(message)s")
    model = load_spliceai("spliceai", members=args.members, device=device)
    score_vcf(args.input, args.output, args.reference, table, args.distance, bool(args.mask),
              model=model, batch_size=args.batch_size, device=device,
              show_progress=not args.quiet, engine=args.engine)
    return 0
