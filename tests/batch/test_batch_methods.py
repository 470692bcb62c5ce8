"""``captum-genomics batch --method ism|gggp|spliceai``: a local pool of two workers writes the
arrays of one worker, reruns skip finished tasks, failing regions are recorded, and SpliceAI
scoring in chunks writes the bytes of ``captum-genomics spliceai``."""

from __future__ import annotations

import shutil
import sys

import numpy as np
import pytest
import torch

from captum_genomics.attr.ism import InSilicoMutagenesis
from captum_genomics.batch import run_batch
from captum_genomics.batch.methods import ism_track
from captum_genomics.cli import build_parser, main
from captum_genomics.example_data import example_fasta_path
from tests.batch.test_batch import BED, ERROR_LENGTH, MODEL, MODEL_MODULE, _arrays
from tests.cli.test_ig import _cnn
from tests.support import needs_spliceai

pytestmark = pytest.mark.filterwarnings(
    r"ignore:`torch\.jit\.\w+` is deprecated:DeprecationWarning")

FASTA = str(example_fasta_path())
METHOD_OPTIONS = {
    "ism": ["--batch-size", "50"],
    "gggp": ["--evaluations", "60", "--population", "12", "--score-range", "-0.2", "-0.1",
             "--feature-width", "5"],
}
TRACK = {"ism": "ism", "gggp": "gggp"}


def _options(method: str) -> list[str]:
    return ["--fasta", FASTA, "--model", MODEL, "--target", "1", "--method", method,
            "--seed", "3", "--quiet", *METHOD_OPTIONS[method]]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model")
    (folder / "batch_test_model.py").write_text(MODEL_MODULE)
    (folder / "regions.bed").write_text(BED)
    sys.path.insert(0, str(folder))
    yield folder
    sys.path.remove(str(folder))


@pytest.fixture(autouse=True)
def _no_kill(monkeypatch):
    monkeypatch.delenv("BATCH_TEST_KILL", raising=False)


def _same_outputs(out, expected, method: str) -> None:
    got, want = _arrays(out), _arrays(expected)
    assert list(got) == list(want) and len(want) == 4
    for name in want:
        assert sorted(got[name]) == sorted(want[name])
        for key in want[name]:
            assert np.array_equal(got[name][key], want[name][key]), f"{name}: {key} differs"
    paths = [expected / f"{TRACK[method]}.bedgraph", expected / "regions.tsv",
             *sorted(expected.glob("regions/*.bedgraph")), *sorted(expected.glob("regions/*.tsv"))]
    assert len(paths) == 2 + 4 * (2 if method == "gggp" else 1)
    for path in paths:
        assert (out / path.relative_to(expected)).read_bytes() == path.read_bytes(), path


@pytest.mark.parametrize("method", ["ism", "gggp"])
def test_two_workers_write_the_arrays_of_one_and_reruns_skip(model_dir, tmp_path, method):
    bed = str(model_dir / "regions.bed")
    one = tmp_path / "one"
    assert main(["batch", *_options(method), "--regions", bed, "--output-dir", str(one)]) == 0
    args = build_parser().parse_args(["batch", *_options(method), "--regions", bed,
                                      "--output-dir", str(tmp_path / "two"), "--workers", "2"])
    summary = run_batch(args)
    assert len(summary.done) == 4 and not summary.failed
    _same_outputs(tmp_path / "two", one, method)
    again = run_batch(args)
    assert again.skipped == summary.done and not again.done
    arrays = _arrays(one)["01_chr10_94001-94100_plus.npz"]
    x, values = arrays["one_hot_0"], arrays[f"{method}_0"]
    assert x.shape == values.shape == (4, 100)
    rows = [line.split("\t") for line in (one / "regions.tsv").read_text().splitlines()]
    if method == "ism":  # the exact effects of the scripted CNN, and their mean per base
        model = torch.jit.script(_cnn())
        expected = InSilicoMutagenesis(model).attribute(torch.from_numpy(x)[None], target=1)
        np.testing.assert_allclose(values, expected[0].numpy(), rtol=1e-5, atol=1e-7)
        assert np.all(values[x == 1] == 0) and np.abs(values).max() > 0
        np.testing.assert_allclose(ism_track(values, x), values.sum(axis=0) / 3)
        assert rows[0][8:] == ["score", "track_sum", "max_abs_effect"]
    else:  # the attribution sits on the observed base; a local dataset per region
        assert np.all(values[x == 0] == 0) and np.abs(values).max() > 0
        dataset = (one / "regions" / "01_chr10_94001-94100_plus.dataset.tsv").read_text()
        assert len(dataset.splitlines()) > 2
        assert rows[0][8:] == ["original_score", "rows", "r2", "spearman", "attribution_sum"]
    first = (one / f"{method}.bedgraph").read_text().splitlines()[1].split("\t")
    assert first[:2] == ["chr10", "94000"]


@pytest.mark.parametrize("method", ["ism", "gggp"])
def test_failing_regions_are_recorded_and_the_others_go_on(model_dir, tmp_path, capsys,
                                                           method):
    bed = tmp_path / "mixed.bed"
    bed.write_text("chr10\t94000\t94100\tgood\t0\t+\n"
                   "chr10\t10\t60\tallN\t0\t+\n"
                   f"chr10\t98000\t{98000 + ERROR_LENGTH}\tmodelerror\t0\t+\n"
                   "chr10\t99000\t99050\talsogood\t0\t-\n")
    out = tmp_path / "out"
    assert main(["batch", *_options(method), "--regions", str(bed),
                 "--output-dir", str(out)]) == 1
    err = capsys.readouterr().err
    rows = [line.split("\t") for line in (out / "regions.tsv").read_text().splitlines()[1:]]
    status = {row[7]: (row[1], row[2]) for row in rows}
    assert [s for s, _ in status.values()] == ["done", "failed", "failed", "done"]
    assert "all N" in status["allN"][1]
    assert "RuntimeError: the test model refuses 13 nt" in status["modelerror"][1]
    assert f"failed: {status['modelerror'][1]}" in err
    assert sorted(p.name for p in (out / "regions").glob("*.npz")) == [
        "01_chr10_94001-94100_plus.npz", "04_chr10_99001-99050_minus.npz"]


@pytest.mark.parametrize(("extra", "message"), [
    (["--method", "spliceai", "--regions", "x.bed"], "leave out --regions"),
    (["--method", "spliceai"], "needs --vcf"),
    (["--method", "spliceai", "--vcf", "tests/fixtures/spliceai/variants.vcf"],
     "needs --annotation"),
    (["--method", "ism", "--vcf", "tests/fixtures/spliceai/variants.vcf"], "--vcf is read by"),
    (["--method", "gggp"], "needs --regions BED and --model"),
])
def test_method_inputs_are_checked_before_any_work(tmp_path, capsys, extra, message):
    out = tmp_path / "out"
    assert main(["batch", "--fasta", FASTA, "--output-dir", str(out), *extra]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists() or not any(out.iterdir())


SPLICEAI_VCF = "tests/fixtures/spliceai/variants.vcf"
GENES = "tests/fixtures/spliceai/genes.tsv"


@needs_spliceai
def test_spliceai_chunks_merge_to_the_bytes_of_the_spliceai_command(tmp_path):
    pytest.importorskip("pysam")
    expected = tmp_path / "cli.vcf"
    assert main(["spliceai", "-I", SPLICEAI_VCF, "-O", str(expected), "-R", FASTA, "-A", GENES,
                 "-D", "5", "--members", "1", "--quiet"]) == 0
    options = ["batch", "--method", "spliceai", "--vcf", SPLICEAI_VCF, "--fasta", FASTA,
               "--annotation", GENES, "--distance", "5", "--members", "1", "--chunk-size", "4",
               "--batch-size", "8", "--quiet"]
    for workers in ("1", "2"):
        out = tmp_path / f"workers{workers}"
        args = build_parser().parse_args([*options, "--output-dir", str(out),
                                          "--workers", workers])
        summary = run_batch(args)
        assert len(summary.done) == 6 and not summary.failed  # 21 records, 4 a chunk
        assert (out / "spliceai.vcf").read_bytes() == expected.read_bytes()
    rows = (out / "regions.tsv").read_text().splitlines()
    assert rows[1].split("\t")[:6] == ["01_records_1-4", "done", "", "1", "4", "4"]
    assert rows[-1].split("\t")[:6] == ["06_records_21-21", "done", "", "21", "21", "1"]
    (out / "spliceai.vcf").unlink()
    shutil.copy(out / "chunks" / "03_records_9-12.vcf", tmp_path / "chunk.vcf")
    (out / "chunks" / "03_records_9-12.vcf").write_text("damaged\n")
    resumed = run_batch(args)
    assert resumed.done == ["03_records_9-12"] and len(resumed.skipped) == 5
    assert (out / "spliceai.vcf").read_bytes() == expected.read_bytes()
    assert (out / "chunks" / "03_records_9-12.vcf").read_bytes() == (
        tmp_path / "chunk.vcf").read_bytes()
