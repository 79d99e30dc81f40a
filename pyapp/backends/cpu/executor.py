"""The numpy executor: walks the plan, calls each op's kernel, drops tensors after their last use."""

from __future__ import annotations

from typing import Mapping

import numpy as np

from ...errors import PyappError
from ...graph import Graph, make_plan
from ...ops import OPS


class CpuExecutor:
    def __init__(self, graph: Graph):
        self.graph = graph
        self.plan = make_plan(graph)
        # per step: (kernel, attrs, input refs, node, refs to free after it)
        self.steps = [(OPS[n.op].kernel, n.attrs, n.inputs, n, free) for n, free in zip(self.plan.steps, self.plan.free_after)]

    def run(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """feeds: Placeholder name -> array (already checked). Returns output name -> array."""
        env: dict = dict(self.graph.consts)
        env.update(((name, 0), value) for name, value in feeds.items())
        used = self.plan.used
        for kernel, attrs, inputs, node, free in self.steps:
            try:
                out = kernel(attrs, *[env[ref] for ref in inputs])
            except (ValueError, IndexError, TypeError, MemoryError) as e:
                raise PyappError(f"node {node.name!r} ({node.op}) failed: {e}") from e
            if isinstance(out, tuple):
                env.update(((node.name, i), v) for i, v in enumerate(out) if (node.name, i) in used)
            else:
                env[(node.name, 0)] = out
            for ref in free:
                del env[ref]
        return {name: np.asarray(env[ref]) for name, ref in self.graph.outputs.items()}
