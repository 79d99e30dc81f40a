"""Fusion pass: Conv2D / DepthwiseConv2dNative / MatMul -> bias Add -> activation, each the only
reader of the one before, becomes one fused node (what the TF.js converter does for most models),
so backends run one kernel and the epilogue works in place."""

from __future__ import annotations

from dataclasses import replace

from ..ops import OPS
from ..ops.fused import FUSABLE
from .ir import Graph, Node, Ref

FUSED = {"Conv2D": "_FusedConv2D", "DepthwiseConv2dNative": "FusedDepthwiseConv2dNative", "MatMul": "_FusedMatMul"}
BIAS_OPS = frozenset({"Add", "AddV2", "BiasAdd"})


def out_channels(node: Node, graph: Graph) -> int | None:
    w = graph.consts.get(node.inputs[1])
    if w is None:
        return None
    if node.op == "DepthwiseConv2dNative":
        return w.shape[2] * w.shape[3]
    if node.op == "MatMul":
        return w.shape[0] if node.attrs.transpose_b else w.shape[1]
    return w.shape[3]


def bias_of(add: Node, src: str, graph: Graph, channels: int | None) -> Ref | None:
    """The constant 1-D bias `add` adds to tensor `src`, or None when it is anything else."""
    if add.op not in BIAS_OPS or len(add.inputs) != 2:
        return None
    other = [ref for ref in add.inputs if ref != (src, 0)]
    if len(other) != 1 or other[0] not in graph.consts:
        return None
    value = graph.consts[other[0]]
    return other[0] if value.ndim == 1 and channels is not None and value.shape[0] == channels else None


def fuse_conv_epilogue(graph: Graph) -> Graph:
    users = graph.consumers()
    outputs = {ref[0] for ref in graph.outputs.values()}
    nodes = dict(graph.nodes)

    def sole_reader(name: str) -> Node | None:
        readers = users[name]
        return graph.nodes[readers[0]] if len(readers) == 1 and name not in outputs else None

    for node in graph.nodes.values():
        if node.op not in FUSED or (add := sole_reader(node.name)) is None:
            continue
        if (bias := bias_of(add, node.name, graph, out_channels(node, graph))) is None:
            continue
        fused_ops, last = ["BiasAdd"], add
        act = sole_reader(add.name)
        if act is not None and act.op in FUSABLE and act.inputs == ((add.name, 0),):
            fused_ops.append(act.op)
            last = act
        raw = {**node.raw, "fused_ops": fused_ops, "num_args": 1}
        op = FUSED[node.op]
        nodes[last.name] = Node(last.name, op, (*node.inputs, bias), OPS[op].parse(raw), raw)
        for gone in {node.name, add.name} - {last.name}:
            del nodes[gone]
    return replace(graph, nodes=nodes)
