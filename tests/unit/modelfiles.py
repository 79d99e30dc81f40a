"""Synthetic TF.js graph models for tests: model.json dicts and shard bytes built by hand."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np

MODELS = ("selfie", "meet", "blazeface", "posenet", "movenet-lightning", "emotion", "mobilefacenet")


def node(name: str, op: str, *inputs: str, **attr: dict) -> dict:
    return {"name": name, "op": op, "input": list(inputs), "attr": attr}


def placeholder(name: str, shape=(1, 2), dtype: str = "DT_FLOAT") -> dict:
    dims = [{"size": str(d)} for d in shape]
    return node(name, "Placeholder", dtype={"type": dtype}, shape={"shape": {"dim": dims}})


def const(name: str, dtype: str = "DT_FLOAT", shape=(2,)) -> dict:
    tensor = {"dtype": dtype, "tensorShape": {"dim": [{"size": str(d)} for d in shape]}}
    return node(name, "Const", dtype={"type": dtype}, value={"tensor": tensor})


def weight(name: str, shape=(2,), dtype: str = "float32", quantization: dict | None = None) -> dict:
    entry = {"name": name, "shape": list(shape), "dtype": dtype}
    return {**entry, "quantization": quantization} if quantization else entry


def b64(data: bytes | str) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def graph_model(nodes: list[dict] | None = None, weights: list[dict] | None = None, paths=("w.bin",), **extra) -> dict:
    """x (Placeholder [1, 2]) * w (Const [2], float32 weight) → y, unless nodes/weights say otherwise."""
    nodes = nodes if nodes is not None else [placeholder("x"), const("w"), node("y", "Mul", "x", "w")]
    weights = weights if weights is not None else [weight("w")]
    return {
        "format": "graph-model",
        "modelTopology": {"node": nodes, "versions": {"producer": 1}},
        "weightsManifest": [{"paths": list(paths), "weights": weights}],
        **extra,
    }


W_BYTES = np.array([1.5, -2.0], "<f4").tobytes()  # the default model's weight w


def write_model(folder: Path, model: dict, shards: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for path, data in shards.items():
        (folder / path).write_bytes(data)
    (folder / "model.json").write_text(json.dumps(model))
    return folder / "model.json"
