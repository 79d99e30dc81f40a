"""Model loading in the worker against the real server: parallel shards, progress, IndexedDB cache,
verification errors, cache failures, stalled downloads, shards outside the model's folder, and
predictions equal to CPython's.

One page (one worker) serves the whole module; each test starts from an empty cache. Requests made by
the dedicated worker reach Playwright's page events in Chromium, so the page's request log is the
worker's. Init scripts do not run in workers, so IndexedDB is patched through the worker console.
"""

import base64
import json
import os
import shutil
import uuid

import numpy as np
import pytest
from conftest import wait_for_state

from pyapp.api import load_graph_model
from pyapp.model import load_model_spec, parse_model_json
from pyapp.model.shards import group_bytes, read_shards, write_model
from pyapp.server.local import serving
from pyapp.commands.shard import shard_model
from tools.golden import ensure, golden_dir

RELATIVE_TOLERANCE = 1e-4  # of the output's range (DESIGN.md); Pyodide's numpy has no BLAS, so sums differ a little
SHARD_BYTES = 64 * 1024  # selfie's 212,886 weight bytes → 4 shards
SHARDS = [f"group1-shard{i}of4.bin" for i in range(1, 5)]

# Arrays travel as base64 between the test and the page, as typed arrays between the page and the worker.
JS_PREDICT = """async ([model, b64, shape]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const data = new Float32Array(bytes.buffer);
  const { outputs } = await window.pyapp.call("predict", { model, inputs: { data, shape, dtype: "float32" } });
  return Object.fromEntries(Object.entries(outputs).map(([name, out]) => {
    const raw = new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength);
    let text = "";
    for (let i = 0; i < raw.length; i += 0x8000) text += String.fromCharCode(...raw.subarray(i, i + 0x8000));
    return [name, { b64: btoa(text), shape: out.shape, dtype: out.dtype }];
  }));
}"""
JS_STORED_SHARDS = """
from pyapp.browser import cache
async with cache.open_db() as db:
    tx = db.transaction("shards", "readonly")
    keys = await cache._settle(tx.objectStore("shards").getAllKeys(), "success")
len(keys.to_py())
"""
# (name, patch, undo) run in the worker; the load must still succeed, with a warning naming the cause.
IDB_PATCHES = {
    "unavailable": ("self.__idb = self.indexedDB; Object.defineProperty(self, 'indexedDB', {value: undefined, configurable: true})",
                    "Object.defineProperty(self, 'indexedDB', {value: self.__idb, configurable: true})",
                    "not available"),
    "open refused": ("self.__open = IDBFactory.prototype.open; IDBFactory.prototype.open = () => { throw new DOMException('denied', 'SecurityError'); }",
                     "IDBFactory.prototype.open = self.__open", "SecurityError"),
    "quota exceeded": ("self.__put = IDBObjectStore.prototype.put; IDBObjectStore.prototype.put = () => { throw new DOMException('full', 'QuotaExceededError'); }",
                       "IDBObjectStore.prototype.put = self.__put", "QuotaExceededError"),
}


class RequestLog:
    def __init__(self, page, origin):
        self.origin, self.requests, self.statuses = origin, [], {}
        page.on("requestfinished", lambda r: self.requests.append(r))
        page.on("response", lambda r: self.statuses.setdefault(self.path(r.url), []).append(r.status))

    def path(self, url: str) -> str:
        return url.removeprefix(self.origin)

    def clear(self) -> None:
        self.requests.clear()
        self.statuses.clear()

    def shards(self, folder: str) -> list:
        return [r for r in self.requests if self.path(r.url).startswith(folder) and r.url.endswith(".bin")]


@pytest.fixture(scope="module")
def app(browser, server_url):
    context = browser.new_context()
    page = context.new_page()
    page.goto(server_url + "/")
    assert wait_for_state(page) == "ready", page.locator("#error").text_content()
    page.log = RequestLog(page, server_url)
    yield page
    context.close()


@pytest.fixture
def page(app):
    """The module's page with an empty cache, a fresh request log and a progress recorder."""
    app.evaluate("""() => {
      window.progress = [];
      if (!window.recording) window.addEventListener("pyapp", (e) => e.detail.type === "load-progress" && window.progress.push(e.detail));
      window.recording = true;
      return window.pyapp.cache.clear();
    }""")
    app.log.clear()
    return app


@pytest.fixture
def served(assets_dir):
    """selfie cut into 4 shards in a temporary folder the server offers (not in the picker: a dot folder)."""
    name = f".test-{uuid.uuid4().hex[:8]}"
    folder = assets_dir / "served-models" / name
    shard_model(assets_dir / "models/selfie/model.json", folder, SHARD_BYTES)
    yield folder, f"/models/{name}/model.json"
    shutil.rmtree(folder)


@pytest.fixture
def served_unhashed(assets_dir):
    """selfie as published (one shard, no sha256 in model.json) in a temporary served folder."""
    name = f".test-{uuid.uuid4().hex[:8]}"
    folder = assets_dir / "served-models" / name
    shutil.copytree(assets_dir / "models/selfie", folder)
    yield folder, f"/models/{name}/model.json"
    shutil.rmtree(folder)


def halve_weight(folder, lo: int, hi: int) -> bytearray:
    """The model's group bytes with one float16-stored weight lying wholly in [lo, hi) halved, as
    retraining would change it."""
    spec, _ = load_model_spec(folder / "model.json")
    data = bytearray(group_bytes(spec, read_shards(spec, folder))[0])
    weight = next(w for w in spec.groups[0].weights if w.quantization and w.offset >= lo and w.offset + w.byte_size <= hi)
    values = np.frombuffer(data, "<f2", weight.byte_size // 2, weight.offset) * np.float16(0.5)
    data[weight.offset:weight.offset + weight.byte_size] = values.tobytes()
    return data


@pytest.fixture(scope="module")
def selfie_input(assets_dir):
    files = ensure(assets_dir)["models"]["selfie"]["cases"]["astronaut"]
    return np.load(golden_dir(assets_dir) / files["input"])


def load(page, url: str) -> dict:
    return page.evaluate("(url) => window.pyapp.loadModel(url)", url)


def load_error(page, url: str) -> str:
    message = page.evaluate("(url) => window.pyapp.loadModel(url).then(() => null, (e) => e.message)", url)
    assert message is not None, f"{url} loaded"
    return message


def predict(page, model: str, x: np.ndarray) -> dict[str, np.ndarray]:
    outs = page.evaluate(JS_PREDICT, [model, base64.b64encode(x.astype("<f4").tobytes()).decode(), list(x.shape)])
    return {name: np.frombuffer(base64.b64decode(o["b64"]), o["dtype"]).reshape(o["shape"]) for name, o in outs.items()}


def stored_shards(page) -> int:
    return page.evaluate("(code) => window.pyapp.call('run_python', {code})", JS_STORED_SHARDS)


def run_js(page, code: str) -> None:
    page.evaluate("(code) => window.pyapp.call('run_python', {code})",
                  f"from pyodide.code import run_js\nrun_js({code!r})\nNone")


# The worker's fetch, counting requests in flight (until their response arrives): the loader's
# concurrency, whatever the machine's speed (a local 53 kB shard can finish before the next starts).
COUNT_FETCHES = """
if (!self.countingFetches) {
  const original = self.fetch;
  self.fetch = async (...args) => {
    self.inFlight = (self.inFlight || 0) + 1;
    self.mostInFlight = Math.max(self.mostInFlight, self.inFlight);
    try { return await original(...args); } finally { self.inFlight--; }
  };
  self.countingFetches = true;
}
self.mostInFlight = 0;
"""


def test_first_load_fetches_every_shard_once_in_parallel_with_progress(page, served):
    _, url = served
    run_js(page, COUNT_FETCHES)
    result = load(page, url)
    requests = page.log.shards(url.removesuffix("model.json"))
    assert sorted(r.url.rsplit("/", 1)[1] for r in requests) == SHARDS
    most = page.evaluate("(code) => window.pyapp.call('run_python', {code})", "import js\njs.mostInFlight")
    assert most >= 2, "no two requests were in flight together"
    assert result["shards"] == {"count": 4, "from_cache": 0, "fetched": 4, "bytes_fetched": 212_886,
                                "bytes_total": 212_886, "parallel": 4}
    progress = page.evaluate("window.progress")
    done = [p["done"] for p in progress]
    assert done == sorted(done) and done[-1] == progress[-1]["total"] == 212_886
    assert {p["shard"] for p in progress} == set(SHARDS) and {p["source"] for p in progress} == {"network"}
    assert page.evaluate("document.getElementById('model-progress').value") == 1
    assert {"model_json", "network", "cache_read", "verify", "decode", "build", "cache_write", "total"} <= set(result["timings"])
    assert page.locator("#model-status").text_content() == f"Loaded {url} on cpu: 4 shard(s), 0 from the cache"


def test_reload_uses_the_cache_only_and_predicts_the_same(page, served, selfie_input):
    _, url = served
    first = load(page, url)
    before = predict(page, first["model"], selfie_input)
    page.reload()
    assert wait_for_state(page) == "ready"
    page.log.clear()
    second = load(page, url)
    assert page.log.shards(url.removesuffix("model.json")) == []
    assert page.log.statuses[url] == [304]
    assert second["shards"]["from_cache"] == 4 and second["shards"]["fetched"] == 0
    after = predict(page, second["model"], selfie_input)
    assert before.keys() == after.keys() and all(np.array_equal(before[k], after[k]) for k in before)
    assert page.evaluate("window.pyapp.cache.list()")["total_bytes"] == 212_886


def test_changed_shard_on_server_is_the_only_one_refetched(page, served, selfie_input):
    folder, url = served
    load(page, url)
    data = halve_weight(folder, 2 * SHARD_BYTES, 3 * SHARD_BYTES)
    raw = parse_model_json((folder / "model.json").read_bytes()).raw
    write_model(raw, [(raw["weightsManifest"][0]["weights"], bytes(data))], folder, SHARD_BYTES)
    page.log.clear()

    result = load(page, url)
    assert [r.url.rsplit("/", 1)[1] for r in page.log.shards(url.removesuffix("model.json"))] == ["group1-shard3of4.bin"]
    assert result["shards"]["from_cache"] == 3 and result["shards"]["fetched"] == 1
    got = predict(page, result["model"], selfie_input)["activation_10"]
    want = load_graph_model(folder / "model.json").predict(selfie_input)
    assert np.abs(got - want).max() <= RELATIVE_TOLERANCE * np.ptp(want)
    assert np.abs(got - load_graph_model(folder.parent / "selfie/model.json").predict(selfie_input)).max() > 1e-3
    assert page.evaluate("window.pyapp.cache.list()")["total_bytes"] == 212_886  # the old shard 3 is gone
    assert stored_shards(page) == 4


def test_unhashed_model_is_cached_and_revalidated_by_etag(page, served_unhashed, selfie_input):
    folder, url = served_unhashed
    shard_url = url.replace("model.json", "selfie.bin")
    assert load(page, url)["shards"]["fetched"] == 1
    page.log.clear()
    assert load(page, url)["shards"]["from_cache"] == 1 and page.log.statuses[shard_url] == [304]
    model_json = (folder / "model.json").read_text()
    (folder / "model.json").write_text(model_json + " ")  # model.json changed, the shard did not
    page.log.clear()
    assert load(page, url)["shards"]["from_cache"] == 1 and page.log.statuses[shard_url] == [304]
    (folder / "selfie.bin").write_bytes(halve_weight(folder, 0, 1 << 30))
    (folder / "model.json").write_text(model_json)
    page.log.clear()
    result = load(page, url)
    assert result["shards"]["fetched"] == 1 and page.log.statuses[shard_url] == [200]
    got = predict(page, result["model"], selfie_input)["activation_10"]
    want = load_graph_model(folder / "model.json").predict(selfie_input)
    assert np.abs(got - want).max() <= RELATIVE_TOLERANCE * np.ptp(want)
    assert page.evaluate("window.pyapp.cache.list()")["total_bytes"] == 212_886 and stored_shards(page) == 1


def assert_predicts_like_cpython(page, model: str, folder, x: np.ndarray) -> None:
    got = predict(page, model, x)["activation_10"]
    want = load_graph_model(folder / "model.json").predict(x)
    assert np.abs(got - want).max() <= RELATIVE_TOLERANCE * np.ptp(want)


def serve_without_etag(sent: list):
    """A route handler: the request goes to the server, the answer comes back without its ETag;
    `sent` collects each request's If-Modified-Since."""
    def handle(route):
        sent.append(route.request.all_headers().get("if-modified-since"))
        response = route.fetch()
        route.fulfill(response=response, headers={k: v for k, v in response.headers.items() if k != "etag"})
    return handle


@pytest.mark.parametrize("validator", ["etag", "last-modified"])
def test_unhashed_shard_changed_behind_unchanged_model_json_is_refetched(page, served_unhashed, selfie_input, validator):
    folder, url = served_unhashed
    shard, shard_url = folder / "selfie.bin", url.replace("model.json", "selfie.bin")
    sent = []
    if validator == "last-modified":
        page.route("**" + shard_url, serve_without_etag(sent))
    try:
        load(page, url)
        shard.write_bytes(halve_weight(folder, 0, 1 << 30))  # same length; model.json untouched
        if validator == "last-modified":  # Last-Modified counts whole seconds
            os.utime(shard, (shard.stat().st_mtime + 10,) * 2)
        page.log.clear()
        result = load(page, url)
        assert page.log.statuses[url] == [304] and page.log.statuses[shard_url] == [200]
        assert result["shards"]["fetched"] == 1 and result["shards"]["from_cache"] == 0
        assert_predicts_like_cpython(page, result["model"], folder, selfie_input)
        page.log.clear()
        again = load(page, url)
    finally:
        page.unroute("**" + shard_url)
    assert page.log.statuses[shard_url] == [304] and again["shards"]["from_cache"] == 1
    if validator == "last-modified":
        assert sent[0] is None and None not in sent[1:], sent
    assert page.evaluate("window.pyapp.cache.list()")["total_bytes"] == 212_886 and stored_shards(page) == 1


# Same length, other bytes: only a hash tells. Page and worker share the origin's IndexedDB.
JS_CORRUPT_CACHED_SHARDS = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("pyapp");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result, tx = db.transaction("shards", "readwrite");
    const cursor = tx.objectStore("shards").openCursor();
    let count = 0;
    cursor.onsuccess = () => {
      if (!cursor.result) return;
      const record = cursor.result.value;
      new Uint8Array(record.data).reverse();
      cursor.result.update(record);
      count += 1;
      cursor.result.continue();
    };
    tx.oncomplete = () => { db.close(); resolve(count); };
    tx.onerror = () => reject(tx.error);
  };
})"""


def test_unhashed_cached_shard_corrupted_in_place_is_detected_and_refetched(page, served_unhashed, selfie_input):
    folder, url = served_unhashed
    shard_url = url.replace("model.json", "selfie.bin")
    load(page, url)
    assert page.evaluate(JS_CORRUPT_CACHED_SHARDS) == 1
    page.log.clear()
    result = load(page, url)
    assert any("cached copy of shard selfie.bin was damaged" in w for w in result["warnings"]), result["warnings"]
    assert page.log.statuses[shard_url] == [200] and result["shards"]["fetched"] == 1
    assert_predicts_like_cpython(page, result["model"], folder, selfie_input)
    page.log.clear()
    assert load(page, url)["shards"]["from_cache"] == 1 and page.log.statuses[shard_url] == [304]


OUTSIDE_PATHS = [
    "../selfie/group1-shard1of1.bin",
    "%2e%2e/selfie/group1-shard1of1.bin",
    "sub/.%2E/.%2E/selfie/group1-shard1of1.bin",
    "..%2fselfie%2fgroup1-shard1of1.bin",  # the server decodes %2f into "/"
    "/models/selfie/group1-shard1of1.bin",
    "{origin}/models/selfie/group1-shard1of1.bin",
    "http://[selfie.bin",  # not even a URL
]


@pytest.mark.parametrize("path", OUTSIDE_PATHS)
def test_shard_outside_the_model_folder_is_refused_before_any_request(page, served_unhashed, path):
    folder, url = served_unhashed
    path = path.format(origin=page.log.origin)
    raw = json.loads((folder / "model.json").read_text())
    raw["weightsManifest"][0]["paths"] = [path]  # selfie's own shard, of the right size, next door
    (folder / "model.json").write_text(json.dumps(raw))
    error = load_error(page, url)
    # parse_model_json refuses these first; the loader's own URL check (shard_url) is the second line
    assert path in error and "folder" in error, error
    assert [r.url for r in page.log.requests if r.url.endswith(".bin")] == []


@pytest.mark.parametrize("damage, message", [
    ("truncated", "shard group1-shard2of4.bin: 65,000 bytes, the manifest says 65,536 (truncated)"),
    ("wrong bytes", "shard group1-shard2of4.bin: sha256"),
    ("404", "shard group1-shard2of4.bin: "),
    ("500", "shard group1-shard2of4.bin: "),
])
def test_bad_shard_fails_clearly_caches_nothing_then_recovers(page, served, damage, message):
    folder, url = served
    shard = folder / "group1-shard2of4.bin"
    good = shard.read_bytes()
    if damage == "truncated":
        shard.write_bytes(good[:65_000])
    elif damage == "wrong bytes":
        shard.write_bytes(bytes(reversed(good)))
    elif damage == "404":
        shard.unlink()
    else:
        page.route("**/group1-shard2of4.bin", lambda route: route.fulfill(status=500, body="boom"))
    try:
        error = load_error(page, url)
    finally:
        page.unroute("**/group1-shard2of4.bin")
        shard.write_bytes(good)
    assert message in error
    if damage in ("404", "500"):
        assert f"HTTP {damage}" in error
    shown = page.locator("#model-error").text_content()
    assert message in shown and page.locator("#model-status").get_attribute("data-state") == "error"
    assert page.evaluate("window.pyapp.cache.list()") == {"models": [], "total_bytes": 0}
    assert stored_shards(page) == 0
    assert load(page, url)["shards"]["fetched"] == 4


def test_damaged_cache_record_is_dropped_and_refetched(page, served):
    _, url = served
    load(page, url)
    code = """
from pyapp.browser import cache
import js
async with cache.open_db() as db:
    keys = await cache._settle(db.transaction("shards", "readonly").objectStore("shards").getAllKeys(), "success")
    tx = db.transaction("shards", "readwrite")  # a transaction ends once Python awaits: one per step
    tx.objectStore("shards").put(js.Object.fromEntries([["data", js.ArrayBuffer.new(10)], ["bytes", 65536]]), keys.to_py()[0])
    await cache._settle(tx, "complete")
"""
    page.evaluate("(code) => window.pyapp.call('run_python', {code})", code)
    page.log.clear()
    result = load(page, url)
    assert len(page.log.shards(url.removesuffix("model.json"))) == 1
    assert result["shards"]["from_cache"] == 3 and result["shards"]["fetched"] == 1
    page.log.clear()
    assert load(page, url)["shards"]["from_cache"] == 4 and page.log.shards(url.removesuffix("model.json")) == []


@pytest.mark.parametrize("patch", IDB_PATCHES)
def test_model_loads_without_indexeddb_and_warns(page, served, selfie_input, patch):
    _, url = served
    apply, undo, cause = IDB_PATCHES[patch]
    run_js(page, apply)
    try:
        result = load(page, url)
        outputs = predict(page, result["model"], selfie_input)
    finally:
        run_js(page, undo)
    assert result["shards"]["fetched"] == 4 and outputs["activation_10"].shape == (1, 256, 256, 1)
    assert any(cause in w for w in result["warnings"]), result["warnings"]
    assert cause in page.locator("#model-warnings").text_content()
    assert page.locator("#model-status").get_attribute("data-state") == "loaded"


@pytest.mark.parametrize("model", ["selfie", "meet"])
def test_worker_predicts_like_cpython_and_tfjs(page, assets_dir, model):
    entry = ensure(assets_dir)["models"][model]
    root = golden_dir(assets_dir)
    result = load(page, f"/models/{model}/model.json")
    cpython = load_graph_model(assets_dir / "served-models" / model / "model.json")
    for case in ("astronaut", "random"):
        x = np.load(root / entry["cases"][case]["input"])
        got = predict(page, result["model"], x)
        want = cpython.predict(x, list(cpython.output_names))
        tfjs = {name.removesuffix(":0"): np.load(root / f) for name, f in zip(entry["outputs"], entry["cases"][case]["outputs"])}
        assert got.keys() == want.keys() == tfjs.keys()
        for name in got:
            span = float(np.ptp(tfjs[name]))
            assert np.abs(got[name] - want[name]).max() <= RELATIVE_TOLERANCE * span, f"{model}/{case} {name}: worker vs CPython"
            assert np.abs(got[name] - tfjs[name]).max() <= RELATIVE_TOLERANCE * span, f"{model}/{case} {name}: worker vs TF.js"
    assert page.evaluate("(id) => window.pyapp.call('dispose_model', {model: id})", result["model"]) is True


def test_picker_loads_a_model_and_the_cache_lists_and_deletes_it(page, served):
    _, url = served
    names = page.locator("#model-select option").all_text_contents()
    assert names == ["blazeface", "emotion", "meet", "mobilefacenet", "movenet-lightning", "posenet", "selfie"]
    assert sorted(page.evaluate("fetch('/api/config').then((r) => r.json())")["models"]) == names  # not the dot folder
    page.select_option("#model-select", label="meet")
    page.click("#model-load")
    page.wait_for_function("document.getElementById('model-status').textContent.startsWith('Loaded /models/meet/')")
    timings = page.locator("#model-timings td:first-child").all_text_contents()
    assert {"model_json", "network", "decode", "total"} <= set(timings)
    load(page, url)
    listed = page.evaluate("window.pyapp.cache.list()")
    assert sorted(m["url"].removeprefix(page.log.origin) for m in listed["models"]) == sorted(["/models/meet/model.json", url])
    assert listed["total_bytes"] == 372_228 + 212_886 and stored_shards(page) == 5
    assert page.evaluate("window.pyapp.cache.delete('/models/meet/model.json')") is True
    assert page.evaluate("window.pyapp.cache.list()")["total_bytes"] == 212_886 and stored_shards(page) == 4
    assert page.evaluate("window.pyapp.cache.delete('/models/meet/model.json')") is False
    page.wait_for_function("document.getElementById('cache-info').textContent.includes('model(s)')")


STALL_TIMEOUT_S = 2
# The page's loadModel (so the page shows what happens), raced against a timer: a hang is an answer too.
JS_LOAD_WITHIN = """async ([url, options, ms]) => {
  const hang = new Promise((resolve) => setTimeout(() => resolve({ hung: true }), ms));
  const load = window.pyapp.loadModel(url, "cpu", options).then((result) => ({ result }), (e) => ({ error: e.message }));
  return Promise.race([load, hang]);
}"""


@pytest.fixture(scope="module")
def stalling(browser, assets_dir):
    """A second server, and a page on it, where shard 2 of `.stall-once-*` stalls mid-body on its
    first download and shard 2 of `.stall-always-*` on every one."""
    tag = uuid.uuid4().hex[:8]
    names = {"once": f".stall-once-{tag}", "always": f".stall-always-{tag}"}
    folders = [assets_dir / "served-models" / name for name in names.values()]
    for folder in folders:
        shard_model(assets_dir / "models/selfie/model.json", folder, SHARD_BYTES)
    stall = {f"/models/{names['once']}/{SHARDS[1]}": 1, f"/models/{names['always']}/{SHARDS[1]}": 1_000}
    try:
        with serving(stall=stall) as url:
            context = browser.new_context()
            page = context.new_page()
            page.goto(url + "/")
            assert wait_for_state(page) == "ready", page.locator("#error").text_content()
            page.evaluate("""() => { window.progress = [];
              window.addEventListener("pyapp", (e) => e.detail.type === "load-progress" && window.progress.push(e.detail)); }""")
            yield page, url, {kind: (folder, f"/models/{name}/model.json") for (kind, name), folder in zip(names.items(), folders)}
            context.close()
    finally:
        for folder in folders:
            shutil.rmtree(folder)


def load_with_stalls(page, url: str) -> dict:
    page.evaluate("() => { window.progress = []; return window.pyapp.cache.clear(); }")
    return page.evaluate(JS_LOAD_WITHIN, [url, {"stall_timeout_s": STALL_TIMEOUT_S}, 60_000])


@pytest.mark.parametrize("timeout", [0, -1, "30"])
def test_stall_timeout_must_be_a_positive_number(page, timeout):
    error = page.evaluate("(t) => window.pyapp.call('load_model', {url: '/models/selfie/model.json', stall_timeout_s: t})"
                          ".then(() => null, (e) => e.message)", timeout)
    assert error == f"InputError: load_model: stall_timeout_s must be a positive number of seconds, got {timeout!r}"


def test_stalled_shard_is_aborted_and_retried_once(stalling, selfie_input):
    page, origin, models = stalling
    folder, url = models["once"]
    outcome = load_with_stalls(page, url)
    assert "result" in outcome, outcome
    stalled = f"shard {SHARDS[1]}: no bytes from {origin}{url.replace('model.json', SHARDS[1])} for {STALL_TIMEOUT_S} s"
    retries = [p for p in page.evaluate("window.progress") if p.get("state") == "retrying"]
    assert [p["shard"] for p in retries] == [SHARDS[1]] and retries[0]["error"].startswith(stalled)
    assert any(stalled in w for w in outcome["result"]["warnings"])
    assert stalled in page.locator("#model-warnings").text_content()
    last = page.evaluate("window.progress.at(-1)")
    assert last["done"] == last["total"] == 212_886  # the stalled attempt's bytes are not counted twice
    assert outcome["result"]["shards"]["fetched"] == 4
    assert_predicts_like_cpython(page, outcome["result"]["model"], folder, selfie_input)


def test_shard_that_stalls_again_fails_the_load_and_the_page_says_so(stalling):
    page, origin, models = stalling
    _, url = models["always"]
    outcome = load_with_stalls(page, url)
    assert "error" in outcome, outcome
    stalled = f"shard {SHARDS[1]}: no bytes from {origin}{url.replace('model.json', SHARDS[1])} for {STALL_TIMEOUT_S} s"
    assert outcome["error"].startswith("WeightsError: " + stalled) and "retried once" in outcome["error"]
    assert stalled in page.locator("#model-warnings").text_content()  # the retry, shown while it ran
    assert page.locator("#model-error").text_content() == outcome["error"]
    assert page.locator("#model-status").get_attribute("data-state") == "error"
    assert page.evaluate("window.pyapp.cache.list()") == {"models": [], "total_bytes": 0}
