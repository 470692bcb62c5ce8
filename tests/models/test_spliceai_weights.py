"""Tests of the SpliceAI weight loaders (captum_genomics.models.spliceai_weights).

Loader logic is exercised on small random-weight files written here: Keras-layout HDF5 files
(h5py) and TensorFlow-style frozen graphs (encoded with a few lines of protobuf wire format).
"""

from __future__ import annotations

import importlib.metadata
import json
import struct

import h5py
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from captum_genomics.models._graphdef import decode_tensor
from captum_genomics.models.spliceai import SpliceAI, SpliceAIEnsemble
from captum_genomics.models.spliceai_weights import (
    find_spliceai_weights,
    load_spliceai,
    load_spliceai_frozen_graph,
    load_spliceai_h5,
    load_spliceai_state_dict,
)
from tests.support import needs_cispliceai, needs_spliceai, random_spliceai

UNITS = {80: 4, 400: 8}
WIDTHS = (11,) * 8
DILATIONS = (1,) * 4 + (4,) * 4


# ---------------------------------------------------------------- random Keras-style layers


def keras_layers(context: int, seed: int, offset: int = 0) -> list[dict]:
    """Layers of a random SpliceAI in Keras creation order, with Keras names and layouts."""
    gen = np.random.default_rng(seed)
    units = UNITS[context]
    layers: list[dict] = []
    n_conv = n_bn = offset

    def conv(width: int, c_in: int, c_out: int, dilation: int = 1) -> None:
        nonlocal n_conv
        n_conv += 1
        layers.append(
            {
                "kind": "conv",
                "name": f"conv1d_{n_conv}",
                # Scaled so activations stay O(1) and float32 rounding stays ~1e-7.
                "kernel": gen.normal(0, 0.7 / np.sqrt(width * c_in), (width, c_in, c_out)).astype(
                    np.float32
                ),
                "bias": gen.normal(0, 0.1, c_out).astype(np.float32),
                "dilation": dilation,
            }
        )

    def norm() -> None:
        nonlocal n_bn
        n_bn += 1
        layers.append(
            {
                "kind": "bn",
                "name": f"batch_normalization_{n_bn}",
                "gamma": gen.normal(1, 0.2, 32).astype(np.float32),
                "beta": gen.normal(0, 0.2, 32).astype(np.float32),
                "moving_mean": gen.normal(0, 0.3, 32).astype(np.float32),
                "moving_variance": gen.uniform(0.5, 2, 32).astype(np.float32),
            }
        )

    conv(1, 4, 32)
    conv(1, 32, 32)
    for i in range(units):
        norm()
        conv(WIDTHS[i], 32, 32, DILATIONS[i])
        norm()
        conv(WIDTHS[i], 32, 32, DILATIONS[i])
        if (i + 1) % 4 == 0:
            conv(1, 32, 32)
    conv(1, 32, 3)
    return layers


def write_keras_h5(path, layers, *, weights_only=False, order=None, eps=1e-3) -> None:
    """Write layers in the Keras 2 HDF5 layout (``model.save`` or ``save_weights``)."""
    order = order if order is not None else range(len(layers))
    with h5py.File(path, "w") as f:
        root = f if weights_only else f.create_group("model_weights")
        root.attrs["layer_names"] = [layers[i]["name"].encode() for i in order]
        configs = []
        for layer in layers:
            name = layer["name"]
            group = root.create_group(name)
            keys = (
                ("kernel", "bias")
                if layer["kind"] == "conv"
                else ("gamma", "beta", "moving_mean", "moving_variance")
            )
            group.attrs["weight_names"] = [f"{name}/{k}:0".encode() for k in keys]
            for k in keys:
                group.create_dataset(f"{name}/{k}:0", data=layer[k])
            if layer["kind"] == "conv":
                cfg = {"name": name, "dilation_rate": [layer["dilation"]], "padding": "same"}
                configs.append({"class_name": "Conv1D", "config": cfg})
            else:
                configs.append(
                    {"class_name": "BatchNormalization", "config": {"name": name, "epsilon": eps}}
                )
        if not weights_only:
            f.attrs["model_config"] = json.dumps(
                {"class_name": "Model", "config": {"layers": configs}}
            ).encode()


def numpy_keras_forward(layers, x: np.ndarray, eps: float = 1e-3) -> np.ndarray:
    """Keras semantics in numpy, channels last: x (L, 4) -> probabilities (L - context, 3)."""

    def conv(h, layer):
        k, d = layer["kernel"], layer["dilation"]
        half = d * (k.shape[0] - 1) // 2
        padded = np.pad(h, ((half, half), (0, 0)))
        out = np.zeros((h.shape[0], k.shape[2]))
        for j in range(k.shape[0]):
            out += padded[j * d : j * d + h.shape[0]] @ k[j]
        return out + layer["bias"]

    def norm(h, layer):
        scale = layer["gamma"] / np.sqrt(layer["moving_variance"] + eps)
        return (h - layer["moving_mean"]) * scale + layer["beta"]

    convs = [lay for lay in layers if lay["kind"] == "conv"]
    norms = [lay for lay in layers if lay["kind"] == "bn"]
    h = conv(x.astype(np.float64), convs[0])
    skip = conv(h, convs[1])
    c = 2
    for i in range(len(norms) // 2):
        y = conv(np.maximum(norm(h, norms[2 * i]), 0), convs[c])
        y = conv(np.maximum(norm(y, norms[2 * i + 1]), 0), convs[c + 1])
        h, c = h + y, c + 2
        if (i + 1) % 4 == 0:
            skip, c = skip + conv(h, convs[c]), c + 1
    half = sum(d * (w - 1) for w, d in zip(WIDTHS, DILATIONS[: len(norms) // 2]))
    logits = conv(skip[half : skip.shape[0] - half], convs[c])
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def random_input(length: int, seed: int) -> np.ndarray:
    gen = np.random.default_rng(seed)
    return np.eye(4, dtype=np.float32)[gen.integers(0, 4, length)]


def run(model, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model(torch.from_numpy(x.T.copy())[None])[0].T.double().numpy()


# ---------------------------------------------------------------- Keras HDF5


@settings(max_examples=6, deadline=None)
@given(
    context=st.sampled_from([80, 400]),
    seed=st.integers(0, 2**16),
    offset=st.sampled_from([0, 39]),
    shuffle=st.booleans(),
    weights_only=st.booleans(),
)
def test_h5_loader_reproduces_keras_forward(
    tmp_path_factory, context, seed, offset, shuffle, weights_only
):
    # Layer numbering may start anywhere and layer_names may list layers in any order.
    layers = keras_layers(context, seed, offset)
    order = np.random.default_rng(seed).permutation(len(layers)) if shuffle else None
    path = tmp_path_factory.mktemp("h5") / "model.h5"
    write_keras_h5(path, layers, weights_only=weights_only, order=order)
    model = load_spliceai_h5(path)
    assert isinstance(model, SpliceAI) and model.context == context and not model.training
    x = random_input(context + 23, seed)
    np.testing.assert_allclose(run(model, x), numpy_keras_forward(layers, x), atol=2e-6)


def test_h5_epsilon_is_read_from_the_config(tmp_path):
    layers = keras_layers(80, 1)
    write_keras_h5(tmp_path / "m.h5", layers, eps=0.01)
    model = load_spliceai_h5(tmp_path / "m.h5")
    assert model.units[0].bn1.eps == pytest.approx(0.01)
    x = random_input(100, 1)
    np.testing.assert_allclose(run(model, x), numpy_keras_forward(layers, x, eps=0.01), atol=2e-6)


def test_h5_foreign_and_damaged_files(tmp_path):
    layers = keras_layers(80, 2)

    bad = [dict(layer) for layer in layers]
    bad[5]["kernel"] = bad[5]["kernel"][:9]
    write_keras_h5(tmp_path / "width.h5", bad)
    with pytest.raises(ValueError, match=rf"{bad[5]['name']} has kernel \(9, 32, 32\)"):
        load_spliceai_h5(tmp_path / "width.h5")

    bad = [dict(layer) for layer in layers]
    bad[3]["dilation"] = 2
    write_keras_h5(tmp_path / "dilation.h5", bad)
    with pytest.raises(ValueError, match="dilation 2"):
        load_spliceai_h5(tmp_path / "dilation.h5")

    write_keras_h5(tmp_path / "short.h5", layers[:-3])
    with pytest.raises(ValueError, match="does not hold a SpliceAI model"):
        load_spliceai_h5(tmp_path / "short.h5")

    with h5py.File(tmp_path / "dense.h5", "w") as f:
        f.attrs["layer_names"] = [b"dense_1"]
        g = f.create_group("dense_1")
        g.attrs["weight_names"] = [b"dense_1/kernel:0"]
        g.create_dataset("dense_1/kernel:0", data=np.zeros((3, 3), np.float32))
    with pytest.raises(ValueError, match=r"dense_1 holds weights \['kernel'\]"):
        load_spliceai_h5(tmp_path / "dense.h5")

    with h5py.File(tmp_path / "plain.h5", "w") as f:
        f.create_dataset("data", data=np.arange(3))
    with pytest.raises(ValueError, match="not a Keras model"):
        load_spliceai_h5(tmp_path / "plain.h5")

    write_keras_h5(tmp_path / "cut.h5", layers)
    data = (tmp_path / "cut.h5").read_bytes()
    (tmp_path / "cut.h5").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated or damaged"):
        load_spliceai_h5(tmp_path / "cut.h5")

    (tmp_path / "text.h5").write_text("hello")
    with pytest.raises(ValueError, match="not an HDF5 file"):
        load_spliceai_h5(tmp_path / "text.h5")
    with pytest.raises(FileNotFoundError, match="no such weight file"):
        load_spliceai_h5(tmp_path / "absent.h5")
    with pytest.raises(FileNotFoundError, match=r"named sources are \['cispliceai', 'spliceai'\]"):
        load_spliceai("spliceaii")


# ---------------------------------------------------------------- protobuf encoding for tests


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _ld(field: int, payload: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(payload)) + payload


def _vi(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)


_DTYPE_CODES = {
    np.dtype(np.float32): 1,
    np.dtype(np.float64): 2,
    np.dtype(np.int32): 3,
    np.dtype(np.int64): 9,
}


def encode_tensor(array: np.ndarray, mode: str = "content") -> bytes:
    """TensorProto bytes; mode 'content' (raw bytes), 'packed' or 'repeated' values."""
    array = np.asarray(array)
    shape = b"".join(_ld(2, _vi(1, int(s))) for s in array.shape)
    msg = _vi(1, _DTYPE_CODES[array.dtype]) + _ld(2, shape)
    flat = array.ravel()
    if mode == "content":
        return msg + _ld(4, flat.astype(array.dtype.newbyteorder("<")).tobytes())
    if array.dtype.kind == "f":
        field, fmt = (5, "<f") if array.dtype == np.float32 else (6, "<d")
        if mode == "packed":
            return msg + _ld(field, struct.pack(f"{fmt[0]}{flat.size}{fmt[1]}", *flat))
        wire = 5 if field == 5 else 1
        return msg + b"".join(_varint(field << 3 | wire) + struct.pack(fmt, v) for v in flat)
    field = 7 if array.dtype == np.int32 else 10
    if mode == "packed":
        return msg + _ld(field, b"".join(_varint(int(v)) for v in flat))
    return msg + b"".join(_vi(field, int(v)) for v in flat)


def _attr(name: str, value: bytes) -> bytes:
    return _ld(5, _ld(1, name.encode()) + _ld(2, value))


def _node(name: str, op: str, inputs=(), attrs=()) -> bytes:
    body = _ld(1, name.encode()) + _ld(2, op.encode())
    body += b"".join(_ld(3, i.encode()) for i in inputs)
    body += b"".join(_attr(k, v) for k, v in attrs)
    return _ld(1, body)


class GraphWriter:
    """Builds a frozen-graph-like GraphDef with Keras/TensorFlow node naming."""

    def __init__(self) -> None:
        self.nodes = [_node("x", "Placeholder", attrs=[("dtype", _vi(6, 1))])]

    def const(self, name: str, array: np.ndarray, mode: str = "content") -> str:
        self.nodes.append(
            _node(name, "Const", attrs=[("value", _ld(8, encode_tensor(array, mode)))])
        )
        return name

    def op(self, name: str, op: str, *inputs: str) -> str:
        self.nodes.append(_node(name, op, inputs))
        return name

    def read(self, name: str, array: np.ndarray, mode: str = "content") -> str:
        return self.op(name, "Identity", self.const(f"{name}/resource", array, mode))

    def conv(self, x: str, layer: dict, sfx: str, block: int | None = None) -> str:
        scope = f"model_1/{layer['name']}/conv1d{sfx}"
        k = self.op(
            f"{scope}/ExpandDims_1",
            "ExpandDims",
            self.read(f"{scope}/ExpandDims_1/ReadVariableOp", layer["kernel"]),
            self.const(f"{scope}/ExpandDims_1/dim", np.array(0, np.int32)),
        )
        dilation = layer["dilation"] if block is None else block
        if dilation > 1:
            x = self.op(
                f"{scope}/SpaceToBatchND",
                "SpaceToBatchND",
                x,
                self.const(
                    f"{scope}/SpaceToBatchND/block_shape", np.array([dilation], np.int32), "packed"
                ),
                self.const(f"{scope}/paddings", np.zeros((1, 2), np.int32)),
            )
        x = self.op(
            f"{scope}/ExpandDims",
            "ExpandDims",
            x,
            self.const(f"{scope}/ExpandDims/dim", np.array(-3, np.int32), "repeated"),
        )
        y = self.op(f"{scope}/Squeeze", "Squeeze", self.op(scope, "Conv2D", x, k))
        if dilation > 1:
            y = self.op(f"{scope}/BatchToSpaceND", "BatchToSpaceND", y)
        bias = self.read(f"model_1/{layer['name']}/BiasAdd{sfx}/ReadVariableOp", layer["bias"])
        return self.op(f"model_1/{layer['name']}/BiasAdd{sfx}", "BiasAdd", y, bias)

    def norm(self, x: str, layer: dict, sfx: str, eps: float = 1e-3) -> str:
        s = f"model_1/{layer['name']}/batchnorm{sfx}"
        var = self.read(f"{s}/ReadVariableOp", layer["moving_variance"])
        add = self.op(
            f"{s}/add",
            "AddV2",
            var,
            self.const(f"{s}/add/y", np.array(eps, np.float32), "repeated"),
        )
        rsqrt = self.op(f"{s}/Rsqrt", "Rsqrt", add)
        mul = self.op(
            f"{s}/mul", "Mul", rsqrt, self.read(f"{s}/mul/ReadVariableOp", layer["gamma"], "packed")
        )
        mul_1 = self.op(f"{s}/mul_1", "Mul", x, mul)
        mul_2 = self.op(
            f"{s}/mul_2", "Mul", self.read(f"{s}/ReadVariableOp_1", layer["moving_mean"]), mul
        )
        sub = self.op(f"{s}/sub", "Sub", self.read(f"{s}/ReadVariableOp_2", layer["beta"]), mul_2)
        return self.op(f"{s}/add_1", "AddV2", mul_1, sub)

    def member(self, layers: list[dict], sfx: str, block: int | None = None) -> str:
        # A linear chain is enough: the loader orders layers by their Keras names.
        h = "x"
        for layer in layers:
            h = (
                self.conv(h, layer, sfx, block)
                if layer["kind"] == "conv"
                else self.norm(h, layer, sfx)
            )
        return self.op(f"model_1/{layers[-1]['name']}/truediv{sfx}", "RealDiv", h, h)

    def finish(self, outputs: list[str], control: str) -> bytes:
        stack = self.op("stack", "Pack", *outputs)
        mean = self.op("Mean", "Mean", stack, self.const("Mean/axis", np.array(0, np.int32)))
        self.op("Identity", "Identity", mean, f"^{control}")
        return b"".join(self.nodes)


# ---------------------------------------------------------------- frozen graphs


@settings(max_examples=25, deadline=None)
@given(
    array=st.one_of(
        hnp.arrays(
            np.float32,
            hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
            elements=st.floats(-1e6, 1e6, width=32),
        ),
        hnp.arrays(
            np.float64,
            hnp.array_shapes(min_dims=0, max_dims=2, max_side=4),
            elements=st.floats(-1e6, 1e6),
        ),
        hnp.arrays(np.int32, hnp.array_shapes(min_dims=0, max_dims=2, max_side=4)),
        hnp.arrays(np.int64, hnp.array_shapes(min_dims=0, max_dims=2, max_side=4)),
    ),
    mode=st.sampled_from(["content", "packed", "repeated"]),
)
def test_tensor_decoding_round_trips(array, mode):
    decoded = decode_tensor(memoryview(_ld(8, encode_tensor(array, mode))))
    assert decoded.dtype == array.dtype and decoded.shape == array.shape
    np.testing.assert_array_equal(decoded, array)


def test_tensor_single_value_fills_the_shape():
    proto = _vi(1, 1) + _ld(2, _ld(2, _vi(1, 2)) + _ld(2, _vi(1, 3))) + _varint(5 << 3 | 5)
    decoded = decode_tensor(memoryview(_ld(8, proto + struct.pack("<f", 1.5))))
    np.testing.assert_array_equal(decoded, np.full((2, 3), 1.5, np.float32))


def test_frozen_graph_members_in_pack_order(tmp_path):
    members = [keras_layers(400, seed) for seed in (11, 12, 13)]
    graph = GraphWriter()
    outputs = [graph.member(layers, sfx) for layers, sfx in zip(members, ("", "_1", "_2"))]
    order = [2, 0, 1]  # the ensemble packs member outputs in this order
    path = tmp_path / "graph.pb"
    path.write_bytes(graph.finish([outputs[i] for i in order], control=outputs[0]))
    models = load_spliceai_frozen_graph(path)
    assert len(models) == 3 and all(m.context == 400 and not m.training for m in models)
    x = random_input(430, 5)
    for model, i in zip(models, order):
        np.testing.assert_allclose(run(model, x), numpy_keras_forward(members[i], x), atol=2e-6)
    ensemble = load_spliceai(path, members=[2, 3])
    assert isinstance(ensemble, SpliceAIEnsemble)
    torch.testing.assert_close(ensemble.members[0].conv_out.weight, models[1].conv_out.weight)


def test_frozen_graph_single_model_without_pack(tmp_path):
    layers = keras_layers(80, 14)
    graph = GraphWriter()
    out = graph.member(layers, "")
    graph.op("Identity", "Identity", out)
    path = tmp_path / "single.pb"
    path.write_bytes(b"".join(graph.nodes))
    (model,) = load_spliceai_frozen_graph(path)
    x = random_input(95, 14)
    np.testing.assert_allclose(run(model, x), numpy_keras_forward(layers, x), atol=2e-6)


def test_frozen_graph_wrong_dilation_and_garbage(tmp_path):
    graph = GraphWriter()
    out = graph.member(keras_layers(400, 15), "", block=3)
    path = tmp_path / "dilated.pb"
    path.write_bytes(graph.finish([out], control=out))
    with pytest.raises(ValueError, match="dilation 3"):
        load_spliceai_frozen_graph(path)

    (tmp_path / "noise.pb").write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(ValueError, match="not a readable TensorFlow frozen graph"):
        load_spliceai_frozen_graph(tmp_path / "noise.pb")
    with pytest.raises(ValueError, match="neither a Keras HDF5 model"):
        load_spliceai(tmp_path / "noise.pb")

    data = path.read_bytes()
    (tmp_path / "cut.pb").write_bytes(data[: len(data) // 3])
    with pytest.raises(ValueError, match="frozen graph"):
        load_spliceai(tmp_path / "cut.pb")


# ---------------------------------------------------------------- state dicts and load_spliceai


@pytest.mark.parametrize("context", [80, 400, 2000, 10000])
def test_state_dict_round_trip_infers_context(tmp_path, context):
    model = random_spliceai(context, context, mean_sd=0.3)
    torch.save(model.state_dict(), tmp_path / "m.pt")
    loaded = load_spliceai(tmp_path / "m.pt")
    assert isinstance(loaded, SpliceAI) and loaded.context == context and not loaded.training
    for (name, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        torch.testing.assert_close(a, b, atol=0, rtol=0, msg=name)


def test_ensemble_state_dict_and_member_selection(tmp_path):
    members = [random_spliceai(80, s, mean_sd=0.3) for s in (1, 2, 3)]
    state = SpliceAIEnsemble(members).state_dict()
    torch.save(state, tmp_path / "ens.pt")
    loaded = load_spliceai(tmp_path / "ens.pt")
    assert isinstance(loaded, SpliceAIEnsemble) and len(loaded.members) == 3
    x = torch.from_numpy(random_input(90, 0).T.copy())[None]
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), SpliceAIEnsemble(members)(x))
        pair = load_spliceai(state, members=[1, 3])
        assert isinstance(pair, SpliceAIEnsemble) and len(pair.members) == 2
        torch.testing.assert_close(pair.members[1](x), members[2](x))
        single = load_spliceai(state, members=[2])
        assert isinstance(single, SpliceAI)
        torch.testing.assert_close(single(x), members[1](x))
    for bad in ([0], [4], [], [1.0]):
        with pytest.raises(ValueError, match="1-based indices in 1..3"):
            load_spliceai(state, members=bad)


def test_sources_can_be_pooled_and_moved(tmp_path):
    layers = keras_layers(80, 21)
    write_keras_h5(tmp_path / "k.h5", layers)
    torch_model = random_spliceai(80, 22, mean_sd=0.3)
    pooled = load_spliceai([tmp_path / "k.h5", torch_model.state_dict()], device="meta")
    assert isinstance(pooled, SpliceAIEnsemble) and len(pooled.members) == 2
    assert pooled.members[0].conv_in.weight.device.type == "meta"
    with pytest.raises(ValueError, match="share one context"):
        load_spliceai([tmp_path / "k.h5", random_spliceai(400, 1, mean_sd=0.3).state_dict()])
    with pytest.raises(TypeError, match="source must be"):
        load_spliceai(42)


def test_bad_state_dicts(tmp_path):
    state = random_spliceai(80, 3, mean_sd=0.3).state_dict()
    with pytest.raises(ValueError, match="found 3 residual units"):
        load_spliceai_state_dict({k: v for k, v in state.items() if not k.startswith("units.3")})
    state_missing = {k: v for k, v in state.items() if k != "conv_out.bias"}
    with pytest.raises(ValueError, match=r"missing keys \['conv_out.bias'\]"):
        load_spliceai_state_dict(state_missing)
    state_shape = dict(state, **{"conv_in.weight": torch.zeros(32, 4, 3)})
    with pytest.raises(ValueError, match="shapes do not match"):
        load_spliceai_state_dict(state_shape)
    no_counters = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
    assert isinstance(load_spliceai_state_dict(no_counters), SpliceAI)
    torch.save([1, 2], tmp_path / "list.pt")
    with pytest.raises(ValueError, match="holds a list, not a state dict"):
        load_spliceai(tmp_path / "list.pt")
    torch.save(random_spliceai(80, 4, mean_sd=0.3), tmp_path / "module.pt")
    with pytest.raises(ValueError, match=r"torch.save\(model.state_dict\(\), path\)"):
        load_spliceai(tmp_path / "module.pt")


# ---------------------------------------------------------------- packaged distributions


class _FakeDistribution:
    version = "1.3.1"
    files: list = []

    def locate_file(self, path):
        return path


def test_missing_distribution_names_the_install_command(monkeypatch):
    def absent(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", absent)
    with pytest.raises(ModuleNotFoundError, match=r"pip install --no-deps spliceai==1\.3\.1"):
        load_spliceai("spliceai")
    with pytest.raises(ModuleNotFoundError, match=r"pip install --no-deps cispliceai==1\.2\.2"):
        load_spliceai("cispliceai")


def test_missing_weight_file_says_reinstall(monkeypatch):
    monkeypatch.setattr(importlib.metadata, "distribution", lambda name: _FakeDistribution())
    with pytest.raises(FileNotFoundError, match="spliceai1.h5 is missing.*force-reinstall"):
        find_spliceai_weights("spliceai")
    with pytest.raises(ValueError, match="one of"):
        find_spliceai_weights("openspliceai")


def test_damaged_packaged_weights_say_reinstall(monkeypatch, tmp_path):
    from captum_genomics.models import spliceai_weights

    layers = keras_layers(80, 5)
    write_keras_h5(tmp_path / "good.h5", layers)
    data = (tmp_path / "good.h5").read_bytes()
    (tmp_path / "cut.h5").write_bytes(data[: len(data) // 2])
    files = [tmp_path / "good.h5", tmp_path / "cut.h5"]
    monkeypatch.setattr(spliceai_weights, "find_spliceai_weights", lambda source: files)
    assert isinstance(load_spliceai("spliceai", members=[1]), SpliceAI)
    with pytest.raises(
        ValueError, match=r"reinstall them: pip install --no-deps spliceai==1\.3\.1"
    ):
        load_spliceai("spliceai")
    with pytest.raises(ValueError, match="1-based indices in 1..2"):
        load_spliceai("spliceai", members=[3])


@pytest.mark.weights
@needs_spliceai
def test_packaged_spliceai_files_and_member_selection():
    paths = find_spliceai_weights("spliceai")
    assert [p.name for p in paths] == [f"spliceai{i}.h5" for i in range(1, 6)]
    second = load_spliceai("spliceai", members=[2])
    assert isinstance(second, SpliceAI) and second.context == 10000 and not second.training
    reference = load_spliceai_h5(paths[1])
    torch.testing.assert_close(second.units[15].conv2.weight, reference.units[15].conv2.weight)
    assert sum(p.numel() for p in second.parameters()) == 698_787 - 2 * 32 * 32


@pytest.mark.weights
@needs_cispliceai
def test_packaged_cispliceai_member_selection():
    pair = load_spliceai("cispliceai", members=[1, 3])
    assert isinstance(pair, SpliceAIEnsemble) and len(pair.members) == 2
    assert pair.members[0].units[0].bn1.eps == pytest.approx(1e-3)
    assert not torch.equal(pair.members[0].conv_out.weight, pair.members[1].conv_out.weight)
