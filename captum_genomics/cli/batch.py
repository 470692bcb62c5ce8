"""``captum-genomics batch``: explain every region of a BED file (every exon of an exon table
with GGGP, or score every record of a VCF with SpliceAI), resumably, with local worker
processes or on a Ray cluster; the same arrays whatever the engine or worker count.

The work is :func:`captum_genomics.batch.run_batch`; each region is explained with a seed
derived from ``--seed`` and the region by integrated gradients (the code of
``captum-genomics ig``), in-silico mutagenesis or GGGP
(:mod:`captum_genomics.batch.methods`; exons of ``--exons``:
:mod:`captum_genomics.batch.exons`, the code of ``captum-genomics gggp --table``);
``--method spliceai`` scores chunks of VCF records
with the code of ``captum-genomics spliceai`` (:mod:`captum_genomics.batch.vcf`).
"""

from __future__ import annotations

import argparse

from captum_genomics.cli._common import non_negative_int, positive_int, run_command
from captum_genomics.cli.ig import add_input_and_path_arguments
from captum_genomics.export import OVERLAP_POLICIES

#: One-line summary shown by ``captum-genomics --help``.
HELP = "IG, ISM, GGGP over many regions or SpliceAI over a VCF; resumable, Ray"
#: ``--method`` names.
METHODS = ("ig", "ism", "gggp", "spliceai")
#: ``--engine`` names (:mod:`captum_genomics.batch.engines`; imported on use, as it imports
#: this package's ``ig``).
ENGINES = ("local", "ray")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``captum-genomics batch`` to its subparser."""
    where = parser.add_argument_group("regions")
    where.add_argument("--fasta", required=True,
                       help="genome FASTA (indexed with .fai, built if missing)")
    where.add_argument("--regions", metavar="BED",
                       help="BED file of regions; column 6 gives the strand (--method ig, "
                            "ism, gggp)")
    where.add_argument("--exons", metavar="TSV",
                       help="--method gggp: SpliceAI exons with their neighbours, one task per "
                            "row (the table of captum-genomics gggp --table)")
    where.add_argument("--vcf", metavar="IN.vcf",
                       help="--method spliceai: VCF or bgzipped VCF whose records are scored")
    model = parser.add_argument_group("model and method")
    model.add_argument("--model",
                       help="as for captum-genomics ig: 'spliceai', 'cispliceai', a TorchScript "
                            "or .pt2 file, or module:function (required but for --method "
                            "spliceai)")
    model.add_argument("--target",
                       help="output class index (int); for SpliceAI 'acceptor' or 'donor'")
    model.add_argument("--method", choices=METHODS, default="ig",
                       help="integrated gradients, in-silico mutagenesis of every base, a "
                            "GGGP local dataset and surrogate per region, or SpliceAI delta "
                            "scores of --vcf (default ig)")
    model.add_argument("--site", type=positive_int,
                       help="SpliceAI: 1-based genome position of the site inside every region")
    ig = add_input_and_path_arguments(parser, model)
    ig.add_argument("--seed", type=non_negative_int, default=0,
                    help="run seed; each region's seed derives from it and the region")
    gggp = parser.add_argument_group("GGGP (--method gggp)")
    gggp.add_argument("--evaluations", type=positive_int, default=200,
                      help="model evaluations per region (default 200)")
    gggp.add_argument("--population", type=positive_int, default=20,
                      help="individuals per generation (default 20)")
    gggp.add_argument("--score-range", type=float, nargs=2, default=(0.0, 1.0),
                      metavar=("LOW", "HIGH"),
                      help="scores the archive bins, e.g. a probability's (default 0 1); "
                           "edited sequences scoring outside it are not archived")
    gggp.add_argument("--feature-width", type=positive_int, default=10,
                      help="bases per surrogate feature (default 10)")
    gggp.add_argument("--max-distance", type=non_negative_int, default=5000,
                      help="--exons: nt read and edited on each side of an exon (default 5000)")
    splice = parser.add_argument_group("SpliceAI VCF scoring (--method spliceai)")
    splice.add_argument("--annotation", metavar="TABLE",
                        help="as captum-genomics spliceai -A: 'grch37', 'grch38', a gene table "
                             "or a GTF/GFF3")
    splice.add_argument("--distance", type=non_negative_int, default=50,
                        help="as -D: largest distance of a gained or lost site (default 50)")
    splice.add_argument("--mask", type=non_negative_int, choices=(0, 1), default=0,
                        help="as -M (default 0)")
    splice.add_argument("--members", type=positive_int, nargs="+", metavar="K",
                        help="SpliceAI (--vcf, --exons): 1-based ensemble members to keep "
                             "(default all five)")
    splice.add_argument("--chunk-size", type=positive_int, default=100,
                        help="VCF records per task (default 100); the merged spliceai.vcf is "
                             "the same whatever the size")
    scale = parser.add_argument_group("engine")
    scale.add_argument("--engine", choices=ENGINES, default="local",
                       help="local processes, or Ray actors (pip install "
                            "'captum-genomics[ray]')")
    scale.add_argument("--workers", type=positive_int, default=1,
                       help="worker processes or Ray actors, each loading the model once")
    scale.add_argument("--address",
                       help="--engine ray: address of a running Ray cluster (default: start a "
                            "local one with --workers CPUs)")
    scale.add_argument("--device", default="cpu",
                       help="torch device of every worker, e.g. cpu or cuda (a Ray actor then "
                            "takes one GPU)")
    scale.add_argument("--batch-size", type=positive_int, default=64,
                       help="most sequences in one model call, per worker (ISM: mutants)")
    scale.add_argument("--threads", type=positive_int,
                       help="torch CPU threads per worker (default 1: results then do not "
                            "depend on the machine's thread count)")
    out = parser.add_argument_group("output")
    out.add_argument("--output-dir", required=True,
                     help="directory of the run (created if missing); rerun the same command "
                          "to resume: regions the manifest records as done, with intact "
                          "files, are skipped")
    out.add_argument("--overlap", choices=OVERLAP_POLICIES, default="error",
                     help="overlapping regions: refuse, or average their merged tracks per base")
    out.add_argument("--force", action="store_true",
                     help="start over in a directory holding files (forget its manifest)")
    out.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Run ``captum-genomics batch`` with parsed options; returns the exit status.

    0 when every region is done, 1 when some failed (each with its error in ``regions.tsv``
    and on stderr), 2 on a user error before any work.
    """
    return run_command("batch", _run, args)


def _run(args: argparse.Namespace) -> int:
    import sys

    from captum_genomics.batch import run_batch

    summary = run_batch(args)
    for region_id, error in summary.failed.items():
        print(f"captum-genomics batch: region {region_id} failed: {error}", file=sys.stderr)
    if not args.quiet:
        print(f"{len(summary.done)} region(s) explained, {len(summary.skipped)} already done, "
              f"{len(summary.failed)} failed; wrote {', '.join(str(p) for p in summary.written)}")
    return 1 if summary.failed else 0
