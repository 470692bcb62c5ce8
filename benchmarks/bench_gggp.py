"""GGGP local datasets: archive quality against model evaluations, and surrogate fidelity.

Two tasks, at equal budgets of model evaluations (distinct model inputs scored, the reference
included):

(a) ``planted``: a small deepG-style CNN (:class:`~captum_genomics.models.DeepGCNN`, one
    convolution and a global max pool) trained for two epochs on planted-motif data (the 30-bp
    base motif of the deepG study in 300-bp random sequences); the explained score is its
    probability of "motif present" on a held-out positive sequence.  Deletions are padded with
    N (0.25 per channel, the deepG convention) at the right end.
(b) ``tubb8``: the TUBB8 internal exon chr10:94744-94852 as the reference method feeds it
    (:func:`~captum_genomics.splicing.build_exon_input`), scored by the published
    SpliceAI models (the mean of the acceptor and donor probabilities at the moved sites).
    Skipped with a message when ``spliceai`` is not installed.  By default only member 1 runs,
    so that the default run finishes in minutes on a 2-core CPU; ``--spliceai-members 1 2 3 4 5``
    uses the whole ensemble, and ``--incremental`` scores it with the exact incremental
    scorer (:class:`~captum_genomics.splicing.IncrementalExonScorer`), which makes the ensemble
    affordable.

Archive quality (``captum_genomics.gggp.quality_components``): ``0.3 size + 0.3 uniformity
+ 0.2 diversity + 0.2 coverage`` over 40 score bins, target size 5,000.  Methods: GGGP with
BinFiller fitness (defaults: frontier selection once the search stalls, 5 % of the children
by union crossover; also with a parsimony tolerance of 0.1, and without the frontier), GGGP
with IAD fitness (defaults: 10 % union crossover, no frontier), and random sampling (same
grammar, repair and scoring, every generation fresh).  Quality is given at 25 %, 50 % and
100 % of the budget (the last generation that ended within it), components at 100 %, means
over seeds.  Every
method archives by the method's rule (``SearchSettings(admission="fitness")``: after
generation 0 only individuals of positive fitness), the random baseline included.
Locality: ``edit_distance`` is the mean exact Levenshtein distance of the archived sequences
to the input, ``units`` their mean edit units.  A method that covers scores far from the
input's needs more edits there, so ``matched_ed`` compares at equal scores
(:func:`~captum_genomics.metrics.matched_locality`, against random sampling's archive of the
same seed and pruning): the method's mean distance per score bin, weighted by random's
counts over the bins both occupy; ``random_matched_ed`` is random's mean over those bins and
``random_share`` the share of random's archive they hold.  Each method is also reported pruned
(``method+prune``: :func:`~captum_genomics.gggp.prune_result`, repeated until no unit can be
dropped without moving the score by more than ``--prune-tolerance``, one sub-bin width
0.0025 by default; a negative value uses the reference's equality at 4 decimals; several
values prune the same searches once each, as ``method+prune(tol 0.0025)`` and
``method+prune(4 dp)``);
``prune_evals`` are the pruning's model evaluations and ``total_evals`` the search's plus
the pruning's.
Evaluations per second are evaluations / wall time of the whole search.

Surrogate fidelity (task a only).  Every method's explanation is read as per-base effects
``a_p`` (predicted score drop when base ``p`` is edited), and predicts the score change of an
edited sequence as ``-sum of a_p over the bases its edits touch`` (an edit touches
``[pos, pos + max(ref_len, 1))``), anchored at the model's score on the unedited sequence.
Methods, each with the same budget of model evaluations:

* ``GGGP``: the lasso surrogate (alpha 1e-3, one feature per base) fitted on the archive of
  the first GGGP-BinFiller run;
* ``Lime``: Captum Lime with its defaults (lasso alpha 0.01, exponential cosine kernel,
  Bernoulli(0.5) sampling), one feature per base;
* ``Lime-local``: Lime with GGGP's surrogate (lasso alpha 1e-3) whose samples switch off
  1..6 features (uniform; the grammar's edit count) instead of half of them: the same
  surrogate as GGGP on random local SNVs;
* ``KernelShap``: Captum KernelShap, one feature per base.

For Lime and KernelShap a feature that is "off" takes a baseline base different from the
reference base at that position (a fixed random SNV per position), so switching a feature off
is an SNV, the same kind of edit the other held-out sets make.  Fidelity is the R^2 and
Spearman correlation of predicted against observed score changes on three held-out sets, none
of them used for fitting: the archive of an independent GGGP-BinFiller run (other seed);
fresh Lime-style samples (each base switched to its baseline with probability 0.5); fresh
KernelShap-style samples (the number of kept bases drawn from the Shapley kernel).  Each
method is scored on every set, so each has its home set and two foreign ones.

Figures depend on the machine's load: compare rows within one run.

    python benchmarks/bench_gggp.py                          # small budgets, a few minutes
    python benchmarks/bench_gggp.py --evaluations 5000 --seeds 5
    python benchmarks/bench_gggp.py --skip-planted --incremental --spliceai-evaluations 1500 5000 \
        --spliceai-members 1 2 3 4 5 --spliceai-population 100 --spliceai-seeds 2
    python benchmarks/bench_gggp.py --skip-spliceai
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
from collections.abc import Sequence

import numpy as np
import torch

from captum_genomics.attr.gggp import ForwardScorer
from captum_genomics.gggp import Grammar, LocalDataset, SearchSettings, prune_result, search
from captum_genomics.metrics import matched_locality
from captum_genomics.surrogates import edit_features, fidelity, fit_surrogate

METHODS = {
    "GGGP-BinFiller": {"strategy": "gggp", "fitness": "binfiller"},
    "GGGP-BinFiller(tol 0.1)": {"strategy": "gggp", "fitness": "binfiller",
                                "parsimony_tolerance": 0.1},
    "GGGP-BinFiller(no frontier)": {"strategy": "gggp", "fitness": "binfiller",
                                    "frontier": "never"},
    "GGGP-IAD": {"strategy": "gggp", "fitness": "iad"},
    "random": {"strategy": "random"},
}
CHECKPOINTS = (0.25, 0.5, 1.0)
PLANTED_LENGTH = 300


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluations", type=int, default=1000, help="planted-motif budget")
    parser.add_argument("--population", type=int, default=100, help="planted-motif population")
    parser.add_argument("--seeds", type=int, default=3, help="planted-motif seeds per method")
    parser.add_argument("--train-sequences", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--heldout", type=int, default=300, help="Lime / KernelShap samples")
    parser.add_argument("--spliceai-evaluations", type=int, nargs="+", default=[300],
                        help="TUBB8 budgets, one run per budget (e.g. 1500 5000)")
    parser.add_argument("--spliceai-population", type=int, default=50)
    parser.add_argument("--spliceai-seeds", type=int, default=1)
    parser.add_argument("--first-seed", type=int, default=0,
                        help="seeds run are first-seed, first-seed + 1, ... (both tasks)")
    parser.add_argument("--methods", nargs="+", choices=sorted(METHODS), default=sorted(METHODS),
                        help="TUBB8 methods to run (default: all; the planted task runs all)")
    parser.add_argument("--spliceai-members", type=int, nargs="+", default=[1])
    parser.add_argument("--incremental", action="store_true",
                        help="score TUBB8 with the exact incremental scorer")
    parser.add_argument("--no-prune", action="store_true",
                        help="skip the pruned rows (pruning costs extra evaluations)")
    parser.add_argument("--prune-tolerance", type=float, nargs="+", default=[0.0025],
                        help="'same score' for pruning: within this of the archived score "
                             "(one sub-bin); a negative value uses the reference's 4-decimal "
                             "rule; several values prune the same searches once each")
    parser.add_argument("--skip-spliceai", action="store_true")
    parser.add_argument("--skip-planted", action="store_true")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    return parser.parse_args(argv)


def train_planted_model(n_sequences: int, epochs: int):
    """Train the planted-motif CNN; returns (model, reference (1, 4, L), seconds)."""
    from captum_genomics.models import DeepGCNN, predict, train_model
    from captum_genomics.synthetic import MOTIFS, planted_motif_dataset

    data = planted_motif_dataset(n_sequences + 200, PLANTED_LENGTH, MOTIFS["base"], seed=0)
    torch.manual_seed(0)
    model = DeepGCNN(
        PLANTED_LENGTH,
        filters=(32,),
        kernel_sizes=(15,),
        pool_sizes=(1,),
        head="global_max",
        batch_norm=False,
    )
    start = time.perf_counter()
    train_model(
        model,
        data.inputs[:n_sequences],
        data.labels[:n_sequences],
        epochs=epochs,
        batch_size=32,
        lr=3e-3,
        seed=0,
        show_progress=False,
    )
    seconds = time.perf_counter() - start
    model.output = "probabilities"
    test = data.inputs[n_sequences:]
    probs = predict(model, test)[:, 1]
    positive = torch.nonzero((data.labels[n_sequences:] == 1) & (probs > 0.9)).flatten()
    if positive.numel() == 0:
        raise RuntimeError(
            "the planted-motif CNN did not learn the motif (no held-out positive above 0.9); "
            "train longer with --epochs"
        )
    return model, test[positive[:1]], seconds


def _quality_at(log: list[dict], evaluations: float) -> float:
    """Archive quality after the last generation that ended within ``evaluations`` (NaN if
    none did)."""
    done = [row["quality"] for row in log if row["evaluations"] <= evaluations]
    return done[-1] if done else math.nan


def _tolerances(args: argparse.Namespace) -> tuple[float | None, ...]:
    return tuple(None if t < 0 else t for t in args.prune_tolerance)


def _prune_label(tolerance: float | None, several: bool) -> str:
    """Suffix of pruned rows: ``+prune``, or with the rule when several are run."""
    if not several:
        return "+prune"
    return "+prune(4 dp)" if tolerance is None else f"+prune(tol {tolerance:g})"


def _archive_row(task: str, method: str, budget: int, runs: list) -> dict:
    """Mean figures over seeds of one method's results (see ARCHIVE_COLUMNS)."""
    final = [r.archive.quality() for r in runs]
    row = {"task": task, "method": method, "evaluations": budget, "seeds": len(runs)}
    for c in CHECKPOINTS:
        row[f"q@{int(c * 100)}%"] = float(np.mean([_quality_at(r.log, c * budget) for r in runs]))
    row["quality"] = float(np.mean([q.quality for q in final]))
    row["quality_sd"] = float(np.std([q.quality for q in final]))
    for name in ("size", "uniformity", "diversity", "coverage"):
        row[name] = float(np.mean([getattr(q, name) for q in final]))
    row["archived"] = float(np.mean([len(r.archive) for r in runs]))
    row["bins_filled"] = float(np.mean([(r.archive.counts > 0).sum() for r in runs]))
    row["edit_distance"] = float(np.mean([r.locality["mean_edit_distance"] for r in runs]))
    row["units"] = float(np.mean([r.locality["mean_units"] for r in runs]))
    row["prune_evals"] = float(np.mean([r.prune_evaluations for r in runs]))
    row["total_evals"] = float(np.mean([r.evaluations for r in runs]))
    row["evals_per_s"] = float(np.mean([(r.evaluations - r.prune_evaluations) / r.elapsed
                                        for r in runs]))
    return row


def run_archives(task, reference, scorer, grammar, budget, population, seeds, length, tracked,
                 prune: bool = True, tolerances: Sequence[float | None] = (0.0025,),
                 first_seed: int = 0, methods: Sequence[str] = tuple(METHODS)):
    """Search with every method and seed, then prune each archive once per tolerance
    (``prune_result``, repeated until no unit can go without moving the score by more than
    the tolerance; ``None``: the reference's 4-decimal equality); returns (rows, first
    BinFiller result).  Pruned rows carry the method name with ``+prune`` (and the rule when
    there are several); their ``total_evals`` include the pruning's evaluations."""
    rows, first, done = [], None, {}
    for method, kind in METHODS.items():
        if method not in methods:
            continue
        runs = []
        for seed in range(first_seed, first_seed + seeds):
            settings = SearchSettings(
                **kind,
                population_size=population,
                max_evaluations=budget,
                sequence_length=length,
                batch_size=max(population, 64),
            )
            result = search(
                reference, scorer, grammar=grammar, settings=settings, tracked=tracked, seed=seed
            )
            runs.append(result)
            if first is None and method == "GGGP-BinFiller":
                first = result
        variants = [(method, runs)]
        for tolerance in tolerances if prune else ():
            variants.append((method + _prune_label(tolerance, len(tolerances) > 1),
                             [prune_result(r, scorer, repeat=True, tolerance=tolerance)
                              for r in runs]))
        for name, results in variants:
            rows.append(_archive_row(task, name, budget, results))
            done[name] = results
            print(_format_archive_row(rows[-1]), flush=True)
    for row in rows:
        _add_matched_locality(row, done)
    return rows, first


def _add_matched_locality(row: dict, done: dict) -> None:
    """Score-matched edit distances of a row's archives against random sampling's of the same
    seed and pruning (``matched_locality``; NaN without random runs)."""
    method = row["method"]
    baseline = done.get("random" + (method[method.index("+"):] if "+" in method else ""))
    pairs = [matched_locality(r, b) for r, b in zip(done[method], baseline or [])]
    for key, column in (("edit_distance", "matched_ed"),
                        ("baseline_edit_distance", "random_matched_ed"),
                        ("baseline_share", "random_share")):
        row[column] = float(np.mean([p[key] for p in pairs])) if pairs else math.nan


def _snv_baseline(x: torch.Tensor, seed: int) -> torch.Tensor:
    """One-hot baseline with a different base than ``x`` at every position."""
    codes = x.argmax(dim=1)
    shift = torch.from_numpy(np.random.default_rng(seed).integers(1, 4, codes.shape))
    return torch.nn.functional.one_hot((codes + shift) % 4, 4).permute(0, 2, 1).to(x.dtype)


def _own_samples(kind: str, n: int, n_features: int, rng: np.random.Generator) -> np.ndarray:
    """``(n, F)`` bool masks of kept features, as Lime or KernelShap draw them."""
    if kind == "lime":
        return rng.random((n, n_features)) < 0.5
    k = np.arange(1, n_features)
    weights = (n_features - 1) / (k * (n_features - k))
    kept = rng.choice(k, size=n, p=weights / weights.sum())
    order = np.argsort(rng.random((n, n_features)), axis=1)
    return order < kept[:, None]


def _local_perturb(original_inp: torch.Tensor, **kwargs) -> torch.Tensor:
    """Lime sampler keeping all interpretable features but 1..6 (torch's global generator)."""
    n_features = int(kwargs["num_interp_features"])
    n_off = int(torch.randint(1, 7, (1,)))
    sample = torch.ones(1, n_features, dtype=torch.long)
    sample[0, torch.randperm(n_features)[:n_off]] = 0
    return sample


def _scores(model, x: torch.Tensor, batch: int = 256) -> np.ndarray:
    with torch.no_grad():
        return np.concatenate(
            [model(x[i : i + batch])[:, 1].double().numpy() for i in range(0, len(x), batch)]
        )


def surrogate_fidelity(
    model,
    x,
    grammar,
    train: LocalDataset,
    heldout: LocalDataset,
    budget: int,
    n_samples: int,
    seed: int = 0,
) -> list[dict]:
    """Fidelity rows of GGGP, Lime and KernelShap explanations (see the module docstring)."""
    from captum._utils.models.linear_model import SkLearnLasso
    from captum.attr import KernelShap, Lime

    length = x.shape[2]
    original = float(_scores(model, x)[0])
    baseline = _snv_baseline(x, seed)
    mask = torch.arange(length).expand(1, 4, length)
    common = {
        "target": 1,
        "baselines": baseline,
        "feature_mask": mask,
        "n_samples": budget,
        "perturbations_per_eval": 64,
        "return_input_shape": False,
    }
    effects, seconds = {}, {}
    start = time.perf_counter()
    fit = fit_surrogate(train, grammar, "lasso", alpha=1e-3, test_fraction=0.0, seed=seed)
    effects["GGGP"], seconds["GGGP"] = fit.per_position(), time.perf_counter() - start
    explainers = {
        "Lime": Lime(model),
        "Lime-local": Lime(model, SkLearnLasso(alpha=1e-3), perturb_func=_local_perturb),
        "KernelShap": KernelShap(model),
    }
    for name, explainer in explainers.items():
        torch.manual_seed(seed)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            coefs = explainer.attribute(x, **common)
        effects[name] = coefs.reshape(-1).double().numpy()
        seconds[name] = time.perf_counter() - start

    # held-out sets: (edited-base indicator (n, L), observed score change (n,))
    touched, spec = edit_features(heldout.population(grammar), length, feature_width=1)
    footprint = np.zeros((len(heldout), length))
    footprint[:, spec.starts] = touched
    sets = {"gggp": (footprint, heldout.scores - original)}
    rng = np.random.default_rng(seed + 1)
    for kind in ("lime", "kshap"):
        kept = torch.from_numpy(_own_samples(kind, n_samples, length, rng))
        inputs = torch.where(kept[:, None, :], x, baseline)
        sets[kind] = ((~kept).double().numpy(), _scores(model, inputs) - original)
    rows = []
    for name, a in effects.items():
        row = {"task": "planted", "method": name, "evaluations": budget}
        if name == "GGGP":
            row["evaluations"] = int(train.provenance["evaluations"])
            row["fit_rows"] = len(train)
        else:
            row["fit_rows"] = budget
        for kind, (edited, observed) in sets.items():
            scores = fidelity(-edited @ a, observed)
            row[f"r2_{kind}"], row[f"rho_{kind}"] = scores["r2"], scores["spearman"]
        row["fit_s"] = seconds[name]
        rows.append(row)
        print(_format_fidelity_row(row), flush=True)
    return rows


def _fmt(value) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.3f}"
    return str(value)


ARCHIVE_COLUMNS = (
    "task",
    "method",
    "evaluations",
    "seeds",
    "q@25%",
    "q@50%",
    "q@100%",
    "quality",
    "quality_sd",
    "size",
    "uniformity",
    "diversity",
    "coverage",
    "archived",
    "bins_filled",
    "edit_distance",
    "matched_ed",
    "random_matched_ed",
    "random_share",
    "units",
    "prune_evals",
    "total_evals",
    "evals_per_s",
)
FIDELITY_COLUMNS = (
    "task",
    "method",
    "evaluations",
    "fit_rows",
    "r2_gggp",
    "rho_gggp",
    "r2_lime",
    "rho_lime",
    "r2_kshap",
    "rho_kshap",
    "fit_s",
)


def _format_archive_row(row: dict) -> str:
    return " | ".join(_fmt(row.get(c, math.nan)) for c in ARCHIVE_COLUMNS)


def _format_fidelity_row(row: dict) -> str:
    return " | ".join(_fmt(row[c]) for c in FIDELITY_COLUMNS)


def print_table(rows: list[dict]) -> None:
    """Print archive rows and fidelity rows as two pipe tables."""
    for columns, fmt in (
        (ARCHIVE_COLUMNS, _format_archive_row),
        (FIDELITY_COLUMNS, _format_fidelity_row),
    ):
        chosen = [r for r in rows if set(columns) <= set(r)]
        if chosen:
            print("\n| " + " | ".join(columns) + " |")
            print("|" + "---|" * len(columns))
            for row in chosen:
                print("| " + fmt(row) + " |")


def planted_rows(args: argparse.Namespace) -> list[dict]:
    """Archive quality and surrogate fidelity on the planted-motif CNN."""
    model, x, seconds = train_planted_model(args.train_sequences, args.epochs)
    print(
        f"planted-motif CNN trained in {seconds:.1f} s; reference score "
        f"{float(_scores(model, x)[0]):.4f}",
        flush=True,
    )
    from captum_genomics.dna.codec import decode

    reference = decode(x)[0]
    grammar = Grammar()
    scorer = ForwardScorer(model, target=1, n_value=0.25, name="planted_cnn")
    rows, first = run_archives(
        "planted",
        reference,
        scorer,
        grammar,
        args.evaluations,
        args.population,
        args.seeds,
        PLANTED_LENGTH,
        (),
        prune=not args.no_prune,
        tolerances=_tolerances(args),
        first_seed=args.first_seed,
    )
    settings = SearchSettings(
        population_size=args.population,
        max_evaluations=args.evaluations,
        sequence_length=PLANTED_LENGTH,
    )
    heldout = search(reference, scorer, grammar=grammar, settings=settings, seed=10_000)
    rows += surrogate_fidelity(
        model,
        x,
        grammar,
        LocalDataset.from_search(first),
        LocalDataset.from_search(heldout),
        args.evaluations,
        args.heldout,
    )
    return rows


def spliceai_rows(args: argparse.Namespace) -> list[dict]:
    """Archive quality on the TUBB8 internal exon with the published SpliceAI models."""
    from captum_genomics.models import load_spliceai
    from captum_genomics.splicing import IncrementalExonScorer, SpliceAIExonScorer, build_exon_input

    try:
        model = load_spliceai("spliceai", members=args.spliceai_members)
    except ModuleNotFoundError:
        print(
            "tubb8: skipped, the SpliceAI weights are not installed "
            "(pip install --no-deps spliceai==1.3.1)",
            flush=True,
        )
        return []
    exon = build_exon_input()
    if args.incremental:
        scorer = IncrementalExonScorer(model, exon.acceptor, exon.donor, reference=exon.sequence)
    else:
        scorer = SpliceAIExonScorer(model, exon.acceptor, exon.donor, batch_size=32)
    members = "+".join(str(m) for m in args.spliceai_members)
    rows = []
    for budget in args.spliceai_evaluations:
        rows += run_archives(
            f"tubb8[spliceai {members}{', incremental' if args.incremental else ''}]",
            exon.sequence,
            scorer,
            exon.grammar(),
            budget,
            args.spliceai_population,
            args.spliceai_seeds,
            None,
            scorer.tracked,
            prune=not args.no_prune,
            tolerances=_tolerances(args),
            first_seed=args.first_seed,
            methods=args.methods,
        )[0]
    return rows


def main(argv: Sequence[str] | None = None) -> list[dict]:
    """Run the benchmark, print its tables and return its rows (dicts)."""
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    rows: list[dict] = []
    if not args.skip_planted:
        rows += planted_rows(args)
    if not args.skip_spliceai:
        rows += spliceai_rows(args)
    print_table(rows)
    return rows


if __name__ == "__main__":
    main()
