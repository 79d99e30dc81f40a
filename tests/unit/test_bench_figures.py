"""bench/ without a browser: output checks, the served input, statistics, engine order, error lines, table
and report."""

import base64
import os

import numpy as np
import pytest

from bench import report
from bench.cases import Case, decode, output_error
from bench.engines import BASELINES, ENGINES, order
from bench.measure import INPUT_FOLDER, reason, served_input
from bench.stats import MB, PAGE, WORKERS, js_bytes, p95, summarize
from bench.table import model_table
from pyapp.errors import PyappError

CASE = Case("m", "x", np.zeros((1, 2), np.float32), {"y": np.array([[0.0, 10.0]], np.float32)})


def page_outputs(name, array):
    return [{"name": name, "shape": list(array.shape), "dtype": str(array.dtype),
             "base64": base64.b64encode(array.tobytes()).decode()}]


def test_output_error_is_relative_to_range_and_catches_nan_and_shape():
    got = decode(page_outputs("y:0", np.array([[0.01, 10.0]], np.float32)))
    assert output_error(CASE, got) == pytest.approx(1e-3, rel=1e-4)
    assert output_error(CASE, {"y": np.array([[np.nan, 10.0]], np.float32)}) == float("inf")
    with pytest.raises(PyappError, match="shape"):
        output_error(CASE, {"y": np.zeros((2, 1), np.float32)})
    with pytest.raises(PyappError, match="not the model's"):
        output_error(CASE, {"z": np.zeros((1, 2), np.float32)})


def test_p95_matches_numpy():
    samples = list(np.random.default_rng(0).gamma(2.0, 10.0, 57))
    assert p95(samples) == pytest.approx(np.percentile(samples, 95))


def test_engine_order_alternates():
    assert order(0) == ENGINES and order(1) == ENGINES[::-1] and order(2) == ENGINES
    assert set(BASELINES) <= set(ENGINES)


def test_served_input_is_written_once_and_again_when_it_changes(tmp_path, monkeypatch):
    """The bench page's input is a file the server sends: rewritten only when the tensor changed, so
    its ETag (from size and mtime) holds across runs and the warm start revalidates it with a 304."""
    monkeypatch.setenv("PYAPP_ASSETS", str(tmp_path))
    file = tmp_path / "served-models" / INPUT_FOLDER / "m.bin"
    assert served_input(CASE) == f"/models/{INPUT_FOLDER}/m.bin"
    assert file.read_bytes() == CASE.input.tobytes()
    os.utime(file, ns=(0, 0))
    served_input(CASE)
    assert file.stat().st_mtime_ns == 0
    changed = Case("m", "x", np.ones((1, 2), np.float32), CASE.outputs)
    served_input(changed)
    assert file.read_bytes() == changed.input.tobytes() and [p.name for p in file.parent.iterdir()] == ["m.bin"]


def test_reason_is_one_line():
    traceback = "Page.evaluate: Error: Traceback (most recent call last):\n  File \"x\"\nValueError: bad\n    at call (x.js:1)"
    assert reason(Exception(traceback)) == "ValueError: bad"
    assert reason(Exception("Page.evaluate: Error: unknown method 'x'\n    at a (b.js:1)")) == "unknown method 'x'"


def realm(scope, url, size):
    return {"attribution": [{"scope": scope, "url": url}], "bytes": size, "types": ["JavaScript"]}


# The shapes Chromium 156 gave for TF.js wasm in a worker: the engine's worker and two wasm threads each
# count the 16 MB shared wasm memory; "Shared" and "DOM" entries belong to no realm.
WASM = 16 * MB
TFJS_WASM_WORKER = {
    "inferences": 10, "engine_scope": WORKERS, "wasm_bytes": WASM, "wasm_shared": True,
    "breakdown": [realm(PAGE, "http://h/bench.html", 1 * MB), realm(WORKERS, "http://h/tfjs-worker.js", WASM + 8 * MB),
                  realm(WORKERS, "blob:http://h/1", WASM + MB // 2), realm(WORKERS, "blob:http://h/2", WASM + MB // 2),
                  {"attribution": [], "bytes": 300_000, "types": ["Shared"]}, {"attribution": [], "bytes": 0, "types": []}],
}


def test_js_bytes_count_a_shared_wasm_memory_in_no_realm():
    assert js_bytes(TFJS_WASM_WORKER) == {PAGE: 1 * MB, WORKERS: 9 * MB}
    on_main = {**TFJS_WASM_WORKER, "engine_scope": PAGE, "breakdown": [
        realm(PAGE, "http://h/bench.html", WASM + 9 * MB), realm(WORKERS, "blob:http://h/1", WASM + MB // 2)]}
    assert js_bytes(on_main) == {PAGE: 9 * MB, WORKERS: MB // 2}
    # Pyodide's wasm memory is not shared and not in the worker's bytes: nothing is taken out.
    pyapp = {**TFJS_WASM_WORKER, "wasm_bytes": 42 * MB, "wasm_shared": False,
             "breakdown": [realm(PAGE, "http://h/bench.html", MB), realm(WORKERS, "http://h/worker.js", 28 * MB)]}
    assert js_bytes(pyapp) == {PAGE: MB, WORKERS: 28 * MB}


def memory_read(inferences, page_mb, wasm_bytes=None):
    return {"inferences": inferences, "engine_scope": PAGE, "wasm_bytes": wasm_bytes, "wasm_shared": False,
            "breakdown": [realm(PAGE, "http://h/bench.html", page_mb * MB)]}


def sample(total, steady, memory_runs=200):
    reads = [memory_read(10, 1), memory_read(memory_runs, 2)] if memory_runs else [memory_read(10, 1)]
    return {"cold": {"total": total, "stages": {"runtime": 1.0, "model": 2.0, "first": 3.0}, "parts": {}},
            "warm": {"total": total / 2}, "steady_ms": steady, "output_error": 0.0,
            "health": {"fps": 60.0, "long_tasks": 0, "long_task_ms": 0.0}, "memory": reads}


def test_summary_pools_steady_samples_and_skips_failed_repeats():
    s = summarize([sample(10.0, [1.0, 2.0]), {"error": "boom"}, sample(20.0, [3.0], memory_runs=None)])
    assert s["cold_ms"] == 15.0 and s["steady_median_ms"] == 2.0 and s["steady_n"] == 3
    assert s["failed_repeats"] == ["boom"]
    assert summarize([{"error": "boom"}]) == {"na": "boom"}


def test_memory_growth_comes_from_the_repeat_that_went_on():
    s = summarize([sample(10.0, [1.0], memory_runs=None), sample(10.0, [1.0], memory_runs=200)])
    assert s["memory_at"] == [10, 200] and s["page_js_mb"] == (1.0, 2.0)
    assert s["worker_js_mb"] is None and s["wasm_mb"] is None  # no worker, no wasm
    one_read = summarize([sample(10.0, [1.0], memory_runs=None)])
    assert one_read["memory_at"] == [10] and one_read["page_js_mb"] is None


def test_table_and_report_show_ratios_and_missing_engines():
    engines = {b.label: {"summary": summarize([sample(10.0, [4.0 * (i + 1)])])} for i, b in enumerate(BASELINES)}
    engines["pyapp webgl worker"] = {"summary": {"na": "no WebGL2"}}
    entry = {"input": "x", "steady": "s", "baselines": [b.label for b in BASELINES], "engines": engines}
    text = model_table("m", entry)
    assert "pyapp webgl worker  n/a (no WebGL2)" in text
    assert "1.00 / 0.50" in text and "2.00 / 1.00" in text  # the median column of each baseline
    webgl_row = next(line for line in text.splitlines() if line.startswith("tfjs webgl main "))
    assert webgl_row.split()[-3:] == ["1.0→2.0", "-", "-"]  # page JS after 10 → after 200; no worker, no wasm
    html = report.render({"date": "d", "method": "m", "facts": {"cores": 2}, "models": {"m": entry}})
    assert html.count("<svg") == 5 and "n/a" not in html.split("<svg")[1]
