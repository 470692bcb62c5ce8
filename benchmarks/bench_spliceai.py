"""SpliceAI throughput on the CPU: one model and the five-model ensemble, in sequences/s.

Two inputs: a full 15,000-nt sequence (5,000 output positions) and the receptive field of one
explained site (10,001 nt, one output position). Each figure is the median of a few timed
forwards after one warm-up, at batch 1, for each torch thread count. The development machine
is shared, so the figures are rough; compare them within one run.

    python benchmarks/bench_spliceai.py             # fp32, threads 1 and 2
    python benchmarks/bench_spliceai.py --bf16      # adds bf16 autocast and its error
    python benchmarks/bench_spliceai.py --repeats 5 --threads 2

Uses the published weights when spliceai 1.3.1 is installed, else random weights (same
speed). Where TensorFlow is importable, the Keras model runs on the same input for a ratio.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

FULL_LENGTH = 15_000
SITE_LENGTH = 10_001
FIXTURE = (
    Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "spliceai_reference_outputs.npz"
)
TUBB8_ACCEPTOR = 1859  # output row of the acceptor at chr10:94852 in the fixture's TUBB8 input


def _median_rate(fn: Callable[[], object], repeats: int) -> float:
    """Sequences/s of ``fn`` (one sequence per call): median over ``repeats`` after a warm-up."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1.0 / statistics.median(times)


def _models():
    """(one model, ensemble, weights label)."""
    import torch

    from captum_genomics.models.spliceai import SpliceAI, SpliceAIEnsemble
    from captum_genomics.models.spliceai_weights import load_spliceai

    try:
        ensemble = load_spliceai("spliceai")
        label = "spliceai 1.3.1 published weights"
    except ModuleNotFoundError:
        torch.manual_seed(0)
        ensemble = SpliceAIEnsemble([SpliceAI(10_000) for _ in range(5)]).eval()
        label = "random weights (pip install --no-deps spliceai==1.3.1 for the real ones)"
    return ensemble.members[0], ensemble, label


def _inputs() -> tuple[dict, str]:
    """The two benchmark inputs (1, 4, L) and their description.

    The TUBB8 sequence of the test fixture when present (the single site is then the
    acceptor at output row 1859, probability ~1), else a seeded random sequence.
    """
    import numpy as np
    import torch

    if FIXTURE.is_file():
        with np.load(FIXTURE) as data:
            text = str(data["tubb8_rc_15000/sequence"])
        codes = np.frombuffer(text.encode(), np.uint8)
        full = np.stack([codes == ord(base) for base in "ACGT"]).astype(np.float32)
        site = full[:, TUBB8_ACCEPTOR : TUBB8_ACCEPTOR + SITE_LENGTH]
        label = "TUBB8 (chr10, reverse complement); site = acceptor at chr10:94852"
    else:
        gen = np.random.default_rng(0)
        full = np.eye(4, dtype=np.float32)[gen.integers(0, 4, FULL_LENGTH)].T
        site = full[:, :SITE_LENGTH]
        label = "random sequence (test fixture not found)"
    tensors = {
        "full 15,000 nt": torch.from_numpy(np.ascontiguousarray(full))[None],
        "one site 10,001 nt": torch.from_numpy(np.ascontiguousarray(site))[None],
    }
    return tensors, label


def _keras_rate(x, repeats: int) -> tuple[float | None, str]:
    """Keras sequences/s of spliceai1.h5 on ``x`` (N, 4, L), or None with the reason."""
    if importlib.util.find_spec("tensorflow") is None:
        return None, "tensorflow is not importable"
    try:
        import tensorflow as tf

        from captum_genomics.models.spliceai_weights import find_spliceai_weights

        model = tf.keras.models.load_model(str(find_spliceai_weights("spliceai")[0]), compile=False)
        inputs = x.transpose(1, 2).numpy()
        return _median_rate(lambda: model(inputs, training=False), repeats), "ok"
    except Exception as err:  # any failure only skips the comparison line
        return None, f"{type(err).__name__}: {err}"


def main(
    threads: Sequence[int] = (1, 2),
    repeats: int = 3,
    bf16: bool = False,
    keras: bool = True,
) -> list[dict]:
    """Print sequences/s for each case and return one dict per printed figure.

    Parameters
    ----------
    threads : sequence of int
        torch intra-op thread counts to try.
    repeats : int
        Timed forwards per figure (after one warm-up).
    bf16 : bool
        Also time bf16 autocast and report its largest probability error against fp32.
    keras : bool
        Time the Keras model too when TensorFlow is importable.

    Returns
    -------
    list of dict
        Keys ``case``, ``model``, ``threads``, ``precision``, ``seq_per_s`` and, for bf16,
        ``max_prob_error``.
    """
    import torch

    one, ensemble, label = _models()
    inputs, input_label = _inputs()
    rows: list[dict] = []
    saved_threads = torch.get_num_threads()
    print("SpliceAI-10k on the CPU, batch 1; shared machine, figures are rough")
    print(f"weights: {label}")
    print(f"input: {input_label}")
    print(f"{'case':<20} {'model':<10} {'threads':>7} {'precision':<10} {'seq/s':>8}  note")
    try:
        for n_threads in threads:
            torch.set_num_threads(n_threads)
            for case, x in inputs.items():
                for name, model in (("one model", one), ("ensemble", ensemble)):
                    precisions = ("fp32", "bf16") if bf16 else ("fp32",)
                    for precision in precisions:
                        autocast = (
                            torch.autocast("cpu", dtype=torch.bfloat16)
                            if precision == "bf16"
                            else contextlib.nullcontext()
                        )

                        def run(model=model, x=x, autocast=autocast):
                            with torch.no_grad(), autocast:
                                return model(x)

                        rate = _median_rate(run, repeats)
                        row = {
                            "case": case,
                            "model": name,
                            "threads": n_threads,
                            "precision": precision,
                            "seq_per_s": rate,
                        }
                        note = ""
                        if precision == "bf16":
                            with torch.no_grad():
                                error = (run().float() - model(x)).abs().max().item()
                            row["max_prob_error"] = error
                            note = f"max |p_bf16 - p_fp32| = {error:.2e}"
                        rows.append(row)
                        print(
                            f"{case:<20} {name:<10} {n_threads:>7} {precision:<10} "
                            f"{rate:>8.2f}  {note}"
                        )
        if keras:
            torch.set_num_threads(max(threads))
            for case, x in inputs.items():
                rate, reason = _keras_rate(x, repeats)
                if rate is None:
                    print(f"{case:<20} keras: skipped ({reason})")
                    continue
                ours = next(
                    r["seq_per_s"]
                    for r in rows
                    if r["case"] == case
                    and r["model"] == "one model"
                    and r["threads"] == max(threads)
                    and r["precision"] == "fp32"
                )
                rows.append(
                    {
                        "case": case,
                        "model": "keras",
                        "threads": None,
                        "precision": "fp32",
                        "seq_per_s": rate,
                    }
                )
                print(
                    f"{case:<20} {'keras':<10} {'tf':>7} {'fp32':<10} {rate:>8.2f}  "
                    f"torch/keras = {ours / rate:.2f}x"
                )
    finally:
        torch.set_num_threads(saved_threads)
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bf16", action="store_true", help="also time bf16 autocast")
    parser.add_argument("--no-keras", dest="keras", action="store_false")
    args = parser.parse_args()
    main(threads=args.threads, repeats=args.repeats, bf16=args.bf16, keras=args.keras)
