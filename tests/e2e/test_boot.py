"""The page boots Python in a worker and talks to it."""

import base64
from urllib.parse import urlsplit

import numpy as np
from conftest import wait_for_state

from bench.cases import TOLERANCE, load_case, output_error


def test_page_reaches_ready_and_reports_versions(ready_page):
    info = ready_page.evaluate("window.pyapp.info")
    assert info["python"].startswith("3.12.")
    assert info["numpy"] == "2.0.2"
    import pyapp
    assert info["pyapp"] == pyapp.__version__
    assert "Ready" in ready_page.locator("#status").text_content()
    stages = ready_page.evaluate("window.pyapp.stages")
    assert {"runtime", "numpy", "pyapp", "import", "total"} <= set(stages)
    assert all(ms > 0 for ms in stages.values())


def test_numpy_computes_in_the_worker(ready_page):
    code = "import numpy as np\nfloat(np.linalg.det(np.array([[2.0, 1.0], [7.0, 4.0]])) + np.arange(10).sum())"
    value = ready_page.evaluate("(code) => window.pyapp.call('run_python', {code})", code)
    assert abs(value - 46.0) < 1e-9


def test_python_errors_come_back_as_rejections(ready_page):
    message = ready_page.evaluate(
        "window.pyapp.call('run_python', {code: '1/0'}).then(() => 'resolved', (e) => e.message)")
    assert "ZeroDivisionError" in message


def test_worker_gets_webgl2_from_python(ready_page):
    info = ready_page.evaluate("window.pyapp.call('webgl_info')")
    assert info["version"].startswith("WebGL 2.0")
    assert "SwiftShader" in info["renderer"] or info["renderer"]
    assert "EXT_color_buffer_float" in info["extensions"]
    assert info["max_texture_size"] >= 4096


def test_benchmark_helpers_load_at_their_first_call(ready_page):
    """The worker boots without webgl_methods / wasm_methods; their first call imports the module and
    reaches it (wasm_bench on no loaded model: its own KeyError)."""
    code = "import sys\n[m in sys.modules for m in ('pyapp.browser.webgl_methods', 'pyapp.browser.wasm_methods')]"
    loaded = "(code) => window.pyapp.call('run_python', {code})"
    assert ready_page.evaluate(loaded, code) == [False, False]
    message = ready_page.evaluate(
        "window.pyapp.call('wasm_bench', {model: 'nope', inputs: {}}).then(() => 'resolved', (e) => e.message)")
    assert "KeyError: 'nope'" in message
    assert ready_page.evaluate(loaded, code) == [False, True]


def test_main_thread_has_no_long_task_during_boot(ready_page):
    long_tasks = ready_page.evaluate("window.longTasks")
    assert all(t["duration"] <= 200 for t in long_tasks), long_tasks


def test_broken_wheel_url_shows_error(page, server_url):
    page.goto(server_url + "/?wheel=/wheels/pyapp-0.0.0-py3-none-any.whl")
    assert wait_for_state(page) == "error"
    error = page.locator("#error").text_content()
    assert error.startswith("pyapp:") and "pyapp-0.0.0-py3-none-any.whl" in error


def test_missing_pyodide_shows_error(page, server_url):
    page.goto(server_url + "/?pyodide=/pyodide/v0.0.0/")
    assert wait_for_state(page) == "error"
    error = page.locator("#error").text_content()
    assert "runtime" in error and "/pyodide/v0.0.0/pyodide.mjs" in error


def test_missing_pyodide_wasm_shows_error(page, server_url):
    page.route("**/pyodide.asm.wasm", lambda route: route.fulfill(status=404, body="gone"))
    page.goto(server_url + "/")
    assert wait_for_state(page) == "error"
    error = page.locator("#error").text_content()
    assert error.startswith("runtime:") and "pyodide.asm.wasm" in error


# Modules the worker imported from a .py (compiled at run time), not from .pyc; frozen and built-in
# modules come from the interpreter binary.
FROM_SOURCE = """
import sys
from importlib.machinery import BuiltinImporter, FrozenImporter
[name for name, m in list(sys.modules.items()) if str(getattr(m, "__file__", "")).endswith(".py")
 and getattr(m, "__loader__", None) not in (BuiltinImporter, FrozenImporter)]
"""
FILES = "import json, numpy, pyapp.browser.worker\n[json.__file__, numpy.__file__, pyapp.browser.worker.__file__]"
JS_PREDICT = """async ([b64, shape]) => {
  const data = new Float32Array(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer);
  const { model } = await window.pyapp.loadModel("/models/selfie/model.json", "cpu");
  const { outputs } = await window.pyapp.call("predict", { model, inputs: { data, shape, dtype: "float32" } });
  return Object.fromEntries(Object.entries(outputs).map(([name, o]) => [name, { shape: o.shape, data: Array.from(o.data) }]));
}"""


def test_page_boots_from_precompressed_bytecode_and_computes_the_same(page, server_url, assets_dir):
    encodings = {}
    page.context.on("response", lambda r: encodings.__setitem__(
        urlsplit(r.url).path.rsplit("/", 1)[-1], r.all_headers().get("content-encoding")))
    page.goto(server_url + "/")
    assert wait_for_state(page) == "ready", page.locator("#error").text_content()
    config = page.evaluate("window.pyapp.config")
    assert config["pyodide"].startswith("/pyodide/v0.27.7-"), "not the compiled runtime"
    assert config["wheel"].startswith("/wheels/served/"), "not the compiled pyapp wheel"
    for name in ("pyodide.asm.wasm", "pyodide.asm.js", "python_stdlib.zip",
                 "numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl", "pyapp-0.1.0-py3-none-any.whl"):
        assert encodings.get(name) == "br", (name, encodings.get(name))

    run = lambda code: page.evaluate("(code) => window.pyapp.call('run_python', {code})", code)
    assert run(FROM_SOURCE) == []
    stdlib, numpy_file, worker_file = run(FILES)
    assert stdlib == "/lib/python312.zip/json/__init__.pyc"
    assert numpy_file.endswith("site-packages/numpy/__init__.pyc")
    assert worker_file.endswith("site-packages/pyapp/browser/worker.pyc")

    case = load_case(assets_dir / "golden", "selfie")
    x = case.input.astype("<f4")
    outputs = page.evaluate(JS_PREDICT, [base64.b64encode(x.tobytes()).decode(), list(x.shape)])
    got = {name.removesuffix(":0"): np.array(o["data"], np.float32).reshape(o["shape"]) for name, o in outputs.items()}
    assert output_error(case, got) <= TOLERANCE
