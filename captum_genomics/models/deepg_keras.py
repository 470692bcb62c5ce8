"""Import deepG's Keras models (HDF5) into :class:`~captum_genomics.models.deepg.DeepGCNN`.

The file's ``model_config`` becomes a list of layer specs
(:mod:`~captum_genomics.models.deepg_spec`), the network is rebuilt from them and every
weight copied with its layout converted. The file is read by
:mod:`captum_genomics.models._keras_h5`, without Keras or TensorFlow.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from captum_genomics.models._keras_h5 import config_layers, layer_name, read_keras_h5
from captum_genomics.models.deepg import DeepGCNN

__all__ = ["load_keras_deepg"]

_KERAS_SUPPORTED = (
    "InputLayer",
    "Conv1D",
    "MaxPooling1D",
    "AveragePooling1D",
    "BatchNormalization",
    "Dropout",
    "Activation",
    "Flatten",
    "GlobalAveragePooling1D",
    "GlobalMaxPooling1D",
    "LSTM",
    "Dense",
)


def _first(value):
    """Keras stores 1-D sizes as one-element lists (or plain ints in old files)."""
    return value[0] if isinstance(value, (list, tuple)) else value


def _keras_layer_spec(class_name: str, cfg: dict) -> dict:
    """Translate one Keras layer config (not an InputLayer) into a layer spec."""
    name = cfg.get("name", class_name)
    where = f"Keras layer {name!r} ({class_name})"
    if cfg.get("data_format", "channels_last") != "channels_last":
        raise ValueError(f"{where}: only data_format='channels_last' is supported")
    if class_name == "Conv1D":
        if cfg.get("padding") not in ("same", "valid"):
            raise ValueError(f"{where}: padding {cfg.get('padding')!r} is not supported")
        if cfg.get("groups", 1) != 1:
            raise ValueError(f"{where}: grouped convolutions are not supported")
        return {
            "type": "conv",
            "name": name,
            "filters": cfg["filters"],
            "kernel_size": _first(cfg["kernel_size"]),
            "strides": _first(cfg.get("strides", 1)),
            "dilation": _first(cfg.get("dilation_rate", 1)),
            "padding": cfg["padding"],
            "activation": cfg.get("activation", "linear"),
            "use_bias": cfg.get("use_bias", True),
        }
    if class_name in ("MaxPooling1D", "AveragePooling1D"):
        if cfg.get("padding", "valid") != "valid":
            raise ValueError(f"{where}: only padding='valid' pooling is supported")
        pool = _first(cfg["pool_size"])
        strides = cfg.get("strides")
        return {
            "type": "max_pool" if class_name == "MaxPooling1D" else "average_pool",
            "name": name,
            "pool_size": pool,
            "strides": pool if strides is None else _first(strides),
        }
    if class_name == "BatchNormalization":
        if _first(cfg.get("axis", -1)) not in (-1, 2):
            raise ValueError(f"{where}: only normalisation over the last axis is supported")
        if not (cfg.get("center", True) and cfg.get("scale", True)):
            raise ValueError(f"{where}: center=False or scale=False is not supported")
        return {
            "type": "batch_norm",
            "name": name,
            "eps": cfg.get("epsilon", 1e-3),
            "momentum": round(1.0 - cfg.get("momentum", 0.99), 12),
        }
    if class_name == "Dropout":
        return {"type": "dropout", "name": name, "rate": cfg.get("rate", 0.0)}
    if class_name == "Activation":
        return {"type": "activation", "name": name, "activation": cfg["activation"]}
    if class_name == "Flatten":
        return {"type": "flatten", "name": name}
    if class_name == "GlobalAveragePooling1D":
        return {"type": "global_average_pool", "name": name}
    if class_name == "GlobalMaxPooling1D":
        return {"type": "global_max_pool", "name": name}
    if class_name == "LSTM":
        if (
            cfg.get("activation", "tanh") != "tanh"
            or cfg.get("recurrent_activation", "sigmoid") != "sigmoid"
        ):
            raise ValueError(
                f"{where}: only activation='tanh' with recurrent_activation='sigmoid' is "
                "supported (PyTorch's LSTM); old Keras 'hard_sigmoid' LSTMs are not"
            )
        for flag in ("go_backwards", "stateful", "return_state"):
            if cfg.get(flag, False):
                raise ValueError(f"{where}: {flag}=True is not supported")
        return {
            "type": "lstm",
            "name": name,
            "units": cfg["units"],
            "return_sequences": cfg.get("return_sequences", False),
            "use_bias": cfg.get("use_bias", True),
        }
    if class_name == "Dense":
        return {
            "type": "dense",
            "name": name,
            "units": cfg["units"],
            "activation": cfg.get("activation", "linear"),
            "use_bias": cfg.get("use_bias", True),
        }
    raise ValueError(
        f"{where} is not supported by load_keras_deepg; supported layers: "
        f"{', '.join(_KERAS_SUPPORTED)} in a single chain"
    )


def _inbound_names(layer: dict) -> list[str]:
    """Names of the layers feeding a functional-model layer (Keras 2 and Keras 3 formats)."""
    names: list[str] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            history = node.get("config", {}).get("keras_history") if "config" in node else None
            if history is not None:
                names.append(history[0])
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            if len(node) >= 3 and isinstance(node[0], str) and isinstance(node[1], int):
                names.append(node[0])
                return
            for value in node:
                walk(value)

    walk(layer.get("inbound_nodes", []))
    return names


def _input_length_from(layer_cfg: dict, where: str) -> int | None:
    shape = layer_cfg.get("batch_shape") or layer_cfg.get("batch_input_shape")
    if shape is None:
        return None
    if len(shape) != 3 or shape[2] != 4:
        raise ValueError(
            f"{where}: the model takes inputs of shape {tuple(shape)}; load_keras_deepg needs "
            "(batch, length, 4) one-hot DNA"
        )
    return shape[1]


def _parse_model_config(config: dict) -> tuple[list[dict], int | None]:
    """Layer specs and input length of a linear Sequential or functional Keras model."""
    class_name = config.get("class_name")
    if class_name not in ("Sequential", "Functional", "Model"):
        raise ValueError(
            f"model_config describes a {class_name!r}; only Sequential or functional Keras "
            "models are supported"
        )
    layers = config_layers(config)
    if not layers:
        raise ValueError("model_config lists no layers")
    functional = class_name != "Sequential"
    specs: list[dict] = []
    input_length: int | None = None
    previous: str | None = None
    for layer in layers:
        cls, cfg = layer.get("class_name"), layer.get("config", {})
        name = layer_name(layer)
        if functional and previous is not None and _inbound_names(layer) != [previous]:
            raise ValueError(
                f"Keras layer {name!r} does not simply follow {previous!r}; only single-chain "
                "models (no branches, residual additions or multiple inputs) are supported"
            )
        previous = name
        if cls in ("Sequential", "Functional", "Model"):
            raise ValueError(f"Keras layer {name!r} is a nested model, which is not supported")
        if cls == "InputLayer" or (not specs and ("batch_input_shape" in cfg)):
            input_length = _input_length_from(cfg, f"Keras layer {name!r}")
        if cls != "InputLayer":
            specs.append(_keras_layer_spec(cls, cfg))
    body = config.get("config", {})
    outputs = body.get("output_layers") if isinstance(body, dict) else None
    if functional and outputs and _inbound_names({"inbound_nodes": outputs}) != [previous]:
        raise ValueError(
            f"the model's output is not its last layer {previous!r}; only single-chain models "
            "are supported"
        )
    return specs, input_length


def _assign(param: torch.Tensor, value: np.ndarray, where: str) -> None:
    if tuple(param.shape) != value.shape:
        raise ValueError(
            f"{where}: weight of shape {value.shape} does not fit {tuple(param.shape)}; the "
            "model_config and the stored weights disagree (corrupt file?)"
        )
    with torch.no_grad():
        param.copy_(torch.from_numpy(np.ascontiguousarray(value)))


def _to_torch_flat_order(values: np.ndarray, flatten_shape: tuple | None) -> np.ndarray:
    """Reorder the leading (flattened-feature) axis from Keras to PyTorch order.

    Keras flattens (L', C) position-major, PyTorch flattens (C, L') channel-major; None
    (no flatten upstream) or a mismatched size leaves ``values`` as they are.
    """
    if flatten_shape is None or values.shape[0] != flatten_shape[0] * flatten_shape[1]:
        return values
    channels, length = flatten_shape
    rest = values.shape[1:]
    reordered = values.reshape(length, channels, *rest).swapaxes(0, 1)
    return reordered.reshape(channels * length, *rest)


def _load_weights(model: DeepGCNN, saved_layers: dict[str, dict[str, np.ndarray]]) -> None:
    """Copy Keras weights (layer name -> short name -> array) into ``model``, converting layouts."""
    flatten_shape = None
    for spec, name, shape in zip(model.layer_specs, model.layer_names, model._layer_input_shapes):
        kind, module = spec["type"], getattr(model.body, name)
        if kind == "flatten":
            flatten_shape = shape
        if kind not in ("conv", "batch_norm", "lstm", "dense"):
            continue
        where = f"Keras layer {name!r}"
        keras_name = spec.get("name", name)
        if keras_name not in saved_layers:
            raise ValueError(
                f"the file has no weights for Keras layer {keras_name!r} (corrupt file?)"
            )
        w = saved_layers[keras_name]
        needed = {
            "conv": ("kernel",),
            "dense": ("kernel",),
            "batch_norm": ("gamma", "beta", "moving_mean", "moving_variance"),
            "lstm": ("kernel", "recurrent_kernel"),
        }[kind] + (("bias",) if spec.get("use_bias") and kind != "batch_norm" else ())
        missing = [k for k in needed if k not in w]
        if missing:
            raise ValueError(f"{where}: weights {missing} are missing from the file")
        if kind == "conv":
            # Keras (k, in, out) -> torch (out, in, k); both are cross-correlations.
            _assign(module.weight, w["kernel"].transpose(2, 1, 0), where)
            if spec["use_bias"]:
                _assign(module.bias, w["bias"], where)
        elif kind == "batch_norm":
            for param, key in (
                (module.weight, "gamma"),
                (module.bias, "beta"),
                (module.running_mean, "moving_mean"),
                (module.running_var, "moving_variance"),
            ):
                _assign(param, _to_torch_flat_order(w[key], flatten_shape), where)
        elif kind == "lstm":
            # Gate order i, f, c, o is shared; Keras has one bias, PyTorch two (sum used).
            lstm = module.lstm
            _assign(lstm.weight_ih_l0, w["kernel"].T, where)
            _assign(lstm.weight_hh_l0, w["recurrent_kernel"].T, where)
            if spec["use_bias"]:
                _assign(lstm.bias_ih_l0, w["bias"], where)
                _assign(lstm.bias_hh_l0, np.zeros_like(w["bias"]), where)
        else:
            _assign(module.weight, _to_torch_flat_order(w["kernel"], flatten_shape).T, where)
            flatten_shape = None
            if spec["use_bias"]:
                _assign(module.bias, w["bias"], where)


def load_keras_deepg(
    path: str | os.PathLike, *, layout: str = "NCL", output: str = "logits"
) -> DeepGCNN:
    """Load a deepG (Keras) model saved as ``.h5`` into a :class:`DeepGCNN`.

    The architecture is rebuilt from the file's ``model_config`` and every weight copied:
    Conv1D kernels (k, in, out) become (out, in, k); BatchNormalization moving statistics
    become running statistics with Keras's epsilon and momentum; the Dense layer after a
    Flatten gets its kernel rows permuted (Keras flattens (L', C) position-major, PyTorch
    (C, L') channel-major); an LSTM's single Keras bias goes to ``bias_ih`` with
    ``bias_hh = 0``. Reading needs h5py only, not TensorFlow.

    Parameters
    ----------
    path : str or os.PathLike
        A Keras model saved whole in HDF5 (``model.save("model.h5")`` in Python,
        ``save_model_hdf5`` in R; Keras 2 or Keras 3). Supported layers, in one chain:
        InputLayer, Conv1D, MaxPooling1D, AveragePooling1D ('valid'), BatchNormalization,
        Dropout, Activation, Flatten, GlobalAveragePooling1D, GlobalMaxPooling1D, LSTM
        (tanh / sigmoid), Dense.
    layout : {"NCL", "NLC"}, default "NCL"
        Input layout of the returned module; "NLC" takes Keras-style (N, L, 4) inputs.
    output : {"logits", "probabilities"}, default "logits"
        Return the last Dense layer's pre-activation scores or its softmax/sigmoid (the
        Keras model's own outputs).

    Returns
    -------
    DeepGCNN
        In eval mode, float32, on the CPU. Its ``input_length`` is the one in the file; for
        global pooling or LSTM heads set ``model.input_length = None`` to accept any length.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ImportError
        If h5py is missing.
    ValueError
        If ``path`` is a directory, the file is not HDF5 (for instance a Keras 3 ``.keras``
        archive), holds no model config (a weights-only file), uses an unsupported layer or
        a non-linear topology, or its weights are missing or do not fit the config.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a directory, not a Keras model file; give the path of "
                         "the .h5 file (a SavedModel folder is not supported)")
    if not path.is_file():
        raise FileNotFoundError(f"Keras model file not found: {path}")
    saved = read_keras_h5(path)
    if saved.config is None:
        raise ValueError(
            f"{path} has no 'model_config' attribute: it is a weights-only file "
            "(save_weights) or not a Keras model; save the whole model with "
            "model.save('model.h5')"
        )
    specs, input_length = _parse_model_config(saved.config)
    try:
        model = DeepGCNN.from_layer_specs(specs, input_length, output=output, layout=layout)
    except ValueError as err:
        raise ValueError(f"{path}: cannot rebuild the Keras model: {err}") from err
    _load_weights(model, saved.layers)
    return model.eval()
