"""Lowering: each plan node becomes a Step, either kernel calls on arena addresses or the node's numpy
kernel. Chains worth one pass are folded here: binary op + activation, conv + residual Add
(+ activation) into the gemm epilogue, activated depthwise + residual Add, and the hard-swish chain
(x s) relu6(x + b). Broadcasting is reduced to [outer, inner] with each operand full or one repeated
row; anything else stays with numpy."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from ...graph import Graph, Node, Ref
from ...ops import Info
from .codes import ACTIVATIONS, BINARY_OPS
from .pack import pack_depthwise, pack_gemm

ALIASES = frozenset({"Reshape", "Squeeze", "ExpandDims"})  # same bytes, another shape


@dataclass(frozen=True)
class At:
    """An address: `floats` into an arena tensor (key: its Ref) or into a pooled constant (key: int)."""
    key: object
    floats: int = 0


@dataclass(frozen=True)
class Call:
    kernel: str
    args: tuple


@dataclass(frozen=True)
class Step:
    kind: str  # stats family: gemm, conv, depthwise, elementwise, pool, resize, copy, alias, numpy
    node: Node  # the last node it computes (for numpy: the node it runs)
    reads: tuple[Ref, ...]
    writes: tuple[Ref, ...]
    calls: tuple[Call, ...] = ()
    folded: int = 0  # further graph nodes this step computes
    scratch: tuple[Ref, int] | None = None  # (key, floats) of memory only this step uses (im2col columns, row ring)


class Lowering:
    def __init__(self, graph: Graph, infos: dict[Ref, Info], used: frozenset[Ref]):
        self.graph, self.infos, self.used = graph, infos, used
        self.users = graph.consumers()
        self.outputs = {ref[0] for ref in graph.outputs.values()}
        self.pool: list[np.ndarray] = []  # constants the kernels read
        self.taken: set[str] = set()  # nodes an earlier step already computed
        self.done: set[str] = set(graph.inputs)  # nodes whose output exists at the step being lowered

    def shape(self, ref: Ref) -> tuple[int, ...]:
        return self.infos[ref].shape

    def native(self, ref: Ref) -> bool:
        """A float32 tensor of static shape that a step computes: it lives in the arena."""
        info = self.infos.get(ref)
        return (ref not in self.graph.consts and info is not None and info.dtype == "float32"
                and info.shape is not None and None not in info.shape)

    def const(self, array: np.ndarray) -> At:
        self.pool.append(np.ascontiguousarray(array, np.float32).reshape(-1))
        return At(len(self.pool) - 1)

    def sole_reader(self, node: Node) -> Node | None:
        readers = self.users[node.name]
        if len(readers) != 1 or node.name in self.outputs:
            return None
        return self.graph.nodes[readers[0]]

    def scalar(self, ref: Ref) -> float | None:
        value = self.graph.consts.get(ref)
        return float(value.reshape(-1)[0]) if value is not None and value.size == 1 else None

    def lower(self, nodes: tuple[Node, ...]) -> list[Step]:
        self.chains = hard_swish_chains(self)
        self.taken.update(name for *_, inner in self.chains.values() for name in inner)
        steps = []
        for node in nodes:
            if node.name in self.taken:
                continue
            lowering = LOWER.get(node.op)
            step = lowering(self, node) if lowering and all(self.native(o) for o in outs(node)) else None
            if step is None:
                written = tuple(sorted(ref for ref in self.used if ref[0] == node.name))
                step = Step("numpy", node, node.inputs, written)
            steps.append(step)
            self.done.update((node.name, step.node.name))
        return steps


def outs(node: Node) -> tuple[Ref, ...]:
    return ((node.name, 0),)


def fused_activation(node: Node) -> int | None:
    """The activation code of a fused conv / matmul's epilogue (ops' Fused record), None when the
    kernels have none for it."""
    act = node.attrs.fused.activation
    return ACTIVATIONS.get(act) if act in ("Relu", "Relu6", "Sigmoid", "Tanh", None) else None


def bias_of(lw: Lowering, node: Node, channels: int) -> np.ndarray | None:
    if not node.attrs.fused.bias:
        return np.zeros(channels, np.float32)
    return lw.graph.consts.get(node.inputs[2])


def filtered(lw: Lowering, node: Node, channels: Callable[[tuple], int]) -> tuple | None:
    """(input, constant weights, bias, activation code) of a (fused) conv / matmul the kernels take."""
    x, w = node.inputs[:2]
    act, weights = fused_activation(node), lw.graph.consts.get(w)
    if act is None or weights is None or not lw.native(x):
        return None
    bias = bias_of(lw, node, channels(weights.shape))
    return None if bias is None else (x, weights, bias, act)


def window_args(node: Node, over: tuple, kh: int, kw: int) -> tuple[int, ...]:
    """(sh, sw, dh, dw, pad top, pad left) of the node's window sliding over NHWC shape `over`."""
    win = node.attrs.window
    return (*win.strides, *win.dilations, win.axis(over[1], kh, 0)[1], win.axis(over[2], kw, 1)[1])


def conv(lw: Lowering, node: Node) -> Step | None:
    if (parts := filtered(lw, node, lambda shape: shape[3])) is None:
        return None
    x, weights, bias, act = parts
    kh, kw, ci, co = weights.shape
    y = (node.name, 0)
    n, h, wd, _ = lw.shape(x)
    _, ho, wo, _ = lw.shape(y)
    packed = lw.const(pack_gemm(weights.reshape(kh * kw * ci, co), bias))
    if (kh, kw) == (1, 1) and node.attrs.window.strides == (1, 1) and (ho, wo) == (h, wd):
        return with_residual(lw, Step("gemm", node, (x,), (y,), (Call("gemm_f32", (At(x), ci, n * h * wd, ci, packed, At(y), co, co, act, 0)),)))
    k, cols = kh * kw * ci, At((node.name, -1))
    rows = min(conv_rows(k), n * ho * wo)
    args = (At(x), n, h, wd, ci, kh, kw, *window_args(node, (n, h, wd), kh, kw), ho, wo, cols, rows, packed, At(y), co, act, 0)
    return with_residual(lw, Step("conv", node, (x,), (y,), (Call("conv_f32", args),), scratch=(cols.key, rows * k)))


def conv_rows(k: int) -> int:
    """Output pixels conv_f32 takes per block: their im2col columns fill about 32 KB (L1 holds 32-48)."""
    return max(4, 8192 // k // 4 * 4)


def residual_add(lw: Lowering, step: Step) -> tuple[Node, Ref] | None:
    """(the Add, its other input) when the step's output is read only by an Add of another tensor of
    its shape that exists already (the folded step runs where the step was)."""
    add = lw.sole_reader(step.node)
    if add is None or add.op not in ("Add", "AddV2") or len(add.inputs) != 2:
        return None
    y = step.writes[0]
    others = [r for r in add.inputs if r != y]
    if len(others) != 1 or others[0][0] not in lw.done or not lw.native(others[0]) or lw.shape(others[0]) != lw.shape(y):
        return None
    lw.taken.add(add.name)
    return add, others[0]


def with_residual(lw: Lowering, step: Step) -> Step:
    """A conv without activation whose output only an Add reads (and maybe then an activation) folds
    both into the gemm's epilogue: y = act(conv + bias + residual). gemm_f32 and conv_f32 end in (y, n,
    act, r)."""
    call = step.calls[-1]
    if call.args[-2] != 0 or (found := residual_add(lw, step)) is None:
        return step
    add, other = found
    last, act = then_activation(lw, add)
    out = (last.name, 0)
    args = tuple(At(out) if a == At(step.writes[0]) else a for a in call.args[:-2]) + (act, At(other))
    calls = step.calls[:-1] + (Call(call.kernel, args),)  # the scratch keeps its key (Step.scratch)
    return replace(step, node=last, reads=step.reads + (other,), writes=(out,), calls=calls,
                   folded=1 + int(last is not add))


def deconv(lw: Lowering, node: Node) -> Step | None:
    """Conv2DBackpropInput: cols = dy @ w^T (gemm), then col2im adds each tap onto the output grid."""
    sizes, w, dy = node.inputs
    weights = lw.graph.consts.get(w)
    if weights is None or not lw.native(dy):
        return None
    kh, kw, ci, co = weights.shape
    y = (node.name, 0)
    n, h, wd, _ = lw.shape(y)
    _, ho, wo, _ = lw.shape(dy)
    taps, cols = kh * kw * ci, At((node.name, -1))
    packed = lw.const(pack_gemm(np.ascontiguousarray(weights.reshape(taps, co).T), None))
    return Step("conv", node, (dy,), (y,), (
        Call("gemm_f32", (At(dy), co, n * ho * wo, co, packed, cols, taps, taps, 0, 0)),
        Call("col2im_f32", (cols, n, ho, wo, kh, kw, ci, *window_args(node, (n, h, wd), kh, kw), At(y), h, wd)),
    ), scratch=(cols.key, n * ho * wo * taps))


def depthwise(lw: Lowering, node: Node) -> Step | None:
    if (parts := filtered(lw, node, lambda shape: shape[2])) is None or parts[1].shape[3] != 1:
        return None
    x, weights, bias, act = parts
    kh, kw, c, _ = weights.shape
    y = (node.name, 0)
    n, h, wd, _ = lw.shape(x)
    _, ho, wo, _ = lw.shape(y)
    sh, sw, dh, dw, pt, pl = window_args(node, (n, h, wd), kh, kw)
    ring = At((node.name, -1))
    args = (At(x), n, h, wd, c, lw.const(pack_depthwise(weights, bias)), kh, kw, sh, sw, dh, dw, pt, pl, At(y), ho, wo, ring, act)
    # depthwise_f32's row ring: ((kh - 1) dh + 1 rows x channel blocks + a zero row) x padded row x 4
    scratch = (ring.key, (((kh - 1) * dh + 1) * -(-c // 4) + 1) * ((wo - 1) * sw + (kw - 1) * dw + 1) * 4)
    step = Step("depthwise", node, (x,), (y,), (Call("depthwise_f32", args + (0,)),), scratch=scratch)
    if (found := residual_add(lw, step)) is None:
        return step
    add, other = found  # y = act(depthwise) + other: the Add reads the activated output
    out = (add.name, 0)
    args = tuple(At(out) if a == At(y) else a for a in args) + (At(other),)
    return Step("depthwise", add, (x, other), (out,), (Call("depthwise_f32", args),), folded=1, scratch=scratch)


def matmul(lw: Lowering, node: Node) -> Step | None:
    a = node.attrs
    parts = filtered(lw, node, lambda shape: shape[-2] if a.transpose_b else shape[-1])
    if parts is None or parts[1].ndim != 2 or a.transpose_a or len(lw.shape(parts[0])) != 2:
        return None
    x, weights, bias, act = parts
    weights = weights.T if a.transpose_b else weights
    k, n = weights.shape
    m, y = lw.shape(x)[0], (node.name, 0)
    return Step("gemm", node, (x,), (y,), (Call("gemm_f32", (At(x), k, m, k, lw.const(pack_gemm(weights, bias)), At(y), n, n, act, 0)),))


def operand(lw: Lowering, ref: Ref, out: tuple[int, ...]) -> tuple[At, int] | None:
    """(address, step) of one operand over [outer, inner = out's last axis]: full (step inner),
    a row of inner values (step 0), or a constant scalar made a row."""
    inner, shape = out[-1], lw.infos[ref].shape
    if ref in lw.graph.consts:
        value = lw.graph.consts[ref]
        if value.size == 1:
            return lw.const(np.full(inner, value.reshape(-1)[0], np.float32)), 0
        if value.shape == out:
            return lw.const(value), inner
        if math.prod(value.shape) == inner and value.shape[-1:] == (inner,):
            return lw.const(value), 0
        return None
    if not lw.native(ref):
        return None
    if tuple(shape) == tuple(out):
        return At(ref), inner
    if math.prod(shape) == inner and tuple(shape[-1:]) == (inner,):
        return At(ref), 0
    return None


def then_activation(lw: Lowering, node: Node) -> tuple[Node, int]:
    """The node's sole reader if it is an activation the kernel can apply in the same pass."""
    reader = lw.sole_reader(node)
    if reader is not None and reader.op in ("Relu", "Relu6", "Sigmoid", "Tanh") and reader.inputs == ((node.name, 0),):
        lw.taken.add(reader.name)
        return reader, ACTIVATIONS[reader.op]
    return node, 0


def binary(lw: Lowering, node: Node) -> Step | None:
    if len(node.inputs) != 2:
        return None
    if node.name in lw.chains:
        return hard_swish(lw, node)
    out = lw.shape((node.name, 0))
    if not out:
        return None
    a, b = (operand(lw, ref, out) for ref in node.inputs)
    if a is None or b is None:
        return None
    last, act = then_activation(lw, node)
    y = (last.name, 0)
    inner = out[-1]
    args = (*a, *b, At(y), math.prod(out) // inner, inner, BINARY_OPS[node.op], act)
    reads = tuple(r for r in node.inputs if r not in lw.graph.consts)
    return Step("elementwise", last, reads, (y,), (Call("binary_f32", args),), folded=int(last is not node))


def add_n(lw: Lowering, node: Node) -> Step | None:
    out = lw.shape((node.name, 0))
    if not all(lw.native(r) and lw.shape(r) == out for r in node.inputs) or len(node.inputs) < 2:
        return None
    y, size = At((node.name, 0)), math.prod(out)
    calls = [Call("binary_f32", (At(node.inputs[0]), size, At(node.inputs[1]), size, y, 1, size, 0, 0))]
    calls += [Call("binary_f32", (y, size, At(r), size, y, 1, size, 0, 0)) for r in node.inputs[2:]]
    return Step("elementwise", node, node.inputs, ((node.name, 0),), tuple(calls))


def hard_swish_chains(lw: Lowering) -> dict[str, tuple[Ref, float, float, tuple[str, ...]]]:
    """Mul(Mul(s, x), Relu6(Add(x, b))), s and b constant scalars, inner nodes read only there:
    {final Mul: (x, s, b, inner node names)}, for y = (x s) relu6(x + b) in one pass."""
    chains = {}
    for node in lw.graph.nodes.values():
        if node.op != "Mul" or len(node.inputs) != 2:
            continue
        parts = [lw.graph.nodes.get(ref[0]) for ref in node.inputs]
        scaled = next((p for p in parts if p is not None and p.op == "Mul"), None)
        relu6 = next((p for p in parts if p is not None and p.op == "Relu6"), None)
        if scaled is None or relu6 is None or any(lw.sole_reader(p) is not node for p in (scaled, relu6)):
            continue
        add = lw.graph.nodes[relu6.inputs[0][0]]
        if add.op not in ("Add", "AddV2") or len(add.inputs) != 2 or lw.sole_reader(add) is not relu6:
            continue
        s_ref, x = scaled.inputs if lw.scalar(scaled.inputs[0]) is not None else scaled.inputs[::-1]
        b_ref = next((r for r in add.inputs if r != x), None)
        if (x in add.inputs and lw.scalar(s_ref) is not None and lw.scalar(b_ref) is not None and lw.native(x)
                and lw.native((node.name, 0))):  # inner nodes are taken up front: the chain must lower
            chains[node.name] = (x, lw.scalar(s_ref), lw.scalar(b_ref), (scaled.name, add.name, relu6.name))
    return chains


def hard_swish(lw: Lowering, node: Node) -> Step:
    x, scale, shift, inner = lw.chains[node.name]
    y = (node.name, 0)
    args = (At(x), At(y), math.prod(lw.shape(x)), scale, shift)
    return Step("elementwise", node, (x,), (y,), (Call("hardswish_f32", args),), folded=len(inner))


def unary(lw: Lowering, node: Node) -> Step | None:
    x, y = node.inputs[0], (node.name, 0)
    if not lw.native(x):
        return None
    return Step("elementwise", node, (x,), (y,), (Call("unary_f32", (At(x), At(y), math.prod(lw.shape(x)), ACTIVATIONS[node.op])),))


def pool(lw: Lowering, node: Node) -> Step | None:
    x, y = node.inputs[0], (node.name, 0)
    if not lw.native(x):
        return None
    (kh, kw), win = node.attrs.ksize, node.attrs.window
    n, h, w, c = lw.shape(x)
    _, ho, wo, _ = lw.shape(y)
    pt, pl = win.axis(h, kh, 0)[1], win.axis(w, kw, 1)[1]
    args = (At(x), n, h, w, c, kh, kw, *win.strides, pt, pl, At(y), ho, wo, int(node.op == "MaxPool"))
    return Step("pool", node, (x,), (y,), (Call("pool_f32", args),))


def resize(lw: Lowering, node: Node) -> Step | None:
    x, y = node.inputs[0], (node.name, 0)
    if not lw.native(x):
        return None
    n, h, w, c = lw.shape(x)
    _, oh, ow, _ = lw.shape(y)
    a = node.attrs
    args = (At(x), n, h, w, c, At(y), oh, ow, int(a.align_corners), int(a.half_pixel_centers))
    return Step("resize", node, (x,), (y,), (Call("resize_bilinear_f32", args),))


def concat(lw: Lowering, node: Node) -> Step | None:
    *parts, axis_ref = node.inputs
    y = (node.name, 0)
    out = lw.shape(y)
    if axis_ref not in lw.graph.consts or not all(lw.native(p) for p in parts):
        return None
    axis = int(lw.graph.consts[axis_ref]) % len(out)
    outer, row = math.prod(out[:axis]), math.prod(out[axis:])
    calls, offset = [], 0
    for p in parts:
        width = math.prod(lw.shape(p)[axis:])
        calls.append(Call("copy_f32", (At(p), width, 0, At(y, offset), row, 0, outer, 1, width)))
        offset += width
    return Step("copy", node, tuple(parts), (y,), tuple(calls))


def pad(lw: Lowering, node: Node) -> Step | None:
    x, pads, *value = node.inputs
    y = (node.name, 0)
    if not lw.native(x) or pads not in lw.graph.consts or len(lw.shape(x)) != 4:
        return None
    fill = lw.scalar(value[0]) if value else 0.0
    (b0, b1), (top, _), (left, _), (front, _) = (tuple(int(v) for v in p) for p in lw.graph.consts[pads])
    if fill is None or b0 or b1:
        return None
    n, h, w, c = lw.shape(x)
    _, ho, wo, co = lw.shape(y)
    calls = [Call("fill_f32", (At(y), n * ho * wo * co, fill))]
    for b in range(n):
        at = At(y, b * ho * wo * co + (top * wo + left) * co + front)
        calls.append(Call("copy_f32", (At(x, b * h * w * c), w * c, c, at, wo * co, co, h, w, c)))
    return Step("copy", node, (x,), (y,), tuple(calls))


def alias(lw: Lowering, node: Node) -> Step | None:
    x = node.inputs[0]
    return Step("alias", node, (x,), ((node.name, 0),)) if lw.native(x) else None


LOWER: dict[str, Callable[[Lowering, Node], Step | None]] = {
    "Conv2D": conv, "_FusedConv2D": conv, "Conv2DBackpropInput": deconv,
    "DepthwiseConv2dNative": depthwise, "FusedDepthwiseConv2dNative": depthwise,
    "MatMul": matmul, "_FusedMatMul": matmul,
    **dict.fromkeys(BINARY_OPS, binary), "BiasAdd": binary, "AddN": add_n,
    **{op: unary for op in ACTIVATIONS if op},
    "AvgPool": pool, "MaxPool": pool, "ResizeBilinear": resize,
    "ConcatV2": concat, "Pad": pad, "PadV2": pad,
    **dict.fromkeys(ALIASES, alias),
}
