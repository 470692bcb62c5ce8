"""The CNN of the deepG integrated-gradients study, and an importer for deepG's Keras models.

:class:`DeepGCNN` is a configurable 1-D convolutional classifier laid out the way deepG
(``create_model_lstm_cnn``) builds its networks: the first convolution is followed by
max-pooling then batch normalisation, every later one by batch normalisation then
max-pooling; then a head (flatten, global pooling or LSTM), optional hidden dense layers
and a dense output layer. Its default configuration is the study's network (600 x 4 input,
95,458 numbers including BN moving statistics, as Keras counts them).

Internally any network is a list of *layer specs* (plain dicts, see
:func:`deepg_layer_specs`), so :func:`load_keras_deepg` can rebuild any linear Keras model
made of the supported layers and copy its weights.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from captum_genomics._validate import check_int
from captum_genomics.dna.codec import LAYOUTS, to_ncl

__all__ = [
    "DeepGCNN",
    "LAYER_TYPES",
    "deepg_layer_specs",
    "load_keras_deepg",
]

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
OUTPUT_MODES = ("logits", "probabilities")
HEADS = ("flatten", "global_average", "global_max", "lstm")

_ACTIVATIONS = {
    "relu": nn.ReLU,
    "elu": nn.ELU,
    "selu": nn.SELU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "softplus": nn.Softplus,
    "silu": nn.SiLU,
}
_ACTIVATION_ALIASES = {"swish": "silu", "linear": "linear", None: "linear"}
_OUTPUT_ACTIVATIONS = ("linear", "softmax", "sigmoid")

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
        out["activation"] = _activation_name(out["activation"], what, ("linear", *_ACTIVATIONS))
    if kind == "dense":
        out["activation"] = _activation_name(
            out["activation"], what, ("linear", *_ACTIVATIONS, "softmax")
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


def _infer_shapes(specs: Sequence[dict], input_length: int | None) -> list[tuple]:
    """Shape entering each layer: ``(channels, length)`` or ``(features,)``; length may be None.

    The last entry is the output shape. Raises ValueError where a layer cannot apply.
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


class _TFSameConv1d(nn.Conv1d):
    """Conv1d with TensorFlow's 'same' padding (left side gets the smaller half)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        length = x.shape[-1]
        stride, kernel, dilation = self.stride[0], self.kernel_size[0], self.dilation[0]
        out = -(-length // stride)
        total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - length, 0)
        return super().forward(F.pad(x, (total // 2, total - total // 2)))


class _GlobalPool(nn.Module):
    """Mean or max over the length axis: (N, C, L) -> (N, C)."""

    def __init__(self, mode: str):
        super().__init__()
        self.mode = mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=-1) if self.mode == "average" else x.amax(dim=-1)

    def extra_repr(self) -> str:
        return f"mode={self.mode!r}"


class _LSTMLayer(nn.Module):
    """Keras-style LSTM on (N, C, L): returns the last hidden state (N, H) or all (N, H, L)."""

    def __init__(self, input_size: int, units: int, return_sequences: bool, bias: bool):
        super().__init__()
        self.lstm = nn.LSTM(input_size, units, batch_first=True, bias=bias)
        self.return_sequences = return_sequences

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        sequence = x.transpose(1, 2)
        if x.is_cuda and not self.training and torch.is_grad_enabled():
            # cuDNN's RNN backward refuses eval mode, which attribution needs.
            with torch.backends.cudnn.flags(enabled=False):
                out, (h, _) = self.lstm(sequence)
        else:
            out, (h, _) = self.lstm(sequence)
        return out.transpose(1, 2) if self.return_sequences else h[-1]

    def extra_repr(self) -> str:
        return f"return_sequences={self.return_sequences}"


class DeepGCNN(nn.Module):
    """Configurable deepG-style CNN for one-hot DNA; the default is the deepG study's network.

    Default network (input 600 x 4): Conv(32, k5, relu, same) -> MaxPool(3) -> BN ->
    Conv(64, k7, relu, same) -> BN -> MaxPool(3) -> Conv(128, k9, relu, same) -> BN ->
    MaxPool(3) -> Flatten (128 x 22 = 2,816) -> Dense(2). It has 95,010 trainable
    parameters plus 448 BN moving statistics (95,458 numbers, Keras's count).

    Parameters
    ----------
    input_length : int or None, default 600
        Sequence length L. None (any length) needs a global pooling or LSTM head.
    filters, kernel_sizes, pool_sizes : see :func:`deepg_layer_specs`
        Default (32, 64, 128), (5, 7, 9), (3, 3, 3).
    strides, dilations, padding, activation, batch_norm, head, lstm_units
        Keyword-only; see :func:`deepg_layer_specs`.
    dense_units, dropout, n_classes, bn_eps, bn_momentum
        Keyword-only; see :func:`deepg_layer_specs`. Batch norm follows Keras semantics
        (eps 1e-3, PyTorch momentum 0.01 = Keras 0.99).
    output : {"logits", "probabilities"}, default "logits"
        What :meth:`forward` returns: the output layer's pre-activation scores, or its
        softmax (sigmoid when ``n_classes == 1``). Explain either with Captum by choosing
        ``target``; logits avoid the saturation of probabilities. Can be changed later by
        assigning ``model.output``.
    layout : {"NCL", "NLC"}, default "NCL"
        Input layout: (N, 4, L) or (N, L, 4) as in deepG/Keras. The weights do not depend
        on it.

    Attributes
    ----------
    body : torch.nn.Sequential
        All layers in order, named by spec (``conv1``, ``conv1_relu``, ``max_pool1``, ...;
        Keras layer names for imported models); the output layer's softmax is not in it.
    layer_specs : tuple of dict
        The normalised layer specs the network was built from.
    layer_names : tuple of str
        Name in :attr:`body` of the module made from each spec.
    n_classes : int
        Number of output units.
    output_activation : {"softmax", "sigmoid", "linear"}
        Activation of the output layer used for ``output="probabilities"``.

    Examples
    --------
    >>> model = DeepGCNN()                       # the study's 600 x 4 network
    >>> model(torch.zeros(8, 4, 600)).shape
    torch.Size([8, 2])
    >>> genome = DeepGCNN(None, head="global_average")   # any length, e.g. 1 Mb
    """

    def __init__(
        self,
        input_length: int | None = 600,
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
        output: str = "logits",
        layout: str = "NCL",
        bn_eps: float = 1e-3,
        bn_momentum: float = 0.01,
    ):
        super().__init__()
        specs = deepg_layer_specs(
            filters,
            kernel_sizes,
            pool_sizes,
            strides=strides,
            dilations=dilations,
            padding=padding,
            activation=activation,
            batch_norm=batch_norm,
            head=head,
            lstm_units=lstm_units,
            dense_units=dense_units,
            dropout=dropout,
            n_classes=n_classes,
            bn_eps=bn_eps,
            bn_momentum=bn_momentum,
        )
        self._build(specs, input_length, output, layout)

    @classmethod
    def from_layer_specs(
        cls,
        layer_specs: Sequence[Mapping],
        input_length: int | None = None,
        *,
        output: str = "logits",
        layout: str = "NCL",
    ) -> DeepGCNN:
        """Build a network from an explicit list of layer specs.

        Parameters
        ----------
        layer_specs : sequence of dict
            Layers in order; the last must be ``"dense"`` (the output layer, activation
            ``"softmax"``, ``"sigmoid"`` or ``"linear"``). Types and keys (defaults):

            - ``conv``: filters, kernel_size, strides (1), dilation (1), padding
              ("same" | "valid"), activation ("linear"), use_bias (True)
            - ``max_pool`` / ``average_pool``: pool_size, strides (pool_size); no padding
            - ``batch_norm``: eps (1e-3), momentum (0.01, PyTorch terms)
            - ``dropout``: rate; ``activation``: activation
            - ``flatten``, ``global_average_pool``, ``global_max_pool``
            - ``lstm``: units, return_sequences (False), use_bias (True)
            - ``dense``: units, activation ("linear"), use_bias (True)

            Every spec may carry a ``name`` (a module name in :attr:`body`).
            Activations: linear, relu, elu, selu, sigmoid, tanh, softplus, silu (swish).
        input_length : int or None, default None
            Fixed input length, or None for any length (not with ``flatten``).
        output : {"logits", "probabilities"}, default "logits"
            See :class:`DeepGCNN`.
        layout : {"NCL", "NLC"}, default "NCL"
            Input layout.

        Returns
        -------
        DeepGCNN
            A freshly initialised network in training mode.

        Raises
        ------
        ValueError
            On an unknown type or key, a missing required key, a layer that cannot apply
            to the shape it receives, or a length that shrinks to nothing.
        """
        model = cls.__new__(cls)
        nn.Module.__init__(model)
        model._build(layer_specs, input_length, output, layout)
        return model

    def _build(self, layer_specs, input_length, output, layout) -> None:
        if layout not in LAYOUTS:
            raise ValueError(
                f"layout must be one of {LAYOUTS} ('NCL' = (N, 4, L), 'NLC' = (N, L, 4)), "
                f"got {layout!r}"
            )
        if input_length is not None:
            input_length = check_int(input_length, "input_length")
        specs = [_normalise_spec(s, i) for i, s in enumerate(layer_specs)]
        if not specs or specs[-1]["type"] != "dense":
            raise ValueError("the last layer spec must be the 'dense' output layer")
        final_activation = specs[-1]["activation"]
        if final_activation not in _OUTPUT_ACTIVATIONS:
            raise ValueError(
                f"the output layer's activation must be one of {_OUTPUT_ACTIVATIONS}, got "
                f"{final_activation!r}"
            )
        for i, spec in enumerate(specs[:-1]):
            if spec.get("activation") == "softmax":
                raise ValueError(f"layer spec {i}: softmax is only supported on the output layer")
        shapes = _infer_shapes(specs, input_length)

        body = nn.Sequential()
        names: list[str] = []
        counts: dict[str, int] = {}
        for i, spec in enumerate(specs):
            kind = spec["type"]
            counts[kind] = counts.get(kind, 0) + 1
            name = re.sub(r"\W", "_", spec.get("name", f"{kind}{counts[kind]}"))
            act = spec.get("activation", "linear") if kind in ("conv", "dense") else "linear"
            act_name = f"{name}_{act}" if act != "linear" and i < len(specs) - 1 else None
            if name in body._modules or act_name in body._modules or name == act_name:
                raise ValueError(f"layer spec {i}: duplicate layer name {name!r}")
            body.add_module(name, self._make_layer(spec, shapes[i]))
            names.append(name)
            if act_name is not None:
                body.add_module(act_name, _ACTIVATIONS[act]())
        self.body = body
        self.layer_specs = tuple(specs)
        self.layer_names = tuple(names)
        self._layer_input_shapes = tuple(shapes[:-1])
        self.n_classes = specs[-1]["units"]
        self.output_activation = final_activation
        self._input_length = input_length
        self.layout = layout
        self.output = output

    @staticmethod
    def _make_layer(spec: dict, in_shape: tuple) -> nn.Module:
        kind = spec["type"]
        if kind == "conv":
            conv_cls, padding = nn.Conv1d, spec["padding"]
            # torch's own 'same' needs stride 1 and copies the input for an odd total pad.
            if padding == "same" and (
                spec["strides"] > 1 or spec["dilation"] * (spec["kernel_size"] - 1) % 2
            ):
                conv_cls, padding = _TFSameConv1d, 0
            return conv_cls(
                in_shape[0],
                spec["filters"],
                spec["kernel_size"],
                stride=spec["strides"],
                padding=padding,
                dilation=spec["dilation"],
                bias=spec["use_bias"],
            )
        if kind == "max_pool":
            return nn.MaxPool1d(spec["pool_size"], spec["strides"])
        if kind == "average_pool":
            return nn.AvgPool1d(spec["pool_size"], spec["strides"])
        if kind == "batch_norm":
            return nn.BatchNorm1d(in_shape[0], eps=spec["eps"], momentum=spec["momentum"])
        if kind == "dropout":
            return nn.Dropout(spec["rate"])
        if kind == "activation":
            act = spec["activation"]
            return nn.Identity() if act == "linear" else _ACTIVATIONS[act]()
        if kind == "flatten":
            return nn.Flatten()
        if kind in ("global_average_pool", "global_max_pool"):
            return _GlobalPool(kind.split("_")[1])
        if kind == "lstm":
            return _LSTMLayer(
                in_shape[0], spec["units"], spec["return_sequences"], spec["use_bias"]
            )
        return nn.Linear(in_shape[0], spec["units"], bias=spec["use_bias"])

    @property
    def output(self) -> str:
        """{"logits", "probabilities"}: what :meth:`forward` returns."""
        return self._output

    @output.setter
    def output(self, value: str) -> None:
        if value not in OUTPUT_MODES:
            raise ValueError(f"output must be one of {OUTPUT_MODES}, got {value!r}")
        if value == "probabilities" and self.output_activation == "linear":
            raise ValueError(
                "output='probabilities' needs a softmax or sigmoid output layer; this one is "
                "linear, so use output='logits'"
            )
        self._output = value

    @property
    def _has_flatten(self) -> bool:
        return any(spec["type"] == "flatten" for spec in self.layer_specs)

    @property
    def input_length(self) -> int | None:
        """int or None: the accepted input length (None = any).

        Assignable: a global pooling or LSTM network can be opened to other lengths (e.g.
        ``model.input_length = None`` to run a 600-bp-trained model on 1 Mb); a flatten
        head fixes the length it was built for.
        """
        return self._input_length

    @input_length.setter
    def input_length(self, value: int | None) -> None:
        if value is not None:
            value = check_int(value, "input_length")
        if value != self._input_length and self._has_flatten:
            raise ValueError(
                f"this network has a flatten head built for input_length={self._input_length}; "
                "it cannot take another length"
            )
        _infer_shapes(self.layer_specs, value)
        self._input_length = value

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Score a batch of one-hot sequences.

        Parameters
        ----------
        inputs : torch.Tensor, shape (N, 4, L) or (N, L, 4) per ``layout``
            One-hot (or interpolated, fractional) sequences, floating dtype.

        Returns
        -------
        torch.Tensor, shape (N, n_classes)
            Logits, or probabilities when ``output == "probabilities"``.

        Raises
        ------
        ValueError
            If ``inputs`` is not 3-D, lacks 4 channels where ``layout`` puts them, or its
            length differs from a fixed ``input_length``.
        """
        if inputs.ndim != 3:
            raise ValueError(
                f"inputs must be 3-D {'(N, 4, L)' if self.layout == 'NCL' else '(N, L, 4)'} "
                f"(layout={self.layout!r}), got shape {tuple(inputs.shape)}"
            )
        x = to_ncl(inputs, self.layout)
        if x.shape[1] != 4:
            other = "NLC" if self.layout == "NCL" else "NCL"
            raise ValueError(
                f"inputs of shape {tuple(inputs.shape)} have no 4-channel axis for "
                f"layout={self.layout!r}; if they are in the other layout build the model with "
                f"layout={other!r}"
            )
        if self._input_length is not None and x.shape[2] != self._input_length:
            raise ValueError(
                f"inputs have length {x.shape[2]} but the model takes {self._input_length}"
                + ("" if self._has_flatten else "; set model.input_length = None")
            )
        scores = self.body(x)
        if self._output == "probabilities":
            if self.output_activation == "softmax":
                return torch.softmax(scores, dim=-1)
            return torch.sigmoid(scores)
        return scores

    def extra_repr(self) -> str:
        return (
            f"input_length={self._input_length}, layout={self.layout!r}, "
            f"output={self._output!r}, output_activation={self.output_activation!r}"
        )


# ---------------------------------------------------------------------------------------------
# Keras h5 import

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
    body = config.get("config", {})
    layers = body if isinstance(body, list) else body.get("layers", [])
    if not layers:
        raise ValueError("model_config lists no layers")
    functional = class_name != "Sequential"
    specs: list[dict] = []
    input_length: int | None = None
    previous: str | None = None
    for layer in layers:
        cls, cfg = layer.get("class_name"), layer.get("config", {})
        name = cfg.get("name", layer.get("name"))
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
    outputs = body.get("output_layers") if isinstance(body, dict) else None
    if functional and outputs and _inbound_names({"inbound_nodes": outputs}) != [previous]:
        raise ValueError(
            f"the model's output is not its last layer {previous!r}; only single-chain models "
            "are supported"
        )
    return specs, input_length


def _decode(value) -> str:
    return value.decode("utf8") if isinstance(value, bytes) else str(value)


def _read_layer_weights(weights_root, layer_name: str) -> dict[str, np.ndarray]:
    """Weights of one Keras layer keyed by their short name (kernel, bias, gamma, ...)."""
    if layer_name not in weights_root:
        raise ValueError(f"the file has no weights for Keras layer {layer_name!r} (corrupt file?)")
    group = weights_root[layer_name]
    out = {}
    for full in group.attrs.get("weight_names", []):
        full = _decode(full)
        if full not in group:
            raise ValueError(
                f"Keras layer {layer_name!r}: weight {full!r} is listed but not stored "
                "(corrupt file?)"
            )
        short = full.rsplit("/", 1)[-1].split(":")[0]
        out[short] = np.asarray(group[full], dtype=np.float32)
    return out


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


def _load_weights(model: DeepGCNN, weights_root) -> None:
    """Copy Keras weights into ``model``, converting layouts."""
    flatten_shape = None
    for spec, name, shape in zip(model.layer_specs, model.layer_names, model._layer_input_shapes):
        kind, module = spec["type"], getattr(model.body, name)
        if kind == "flatten":
            flatten_shape = shape
        if kind not in ("conv", "batch_norm", "lstm", "dense"):
            continue
        where = f"Keras layer {name!r}"
        w = _read_layer_weights(weights_root, spec.get("name", name))
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
    ValueError
        If the file is not HDF5 (for instance a Keras 3 ``.keras`` archive), holds no model
        config (a weights-only file), uses an unsupported layer or a non-linear topology,
        or its weights are missing or do not fit the config.
    """
    import h5py

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Keras model file not found: {path}")
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic == b"PK\x03\x04":
        raise ValueError(
            f"{path} is a Keras 3 '.keras' archive, not HDF5; re-save the model with "
            "model.save('model.h5') and load that"
        )
    try:
        handle = h5py.File(path, "r")
    except OSError as err:
        raise ValueError(
            f"{path} is not a readable HDF5 file ({err}); expected a Keras model saved with "
            "model.save('model.h5')"
        ) from err
    with handle as f:
        raw = f.attrs.get("model_config")
        if raw is None:
            raise ValueError(
                f"{path} has no 'model_config' attribute: it is a weights-only file "
                "(save_weights) or not a Keras model; save the whole model with "
                "model.save('model.h5')"
            )
        try:
            config = json.loads(_decode(raw))
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}: model_config is not valid JSON (corrupt file?)") from err
        specs, input_length = _parse_model_config(config)
        try:
            model = DeepGCNN.from_layer_specs(specs, input_length, output=output, layout=layout)
        except ValueError as err:
            raise ValueError(f"{path}: cannot rebuild the Keras model: {err}") from err
        weights_root = f["model_weights"] if "model_weights" in f else f
        _load_weights(model, weights_root)
    return model.eval()
