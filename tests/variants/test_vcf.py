"""score_vcf: formats, header, records kept, atomic output (random-weight SpliceAI)."""

from __future__ import annotations

import pytest

from captum_genomics.example_data import example_fasta_path
from captum_genomics.variants import SPLICEAI_HEADER, score_vcf, vcf_write_mode
from tests.support import random_spliceai

pysam = pytest.importorskip("pysam")
GENES = "tests/fixtures/spliceai/genes.tsv"
HEADER = """##fileformat=VCFv4.2
##contig=<ID=chr10,length=110000>
{extra}#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO
chr10\t94555\tsnv\tC\tA,G\t.\t.\t.
chr10\t50000\toutside\tN\tA\t.\t.\tSpliceAI=kept
chr10\t94665\tins\tC\tCAG\t.\t.\t.
"""


@pytest.mark.parametrize(("name", "mode"), [("a.vcf", "w"), ("a.VCF.GZ", "wz"),
                                             ("a.vcf.bgz", "wz"), ("a.bcf", "wb")])
def test_vcf_write_mode(name, mode):
    assert vcf_write_mode(name) == mode


@pytest.mark.parametrize("existing", [False, True])
def test_score_vcf_keeps_records_and_adds_one_header_line(tmp_path, existing):
    extra = SPLICEAI_HEADER + "\n" if existing else ""
    source = tmp_path / "in.vcf"
    source.write_text(HEADER.format(extra=extra))
    out = tmp_path / "out.vcf.gz"
    model = random_spliceai(10000)
    scored = score_vcf(source, out, example_fasta_path(), GENES, distance=3, model=model,
                       batch_size=3)
    assert scored == 2
    with pysam.VariantFile(str(out)) as result:
        assert str(result.header).count("##INFO=<ID=SpliceAI,") == 1
        assert SPLICEAI_HEADER in str(result.header).splitlines()
        records = {r.id: r for r in result}
    assert list(records) == ["snv", "outside", "ins"]
    assert records["outside"].info["SpliceAI"] == ("kept",)  # not scored: left as it was
    assert [e.split("|")[:2] for e in records["snv"].info["SpliceAI"]] == [
        ["A", "FAKE_PLUS"], ["A", "TUBB8"], ["G", "FAKE_PLUS"], ["G", "TUBB8"]]
    assert [e.split("|")[:2] for e in records["ins"].info["SpliceAI"]] == [
        ["CAG", "FAKE_PLUS"], ["CAG", "TUBB8"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.vcf", "out.vcf.gz"]


def test_score_vcf_leaves_nothing_on_failure(tmp_path):
    source = tmp_path / "in.vcf"
    source.write_text("not a vcf\n")
    with pytest.raises(ValueError, match="cannot read VCF"):
        score_vcf(source, tmp_path / "out.vcf", example_fasta_path(), GENES,
                  model=random_spliceai(10000))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.vcf"]
