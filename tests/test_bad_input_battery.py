"""One representative bad input of each class of issue 12, through the public API.

Each case asserts our error type and a message fragment, or the documented policy (README,
Conventions): silent wrong results warn or are refused, an ordinary run does not crash, no
work is lost, and errors name the user's problem. The thorough tests live beside each module.
"""

from __future__ import annotations

import gzip

import numpy as np
import pytest
import torch

from captum_genomics import (
    GenomicIntegratedGradients,
    GGGPPerturbationExplainer,
    Grammar,
    LocalDataset,
    one_hot,
    read_bed,
    read_region,
)
from captum_genomics._atomic import TEMP_SUFFIX, atomic_open
from captum_genomics.cli import main
from captum_genomics.gggp.search import SearchSettings

REFERENCE = "".join("ACGT"[i] for i in np.random.default_rng(0).integers(0, 4, 60))
SMALL = SearchSettings(max_evaluations=120, population_size=30, score_range=(-5.0, 5.0))


class Net(torch.nn.Module):
    """A conv net with two outputs; ``dropout`` adds a dropout layer."""

    def __init__(self, dropout: bool = False):
        super().__init__()
        torch.manual_seed(0)
        self.conv = torch.nn.Conv1d(4, 2, 5)
        self.drop = torch.nn.Dropout(0.5) if dropout else torch.nn.Identity()

    def forward(self, x, fail=None):
        if fail is not None and bool(fail.any()):
            raise RuntimeError("the model fell over")
        return self.drop(self.conv(x)).mean(dim=2)


def gggp(model, settings=SMALL) -> GGGPPerturbationExplainer:
    return GGGPPerturbationExplainer(model, grammar=Grammar(roi=(20, 40)), settings=settings)


# --- silent wrong results -------------------------------------------------------------------

def test_training_mode_model_is_warned_about():
    with pytest.warns(UserWarning, match=r"model.eval\(\)"):
        GenomicIntegratedGradients(Net(dropout=True).train()).attribute(
            one_hot(REFERENCE), target=0, n_steps=4)


def test_forbidden_interval_outside_the_reference_is_refused():
    with pytest.raises(ValueError, match="forbidden interval .* lies outside the reference"):
        Grammar(forbidden=((55, 70),)).bind(REFERENCE)


def test_bed_byte_order_mark_is_dropped(tmp_path):
    path = tmp_path / "bom.bed"
    path.write_bytes(b"\xef\xbb\xbfchr10\t9\t20\tx\n")
    [interval] = read_bed(path)
    assert interval.chrom == "chr10" and (interval.start, interval.end) == (10, 20)


def test_scores_outside_the_score_range_are_counted_and_warned_about():
    narrow = SearchSettings(max_evaluations=120, population_size=30, score_range=(0.0, 1e-6))
    with pytest.warns(UserWarning, match=r"outside score_range.*widen"):
        dataset = gggp(Net().eval(), narrow).generate(one_hot(REFERENCE), target=0)
    assert dataset.provenance["out_of_range"] > 0


def test_fasta_byte_order_mark_is_refused(tmp_path):
    path = tmp_path / "bom.fa"
    path.write_bytes(b"\xef\xbb\xbf>chr1\nACGTACGT\n")
    with pytest.raises(ValueError, match="starts with a UTF-8 byte-order mark"):
        read_region(path, "chr1:1-4")


# --- a crash on an ordinary run -------------------------------------------------------------

def test_a_sequence_whose_score_cannot_move_gets_zero_attributions():
    constant = GGGPPerturbationExplainer(
        lambda x: torch.zeros(len(x), 2), grammar=Grammar(roi=(20, 40)),
        settings=SearchSettings(max_evaluations=120, population_size=30,
                                score_range=(1.0, 2.0)))
    with pytest.warns(UserWarning, match="sequence 0 of the batch gets zero attributions"):
        attr = constant.attribute(one_hot(REFERENCE), target=0)
    assert attr.shape == (1, 4, 60) and (attr == 0).all()


# --- lost work ------------------------------------------------------------------------------

def test_a_failing_model_keeps_the_finished_and_partial_results():
    pair = one_hot([REFERENCE, REFERENCE])
    with pytest.raises(RuntimeError, match="fell over") as caught:
        gggp(Net().eval()).attribute(pair, target=0,
                                     additional_forward_args=torch.tensor([0.0, 1.0]))
    assert list(caught.value.finished_datasets) == [0] and caught.value.sequence_index == 1
    assert len(caught.value.finished_datasets[0]) > 1


def test_a_dataset_field_with_a_tab_is_refused_before_writing(tmp_path):
    dataset = LocalDataset(reference="ACGT", phenotypes=["", "S1T"], sequences=["ACGT", "ATGT"],
                           scores=[0.1, 0.2], generation=[0, 1], fitness=[0.0, 0.1],
                           provenance={"model": "m"})
    dataset.reference = "AC\tGT"
    path = tmp_path / "d.tsv"
    with pytest.raises(ValueError, match="tab or line break"):
        dataset.to_tsv(path)
    assert not path.exists() and not list(tmp_path.iterdir())


def test_an_interrupted_atomic_write_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "out.txt"
    with pytest.raises(KeyboardInterrupt), atomic_open(path) as handle:
        handle.write("half")
        raise KeyboardInterrupt
    assert not path.exists() and not list(tmp_path.glob(f"*{TEMP_SUFFIX}"))


def test_demo_checks_its_output_before_any_work(tmp_path, capsys):
    (tmp_path / "old.txt").write_text("x")
    assert main(["demo", "--output-dir", str(tmp_path), "--quiet", "--no-spliceai"]) == 2
    captured = capsys.readouterr()
    assert "already holds old.txt" in captured.err and "trained" not in captured.out


# --- unclear errors -------------------------------------------------------------------------

def test_gggp_model_returning_numpy_is_named():
    model = Net().eval()
    with pytest.raises(TypeError, match="returned numpy.ndarray, not a torch.Tensor"):
        gggp(lambda x: model(x).detach().numpy()).attribute(one_hot(REFERENCE), target=0)


@pytest.mark.parametrize("plain_function", [False, True])
def test_ig_float64_inputs_to_a_float32_model_are_named(plain_function):
    model = Net().eval()
    ig = GenomicIntegratedGradients((lambda x: model(x)) if plain_function else model)
    with pytest.raises(TypeError, match="torch.float64"):
        ig.attribute(one_hot(REFERENCE, dtype=torch.float64), target=0, n_steps=4)


def test_ig_window_past_the_output_is_named():
    with pytest.raises(ValueError, match="reaches past the input"):
        GenomicIntegratedGradients(Net().eval()).attribute(
            one_hot(REFERENCE), target=0, output_window=(55, 70), receptive_field=2)


def test_dataset_tsv_with_a_non_numeric_score_names_file_and_row(tmp_path):
    dataset = LocalDataset(reference="ACGT", phenotypes=["", "S1T"], sequences=["ACGT", "ATGT"],
                           scores=[0.1, 0.2], generation=[0, 1], fitness=[0.0, 0.1])
    path = tmp_path / "d.tsv"
    dataset.to_tsv(path)
    lines = path.read_text().splitlines()
    fields = lines[-1].split("\t")
    fields[2] = "high"
    path.write_text("\n".join([*lines[:-1], "\t".join(fields)]) + "\n")
    with pytest.raises(ValueError, match=rf"{path}.*row 2: score 'high' is not a number"):
        LocalDataset.from_tsv(path)


def test_truncated_gzip_bed_names_the_file(tmp_path):
    path = tmp_path / "cut.bed.gz"
    path.write_bytes(gzip.compress(b"chr1\t4\t20\tg1\n" * 50)[:-8])
    with pytest.raises(ValueError, match=f"{path}: damaged or truncated gzip"):
        read_bed(path)


def test_a_directory_given_as_fasta_is_named_a_directory(tmp_path):
    with pytest.raises(ValueError, match=f"{tmp_path} is a directory, not a FASTA file"):
        read_region(tmp_path, "chr1:1-2")


def test_a_negative_size_on_the_command_line_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["demo", "--sequences", "-5"])
    assert caught.value.code == 2 and "--sequences" in capsys.readouterr().err
