"""Integrated gradients on long one-hot inputs (100 kb, 1 Mb): our explainer against Captum.

Each case runs in a fresh subprocess so that its peak memory (resident set size above the level
reached once the model and input exist) is its own. Paired cases do the same work: same model,
input, baseline, quadrature and steps.

Models:

- ``cnn``: a deepG-style CNN with a global-average head (any length): Conv(32, k9) -> ReLU ->
  MaxPool(4) -> BN -> Conv(64, k9) -> ReLU -> BN -> MaxPool(4) -> mean -> Dense(2).
- ``deep``: eight Conv(16, k9) -> ReLU -> BN blocks at full length, then MaxPool(4), mean,
  Dense(2): activations spread over many layers, where ``checkpoint_segments`` pays off.
- ``fcn``: a fully convolutional per-position model, (N, 4, L) -> (N, 2, L), receptive field
  +-12 nt; the explained score is output channel 1 at the central position. Captum runs it on
  the whole input; ours uses ``output_window=`` / ``receptive_field=``.

Plain Captum without ``internal_batch_size`` is skipped at 1 Mb when its memory, scaled from the
100 kb run, would not fit the machine; the line says so.

    python benchmarks/bench_ig.py                 # 100 kb and 1 Mb, 20 steps
    python benchmarks/bench_ig.py --quick         # 100 kb only
    python benchmarks/bench_ig.py --steps 50
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

# name: (model, library, n_references, internal_batch_size, checkpoint_segments)
CASES = {
    "captum cnn": ("cnn", "captum", 1, None, None),
    "captum cnn ibs=5": ("cnn", "captum", 1, 5, None),
    "ours cnn ibs=5": ("cnn", "ours", 1, 5, None),
    "ours cnn ibs=1": ("cnn", "ours", 1, 1, None),
    "captum cnn 10 shuffles ibs=10": ("cnn", "captum", 10, 10, None),
    "ours cnn 10 shuffles ibs=2": ("cnn", "ours", 10, 2, None),
    "captum fcn site ibs=5": ("fcn", "captum", 1, 5, None),
    "ours fcn site window": ("fcn", "ours", 1, 5, None),
    "captum deep ibs=5": ("deep", "captum", 1, 5, None),
    "ours deep ibs=1": ("deep", "ours", 1, 1, None),
    "ours deep ibs=1 ckpt=4": ("deep", "ours", 1, 1, 4),
}
PAIRS = [
    ("ours cnn ibs=5", "captum cnn ibs=5"),
    ("ours cnn ibs=1", "captum cnn ibs=5"),
    ("ours cnn 10 shuffles ibs=2", "captum cnn 10 shuffles ibs=10"),
    ("ours fcn site window", "captum fcn site ibs=5"),
    ("ours deep ibs=1", "captum deep ibs=5"),
    ("ours deep ibs=1 ckpt=4", "ours deep ibs=1"),
]
#: Cases left out at 1 Mb for time (10 references x steps whole-genome passes).
SLOW_AT_1MB = ("captum cnn 10 shuffles ibs=10", "ours cnn 10 shuffles ibs=2")
FCN_RADIUS = 12
MACHINE_MIB = 24 * 1024


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _model(kind: str):
    import torch

    from captum_genomics.models import DeepGCNN

    torch.manual_seed(0)
    if kind == "cnn":
        return DeepGCNN(None, filters=(32, 64), kernel_sizes=(9, 9), pool_sizes=(4, 4),
                        head="global_average").eval()
    if kind == "deep":
        return DeepGCNN(None, filters=(16,) * 8, kernel_sizes=9, pool_sizes=(1,) * 7 + (4,),
                        head="global_average").eval()
    return torch.nn.Sequential(  # receptive radius 4 + 2 * 4 = 12
        torch.nn.Conv1d(4, 32, 9, padding=4), torch.nn.ReLU(),
        torch.nn.Conv1d(32, 32, 9, padding=8, dilation=2), torch.nn.ReLU(),
        torch.nn.Conv1d(32, 2, 1),
    ).eval()


def run_case(name: str, length: int, n_steps: int, out_path: str) -> dict:
    """Run one case in this process, save its attributions, return time and peak memory."""
    import numpy as np
    import torch
    from captum.attr import IntegratedGradients

    from captum_genomics import GenomicIntegratedGradients, dinucleotide_shuffle

    kind, library, k, batch, segments = CASES[name]
    model = _model(kind)
    torch.manual_seed(1)
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (1, length)), 4).transpose(1, 2).float()
    refs = dinucleotide_shuffle(x, k, seed=0)[0] if k > 1 else torch.full_like(x, 0.25)
    site = length // 2
    target = (1, site) if kind == "fcn" else 1
    start_rss = _peak_rss_mib()
    start = time.perf_counter()
    if library == "captum":
        ig = IntegratedGradients(model)
        # expected IG in plain Captum: repeat the input once per reference
        attr = ig.attribute(x.expand(k, -1, -1), baselines=refs, target=target,
                            n_steps=n_steps, internal_batch_size=batch).mean(dim=0, keepdim=True)
    else:
        ig = GenomicIntegratedGradients(model)
        kwargs = {}
        if kind == "fcn":
            kwargs = dict(output_window=site, receptive_field=FCN_RADIUS)
            target = 1
        attr = ig.attribute(x, baselines=refs.unsqueeze(0), target=target, n_steps=n_steps,
                            internal_batch_size=batch, checkpoint_segments=segments, **kwargs)
    seconds = time.perf_counter() - start
    np.save(out_path, attr.detach().numpy())
    return {"name": name, "seconds": seconds,
            "peak_mib": max(0.0, _peak_rss_mib() - start_rss)}


def measure(name: str, length: int, n_steps: int, out_path: str) -> dict:
    """Run one case in a fresh interpreter."""
    out = subprocess.run(
        [sys.executable, __file__, "--case", name, "--length", str(length),
         "--steps", str(n_steps), "--out", out_path],
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(lengths=(100_000, 1_000_000), n_steps: int = 20) -> list[dict]:
    """Print time, peak memory and paired ratios for every case at every length.

    Parameters
    ----------
    lengths : sequence of int
        Input lengths, increasing (the largest plain-Captum memory is scaled from the first).
    n_steps : int
        Gauss-Legendre steps of every case.

    Returns
    -------
    list of dict
        One per compared pair: ``length``, ``ours``, ``peer``, ``time_ratio`` (peer / ours),
        ``memory_ratio`` (peer / ours) and ``max_abs_diff`` of the attributions.
    """
    import numpy as np

    rows = []
    print(f"IG, one sequence, {n_steps} Gauss-Legendre steps, uniform baseline unless stated; "
          "shared 2-core machine, figures taken under load")
    print(f"{'length':>9} {'case':<31} {'seconds':>8} {'peak MiB':>9}")
    plain_mib_per_nt = None
    for length in lengths:
        results = {}
        with tempfile.TemporaryDirectory() as tmp:
            paths = {name: os.path.join(tmp, f"{i}.npy") for i, name in enumerate(CASES)}
            for name in CASES:
                if length >= 1_000_000 and name in SLOW_AT_1MB:
                    print(f"{length:>9} {name:<31} skipped at 1 Mb (10 x {n_steps} passes over "
                          "the whole input; run it with --length)")
                    continue
                if name == "captum cnn" and plain_mib_per_nt is not None:
                    estimate = plain_mib_per_nt * length
                    if estimate > 0.75 * MACHINE_MIB:
                        print(f"{length:>9} {name:<31} skipped: about {estimate / 1024:.0f} GiB "
                              f"(scaled from {lengths[0]:,} nt) on a {MACHINE_MIB // 1024} GiB "
                              "machine")
                        continue
                r = measure(name, length, n_steps, paths[name])
                results[name] = r
                if name == "captum cnn" and plain_mib_per_nt is None:
                    plain_mib_per_nt = r["peak_mib"] / length
                print(f"{length:>9} {name:<31} {r['seconds']:>8.2f} {r['peak_mib']:>9.0f}")
            for ours, peer in PAIRS:
                if ours not in results or peer not in results:
                    continue
                o, p = results[ours], results[peer]
                diff = float(np.abs(np.load(paths[ours]) - np.load(paths[peer])).max())
                row = {"length": length, "ours": ours, "peer": peer,
                       "time_ratio": p["seconds"] / o["seconds"],
                       "memory_ratio": p["peak_mib"] / max(o["peak_mib"], 1.0),
                       "max_abs_diff": diff}
                rows.append(row)
                print(f"{length:>9} {ours} vs {peer}: {row['time_ratio']:.2f}x faster, "
                      f"{row['memory_ratio']:.2f}x less memory, max |attribution difference| "
                      f"{diff:.1e}")
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=sorted(CASES))
    parser.add_argument("--length", type=int, default=None)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--out", default=None)
    parser.add_argument("--quick", action="store_true", help="100 kb only")
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.length or 100_000, args.steps, args.out)))
    elif args.length:
        main(lengths=(args.length,), n_steps=args.steps)
    else:
        main(lengths=(100_000,) if args.quick else (100_000, 1_000_000), n_steps=args.steps)
