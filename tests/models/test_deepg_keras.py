"""load_keras_deepg rebuilds deepG's Keras models (HDF5 fixtures written by Keras)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from captum_genomics.models.deepg_keras import load_keras_deepg

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
KERAS_FIXTURES = ["deepg_cnn", "deepg_lstm", "deepg_tfkeras_global"]


@pytest.mark.parametrize("name", KERAS_FIXTURES)
@pytest.mark.parametrize("layout", ["NCL", "NLC"])
def test_keras_fixture_outputs(name, layout):
    pytest.importorskip("h5py")
    reference = np.load(FIXTURES / f"{name}_reference.npz")
    model = load_keras_deepg(FIXTURES / f"{name}.h5", layout=layout)
    assert not model.training
    if name.endswith("global"):
        assert model.input_length is None
    lengths = [k.split("_")[1] for k in reference.files if k.startswith("inputs_")]
    assert lengths
    for length in lengths:
        x = torch.from_numpy(reference[f"inputs_{length}"])  # Keras layout (N, L, 4)
        if layout == "NCL":
            x = x.permute(0, 2, 1)
        with torch.no_grad():
            logits = model(x).numpy()
            model.output = "probabilities"
            probabilities = model(x).numpy()
            model.output = "logits"
        np.testing.assert_allclose(logits, reference[f"logits_{length}"], rtol=0, atol=1e-5)
        np.testing.assert_allclose(
            probabilities, reference[f"probabilities_{length}"], rtol=0, atol=1e-5
        )


def test_keras_loader_reads_architecture():
    pytest.importorskip("h5py")
    cnn = load_keras_deepg(FIXTURES / "deepg_cnn.h5", output="probabilities")
    assert cnn.input_length == 60 and cnn.output == "probabilities"
    kinds = [s["type"] for s in cnn.layer_specs]
    assert kinds == [
        "conv", "max_pool", "batch_norm", "conv", "batch_norm", "max_pool", "conv",
        "batch_norm", "flatten", "dense", "dropout", "dense",
    ]  # fmt: skip
    assert cnn.layer_specs[6]["strides"] == 2 and cnn.layer_specs[3]["kernel_size"] == 4
    assert cnn.layer_specs[2]["momentum"] == pytest.approx(0.01)
    lstm = load_keras_deepg(FIXTURES / "deepg_lstm.h5")
    assert [s["units"] for s in lstm.layer_specs if s["type"] == "lstm"] == [6, 5]
    assert torch.count_nonzero(lstm.body.lstm.lstm.bias_hh_l0) == 0


def _copy_fixture(tmp_path, name="deepg_cnn"):
    target = tmp_path / f"{name}.h5"
    shutil.copy(FIXTURES / f"{name}.h5", target)
    target.chmod(0o644)
    return target


def _edit_config(path, edit):
    import h5py

    with h5py.File(path, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        edit(config["config"]["layers"])
        f.attrs["model_config"] = json.dumps(config)


def test_keras_loader_errors(tmp_path):
    h5py = pytest.importorskip("h5py")
    with pytest.raises(FileNotFoundError, match="not found"):
        load_keras_deepg(tmp_path / "missing.h5")
    corrupt = tmp_path / "corrupt.h5"
    corrupt.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(ValueError, match="not an HDF5 file"):
        load_keras_deepg(corrupt)
    archive = tmp_path / "model.keras"
    archive.write_bytes(b"PK\x03\x04rest-of-zip")
    with pytest.raises(ValueError, match="re-save"):
        load_keras_deepg(archive)
    weights_only = tmp_path / "weights.h5"
    with h5py.File(weights_only, "w") as f:
        f.create_dataset("conv1d/kernel", data=np.zeros((5, 4, 8)))
    with pytest.raises(ValueError, match="model_config"):
        load_keras_deepg(weights_only)


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda layers: layers.insert(2, {"class_name": "Conv2D", "config": {"name": "c2"}}),
         "Conv2D.*not supported"),
        (lambda layers: layers[0]["config"].update(batch_shape=[None, 60, 5]), "one-hot DNA"),
        (lambda layers: layers[1]["config"].update(filters=9), "does not fit"),
        (lambda layers: layers[1]["config"].update(padding="causal"), "padding"),
        (lambda layers: layers[0]["config"].update(batch_shape=[None, 5, 4]), "too short"),
    ],
)  # fmt: skip
def test_keras_loader_rejects_foreign_configs(tmp_path, edit, match):
    pytest.importorskip("h5py")
    path = _copy_fixture(tmp_path)
    _edit_config(path, edit)
    with pytest.raises(ValueError, match=match):
        load_keras_deepg(path)


def test_keras_loader_rejects_branches_and_missing_weights(tmp_path):
    h5py = pytest.importorskip("h5py")
    path = _copy_fixture(tmp_path, "deepg_lstm")

    def branch(layers):
        history = layers[2]["inbound_nodes"][0]["args"][0]["config"]["keras_history"]
        history[0] = layers[0]["config"]["name"]

    _edit_config(path, branch)
    with pytest.raises(ValueError, match="single-chain"):
        load_keras_deepg(path)
    path = _copy_fixture(tmp_path)
    with h5py.File(path, "r+") as f:
        group = f["model_weights/batch_normalization"]
        names = [n.decode() if isinstance(n, bytes) else n for n in group.attrs["weight_names"]]
        group.attrs["weight_names"] = [n for n in names if "moving_mean" not in n]
    with pytest.raises(ValueError, match="moving_mean"):
        load_keras_deepg(path)
    path = _copy_fixture(tmp_path)
    with h5py.File(path, "r+") as f:
        group = f["model_weights/dense"]
        del group[group.attrs["weight_names"][0]]
    with pytest.raises(ValueError, match="listed but not stored"):
        load_keras_deepg(path)
