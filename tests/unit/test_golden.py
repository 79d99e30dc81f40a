"""pyapp's numpy backend against TF.js 4.22 (CPU backend) on the real models and images: the golden set.

The golden set (inputs + TF.js outputs) is made by tools/golden (`python -m tools.golden`), cached under
$PYAPP_ASSETS/golden and regenerated here only when the tools, the TF.js bundle, a model or an image changed.
"""

import numpy as np
import pytest

from pyapp.api import load_graph_model
from tools.golden import CASES, MODELS, ensure, golden_dir

RELATIVE_TOLERANCE = 1e-4  # of the output's range (DESIGN.md, Correctness)


@pytest.fixture(scope="session")
def golden(assets_dir):
    return ensure(assets_dir)


@pytest.fixture(scope="session")
def graph_models(assets_dir, golden):
    """Each model loaded once, on first use."""
    loaded = {}

    def get(model):
        if model not in loaded:
            loaded[model] = load_graph_model(assets_dir / golden["models"][model]["model_json"])
        return loaded[model]

    return get


def tensor_name(name: str) -> str:
    return name.removesuffix(":0")


def by_name(result, outputs) -> dict:
    """predict's result keyed by normalised output name (a bare array when the model has one output)."""
    if isinstance(result, dict):
        return {tensor_name(k): v for k, v in result.items()}
    return {tensor_name(outputs[0].name): result}


def mismatch(label: str, got: np.ndarray, want: np.ndarray) -> str | None:
    """Why `got` is not `want` within tolerance, or None when it is."""
    if got.shape != want.shape:
        return f"{label}: shape {got.shape}, TF.js {want.shape}"
    got, want = got.astype(np.float64), want.astype(np.float64)
    if np.isnan(got).any():
        return f"{label}: {int(np.isnan(got).sum())} NaN values, first at {np.argwhere(np.isnan(got))[0].tolist()}"
    err = np.abs(got - want)
    worst = np.unravel_index(np.argmax(err), err.shape)
    span = float(np.ptp(want))
    if err[worst] <= RELATIVE_TOLERANCE * span:
        return None
    return (f"{label}: max |error| {err[worst]:.3g} at {list(map(int, worst))} (pyapp {got[worst]:.6g}, "
            f"TF.js {want[worst]:.6g}), range {span:.4g}, tolerance {RELATIVE_TOLERANCE * span:.3g}")


@pytest.mark.parametrize("model", MODELS)
def test_inputs_match_model_signature(assets_dir, golden, model):
    (spec,) = golden["models"][model]["input"]
    for files in golden["models"][model]["cases"].values():
        x = np.load(golden_dir(assets_dir) / files["input"])
        assert x.dtype == np.dtype(spec["dtype"]), f"{files['input']}: dtype {x.dtype}, model wants {spec['dtype']}"
        assert all(d in (-1, n) for d, n in zip(spec["shape"], x.shape, strict=True)), \
            f"{files['input']}: shape {x.shape}, model wants {spec['shape']}"


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("model", MODELS)
def test_matches_tfjs(assets_dir, golden, graph_models, model, case):
    entry, root = golden["models"][model], golden_dir(assets_dir)
    files = entry["cases"][case]
    graph_model = graph_models(model)
    got = by_name(graph_model.predict(np.load(root / files["input"])), graph_model.outputs)
    want = {tensor_name(name): np.load(root / f) for name, f in zip(entry["outputs"], files["outputs"], strict=True)}
    assert sorted(got) == sorted(want), f"{model}: pyapp outputs {sorted(got)}, TF.js outputs {sorted(want)}"
    problems = [p for name in want if (p := mismatch(f"{model}/{case} {name}", got[name], want[name]))]
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
