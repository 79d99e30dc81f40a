"""DepthwiseConv2dNative / FusedDepthwiseConv2dNative (channel multiplier 1) with a constant filter,
packed as one row of C/4 texels per tap (layout.pack_channels)."""

from __future__ import annotations

from ....graph import Node
from ..glsl import rows
from ..kernel import Consts, Infos, Kernel, Lowering, Producer
from ..layout import pack_channels
from .elementwise import fused_steps
from .window import square, square_kernels, window_loop, window_params

DEPTHWISE = Kernel("depthwise", window_loop("  vec4 v = vec4(0.0);\n", """      v += x0(n, y, x, c) * (W(c, ky * q0.y + kx) * inside);
"""), filtered=True)


def depthwise_tap(j: int, t: str) -> str:
    return f"    u = W(c, {t});\n" + rows(f"    v{{m}} += texelFetch(t0, ivec3(col{j} + c, at{{m}}), 0) * (u * (in{j} * yin{{m}}));\n")


SQUARE_DEPTHWISE = square_kernels("depthwise", depthwise_tap)


def depthwise(node: Node, infos: Infos, consts: Consts) -> Producer | None:
    x, wref, *extra = node.inputs
    if wref not in consts or consts[wref].shape[3] != 1 or (epilogue := fused_steps(node.attrs.fused, tuple(extra))) is None:
        return None
    wt = consts[wref]
    kh, kw, c, _ = wt.shape
    _, h, w, _ = infos[x].shape
    q0, q1 = window_params(node.attrs.window, h, w, kh, kw)
    return Producer(square(SQUARE_DEPTHWISE, DEPTHWISE, kh, kw), (x,), (pack_channels(wt.reshape(kh * kw, c)),), q0, q1, epilogue)


LOWERINGS: dict[str, Lowering] = {"DepthwiseConv2dNative": depthwise, "FusedDepthwiseConv2dNative": depthwise}
