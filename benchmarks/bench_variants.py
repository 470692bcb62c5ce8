"""SpliceAI variant scoring: upstream's CLI vs ours (plain and incremental), and exact ISM.

Input: a VCF of ``--variants`` random variants (SNVs with one to three ALTs, insertions and
deletions of 1-5 nt, VCF-anchored; seed ``--seed``) inside TUBB8 (chr10:92893-95529, minus
strand, the one grch37 gene of the embedded FASTA chr10:1-110000), written to a temporary
directory, scored with ``-A grch37 -D 50 -M 0``. It times

* upstream SpliceAI 1.3.1's own command (``--upstream``, e.g. a TensorFlow venv's
  ``spliceai``) as a subprocess on the VCF and on its first record alone, so that start-up
  and model loading cancel out: variants/s = (N - 1) / (t(N) - t(1)).  (Timing the VCF twice
  over instead, N / (t(2N) - t(N)), charges upstream for its slowdown on longer runs: with
  100 records it gave 0.29 variants/s and a negative load);
* ours in this process, :func:`~captum_genomics.variants.score_vcf` with ``engine="plain"``
  (every REF and ALT window through the ensemble) and ``engine="incremental"`` (the reference
  of nearby windows cached once, each ALT rescored on its cone), after loading the model once
  (its load time is printed);

and reports variants/s, their ratios, peak resident memory (upstream: the child's; ours: this
process's peak so far, after each step) and whether the output files are identical. With
``--explain K`` it times :func:`~captum_genomics.variants.explain_deltas` on the first ``K``
records' first ALTs (every kind, ``min_score`` 0, ``--explain-steps`` steps; no peer explains
delta scores): items/s and the completeness gap of the worst item. It then
runs ``benchmarks/bench_ism.py`` (exact ISM vs naive ISM on the TUBB8 acceptor) on
``--ism-window`` positions. The two engines and the ISM use ``--threads`` torch threads;
upstream's TensorFlow is limited to as many through its ``*_NUM_THREADS`` variables.

    python benchmarks/bench_variants.py --variants 200 --threads 2
    python benchmarks/bench_variants.py --variants 4 --members 1 --upstream none --ism-window 0
    python benchmarks/bench_variants.py --variants 4 --upstream none --ism-window 0 --explain 2

Uses the published five-model ensemble when spliceai 1.3.1 is installed, else random-weight
SpliceAI-10k models (same speed, meaningless scores; a note says so).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_ism  # noqa: E402

from captum_genomics.dna.fasta import _open_fasta  # noqa: E402
from captum_genomics.example_data import example_fasta_path  # noqa: E402
from captum_genomics.variants import (  # noqa: E402
    Variant,
    explain_deltas,
    read_gene_table,
    score_vcf,
)

GENE = ("TUBB8", 92893, 95529)
UPSTREAM = "/tmp/tfvenv/bin/spliceai"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=200, help="records in the VCF")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (all engines)")
    parser.add_argument("--members", type=int, default=5, help="ensemble members (ours)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--upstream", default=UPSTREAM,
                        help="upstream's spliceai command ('none' to skip)")
    parser.add_argument("--ism-window", type=int, default=30, help="ISM positions (0: skip)")
    parser.add_argument("--random-weights", action="store_true", help="skip the real weights")
    parser.add_argument("--explain", type=int, default=0,
                        help="records whose delta scores are explained (0: skip)")
    parser.add_argument("--explain-steps", type=int, default=16, help="IG steps (explain)")
    args = parser.parse_args(argv)
    if args.variants < 2 and args.upstream != "none":
        parser.error("--variants must be >= 2 to time upstream (its rate needs N - 1 records)")
    if args.explain < 0 or args.explain_steps < 1:
        parser.error("--explain must be >= 0 and --explain-steps >= 1")
    return args


def write_vcf(path: Path, count: int, seed: int, keep: int | None = None) -> None:
    """``count`` random SNVs/indels inside TUBB8, sorted (only the first ``keep`` written)."""
    rng = np.random.default_rng(seed)
    handle, owned = _open_fasta(example_fasta_path())
    _, lo, hi = GENE
    rows = []
    for n, pos in enumerate(np.sort(rng.integers(lo, hi - 6, count))):
        pos = int(pos)
        base = str(handle["chr10"][pos - 1:pos]).upper()
        kind = rng.choice(3, p=[0.7, 0.15, 0.15])
        if kind == 0:
            others = [b for b in "ACGT" if b != base]
            ref, alts = base, others[:int(rng.integers(1, 4))]
        elif kind == 1:
            ref, alts = base, [base + "".join(rng.choice(list("ACGT"), rng.integers(1, 6)))]
        else:
            ref = str(handle["chr10"][pos - 1:pos + int(rng.integers(1, 6))]).upper()
            alts = [ref[0]]
        rows.append(f"10\t{pos}\tb{n}\t{ref}\t{','.join(alts)}\t.\t.\t.")
    if owned:
        handle.close()
    header = "##fileformat=VCFv4.2\n##contig=<ID=10,length=110000>\n"
    header += "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    path.write_text(header + "\n".join(rows[:keep]) + "\n")


def read_first_alts(path: Path, count: int) -> list[Variant]:
    """The first ALT of the first ``count`` records of a VCF written by :func:`write_vcf`."""
    rows = [line.split("\t") for line in path.read_text().splitlines()
            if line and not line.startswith("#")]
    return [Variant(r[0], int(r[1]), r[3], r[4].split(",")[0]) for r in rows[:count]]


def time_explain(model, vcf: Path, table, records: int, n_steps: int) -> dict:
    """Seconds, items and worst completeness gap of explain_deltas on ``records`` variants."""
    begin = time.perf_counter()
    items = list(explain_deltas(model, str(example_fasta_path()), read_first_alts(vcf, records),
                                table, min_score=0.0, distance=50, n_steps=n_steps,
                                internal_batch_size=16))
    seconds = time.perf_counter() - begin
    return {"explain_items": len(items), "explain_s": seconds,
            "explain_items_s": len(items) / seconds,
            "explain_worst_gap": max((abs(i.convergence_delta) for i in items), default=0.0)}


def _peak_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def run_upstream(command: str, vcf: Path, out: Path, threads: int) -> float:
    """Seconds of one upstream run (model loading included)."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), TF_NUM_INTRAOP_THREADS=str(threads),
               TF_NUM_INTEROP_THREADS="1", TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    begin = time.perf_counter()
    subprocess.run([command, "-I", str(vcf), "-O", str(out), "-R", str(example_fasta_path()),
                    "-A", "grch37", "-D", "50", "-M", "0"], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - begin


def _body(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if not line.startswith("##")]


def main(argv: Sequence[str] | None = None) -> dict:
    """Run the benchmark, print the figures, return them."""
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    table = read_gene_table("grch37")
    row: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        vcf, vcf1 = tmp / "in.vcf", tmp / "in1.vcf"
        write_vcf(vcf, args.variants, args.seed)
        write_vcf(vcf1, args.variants, args.seed, keep=1)
        begin = time.perf_counter()
        model, label = bench_ism.load_model(args.members, args.random_weights)
        row["load_s"] = time.perf_counter() - begin
        print(f"model: {label}; threads: {args.threads}; {args.variants} records in TUBB8 "
              f"(seed {args.seed}), -A grch37 -D 50 -M 0")
        outputs = {}
        for engine in ("plain", "incremental"):
            outputs[engine] = tmp / f"{engine}.vcf"
            begin = time.perf_counter()
            score_vcf(vcf, outputs[engine], example_fasta_path(), table, 50, False, model=model,
                      engine=engine)
            row[f"{engine}_s"] = time.perf_counter() - begin
            row[f"{engine}_variants_s"] = args.variants / row[f"{engine}_s"]
            row[f"{engine}_peak_mib"] = _peak_mib(resource.RUSAGE_SELF)
        row["engines_identical"] = _body(outputs["plain"]) == _body(outputs["incremental"])
        if args.explain:
            row.update(time_explain(model, vcf, table, args.explain, args.explain_steps))
            row["explain_peak_mib"] = _peak_mib(resource.RUSAGE_SELF)
        upstream = args.upstream != "none" and Path(args.upstream).is_file()
        if upstream:
            t1 = run_upstream(args.upstream, vcf1, tmp / "up1.vcf", args.threads)
            tn = run_upstream(args.upstream, vcf, tmp / "up.vcf", args.threads)
            row["upstream_s"], row["upstream_1_s"] = tn, t1
            row["upstream_variants_s"] = (args.variants - 1) / max(tn - t1, 1e-9)
            row["upstream_peak_mib"] = _peak_mib(resource.RUSAGE_CHILDREN)
            row["upstream_identical"] = _body(tmp / "up.vcf") == _body(outputs["incremental"])
        else:
            print(f"note: upstream's command {args.upstream!r} is not available; its column "
                  "is skipped")

    print()
    print(f"{'engine':<22}{'variants/s':>11}{'time s':>9}{'peak MiB':>10}   vs upstream")
    base = row.get("upstream_variants_s")
    if upstream:
        print(f"{'upstream 1.3.1 (TF)':<22}{base:>11.2f}{row['upstream_s']:>9.1f}"
              f"{row['upstream_peak_mib']:>10.0f}   1.0x  (one record: "
              f"{row['upstream_1_s']:.1f} s, start-up and load, excluded from variants/s)")
    for engine in ("plain", "incremental"):
        ratio = f"{row[f'{engine}_variants_s'] / base:.1f}x" if base else "-"
        print(f"{'ours ' + engine:<22}{row[f'{engine}_variants_s']:>11.2f}"
              f"{row[f'{engine}_s']:>9.1f}{row[f'{engine}_peak_mib']:>10.0f}   {ratio}")
    print(f"ours: model load {row['load_s']:.1f} s (excluded); incremental / plain "
          f"{row['incremental_variants_s'] / row['plain_variants_s']:.1f}x")
    print(f"identical records: plain == incremental {row['engines_identical']}"
          + (f", upstream == ours {row['upstream_identical']}" if upstream else ""))
    if args.explain:
        print(f"explain_deltas ({args.explain} records, every kind, {args.explain_steps} steps): "
              f"{row['explain_items']} items in {row['explain_s']:.1f} s, "
              f"{row['explain_items_s']:.2f} items/s, {row['explain_peak_mib']:.0f} MiB peak; "
              f"worst completeness gap {row['explain_worst_gap']:.3f}")
    if args.ism_window:
        print()
        print("exact ISM (benchmarks/bench_ism.py):")
        row["ism"] = bench_ism.main(
            ["--members", str(args.members), "--threads", str(args.threads), "--window",
             str(args.ism_window), "--naive", "4", "--rounds", "1", "--ig-steps", "4"]
            + (["--random-weights"] if args.random_weights else []))
    return row


if __name__ == "__main__":
    main()
