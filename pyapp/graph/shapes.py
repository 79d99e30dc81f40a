"""Static shape and dtype of every tensor the outputs need, from the inputs' shapes and the op table."""

from __future__ import annotations

from typing import Mapping

from ..errors import ModelFormatError
from ..ops import OPS, Info
from .ir import Graph, Ref
from .plan import topo_order


def infer_shapes(graph: Graph, inputs: Mapping[str, Info]) -> dict[Ref, Info]:
    infos: dict[Ref, Info] = {ref: Info(v.shape, str(v.dtype), v) for ref, v in graph.consts.items()}
    for node in topo_order(graph):
        if node.op == "Const":
            continue
        if node.op == "Placeholder":
            infos[(node.name, 0)] = inputs[node.name]
            continue
        try:
            outs = OPS[node.op].infer(node.attrs, *(infos[ref] for ref in node.inputs))
        except (ValueError, IndexError, TypeError) as e:
            raise ModelFormatError(f"node {node.name!r} ({node.op}): {e}") from None
        for i, info in enumerate(outs):
            infos[(node.name, i)] = info
    return infos
