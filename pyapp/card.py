"""What running a graph costs, estimated from its static shapes: FLOPs and activation bytes per op,
graph depth, and the peak of activation memory alive at once. Pure (no backend, no browser): the
model card of `pyapp inspect` and of the analyser page.

FLOPs are estimates, counted the usual way: a multiply-add is 2 (convolutions, MatMul), an
elementwise op 1 per output element (plus 1 per fused epilogue op), a pool kh*kw per output
element, a reduction 1 per input element; ops that only move data (Reshape, Pad, Concat, Gather,
Cast ...) count 0. Unknown sizes (a batch of -1) are taken as 1, as a single-image run has them.
"""

from __future__ import annotations

from math import prod

import numpy as np

from .backends.webgl import input_infos  # unknown sizes as 1, as a single-image run has them
from .graph import Graph, infer_shapes, make_plan, topo_order
from .ops import Info

CONVS = {"Conv2D", "_FusedConv2D", "FusedConv2D"}
DEPTHWISE = {"DepthwiseConv2dNative", "FusedDepthwiseConv2dNative"}
POOLS = {"MaxPool", "AvgPool"}
REDUCTIONS = {"Mean", "Sum", "Max", "Min", "Prod", "ArgMax", "ArgMin", "All", "Any"}
# data movement: no arithmetic worth counting
MOVES = {"Reshape", "Identity", "Squeeze", "ExpandDims", "Pack", "Unpack", "ConcatV2", "Concat", "Pad", "PadV2",
         "MirrorPad", "GatherV2", "GatherNd", "Gather", "Cast", "Slice", "StridedSlice", "Transpose", "Shape",
         "Tile", "Fill", "ZerosLike", "OnesLike", "Split", "SplitV", "StopGradient", "Snapshot", "Range"}
PER_ELEMENT = {"Softmax": 5, "LogSoftmax": 5, "ResizeBilinear": 8, "ResizeNearestNeighbor": 1}  # rough cost per output


def tensor_bytes(info: Info) -> int:
    if info.shape is None or any(d is None for d in info.shape):
        return 0
    return prod(info.shape) * np.dtype(info.dtype).itemsize


def flops(node, ins: list[Info], outs: list[Info]) -> int:
    """Estimated floating-point operations of one node, from its inputs' and outputs' shapes."""
    out = outs[0].shape if outs and outs[0].shape is not None else None
    if out is None or any(d is None for d in out):
        return 0
    size = prod(out)
    fused = getattr(node.attrs, "fused", None)  # the fused forms' record: bias and activation, 1 op each
    epilogue = (fused.bias + (fused.activation is not None)) * size if fused is not None else 0
    if node.op in CONVS:
        kh, kw, ci, _ = ins[1].shape
        return 2 * size * kh * kw * ci + epilogue
    if node.op in DEPTHWISE:
        kh, kw = ins[1].shape[:2]
        return 2 * size * kh * kw + epilogue
    if node.op == "Conv2DBackpropInput":  # (output_shape, filter [kh, kw, out, in], x): each input value spreads kh*kw*out
        kh, kw, co, _ = ins[1].shape
        return 2 * prod(ins[2].shape) * kh * kw * co
    if node.op in ("MatMul", "_FusedMatMul", "BatchMatMul", "BatchMatMulV2"):
        a = ins[0].shape
        inner = a[-2] if node.attrs.transpose_a else a[-1]  # parse_matmul reads adj_x into it too
        return 2 * size * inner + epilogue
    if node.op in POOLS:
        kh, kw = node.attrs.ksize
        return size * kh * kw
    if node.op in REDUCTIONS:
        return prod(ins[0].shape) if ins[0].shape is not None and None not in ins[0].shape else 0
    if node.op in MOVES:
        return 0
    if node.op == "AddN":
        return size * max(len(ins) - 1, 1)
    return size * PER_ELEMENT.get(node.op, 1)


def graph_depth(graph: Graph, order: list) -> int:
    """The longest chain of computing nodes from an input to an output."""
    depth: dict[str, int] = {}
    for node in order:
        below = max((depth.get(src, 0) for src, _ in node.inputs), default=0)
        depth[node.name] = below + (node.op not in ("Const", "Placeholder"))
    return max((depth[ref[0]] for ref in graph.outputs.values()), default=0)


def costs(graph: Graph, shapes: dict[str, tuple] | None = None) -> dict:
    """Per computing node {name, op, shape, flops, activation_bytes}, in run order, with the totals,
    the graph depth and the peak bytes of activations alive at once (the plan frees each tensor
    after its last reader)."""
    infos = infer_shapes(graph, input_infos(graph, shapes))
    plan = make_plan(graph)
    rows, live, peak, alive = [], 0, 0, {}
    for node, free in zip(plan.steps, plan.free_after):
        outs = [infos[(node.name, i)] for i in range(_count(infos, node.name))]
        ins = [infos[ref] for ref in node.inputs]
        out_bytes = sum(tensor_bytes(i) for i in outs)
        rows.append({"name": node.name, "op": node.op, "shape": _shape(outs[0]) if outs else None,
                     "flops": flops(node, ins, outs), "activation_bytes": out_bytes})
        for i, info in enumerate(outs):
            alive[(node.name, i)] = tensor_bytes(info)
        live += out_bytes
        peak = max(peak, live)
        for ref in free:
            live -= alive.pop(ref, 0)
    by_op: dict[str, dict] = {}
    for row in rows:
        entry = by_op.setdefault(row["op"], {"count": 0, "flops": 0, "activation_bytes": 0})
        entry["count"] += 1
        entry["flops"] += row["flops"]
        entry["activation_bytes"] += row["activation_bytes"]
    return {"input_shapes": {name: list(info.shape) for name, info in input_infos(graph, shapes).items()},
            "flops": sum(r["flops"] for r in rows), "activation_bytes": sum(r["activation_bytes"] for r in rows),
            "peak_activation_bytes": peak, "depth": graph_depth(graph, topo_order(graph)),
            "by_op": dict(sorted(by_op.items(), key=lambda kv: -kv[1]["flops"])), "nodes": rows}


def _count(infos: dict, name: str) -> int:
    n = 0
    while (name, n) in infos:
        n += 1
    return n


def _shape(info: Info) -> list | None:
    return None if info.shape is None else list(info.shape)
