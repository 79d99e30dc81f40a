"""The page boots Python in a worker and talks to it."""

from conftest import wait_for_state


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
