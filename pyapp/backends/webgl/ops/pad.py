"""Pad / PadV2 with constant, non-negative paddings and a zero fill."""

from __future__ import annotations

from ....graph import Node
from ..kernel import Consts, Infos, Kernel, Lowering, Producer

# q0 = padding before each of (N, H, W, C); zeros outside.
PAD = Kernel("pad", """  vec4 v;
  for (int k = 0; k < 4; k++) {
    ivec4 p = ivec4(n, h, w, c * 4 + k) - q0;
    v[k] = all(greaterThanEqual(p, ivec4(0))) && all(lessThan(p, s0)) ? e0(p) : 0.0;
  }
""")


def pad(node: Node, infos: Infos, consts: Consts) -> Producer | None:
    x, paddings, *value = node.inputs
    if paddings not in consts or any(float(consts[v]) != 0 for v in value) or (consts[paddings] < 0).any():
        return None
    before = [0] * (4 - len(infos[x].shape)) + [int(b) for b, _ in consts[paddings]]
    return Producer(PAD, (x,), (), tuple(before))


LOWERINGS: dict[str, Lowering] = {"Pad": pad, "PadV2": pad}
