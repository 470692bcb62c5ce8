"""Dinucleotide shuffles: captum_genomics against tangermeme, for speed and uniformity.

Speed: shuffled positions per second (sequences x shuffles x length / seconds, best of
``--repeats``) of ``captum_genomics.dinucleotide_shuffle`` and of
``tangermeme.ersatz.dinucleotide_shuffle`` on the same random one-hot batch, float32 on the
CPU, for each length. tangermeme runs with its default ``n_jobs=1`` and with ``n_jobs=2``.

Uniformity: both draw ``--samples-per-class`` x 306 shuffles of ACGTACGGTCATGA, which has
exactly 306 dinucleotide-preserving shuffles (enumerated here); the script prints how many
of the 306 each reaches and the chi-square p-value against equal frequencies.

    python benchmarks/bench_shuffle.py                    # N=64, n=20, L=1000 and 10000
    python benchmarks/bench_shuffle.py --lengths 1000 --repeats 1
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import numpy as np
import torch

from captum_genomics.dna.shuffle import dinucleotide_shuffle

UNIFORMITY_SEQUENCE = "ACGTACGGTCATGA"


def _random_one_hot(n_seqs: int, length: int, seed: int) -> torch.Tensor:
    """Random A/C/G/T one-hot batch, shape (n_seqs, 4, length), float32."""
    codes = np.random.default_rng(seed).integers(0, 4, size=(n_seqs, length))
    return torch.from_numpy(np.eye(4, dtype=np.float32)[codes].transpose(0, 2, 1).copy())


def _one_hot(sequence: str) -> torch.Tensor:
    """One-hot of an A/C/G/T string, shape (1, 4, len(sequence)), float32."""
    codes = np.array(["ACGT".index(c) for c in sequence])
    return torch.from_numpy(np.eye(4, dtype=np.float32)[codes].T.copy())[None]


def _decode(x: torch.Tensor) -> list[str]:
    """Strings of a one-hot batch, shape (n, 4, L)."""
    return ["".join("ACGT"[i] for i in row) for row in x.argmax(dim=1).tolist()]


def enumerate_dinucleotide_shuffles(sequence: str) -> set[str]:
    """All sequences with the dinucleotide counts and end letters of ``sequence``.

    Parameters
    ----------
    sequence : str
        Short A/C/G/T string (the search is exhaustive).

    Returns
    -------
    set of str
    """
    pairs = Counter(sequence[i : i + 2] for i in range(len(sequence) - 1))
    found: set[str] = set()
    stack = [(sequence[0], pairs)]
    while stack:
        prefix, left = stack.pop()
        if len(prefix) == len(sequence):
            found.add(prefix)
            continue
        for letter in "ACGT":
            pair = prefix[-1] + letter
            if left[pair]:
                stack.append((prefix + letter, left - Counter([pair])))
    return found


def _best_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _tangermeme_shuffle():
    try:
        from tangermeme.ersatz import dinucleotide_shuffle as peer
    except ImportError:
        return None
    return peer


def run_speed(
    n_seqs: int, n_shuffles: int, lengths: list[int], repeats: int, seed: int
) -> list[dict]:
    """Print throughput of ours and tangermeme's for each length; return one row per length."""
    rows = []
    peer = _tangermeme_shuffle()
    if peer is None:
        print("tangermeme not installed; skipping peer")
    else:  # numba compiles on first call; keep that out of the timings
        warm = _random_one_hot(2, 64, seed)
        for jobs in (1, 2):
            peer(warm, n=2, random_state=seed, n_jobs=jobs)
    print(f"speed: N={n_seqs} sequences x n={n_shuffles} shuffles, best of {repeats}")
    print(f"{'L':>7} {'library':<24} {'seconds':>8} {'M positions/s':>14} {'ours / peer':>12}")
    for length in lengths:
        x = _random_one_hot(n_seqs, length, seed)
        positions = n_seqs * n_shuffles * length
        ours = _best_time(lambda x=x: dinucleotide_shuffle(x, n_shuffles, seed=seed), repeats)
        print(f"{length:>7} {'captum_genomics':<24} {ours:>8.3f} {positions / ours / 1e6:>14.1f}")
        row = {"length": length, "ours_positions_s": positions / ours}
        rows.append(row)
        if peer is None:
            continue
        for jobs in (1, 2):
            theirs = _best_time(
                lambda x=x, jobs=jobs: peer(x, n=n_shuffles, random_state=seed, n_jobs=jobs),
                repeats,
            )
            name = f"tangermeme n_jobs={jobs}"
            row[f"tangermeme_{jobs}_positions_s"] = positions / theirs
            print(
                f"{length:>7} {name:<24} {theirs:>8.3f} {positions / theirs / 1e6:>14.1f}"
                f" {theirs / ours:>12.2f}"
            )
    return rows


def run_uniformity(samples_per_class: int, seed: int) -> dict:
    """Print how uniformly each library covers the shuffles of UNIFORMITY_SEQUENCE.

    Returns ``{library: (shuffles reached, chi-square p-value)}`` and the class size
    under ``"class_size"``.
    """
    from scipy.stats import chisquare

    members = enumerate_dinucleotide_shuffles(UNIFORMITY_SEQUENCE)
    space = sorted(members)
    n_draws = samples_per_class * len(space)
    print(
        f"uniformity: {UNIFORMITY_SEQUENCE} has {len(space)} dinucleotide shuffles; "
        f"{n_draws} draws each"
    )
    x = _one_hot(UNIFORMITY_SEQUENCE)
    draws = {"captum_genomics": lambda: dinucleotide_shuffle(x, n_draws, seed=seed)[0]}
    peer = _tangermeme_shuffle()
    if peer is None:
        print("tangermeme not installed; skipping peer")
    else:
        draws["tangermeme"] = lambda: peer(x, n=n_draws, random_state=seed)[0]
    reached = {"class_size": len(space)}
    for name, draw in draws.items():
        counts = Counter(_decode(draw()))
        outside = sum(c for s, c in counts.items() if s not in members)
        observed = np.array([counts[s] for s in space])
        p_value = chisquare(observed).pvalue
        print(
            f"  {name:<16} reached {int((observed > 0).sum())}/{len(space)}, "
            f"chi-square p = {p_value:.3g}, outside the class: {outside}"
        )
        reached[name] = (int((observed > 0).sum()), float(p_value))
    return reached


def main(argv: list[str] | None = None) -> dict:
    """Run the speed and uniformity comparisons and print the results.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    dict
        ``{"speed": rows of run_speed, "uniformity": result of run_uniformity}``.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-seqs", type=int, default=64)
    parser.add_argument("--n-shuffles", type=int, default=20)
    parser.add_argument("--lengths", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--samples-per-class", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    return {
        "speed": run_speed(args.n_seqs, args.n_shuffles, args.lengths, args.repeats, args.seed),
        "uniformity": run_uniformity(args.samples_per_class, args.seed),
    }


if __name__ == "__main__":
    main()
