"""Scheduling: where each node runs and which nodes share a pass.

Placement: a node with a producer kernel runs on the GPU; an elementwise node too when one of its
inputs is already there; a reshape that keeps the 4-D layout is an alias; the rest (integer and
shape ops, softmax, tails of tiny tensors) runs in numpy.
Fusion, walking back from the outputs: a GPU node joins the pass of its readers when they are all in
one pass, it is not an output, it has that pass's output shape, and it is elementwise or the pass
has no producer yet. So conv -> bias -> hard-swish (x * relu6(x + 3) / 6) -> residual Add is one
pass: nothing outside a pass reads its inner values, so it can run at its root's place.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ...graph import Graph, Node, Ref, topo_order
from ...ops import Info
from . import ops
from .kernel import Infos, Producer
from .layout import MAX_TEXTURE, shape4, texture_size

MAX_OPERANDS = 12  # texture units a pass may use (WebGL2 guarantees 16)
RESHAPES = frozenset({"Reshape", "Squeeze", "ExpandDims"})


def is_float(ref: Ref, infos: Infos) -> bool:
    """A float32 tensor with a texture layout that fits: the GPU can hold it."""
    info = infos[ref]
    if info.dtype != "float32" or info.shape is None or len(info.shape) > 4 or None in info.shape:
        return False
    return max(texture_size(info.shape)) <= MAX_TEXTURE


def is_alias(node: Node, infos: Infos) -> bool:
    """A reshape that keeps the 4-D layout is the same texture under another name."""
    return node.op in RESHAPES and shape4(infos[node.inputs[0]].shape) == shape4(infos[(node.name, 0)].shape)


@dataclass
class Pass:
    root: Node
    producer: tuple[Node, Producer] | None = None
    members: list[Node] = field(default_factory=list)  # elementwise nodes, in execution order

    def nodes(self) -> list[Node]:
        return ([self.producer[0]] if self.producer else []) + self.members

    def operands(self, graph: Graph) -> set[Ref]:
        """Tensors read from outside the pass (scalar constants are uniforms, not textures)."""
        inside = {n.name for n in self.nodes()}
        refs = set(self.producer[1].inputs) if self.producer else set()
        for node in self.members:
            refs |= {r for r in node.inputs if r[0] not in inside and not (r in graph.consts and graph.consts[r].size == 1)}
        return refs

    def texture_count(self, graph: Graph) -> int:
        return len(self.operands(graph)) + (len(self.producer[1].filters) if self.producer else 0)


@dataclass(frozen=True)
class Alias:
    node: Node  # its output is its input's texture


def place(graph: Graph, infos: dict[Ref, Info], order: list[Node]) -> dict[str, Producer | str]:
    """Node name -> its Producer, "elementwise", "alias" or "cpu"."""
    where: dict[str, Producer | str] = {}
    on_gpu = lambda ref: ref not in graph.consts and where.get(ref[0], "cpu") != "cpu"  # noqa: E731
    for node in order:
        out = (node.name, 0)
        floats = is_float(out, infos) and all(is_float(r, infos) for r in node.inputs if r not in graph.consts)
        if node.op in RESHAPES and floats and on_gpu(node.inputs[0]) and is_alias(node, infos):
            where[node.name] = "alias"
        elif floats and (prod := ops.lower(node, infos, graph.consts)) is not None:
            where[node.name] = prod
        elif (floats and node.op in ops.ELEMENTWISE and any(on_gpu(r) for r in node.inputs)
              and all(infos[r].dtype == "float32" for r in node.inputs)):
            where[node.name] = "elementwise"
        else:
            where[node.name] = "cpu"
    return where


def read_through_aliases(graph: Graph, where: dict[str, Producer | str]) -> Graph:
    """GPU nodes read an alias's source directly (same texture), so a reshape between a MatMul and its
    bias add does not stop fusion; numpy nodes keep reading the alias, with its shape."""
    def source(ref: Ref) -> Ref:
        while where.get(ref[0]) == "alias":
            ref = graph.nodes[ref[0]].inputs[0]
        return ref

    nodes = {name: node if where.get(name, "cpu") in ("cpu", "alias") else replace(node, inputs=tuple(map(source, node.inputs)))
             for name, node in graph.nodes.items()}
    for name, kind in where.items():
        if isinstance(kind, Producer):
            where[name] = replace(kind, inputs=tuple(map(source, kind.inputs)))
    return replace(graph, nodes=nodes)


def partition(graph: Graph, infos: dict[Ref, Info]) -> list[Pass | Alias | Node]:
    """The work in execution order: GPU passes, aliases, and nodes for numpy."""
    order = [n for n in topo_order(graph) if n.op not in ("Const", "Placeholder")]
    where = place(graph, infos, order)
    graph = read_through_aliases(graph, where)
    order = [graph.nodes[n.name] for n in order]
    users = graph.consumers()
    outputs = {ref[0] for ref in graph.outputs.values()}
    for node in reversed(order):  # an alias only GPU nodes read is gone: they read its source
        if where[node.name] == "alias" and not users[node.name] and node.name not in outputs:
            users[node.inputs[0][0]].remove(node.name)
    pass_of: dict[str, Pass] = {}
    for node in reversed(order):
        kind = where[node.name]
        if kind in ("cpu", "alias"):
            continue
        readers = {id(pass_of.get(u)) for u in users[node.name]}
        target = pass_of.get(users[node.name][0]) if users[node.name] else None
        joins = (
            target is not None and readers == {id(target)} and node.name not in outputs
            and shape4(infos[(node.name, 0)].shape) == shape4(infos[(target.root.name, 0)].shape)
            and (kind == "elementwise" or target.producer is None)
            and not (target.producer and target.producer[0].name in users[node.name])  # epilogues only
        )
        if joins:
            trial = Pass(target.root, target.producer or ((node, kind) if kind != "elementwise" else None),
                         [node] + target.members if kind == "elementwise" else target.members)
            joins = trial.texture_count(graph) <= MAX_OPERANDS
        if joins:
            target.producer, target.members = trial.producer, trial.members
            pass_of[node.name] = target
        else:
            p = Pass(node, (node, kind) if kind != "elementwise" else None, [node] if kind == "elementwise" else [])
            pass_of[node.name] = p
    position = {n.name: i for i, n in enumerate(order)}
    work: list[Pass | Alias | Node] = []
    for node in order:
        kind = where[node.name]
        if kind == "cpu":
            work.append(node)
        elif kind == "alias":
            if users[node.name] or node.name in outputs:
                work.append(Alias(node))
        elif pass_of[node.name].root is node:
            p = pass_of[node.name]
            p.members.sort(key=lambda n: position[n.name])
            work.append(p)
    return work
