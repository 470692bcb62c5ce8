"""``captum-genomics demo``: train a planted-motif CNN, explain it with IG and GGGP.

The Python function :func:`demo` does the work; :func:`add_arguments` and :func:`run` are
the subcommand's options and runner for :mod:`captum_genomics.cli`.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from captum_genomics._atomic import atomic_open
from captum_genomics._deprecation import renamed_arguments
from captum_genomics.aggregate import locus_scores
from captum_genomics.attr.gggp import GGGPPerturbationExplainer
from captum_genomics.attr.integrated_gradients import GenomicIntegratedGradients
from captum_genomics.dna.codec import decode
from captum_genomics.metrics import avg_match_percent, motif_recovery
from captum_genomics.models.deepg import DeepGCNN
from captum_genomics.models.train import balanced_accuracy, predict, train_model
from captum_genomics.synthetic import MOTIFS, planted_motif_dataset

DEMO_BASELINES = ("uniform", "shuffle", "zeros")
GGGP_WINDOW = 5  # bases per surrogate feature in the demo


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
) -> dict:
    """Train a small CNN on planted-motif data and explain it with IG and GGGP.

    The data follow the deepG study (600-bp sequences, half carrying its 30-bp
    motif); the network is a two-layer deepG-style CNN with a global max-pooling
    head, trained with Adam (lr 3e-3, batch 64), which learns the task in seconds.
    Each explained sequence is attributed by IG under three baselines and by the
    GGGP explainer (a local dataset of ``gggp_samples`` model evaluations and a lasso
    on windows of 5 bases).

    Parameters
    ----------
    n_sequences : int, default 2000
        Sequences of 600 bp, half with the study's 30-bp motif planted; 80 % train.
    epochs : int, default 4
        Training epochs.
    n_explain : int, default 50
        Held-out motif-carrying sequences to explain.
    n_shuffles : int, default 10
        Dinucleotide-shuffled references per sequence for the shuffle baseline.
    gggp_samples : int, default 400
        Model evaluations per sequence for the GGGP explainer (0 skips it).
    seed : int, default 0
        Seed of the data, the training and the shuffles.
    output : str, optional
        Path of a TSV of per-position scores (sequence, position, base, in_motif,
        one column per method), written atomically.
    show_progress : bool, default True
        Show training progress bars.

    Returns
    -------
    dict
        ``{"balanced_accuracy": float, "baselines": {name: {"auroc", "aupr",
        "avg_match", "max_abs_delta", "seconds"}}, "gggp": {"auroc", "aupr", "spearman",
        "seconds"}}`` (``"gggp"`` absent when skipped).
    """
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
    results, tracks = {}, {}
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
        tracks[name] = scores
        shown = "n/a" if name == "zeros" else f"{match:.1f}"
        print(f"{name:<10} {recovery['auroc']:>6.3f} {recovery['aupr']:>6.3f} {shown:>10} "
              f"{results[name]['max_abs_delta']:>10.2e} {seconds:>8.1f}")
    summary = {"balanced_accuracy": accuracy, "baselines": results}
    if gggp_samples:
        start = time.perf_counter()
        explainer = GGGPPerturbationExplainer(model, feature_width=GGGP_WINDOW)
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
    print("Avg.Match% is undefined for the zero baseline (unobserved bases get exactly 0) and "
          "for GGGP (it scores the observed bases only).")
    if output:
        _write_tracks(output, x, mask, tracks)
        print(f"per-position scores written to {output}")
    return summary


def _write_tracks(path: str, x: torch.Tensor, mask: torch.Tensor, tracks: dict) -> None:
    names = list(tracks)
    sequences = decode(x)
    with atomic_open(path) as handle:
        handle.write("\t".join(["sequence", "position", "base", "in_motif", *names]) + "\n")
        for i, seq in enumerate(sequences):
            columns = [tracks[n][i].tolist() for n in names]
            for pos, base in enumerate(seq):
                values = "\t".join(repr(c[pos]) for c in columns)
                handle.write(f"{i}\t{pos}\t{base}\t{int(mask[i, pos])}\t{values}\n")


#: One-line summary shown by ``captum-genomics --help``.
HELP = "train a planted-motif CNN, explain it with IG and GGGP"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``captum-genomics demo`` to its subparser."""
    parser.add_argument("--sequences", type=int, default=2000,
                        help="training + held-out sequences")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--explain", type=int, default=50, help="held-out sequences to explain")
    parser.add_argument("--shuffles", type=int, default=10,
                        help="shuffled references per sequence")
    parser.add_argument("--gggp-samples", type=int, default=400,
                        help="model evaluations per sequence for GGGP (0 skips it)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", help="TSV of per-position scores (written atomically)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    """Run ``captum-genomics demo`` with parsed options; returns the exit status."""
    demo(n_sequences=args.sequences, epochs=args.epochs, n_explain=args.explain,
         n_shuffles=args.shuffles, gggp_samples=args.gggp_samples, seed=args.seed,
         output=args.output, show_progress=not args.quiet)
    return 0
