"""Regions per minute of ``captum-genomics batch`` (IG) with 1 and 2 local workers and with 2
Ray actors, on the same regions of the embedded chr10 FASTA, and the ratios to 1 local worker.

The model is a small TorchScript CNN (Conv(16, k9) -> Softplus -> Conv(16, k9) -> Softplus ->
mean -> Linear(2)); regions are ``--length`` nt, tiled over chr10:60,001-110,000 (sequence,
not N), alternating strands. Times are wall clock of whole runs: worker start-up (a process
or actor importing torch and loading the model) included, as a user sees it; more
``--regions`` make start-up weigh less. Every engine's arrays are checked equal to the first
engine's.

    python benchmarks/bench_batch.py                      # 24 regions of 1 kb, 20 steps
    python benchmarks/bench_batch.py --regions 48 --engines local:1 local:2 ray:2
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from captum_genomics import example_fasta_path
from captum_genomics.batch import run_batch
from captum_genomics.cli import build_parser

FIRST, LAST = 60_001, 110_000  # chr10 bases of the embedded FASTA that are not N


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, default=24, help="regions per run")
    parser.add_argument("--length", type=int, default=1000, help="nt per region")
    parser.add_argument("--steps", type=int, default=20, help="IG path points")
    parser.add_argument("--engines", nargs="+", default=["local:1", "local:2", "ray:2"],
                        help="engine:workers cases; the first is the reference of the ratios")
    return parser.parse_args(argv)


def _cnn() -> torch.jit.ScriptModule:
    torch.manual_seed(0)
    return torch.jit.script(torch.nn.Sequential(
        torch.nn.Conv1d(4, 16, 9, padding=4), torch.nn.Softplus(),
        torch.nn.Conv1d(16, 16, 9, padding=4), torch.nn.Softplus(),
        torch.nn.AdaptiveAvgPool1d(1), torch.nn.Flatten(), torch.nn.Linear(16, 2)).eval())


def _bed(path: Path, n_regions: int, length: int) -> None:
    step = (LAST - FIRST + 1) // n_regions
    if step < length:
        raise SystemExit(f"{n_regions} regions of {length} nt do not fit in chr10:{FIRST}-{LAST}")
    path.write_text("".join(
        f"chr10\t{FIRST - 1 + i * step}\t{FIRST - 1 + i * step + length}\tr{i}\t0\t"
        f"{'+-'[i % 2]}\n" for i in range(n_regions)))


def _arrays(out: Path) -> dict[str, np.ndarray]:
    arrays = {}
    for path in sorted((out / "regions").glob("*.npz")):
        with np.load(path) as npz:
            arrays[path.name] = npz["uniform_0"]
    return arrays


def main(argv: Sequence[str] | None = None) -> list[dict]:
    """Run the benchmark, print the table, return its rows (engine, workers, seconds,
    regions_per_minute, ratio, same_arrays)."""
    args = parse_args(argv)
    rows, reference = [], None
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model, bed = tmp / "cnn.pt", tmp / "regions.bed"
        _cnn().save(str(model))
        _bed(bed, args.regions, args.length)
        for case in args.engines:
            engine, workers = case.split(":")
            out = tmp / case.replace(":", "_")
            options = build_parser().parse_args(
                ["batch", "--fasta", str(example_fasta_path()), "--regions", str(bed),
                 "--model", str(model), "--target", "1", "--steps", str(args.steps),
                 "--output-dir", str(out), "--engine", engine, "--workers", workers,
                 "--quiet"])
            start = time.perf_counter()
            summary = run_batch(options)
            seconds = time.perf_counter() - start
            if summary.failed:
                raise RuntimeError(f"{case}: regions failed: {summary.failed}")
            arrays = _arrays(out)
            reference = reference or arrays
            same = list(arrays) == list(reference) and all(
                np.array_equal(arrays[k], reference[k]) for k in reference)
            rate = 60 * len(summary.done) / seconds
            rows.append({"engine": engine, "workers": int(workers), "seconds": seconds,
                         "regions_per_minute": rate,
                         "ratio": rate / rows[0]["regions_per_minute"] if rows else 1.0,
                         "same_arrays": same})
    print(f"{args.regions} regions of {args.length} nt, IG {args.steps} steps, "
          "wall clock with worker start-up")
    print(f"{'engine':<8}{'workers':>8}{'seconds':>10}{'regions/min':>13}{'ratio':>8}"
          f"{'same arrays':>13}")
    for row in rows:
        print(f"{row['engine']:<8}{row['workers']:>8}{row['seconds']:>10.1f}"
              f"{row['regions_per_minute']:>13.1f}{row['ratio']:>8.2f}{row['same_arrays']!s:>13}")
    return rows


if __name__ == "__main__":
    main()
