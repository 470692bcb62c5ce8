"""Load trained SpliceAI weights into :class:`~captum_genomics.models.spliceai.SpliceAI`.

Three sources, none needing TensorFlow:

* ``"spliceai"``: the five original Keras models shipped in the ``spliceai==1.3.1`` wheel
  (``pip install --no-deps spliceai==1.3.1``), read with h5py. Those weights are licensed
  CC BY-NC 4.0 (non-commercial); they are read from the installed distribution at run time
  and never copied into this package.
* ``"cispliceai"``: the CI-SpliceAI five-member ensemble (CC BY 4.0) shipped as a TensorFlow
  frozen graph in ``cispliceai==1.2.2`` (``pip install --no-deps cispliceai==1.2.2``).
* a path to a Keras ``.h5`` file, a TensorFlow frozen graph, or a PyTorch state dict saved
  with ``torch.save(model.state_dict(), path)``; or a state dict itself.

Keras files are read by :mod:`captum_genomics.models._keras_h5` and frozen graphs by the
small protobuf reader of :mod:`captum_genomics.models._graphdef`.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch

from captum_genomics.models._graphdef import Graph, Node, WireError, parse_graph
from captum_genomics.models._keras_h5 import (
    HDF5_SIGNATURE,
    ZIP_SIGNATURE,
    config_layers,
    layer_name,
    read_keras_h5,
)
from captum_genomics.models.spliceai import SPLICEAI_CONTEXTS, SpliceAI, SpliceAIEnsemble

__all__ = [
    "SPLICEAI_INSTALL",
    "CISPLICEAI_INSTALL",
    "find_spliceai_weights",
    "load_spliceai",
    "load_spliceai_h5",
    "load_spliceai_frozen_graph",
    "load_spliceai_state_dict",
]

#: Commands installing the distributions that ship the published weights.
SPLICEAI_INSTALL = "pip install --no-deps spliceai==1.3.1"
CISPLICEAI_INSTALL = "pip install --no-deps cispliceai==1.2.2"

_PACKAGED = {
    "spliceai": (
        [f"spliceai/models/spliceai{i}.h5" for i in range(1, 6)],
        SPLICEAI_INSTALL,
    ),
    "cispliceai": (["cispliceai/data/CI-SpliceAI.pb"], CISPLICEAI_INSTALL),
}

PathLike = str | os.PathLike
Source = PathLike | Mapping[str, Any]


# --------------------------------------------------------------------------------------------
# Locating the packaged weights
# --------------------------------------------------------------------------------------------


def find_spliceai_weights(source: str = "spliceai") -> list[Path]:
    """Paths of the weight files inside an installed distribution.

    Parameters
    ----------
    source : {"spliceai", "cispliceai"}
        ``"spliceai"``: the five Keras files of spliceai 1.3.1, in member order;
        ``"cispliceai"``: the one frozen graph of cispliceai 1.2.2.

    Returns
    -------
    list of pathlib.Path

    Raises
    ------
    ModuleNotFoundError
        If the distribution is not installed; the message gives the pip command.
    FileNotFoundError
        If it is installed but a weight file is missing.
    """
    if source not in _PACKAGED:
        raise ValueError(f"source must be one of {sorted(_PACKAGED)}, got {source!r}")
    relpaths, install = _PACKAGED[source]
    try:
        dist = importlib.metadata.distribution(source)
    except importlib.metadata.PackageNotFoundError:
        raise ModuleNotFoundError(
            f"the {source!r} weights come from the {source} distribution, which is not "
            f"installed: {install}"
        ) from None
    listed = {str(f).replace("\\", "/"): f for f in dist.files or ()}
    paths = []
    for rel in relpaths:
        path = Path(dist.locate_file(listed[rel])) if rel in listed else None
        if path is None or not path.is_file():
            raise FileNotFoundError(
                f"{source} {dist.version} is installed but {rel} is missing; "
                f"reinstall it: {install} --force-reinstall"
            )
        paths.append(path)
    return paths


# --------------------------------------------------------------------------------------------
# Shared assembly: ordered layer arrays -> SpliceAI
# --------------------------------------------------------------------------------------------


class _Conv(NamedTuple):
    name: str
    kernel: np.ndarray  # (W, in, out), Keras / TensorFlow layout
    bias: np.ndarray
    dilation: int | None


class _BatchNorm(NamedTuple):
    name: str
    gamma: np.ndarray
    beta: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    eps: float | None


def _name_number(name: str) -> int:
    """Creation index Keras appends to a layer name (``conv1d_12`` -> 12, ``conv1d`` -> 0)."""
    match = re.search(r"_(\d+)$", name)
    return int(match.group(1)) if match else 0


def _assemble(convs: list[_Conv], norms: list[_BatchNorm], where: str) -> SpliceAI:
    """Build a SpliceAI from its convolutions and batch norms, each in Keras creation order."""
    n_units = len(norms) // 2
    contexts = {units: ctx for ctx, units in SPLICEAI_CONTEXTS.items()}
    expected_convs = 3 + 2 * n_units + n_units // 4
    if len(norms) % 2 or n_units not in contexts or len(convs) != expected_convs:
        shapes = ", ".join(
            f"{units * 2} BatchNormalization + {3 + 2 * units + units // 4} Conv1D (context {ctx})"
            for ctx, units in SPLICEAI_CONTEXTS.items()
        )
        raise ValueError(
            f"{where} does not hold a SpliceAI model: found {len(norms)} BatchNormalization "
            f"and {len(convs)} Conv1D layers; expected one of {shapes}"
        )
    model = SpliceAI(contexts[n_units])
    ch = model.conv_in.out_channels

    def put(conv: torch.nn.Conv1d, layer: _Conv, dilation: int) -> None:
        k = conv.kernel_size[0]
        shape = (k, conv.in_channels, conv.out_channels)
        if layer.kernel.shape != shape or layer.bias.shape != (conv.out_channels,):
            raise ValueError(
                f"{where}: layer {layer.name} has kernel {layer.kernel.shape} and bias "
                f"{layer.bias.shape}; a SpliceAI-{model.context} model needs {shape} and "
                f"({conv.out_channels},) there"
            )
        if layer.dilation is not None and layer.dilation != dilation:
            raise ValueError(
                f"{where}: layer {layer.name} has dilation {layer.dilation}; "
                f"a SpliceAI-{model.context} model needs {dilation} there"
            )
        kernel = np.ascontiguousarray(layer.kernel.transpose(2, 1, 0))  # (out, in, W)
        conv.weight.data.copy_(torch.from_numpy(kernel))
        conv.bias.data.copy_(torch.from_numpy(np.ascontiguousarray(layer.bias)))

    def put_norm(bn: torch.nn.BatchNorm1d, layer: _BatchNorm) -> None:
        for array in (layer.gamma, layer.beta, layer.mean, layer.var):
            if array.shape != (ch,):
                raise ValueError(
                    f"{where}: BatchNormalization {layer.name} has parameters of shape "
                    f"{array.shape}; SpliceAI needs ({ch},)"
                )
        bn.weight.data.copy_(torch.from_numpy(layer.gamma.copy()))
        bn.bias.data.copy_(torch.from_numpy(layer.beta.copy()))
        bn.running_mean.copy_(torch.from_numpy(layer.mean.copy()))
        bn.running_var.copy_(torch.from_numpy(layer.var.copy()))
        if layer.eps is not None:
            bn.eps = float(layer.eps)

    order = iter(convs)
    put(model.conv_in, next(order), 1)
    put(model.skip_in, next(order), 1)
    for i, unit in enumerate(model.units):
        put_norm(unit.bn1, norms[2 * i])
        put(unit.conv1, next(order), unit.dilation)
        put_norm(unit.bn2, norms[2 * i + 1])
        put(unit.conv2, next(order), unit.dilation)
        if (i + 1) % 4 == 0:
            put(model.skips[i // 4], next(order), 1)
    put(model.conv_out, next(order), 1)
    return model.eval()


# --------------------------------------------------------------------------------------------
# Keras HDF5
# --------------------------------------------------------------------------------------------


def _check_file(path: Path) -> None:
    """Raise ``ValueError`` if ``path`` is a directory, ``FileNotFoundError`` if it is missing."""
    if path.is_dir():
        raise ValueError(f"{path} is a directory, not a weight file; give the path of the "
                         "file inside it (.h5, .pb or .pt)")
    if not path.is_file():
        hint = ""
        if len(path.parts) == 1 and not path.suffix:
            hint = f"; named sources are {sorted(_PACKAGED)}"
        raise FileNotFoundError(f"no such weight file: {path}{hint}")


def load_spliceai_h5(path: PathLike) -> SpliceAI:
    """Read a Keras SpliceAI model (``model.save`` or ``save_weights`` HDF5) without Keras.

    Parameters
    ----------
    path : str or os.PathLike
        A Keras 2 ``.h5`` file of a SpliceAI-80nt / 400nt / 2k / 10k model, such as
        ``spliceai/models/spliceai1.h5`` of spliceai 1.3.1.

    Returns
    -------
    SpliceAI
        In eval mode, float32, on the CPU; the context follows from the layers found.

    Raises
    ------
    ImportError
        If h5py is missing.
    ValueError
        If ``path`` is a directory, or the file is not HDF5, is damaged, or does not hold a
        SpliceAI model.
    """
    path = Path(path)
    _check_file(path)
    saved = read_keras_h5(path)
    if not saved.layers:
        raise ValueError(f"{path} is HDF5 but not a Keras model (no layer_names)")
    layers = config_layers(saved.config) if saved.config is not None else []
    config = {layer_name(layer): layer.get("config", {}) for layer in layers}
    convs, norms = [], []
    for name in sorted(saved.layers, key=_name_number):
        arrays = saved.layers[name]
        cfg = config.get(name, {})
        if not arrays:
            continue
        if set(arrays) == {"kernel", "bias"} and arrays["kernel"].ndim == 3:
            dilation = cfg.get("dilation_rate")
            dilation = int(np.ravel(dilation)[0]) if dilation is not None else None
            convs.append(_Conv(name, arrays["kernel"], arrays["bias"], dilation))
        elif set(arrays) == {"gamma", "beta", "moving_mean", "moving_variance"}:
            norms.append(
                _BatchNorm(
                    name,
                    arrays["gamma"],
                    arrays["beta"],
                    arrays["moving_mean"],
                    arrays["moving_variance"],
                    cfg.get("epsilon"),
                )
            )
        else:
            raise ValueError(
                f"{path}: layer {name} holds weights {sorted(arrays)}; a SpliceAI model has "
                "only Conv1D (kernel, bias) and BatchNormalization layers"
            )
    return _assemble(convs, norms, str(path))


# --------------------------------------------------------------------------------------------
# TensorFlow frozen graph (GraphDef protobuf), read with a minimal wire-format decoder
# --------------------------------------------------------------------------------------------


def _graph_conv(graph: Graph, conv: Node) -> _Conv:
    scope = conv.name.rsplit("/", 1)[0]
    kernel = graph.const(conv.inputs[1])
    if kernel is None:
        raise WireError(f"{conv.name}: kernel is not a constant")
    kernel = kernel.reshape(kernel.shape[-3:])
    data = graph.node(conv.inputs[0])
    if data.op == "ExpandDims":
        data = graph.node(data.inputs[0])
    if data.op == "SpaceToBatchND":
        block = graph.const(data.inputs[1])
        dilation = int(block.ravel()[0]) if block is not None else None
    else:
        dilation = None
    out = conv
    while out.op != "BiasAdd":
        nxt = next(
            (
                c
                for c in graph.consumers[out.name]
                if c.op in ("Squeeze", "BatchToSpaceND", "BiasAdd")
            ),
            None,
        )
        if nxt is None:
            raise WireError(f"{conv.name}: no BiasAdd follows the convolution")
        out = nxt
    bias = graph.const(out.inputs[1])
    if bias is None:
        raise WireError(f"{conv.name}: bias is not a constant")
    return _Conv(scope.rsplit("/", 1)[-1], kernel, bias, dilation)


def _graph_norm(graph: Graph, rsqrt: Node) -> _BatchNorm:
    # Keras inference batch norm: y = x * g + (beta - mean * g), g = gamma * rsqrt(var + eps).
    scope = rsqrt.name.rsplit("/", 2)[0]
    add = graph.node(rsqrt.inputs[0])
    consts = [graph.const(i) for i in add.inputs]
    eps = next((c for c in consts if c is not None and c.ndim == 0), None)
    var = next((c for c in consts if c is not None and c.ndim == 1), None)
    scale = graph.consumer(rsqrt, "Mul")
    gamma = (
        None
        if scale is None
        else next(
            (c for c in (graph.const(i) for i in scale.inputs if i != rsqrt.name) if c is not None),
            None,
        )
    )
    mean = beta = None
    for mul in graph.consumers[scale.name] if scale is not None else ():
        other = [graph.const(i) for i in mul.inputs if i != scale.name]
        if mul.op == "Mul" and other and other[0] is not None:
            mean = other[0]
            sub = graph.consumer(mul, "Sub")
            beta = graph.const(sub.inputs[0]) if sub is not None else None
    if any(a is None for a in (eps, var, gamma, mean, beta)):
        raise WireError(f"{scope}: not a Keras BatchNormalization pattern")
    return _BatchNorm(scope.rsplit("/", 1)[-1], gamma, beta, mean, var, float(eps))


def load_spliceai_frozen_graph(path: PathLike) -> list[SpliceAI]:
    """Read the SpliceAI members of a TensorFlow frozen graph without TensorFlow.

    The graph's output may be one SpliceAI softmax, or the mean of a ``Pack`` of several
    (as in CI-SpliceAI); the members are returned in the order they are packed.

    Parameters
    ----------
    path : str or os.PathLike
        A serialised ``GraphDef`` such as ``cispliceai/data/CI-SpliceAI.pb``.

    Returns
    -------
    list of SpliceAI
        In eval mode, float32, on the CPU.

    Raises
    ------
    ValueError
        If the file is not a GraphDef or does not hold SpliceAI models.
    """
    path = Path(path)
    _check_file(path)
    try:
        graph = Graph(parse_graph(path.read_bytes()))
        if not graph.nodes:
            raise WireError("no nodes")
        head = list(graph.nodes.values())[-1]
        while head.op in ("Identity", "Mean") and head.inputs:
            head = graph.node(head.inputs[0])
        outputs = head.inputs if head.op == "Pack" else [head.name]
        if not any(node.op == "Conv2D" for node in graph.nodes.values()):
            raise WireError("no convolution nodes")
        members = []
        for output in outputs:
            nodes = graph.ancestors(output)
            convs = [_graph_conv(graph, n) for n in nodes if n.op == "Conv2D"]
            norms = [_graph_norm(graph, n) for n in nodes if n.op == "Rsqrt"]
            convs.sort(key=lambda c: _name_number(c.name))
            norms.sort(key=lambda b: _name_number(b.name))
            members.append(_assemble(convs, norms, f"{path} (output {output})"))
    except (WireError, UnicodeDecodeError, KeyError, IndexError) as err:
        raise ValueError(
            f"{path} is not a readable TensorFlow frozen graph of SpliceAI ({err})"
        ) from err
    return members


# --------------------------------------------------------------------------------------------
# PyTorch state dicts
# --------------------------------------------------------------------------------------------


def load_spliceai_state_dict(source: PathLike | Mapping[str, Any]) -> SpliceAI | SpliceAIEnsemble:
    """Build a SpliceAI or SpliceAIEnsemble from its ``state_dict``.

    Parameters
    ----------
    source : str, os.PathLike or mapping
        A state dict of :class:`SpliceAI` or :class:`SpliceAIEnsemble`, or a file written by
        ``torch.save(model.state_dict(), path)``. The context and the number of members are
        read from the keys.

    Returns
    -------
    SpliceAI or SpliceAIEnsemble
        In eval mode, float32, on the CPU.

    Raises
    ------
    ValueError
        If the keys or shapes do not match a SpliceAI model.
    """
    where = "state dict"
    if not isinstance(source, Mapping):
        path = Path(source)
        _check_file(path)
        where = str(path)
        try:
            source = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as err:
            raise ValueError(
                f"could not read {path} as a PyTorch state dict ({err}); save it with "
                "torch.save(model.state_dict(), path)"
            ) from err
        if not isinstance(source, Mapping):
            raise ValueError(f"{path} holds a {type(source).__name__}, not a state dict")
    state = dict(source)
    member_ids = sorted({int(m.group(1)) for k in state if (m := re.match(r"members\.(\d+)\.", k))})
    if member_ids:
        if member_ids != list(range(len(member_ids))):
            raise ValueError(f"{where}: ensemble member indices {member_ids} are not 0..n-1")
        groups = [
            {k.split(".", 2)[2]: v for k, v in state.items() if k.startswith(f"members.{i}.")}
            for i in member_ids
        ]
        return SpliceAIEnsemble(
            [_model_from_state(g, f"{where} member {i}") for i, g in enumerate(groups)]
        ).eval()
    return _model_from_state(state, where)


def _model_from_state(state: dict[str, Any], where: str) -> SpliceAI:
    units = {int(m.group(1)) for k in state if (m := re.match(r"units\.(\d+)\.", k))}
    contexts = {n: ctx for ctx, n in SPLICEAI_CONTEXTS.items()}
    if len(units) not in contexts:
        raise ValueError(
            f"{where}: found {len(units)} residual units (keys 'units.<i>.*'); a SpliceAI state "
            f"dict has {sorted(contexts)} (contexts {sorted(SPLICEAI_CONTEXTS)})"
        )
    model = SpliceAI(contexts[len(units)])
    try:
        missing, unexpected = model.load_state_dict(state, strict=False)
    except RuntimeError as err:
        raise ValueError(f"{where}: shapes do not match SpliceAI-{model.context}: {err}") from err
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise ValueError(
            f"{where} does not match SpliceAI-{model.context}: missing keys {missing[:5]}, "
            f"unexpected keys {unexpected[:5]}"
        )
    return model.eval()


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def _load_path(path: Path) -> list[SpliceAI]:
    _check_file(path)
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head == HDF5_SIGNATURE:
        return [load_spliceai_h5(path)]
    if head.startswith((ZIP_SIGNATURE, b"\x80")):  # torch.save zip, or legacy pickle
        model = load_spliceai_state_dict(path)
        return list(model.members) if isinstance(model, SpliceAIEnsemble) else [model]
    try:
        return load_spliceai_frozen_graph(path)
    except ValueError as err:
        raise ValueError(
            f"{path} is neither a Keras HDF5 model, a PyTorch state dict (torch.save) nor a "
            f"TensorFlow frozen graph of SpliceAI ({err})"
        ) from err


def load_spliceai(
    source: Source | Sequence[Source] = "spliceai",
    members: Sequence[int] | None = None,
    device: torch.device | str | None = None,
) -> SpliceAI | SpliceAIEnsemble:
    """Load trained SpliceAI weights as an eval-mode PyTorch module.

    The module maps one-hot input (N, 4, L + context) to probabilities (N, 3, L) of
    (neither, acceptor, donor); an ensemble averages its members' softmax outputs.

    Parameters
    ----------
    source : str, os.PathLike, mapping, or a sequence of those
        ``"spliceai"`` (default): the five original SpliceAI-10k models of spliceai 1.3.1
        (weights CC BY-NC 4.0, non-commercial; ``pip install --no-deps spliceai==1.3.1``).
        ``"cispliceai"``: the five CI-SpliceAI models (CC BY 4.0;
        ``pip install --no-deps cispliceai==1.2.2``). Otherwise a path to a Keras ``.h5``
        model, a TensorFlow frozen graph or a ``torch.save``-d state dict, a state dict
        itself, or a sequence of such sources whose models are pooled as members. (To load a
        file literally named ``spliceai``, pass ``pathlib.Path("spliceai")``.)
    members : sequence of int, optional
        1-based indices of the members to keep, e.g. ``[1, 3]``; default all.
    device : torch.device or str, optional
        Where to put the module; default CPU.

    Returns
    -------
    SpliceAI or SpliceAIEnsemble
        A single :class:`SpliceAI` when one member results, else a :class:`SpliceAIEnsemble`.

    Raises
    ------
    ModuleNotFoundError
        If a named source's distribution is missing (the message gives the pip command).
    ValueError
        If a path is a directory, a file is damaged or foreign, or ``members`` is out of
        range.

    Examples
    --------
    >>> model = load_spliceai("spliceai", members=[1, 3])  # doctest: +SKIP
    >>> model(x).shape  # x: (N, 4, L + 10000)  # doctest: +SKIP
    torch.Size([N, 3, L])
    """
    named = isinstance(source, str) and source in _PACKAGED
    if isinstance(source, (str, os.PathLike, Mapping)):
        sources = [source]
    elif isinstance(source, Sequence) and source:
        sources = list(source)
    else:
        raise TypeError(
            f"source must be 'spliceai', 'cispliceai', a path, a state dict or a sequence of "
            f"those, got {source!r}"
        )
    if named:
        paths = find_spliceai_weights(source)
        if source == "spliceai":  # one file per member: read only those asked for
            paths = [paths[i] for i in _check_members(members, len(paths))]
        try:
            models = [model for path in paths for model in _load_path(path)]
        except ValueError as err:
            raise ValueError(
                f"{err}. The installed {source} weights look damaged; reinstall them: "
                f"{_PACKAGED[source][1]} --force-reinstall"
            ) from err
        if source == "cispliceai":
            models = [models[i] for i in _check_members(members, len(models))]
        return _finish(models, device)
    models = []
    for item in sources:
        if isinstance(item, Mapping):
            model = load_spliceai_state_dict(item)
            models.extend(model.members if isinstance(model, SpliceAIEnsemble) else [model])
        elif isinstance(item, (str, os.PathLike)):
            models.extend(_load_path(Path(item)))
        else:
            raise TypeError(f"cannot load SpliceAI weights from {type(item).__name__}")
    models = [models[i] for i in _check_members(members, len(models))]
    return _finish(models, device)


def _check_members(members: Sequence[int] | None, available: int) -> list[int]:
    if members is None:
        return list(range(available))
    chosen = list(members)
    bad = [m for m in chosen if not isinstance(m, (int, np.integer)) or not 1 <= m <= available]
    if not chosen or bad:
        raise ValueError(
            f"members must be 1-based indices in 1..{available}, got {list(members)!r}"
        )
    return [int(m) - 1 for m in chosen]


def _finish(
    models: list[SpliceAI], device: torch.device | str | None
) -> SpliceAI | SpliceAIEnsemble:
    module = models[0] if len(models) == 1 else SpliceAIEnsemble(models)
    if device is not None:
        module = module.to(device)
    return module.eval()
