"""The app around the static roots: its routes, the config it hands the page, and the isolation
headers and Content-Security-Policy on every response, errors included."""

import pytest
from servedroots import make_roots
from starlette.testclient import TestClient

from pyapp.server.app import ServerPaths, create_app, pyodide_url
from pyapp.server.static import StaticRoot


@pytest.fixture
def served(tmp_path):
    roots = make_roots(tmp_path)
    return TestClient(create_app(ServerPaths(**roots))), roots


def csp(headers) -> dict[str, list[str]]:
    directives = [d.split() for d in headers["content-security-policy"].split(";")]
    return {d[0]: d[1:] for d in directives}


def assert_isolated(headers):
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert headers["cross-origin-embedder-policy"] == "require-corp"
    assert headers["cross-origin-resource-policy"] == "same-origin"
    policy = csp(headers)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'", "'wasm-unsafe-eval'"]  # no inline script, no eval
    assert policy["object-src"] == policy["base-uri"] == policy["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize("method, url, headers, status", [
    ("GET", "/", {}, 200),
    ("GET", "/app.js", {"Accept-Encoding": "gzip"}, 200),
    ("HEAD", "/models/selfie/selfie.bin", {}, 200),
    ("GET", pyodide_url() + "pyodide.mjs", {}, 200),
    ("GET", "/api/config", {}, 200),
    ("GET", "/app.js", {"If-None-Match": "*"}, 304),
    ("GET", "/models/selfie/selfie.bin", {"Range": "bytes=0-9"}, 206),
    ("GET", "/models/selfie/selfie.bin", {"Range": "bytes=99999-"}, 416),
    ("GET", "/nope", {}, 404),
    ("GET", "/" + "a" * 300, {}, 404),
    ("GET", "/" + "a/" * 2100, {}, 414),
    ("POST", "/app.js", {}, 405),
])
def test_isolation_headers_on_every_response(served, method, url, headers, status):
    client, _ = served
    response = client.request(method, url, headers=headers)
    assert response.status_code == status
    assert_isolated(response.headers)


def test_isolation_headers_on_a_server_error(tmp_path, monkeypatch):
    # Starlette's own error handler answers the 500, outside any middleware added the usual way.
    async def broken(self, request):
        raise RuntimeError("a bug in a root")

    monkeypatch.setattr(StaticRoot, "respond", broken)
    client = TestClient(create_app(ServerPaths(**make_roots(tmp_path))), raise_server_exceptions=False)
    response = client.get("/app.js")
    assert response.status_code == 500
    assert_isolated(response.headers)


@pytest.mark.parametrize("path", ["/bench.html", "/tfjs-worker.js"])
def test_only_the_tfjs_wasm_baseline_may_run_blob_scripts(served, path):
    # TF.js wasm's threads are blob: workers importing blob: code; pyapp's pages never need that
    client, roots = served
    (roots["static"] / path.lstrip("/")).write_text("x")
    assert csp(client.get(path).headers)["script-src"] == ["'self'", "'wasm-unsafe-eval'", "blob:"]
    for other in ("/", "/app.js", "/worker.js", "/api/config"):
        assert "blob:" not in csp(client.get(other).headers)["script-src"]


def test_test_server_adds_eval_and_hooks_and_nothing_else(tmp_path):
    roots = make_roots(tmp_path)
    production = TestClient(create_app(ServerPaths(**roots)))
    tests = TestClient(create_app(ServerPaths(**roots), for_tests=True))
    assert production.get("/api/config").json()["test_hooks"] is False
    assert tests.get("/api/config").json()["test_hooks"] is True
    for path in ("/", "/nope"):
        ours, theirs = csp(production.get(path).headers), csp(tests.get(path).headers)
        assert theirs["script-src"] == ours["script-src"] + ["'unsafe-eval'"]
        assert {k: v for k, v in theirs.items() if k != "script-src"} == \
            {k: v for k, v in ours.items() if k != "script-src"}


def test_other_methods_are_refused(served):
    client, _ = served
    assert client.post("/app.js").status_code == 405
    assert client.delete("/models/selfie/model.json").status_code == 405


def test_config_names_wheel_models_and_runtime(served):
    client, roots = served
    (roots["models"] / ".scratch").mkdir()
    (roots["models"] / ".scratch" / "model.json").write_text("{}")
    config = client.get("/api/config").json()
    assert config["wheel"] == "/wheels/pyapp-0.1.0-py3-none-any.whl"
    assert config["pyodide"] == pyodide_url()
    assert config["models"] == {"selfie": "/models/selfie/model.json"}
    assert client.get(config["wheel"]).content.startswith(b"PK")
    assert client.get("/models/.scratch/model.json").status_code == 200  # served, not offered


def test_demo_has_a_short_address(served):
    client, _ = served
    response = client.get("/demo", follow_redirects=False)
    assert response.status_code == 307 and response.headers["location"] == "/demo.html"
