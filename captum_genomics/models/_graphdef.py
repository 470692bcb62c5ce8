"""Read a TensorFlow frozen graph (a ``GraphDef`` protocol buffer) without TensorFlow (private).

A small reader of the protobuf wire format covering only the messages involved
(``GraphDef``, ``NodeDef``, ``AttrValue``, ``TensorProto``): about a hundred lines, against
a dependency on ``protobuf`` plus ``tensorboard`` (for TensorFlow's compiled message
classes), which would be used for nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np


class WireError(ValueError):
    """Malformed protobuf data."""


def _varint(buf: memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise WireError("truncated or overlong varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, pos


def _fields(buf: memoryview) -> Iterator[tuple[int, int, Any]]:
    """Yield (field number, wire type, value) of a message; value is int or memoryview."""
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 2:
            size, pos = _varint(buf, pos)
            value = buf[pos : pos + size]
            pos += size
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            value = buf[pos : pos + size]
            pos += size
        else:
            raise WireError(f"unsupported wire type {wire}")
        if pos > end or field == 0:
            raise WireError("message runs past its end")
        yield field, wire, value


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _varints(buf: memoryview) -> list[int]:
    values, pos = [], 0
    while pos < len(buf):
        value, pos = _varint(buf, pos)
        values.append(_signed(value))
    return values


class Node(NamedTuple):
    """One NodeDef: its name, op, data inputs and raw attribute values."""

    name: str
    op: str
    inputs: list[str]  # data inputs only, output index stripped
    attrs: dict[str, memoryview]


def parse_graph(data: bytes) -> dict[str, Node]:
    """GraphDef (field 1: NodeDef) -> nodes by name, in file order."""
    nodes: dict[str, Node] = {}
    for field, wire, msg in _fields(memoryview(data)):
        if field != 1 or wire != 2:
            continue
        name, op, inputs, attrs = "", "", [], {}
        for f, w, v in _fields(msg):
            if w != 2:
                continue
            if f == 1:
                name = bytes(v).decode("utf8")
            elif f == 2:
                op = bytes(v).decode("utf8")
            elif f == 3:
                text = bytes(v).decode("utf8")
                if not text.startswith("^"):  # control dependency
                    inputs.append(text.split(":")[0])
            elif f == 5:  # map<string, AttrValue> entry
                entry = {ef: ev for ef, _, ev in _fields(v)}
                attrs[bytes(entry.get(1, b"")).decode("utf8")] = entry.get(2, memoryview(b""))
        nodes[name] = Node(name, op, inputs, attrs)
    return nodes


_TF_DTYPES = {1: np.float32, 2: np.float64, 3: np.int32, 9: np.int64}
_FLOAT_FIELDS = {5: "<f4", 6: "<f8"}  # TensorProto float_val, double_val
_INT_FIELDS = (7, 10)  # TensorProto int_val, int64_val


def decode_tensor(attr: memoryview) -> np.ndarray:
    """Decode the TensorProto held by an AttrValue (field 8)."""
    proto = next((v for f, w, v in _fields(attr) if f == 8 and w == 2), None)
    if proto is None:
        raise WireError("attribute holds no tensor")
    code, shape, content, values = 1, [], None, []
    for f, w, v in _fields(proto):
        if f == 1 and w == 0:
            code = v
        elif f == 2 and w == 2:
            for df, dw, dim in _fields(v):
                if df == 2 and dw == 2:
                    shape.append(next((_signed(s) for sf, _, s in _fields(dim) if sf == 1), 0))
        elif f == 4 and w == 2:
            content = bytes(v)
        elif f in _FLOAT_FIELDS:
            values.extend(np.frombuffer(bytes(v), _FLOAT_FIELDS[f]).tolist())
        elif f in _INT_FIELDS:
            values.extend(_varints(v) if w == 2 else [_signed(v)])
    if code not in _TF_DTYPES:
        raise WireError(f"unsupported tensor dtype code {code}")
    dtype = np.dtype(_TF_DTYPES[code]).newbyteorder("<")
    size = int(np.prod(shape, dtype=np.int64))
    if content is not None:
        if len(content) != size * dtype.itemsize:
            raise WireError(f"tensor content has {len(content)} bytes for shape {shape}")
        array = np.frombuffer(content, dtype)
    elif len(values) in (0, 1):  # TensorFlow repeats a single value over the shape
        array = np.full(size, values[0] if values else 0, dtype)
    elif len(values) == size:
        array = np.asarray(values, dtype)
    else:
        raise WireError(f"tensor has {len(values)} values for shape {shape}")
    return array.astype(dtype.newbyteorder("="), copy=True).reshape(shape)


class Graph:
    """Read-only view of a frozen GraphDef with constant lookup through Identity reads."""

    def __init__(self, nodes: dict[str, Node]) -> None:
        self.nodes = nodes
        self.consumers: dict[str, list[Node]] = {name: [] for name in nodes}
        for node in nodes.values():
            for src in node.inputs:
                if src in self.consumers:
                    self.consumers[src].append(node)

    def node(self, name: str) -> Node:
        """The node called ``name``; a WireError if the graph does not define it."""
        if name not in self.nodes:
            raise WireError(f"node {name!r} is referenced but not defined")
        return self.nodes[name]

    def const(self, name: str) -> np.ndarray | None:
        """The constant ``name`` reads (through Identity-like nodes), or None if not constant."""
        node = self.node(name)
        while node.op in ("Identity", "ReadVariableOp", "ExpandDims") and node.inputs:
            node = self.node(node.inputs[0])
        return decode_tensor(node.attrs["value"]) if node.op == "Const" else None

    def ancestors(self, name: str) -> list[Node]:
        """``name`` and every node it depends on, in file order."""
        seen, stack = set(), [name]
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(self.node(current).inputs)
        return [node for node in self.nodes.values() if node.name in seen]

    def consumer(self, node: Node, op: str) -> Node | None:
        """The first node of type ``op`` reading ``node``, or None."""
        return next((c for c in self.consumers[node.name] if c.op == op), None)
