"""The server's file serving: types, caching, compression, isolation headers, and its roots."""

import gzip
import os

import pytest
from starlette.testclient import TestClient

from pyapp.server.app import ServerPaths, create_app, pyodide_url

JS = "export const answer = 42;\n" * 100  # over the gzip threshold


@pytest.fixture
def served(tmp_path):
    roots = {name: tmp_path / name for name in ("static", "pyodide", "tfjs", "wheels", "models")}
    for root in roots.values():
        root.mkdir()
    (roots["static"] / "index.html").write_text("<!doctype html><title>pyapp</title>")
    (roots["static"] / "app.js").write_text(JS)
    (roots["static"] / "sub").mkdir()
    (roots["static"] / "sub" / "small.json").write_text('{"a": 1}')
    (roots["pyodide"] / "pyodide.asm.wasm").write_bytes(b"\0asm" + bytes(4000))
    (roots["pyodide"] / "pyodide.mjs").write_text(JS)
    (roots["models"] / "selfie").mkdir()
    (roots["models"] / "selfie" / "model.json").write_text('{"format": "graph-model"}' + " " * 2000)
    (roots["models"] / "selfie" / "selfie.bin").write_bytes(bytes(range(256)) * 8)
    (roots["wheels"] / "pyapp-0.1.0-py3-none-any.whl").write_bytes(b"PK" + bytes(100))
    (tmp_path / "secret.txt").write_text("outside every root")
    os.symlink(tmp_path / "secret.txt", roots["static"] / "link-out.txt")
    os.symlink(roots["static"] / "app.js", roots["static"] / "link-in.js")
    return TestClient(create_app(ServerPaths(**roots))), roots


@pytest.mark.parametrize("url, media_type", [
    (pyodide_url() + "pyodide.asm.wasm", "application/wasm"),
    (pyodide_url() + "pyodide.mjs", "text/javascript; charset=utf-8"),
    ("/app.js", "text/javascript; charset=utf-8"),
    ("/sub/small.json", "application/json"),
    ("/models/selfie/model.json", "application/json"),
    ("/models/selfie/selfie.bin", "application/octet-stream"),
    ("/", "text/html; charset=utf-8"),
])
def test_media_types(served, url, media_type):
    client, _ = served
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type


def test_etag_and_last_modified_revalidate_to_304(served):
    client, roots = served
    first = client.get("/models/selfie/selfie.bin")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('"') and len(etag) > 10
    again = client.get("/models/selfie/selfie.bin", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    by_date = client.get("/models/selfie/selfie.bin", headers={"If-Modified-Since": modified})
    assert by_date.status_code == 304
    (roots["models"] / "selfie" / "selfie.bin").write_bytes(b"changed")
    changed = client.get("/models/selfie/selfie.bin", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.content == b"changed"
    assert changed.headers["etag"] != etag


def test_cache_control_immutable_only_for_versioned_paths(served):
    client, _ = served
    assert "immutable" in client.get(pyodide_url() + "pyodide.mjs").headers["cache-control"]
    for url in ("/", "/app.js", "/models/selfie/model.json", "/wheels/pyapp-0.1.0-py3-none-any.whl"):
        assert client.get(url).headers["cache-control"] == "no-cache", url


def test_gzip_for_text_only(served):
    client, _ = served
    text = client.get("/app.js", headers={"Accept-Encoding": "gzip"})
    assert text.headers["content-encoding"] == "gzip" and text.headers["vary"] == "Accept-Encoding"
    assert text.text == JS  # the client decoded it
    assert int(text.headers["content-length"]) < len(JS)
    wasm = client.get(pyodide_url() + "pyodide.asm.wasm", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in wasm.headers
    plain = client.get("/app.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.text == JS
    small = client.get("/sub/small.json", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers


def test_gzip_body_is_valid_gzip(served):
    client, _ = served
    with client.stream("GET", "/app.js", headers={"Accept-Encoding": "gzip"}) as response:
        body = b"".join(response.iter_raw())
    assert gzip.decompress(body).decode() == JS


@pytest.mark.parametrize("url", ["/", "/app.js", "/nope", pyodide_url() + "pyodide.mjs", "/api/config"])
def test_isolation_headers_everywhere(served, url):
    client, _ = served
    headers = client.get(url).headers
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert headers["cross-origin-embedder-policy"] == "require-corp"
    assert headers["cross-origin-resource-policy"] == "same-origin"


@pytest.mark.parametrize("url", [
    "/sub", "/sub/", "/models/selfie/",            # directories: no listing
    "/../secret.txt", "/%2e%2e/secret.txt", "/sub/%2E%2E/%2e%2e/secret.txt",
    "/models/..%2fsecret.txt", "//etc/passwd", "/%2fetc/passwd",
    "/link-out.txt",                              # a symlink that leads out of the root
    "/missing.js",
])
def test_nothing_outside_the_roots(served, url):
    client, _ = served
    response = client.get(url)
    assert response.status_code == 404, url
    assert "outside every root" not in response.text


def test_symlink_inside_the_root_is_served(served):
    client, _ = served
    assert client.get("/link-in.js").text == JS


def test_head_has_headers_and_no_body(served):
    client, _ = served
    response = client.head("/models/selfie/selfie.bin")
    assert response.status_code == 200 and response.content == b""
    assert response.headers["content-length"] == str(256 * 8)
    assert response.headers["etag"] == client.get("/models/selfie/selfie.bin").headers["etag"]


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
