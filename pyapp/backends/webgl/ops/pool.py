"""AvgPool / MaxPool, and Mean over H and W of one image (a global average pool). A global average
pool over a large image runs as two passes (rows_first)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ....graph import Node
from ..kernel import Consts, Infos, Kernel, Lowering, Producer, Split
from ..layout import Shape4
from .window import window_loop, window_params


def rows_first(prod: Producer, shape: Shape4) -> Split | None:
    """The mean of each row, then of the rows: H * C/4 fragments share the work instead of C/4
    each reading the whole image."""
    n, h, w, c = shape
    if prod.q0[:2] != (h, w) or prod.q1[2:] != (0, 0) or h < 8 or w < 8:
        return None
    return Split("rows", Producer(AVGPOOL, prod.inputs, (), (1, w, 1, 1), (1, 1, 0, 0)), (n, h, 1, c), replace(prod, q0=(h, 1, 1, 1)))


AVGPOOL = Kernel("avgpool", window_loop("  vec4 v = vec4(0.0);\n  float count = 0.0;\n", """      v += x0(n, y, x, c) * inside;
      count += inside;
""", "  v /= count;\n"), split=rows_first)
MAXPOOL = Kernel("maxpool", window_loop("  vec4 v = vec4(-3.4e38);\n", """      v = inside > 0.0 ? max(v, x0(n, y, x, c)) : v;
"""))


def pool(kernel: Kernel) -> Lowering:
    def lower(node: Node, infos: Infos, consts: Consts) -> Producer:
        _, h, w, _ = infos[node.inputs[0]].shape
        q0, q1 = window_params(node.attrs.window, h, w, *node.attrs.ksize)
        return Producer(kernel, node.inputs, (), q0, q1)

    return lower


def mean(node: Node, infos: Infos, consts: Consts) -> Producer | None:
    """Mean over H and W of one image: a global average pool."""
    x, axes = node.inputs
    shape = infos[x].shape
    if axes not in consts or len(shape) != 4 or shape[0] != 1 or sorted(int(a) % 4 for a in np.atleast_1d(consts[axes])) != [1, 2]:
        return None
    return Producer(AVGPOOL, (x,), (), (shape[1], shape[2], 1, 1), (1, 1, 0, 0))


LOWERINGS: dict[str, Lowering] = {"AvgPool": pool(AVGPOOL), "MaxPool": pool(MAXPOOL), "Mean": mean}
