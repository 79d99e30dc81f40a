"""Graph passes: plain functions Graph -> Graph, run in PIPELINE order. Backends append their own
(e.g. WebGL fusion) with optimize(graph, PIPELINE + (fuse,))."""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Sequence

import numpy as np

from ..errors import ModelFormatError
from ..model.limits import check_tensor_size
from ..ops import OPS, STRUCTURAL, Info
from .fuse import fuse_conv_epilogue
from .ir import Graph, Node, Ref
from .plan import topo_order

Pass = Callable[[Graph], Graph]
PASSTHROUGH = frozenset({"Identity", "NoOp"})


def strip_identity(graph: Graph) -> Graph:
    """Drop Identity and NoOp nodes and all control edges; readers of an Identity read its input."""
    forward = {node.name: node.inputs[0] for node in graph.nodes.values() if node.op == "Identity"}

    def resolve(ref: Ref) -> Ref:
        while ref[0] in forward:
            ref = forward[ref[0]]
        return ref

    nodes = {
        name: replace(node, inputs=tuple(resolve(r) for r in node.inputs), control=())
        for name, node in graph.nodes.items()
        if node.op not in PASSTHROUGH
    }
    return replace(graph, nodes=nodes, outputs={k: resolve(r) for k, r in graph.outputs.items()})


def fold_constants(graph: Graph) -> Graph:
    """Run once, at load, every node whose inputs are all constant; it becomes a Const."""
    consts = dict(graph.consts)
    nodes = dict(graph.nodes)
    for node in topo_order(graph, roots=list(graph.nodes)):
        if node.op in STRUCTURAL or not node.inputs or not all(ref in consts for ref in node.inputs):
            continue
        values = [consts[ref] for ref in node.inputs]
        try:
            # sizes first: a tiny constant tiled, padded or broadcast can ask for any amount of memory
            infos = OPS[node.op].infer(node.attrs, *(Info(v.shape, str(v.dtype), v) for v in values))
            for i, info in enumerate(infos):
                check_tensor_size(info.shape, info.dtype, f"node {node.name!r} ({node.op}) output {i}")
            out = OPS[node.op].kernel(node.attrs, *values)
        except (ValueError, IndexError, TypeError) as e:
            raise ModelFormatError(f"node {node.name!r} ({node.op}) fails on its constant inputs: {e}") from None
        for i, value in enumerate(out if isinstance(out, tuple) else (out,)):
            consts[(node.name, i)] = np.asarray(value)
        nodes[node.name] = Node(node.name, "Const", ())
    return replace(graph, nodes=nodes, consts=consts)


def remove_dead(graph: Graph) -> Graph:
    """Keep what the outputs need, and the inputs (callers still feed them)."""
    live = {node.name for node in topo_order(graph)} | set(graph.inputs)
    return replace(
        graph,
        nodes={name: node for name, node in graph.nodes.items() if name in live},
        consts={ref: v for ref, v in graph.consts.items() if ref[0] in live},
    )


PIPELINE: tuple[Pass, ...] = (strip_identity, fold_constants, fuse_conv_epilogue, remove_dead)


def optimize(graph: Graph, passes: Sequence[Pass] = PIPELINE) -> Graph:
    for p in passes:
        graph = p(graph)
    return graph
