"""The app around the static roots: its routes, the config it hands the page, and the isolation
headers on every response, errors included."""

import pytest
from servedroots import make_roots
from starlette.testclient import TestClient

from pyapp.server.app import ServerPaths, create_app, pyodide_url
from pyapp.server.static import StaticRoot


@pytest.fixture
def served(tmp_path):
    roots = make_roots(tmp_path)
    return TestClient(create_app(ServerPaths(**roots))), roots


def assert_isolated(headers):
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert headers["cross-origin-embedder-policy"] == "require-corp"
    assert headers["cross-origin-resource-policy"] == "same-origin"


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
