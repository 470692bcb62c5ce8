"""The layer-spec language of deepG-style CNNs: plain dicts that describe a network.

A network is a list of *layer specs*, one dict per layer (``{"type": "conv", "filters": 32,
"kernel_size": 5, ...}``; the types and keys are listed in
:meth:`~captum_genomics.models.deepg.DeepGCNN.from_layer_specs`).
:func:`deepg_layer_specs` writes the specs of a deepG network (``create_model_lstm_cnn``);
:func:`normalise_layer_specs` checks any list of specs and fills in defaults;
:func:`infer_shapes` follows the tensor shapes through them. Nothing here needs torch:
:class:`~captum_genomics.models.deepg.DeepGCNN` builds the modules and
:func:`~captum_genomics.models.deepg_keras.load_keras_deepg` writes specs from Keras configs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from captum_genomics._validate import check_int

__all__ = ["HEADS", "LAYER_TYPES", "deepg_layer_specs"]

LAYER_TYPES = (
    "conv",
    "max_pool",
    "average_pool",
    "batch_norm",
    "dropout",
    "activation",
    "flatten",
    "global_average_pool",
    "global_max_pool",
    "lstm",
    "dense",
)
HEADS = ("flatten", "global_average", "global_max", "lstm")
#: Hidden-layer activations (PyTorch modules of these names are built by DeepGCNN).
ACTIVATIONS = ("relu", "elu", "selu", "sigmoid", "tanh", "softplus", "silu")
_ACTIVATION_ALIASES = {"swish": "silu", "linear": "linear", None: "linear"}
OUTPUT_ACTIVATIONS = ("linear", "softmax", "sigmoid")

_REQUIRED = object()
# Allowed keys and defaults of each layer spec type; pool strides None = pool_size.
_SPEC_FIELDS: dict[str, dict[str, Any]] = {
    "conv": {
        "filters": _REQUIRED,
        "kernel_size": _REQUIRED,
        "strides": 1,
        "dilation": 1,
        "padding": "same",
        "activation": "linear",
        "use_bias": True,
    },
    "max_pool": {"pool_size": _REQUIRED, "strides": None},
    "average_pool": {"pool_size": _REQUIRED, "strides": None},
    "batch_norm": {"eps": 1e-3, "momentum": 0.01},
    "dropout": {"rate": _REQUIRED},
    "activation": {"activation": _REQUIRED},
    "flatten": {},
    "global_average_pool": {},
    "global_max_pool": {},
    "lstm": {"units": _REQUIRED, "return_sequences": False, "use_bias": True},
    "dense": {"units": _REQUIRED, "activation": "linear", "use_bias": True},
}
# Layer types that need a (channels, length) input.
_SEQUENCE_LAYERS = frozenset(
    {
        "conv",
        "max_pool",
        "average_pool",
        "flatten",
        "global_average_pool",
        "global_max_pool",
        "lstm",
    }
)


def _as_tuple(value, n: int, name: str) -> tuple[int, ...]:
    """Broadcast an int to ``n`` ints, or check a sequence has ``n`` of them."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),) * n
    values = tuple(value)
    if len(values) != n:
        raise ValueError(
            f"{name} has {len(values)} entries but filters has {n}; give one per layer"
        )
    return values


def deepg_layer_specs(
    filters: Sequence[int] = (32, 64, 128),
    kernel_sizes: int | Sequence[int] = (5, 7, 9),
    pool_sizes: int | Sequence[int] = (3, 3, 3),
    *,
    strides: int | Sequence[int] = 1,
    dilations: int | Sequence[int] = 1,
    padding: str = "same",
    activation: str = "relu",
    batch_norm: bool = True,
    head: str = "flatten",
    lstm_units: Sequence[int] = (),
    dense_units: Sequence[int] = (),
    dropout: float = 0.0,
    n_classes: int = 2,
    bn_eps: float = 1e-3,
    bn_momentum: float = 0.01,
) -> list[dict]:
    """Layer specs of a deepG-style CNN, the building plan of :class:`DeepGCNN`.

    Parameters
    ----------
    filters : sequence of int, default (32, 64, 128)
        Output channels of each convolution; its length sets the number of blocks.
    kernel_sizes, pool_sizes, strides, dilations : int or sequence of int
        Per block (an int applies to all). A pool size of 1 means no pooling.
    padding : {"same", "valid"}, default "same"
        Convolution padding, Keras semantics ("same" keeps ceil(L / stride) positions).
    activation : str, default "relu"
        Activation of the convolutions and of the hidden dense layers.
    batch_norm : bool, default True
        Add batch normalisation to every block (after the pool in block 1, before it in
        the others, as deepG does).
    head : {"flatten", "global_average", "global_max", "lstm"}, default "flatten"
        How the (C, L') feature map becomes a vector. Global pooling and LSTM heads
        accept any input length; "flatten" fixes it.
    lstm_units : sequence of int, default ()
        Units of stacked LSTM layers; required for, and only allowed with, ``head="lstm"``.
    dense_units : sequence of int, default ()
        Hidden dense layers between the head and the output layer.
    dropout : float, default 0.0
        Dropout rate after each hidden dense layer (none when 0).
    n_classes : int, default 2
        Output units. 1 means a binary model with a sigmoid; >= 2 a softmax.
    bn_eps, bn_momentum : float, default 1e-3, 0.01
        Batch-norm epsilon and momentum in PyTorch terms (Keras momentum 0.99 = 0.01 here).

    Returns
    -------
    list of dict
        One dict per layer, ``{"type": ..., ...}`` with the keys listed in the notes of
        :meth:`DeepGCNN.from_layer_specs`.

    Raises
    ------
    ValueError
        On inconsistent lengths, an unknown head, or LSTM units without an LSTM head.
    """
    n = len(tuple(filters))
    if n == 0:
        raise ValueError("filters is empty; a deepG CNN needs at least one convolution")
    kernel_sizes = _as_tuple(kernel_sizes, n, "kernel_sizes")
    pool_sizes = _as_tuple(pool_sizes, n, "pool_sizes")
    strides = _as_tuple(strides, n, "strides")
    dilations = _as_tuple(dilations, n, "dilations")
    if head not in HEADS:
        raise ValueError(f"head must be one of {HEADS}, got {head!r}")
    lstm_units = tuple(lstm_units)
    if head == "lstm" and not lstm_units:
        raise ValueError("head='lstm' needs lstm_units, e.g. lstm_units=(32,)")
    if head != "lstm" and lstm_units:
        raise ValueError(f"lstm_units={lstm_units} needs head='lstm' (got head={head!r})")
    n_classes = check_int(n_classes, "n_classes")
    pool_sizes = tuple(check_int(p, "pool size") for p in pool_sizes)
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")

    specs: list[dict] = []
    bn = {"type": "batch_norm", "eps": bn_eps, "momentum": bn_momentum}
    for i, (f, k, p, s, d) in enumerate(zip(filters, kernel_sizes, pool_sizes, strides, dilations)):
        block = [
            {
                "type": "conv",
                "filters": f,
                "kernel_size": k,
                "strides": s,
                "dilation": d,
                "padding": padding,
                "activation": activation,
            }
        ]
        pool = [{"type": "max_pool", "pool_size": p}] if p > 1 else []
        norm = [dict(bn)] if batch_norm else []
        block += pool + norm if i == 0 else norm + pool
        specs += block
    if head == "flatten":
        specs.append({"type": "flatten"})
    elif head in ("global_average", "global_max"):
        specs.append({"type": f"{head}_pool"})
    else:
        for j, units in enumerate(lstm_units):
            last = j == len(lstm_units) - 1
            specs.append({"type": "lstm", "units": units, "return_sequences": not last})
    for units in dense_units:
        specs.append({"type": "dense", "units": units, "activation": activation})
        if dropout > 0:
            specs.append({"type": "dropout", "rate": dropout})
    specs.append(
        {
            "type": "dense",
            "units": n_classes,
            "activation": "softmax" if n_classes > 1 else "sigmoid",
        }
    )
    return specs


def _activation_name(value, what: str, allowed: Sequence[str]) -> str:
    name = _ACTIVATION_ALIASES.get(value, value)
    if name not in allowed:
        raise ValueError(f"{what}: activation {value!r} is not supported; use one of {allowed}")
    return name


def normalise_layer_specs(layer_specs: Sequence[Mapping]) -> list[dict]:
    """Check a whole network's layer specs and fill in their defaults.

    Parameters
    ----------
    layer_specs : sequence of dict
        Layers in order; the last must be the ``"dense"`` output layer.

    Returns
    -------
    list of dict
        One complete spec per layer: every key of its type present, sizes as int,
        activation names canonical (``"swish"`` -> ``"silu"``, None -> ``"linear"``).

    Raises
    ------
    ValueError
        On an unknown type or key, a missing required key, a value out of range, a last
        layer that is not ``"dense"`` with a linear, softmax or sigmoid activation, or a
        softmax before the output layer.
    """
    specs = [_normalise_spec(spec, i) for i, spec in enumerate(layer_specs)]
    if not specs or specs[-1]["type"] != "dense":
        raise ValueError("the last layer spec must be the 'dense' output layer")
    final_activation = specs[-1]["activation"]
    if final_activation not in OUTPUT_ACTIVATIONS:
        raise ValueError(
            f"the output layer's activation must be one of {OUTPUT_ACTIVATIONS}, got "
            f"{final_activation!r}"
        )
    for i, spec in enumerate(specs[:-1]):
        if spec.get("activation") == "softmax":
            raise ValueError(f"layer spec {i}: softmax is only supported on the output layer")
    return specs


def _normalise_spec(spec: Mapping, index: int) -> dict:
    """Check one layer spec and fill in its defaults."""
    if not isinstance(spec, Mapping) or "type" not in spec:
        raise ValueError(f"layer spec {index} must be a dict with a 'type' key, got {spec!r}")
    kind = spec["type"]
    if kind not in _SPEC_FIELDS:
        raise ValueError(f"layer spec {index}: unknown type {kind!r}; use one of {LAYER_TYPES}")
    fields = _SPEC_FIELDS[kind]
    unknown = set(spec) - set(fields) - {"type", "name"}
    if unknown:
        raise ValueError(
            f"layer spec {index} ({kind}): unknown key(s) {sorted(unknown)}; "
            f"allowed: {sorted(fields)} and 'name'"
        )
    out = {"type": kind}
    for key, default in fields.items():
        if key not in spec and default is _REQUIRED:
            raise ValueError(f"layer spec {index} ({kind}) needs {key!r}")
        out[key] = spec.get(key, default)
    what = f"layer spec {index} ({kind})"
    for key in ("filters", "kernel_size", "dilation", "pool_size", "units"):
        if key in out:
            out[key] = check_int(out[key], f"{what} {key}")
    if kind in ("max_pool", "average_pool"):
        out["strides"] = out["pool_size"] if out["strides"] is None else out["strides"]
    if "strides" in out:
        out["strides"] = check_int(out["strides"], f"{what} strides")
    if kind == "conv" and out["padding"] not in ("same", "valid"):
        raise ValueError(f"{what}: padding must be 'same' or 'valid', got {out['padding']!r}")
    if kind in ("conv", "activation"):
        out["activation"] = _activation_name(out["activation"], what, ("linear", *ACTIVATIONS))
    if kind == "dense":
        out["activation"] = _activation_name(
            out["activation"], what, ("linear", *ACTIVATIONS, "softmax")
        )
    if kind == "dropout" and not 0 <= out["rate"] < 1:
        raise ValueError(f"{what}: rate must be in [0, 1), got {out['rate']!r}")
    if kind == "batch_norm" and not (out["eps"] > 0 and 0 <= out["momentum"] <= 1):
        raise ValueError(
            f"{what}: need eps > 0 and 0 <= momentum <= 1 (PyTorch terms: Keras momentum 0.99 "
            f"is 0.01 here), got eps={out['eps']!r}, momentum={out['momentum']!r}"
        )
    if "name" in spec:
        out["name"] = str(spec["name"])
    return out


def infer_shapes(specs: Sequence[dict], input_length: int | None) -> list[tuple]:
    """Shape entering each layer: ``(channels, length)`` or ``(features,)``.

    Parameters
    ----------
    specs : sequence of dict
        Normalised layer specs (see :func:`normalise_layer_specs`).
    input_length : int or None
        Length of the (4, L) one-hot input; None for any length (lengths stay None).

    Returns
    -------
    list of tuple
        ``len(specs) + 1`` shapes: the one entering each layer, then the output shape.

    Raises
    ------
    ValueError
        Where a layer cannot apply to the shape it receives, or a length shrinks to nothing.
    """
    shape: tuple = (4, input_length)
    shapes = [shape]
    for i, spec in enumerate(specs):
        kind, what = spec["type"], f"layer {i} ({spec['type']})"
        is_seq = len(shape) == 2
        if kind in _SEQUENCE_LAYERS and not is_seq:
            raise ValueError(f"{what} needs a (channels, length) input but gets a flat vector")
        if kind == "dense" and is_seq:
            raise ValueError(
                f"{what} gets a (channels, length) feature map; put a 'flatten', global "
                "pooling or LSTM (return_sequences=False) layer before it"
            )
        length = shape[1] if is_seq else None
        if kind == "conv":
            s, span = spec["strides"], spec["dilation"] * (spec["kernel_size"] - 1) + 1
            if length is not None:
                length = -(-length // s) if spec["padding"] == "same" else (length - span) // s + 1
            shape = (spec["filters"], length)
        elif kind in ("max_pool", "average_pool"):
            if length is not None:
                length = (length - spec["pool_size"]) // spec["strides"] + 1
            shape = (shape[0], length)
        elif kind == "flatten":
            if length is None:
                raise ValueError(
                    f"{what} needs a fixed input_length; use a global pooling or LSTM head "
                    "for inputs of any length"
                )
            shape = (shape[0] * length,)
        elif kind in ("global_average_pool", "global_max_pool"):
            shape = (shape[0],)
        elif kind == "lstm":
            shape = (spec["units"], length) if spec["return_sequences"] else (spec["units"],)
        elif kind == "dense":
            shape = (spec["units"],)
        if len(shape) == 2 and shape[1] is not None and shape[1] < 1:
            raise ValueError(
                f"{what} leaves no positions (input_length={input_length} is too short for "
                "these kernels and pools)"
            )
        shapes.append(shape)
    return shapes
