"""The CNN of the deepG integrated-gradients study, built from layer specs.

:class:`DeepGCNN` is a configurable 1-D convolutional classifier laid out the way deepG
(``create_model_lstm_cnn``) builds its networks: the first convolution is followed by
max-pooling then batch normalisation, every later one by batch normalisation then
max-pooling; then a head (flatten, global pooling or LSTM), optional hidden dense layers
and a dense output layer. Its default configuration is the study's network (600 x 4 input,
95,458 numbers including BN moving statistics, as Keras counts them).

Internally any network is a list of *layer specs* (plain dicts, see
:mod:`~captum_genomics.models.deepg_spec`), so
:func:`~captum_genomics.models.deepg_keras.load_keras_deepg` can rebuild any linear Keras
model made of the supported layers and copy its weights.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from captum_genomics._deprecation import moved_names
from captum_genomics._validate import check_int
from captum_genomics.dna.codec import LAYOUTS, to_ncl
from captum_genomics.models import deepg_spec

__all__ = ["DeepGCNN"]

OUTPUT_MODES = ("logits", "probabilities")
# One module class per name in deepg_spec.ACTIVATIONS.
_ACTIVATION_MODULES = {
    "relu": nn.ReLU,
    "elu": nn.ELU,
    "selu": nn.SELU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "softplus": nn.Softplus,
    "silu": nn.SiLU,
}


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
    filters, kernel_sizes, pool_sizes : see :func:`.deepg_layer_specs`
        Default (32, 64, 128), (5, 7, 9), (3, 3, 3).
    strides, dilations, padding, activation, batch_norm, head, lstm_units
        Keyword-only; see :func:`.deepg_layer_specs`.
    dense_units, dropout, n_classes, bn_eps, bn_momentum
        Keyword-only; see :func:`.deepg_layer_specs`. Batch norm follows Keras semantics
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
        specs = deepg_spec.deepg_layer_specs(
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
        specs = deepg_spec.normalise_layer_specs(layer_specs)
        shapes = deepg_spec.infer_shapes(specs, input_length)

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
                body.add_module(act_name, _ACTIVATION_MODULES[act]())
        self.body = body
        self.layer_specs = tuple(specs)
        self.layer_names = tuple(names)
        self._layer_input_shapes = tuple(shapes[:-1])
        self.n_classes = specs[-1]["units"]
        self.output_activation = specs[-1]["activation"]
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
            return nn.Identity() if act == "linear" else _ACTIVATION_MODULES[act]()
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
        deepg_spec.infer_shapes(self.layer_specs, value)
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


# Names that lived here before the split (removed in 0.3.0).
__getattr__ = moved_names(
    __name__,
    {
        "HEADS": "captum_genomics.models.deepg_spec:HEADS",
        "LAYER_TYPES": "captum_genomics.models.deepg_spec:LAYER_TYPES",
        "deepg_layer_specs": "captum_genomics.models.deepg_spec:deepg_layer_specs",
        "load_keras_deepg": "captum_genomics.models.deepg_keras:load_keras_deepg",
    },
)
