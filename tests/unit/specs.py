"""Tiny graphs for op, graph and executor tests, built as ModelSpec records (no model.json)."""

from __future__ import annotations

from typing import Any

import numpy as np

from pyapp.model import ModelSpec, NodeDef, TensorSpec
from pyapp.ops import OPS


def run_op(op: str, attrs: dict[str, Any], *inputs: Any):
    """Parse attrs as the loader would, then run the kernel (float lists become float32 arrays)."""
    xs = [x if isinstance(x, np.ndarray) else np.asarray(x, np.float32) for x in inputs]
    entry = OPS[op]
    return entry.kernel(entry.parse(attrs), *xs)


def node(name: str, op: str, *inputs: str, **attrs: Any) -> NodeDef:
    return NodeDef(name, op, tuple(inputs), attrs)


def spec(
    nodes: list[NodeDef],
    inputs: dict[str, tuple] | None = None,
    outputs: list[str] | None = None,
    dtypes: dict[str, str] | None = None,
) -> ModelSpec:
    """inputs: Placeholder name -> shape (a Placeholder node is added for each); outputs: tensor names."""
    inputs = inputs if inputs is not None else {"x": (1, 4)}
    dtypes = dtypes or {}
    placeholders = [node(n, "Placeholder", dtype=dtypes.get(n, "float32"), shape=s) for n, s in inputs.items()]
    return ModelSpec(
        source="test/model.json",
        format="graph-model",
        generated_by=None,
        converted_by=None,
        nodes=tuple(placeholders + nodes),
        inputs=tuple(TensorSpec(n, dtypes.get(n, "float32"), s) for n, s in inputs.items()),
        outputs=tuple(TensorSpec(n, "float32", None) for n in (outputs or [nodes[-1].name])),
        groups=(),
        user_defined_metadata={},
        raw={},
    )
