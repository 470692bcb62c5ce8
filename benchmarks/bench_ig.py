"""Integrated gradients on long one-hot inputs: our explainer against plain Captum.

Each case runs in a fresh subprocess so that its peak memory (resident set size
above the level reached once the model and input exist) is its own. Same model,
same input, same number of steps on both sides.

    python benchmarks/bench_ig.py            # 10 kb and 100 kb
    python benchmarks/bench_ig.py --quick    # 10 kb only
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

CASES = {
    # name: (library, baseline, n_references, internal_batch_size)
    "captum uniform": ("captum", "uniform", 1, None),
    "ours uniform": ("ours", "uniform", 1, None),
    "captum uniform ibs=5": ("captum", "uniform", 1, 5),
    "ours uniform ibs=5": ("ours", "uniform", 1, 5),
    "captum 10 shuffles ibs=10": ("captum", "shuffle", 10, 10),
    "ours 10 shuffles ibs=10": ("ours", "shuffle", 10, 10),
}
PAIRS = [
    ("ours uniform", "captum uniform"),
    ("ours uniform ibs=5", "captum uniform ibs=5"),
    ("ours 10 shuffles ibs=10", "captum 10 shuffles ibs=10"),
]


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_case(name: str, length: int, n_steps: int) -> dict:
    """Run one case in this process and return its time and peak extra memory."""
    import torch
    from captum.attr import IntegratedGradients

    from captum_genomics import GenomicIntegratedGradients, dinucleotide_shuffle
    from captum_genomics.models import DeepGCNN

    library, baseline, k, batch = CASES[name]
    torch.manual_seed(0)
    model = DeepGCNN(filters=(32, 64), kernel_sizes=(9, 9), pool_sizes=(4, 4),
                     head="global_average").eval()
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (1, length)), 4).transpose(1, 2).float()
    refs = dinucleotide_shuffle(x, k, seed=0)[0] if baseline == "shuffle" else None
    start_rss = _peak_rss_mib()
    start = time.perf_counter()
    if library == "captum":
        ig = IntegratedGradients(model)
        if baseline == "shuffle":
            # expected IG in plain Captum: repeat the input once per reference
            attr = ig.attribute(x.expand(k, -1, -1), baselines=refs, target=1, n_steps=n_steps,
                                internal_batch_size=batch).mean(dim=0, keepdim=True)
        else:
            attr = ig.attribute(x, baselines=torch.full_like(x, 0.25), target=1,
                                n_steps=n_steps, internal_batch_size=batch)
    else:
        ig = GenomicIntegratedGradients(model)
        spec = refs.unsqueeze(0) if baseline == "shuffle" else "uniform"
        attr = ig.attribute(x, baselines=spec, target=1, n_steps=n_steps,
                            internal_batch_size=batch)
    seconds = time.perf_counter() - start
    return {"name": name, "seconds": seconds,
            "peak_mib": max(0.0, _peak_rss_mib() - start_rss),
            "checksum": float(attr.sum())}


def measure(name: str, length: int, n_steps: int) -> dict:
    """Run one case in a fresh interpreter."""
    out = subprocess.run(
        [sys.executable, __file__, "--case", name, "--length", str(length),
         "--steps", str(n_steps)],
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(lengths=(10_000, 100_000), n_steps: int = 50) -> list[dict]:
    """Print time, peak memory and ratios for every case at every length."""
    rows = []
    print(f"{'length':>8} {'case':<28} {'seconds':>8} {'peak MiB':>9}")
    for length in lengths:
        results = {name: measure(name, length, n_steps) for name in CASES}
        for name, r in results.items():
            print(f"{length:>8} {name:<28} {r['seconds']:>8.2f} {r['peak_mib']:>9.0f}")
        for ours, peer in PAIRS:
            o, p = results[ours], results[peer]
            same = abs(o["checksum"] - p["checksum"]) <= 1e-4 * max(1.0, abs(p["checksum"]))
            row = {"length": length, "ours": ours, "peer": peer,
                   "time_ratio": p["seconds"] / o["seconds"],
                   "memory_ratio": p["peak_mib"] / max(o["peak_mib"], 1.0),
                   "same_result": same}
            rows.append(row)
            print(f"{length:>8} {ours} vs {peer}: {row['time_ratio']:.2f}x faster, "
                  f"{row['memory_ratio']:.2f}x less memory, same attributions: {same}")
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=sorted(CASES))
    parser.add_argument("--length", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="10 kb only")
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.length, args.steps)))
    else:
        main(lengths=(10_000,) if args.quick else (10_000, 100_000), n_steps=args.steps)
