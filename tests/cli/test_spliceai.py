"""``captum-genomics spliceai``: argument checks and an end-to-end run (member 1)."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from captum_genomics.cli import main
from captum_genomics.example_data import example_fasta_path
from captum_genomics.variants import SPLICEAI_HEADER, read_delta_attribution
from tests.support import needs_spliceai

VCF = "tests/fixtures/spliceai/variants.vcf"


def _args(tmp_path, *extra):
    return ["spliceai", "-I", VCF, "-O", str(tmp_path / "out.vcf"), "-R",
            str(example_fasta_path()), "-A", "tests/fixtures/spliceai/genes.tsv", *extra]


@pytest.mark.parametrize(("change", "message"), [
    ({"-I": "missing.vcf"}, "-I missing.vcf: no such file"),
    ({"-R": "missing.fa"}, "-R missing.fa: no such file"),
    ({"-O": "no/such/dir/out.vcf"}, "does not exist"),
    ({"-O": VCF}, "is the input file"),
    ({"-D": "5000"}, "too large"),
    ({"--members": "6"}, "members 1-5"),
    ({"--device": "nonsense"}, "not a torch device"),
    ({"-A": "missing.tsv"}, "missing.tsv not found"),
])
def test_argument_errors_before_any_work(tmp_path, capsys, change, message):
    argv = _args(tmp_path)
    for option, value in change.items():
        if option in argv:
            argv[argv.index(option) + 1] = value
        else:
            argv += [option, value]
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out.vcf").exists()


@pytest.mark.parametrize("argv", [["-M", "2"], ["-D", "-1"], ["--batch-size", "0"],
                                  ["--engine", "fast"]])
def test_argparse_rejects_bad_values(tmp_path, argv):
    with pytest.raises(SystemExit) as exit_info:
        main(_args(tmp_path, *argv))
    assert exit_info.value.code == 2


@needs_spliceai
@pytest.mark.parametrize("suffix", ["vcf", "bcf"])
def test_end_to_end_keeps_records_and_adds_the_info_field(tmp_path, suffix):
    pysam = pytest.importorskip("pysam")
    subset = tmp_path / "in.vcf"
    with open(VCF) as handle:
        lines = [line for line in handle if line.startswith("#")
                 or line.split("\t")[2] in {"v2", "v6", "v13", "v17", "v18", "v20", "v21"}]
    subset.write_text("".join(lines))
    out = tmp_path / f"out.{suffix}"
    argv = _args(tmp_path, "-D", "5", "--members", "1", "--quiet", "--batch-size", "4")
    argv[argv.index("-I") + 1] = str(subset)
    argv[argv.index("-O") + 1] = str(out)
    assert main(argv) == 0
    with pysam.VariantFile(str(out)) as result:
        assert SPLICEAI_HEADER in str(result.header).splitlines()
        records = list(result)
    assert [r.id for r in records] == ["v2", "v6", "v13", "v17", "v18", "v20", "v21"]
    assert [r.info["KEEP"] for r in records] == ["k2", "k6", "k13", "k17", "k18", "k20", "k21"]
    info = {r.id: r.info.get("SpliceAI") for r in records}
    # v2: 3 ALTs x 2 genes (FAKE_PLUS, TUBB8), ALT-major
    assert [e.split("|")[:2] for e in info["v2"]] == [
        [a, g] for a in "AGT" for g in ("FAKE_PLUS", "TUBB8")]
    for entry in info["v2"]:
        fields = entry.split("|")
        assert len(fields) == 10
        assert all(0 <= float(s) <= 1 and len(s) == 4 for s in fields[2:6])
        assert all(-5 <= int(p) <= 5 for p in fields[6:])
    assert info["v13"][0].endswith("|.|.|.|.|.|.|.|.")
    assert info["v20"] is not None  # FAKE_END, far enough from the FASTA end
    for unscored in ("v6", "v17", "v18", "v21"):  # no ALT, no gene, near start, near end
        assert info[unscored] is None
    assert not list(tmp_path.glob("*.captum-genomics-tmp"))



@needs_spliceai
def test_engines_write_the_same_file(tmp_path):
    outputs = []
    for engine in ("plain", "incremental"):
        out = tmp_path / f"{engine}.vcf"
        argv = _args(tmp_path, "-D", "5", "--members", "1", "--quiet", "--engine", engine)
        argv[argv.index("-O") + 1] = str(out)
        assert main(argv) == 0
        outputs.append(out.read_text())
    assert outputs[0] == outputs[1]
    assert outputs[0].count("TUBB8|") > 10


@pytest.mark.parametrize(("extra", "message"), [
    (["--explain-kinds", "AG"], "--explain-kinds needs --explain-dir"),
    (["--explain-steps", "4"], "--explain-steps needs --explain-dir"),
    (["--explain-dir", "{tmp}/ex", "--haplotypes", "S1"], "does not combine with --haplotypes"),
    (["--explain-dir", "{tmp}/ex", "--explain-min-score", "1.5"], "not a delta score"),
    (["--explain-dir", "{tmp}/full"], "--explain-dir {tmp}/full is not empty"),
    (["--explain-dir", "{tmp}/full/a.txt"], "--explain-dir {tmp}/full/a.txt is a file"),
])
def test_explain_argument_errors_before_any_work(tmp_path, capsys, extra, message):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "a.txt").write_text("x")
    argv = _args(tmp_path, *(e.format(tmp=tmp_path) for e in extra))
    assert main(argv) == 2
    assert message.format(tmp=tmp_path) in capsys.readouterr().err
    assert not (tmp_path / "out.vcf").exists()
    assert not (tmp_path / "ex").exists()


@pytest.mark.parametrize("argv", [["--explain-kinds", "XX"], ["--explain-steps", "0"],
                                  ["--explain-min-score", "high"]])
def test_argparse_rejects_bad_explain_values(tmp_path, argv):
    with pytest.raises(SystemExit) as exit_info:
        main(_args(tmp_path, "--explain-dir", str(tmp_path / "ex"), *argv))
    assert exit_info.value.code == 2


@needs_spliceai
def test_explain_dir_holds_complete_attributions(tmp_path):
    """TUBB8's donor at 95122 broken by 95121 C>A (member 1): its DL is explained, its DG and
    every kind of FAKE_PLUS (all below 0.2) are not."""
    source = tmp_path / "in.vcf"
    source.write_text("##fileformat=VCFv4.2\n##contig=<ID=chr10,length=110000>\n"
                      "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                      "chr10\t95121\tb\tC\tA\t.\t.\t.\n")
    argv = _args(tmp_path, "-D", "5", "--members", "1", "--quiet", "--explain-dir",
                 str(tmp_path / "ex"), "--explain-kinds", "DL", "DG", "--explain-steps", "32")
    argv[argv.index("-I") + 1] = str(source)
    assert main(argv) == 0
    assert "TUBB8|0.00|0.00|0.00|0.83|" in (tmp_path / "out.vcf").read_text()
    assert sorted(p.name for p in (tmp_path / "ex").iterdir()) == ["00001.npz", "summary.tsv"]
    with open(tmp_path / "ex" / "summary.tsv", newline="") as handle:
        (row,) = list(csv.DictReader(handle, delimiter="\t"))
    assert (row["pos"], row["alt"], row["gene"], row["kind"], row["offset"]) == (
        "95121", "A", "TUBB8", "DL", "1")
    result = read_delta_attribution(tmp_path / "ex" / row["file"])
    assert result.delta == pytest.approx(float(row["delta"])) and result.delta > 0.5
    assert result.attributions.shape == (1, 4, 10000 + 11)
    total = float(result.attributions.sum())
    assert total == pytest.approx(result.delta + result.convergence_delta, abs=1e-9)
    # the tolerance of explain_delta's real-weights test
    assert total == pytest.approx(result.delta, abs=0.02 + 0.05 * abs(result.delta))
    assert np.isfinite(float(row["top_base_attribution"]))
