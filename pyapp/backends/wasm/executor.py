"""The wasm executor for one set of input shapes: lowered steps, one arena planned from lifetimes,
one pool of packed constants, and per run a flat list of prepared calls (kernel, addresses)."""

from __future__ import annotations

import math
import time
from collections import Counter
from typing import Mapping

import numpy as np

from ...errors import PyappError
from ...graph import Graph, infer_shapes, make_plan
from ...ops import OPS
from ..webgl import input_infos
from .arena import ALIGN, Block, plan_offsets

SLACK = 8  # floats past the arena's end: gemm reads a residual row 8 wide however few columns remain
from .lower import At, Lowering, Step
from .module import Kernels


class Layout:
    """Where every arena tensor lives: alias groups share bytes; offsets from lifetimes."""

    def __init__(self, graph: Graph, steps: list[Step], infos):
        self.root: dict = {}
        for step in steps:
            if step.kind == "alias":
                self.root[step.writes[0]] = self.find(step.reads[0])
        native_reads = {ref for s in steps if s.kind != "numpy" for ref in s.reads}
        self.shapes = {(name, 0): infos[(name, 0)].shape for name in graph.inputs if (name, 0) in native_reads}
        for s in steps:  # a numpy step's output joins the arena only when a kernel reads it
            self.shapes.update((ref, infos[ref].shape) for ref in s.writes if s.kind != "numpy" or ref in native_reads)
        writer = {ref: i for i, s in enumerate(steps) for ref in s.writes}
        last_read = {ref: i for i, s in enumerate(steps) for ref in s.reads}
        outputs, end = set(graph.outputs.values()), len(steps)
        blocks: dict = {}

        def span(key, size: int, first: int, last: int) -> None:
            old = blocks.get(key)
            blocks[key] = Block(size, first, last) if old is None else Block(max(old.size, size), min(old.first, first), max(old.last, last))

        for ref, shape in self.shapes.items():
            first = writer.get(ref, -1)
            span(self.find(ref), math.prod(shape), first, max(first, last_read.get(ref, -1), end if ref in outputs else -1))
        for i, s in enumerate(steps):
            if s.scratch:
                span(s.scratch[0], s.scratch[1], i, i)
        self.offsets, self.size = plan_offsets(blocks)

    def find(self, ref):
        while ref in self.root:
            ref = self.root[ref]
        return ref


class WasmExecutor:
    def __init__(self, graph: Graph, shapes: Mapping[str, tuple[int, ...]] | None, kernels: Kernels):
        self.graph, self.kernels = graph, kernels
        infos = infer_shapes(graph, input_infos(graph, shapes))
        self.shapes = {name: infos[(name, 0)].shape for name in graph.inputs}
        plan = make_plan(graph)
        lowering = Lowering(graph, infos, plan.used)
        self.steps = lowering.lower(plan.steps)
        layout = Layout(graph, self.steps, infos)
        self.arena = np.zeros(layout.size + SLACK, np.float32)
        pool_offsets = np.cumsum([0] + [-(-c.size // ALIGN) * ALIGN for c in lowering.pool])
        self.pool = np.zeros(max(int(pool_offsets[-1]), ALIGN), np.float32)
        for offset, c in zip(pool_offsets, lowering.pool):
            self.pool[offset:offset + c.size] = c
        arena_at, pool_at = self.arena.ctypes.data, self.pool.ctypes.data

        def address(at: At) -> int:
            if isinstance(at.key, int):
                return pool_at + 4 * (int(pool_offsets[at.key]) + at.floats)
            return arena_at + 4 * (layout.offsets[layout.find(at.key)] + at.floats)

        self.env: dict = dict(graph.consts)
        for ref, shape in layout.shapes.items():
            start = layout.offsets[layout.find(ref)]
            self.env[ref] = self.arena[start:start + math.prod(shape)].reshape(shape)
        self.inputs = {name: self.env.get((name, 0)) for name in graph.inputs}
        self.calls: list = []  # (function, args): kernels, and numpy steps as bound methods
        self.call_kinds: list[str] = []  # the step kind of each call
        for step in self.steps:
            if step.kind == "numpy":
                placed = tuple((ref, self.env.get(ref)) for ref in step.writes)
                self.calls.append((self.numpy_step, (step.node, placed)))
                self.call_kinds.append("numpy")
            for call in step.calls:
                args = tuple(address(a) if isinstance(a, At) else a for a in call.args)
                self.calls.append((getattr(kernels, call.kernel), args))
                self.call_kinds.append(step.kind)
        self.arena_bytes, self.pool_bytes = self.arena.nbytes, self.pool.nbytes

    def numpy_step(self, node, placed) -> None:
        env = self.env
        try:
            out = OPS[node.op].kernel(node.attrs, *[env[ref] for ref in node.inputs])
        except (ValueError, IndexError, TypeError, MemoryError) as e:
            raise PyappError(f"node {node.name!r} ({node.op}) failed: {e}") from e
        values = out if isinstance(out, tuple) else (out,)
        for ref, view in placed:
            if view is None:  # kept outside the arena; a view into it would change as its bytes are reused
                value = values[ref[1]]
                env[ref] = np.array(value) if np.may_share_memory(value, self.arena) else value
            else:
                np.copyto(view, values[ref[1]])

    def run(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        for name, value in feeds.items():
            if (view := self.inputs.get(name)) is not None:
                np.copyto(view, value, casting="same_kind")
            else:
                self.env[(name, 0)] = value
        for fn, args in self.calls:
            fn(*args)
        return {name: np.array(self.env[ref]) for name, ref in self.graph.outputs.items()}

    def profile(self, feeds: Mapping[str, np.ndarray], runs: int = 5) -> dict:
        """`runs` runs with every call timed, medians: ms per step kind, the run's own time (untimed
        runs), and the Python side's share: a run minus its timed calls, plus per kernel call the
        cost of calling an empty one."""
        run_ms, per_kind = [], []
        for _ in range(runs):
            started = time.perf_counter()
            self.run(feeds)
            run_ms.append((time.perf_counter() - started) * 1000)
            kinds: Counter = Counter()
            for kind, (fn, args) in zip(self.call_kinds, self.calls):
                t = time.perf_counter()
                fn(*args)
                kinds[kind] += (time.perf_counter() - t) * 1000
            per_kind.append(kinds)
        kinds_ms = {kind: float(np.median([k[kind] for k in per_kind])) for kind in per_kind[0]}
        empty, n = self.kernels.unary_f32, 2000
        t = time.perf_counter()
        for _ in range(n):
            empty(0, 0, 0, 0)
        call_us = (time.perf_counter() - t) / n * 1e6
        run = float(np.median(run_ms))
        kernel_calls = sum(kind != "numpy" for kind in self.call_kinds)
        dispatch_ms = max(run - sum(kinds_ms.values()), 0.0) + kernel_calls * call_us / 1000
        return {"run_ms": run, "calls": len(self.calls), "kinds_ms": kinds_ms, "empty_call_us": call_us,
                "dispatch_ms": dispatch_ms, "dispatch_share": dispatch_ms / run}

    def stats(self) -> dict:
        numpy_ops = Counter(s.node.op for s in self.steps if s.kind == "numpy")
        return {
            "steps": len(self.steps), "wasm": sum(s.kind not in ("numpy", "alias") for s in self.steps),
            "alias": sum(s.kind == "alias" for s in self.steps), "numpy": sum(numpy_ops.values()),
            "numpy_ops": dict(numpy_ops), "kinds": dict(Counter(s.kind for s in self.steps)),
            "folded": sum(s.folded for s in self.steps), "calls": len(self.calls),
            "arena_bytes": self.arena_bytes, "pool_bytes": self.pool_bytes,
        }
