"""The WebGL ops: one module per op family, each holding its GLSL kernel(s) and its lowering (node ->
Producer), registered here in one table. Adding a shader-backed op: its module, and a line below.

Elementwise ops (elementwise.py) have no lowering: they become epilogue expressions of a pass."""

from __future__ import annotations

from ....graph import Node
from ..kernel import Consts, Infos, Lowering, Producer
from . import concat, conv, deconv, depthwise, elementwise, matmul, pad, pool, resize

LOWERINGS: dict[str, Lowering] = {
    **conv.LOWERINGS,
    **depthwise.LOWERINGS,
    **matmul.LOWERINGS,
    **pool.LOWERINGS,
    **deconv.LOWERINGS,
    **resize.LOWERINGS,
    **concat.LOWERINGS,
    **pad.LOWERINGS,
}
ELEMENTWISE = elementwise.OPS


def lower(node: Node, infos: Infos, consts: Consts) -> Producer | None:
    """The node as a producer pass, or None: not an op with a kernel, or not in a form it runs."""
    make = LOWERINGS.get(node.op)
    return make(node, infos, consts) if make else None
