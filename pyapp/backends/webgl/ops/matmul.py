"""MatMul / _FusedMatMul of (M, K) by a constant (K, N): a 1x1 conv over a 1 x M image."""

from __future__ import annotations

from ....graph import Node
from ..kernel import Consts, Infos, Lowering, Producer
from ..layout import pack_blocks
from .conv import POINTWISE, POINTWISE_PARAMS
from .elementwise import fused_steps


def matmul(node: Node, infos: Infos, consts: Consts) -> Producer | None:
    a, b, *extra = node.inputs
    if b not in consts or node.attrs.transpose_a or len(infos[a].shape) != 2:
        return None
    if (epilogue := fused_steps(node.attrs.fused, tuple(extra))) is None:
        return None
    wt = consts[b].T if node.attrs.transpose_b else consts[b]
    return Producer(POINTWISE, (a,), (pack_blocks(wt[None]),), *POINTWISE_PARAMS, epilogue)


LOWERINGS: dict[str, Lowering] = {"MatMul": matmul, "_FusedMatMul": matmul}
