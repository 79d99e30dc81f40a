"""The WebGL plan, built once at load: steps (draw, upload, read back, numpy) over numbered textures,
with textures reused by liveness: a texture is free for a same-sized tensor after its last reader."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ...graph import Graph, Node, Ref
from ...ops import Info
from . import glsl
from .kernel import Producer, Split
from .layout import ROWS, pack, shape4, texture_size
from .ops.elementwise import arguments, expression
from .scheduling import Alias, Pass, partition

ZERO4 = (0, 0, 0, 0)


@dataclass(frozen=True)
class Draw:
    name: str  # kernel and the node it computes, for errors and profiles
    source: str  # fragment shader
    output: int  # texture
    size: tuple[int, int]  # of each layer of the output
    inputs: tuple[int, ...]  # textures, bound to units 0..
    ints: tuple[tuple[str, tuple[int, int, int, int]], ...]  # ivec4 uniforms
    floats: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Upload:
    ref: Ref
    texture: int
    shape: tuple[int, ...]


@dataclass(frozen=True)
class Read:
    ref: Ref
    texture: int
    shape: tuple[int, ...]


@dataclass(frozen=True)
class Compute:
    node: Node


Step = Draw | Upload | Read | Compute


@dataclass
class WebGLPlan:
    steps: list[Step]
    sizes: dict[int, tuple[int, int, int]]  # texture -> (width, height, layers)
    constants: dict[int, np.ndarray]  # texture -> texel data (layers, height, width * 4), uploaded once at load
    gpu_nodes: int  # nodes run on the GPU, each one pass if unfused
    cpu_nodes: int

    @property
    def draws(self) -> list[Draw]:
        return [s for s in self.steps if isinstance(s, Draw)]

    @property
    def programs(self) -> set[str]:
        return {d.source for d in self.draws}


class Builder:
    def __init__(self, graph: Graph, infos: dict[Ref, Info]):
        self.graph, self.infos = graph, infos
        self.steps: list[Step] = []
        self.sizes: dict[int, tuple[int, int, int]] = {}
        self.constants: dict[int, np.ndarray] = {}
        self.texture_of: dict[Ref, int] = {}  # tensors on the GPU
        self.on_cpu: set[Ref] = {(name, 0) for name in graph.inputs}  # plus every output of a numpy node
        self.numpy_nodes: set[str] = set()
        self.const_texture: dict[Any, int] = {}

    def new_texture(self, size: tuple[int, int, int]) -> int:
        self.sizes[len(self.sizes)] = size
        return len(self.sizes) - 1

    def tensor_texture(self, ref: Ref) -> int:
        return self.new_texture((*texture_size(self.infos[ref].shape), ROWS))

    def constant(self, key: Any, data: np.ndarray) -> int:
        """data: (layers, height, width * 4) texels, or a filter's (height, width * 4) as one layer."""
        if key not in self.const_texture:
            data = np.ascontiguousarray(data, np.float32).reshape(-1, *data.shape[-2:])
            t = self.const_texture[key] = self.new_texture((data.shape[2] // 4, data.shape[1], data.shape[0]))
            self.constants[t] = data
        return self.const_texture[key]

    def texture(self, ref: Ref) -> int:
        """The texture holding a tensor, uploading it (constant: once; numpy value: per run)."""
        if ref in self.graph.consts:
            value = self.graph.consts[ref].astype(np.float32)
            return self.constant(ref, pack(value))
        if ref not in self.texture_of:  # a numpy value: uploaded each run
            self.texture_of[ref] = self.tensor_texture(ref)
            self.steps.append(Upload(ref, self.texture_of[ref], tuple(self.infos[ref].shape)))
        return self.texture_of[ref]

    def numpy(self, ref: Ref) -> None:
        if ref not in self.on_cpu and ref[0] not in self.numpy_nodes and ref not in self.graph.consts:
            self.steps.append(Read(ref, self.texture_of[ref], tuple(self.infos[ref].shape)))
            self.on_cpu.add(ref)

    def shape(self, ref: Ref) -> tuple[int, int, int, int]:
        return shape4(self.infos[ref].shape)

    def draw(self, p: Pass) -> None:
        operands: list[int] = []
        ints: list[tuple[str, tuple[int, int, int, int]]] = []
        floats: list[tuple[str, float]] = []
        fetched: list[int] = []
        name_of: dict[Ref, str] = {}
        tensor_k: dict[Ref, int] = {}
        epilogue: list[str] = []  # GLSL expressions, r0..

        def add_operand(texture: int, shape: tuple[int, int, int, int]) -> int:
            ints.append((f"s{len(operands)}", shape))
            operands.append(texture)
            return len(operands) - 1

        def arg(a) -> str:
            if isinstance(a, float) or (a in self.graph.consts and self.graph.consts[a].size == 1):
                floats.append((f"f{len(floats)}", float(a if isinstance(a, float) else self.graph.consts[a].reshape(()))))
                return f"vec4({floats[-1][0]})"
            if a in name_of:
                return name_of[a]
            if a not in tensor_k:
                tensor_k[a] = add_operand(self.texture(a), self.shape(a))
            if tensor_k[a] not in fetched:
                fetched.append(tensor_k[a])
            return f"a{tensor_k[a]}"

        kernel = None
        if p.producer:
            node, prod = p.producer
            split = prod.kernel.split and prod.kernel.split(prod, self.shape(prod.inputs[0]))
            if split:
                prod = self.draw_first(node, split)
            kernel = prod.kernel
            for ref in prod.inputs:
                tensor_k[ref] = add_operand(self.texture(ref), self.shape(ref))
            for i, data in enumerate(prod.filters):
                add_operand(self.constant((node.name, "filter", i), data), ZERO4)
            ints += [("q0", prod.q0), ("q1", prod.q1)]
            current = "v"
            for op, extra in prod.epilogue:
                epilogue.append(expression(op, [current] + [arg(a) for a in extra]))
                current = f"r{len(epilogue) - 1}"
            name_of[(node.name, 0)] = current
        for node in p.members:
            epilogue.append(expression(node.op, [arg(a) for a in arguments(node)]))
            name_of[(node.name, 0)] = f"r{len(epilogue) - 1}"
        out = (p.root.name, 0)
        ints.append(("os", self.shape(out)))
        self.texture_of[out] = self.tensor_texture(out)
        size = self.sizes[self.texture_of[out]][:2]
        source = glsl.fragment(kernel, len(operands), len(floats), fetched, epilogue)
        label = f"{kernel.name if kernel else 'elementwise'}+{len(epilogue)} {p.root.name}"
        self.steps.append(Draw(label, source, self.texture_of[out], size, tuple(operands), tuple(ints), tuple(floats)))

    def draw_first(self, node: Node, split: Split) -> Producer:
        """A kernel run as two passes (Kernel.split): the first pass into a tensor of its own, then
        the producer that reads it."""
        first = Node(f"{node.name}/{split.suffix}", node.op, split.first.inputs)
        self.infos[(first.name, 0)] = Info(split.shape, "float32")
        self.draw(Pass(first, (first, split.first)))
        return replace(split.then, inputs=((first.name, 0),))

    def build(self) -> WebGLPlan:
        """The plan with one texture per tensor (reuse_textures then folds them)."""
        work = partition(self.graph, self.infos)
        gpu = cpu = 0
        for item in work:
            if isinstance(item, Pass):
                self.draw(item)
                gpu += len(item.nodes())
            elif isinstance(item, Alias):
                self.texture_of[(item.node.name, 0)] = self.texture_of[item.node.inputs[0]]
                gpu += 1
            else:
                for ref in item.inputs:
                    self.numpy(ref)
                self.steps.append(Compute(item))
                self.numpy_nodes.add(item.name)
                cpu += 1
        for ref in self.graph.outputs.values():
            self.numpy(ref)
        return WebGLPlan(self.steps, self.sizes, self.constants, gpu, cpu)


def reuse_textures(plan: WebGLPlan) -> WebGLPlan:
    """Map tensors' textures onto as few textures as liveness allows (same size, after last read)."""
    def reads(step: Step) -> tuple[int, ...]:
        return step.inputs if isinstance(step, Draw) else (step.texture,) if isinstance(step, Read) else ()

    def writes(step: Step) -> int | None:
        return step.output if isinstance(step, Draw) else step.texture if isinstance(step, Upload) else None

    last: dict[int, int] = {}
    for i, step in enumerate(plan.steps):
        for t in reads(step):
            last[t] = i
    physical: dict[int, int] = {t: t for t in plan.constants}
    sizes = {t: plan.sizes[t] for t in plan.constants}
    free: dict[tuple[int, int], list[int]] = {}
    steps: list[Step] = []
    for i, step in enumerate(plan.steps):
        if (t := writes(step)) is not None and t not in physical:
            pool = free.get(plan.sizes[t])
            physical[t] = pool.pop() if pool else max(sizes, default=-1) + 1
            sizes[physical[t]] = plan.sizes[t]
        if isinstance(step, Draw):
            steps.append(replace(step, output=physical[step.output], inputs=tuple(physical[t] for t in step.inputs)))
        elif isinstance(step, (Upload, Read)):
            steps.append(replace(step, texture=physical[step.texture]))
        else:
            steps.append(step)
        done = [t for t in (*reads(step), writes(step)) if t is not None and last.get(t, -1) <= i and t not in plan.constants]
        for t in dict.fromkeys(done):
            free.setdefault(plan.sizes[t], []).append(physical[t])
    return WebGLPlan(steps, sizes, plan.constants, plan.gpu_nodes, plan.cpu_nodes)
