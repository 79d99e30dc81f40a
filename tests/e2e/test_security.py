"""Issue 11's security holes, closed: no code from another origin runs on our pages (query parameters,
boot configs, Content-Security-Policy), `pyapp serve` runs no Python a page sends, and every worker
call answers. A second origin, a local server on another port that would serve code to anyone, proves
that nothing is even requested from it."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import numpy as np
import pytest
from conftest import poll, wait_for_state

from pyapp.server.local import serving
from tools.golden import ensure, golden_dir

# Every Content-Security-Policy violation the page sees (a classic script run before the page's own).
WATCH_VIOLATIONS = """window.violations = [];
window.addEventListener("securitypolicyviolation", (e) => window.violations.push(`${e.violatedDirective} ${e.blockedURI}`));"""


class ForeignHandler(BaseHTTPRequestHandler):
    """Serves a script to any origin (CORS, CORP: cross-origin) and records the request."""

    def do_GET(self):
        self.server.requests.append(self.path)
        body = b"self.foreignRan = true; export const loadPyodide = () => { self.foreignRan = true; };\n"
        self.send_response(200)
        for name, value in (("Content-Type", "text/javascript"), ("Access-Control-Allow-Origin", "*"),
                            ("Cross-Origin-Resource-Policy", "cross-origin"), ("Content-Length", str(len(body)))):
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def foreign_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), ForeignHandler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def foreign(foreign_server):
    """The other origin's URL; the test fails if anything asked it for anything."""
    foreign_server.requests.clear()
    yield f"http://127.0.0.1:{foreign_server.server_address[1]}"
    assert foreign_server.requests == [], "the page requested from another origin"


@pytest.fixture(scope="module")
def production_url(assets_dir):
    """`pyapp serve` itself, as `make run` starts it: no test hooks, the production policy."""
    with serving(production=True) as url:
        yield url


@pytest.mark.parametrize("param, path", [("pyodide", "/pyodide/"), ("wheel", "/pyapp-0.1.0-py3-none-any.whl")])
def test_index_refuses_foreign_runtime_and_wheel(page, server_url, foreign, param, path):
    url = foreign + path
    page.goto(server_url + "/?" + urlencode({param: url}))
    assert wait_for_state(page) == "error"
    error = page.locator("#error")
    assert error.is_visible()
    assert error.text_content().startswith(f"page: refused ?{param}={url}: code and data load only from {server_url}")
    assert page.evaluate("window.pyapp") is None  # stopped before the worker started


@pytest.mark.parametrize("param", ["tfjs", "model"])
def test_bench_refuses_foreign_tfjs_and_model(page, server_url, foreign, param):
    query = {"engine": "tfjs", "backend": "cpu", "where": "main", "model": "/models/meet/model.json",
             "input": "/bench-input/meet", "name": "input_1", "shape": "1,144,256,3", "dtype": "float32",
             "tfjs": "/vendor/tfjs/v4.22.0/", param: foreign + "/tfjs/"}
    page.goto(server_url + "/bench.html?" + urlencode(query))
    message = page.evaluate("window.bench.started.then(() => 'started', (e) => e.message)")
    assert message.startswith(f"refused ?{param}={foreign}/tfjs/")
    assert page.locator("#error").is_visible() and page.locator("#error").text_content() == message


# A script on one of our pages that starts our workers itself, with a foreign boot config or call.
START_WORKERS = """async (foreign) => {
  const answer = (worker, message) => new Promise((resolve) => {
    worker.onmessage = ({ data }) => {
      if (data.kind === "response" || data.type === "error" || data.type === "ready") resolve(data.error || data.message || data.type);
    };
    worker.postMessage(message);
  });
  const pyapp = new Worker("/worker.js", { type: "module" });
  const tfjs = new Worker("/tfjs-worker.js", { type: "module" });
  const answers = await Promise.all([
    answer(pyapp, { kind: "boot", config: { pyodide: foreign + "/pyodide/", wheel: "/wheels/pyapp.whl" } }),
    answer(tfjs, { kind: "request", id: 1, method: "start", params: { tfjs: foreign + "/tfjs/", backend: "cpu" } }),
  ]);
  pyapp.terminate();
  tfjs.terminate();
  return answers;
}"""


def test_workers_refuse_foreign_code_from_any_caller(page, server_url, foreign):
    page.goto(server_url + "/bench.html")  # one of our pages, where such a script would run
    pyapp, tfjs = page.evaluate(START_WORKERS, foreign)
    assert pyapp == f"refused pyodide={foreign}/pyodide/: code and data load only from {server_url}"
    assert tfjs == f"refused tfjs={foreign}/tfjs/: code and data load only from {server_url}"


# Inline script, a foreign classic script, a foreign module and eval, tried on a page of ours.
TRY_SCRIPTS = """async (foreign) => {
  const inline = document.createElement("script");
  inline.textContent = "window.inlineRan = true";
  document.head.append(inline);
  const classic = Object.assign(document.createElement("script"), { src: foreign + "/evil.js" });
  const loaded = new Promise((resolve) => { classic.onload = () => resolve("ran"); classic.onerror = () => resolve("blocked"); });
  document.head.append(classic);
  const module = await import(foreign + "/evil.mjs").then(() => "ran", () => "blocked");
  let evaluated;
  try { evaluated = eval("'ran'"); } catch (e) { evaluated = e.name; }
  await new Promise((resolve) => setTimeout(resolve, 100));  // the violation events
  return { inline: window.inlineRan ? "ran" : "blocked", classic: await loaded, module, eval: evaluated,
           foreignRan: Boolean(self.foreignRan), violations: window.violations };
}"""


@pytest.mark.parametrize("path", ["/", "/demo.html", "/analyse.html", "/bench.html"])
def test_policy_blocks_inline_and_foreign_script(page, production_url, foreign, path):
    page.add_init_script(WATCH_VIOLATIONS)
    page.goto(production_url + path)
    tried = page.evaluate(TRY_SCRIPTS, foreign)
    assert tried["inline"] == tried["classic"] == tried["module"] == "blocked" and not tried["foreignRan"]
    assert tried["eval"] == "EvalError"
    directives = {v.split()[0] for v in tried["violations"]}
    assert directives == {"script-src-elem", "script-src"}, tried["violations"]


PREDICT = """async ([model, values, shape]) => {
  const { outputs } = await window.pyapp.call("predict", { model, inputs: { dtype: "float32", shape, data: new Float32Array(values) } });
  return Object.values(outputs).map((out) => Array.from(out.data));
}"""
TOLERANCE = 2e-3  # of the output's range, against TF.js's reference (DESIGN.md)


@pytest.fixture(scope="module")
def selfie_case(assets_dir):
    """The astronaut photo as selfie's input, and TF.js's output for it."""
    files = ensure(assets_dir)["models"]["selfie"]["cases"]["astronaut"]
    gold = golden_dir(assets_dir)
    return np.load(gold / files["input"]), [np.load(gold / name) for name in files["outputs"]]


def test_production_index_runs_under_its_policy_without_run_python(page, production_url, selfie_case):
    """Boot, both backends, a prediction each; every response has the policy, nothing is blocked, and
    no call runs Python the page sends (not even from a worker booted with test_hooks in its config)."""
    responses = []
    page.on("response", lambda r: responses.append(r) if r.url.startswith(production_url) else None)
    page.add_init_script(WATCH_VIOLATIONS)
    page.goto(production_url + "/")
    assert wait_for_state(page) == "ready", page.locator("#error").text_content()
    x, expected = selfie_case
    for backend in ("cpu", "webgl"):
        loaded = page.evaluate("(b) => window.pyapp.loadModel('/models/selfie/model.json', b)", backend)
        assert loaded["backend"] == backend
        got = page.evaluate(PREDICT, [loaded["model"], x.reshape(-1).tolist(), list(x.shape)])
        for values, reference in zip(got, expected, strict=True):
            error = np.abs(np.array(values, np.float32) - reference.reshape(-1)).max()
            assert error <= TOLERANCE * np.ptp(reference), (backend, error)
    refused = page.evaluate("window.pyapp.call('run_python', {code: '1 + 1'}).then(String, (e) => e.message)")
    assert refused.startswith("unknown method 'run_python'")
    assert page.evaluate("window.violations") == []
    assert responses and all("content-security-policy" in r.headers for r in responses)
    assert {r.url.rsplit("/", 1)[-1] for r in responses} >= {"", "app.js", "worker.js", "pyodide.mjs", "config"}

    asked = page.evaluate("""() => new Promise((resolve) => {
      const worker = new Worker("/worker.js", { type: "module" });
      worker.onmessage = ({ data }) => {
        if (data.type === "error") resolve(data.message);
        if (data.type === "ready") worker.postMessage({ kind: "request", id: 1, method: "run_python", params: { code: "1 + 1" } });
        if (data.kind === "response") resolve(data.ok ? data.result : data.error);
      };
      worker.postMessage({ kind: "boot", config: { ...window.pyapp.config, test_hooks: true } });
    })""")
    assert str(asked).startswith("unknown method 'run_python'")


@pytest.mark.parametrize("backend, where", [("wasm", "main"), ("wasm", "worker"), ("webgl", "main")])
def test_production_bench_runs_tfjs_baselines_under_its_policy(page, production_url, backend, where):
    # TF.js wasm's threads (blob: workers) and its webgl backend start, load and infer
    size = 1 * 144 * 256 * 3 * 4
    page.route("**/bench-input/meet", lambda route: route.fulfill(body=bytes(size), content_type="application/octet-stream",
                                                                     headers={"cross-origin-resource-policy": "same-origin"}))
    page.add_init_script(WATCH_VIOLATIONS)
    query = {"engine": "tfjs", "backend": backend, "where": where, "model": "/models/meet/model.json",
             "input": "/bench-input/meet", "name": "input_1", "shape": "1,144,256,3", "dtype": "float32",
             "tfjs": "/vendor/tfjs/v4.22.0/"}
    page.goto(production_url + "/bench.html?" + urlencode(query))
    started = page.evaluate("window.bench.started.then((r) => r.facts, (e) => e.message)")
    assert isinstance(started, dict), started
    assert started["backend"] == backend
    if backend == "wasm":  # the threaded build, whose thread pool starts from blob: URLs (without
        assert started["WASM_HAS_MULTITHREAD_SUPPORT"]  # script-src blob: the start never settles)
    assert page.evaluate("window.violations") == []


def test_production_demo_boots_under_its_policy(page, production_url):
    page.add_init_script(WATCH_VIOLATIONS)
    page.goto(production_url + "/demo.html")
    state = poll(page, "window.demo && ['ready', 'error'].includes(window.demo.state) && window.demo.state")
    assert state == "ready", page.text_content("#message")
    assert page.evaluate("window.rafCount") > 0  # rafcount.js, no longer an inline script, runs
    assert page.evaluate("window.violations") == []


def test_production_analyser_runs_a_model_under_its_policy(page, production_url):
    page.add_init_script(WATCH_VIOLATIONS)
    page.goto(production_url + "/analyse.html")
    assert wait_for_state(page) == "ready", page.locator("#error").text_content()
    page.select_option("#model-select", label="selfie")
    page.click("#load")
    loaded = poll(page, "window.analyser.loaded")
    assert loaded["card"] and not loaded.get("error"), loaded
    page.select_option("#image-select", label="astronaut")
    page.click("#run")
    poll(page, "window.analyser.last || !document.getElementById('run-error').hidden")
    assert page.locator("#run-error").is_hidden(), page.locator("#run-error").text_content()
    assert page.evaluate("window.violations") == []


# Results that cannot cross to the page: a Python object (also deep inside), a JS function.
UNSENDABLE = ["object()", "{'ok': [1, 2, {'model': object()}]}", "import js\njs.setTimeout"]


def test_every_call_answers_even_when_its_result_cannot_be_sent(ready_page):
    for code in UNSENDABLE:
        answer = ready_page.evaluate("""(code) => Promise.race([
          window.pyapp.call("run_python", { code }).then(() => "answered ok", (e) => e.message),
          new Promise((resolve) => setTimeout(() => resolve("no answer in 20 s"), 20000))])""", code)
        assert answer.startswith("run_python: its result cannot be sent to the page"), (code, answer)
    assert ready_page.evaluate("window.pyapp.call('run_python', {code: '6 * 7'})") == 42  # still answering
