"""Read a Keras model saved in HDF5 without Keras or TensorFlow (private; needs h5py).

One reader for every Keras importer of the package (SpliceAI and deepG): it checks the
file is HDF5, decodes the ``model_config`` attribute and returns each layer's weights
under their short names (``kernel``, ``bias``, ``gamma``, ``moving_mean``, ...). What the
layers mean is left to the importers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
ZIP_SIGNATURE = b"PK\x03\x04"


class KerasH5(NamedTuple):
    """What a Keras HDF5 file holds.

    Attributes
    ----------
    config : dict or None
        The decoded ``model_config`` (``model.save``); None in a weights-only file
        (``save_weights``).
    layers : dict of str to (dict of str to numpy.ndarray)
        Layer name -> short weight name -> float32 array, in the file's ``layer_names``
        order; layers without weights map to an empty dict. Empty when the file lists no
        layers (not a Keras file).
    """

    config: dict | None
    layers: dict[str, dict[str, np.ndarray]]


def decode_attribute(value: Any) -> str:
    """An HDF5 string attribute (bytes or str) as str."""
    return value.decode("utf8") if isinstance(value, (bytes, np.bytes_)) else str(value)


def config_layers(config: dict) -> list[dict]:
    """Layer entries of a ``model_config``: Keras 2.2 lists them, later versions nest them.

    Parameters
    ----------
    config : dict
        A decoded ``model_config`` (``{"class_name": ..., "config": ...}``).

    Returns
    -------
    list of dict
        ``{"class_name": ..., "config": {...}, ...}`` per layer, in model order.
    """
    body = config.get("config", {})
    return body if isinstance(body, list) else body.get("layers", [])


def layer_name(layer: dict) -> str | None:
    """The name of one ``model_config`` layer entry."""
    return layer.get("config", {}).get("name", layer.get("name"))


def read_keras_h5(path: str | Path) -> KerasH5:
    """Read the model config and every layer's weights of a Keras HDF5 file.

    Parameters
    ----------
    path : str or pathlib.Path
        An existing file written by ``model.save("model.h5")`` or ``save_weights`` (Keras 2
        or Keras 3, from Python or R).

    Returns
    -------
    KerasH5
        The decoded config (None without one) and the weights of each layer.

    Raises
    ------
    ImportError
        If h5py is missing.
    ValueError
        If the file is a Keras 3 ``.keras`` archive or not HDF5, is truncated or damaged,
        holds a model_config that is not JSON, or lists a weight it does not store.
    """
    path = Path(path)
    with open(path, "rb") as handle:
        signature = handle.read(len(HDF5_SIGNATURE))
    if signature.startswith(ZIP_SIGNATURE):
        raise ValueError(
            f"{path} is a Keras 3 '.keras' archive, not HDF5; re-save the model with "
            "model.save('model.h5') and load that"
        )
    if signature != HDF5_SIGNATURE:
        raise ValueError(f"{path} is not an HDF5 file; expected a Keras .h5 model")
    try:
        import h5py
    except ImportError:
        raise ImportError(
            "reading Keras .h5 weights needs h5py: pip install h5py "
            "(or pip install 'captum-genomics[spliceai]')"
        ) from None
    try:
        with h5py.File(path, "r") as f:
            raw_config = f.attrs.get("model_config")
            root = f["model_weights"] if "model_weights" in f else f
            names = [decode_attribute(name) for name in root.attrs.get("layer_names", ())]
            layers = {name: _layer_weights(root, name, path) for name in names}
    except (OSError, KeyError) as err:
        raise ValueError(
            f"could not read {path} as a Keras HDF5 model ({err}); "
            "the file may be truncated or damaged"
        ) from err
    config = None
    if raw_config is not None:
        try:
            config = json.loads(decode_attribute(raw_config))
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}: model_config is not valid JSON (corrupt file?)") from err
    return KerasH5(config, layers)


def _layer_weights(root, name: str, path: Path) -> dict[str, np.ndarray]:
    """Weights of one layer group keyed by short name (``conv1d/kernel:0`` -> ``kernel``)."""
    if name not in root:
        raise ValueError(f"{path} has no weights for Keras layer {name!r} (corrupt file?)")
    group = root[name]
    weights = {}
    for full in map(decode_attribute, group.attrs.get("weight_names", ())):
        if full not in group:
            raise ValueError(
                f"{path}: Keras layer {name!r}: weight {full!r} is listed but not stored "
                "(corrupt file?)"
            )
        weights[full.rsplit("/", 1)[-1].split(":")[0]] = np.asarray(group[full], np.float32)
    return weights
