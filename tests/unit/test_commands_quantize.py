import json

import numpy as np
import pytest
from modelfiles import const, graph_model, node, placeholder, weight, write_model

from pyapp.api import load_graph_model
from pyapp.errors import PyappError, TooLargeError
from pyapp.model import load_model_spec, parse_model_json
from pyapp.model.limits import ENV_VAR
from pyapp.commands.quantize import main, quantize_array, quantize_model, random_inputs
from tools.golden import ensure, golden_dir
from tools.tfjs_load import tfjs_predict


def dequantize(stored: np.ndarray, q: dict) -> np.ndarray:
    return (stored.astype(np.float64) * q.get("scale", 1) + q.get("min", 0)).astype(np.float32)


def test_uint8_matches_tfjs_converter_documented_example():
    """write_weights.py's docstring: [0, -0.1, 1.2] → [20, 0, 255], min -0.10196078817, scale 0.00509803940852."""
    stored, q = quantize_array(np.array([0, -0.1, 1.2], np.float32), "uint8")
    assert stored.tolist() == [20, 0, 255] and stored.dtype == np.uint8
    assert q["min"] == pytest.approx(-0.10196078817) and q["scale"] == pytest.approx(0.00509803940852)
    assert q["dtype"] == "uint8" and q["original_dtype"] == "float32"


@pytest.mark.parametrize("dtype", ["uint8", "uint16"])
def test_affine_keeps_zero_exact_and_error_within_half_a_step(dtype):
    values = np.random.default_rng(1).normal(0.2, 1.0, 1000).astype(np.float32)
    values[[3, 500]] = 0
    stored, q = quantize_array(values, dtype)
    back = dequantize(stored, q)
    assert back[3] == back[500] == 0.0
    assert np.abs(back - values).max() <= q["scale"] / 2 * 1.0001
    assert stored.min() == 0 or stored.max() == np.iinfo(dtype).max


def test_affine_range_without_zero_is_not_nudged():
    values = np.array([2.0, 3.0, 5.0], np.float32)
    stored, q = quantize_array(values, "uint8")
    assert q["min"] == 2.0 and q["scale"] == 3.0 / 255 and stored.tolist() == [0, 85, 255]


def test_constant_and_float16():
    stored, q = quantize_array(np.full(4, 0.75, np.float32), "uint16")
    assert stored.tolist() == [0] * 4 and q == {"dtype": "uint16", "min": 0.75, "scale": 1.0, "original_dtype": "float32"}
    stored, q = quantize_array(np.array([1 / 3, 65504, 1e-8], np.float32), "float16")
    assert stored.dtype == np.dtype("<f2") and stored.tolist() == [np.float16(1 / 3), 65504, np.float16(1e-8)]
    assert q == {"dtype": "float16", "original_dtype": "float32"}


def test_only_float32_weights_change(tmp_path):
    nodes = [placeholder("x"), const("w"), const("k", "DT_INT32"), node("y", "Mul", "x", "w")]
    ints = np.array([7, -9], "<i4").tobytes()
    source = write_model(tmp_path / "m", graph_model(nodes, [weight("w"), weight("k", dtype="int32")]),
                         {"w.bin": np.array([0.5, -2.0], "<f4").tobytes() + ints})
    out = quantize_model(source, tmp_path / "q", "uint8")
    entries = json.loads(out.read_text())["weightsManifest"][0]["weights"]
    assert entries[0]["quantization"]["dtype"] == "uint8" and "quantization" not in entries[1]
    assert (tmp_path / "q/group1-shard1of1.bin").read_bytes()[2:] == ints
    _, weights = load_model_spec(out)
    assert weights["k"].tolist() == [7, -9] and weights["w"][1] == -2.0


def test_refuses_unknown_dtype(assets_dir, tmp_path):
    with pytest.raises(PyappError, match="cannot quantize to 'int4'"):
        quantize_model(assets_dir / "models/meet/model.json", tmp_path, "int4")


@pytest.fixture(scope="module")
def meet_case(assets_dir):
    entry = ensure(assets_dir)["models"]["meet"]["cases"]["astronaut"]
    return np.load(golden_dir(assets_dir) / entry["input"])


@pytest.mark.parametrize("dtype, size, tolerance", [("float16", 372_228, 0.0), ("uint16", 372_228, 0.01),
                                                    ("uint8", 186_284, 0.5)])
def test_meet_quantized_loads_in_tfjs_and_pyapp_alike(assets_dir, tmp_path, meet_case, dtype, size, tolerance):
    """meet's float32 weights are stored as float16 already: float16 changes nothing, uint8 halves them.
    TF.js 4.22 loads the result over HTTP and agrees with pyapp on it; both stay near the original."""
    out = quantize_model(assets_dir / "models/meet/model.json", tmp_path, dtype, 128 * 1024)
    spec, _ = load_model_spec(out)
    assert sum((out.parent / p).stat().st_size for p in spec.shard_paths()) == size
    ours = load_graph_model(out).predict(meet_case)
    theirs = tfjs_predict(assets_dir / "tfjs/tf.min.js", out.parent, meet_case)["segment"]
    span = float(np.ptp(theirs))
    assert np.abs(ours - theirs).max() <= 1e-4 * span
    original = load_graph_model(assets_dir / "models/meet/model.json").predict(meet_case)
    assert np.abs(ours - original).max() <= tolerance * span


def test_cli_reports_sizes_and_errors(assets_dir, tmp_path, capsys, meet_case):
    np.save(tmp_path / "x.npy", meet_case)
    assert main([str(assets_dir / "models/meet/model.json"), str(tmp_path / "q"), "--dtype", "uint8",
                 "--input", str(tmp_path / "x.npy")]) == 0
    captured = capsys.readouterr()
    assert "weights    372,228 → 186,284 bytes (50.0%)" in captured.out
    error = float(captured.out.split("segment")[1].split()[0])
    assert 0 < error < 35 and "compare outputs [" in captured.err


def test_cli_refuses_an_out_dir_that_is_a_file_or_not_empty(assets_dir, tmp_path, capsys):
    model = str(assets_dir / "models/meet/model.json")
    (tmp_path / "taken").write_text("mine")
    assert main([model, str(tmp_path / "taken"), "--dtype", "float16"]) == 1
    assert capsys.readouterr().err == f"pyapp quantize: OUT_DIR {tmp_path / 'taken'} is a file, not a folder\n"
    with pytest.raises(PyappError, match="is not empty \\(taken\\)"):
        quantize_model(model, tmp_path, "float16")
    assert quantize_model(model, tmp_path, "float16", force=True).exists() and (tmp_path / "taken").read_text() == "mine"


def test_random_reference_inputs_obey_the_size_limit(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, "1000")
    source = write_model(tmp_path / "m", graph_model([placeholder("x", (1, 1000)), const("w"), node("y", "Mul", "x", "w")]),
                         {"w.bin": np.array([0.5, -2.0], "<f4").tobytes()})
    with pytest.raises(TooLargeError, match=r"input 'x': shape \[1, 1000\] of float32 needs 4,000 bytes"):
        random_inputs(parse_model_json(source.read_bytes()))
