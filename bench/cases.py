"""The tensor every engine gets and the outputs it must give back: the golden set's "astronaut" case
(tools/golden: TF.js 4.22 in Node, CPU backend, on a real image)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pyapp.errors import PyappError

CASE = "astronaut"
# Max abs error over the reference's range; the bound DESIGN.md sets for float16 storage on WebGL.
TOLERANCE = 2e-3


@dataclass(frozen=True)
class Case:
    model: str
    input_name: str
    input: np.ndarray
    outputs: dict[str, np.ndarray]


def load_case(golden: Path, model: str) -> Case:
    manifest_file = golden / "manifest.json"
    if not manifest_file.exists():
        raise PyappError(f"no golden set in {golden}: run `python -m tools.golden` (`make bench` does)")
    models = json.loads(manifest_file.read_text())["models"]
    if model not in models:
        raise PyappError(f"no golden outputs for model {model!r}; have: {', '.join(models)}")
    entry, files = models[model], models[model]["cases"][CASE]
    return Case(model, entry["input"][0]["name"], np.load(golden / files["input"]),
                {name: np.load(golden / path) for name, path in zip(entry["outputs"], files["outputs"])})


def decode(outputs: list[dict]) -> dict[str, np.ndarray]:
    """The page's outputs ({name, shape, dtype, base64}) as arrays, names without TF.js's ':0'."""
    return {o["name"].removesuffix(":0"): np.frombuffer(base64.b64decode(o["base64"]), o["dtype"]).reshape(o["shape"])
            for o in outputs}


def output_error(case: Case, outputs: dict[str, np.ndarray]) -> float:
    """The worst output's max abs error relative to its reference's range."""
    if set(outputs) != set(case.outputs):
        raise PyappError(f"outputs {sorted(outputs)} are not the model's {sorted(case.outputs)}")
    worst = 0.0
    for name, want in case.outputs.items():
        got = outputs[name]
        if got.shape != want.shape:
            raise PyappError(f"output {name} has shape {list(got.shape)}, expected {list(want.shape)}")
        if not np.isfinite(got).all():
            return float("inf")
        span = float(want.max() - want.min()) or 1.0
        worst = max(worst, float(np.abs(got.astype(np.float64) - want).max()) / span)
    return worst
