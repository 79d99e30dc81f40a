"""Execution plan: the nodes the outputs need, in dependency order, and when each tensor dies."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ModelFormatError
from .ir import Graph, Node, Ref

SOURCES = frozenset({"Const", "Placeholder"})


def topo_order(graph: Graph, roots: list[str] | None = None) -> list[Node]:
    """Nodes reachable from roots (default: the outputs), each after its inputs. Iterative: graphs are deep."""
    order: list[Node] = []
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    for root in roots if roots is not None else [ref[0] for ref in graph.outputs.values()]:
        stack = [(root, False)]
        while stack:
            name, expanded = stack.pop()
            if expanded:
                state[name] = 2
                order.append(graph.nodes[name])
                continue
            if state.get(name) == 2:
                continue
            if state.get(name) == 1:
                raise ModelFormatError(f"graph has a cycle through node {name!r}")
            state[name] = 1
            stack.append((name, True))
            node = graph.nodes[name]
            for src in reversed([src for src, _ in node.inputs] + list(node.control)):
                if src not in graph.nodes:
                    raise ModelFormatError(f"node {name!r} reads {src!r}, which is not in the graph")
                if state.get(src) != 2:
                    if state.get(src) == 1:
                        raise ModelFormatError(f"graph has a cycle through node {src!r}")
                    stack.append((src, False))
    return order


@dataclass(frozen=True)
class Plan:
    steps: tuple[Node, ...]  # the nodes to run, in order (no Const / Placeholder)
    free_after: tuple[tuple[Ref, ...], ...]  # free_after[i]: tensors nothing reads after step i
    used: frozenset[Ref]  # tensors worth storing: read by a later step or answered as an output


def make_plan(graph: Graph) -> Plan:
    steps = [node for node in topo_order(graph) if node.op not in SOURCES]
    keep = set(graph.outputs.values())
    last_use: dict[Ref, int] = {}
    for i, node in enumerate(steps):
        for ref in node.inputs:
            if ref not in graph.consts and graph.nodes[ref[0]].op != "Placeholder":
                last_use[ref] = i
    free: list[list[Ref]] = [[] for _ in steps]
    for ref, i in last_use.items():
        if ref not in keep:
            free[i].append(ref)
    return Plan(tuple(steps), tuple(tuple(f) for f in free), frozenset(last_use) | keep)
