"""``captum-genomics demo``: train a planted-motif CNN, explain it with IG and GGGP.

The Python function :func:`demo` does the work; :func:`add_arguments` and :func:`run` are
the subcommand's options and runner for :mod:`captum_genomics.cli`.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import time
from pathlib import Path

import numpy as np
import torch

from captum_genomics._atomic import write_table
from captum_genomics._deprecation import renamed_arguments, warn_deprecated
from captum_genomics.aggregate import locus_scores
from captum_genomics.attr.gggp import GGGPPerturbationExplainer
from captum_genomics.attr.integrated_gradients import GenomicIntegratedGradients
from captum_genomics.cli._common import (
    check_output_dir,
    check_output_file,
    non_negative_int,
    positive_int,
    run_command,
)
from captum_genomics.cli._demo_spliceai import INSTALL, run_spliceai_part, spliceai_installed
from captum_genomics.dna.codec import decode
from captum_genomics.gggp.search import SearchSettings
from captum_genomics.metrics import avg_match_percent, motif_recovery
from captum_genomics.models.deepg import DeepGCNN
from captum_genomics.models.train import balanced_accuracy, predict, train_model
from captum_genomics.synthetic import MOTIFS, planted_motif_dataset

DEMO_BASELINES = ("uniform", "shuffle", "zeros")
GGGP_WINDOW = 5  # bases per surrogate feature in the demo
#: GGGP's score_range is the held-out motif logits' range widened by this share of it on each
#: side: edits push the most extreme held-out sequences a little past their own range (on the
#: tests' tiny settings 3 of 59 edits without a margin, none with it), and 2/3 of the
#: archive's bins still cover the held-out range.
GGGP_RANGE_MARGIN = 0.25


DELTA_EXPLANATION = (
    "max|delta| is the largest completeness gap over the explained sequences: |sum of the "
    "attributions - (F(x) - F(reference))|, in units of the explained output (here the motif "
    "logit); it is good when small against that output difference (below about 1% of it), "
    "otherwise raise the steps or set completeness_tol."
)


def gggp_score_range(model: torch.nn.Module, x_val: torch.Tensor) -> tuple[float, float]:
    """GGGP's ``score_range`` for the motif logit: its range over ``x_val`` (N, 4, L),
    widened by :data:`GGGP_RANGE_MARGIN` of it on each side."""
    with torch.no_grad():
        logits = model(x_val)[:, 1]
    low, high = float(logits.min()), float(logits.max())
    margin = GGGP_RANGE_MARGIN * (high - low)
    return low - margin, high + margin


@renamed_arguments(progress="show_progress")
def demo(
    n_sequences: int = 2000,
    epochs: int = 4,
    n_explain: int = 50,
    n_shuffles: int = 10,
    gggp_samples: int = 400,
    seed: int = 0,
    output: str | None = None,
    show_progress: bool = True,
    output_dir: str | None = None,
    force: bool = False,
    spliceai: bool = True,
    spliceai_members: tuple[int, ...] = (1,),
    spliceai_steps: int = 64,
    spliceai_evaluations: int = 300,
) -> dict:
    """Train a small CNN on planted-motif data and explain it with IG and GGGP.

    The data follow the deepG study (600-bp sequences, half carrying its 30-bp
    motif); the network is a two-layer deepG-style CNN with a global max-pooling
    head, trained with Adam (lr 3e-3, batch 64), which learns the task in seconds.
    Each explained sequence is attributed by IG under three baselines and by the
    GGGP explainer (a local dataset of ``gggp_samples`` model evaluations and a lasso
    on windows of 5 bases). When the published SpliceAI weights are installed, a real part
    follows: IG on the TUBB8 acceptor chr10:94665 and a GGGP local dataset of the TUBB8 exon
    chr10:94744-94852 (see :func:`~captum_genomics.cli._demo_spliceai.run_spliceai_part`).

    Parameters
    ----------
    n_sequences : int, default 1000
        Sequences of 600 bp, half with the study's 30-bp motif planted; 80 % train.
    epochs : int, default 4
        Training epochs.
    n_explain : int, default 20
        Held-out motif-carrying sequences to explain.
    n_shuffles : int, default 5
        Dinucleotide-shuffled references per sequence for the shuffle baseline.
    gggp_samples : int, default 200
        Model evaluations per sequence for the GGGP explainer (0 skips it).
    seed : int, default 0
        Seed of the data, the training and the shuffles.
    output : str, optional
        Deprecated (removed in 0.3.0): path of the TSV of per-position scores (sequence,
        position, base, in_motif, one column per method); ``output_dir`` writes it as
        ``scores.tsv``.
    show_progress : bool, default True
        Show training progress bars.
    output_dir : str, optional
        Directory of the results, checked (and created) before any work: ``scores.tsv``, one
        PNG per figure and ``report.html`` (figures, tables, settings and versions).
    force : bool, default False
        Write into a non-empty ``output_dir``.
    spliceai : bool, default True
        Run the real part when the SpliceAI weights are installed.
    spliceai_members, spliceai_steps, spliceai_evaluations
        SpliceAI members, IG steps and GGGP evaluations of the real part.

    Returns
    -------
    dict
        ``{"balanced_accuracy": float, "baselines": {name: {"auroc", "aupr",
        "avg_match", "max_abs_delta", "seconds"}}, "gggp": {"auroc", "aupr", "spearman",
        "seconds"}, "spliceai": [str, ...], "files": [path, ...]}`` (``"gggp"`` absent when
        skipped, ``"spliceai"`` when the real part did not run).

    Raises
    ------
    UsageError
        Before any work, when ``output_dir`` or ``output`` cannot be written.
    """
    directory = check_output_dir(output_dir, force) if output_dir else None
    if output:
        warn_deprecated("demo(output=...) and --output", "output_dir / --output-dir")
        check_output_file(output, "--output")
    torch.manual_seed(seed)
    data = planted_motif_dataset(n_sequences=n_sequences, length=600, motif=MOTIFS["base"],
                                 seed=seed)
    n_train = int(0.8 * n_sequences)
    x_train, y_train = data.inputs[:n_train], data.labels[:n_train]
    x_val, y_val = data.inputs[n_train:], data.labels[n_train:]
    model = DeepGCNN(None, filters=(16, 32), kernel_sizes=(9, 9), pool_sizes=(3, 3),
                     head="global_max")
    start = time.perf_counter()
    train_model(model, x_train, y_train, epochs=epochs, lr=3e-3, seed=seed,
                validation=(x_val, y_val), show_progress=show_progress)
    accuracy = balanced_accuracy(y_val, predict(model, x_val))
    print(f"trained a deepG-style CNN on {n_train} planted-motif sequences in "
          f"{time.perf_counter() - start:.1f} s: held-out balanced accuracy {accuracy:.3f}")

    positives = torch.nonzero(y_val == 1).flatten()[:n_explain]
    x, mask = x_val[positives], data.motif_mask[n_train:][positives]
    ig = GenomicIntegratedGradients(model)
    results, tracks, maps = {}, {}, {}
    print(f"explaining {len(positives)} held-out motif sequences (target = motif logit):")
    print(f"{'method':<10} {'AUROC':>6} {'AUPR':>6} {'Avg.Match%':>10} {'max|delta|':>10} "
          f"{'seconds':>8}")
    for name in DEMO_BASELINES:
        start = time.perf_counter()
        attr, delta = ig.attribute(x, baselines=name, target=1, n_steps=50,
                                   n_shuffles=n_shuffles, seed=seed, internal_batch_size=500,
                                   return_convergence_delta=True)
        seconds = time.perf_counter() - start
        scores = locus_scores(attr, "sum")
        recovery = motif_recovery(scores, mask)
        match = avg_match_percent(attr, x, mask) if name != "zeros" else float("nan")
        results[name] = {"auroc": recovery["auroc"], "aupr": recovery["aupr"],
                         "avg_match": match, "max_abs_delta": float(delta.abs().max()),
                         "seconds": seconds}
        tracks[name], maps[name] = scores, attr
        shown = "n/a" if name == "zeros" else f"{match:.1f}"
        print(f"{name:<10} {recovery['auroc']:>6.3f} {recovery['aupr']:>6.3f} {shown:>10} "
              f"{results[name]['max_abs_delta']:>10.2e} {seconds:>8.1f}")
    summary = {"balanced_accuracy": accuracy, "baselines": results}
    dataset = None
    if gggp_samples:
        start = time.perf_counter()
        # GGGP bins scores over a range: the motif logit's range over the held-out sequences
        # with a margin (the default [0, 1] suits probabilities; logits outside the range
        # would not be archived)
        settings = SearchSettings(max_evaluations=gggp_samples,
                                  score_range=gggp_score_range(model, x_val))
        explainer = GGGPPerturbationExplainer(model, settings=settings,
                                              feature_width=GGGP_WINDOW)
        attr, fits = explainer.attribute(x, target=1, seed=seed, n_samples=gggp_samples,
                                         return_surrogate=True)
        seconds = time.perf_counter() - start
        scores = locus_scores(attr, "sum")
        recovery = motif_recovery(scores, mask)
        spearman = float(np.nanmean([f.fidelity["spearman"] for f in fits]))
        summary["gggp"] = {"auroc": recovery["auroc"], "aupr": recovery["aupr"],
                           "spearman": spearman, "seconds": seconds}
        tracks["gggp"] = scores
        print(f"{'GGGP':<10} {recovery['auroc']:>6.3f} {recovery['aupr']:>6.3f} {'n/a':>10} "
              f"{'n/a':>10} {seconds:>8.1f}   ({gggp_samples} model calls per sequence, "
              f"surrogate Spearman {spearman:.2f} on held-out edits)")
        if directory is not None:  # the local dataset of the first sequence, for the figures
            dataset = explainer.generate(x[:1], target=1, seed=seed, n_samples=gggp_samples)
    notes = ["Avg.Match% is undefined for the zero baseline (unobserved bases get exactly 0) "
             "and for GGGP (it scores the observed bases only).", DELTA_EXPLANATION]
    for line in notes:
        print(line)
    if spliceai and spliceai_installed():
        part = run_spliceai_part(spliceai_members, spliceai_steps, spliceai_evaluations, seed)
        summary["spliceai"] = part.lines
        for line in part.lines:
            print(line)
    else:
        part = None
        if spliceai:
            print("the real part (SpliceAI on the human TUBB8 gene) needs the published "
                  f"SpliceAI weights: {INSTALL}, then run the demo again")
    if output:
        _write_tracks(output, x, mask, tracks)
        print(f"per-position scores written to {output}")
    if directory is not None:
        settings = {"sequences": n_sequences, "epochs": epochs, "explained": n_explain,
                    "shuffles": n_shuffles, "GGGP samples": gggp_samples, "seed": seed}
        summary["files"] = _write_outputs(directory, x, mask, maps, tracks, dataset, summary,
                                          notes, part, settings)
        print(f"figures and report written to {directory} (open "
              f"{directory / 'report.html'} in a browser)")
    return summary


def _write_outputs(directory: Path, x, mask, maps: dict, tracks: dict,
                   dataset, summary: dict, notes: list, part, settings: dict) -> list[str]:
    """Write scores.tsv, the figures as PNG and report.html into ``directory``."""
    import matplotlib.pyplot as plt

    from captum_genomics import plot
    from captum_genomics.report import save_figures, write_report

    _write_tracks(directory / "scores.tsv", x, mask, tracks)
    in_motif = torch.nonzero(mask[0]).flatten()
    motif, motif_last = int(in_motif[0]), int(in_motif[-1])
    first, last = max(0, motif - 10), min(x.shape[2], motif_last + 11)
    figure, axes = plt.subplots(len(maps), 1, figsize=(10, 2.2 * len(maps)), sharex=True,
                                layout="constrained")
    for ax, (name, attr) in zip(axes, maps.items()):
        plot.plot_logo((attr[0] * x[0])[:, first:last], ax=ax, start=first,
                       highlights=[(motif, motif_last)], ylabel=name,
                       xlabel="position in the sequence" if ax is axes[-1] else None)
    axes[0].set_title("IG on the observed bases around the planted motif (shaded), "
                      "sequence 1, per baseline")
    figures = [("logos", "IG attributions of the observed bases around the planted motif "
                         "(shaded) of the first explained sequence, under each baseline.",
                figure)]
    comparison = plot.plot_baselines({name: t[0] for name, t in tracks.items()},
                                     intervals=[(motif, motif_last, "motif")],
                                     xlabel="position in the sequence")
    figures.append(("baselines", "Per-base attribution of the first explained sequence by "
                                 "baseline and method; the planted motif is the box.",
                    comparison))
    if dataset is not None:
        figures.append(("gggp_scores", "Motif logits of the GGGP local dataset of the first "
                                       "sequence.", plot.plot_archive_scores(dataset).figure))
        figures.append(("gggp_edits", "Where the GGGP edits fall along the first sequence.",
                        plot.plot_edits(dataset, bins=60,
                                        xlabel="position in the sequence").figure))
    if part is not None:
        figures += [(f"spliceai_{i + 1}", caption, fig)
                    for i, (caption, fig) in enumerate(part.figures)]
    written, images = save_figures(directory, figures)
    rows = [(name, r["auroc"], r["aupr"], r["avg_match"], r["max_abs_delta"], r["seconds"])
            for name, r in summary["baselines"].items()]
    if "gggp" in summary:
        g = summary["gggp"]
        rows.append(("GGGP", g["auroc"], g["aupr"], "n/a", "n/a", g["seconds"]))
    tables = [("Motif recovery on held-out planted-motif sequences (held-out balanced "
               f"accuracy of the CNN {summary['balanced_accuracy']:.3f})",
               ("method", "AUROC", "AUPR", "Avg.Match%", "max|delta|", "seconds"), rows)]
    run_settings = {**settings, "model": "deepG-style CNN trained here on planted-motif data"}
    if part is not None:
        tables.append(("SpliceAI on TUBB8", ("run", "score", "delta / score range", "seconds"),
                       part.rows))
        run_settings.update(part.settings)
        notes = [*notes, *part.lines]
    report = directory / "report.html"
    write_report(report, "captum-genomics demo", run_settings, images, tables, notes)
    return [*map(str, written), str(directory / "scores.tsv"), str(report)]


def _write_tracks(path, x: torch.Tensor, mask: torch.Tensor, tracks: dict) -> None:
    names = list(tracks)
    columns = [[tracks[n][i].tolist() for n in names] for i in range(len(x))]
    rows = ((i, pos, base, int(mask[i, pos]), *(c[pos] for c in columns[i]))
            for i, seq in enumerate(decode(x)) for pos, base in enumerate(seq))
    write_table(path, rows, ["sequence", "position", "base", "in_motif", *names])


#: One-line summary shown by ``captum-genomics --help``.
HELP = "train a planted-motif CNN, explain it with IG and GGGP"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``captum-genomics demo`` to its subparser."""
    defaults = inspect.signature(demo).parameters
    parser.add_argument("--output-dir", metavar="DIR",
                        help="directory of the figures (PNG), scores.tsv and report.html; "
                             "checked and created before any work")
    parser.add_argument("--force", action="store_true",
                        help="write into a non-empty --output-dir")
    for option, name, text in [
        ("--sequences", "n_sequences", "training + held-out sequences"),
        ("--epochs", "epochs", "training epochs"),
        ("--explain", "n_explain", "held-out sequences to explain"),
        ("--shuffles", "n_shuffles", "shuffled references per sequence"),
        ("--gggp-samples", "gggp_samples", "model evaluations per sequence for GGGP (0 skips "
                                           "it)"),
        ("--seed", "seed", "seed of the data, training, shuffles and searches"),
        ("--spliceai-steps", "spliceai_steps", "IG steps of the SpliceAI part"),
        ("--spliceai-evaluations", "spliceai_evaluations",
         "GGGP evaluations of the SpliceAI part"),
    ]:
        default = defaults[name].default
        kind = non_negative_int if name in ("gggp_samples", "seed") else positive_int
        parser.add_argument(option, type=kind, default=default,
                            help=f"{text} (default {default})")
    parser.add_argument("--spliceai-members", type=positive_int, nargs="+", metavar="K",
                        default=list(defaults["spliceai_members"].default),
                        help="SpliceAI members (1-5) of the SpliceAI part (default 1: fast)")
    parser.add_argument("--no-spliceai", action="store_true",
                        help="skip the SpliceAI part even when its weights are installed")
    parser.add_argument("--output", metavar="TSV",
                        help="deprecated (removed in 0.3.0): TSV of per-position scores; "
                             "--output-dir writes it as scores.tsv")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    """Run ``captum-genomics demo`` with parsed options; returns the exit status."""
    if args.output:
        print("captum-genomics demo: --output is deprecated (removed in 0.3.0); use "
              "--output-dir DIR, which writes DIR/scores.tsv", file=sys.stderr)
    return run_command("demo", _run, args)


def _run(args: argparse.Namespace) -> int:
    demo(n_sequences=args.sequences, epochs=args.epochs, n_explain=args.explain,
         n_shuffles=args.shuffles, gggp_samples=args.gggp_samples, seed=args.seed,
         output=args.output, show_progress=not args.quiet, output_dir=args.output_dir,
         force=args.force, spliceai=not args.no_spliceai,
         spliceai_members=tuple(args.spliceai_members), spliceai_steps=args.spliceai_steps,
         spliceai_evaluations=args.spliceai_evaluations)
    return 0
