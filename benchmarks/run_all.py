"""Run every benchmark on small settings and print one table: measured, ours, peer, ratio.

    python benchmarks/run_all.py                 # all benchmarks, small settings
    python benchmarks/run_all.py --only shuffle  # a subset

Each benchmark still prints its own detailed tables as it runs; the summary at the end
keeps one line per comparison. Ratios are "ours / peer" for rates and qualities and
"peer / ours" for times and memory, so a ratio above 1 always favours us. Figures taken
on a loaded machine move; ratios within one run are the comparable numbers.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent


class Comparison(NamedTuple):
    """One line of the summary table."""

    benchmark: str
    measured: str
    ours: str
    peer: str
    ratio: float


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", HERE / f"bench_{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _shuffle() -> list[Comparison]:
    result = _load("shuffle").main(["--repeats", "3", "--samples-per-class", "40"])
    out = []
    for row in result["speed"]:
        if "tangermeme_1_positions_s" in row:
            out.append(Comparison(
                "shuffle", f"dinucleotide shuffles/s, L={row['length']}",
                f"{row['ours_positions_s'] / 1e6:.1f} M/s",
                f"tangermeme {row['tangermeme_1_positions_s'] / 1e6:.1f} M/s",
                row["ours_positions_s"] / row["tangermeme_1_positions_s"]))
    uniform = result["uniformity"]
    if "tangermeme" in uniform:
        size = uniform["class_size"]
        ours, theirs = uniform["captum_genomics"], uniform["tangermeme"]
        out.append(Comparison(
            "shuffle", f"shuffles reached of {size}",
            f"{ours[0]} (chi2 p={ours[1]:.2f})", f"tangermeme {theirs[0]} (p={theirs[1]:.2g})",
            ours[0] / max(theirs[0], 1)))
    return out


def _spliceai() -> list[Comparison]:
    rows = _load("spliceai").main(threads=(1,), repeats=2, keras=True)
    out = []
    keras = {r["case"]: r["seq_per_s"] for r in rows if r["model"] == "keras"}
    for row in rows:
        if row["model"] == "one model" and row["precision"] == "fp32" and row["case"] in keras:
            out.append(Comparison("spliceai", f"sequences/s, {row['case']}",
                                  f"{row['seq_per_s']:.2f}", f"keras {keras[row['case']]:.2f}",
                                  row["seq_per_s"] / keras[row["case"]]))
    if not out:
        for row in rows:
            if row["precision"] == "fp32":
                out.append(Comparison("spliceai", f"sequences/s, {row['case']}, {row['model']}",
                                      f"{row['seq_per_s']:.2f}", "keras not installed",
                                      math.nan))
    return out


def _incremental() -> list[Comparison]:
    rows = _load("incremental").main(["--rounds", "2"])
    return [Comparison("incremental", f"exon scores/s, {r['units']} unit(s)",
                       f"{r['incremental_eval_s']:.1f}", f"plain forward {r['plain_eval_s']:.2f}",
                       r["ratio"]) for r in rows]


def _gggp() -> list[Comparison]:
    rows = _load("gggp").main(["--seeds", "2", "--incremental", "--spliceai-members", "1", "2",
                               "3", "4", "5", "--spliceai-evaluations", "500"])
    out = []
    archives = [r for r in rows if "q@100%" in r]
    for task in sorted({r["task"] for r in archives}):
        by_method = {r["method"]: r for r in archives if r["task"] == task}
        if "GGGP-BinFiller" in by_method and "random" in by_method:
            ours, peer = by_method["GGGP-BinFiller"], by_method["random"]
            out.append(Comparison("gggp", f"archive quality, {task}, {ours['evaluations']} evals",
                                  f"{ours['q@100%']:.3f}", f"random {peer['q@100%']:.3f}",
                                  ours["q@100%"] / peer["q@100%"]))
    fidelity = {r["method"]: r for r in rows if "rho_gggp" in r}
    for peer_name in ("Lime", "KernelShap"):
        if "GGGP" in fidelity and peer_name in fidelity:
            ours, peer = fidelity["GGGP"]["rho_gggp"], fidelity[peer_name]["rho_gggp"]
            out.append(Comparison("gggp", "surrogate Spearman on held-out GGGP edits",
                                  f"{ours:.3f}", f"{peer_name} {peer:.3f}", ours / peer
                                  if peer and not math.isnan(peer) else math.nan))
    return out


def _methods() -> list[Comparison]:
    rows = _load("methods").main(["--levels", "base", "lowest", "--n-explain", "8",
                                  "--methods", "ig_uniform", "ig_shuffle", "ig_zeros",
                                  "ig_corrected", "gradient_shap", "deeplift"])
    out = []
    for level in ("base", "lowest"):
        scores = {r["method"]: r["auroc"] for r in rows if r["level"] == level}
        peer = scores["ig_zeros"]
        for ours in ("ig_shuffle", "ig_corrected"):
            out.append(Comparison("methods", f"motif AUROC, {level} entropy",
                                  f"{ours} {scores[ours]:.3f}", f"Captum IG zeros {peer:.3f}",
                                  scores[ours] / peer))
    return out


def _ig() -> list[Comparison]:
    rows = _load("ig").main(lengths=(100_000,), n_steps=20)
    out = []
    for r in rows:
        what = f"IG {r['length'] // 1000} kb, {r['ours']} vs {r['peer']}"
        out.append(Comparison("ig", f"time, {what}", r["ours"], r["peer"], r["time_ratio"]))
        out.append(Comparison("ig", f"peak memory, {what}", r["ours"], r["peer"],
                              r["memory_ratio"]))
    return out


def _ig_spliceai() -> list[Comparison]:
    rows = {r["name"]: r for r in _load("ig_spliceai").main(members=2, n_steps=50)}
    out = []
    for peer in ("captum", "captum straightforward", "tangermeme"):
        if peer not in rows:
            continue
        for ours in ("ours same", "ours tol"):
            o, p = rows[ours], rows[peer]
            out.append(Comparison(
                "ig_spliceai", f"seconds, one SpliceAI site (|delta| {abs(o['delta']):.1e} vs "
                f"{abs(p['delta']):.1e})", f"{ours} {o['seconds']:.1f}",
                f"{peer} {p['seconds']:.1f}", p["seconds"] / o["seconds"]))
            out.append(Comparison(
                "ig_spliceai", "extra peak MiB, one SpliceAI site", f"{ours} {o['extra_mib']:.0f}",
                f"{peer} {p['extra_mib']:.0f}", p["extra_mib"] / max(o["extra_mib"], 1.0)))
    return out


def _ism() -> list[Comparison]:
    row = _load("ism").main(["--window", "10", "--naive", "4"])
    return [Comparison("ism", "exact ISM mutants/s, TUBB8 acceptor",
                       f"incremental {row['ours_mutants_s']:.2f}",
                       f"naive {row['naive_mutants_s']:.2f}",
                       row["ours_mutants_s"] / row["naive_mutants_s"])]


def _variants() -> list[Comparison]:
    row = _load("variants").main(["--variants", "20", "--ism-window", "10"])
    out = [Comparison("variants", "SpliceAI VCF records/s (identical strings)",
                      f"incremental {row['incremental_variants_s']:.2f}",
                      f"our plain {row['plain_variants_s']:.2f}",
                      row["incremental_variants_s"] / row["plain_variants_s"])]
    if "upstream_variants_s" in row:
        out.append(Comparison("variants", "SpliceAI VCF records/s",
                              f"incremental {row['incremental_variants_s']:.2f}",
                              f"SpliceAI 1.3.1 {row['upstream_variants_s']:.2f}",
                              row["incremental_variants_s"] / row["upstream_variants_s"]))
    return out


def _batch() -> list[Comparison]:
    rows = _load("batch").main(["--regions", "12"])
    return [Comparison("batch", f"IG regions/min, {r['engine']} x{r['workers']}",
                       f"{r['regions_per_minute']:.1f}",
                       f"local x1 {rows[0]['regions_per_minute']:.1f}", r["ratio"])
            for r in rows[1:]]


BENCHMARKS: dict[str, Callable[[], list[Comparison]]] = {
    "ig": _ig,
    "ig_spliceai": _ig_spliceai,
    "shuffle": _shuffle,
    "spliceai": _spliceai,
    "incremental": _incremental,
    "gggp": _gggp,
    "methods": _methods,
    "ism": _ism,
    "variants": _variants,
    "batch": _batch,
}


def print_table(rows: list[Comparison]) -> None:
    """Print the summary table."""
    header = ("benchmark", "measured", "ours", "peer")
    widths = [max(len(h), *(len(getattr(r, h)) for r in rows)) for h in header]
    print("\n" + "  ".join(h.ljust(w) for h, w in zip(header, widths)) + "  ratio")
    for r in rows:
        cells = (r.benchmark, r.measured, r.ours, r.peer)
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths)) + f"  {r.ratio:.2f}")


def main(argv: list[str] | None = None) -> list[Comparison]:
    """Run the chosen benchmarks and print the summary table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), default=list(BENCHMARKS))
    args = parser.parse_args(argv)
    rows: list[Comparison] = []
    for name in args.only:
        print(f"\n===== {name} =====", flush=True)
        rows += BENCHMARKS[name]()
    print_table(rows)
    return rows


if __name__ == "__main__":
    main()
