"""Which nodes run on the GPU, and as what: one small entry per op turning a node into a Producer
(kernel name, tensors read, packed filters, parameters, fused epilogue) or an elementwise step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np

from ...graph import Node, Ref
from ...ops import Info
from . import glsl
from .layout import pack_blocks, pack_channels, shape4, texture_size

Arg = Ref | float  # an epilogue argument: a tensor, or a scalar constant (a uniform)


@dataclass(frozen=True)
class Producer:
    kernel: str
    inputs: tuple[Ref, ...]  # operands 0.. (tensors)
    filters: tuple[np.ndarray, ...] = ()  # packed texture data, the operands after the inputs
    q0: tuple[int, int, int, int] = (0, 0, 0, 0)
    q1: tuple[int, int, int, int] = (0, 0, 0, 0)
    epilogue: tuple[tuple[str, tuple[Arg, ...]], ...] = ()  # the node's own fused ops, value first


Consts = Mapping[Ref, np.ndarray]
Infos = Mapping[Ref, Info]


def fused_ops(node: Node, extra: tuple[Ref, ...]) -> tuple[tuple[str, tuple[Arg, ...]], ...] | None:
    """A conv / matmul node's fused bias and activation as epilogue steps; None if one has no shader."""
    fused = node.attrs.fused
    steps: list[tuple[str, tuple[Arg, ...]]] = [("BiasAdd", (extra[0],))] if fused.bias else []
    if fused.activation == "Prelu":
        steps.append(("Prelu", (extra[1],)))
    elif fused.activation == "LeakyRelu":
        steps.append(("LeakyRelu", (fused.alpha,)))
    elif fused.activation in glsl.UNARY:
        steps.append((fused.activation, ()))
    elif fused.activation is not None:
        return None
    return tuple(steps)


def window_params(win, h: int, w: int, kh: int, kw: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    _, pt, _ = win.axis(h, kh, 0)
    _, pl, _ = win.axis(w, kw, 1)
    return (kh, kw, *win.strides), (*win.dilations, pt, pl)


def square(kernel: str, kh: int, kw: int) -> str:
    """The unrolled variant of a window kernel for the common square windows ("stem": a conv over at
    most 4 channels, generic windows run as "conv")."""
    if kh == kw and kh in glsl.SQUARE_SIZES:
        return f"{kernel}{kh}"
    return "conv" if kernel == "stem" else kernel


def conv(node: Node, infos: Infos, consts: Consts) -> Producer | None:
    x, wref, *extra = node.inputs
    if wref not in consts or (epilogue := fused_ops(node, tuple(extra))) is None:
        return None
    wt = consts[wref]
    kh, kw, ci, co = wt.shape
    _, h, w, _ = infos[x].shape
    q0, q1 = window_params(node.attrs.window, h, w, kh, kw)
    kernel = "pointwise" if q0 == (1, 1, 1, 1) and q1 == (1, 1, 0, 0) else square("conv" if ci > 4 else "stem", kh, kw)
    return Producer(kernel, (x,), (pack_blocks(wt.reshape(kh * kw, ci, co)),), q0, q1, epilogue)


def depthwise(node: Node, infos: Infos, consts: Consts) -> Producer | None:
    x, wref, *extra = node.inputs
    if wref not in consts or consts[wref].shape[3] != 1 or (epilogue := fused_ops(node, tuple(extra))) is None:
        return None
    wt = consts[wref]
    kh, kw, c, _ = wt.shape
    _, h, w, _ = infos[x].shape
    q0, q1 = window_params(node.attrs.window, h, w, kh, kw)
    return Producer(square("depthwise", kh, kw), (x,), (pack_channels(wt.reshape(kh * kw, c)),), q0, q1, epilogue)


def matmul(node: Node, infos: Infos, consts: Consts) -> Producer | None:
    """(M, K) @ constant (K, N) is a 1x1 conv over a 1 x M image."""
    a, b, *extra = node.inputs
    if b not in consts or node.attrs.transpose_a or len(infos[a].shape) != 2 or (epilogue := fused_ops(node, tuple(extra))) is None:
        return None
    wt = consts[b].T if node.attrs.transpose_b else consts[b]
    return Producer("pointwise", (a,), (pack_blocks(wt[None]),), (1, 1, 1, 1), (1, 1, 0, 0), epilogue)


def pool(kernel: str) -> Callable[[Node, Infos, Consts], Producer]:
    def make(node: Node, infos: Infos, consts: Consts) -> Producer:
        _, h, w, _ = infos[node.inputs[0]].shape
        q0, q1 = window_params(node.attrs.window, h, w, *node.attrs.ksize)
        return Producer(kernel, node.inputs, (), q0, q1)

    return make


def mean(node: Node, infos: Infos, consts: Consts) -> Producer | None:
    """Mean over H and W of one image: a global average pool."""
    x, axes = node.inputs
    shape = infos[x].shape
    if axes not in consts or len(shape) != 4 or shape[0] != 1 or sorted(int(a) % 4 for a in np.atleast_1d(consts[axes])) != [1, 2]:
        return None
    return Producer("avgpool", (x,), (), (shape[1], shape[2], 1, 1), (1, 1, 0, 0))


def bilinear(node: Node, infos: Infos, consts: Consts) -> Producer:
    return Producer("bilinear", node.inputs[:1], (), (int(node.attrs.align_corners), int(node.attrs.half_pixel_centers), 0, 0))


def deconv(node: Node, infos: Infos, consts: Consts) -> Producer | None:
    sizes, wref, dy = node.inputs
    if wref not in consts or sizes not in consts:
        return None
    wt = consts[wref]
    kh, kw, ci, co = wt.shape
    _, h, w, _ = (int(v) for v in consts[sizes])
    q0, q1 = window_params(node.attrs.window, h, w, kh, kw)
    return Producer("deconv", (dy,), (pack_blocks(wt.reshape(kh * kw, ci, co), transpose=True),), q0, q1)


def concat(node: Node, infos: Infos, consts: Consts) -> Producer | None:
    *xs, axis = node.inputs
    rank = len(infos[xs[0]].shape)
    if axis not in consts or not 2 <= len(xs) <= 4:
        return None
    axis4 = int(consts[axis]) % rank + 4 - rank
    whole_texels = axis4 != 3 or all(infos[x].shape[-1] % 4 == 0 for x in xs[:-1])
    return Producer(f"concat{len(xs)}", tuple(xs), (), (axis4, int(whole_texels), 0, 0))


def pad(node: Node, infos: Infos, consts: Consts) -> Producer | None:
    x, paddings, *value = node.inputs
    if paddings not in consts or any(float(consts[v]) != 0 for v in value) or (consts[paddings] < 0).any():
        return None
    before = [0] * (4 - len(infos[x].shape)) + [int(b) for b, _ in consts[paddings]]
    return Producer("pad", (x,), (), tuple(before))


PRODUCERS: dict[str, Callable[[Node, Infos, Consts], Producer | None]] = {
    "Conv2D": conv, "_FusedConv2D": conv,
    "DepthwiseConv2dNative": depthwise, "FusedDepthwiseConv2dNative": depthwise,
    "MatMul": matmul, "_FusedMatMul": matmul,
    "AvgPool": pool("avgpool"), "MaxPool": pool("maxpool"), "Mean": mean,
    "ResizeBilinear": bilinear, "Conv2DBackpropInput": deconv, "ConcatV2": concat, "Pad": pad, "PadV2": pad,
}
ELEMENTWISE = frozenset(glsl.UNARY) | frozenset(glsl.BINARY) | {"AddN"}
RESHAPES = frozenset({"Reshape", "Squeeze", "ExpandDims"})


MAX_TEXTURE = 4096  # texels a side: what any WebGL2 we target gives (SwiftShader 8192); the runner checks


def is_float(ref: Ref, infos: Infos) -> bool:
    """A float32 tensor with a texture layout that fits: the GPU can hold it."""
    info = infos[ref]
    if info.dtype != "float32" or info.shape is None or len(info.shape) > 4 or None in info.shape:
        return False
    return max(texture_size(info.shape)) <= MAX_TEXTURE


def producer(node: Node, infos: Infos, consts: Consts) -> Producer | None:
    make = PRODUCERS.get(node.op)
    return make(node, infos, consts) if make else None


def elementwise_args(node: Node) -> tuple[tuple[str, tuple[Arg, ...]]]:
    """An elementwise node as one epilogue step over all its inputs (LeakyRelu's alpha is a scalar)."""
    if node.op == "LeakyRelu":
        return (("LeakyRelu", (node.inputs[0], float(node.attrs))),)
    return ((node.op, node.inputs),)


def is_alias(node: Node, infos: Infos) -> bool:
    """A reshape that keeps the 4-D layout is the same texture under another name."""
    return node.op in RESHAPES and shape4(infos[node.inputs[0]].shape) == shape4(infos[(node.name, 0)].shape)
