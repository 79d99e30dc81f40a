import json
import tracemalloc

import pytest
from modelfiles import MODELS, W_BYTES, graph_model, node, placeholder, write_model

from pyapp.api import load_graph_model
from pyapp.errors import TooLargeError
from pyapp.commands.inspect import format_inspect, inspect_model, main
from pyapp.model.limits import ENV_VAR


@pytest.mark.parametrize("name", MODELS)
def test_real_models(assets_dir, name):
    path = assets_dir / "models" / name / "model.json"
    report = inspect_model(path)
    shard_size = path.with_name(f"{name}.bin").stat().st_size
    assert report["weight_bytes"] == shard_size == sum(report["bytes_by_dtype"].values())
    assert report["groups"] == [{"weights": report["weights"], "expected_bytes": shard_size, "ok": True,
                                 "shards": [{"path": f"{name}.bin", "bytes_on_disk": shard_size}], "bytes_on_disk": shard_size}]
    assert sum(report["ops"].values()) == report["nodes"] and report["unsupported_ops"] == []
    text = format_inspect(report)
    assert f"{report['nodes']} nodes" in text and f"{name}.bin  {shard_size:,} bytes" in text and "all supported" in text
    costs = report["costs"]
    assert report["costs_error"] is None and costs["flops"] > 0 and costs["depth"] > 0
    assert sum(e["count"] for e in costs["by_op"].values()) == len(costs["nodes"]) == report["nodes"] - report["ops"]["Const"] - 1
    assert f"costs      {costs['flops'] / 1e6:,.1f} MFLOPs" in text


def test_selfie_report(assets_dir):
    report = inspect_model(assets_dir / "models/selfie/model.json")
    assert report["inputs"] == [{"name": "input_1", "dtype": "float32", "shape": [1, 256, 256, 3]}]
    assert report["ops"]["Conv2D"] == 43 and report["parameters"] == 106_433
    assert report["bytes_by_quantization"] == {"float16": 212_846, "none": 40}
    lines = format_inspect(report).splitlines()
    assert "inputs     input_1  float32  [1, 256, 256, 3]" in lines
    assert "quantized  float16  212,846 bytes" in lines


def test_unknown_dims_unsupported_ops_and_missing_shards(tmp_path):
    nodes = [placeholder("x", (-1, 2)), node("w", "Const"), node("y", "NoSuchOp", "x", "w")]
    path = write_model(tmp_path, graph_model(nodes=nodes, paths=("a.bin", "b.bin")), {"a.bin": W_BYTES[:3]})
    report = inspect_model(path)
    assert report["unsupported_ops"] == ["NoSuchOp"]
    assert report["outputs"] == [{"name": "y", "dtype": "float32", "shape": None}]
    assert report["groups"][0]["ok"] is False and report["groups"][0]["shards"][1] == {"path": "b.bin", "bytes_on_disk": None}
    assert report["costs"] is None and report["costs_error"].startswith(f"cannot read {tmp_path / 'b.bin'}: No such file")
    text = format_inspect(report)
    for line in ("inputs     x  float32  [?, 2]", "outputs    y  float32  unknown rank",
                 "graph      3 nodes, 3 op types, UNSUPPORTED: NoSuchOp", "           NoSuchOp     1  unsupported",
                 "           b.bin  missing", "           group 0: 3 bytes on disk, 8 expected"):
        assert line in text.splitlines(), line


def test_main_prints_json_and_text(assets_dir, capsys):
    path = str(assets_dir / "models/emotion/model.json")
    assert main([path, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == inspect_model(path)
    assert main([path]) == 0
    assert capsys.readouterr().out == format_inspect(inspect_model(path)) + "\n"


def test_main_reports_a_bad_model(tmp_path, capsys):
    (tmp_path / "model.json").write_text("{ nope")
    assert main([str(tmp_path / "model.json")]) == 1
    assert capsys.readouterr().err.startswith(f"pyapp inspect: {tmp_path / 'model.json'}: not valid JSON: Expecting property name")


def splat_model(folder) -> str:
    """A few hundred bytes of model.json whose Const claims 2e9 float32 values (8 GB) given as one."""
    tensor = {"dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": "2000000000"}]}, "floatVal": [1.0]}
    nodes = [placeholder("x", (1,)), node("big", "Const", dtype={"type": "DT_FLOAT"}, value={"tensor": tensor}),
             node("y", "Mul", "x", "big")]
    return str(write_model(folder, graph_model(nodes=nodes, weights=[], paths=()), {}))


def test_inspect_decodes_no_constant(tmp_path, capsys):
    path = splat_model(tmp_path)
    tracemalloc.start()
    try:
        assert main([path]) == 0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    lines = capsys.readouterr().out.splitlines()
    assert "graph      3 nodes, 3 op types, all supported" in lines
    assert any(line.startswith("costs      not estimated: ") and "8,000,000,000 bytes" in line for line in lines)
    assert peak < 10 * 2**20


def test_loading_that_model_is_refused_by_the_size_limit(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(TooLargeError, match=r"node\[1\] \('big'\) attr 'value': shape \[2000000000\] of float32 needs 8,000,000,000 bytes"):
        load_graph_model(splat_model(tmp_path))
