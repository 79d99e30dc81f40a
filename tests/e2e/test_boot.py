"""The page boots Python in a worker and talks to it."""

import base64
from urllib.parse import urlsplit

import numpy as np
import pytest
from conftest import poll, wait_for_state

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


# numpy's shared libraries the worker's runtime has loaded (Emscripten's, by path)
NUMPY_LIBRARIES = """
import js, pyodide_js
sorted(name.split("site-packages/")[-1] for name in js.Object.keys(pyodide_js._module.LDSO.loadedLibsByName)
       if "numpy" in name)
"""


def test_numpy_loads_its_shared_libraries_as_its_modules_are_imported(ready_page):
    """The boot unpacks numpy's wheel and imports numpy, which loads 3 of its 19 libraries; numpy.random's
    come with its first import."""
    run = "(code) => window.pyapp.call('run_python', {code})"
    loaded = ready_page.evaluate(run, NUMPY_LIBRARIES)
    assert "numpy/_core/_multiarray_umath.cpython-312-wasm32-emscripten.so" in loaded
    assert not any("random" in name for name in loaded), loaded
    draw = ready_page.evaluate(run, "import numpy.random\nfloat(numpy.random.default_rng(1).random())")
    assert draw == float(np.random.default_rng(1).random())
    assert len(ready_page.evaluate(run, NUMPY_LIBRARIES)) > len(loaded)


def test_page_boots_from_the_uncompiled_originals(page, server_url):
    """The verified originals' wheels have compressed members: unpacked by Pyodide's unpackArchive."""
    import pyapp

    page.goto(f"{server_url}/?snapshot=0&pyodide=/pyodide/v0.27.7/&wheel=/wheels/pyapp-{pyapp.__version__}-py3-none-any.whl")
    assert wait_for_state(page) == "ready", page.locator("#error").text_content()
    code = "import numpy, pyapp\n[numpy.__file__, pyapp.__file__, float(numpy.linalg.inv(numpy.eye(2) * 4)[0, 0])]"
    numpy_file, pyapp_file, value = page.evaluate("(code) => window.pyapp.call('run_python', {code})", code)
    assert numpy_file.endswith("numpy/__init__.py") and pyapp_file.endswith("pyapp/__init__.py")
    assert value == 0.25


# What the pages' calls and a model on every backend import, then whether that needed an archive a boot
# does not download (pyapp/browser/more_archives.py), then modules only those archives have.
NEEDS_MORE = """
import os
from pyapp.browser import worker
worker.import_pages()
[os.path.exists(path) for path in ("/lib/python_stdlib_more.zip", "/lib/numpy_more.zip")]
"""
FROM_MORE = """
import csv, email.message, numpy.random, numpy.fft
[csv.__file__, email.message.EmailMessage.__name__, numpy.random.__file__,
 float(numpy.fft.fft(numpy.ones(4))[0].real), float(numpy.random.default_rng(1).random())]
"""


def test_boot_needs_only_the_archives_of_its_modules(page, server_url):
    """pyapp/assets_served.py's STDLIB_AT_BOOT and NUMPY_AT_BOOT hold every stdlib module and numpy
    subpackage a boot, the pages' modules and a model on every backend import; any other comes from an
    archive fetched at its first import."""
    fetched = []
    page.context.on("request", lambda r: fetched.append(urlsplit(r.url).path.rsplit("/", 1)[-1]))
    page.goto(server_url + "/?snapshot=0")
    assert wait_for_state(page) == "ready", page.locator("#error").text_content()
    for backend in ("cpu", "wasm", "webgl"):
        page.evaluate("(backend) => window.pyapp.loadModel('/models/selfie/model.json', backend)", backend)
    run = "(code) => window.pyapp.call('run_python', {code})"
    assert page.evaluate(run, NEEDS_MORE) == [False, False]
    assert "python_stdlib.zip" in fetched and not {"python_stdlib_more.zip", "numpy_more.zip"} & set(fetched)
    csv_file, name, random_file, fft0, draw = page.evaluate(run, FROM_MORE)
    assert csv_file == "/lib/python_stdlib_more.zip/csv.pyc" and name == "EmailMessage"
    assert random_file == "/lib/python3.12/site-packages/numpy/random/__init__.pyc"
    assert fft0 == 4.0 and draw == float(np.random.default_rng(1).random())
    assert fetched.count("python_stdlib_more.zip") == 1 and fetched.count("numpy_more.zip") == 1


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


def test_pages_calls_load_at_their_first_call_from_the_module_worker_py_names(ready_page):
    """A boot imports no page's module (demo, analyser, tasks); a page's first call imports its module and
    is answered; each module answers every call worker.py names for it."""
    run = "(code) => window.pyapp.call('run_python', {code})"
    imported = "import sys\nfrom pyapp.browser import worker\n[m for m in worker.PAGES if m in sys.modules]"
    assert ready_page.evaluate(run, imported) == []
    assert ready_page.evaluate("window.pyapp.call('task_dispose', {task: 'nope'})") is False
    assert ready_page.evaluate(run, imported) == ["pyapp.browser.tasks_methods"]
    unanswered = ("import importlib\nfrom pyapp.browser import rpc, worker\n"
                  "[[name, module] for module, names in {**worker.PAGES, **worker.HELPERS}.items() "
                  "if importlib.import_module(module) for name in names if name not in rpc.METHODS]")
    assert ready_page.evaluate(run, unanswered) == []


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
JS_PREDICT = """async ([b64, shape, backend]) => {
  const data = new Float32Array(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer);
  const { model } = await window.pyapp.loadModel("/models/selfie/model.json", backend);
  const { outputs } = await window.pyapp.call("predict", { model, inputs: { data, shape, dtype: "float32" } });
  return Object.fromEntries(Object.entries(outputs).map(([name, o]) => [name, { shape: o.shape, data: Array.from(o.data) }]));
}"""


def selfie_error(page, assets_dir, backend="cpu") -> float:
    """selfie in the page's worker, against TF.js's output on the golden input."""
    case = load_case(assets_dir / "golden", "selfie")
    x = case.input.astype("<f4")
    outputs = page.evaluate(JS_PREDICT, [base64.b64encode(x.tobytes()).decode(), list(x.shape), backend])
    got = {name.removesuffix(":0"): np.array(o["data"], np.float32).reshape(o["shape"]) for name, o in outputs.items()}
    return output_error(case, got)


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

    assert selfie_error(page, assets_dir) <= TOLERANCE


# Memory snapshots (static/snapshot.js): made in the background after a normal boot, restored on the
# next visit. One persistent profile for these tests, as a returning user's browser keeps it.
SNAPSHOT_STORED = "window.pyapp.snapshotMade && window.pyapp.snapshotMade.state"
RANDOM = "import random, numpy\n[random.random(), float(numpy.random.random())]"
# Damages the stored snapshot: the data's first byte (the heap's magic number), or the meta's key.
DAMAGE = """async (what) => {
  const db = await new Promise((resolve, reject) => {
    const r = indexedDB.open("pyapp-snapshot"); r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error);
  });
  const name = what === "heap" ? "data" : "meta";
  const record = await new Promise((resolve) => { const r = db.transaction("snapshot").objectStore("snapshot").get(name); r.onsuccess = () => resolve(r.result); });
  if (what === "heap") record.heap[0] ^= 0xff; else record.key += " (older)";
  await new Promise((resolve, reject) => {
    const tx = db.transaction("snapshot", "readwrite");
    tx.objectStore("snapshot").put(record, name);
    tx.oncomplete = resolve; tx.onerror = () => reject(tx.error);
  });
  db.close();
}"""


@pytest.fixture(scope="module")
def profile(browser_type, browser_type_launch_args, tmp_path_factory):
    context = browser_type.launch_persistent_context(tmp_path_factory.mktemp("profile"), **browser_type_launch_args)
    yield context
    context.close()


def run(page, code: str):
    return page.evaluate("(code) => window.pyapp.call('run_python', {code})", code)


def visit(profile, server_url, query="") -> tuple:
    """The page opened in the profile and booted: (page, its snapshot note)."""
    page = profile.pages[0] if profile.pages else profile.new_page()
    page.goto(server_url + "/" + query)
    assert wait_for_state(page) == "ready", page.locator("#error").text_content()
    return page, page.evaluate("window.pyapp.snapshot")


def stored_snapshot(profile, server_url):
    """A visit that leaves a snapshot stored (booting normally and making one if none is)."""
    page, note = visit(profile, server_url)
    if note != "snapshot restored":
        assert poll(page, SNAPSHOT_STORED) == "stored", page.evaluate("window.pyapp.snapshotMade")
    return page


def test_second_visit_restores_from_the_snapshot_and_computes_the_same(profile, server_url, assets_dir):
    stored_snapshot(profile, server_url)
    page, note = visit(profile, server_url)
    assert note == "snapshot restored"
    stages = page.evaluate("window.pyapp.stages")
    assert "snapshot" in stages and "runtime" not in stages and "numpy" not in stages, stages
    assert "snapshot restored" in page.locator('#stages tr[data-stage="snapshot"]').text_content()
    info = page.evaluate("window.pyapp.info")
    assert (info["numpy"], info["pyapp"]) == ("2.0.2", __import__("pyapp").__version__)

    assert selfie_error(page, assets_dir) <= TOLERANCE
    assert selfie_error(page, assets_dir, "wasm") <= TOLERANCE  # a shared library loaded after the restore
    # a module no boot imported comes from the site-packages the restore wrote back, numpy's libraries work
    code = "import pyapp.browser.webgl_methods, numpy.random\nfloat(numpy.linalg.inv(numpy.eye(2) * 4)[0, 0])"
    assert run(page, code) == 0.25
    # the pages' modules came with the snapshot (made with them imported), and their calls answer
    missing = "import sys\nfrom pyapp.browser import worker\n[m for m in worker.PAGES if m not in sys.modules]"
    assert run(page, missing) == []
    assert page.evaluate("window.pyapp.call('task_dispose', {task: 'nope'})") is False


def test_random_generators_differ_between_restored_boots(profile, server_url):
    stored_snapshot(profile, server_url)
    draws = []
    for _ in range(2):
        page, note = visit(profile, server_url)
        assert note == "snapshot restored"
        draws.append(run(page, RANDOM))
    assert draws[0][0] != draws[1][0] and draws[0][1] != draws[1][1], draws


def test_snapshot_0_boots_normally(profile, server_url):
    stored_snapshot(profile, server_url)
    page, note = visit(profile, server_url, "?snapshot=0")
    assert note == "snapshot skipped: turned off (?snapshot=0)"
    assert {"runtime", "numpy", "pyapp", "import"} <= set(page.evaluate("window.pyapp.stages"))


@pytest.mark.parametrize("damage, note", [
    ("heap", "snapshot failed: Snapshot has invalid magic number, normal boot"),
    ("key", "snapshot skipped: made for another runtime, archive or wheel"),
])
def test_damaged_or_stale_snapshot_falls_back_to_a_normal_boot(profile, server_url, damage, note):
    page = stored_snapshot(profile, server_url)
    page.evaluate(DAMAGE, damage)
    page, shown = visit(profile, server_url)
    assert shown == note
    assert note in page.locator('#stages tr[data-stage="snapshot"]').text_content()
    assert {"runtime", "numpy", "pyapp", "import"} <= set(page.evaluate("window.pyapp.stages"))
    # the boot makes a new snapshot (paused while calls run, which it then serves), restored next visit
    page.wait_for_timeout(1200)
    for _ in range(5):
        assert run(page, "import numpy\nint(numpy.arange(5).sum())") == 10
        page.wait_for_timeout(200)
    assert poll(page, SNAPSHOT_STORED) == "stored"
    assert visit(profile, server_url)[1] == "snapshot restored"
