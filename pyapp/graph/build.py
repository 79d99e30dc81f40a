"""ModelSpec + decoded weights -> Graph. Every problem the model has is found here, before any run."""

from __future__ import annotations

from collections import Counter
from typing import Mapping

import numpy as np

from ..errors import ModelFormatError, UnsupportedOpsError
from ..ops import OPS, STRUCTURAL, parse_placeholder, supported_ops
from .ir import Graph, Node, Ref, parse_ref


def check_supported(spec) -> None:
    missing = Counter(node.op for node in spec.nodes if node.op not in supported_ops())
    if missing:
        listing = ", ".join(f"{op} ({n} node{'s' if n > 1 else ''})" for op, n in sorted(missing.items()))
        err = UnsupportedOpsError(f"{spec.source}: {len(missing)} unsupported op{'s' if len(missing) > 1 else ''}: {listing}")
        err.ops = dict(missing)
        raise err


def const_value(node, weights: Mapping[str, np.ndarray], source: str) -> np.ndarray:
    if node.name in weights:
        return weights[node.name]
    value = node.attrs.get("value")
    if isinstance(value, np.ndarray):
        return value
    raise ModelFormatError(f"{source}: Const node {node.name!r} has no value (not in the weights manifest, no inline tensor)")


def build_graph(spec, weights: Mapping[str, np.ndarray]) -> Graph:
    check_supported(spec)
    nodes: dict[str, Node] = {}
    consts: dict[Ref, np.ndarray] = {}
    for nd in spec.nodes:
        if nd.name in nodes:
            raise ModelFormatError(f"{spec.source}: two nodes are named {nd.name!r}")
        data = tuple(parse_ref(i) for i in nd.inputs if not i.startswith("^"))
        control = tuple(i[1:] for i in nd.inputs if i.startswith("^"))
        attrs = None
        if nd.op == "Const":
            consts[(nd.name, 0)] = const_value(nd, weights, spec.source)
        elif nd.op == "Placeholder":
            attrs = parse_placeholder(nd.attrs)
        elif nd.op not in STRUCTURAL:
            try:
                attrs = OPS[nd.op].parse(nd.attrs)
            except (KeyError, ValueError, TypeError) as e:
                raise ModelFormatError(f"{spec.source}: node {nd.name!r} ({nd.op}): bad attributes: {e}") from None
        nodes[nd.name] = Node(nd.name, nd.op, data, attrs, nd.attrs, control)
    for node in nodes.values():
        for src in [src for src, _ in node.inputs] + list(node.control):
            if src not in nodes:
                raise ModelFormatError(f"{spec.source}: node {node.name!r} reads {src!r}, which is not in the graph")
    inputs = tuple(t.name for t in spec.inputs)
    outputs = {t.name: parse_ref(t.name) for t in spec.outputs}
    for name in [*inputs, *(ref[0] for ref in outputs.values())]:
        if name not in nodes:
            raise ModelFormatError(f"{spec.source}: signature names {name!r}, which is not a node of the graph")
    for name in inputs:
        if nodes[name].op != "Placeholder":
            raise ModelFormatError(f"{spec.source}: input {name!r} is a {nodes[name].op} node, not a Placeholder")
    return Graph(nodes, consts, inputs, outputs)
