"""The one Keras-HDF5 reader (captum_genomics.models._keras_h5)."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

from captum_genomics.models._keras_h5 import config_layers, layer_name, read_keras_h5


def _write(path, *, config=True, weights_only=False) -> None:
    with h5py.File(path, "w") as f:
        root = f if weights_only else f.create_group("model_weights")
        root.attrs["layer_names"] = [b"conv1d", b"dropout", b"dense"]
        for name, shapes in (("conv1d", {"kernel": (3, 4, 2), "bias": (2,)}),
                             ("dropout", {}), ("dense", {"kernel": (2, 1)})):  # fmt: skip
            group = root.create_group(name)
            group.attrs["weight_names"] = [f"{name}/{k}:0".encode() for k in shapes]
            for k, shape in shapes.items():
                group.create_dataset(f"{name}/{k}:0", data=np.ones(shape, np.float64))
        if config:
            layers = [{"class_name": "Conv1D", "config": {"name": "conv1d"}}]
            f.attrs["model_config"] = json.dumps(
                {"class_name": "Sequential", "config": {"layers": layers}}
            ).encode()


def test_reads_config_and_short_named_float32_weights(tmp_path):
    _write(tmp_path / "m.h5")
    saved = read_keras_h5(tmp_path / "m.h5")
    assert list(saved.layers) == ["conv1d", "dropout", "dense"]
    assert set(saved.layers["conv1d"]) == {"kernel", "bias"} and saved.layers["dropout"] == {}
    assert saved.layers["conv1d"]["kernel"].shape == (3, 4, 2)
    assert saved.layers["dense"]["kernel"].dtype == np.float32
    assert [layer_name(layer) for layer in config_layers(saved.config)] == ["conv1d"]


def test_weights_only_file_has_no_config(tmp_path):
    _write(tmp_path / "w.h5", config=False, weights_only=True)
    saved = read_keras_h5(tmp_path / "w.h5")
    assert saved.config is None and list(saved.layers) == ["conv1d", "dropout", "dense"]


def test_config_layers_of_both_keras_formats():
    layer = {"class_name": "Dense", "name": "d", "config": {"units": 2}}
    assert config_layers({"config": [layer]}) == [layer]  # Keras 2.2 Sequential
    assert config_layers({"config": {"layers": [layer]}}) == [layer]
    assert layer_name(layer) == "d"


def test_rejects_foreign_and_damaged_files(tmp_path):
    (tmp_path / "text.h5").write_text("hello")
    with pytest.raises(ValueError, match="not an HDF5 file"):
        read_keras_h5(tmp_path / "text.h5")
    (tmp_path / "m.keras").write_bytes(b"PK\x03\x04rest")
    with pytest.raises(ValueError, match="re-save"):
        read_keras_h5(tmp_path / "m.keras")
    _write(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r+") as f:
        f.attrs["model_config"] = b"{not json"
        del f["model_weights/dense/dense/kernel:0"]
    with pytest.raises(ValueError, match="listed but not stored"):
        read_keras_h5(tmp_path / "m.h5")
    _write(tmp_path / "j.h5")
    with h5py.File(tmp_path / "j.h5", "r+") as f:
        f.attrs["model_config"] = b"{not json"
    with pytest.raises(ValueError, match="not valid JSON"):
        read_keras_h5(tmp_path / "j.h5")
    data = (tmp_path / "j.h5").read_bytes()
    (tmp_path / "cut.h5").write_bytes(data[: len(data) // 3])
    with pytest.raises(ValueError, match="truncated or damaged"):
        read_keras_h5(tmp_path / "cut.h5")
