"""``captum-genomics batch``: failing regions are recorded and the rest go on; reruns skip
regions whose manifest entry and files are intact; a run killed with SIGKILL resumes to the
outputs of an uninterrupted run; a local process pool and a local Ray (each with a worker killed
once) match the one-worker local engine byte for byte."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from captum_genomics import example_fasta_path
from captum_genomics.batch import Manifest, plan_regions, region_seed, run_batch
from captum_genomics.batch.manifest import MANIFEST_NAME
from captum_genomics.cli import build_parser, main
from captum_genomics.dna.annotations import Interval

pytestmark = pytest.mark.filterwarnings(
    r"ignore:`torch\.jit\.\w+` is deprecated:DeprecationWarning")

REPO = Path(__file__).resolve().parents[2]
FASTA = str(example_fasta_path())
# 100 nt (+), 120 nt (-), 37 nt (the length the test model can be told to die on), 60 nt.
BED = ("chr10\t94000\t94100\tfwd\t0\t+\nchr10\t95000\t95120\trev\t0\t-\n"
       "chr10\t96000\t96037\tshort\t0\t+\nchr10\t97000\t97060\tlast\t0\t-\n")
KILL_LENGTH = 37
ERROR_LENGTH = 13  # the test model raises on inputs of this length
# The test model: the tests/cli TorchScript CNN, which SIGKILLs its process on a 37 nt input
# (every time with BATCH_TEST_KILL=always; once with BATCH_TEST_KILL=<flag file>).
MODEL_MODULE = f'''
import os
import pathlib
import signal

import torch

from tests.cli.test_ig import _cnn


class Killable(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.cnn = torch.jit.script(_cnn())

    def forward(self, x):
        kill = os.environ.get("BATCH_TEST_KILL")
        if kill and x.shape[-1] == {KILL_LENGTH}:
            if kill == "always" or not os.path.exists(kill):
                if kill != "always":
                    pathlib.Path(kill).touch()
                os.kill(os.getpid(), signal.SIGKILL)
        if x.shape[-1] == {ERROR_LENGTH}:
            raise RuntimeError("the test model refuses 13 nt")
        return self.cnn(x)


def build():
    return Killable()
'''
MODEL = "batch_test_model:build"
OPTIONS = ["--fasta", FASTA, "--model", MODEL, "--target", "1", "--steps", "8",
           "--baseline", "uniform", "--baseline", "shuffle", "--n-shuffles", "2", "--seed", "7",
           "--quiet"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model")
    (folder / "batch_test_model.py").write_text(MODEL_MODULE)
    sys.path.insert(0, str(folder))
    yield folder
    sys.path.remove(str(folder))


@pytest.fixture(scope="module")
def bed(model_dir):
    path = model_dir / "regions.bed"
    path.write_text(BED)
    return str(path)


@pytest.fixture(scope="module")
def reference(model_dir, bed):
    """An uninterrupted local run, one worker, in this process."""
    out = model_dir / "reference"
    assert main(["batch", *OPTIONS, "--regions", bed, "--output-dir", str(out)]) == 0
    return out


def _arrays(out: Path) -> dict[str, dict[str, np.ndarray]]:
    arrays = {}
    for path in sorted((out / "regions").glob("*.npz")):
        with np.load(path) as npz:
            arrays[path.name] = {name: npz[name] for name in npz.files}
    return arrays


def assert_same_outputs(out: Path, expected: Path) -> None:
    """Same per-region arrays, per-region and merged bedGraph bytes and summary table."""
    got, want = _arrays(out), _arrays(expected)
    assert list(got) == list(want) and len(want) == 4
    for name in want:
        assert list(got[name]) == list(want[name])
        for key in want[name]:
            assert np.array_equal(got[name][key], want[name][key]), f"{name}: {key} differs"
    for pattern in ("*.bedgraph", "regions/*.bedgraph", "regions.tsv"):
        paths = sorted(expected.glob(pattern))
        assert paths
        for path in paths:
            assert (out / path.relative_to(expected)).read_bytes() == path.read_bytes(), path


def _entries(out: Path) -> list[dict]:
    lines = (out / MANIFEST_NAME).read_text().splitlines()[1:]
    return [json.loads(line) for line in lines]


def test_region_seeds_depend_on_run_seed_and_coordinates_only():
    region = Interval("chr10", 5, 60, "-", "a")
    assert region_seed(3, region) == region_seed(3, Interval("chr10", 5, 60, "-", "other"))
    assert region_seed(3, region) != region_seed(4, region)
    assert region_seed(3, region) != region_seed(3, Interval("chr10", 5, 60, "+", "a"))
    tasks = plan_regions([Interval("chr1", 1, 9, "+", "x"), region], 3)
    assert [t.region_id for t in tasks] == ["01_chr1_1-9_plus", "02_chr10_5-60_minus"]
    assert tasks[1].seed == region_seed(3, region)


def test_failing_regions_are_reported_and_the_others_go_on(model_dir, tmp_path, capsys):
    bed = tmp_path / "mixed.bed"
    bed.write_text("chr10\t94000\t94100\tgood\t0\t+\n"
                   "chr10\t10\t60\tallN\t0\t+\n"  # the first 10 kb of chr10 are N
                   "chrX\t0\t50\tnochrom\t0\t+\n"
                   "chr10\t109990\t110200\tpastend\t0\t+\n"
                   f"chr10\t98000\t{98000 + ERROR_LENGTH}\tmodelerror\t0\t+\n"
                   "chr10\t99000\t99050\talsogood\t0\t-\n")
    out = tmp_path / "out"
    assert main(["batch", *OPTIONS, "--regions", str(bed), "--output-dir", str(out)]) == 1
    err = capsys.readouterr().err
    rows = [line.split("\t") for line in (out / "regions.tsv").read_text().splitlines()[1:]]
    status = {}
    for row in rows:
        status.setdefault(row[7], (row[1], row[2]))
    assert {name for name, (s, _) in status.items() if s == "done"} == {"good", "alsogood"}
    assert "all N" in status["allN"][1]
    assert "chromosome 'chrX' is not in" in status["nochrom"][1]
    assert "ends past 'chr10'" in status["pastend"][1]
    assert "RuntimeError: the test model refuses 13 nt" in status["modelerror"][1]
    for name in ("allN", "nochrom", "pastend", "modelerror"):
        assert f"failed: {status[name][1]}" in err
    assert len(rows) == 2 * 2 + 4  # two baselines per done region, one row per failure
    assert sorted(p.name for p in (out / "regions").glob("*.npz")) == [
        "01_chr10_94001-94100_plus.npz", "06_chr10_99001-99050_minus.npz"]
    bedgraph = (out / "ig_uniform.bedgraph").read_text()
    assert "chr10\t94000\t94001\t" in bedgraph and "chr10\t99049\t99050\t" in bedgraph


def test_rerun_skips_done_regions_and_redoes_damaged_ones(model_dir, bed, reference, tmp_path):
    out = tmp_path / "out"
    parser = build_parser()
    args = parser.parse_args(["batch", *OPTIONS, "--regions", bed, "--output-dir", str(out)])
    first = run_batch(args)
    assert len(first.done) == 4 and not first.skipped and not first.failed
    assert run_batch(args).skipped == first.done
    damaged = out / "regions" / f"{first.done[1]}.npz"
    damaged.write_bytes(damaged.read_bytes()[:-10])
    again = run_batch(args)
    assert again.done == [first.done[1]] and len(again.skipped) == 3
    assert_same_outputs(out, reference)
    manifest = Manifest(out, json.loads((out / MANIFEST_NAME).read_text().splitlines()[0])[
        "settings"])
    assert all(manifest.finished(task) for task in plan_regions(
        [Interval("chr10", 94001, 94100, "+", "fwd")], 7)[:1])
    other = parser.parse_args(["batch", *OPTIONS, "--regions", bed, "--output-dir", str(out),
                               "--steps", "9"])
    assert other.run(other) == 2  # other settings: refused, not mixed into this run


def _cli(args: list[str], kill: str | None, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(cwd)])}
    env.pop("BATCH_TEST_KILL", None)
    if kill:
        env["BATCH_TEST_KILL"] = kill
    return subprocess.run([sys.executable, "-m", "captum_genomics", "batch", *args], env=env,
                          cwd=cwd, capture_output=True, text=True, timeout=300)


def test_run_killed_midway_resumes_to_the_uninterrupted_outputs(model_dir, bed, reference):
    out = model_dir / "killed"
    args = [*OPTIONS, "--regions", bed, "--output-dir", str(out)]
    killed = _cli(args, "always", model_dir)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    entries = _entries(out)
    assert [e["status"] for e in entries] == ["done", "done"]  # the 37 nt region is third
    assert not (out / "regions.tsv").exists()
    resumed = _cli([a for a in args if a != "--quiet"], None, model_dir)
    assert resumed.returncode == 0, resumed.stderr
    assert "2 region(s) explained, 2 already done, 0 failed" in resumed.stdout
    assert_same_outputs(out, reference)


@pytest.fixture(scope="module")
def local_ray(model_dir):
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install "
                                            "'captum-genomics[ray]')")
    flag = model_dir / "killed_once"
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join([str(REPO), str(model_dir)]),
                                       "BATCH_TEST_KILL": str(flag)}})
    yield flag
    ray.shutdown()


def test_ray_matches_the_local_engine_and_retries_a_killed_worker(local_ray, bed, reference,
                                                                  tmp_path):
    out = tmp_path / "ray"
    args = build_parser().parse_args(["batch", *OPTIONS, "--regions", bed, "--output-dir",
                                      str(out), "--engine", "ray", "--workers", "2"])
    summary = run_batch(args)
    assert local_ray.exists(), "the test model did not kill its Ray worker"
    assert not summary.failed and len(summary.done) == 4
    assert_same_outputs(out, reference)


def test_local_pool_retries_a_killed_worker_and_matches_one_worker(bed, reference, tmp_path,
                                                                  monkeypatch):
    flag = tmp_path / "killed_once"
    monkeypatch.setenv("BATCH_TEST_KILL", str(flag))  # the spawned workers inherit it
    out = tmp_path / "pool"
    args = build_parser().parse_args(["batch", *OPTIONS, "--regions", bed, "--output-dir",
                                      str(out), "--workers", "2"])
    summary = run_batch(args)
    assert flag.exists(), "the test model did not kill its pool worker"
    assert not summary.failed and len(summary.done) == 4
    assert_same_outputs(out, reference)
