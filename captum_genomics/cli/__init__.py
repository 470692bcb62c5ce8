"""Command line: ``captum-genomics <subcommand>``, one module per subcommand.

Each subcommand module gives a one-line ``HELP``, ``add_arguments(parser)`` for its
options and ``run(args) -> int``; :func:`main` builds the parser from them.

Subcommands
    ``demo`` (:mod:`captum_genomics.cli.demo`): train a planted-motif CNN and explain it
    with IG under three baselines and with GGGP.
    ``ig`` (:mod:`captum_genomics.cli.ig`): integrated gradients of a model on genome regions,
    written as bigWig, bedGraph, TF-MoDISco-lite inputs and tables.
    ``gggp`` (:mod:`captum_genomics.cli.gggp`): a GGGP local dataset and surrogate for a
    splice exon or site, scored by SpliceAI.
    ``spliceai`` (:mod:`captum_genomics.cli.spliceai`): SpliceAI delta scores of a VCF's
    variants, with upstream's flags and INFO strings.
    ``batch`` (:mod:`captum_genomics.cli.batch`): IG over thousands of regions, resumable, on
    local worker processes or a Ray cluster.
"""

from __future__ import annotations

import argparse

from captum_genomics import __version__
from captum_genomics.cli import batch, demo, gggp, ig, spliceai
from captum_genomics.cli.demo import DEMO_BASELINES, GGGP_WINDOW

__all__ = ["DEMO_BASELINES", "GGGP_WINDOW", "build_parser", "main"]

SUBCOMMANDS = {"demo": demo, "ig": ig, "gggp": gggp, "spliceai": spliceai, "batch": batch}


def build_parser() -> argparse.ArgumentParser:
    """The ``captum-genomics`` parser: ``--version`` and one subparser per subcommand."""
    parser = argparse.ArgumentParser(
        prog="captum-genomics", description="Genomics-aware explainers for Captum."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    for name, module in SUBCOMMANDS.items():
        subparser = commands.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(subparser)
        subparser.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``captum-genomics`` command.

    Parameters
    ----------
    argv : list of str, optional
        Arguments after the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit status.
    """
    args = build_parser().parse_args(argv)
    return args.run(args)
