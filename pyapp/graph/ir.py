"""The graph IR: nodes wired by tensor references, constants held apart, named outputs.

A tensor is a Ref (node name, output index). Graphs are immutable; passes return new ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping

import numpy as np

Ref = tuple[str, int]


def parse_ref(text: str) -> Ref:
    """"x" -> ("x", 0), "x:1" -> ("x", 1). Control inputs ("^x") are handled by the caller."""
    name, sep, index = text.rpartition(":")
    if sep and index.isdigit():
        return name, int(index)
    return text, 0


def ref_name(ref: Ref) -> str:
    return ref[0] if ref[1] == 0 else f"{ref[0]}:{ref[1]}"


@dataclass(frozen=True)
class Node:
    name: str
    op: str
    inputs: tuple[Ref, ...]
    attrs: Any = None  # what the op's parse() made of the NodeDef attrs; the kernel reads this
    raw: Mapping[str, Any] = field(default_factory=dict)  # the NodeDef attrs parse() read; backends read attrs
    control: tuple[str, ...] = ()  # control dependencies ("^x"), dropped by the first pass


@dataclass(frozen=True)
class Graph:
    nodes: Mapping[str, Node]  # every node, Const and Placeholder included
    consts: Mapping[Ref, np.ndarray]  # the value of every constant tensor
    inputs: tuple[str, ...]  # Placeholder node names, in signature order
    outputs: Mapping[str, Ref]  # public output name -> the tensor that holds it

    def consumers(self) -> dict[str, list[str]]:
        users: dict[str, list[str]] = {name: [] for name in self.nodes}
        for node in self.nodes.values():
            for src, _ in node.inputs:
                users[src].append(node.name)
        return users

    def with_outputs(self, names: Iterable[str]) -> Graph:
        """Same graph, answering these tensors ("node" or "node:i") instead of its usual outputs."""
        outputs = {}
        for name in names:
            ref = self.outputs.get(name) or parse_ref(name)
            if ref[0] not in self.nodes:
                raise KeyError(name)
            outputs[name] = ref
        return replace(self, outputs=outputs)
