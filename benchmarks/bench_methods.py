"""Attribution methods on planted-motif data, as in the deepG integrated-gradients study.

For every seed and entropy level a deepG-style CNN is trained on planted-motif sequences
(CPU) and the motif-carrying test sequences are explained by each method. The table reports,
per method, motif recovery against the ground-truth positions (AUROC, AUPR; Koo & Ploenzke
2021), Avg.Match% (the study's metric; NaN where a method gives no per-base preference:
zero baseline, attributions on the observed base only, or one value shared by the four
bases) and the wall time per explained sequence.

Per-position importance is ``locus_scores(attr, "sum")``: the sum of a position's four
channel attributions (its share of the completeness total), signed, larger = more
important (``--score abs_sum`` takes its magnitude). For Captum's Saliency (absolute
gradients by default) this sum is the L1 norm of the gradient.

A second part reproduces the study's observations: IG (0.25 baseline) finds the motif at
every entropy level, its Avg.Match% depends on the entropy, and a motif recurrent every
~100 bp is found with less precision than a single copy.

    python benchmarks/bench_methods.py                  # defaults: about 5 minutes, 2 cores
    python benchmarks/bench_methods.py --seeds 0 1 2 \\
        --levels high medium base low very_low lowest --n-train 8000 --n-explain 100 \\
        --steps 400 --study-network --epochs 10       # closer to the study
"""

from __future__ import annotations

import argparse
import csv
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from captum._utils.models.linear_model import SkLearnLinearRegression
from captum.attr import (
    DeepLift,
    GradientShap,
    InputXGradient,
    KernelShap,
    Lime,
    Occlusion,
    Saliency,
)

from captum_genomics.aggregate import locus_scores
from captum_genomics.attr.gggp import GGGPPerturbationExplainer
from captum_genomics.attr.integrated_gradients import GenomicIntegratedGradients
from captum_genomics.gggp import SearchSettings
from captum_genomics.metrics import avg_match_percent, information_content, motif_recovery
from captum_genomics.models import DeepGCNN, balanced_accuracy, predict, train_model
from captum_genomics.synthetic import MOTIFS, planted_motif_dataset

TARGET = 1  # the "motif present" class, explained as its softmax probability


@dataclass(frozen=True)
class Method:
    """An attribution method of the benchmark.

    Attributes
    ----------
    label : str
        Row name in the table.
    run : callable
        ``run(model, x, args, seed) -> attributions``, (N, 4, L) per base or (N, L) per
        position, for one-hot ``x`` of shape (N, 4, L).
    per_base : bool
        Whether the four bases of a position get distinct attributions, so that
        Avg.Match% is defined.
    """

    label: str
    run: Callable[[torch.nn.Module, torch.Tensor, argparse.Namespace, int], torch.Tensor]
    per_base: bool


def _ig(baselines, aggregate=None):
    def run(model, x, args, seed):
        ig = GenomicIntegratedGradients(model)
        return ig.attribute(x, baselines=baselines, target=TARGET, n_steps=args.steps,
                            internal_batch_size=args.batch, n_shuffles=args.shuffles,
                            seed=seed, aggregate=aggregate)
    return run


def _window_mask(length: int, window: int) -> torch.Tensor:
    """(1, 4, L) feature groups: the four bases of ``window`` consecutive positions."""
    return (torch.arange(length) // window).expand(1, 4, length).contiguous()


def _saliency(model, x, args, seed):
    return Saliency(model).attribute(x, target=TARGET)


def _input_x_gradient(model, x, args, seed):
    return InputXGradient(model).attribute(x, target=TARGET)


def _deeplift(model, x, args, seed):
    return DeepLift(model).attribute(x, baselines=torch.full_like(x, 0.25), target=TARGET)


def _gradient_shap(model, x, args, seed):
    generator = torch.Generator().manual_seed(seed)
    codes = torch.randint(0, 4, (args.shap_references, x.shape[2]), generator=generator)
    references = torch.nn.functional.one_hot(codes, 4).transpose(1, 2).to(x.dtype)
    torch.manual_seed(seed)  # GradientShap draws references and path points from torch
    return GradientShap(model).attribute(x, baselines=references, n_samples=args.shap_samples,
                                         target=TARGET)


def _lime(model, x, args, seed):
    torch.manual_seed(seed)
    lime = Lime(model, interpretable_model=SkLearnLinearRegression())
    return lime.attribute(x, baselines=0.25, target=TARGET,
                          feature_mask=_window_mask(x.shape[2], args.window),
                          n_samples=args.perturbations, perturbations_per_eval=args.batch)


def _kernel_shap(model, x, args, seed):
    torch.manual_seed(seed)
    return KernelShap(model).attribute(x, baselines=0.25, target=TARGET,
                                       feature_mask=_window_mask(x.shape[2], args.window),
                                       n_samples=args.perturbations,
                                       perturbations_per_eval=args.batch)


def _occlusion(model, x, args, seed):
    return Occlusion(model).attribute(x, sliding_window_shapes=(4, args.window),
                                      strides=(4, 1), baselines=0.25, target=TARGET,
                                      perturbations_per_eval=args.batch)


def _gggp(model, x, args, seed):
    settings = SearchSettings(max_evaluations=args.gggp_evaluations,
                              population_size=args.gggp_population, batch_size=args.batch)
    explainer = GGGPPerturbationExplainer(model, settings=settings, feature_width=args.window)
    return explainer.attribute(x, target=TARGET, seed=seed)


METHODS = {
    "ig_zeros": Method("IG zeros", _ig("zeros"), False),
    "ig_uniform": Method("IG 0.25", _ig("uniform"), True),
    "ig_shuffle": Method("IG dinuc-shuffle", _ig("shuffle"), True),
    "ig_corrected": Method("IG zeros corrected", _ig("zeros", "corrected"), False),
    "saliency": Method("Saliency", _saliency, False),
    "input_x_gradient": Method("InputXGradient", _input_x_gradient, False),
    "deeplift": Method("DeepLift 0.25", _deeplift, True),
    "gradient_shap": Method("GradientShap", _gradient_shap, True),
    "lime": Method("Lime", _lime, False),
    "kernel_shap": Method("KernelShap", _kernel_shap, False),
    "occlusion": Method("Occlusion", _occlusion, False),
    "gggp": Method("GGGP surrogate", _gggp, False),
}
COLUMNS = ("auroc", "aupr", "avg_match", "s_per_seq")


def build_model(args: argparse.Namespace, seed: int) -> torch.nn.Module:
    """The study's network (``--study-network``) or the small fast default, seeded.

    The small network uses PyTorch's batch-norm momentum (0.1) instead of the Keras value
    (0.01) so that its running statistics settle within the few dozen batches of a default
    run; with 0.01 the eval-mode model can stay at chance after training.
    """
    torch.manual_seed(seed)
    if args.study_network:
        return DeepGCNN(args.length)
    return DeepGCNN(None, filters=(16, 32), kernel_sizes=(9, 9), pool_sizes=(3, 3),
                    head="global_max", bn_momentum=0.1)


def train(args: argparse.Namespace, level: str, seed: int, recurrent_every: int | None = None):
    """Train a model on one planted-motif data set.

    Returns
    -------
    explained : torch.nn.Module
        The trained network followed by ``nn.Softmax``: (N, 4, L) -> (N, 2) probabilities.
    data : PlantedMotifData
        Training and test sequences with their ground truth.
    index : torch.Tensor, shape (n_explain,)
        Indices into ``data`` of the motif-carrying test sequences to explain.
    accuracy : float
        Balanced accuracy on the ``n_test`` held-out sequences.
    """
    data = planted_motif_dataset(args.n_train + args.n_test, args.length, motif=MOTIFS[level],
                                 recurrent_every=recurrent_every, seed=seed)
    model = build_model(args, seed)
    lr = args.lr if args.lr is not None else (5e-4 if args.study_network else 3e-3)
    train_part = slice(0, args.n_train)
    train_model(model, data.inputs[train_part], data.labels[train_part], epochs=args.epochs,
                lr=lr, seed=seed, show_progress=False)
    test = np.arange(args.n_train, len(data))
    accuracy = balanced_accuracy(data.labels[test], predict(model, data.inputs[test]))
    # The softmax as a module (not DeepGCNN's functional one), so that DeepLift applies its
    # rule to it; every method explains this same probability.
    explained = torch.nn.Sequential(model, torch.nn.Softmax(dim=1)).eval()
    explain = test[data.labels[test].numpy() == 1][: args.n_explain]
    if explain.size == 0:
        raise ValueError("no motif-carrying test sequence to explain; raise --n-test")
    return explained, data, torch.from_numpy(explain), accuracy


def evaluate(method: Method, model, data, index: torch.Tensor, args, seed: int) -> dict:
    """Attribute the sequences ``index`` with ``method`` and score the result."""
    x = data.inputs[index]
    mask = data.motif_mask[index]
    start = time.perf_counter()
    attr = method.run(model, x, args, seed).detach()
    seconds = time.perf_counter() - start
    scores = attr if attr.dim() == 2 else locus_scores(attr, "sum")
    if args.score == "abs_sum":
        scores = scores.abs()
    information = information_content(data.probability_map()[index], axis=1)
    recovery = motif_recovery(scores, mask, information=information)
    match = (avg_match_percent(attr, x, mask) if method.per_base and attr.dim() == 3
             else math.nan)
    return {"auroc": recovery["auroc"], "aupr": recovery["aupr"], "avg_match": match,
            "s_per_seq": seconds / len(index)}


def _cell(values: list[float], digits: int) -> str:
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return "nan"
    text = f"{np.mean(values):.{digits}f}"
    return text + (f"±{np.std(values):.{digits}f}" if len(values) > 1 else "")


def print_table(title: str, rows: list[dict], methods: list[str]) -> None:
    """Rows = methods, columns = mean (± sd over seeds and levels) of each metric."""
    print(f"\n{title}")
    print(f"{'method':<20} {'AUROC':>13} {'AUPR':>13} {'Avg.Match%':>13} {'s/seq':>13}")
    for key in methods:
        mine = [r for r in rows if r["method"] == key]
        cells = [_cell([r[c] for r in mine], 1 if c == "avg_match" else 3) for c in COLUMNS]
        print(f"{METHODS[key].label:<20} " + " ".join(f"{c:>13}" for c in cells))


def observations(args: argparse.Namespace, rows: list[dict]) -> None:
    """Print the study's three observations with the numbers measured here."""
    print("\nObservations of the deepG study, measured here (IG, 0.25 baseline):")
    for level in args.levels:
        mine = [r for r in rows if r["method"] == "ig_uniform" and r["level"] == level]
        if mine:
            print(f"  {level:<9} AUROC {_cell([r['auroc'] for r in mine], 3):>13}   "
                  f"Avg.Match% {_cell([r['avg_match'] for r in mine], 1):>11}")
    print("  1. the motif is found at every entropy level: compare the AUROC column;")
    print("  2. Avg.Match% depends on the motif's entropy: compare the Avg.Match% column.")
    if args.recurrent_every is None:
        return
    print(f"  3. single motif vs the same motif recurrent every ~{args.recurrent_every} bp "
          f"(level {args.recurrent_level!r}); chance AUPR = fraction of motif positions:")
    ig = METHODS["ig_uniform"]
    for recurrent in (None, args.recurrent_every):
        found = []
        for seed in args.seeds:
            model, data, index, accuracy = train(args, args.recurrent_level, seed, recurrent)
            result = evaluate(ig, model, data, index, args, seed)
            chance = float(data.motif_mask[index].float().mean())
            found.append((result["auroc"], result["aupr"], chance, accuracy))
        auroc, aupr, chance, accuracy = (list(v) for v in zip(*found))
        name = "single" if recurrent is None else f"every {recurrent} bp"
        print(f"     {name:<14} AUROC {_cell(auroc, 3):>13}  AUPR {_cell(aupr, 3):>13}  "
              f"chance AUPR {_cell(chance, 3):>13}  balanced acc. {_cell(accuracy, 3)}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line settings; the defaults finish in about 5 minutes on 2 CPU cores."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--levels", nargs="+", default=["high", "base", "low", "lowest"],
                        choices=list(MOTIFS), help="entropy levels (motifs of MOTIFS)")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--length", type=int, default=600)
    parser.add_argument("--n-train", type=int, default=1200)
    parser.add_argument("--n-test", type=int, default=200)
    parser.add_argument("--n-explain", type=int, default=10,
                        help="motif-carrying test sequences explained per data set")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=None,
                        help="Adam learning rate (default 3e-3, or 5e-4 for the study network)")
    parser.add_argument("--study-network", action="store_true",
                        help="train the study's exact CNN (flatten head, ~95k parameters)")
    parser.add_argument("--steps", type=int, default=50, help="IG integration steps")
    parser.add_argument("--shuffles", type=int, default=5, help="references for IG shuffle")
    parser.add_argument("--shap-references", type=int, default=10)
    parser.add_argument("--shap-samples", type=int, default=20)
    parser.add_argument("--perturbations", type=int, default=300,
                        help="samples per sequence for Lime and KernelShap")
    parser.add_argument("--window", type=int, default=5,
                        help="positions per feature for Lime, KernelShap, Occlusion and GGGP")
    parser.add_argument("--gggp-evaluations", type=int, default=400)
    parser.add_argument("--gggp-population", type=int, default=100)
    parser.add_argument("--batch", type=int, default=256, help="sequences per model call")
    parser.add_argument("--score", choices=("sum", "abs_sum"), default="sum",
                        help="per-position score from the attributions")
    parser.add_argument("--recurrent-every", type=int, default=100,
                        help="spacing of the recurrent-motif experiment (0 skips it)")
    parser.add_argument("--recurrent-level", default="high", choices=list(MOTIFS))
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--csv", default=None, help="also write one row per seed/level/method")
    args = parser.parse_args(argv)
    if args.recurrent_every == 0:
        args.recurrent_every = None
    if args.study_network and args.length != 600:
        parser.error("--study-network is the study's 600-bp network; keep --length 600")
    return args


def run(args: argparse.Namespace) -> list[dict]:
    """Train, explain and print the tables for every level and seed; return the rows."""
    rows = []
    for level in args.levels:
        level_rows = []
        for seed in args.seeds:
            start = time.perf_counter()
            model, data, index, accuracy = train(args, level, seed)
            print(f"trained {level} seed {seed}: balanced accuracy {accuracy:.3f} "
                  f"({time.perf_counter() - start:.0f} s)", flush=True)
            for key in args.methods:
                result = evaluate(METHODS[key], model, data, index, args, seed)
                level_rows.append({"seed": seed, "level": level, "method": key,
                                   "balanced_accuracy": accuracy, **result})
        accuracy = _cell([r["balanced_accuracy"] for r in level_rows[:: len(args.methods)]], 3)
        print_table(f"== {level}: {MOTIFS[level]} ({len(MOTIFS[level])} bp), seeds "
                    f"{args.seeds}, balanced accuracy {accuracy} ==", level_rows, args.methods)
        rows += level_rows
    if len(args.levels) > 1:
        print_table(f"== all levels {args.levels} ==", rows, args.methods)
    observations(args, rows)
    return rows


def main(argv: list[str] | None = None) -> list[dict]:
    """Run the benchmark, print its tables and return one result row per seed/level/method.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (``sys.argv[1:]`` when None); see ``--help``.

    Returns
    -------
    list of dict
        Keys ``seed``, ``level``, ``method``, ``balanced_accuracy`` and the metric columns
        ``auroc``, ``aupr``, ``avg_match`` (NaN where undefined) and ``s_per_seq``.
    """
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    network = ("study CNN" if args.study_network
               else "small CNN (16, 32 filters, k9, global max, BN momentum 0.1)")
    print(f"{network}; {args.n_train} training sequences of {args.length} bp, {args.epochs} "
          f"epochs; {args.n_explain} motif sequences explained per data set; per-position "
          f"score = locus_scores(attr, {args.score!r}); torch threads {torch.get_num_threads()}")
    with warnings.catch_warnings():
        # Captum's notices on every call (hooks set, gradients required, Lime on a batch)
        for message in ("Input Tensor 0 did not", "Setting forward, backward hooks",
                        "You are providing multiple inputs"):
            warnings.filterwarnings("ignore", message=message, category=UserWarning)
        rows = run(args)
    if args.csv:
        with open(args.csv, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return rows


if __name__ == "__main__":
    main()
