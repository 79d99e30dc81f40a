"""What a TF.js graph model is made of, as plain immutable records (parse.py builds them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TensorSpec:
    name: str  # node name; ":0" dropped, ":n" (n > 0) kept
    dtype: str  # numpy dtype name ("float32", "int32", "bool", ...); TF.js names where numpy has none ("string")
    shape: tuple[int | None, ...] | None  # None dim = unknown (-1); None = unknown rank


@dataclass(frozen=True)
class NodeDef:
    name: str
    op: str
    inputs: tuple[str, ...]  # as written in the JSON: "x", "x:1", "^x" (control input)
    attrs: dict[str, Any]  # decoded by attrs.decode_attr
    device: str = ""


@dataclass(frozen=True)
class WeightSpec:
    name: str
    shape: tuple[int, ...]
    dtype: str  # the dtype after dequantization
    quantization: dict | None  # {"dtype": "float16"|"uint8"|"uint16", "min", "scale", "original_dtype"}
    # byte_size and offset (inside the group's concatenated shards) are None for string weights and for
    # every weight after one in the same group: string lengths are only known from the bytes.
    byte_size: int | None
    group: int
    offset: int | None


@dataclass(frozen=True)
class WeightGroup:
    paths: tuple[str, ...]  # shard files, relative to model.json's folder, in concatenation order
    weights: tuple[WeightSpec, ...]


@dataclass
class ModelSpec:
    source: str
    format: str | None
    generated_by: str | None
    converted_by: str | None
    nodes: tuple[NodeDef, ...]
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    groups: tuple[WeightGroup, ...]
    user_defined_metadata: dict
    raw: dict
    versions: dict = field(default_factory=dict)

    def shard_paths(self) -> list[str]:
        return [path for group in self.groups for path in group.paths]

    def weight_bytes(self) -> int:
        """Total bytes the manifest promises (string weights, whose size only the bytes tell, excluded)."""
        return sum(w.byte_size or 0 for group in self.groups for w in group.weights)
