"""The server's file serving: types, ETags and 304s, streaming, ranges, content codings, and its roots."""

import gzip
import os
import tracemalloc
from concurrent.futures import ThreadPoolExecutor

import anyio
import pytest
from servedroots import BIN, JS, make_roots
from starlette.testclient import TestClient

from pyapp.server.app import ServerPaths, create_app, pyodide_url
from pyapp.server.static import DiskFile, GzipCache

BIG = 32 << 20  # bytes; written sparse, so no disk is used


@pytest.fixture
def served(tmp_path):
    roots = make_roots(tmp_path)
    return TestClient(create_app(ServerPaths(**roots))), roots


def get_raw(client, url, **headers):
    """The response and its body as sent, not decoded."""
    with client.stream("GET", url, headers=headers) as response:
        return response, b"".join(response.iter_raw())


def asgi_get(app, path):
    """GET through the ASGI app itself, keeping only the status and the size of each body message."""
    statuses, sizes = [], []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            statuses.append(message["status"])
        else:
            sizes.append(len(message.get("body", b"")))

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "headers": [], "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
    run_async(app, scope, receive, send)
    return statuses[0], sizes


def run_async(function, *args):
    """anyio.run in a thread of its own: the e2e tests' sync Playwright keeps an event loop running in
    the main thread for the whole session, and anyio.run refuses to start inside one."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(anyio.run, function, *args).result()


def write_sparse(path, size):
    with path.open("wb") as file:
        file.truncate(size)


def precompress(original, suffix, body, newer_by_ns=0):
    """A sibling `original + suffix` holding `body`, its mtime the original's plus `newer_by_ns`."""
    sibling = original.with_name(original.name + suffix)
    sibling.write_bytes(body)
    mtime_ns = original.stat().st_mtime_ns + newer_by_ns
    os.utime(sibling, ns=(mtime_ns, mtime_ns))
    return sibling


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


@pytest.mark.parametrize("url", [
    "/" + "a" * 300,                               # one name longer than the file system allows
    "/models/selfie/" + "b" * 1000 + ".bin",
    "/sub/" + "c" * 256 + "/x.js",
])
def test_over_long_names_are_not_found(served, url):
    client, _ = served
    assert client.get(url).status_code == 404


def test_over_long_paths_are_refused(served):
    client, _ = served
    response = client.get("/" + "a/" * 2100)
    assert response.status_code == 414


def test_head_reads_no_bytes(served):
    client, roots = served
    write_sparse(roots["models"] / "selfie" / "big.bin", BIG)
    client.head("/models/selfie/selfie.bin")  # imports and first-request setup, outside the measure
    tracemalloc.start()
    try:
        response = client.head("/models/selfie/big.bin")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert response.status_code == 200 and response.headers["content-length"] == str(BIG)
    assert peak < 1 << 20


def test_get_streams_from_disk_and_keeps_nothing(tmp_path):
    roots = make_roots(tmp_path)
    write_sparse(roots["models"] / "selfie" / "big.bin", BIG)
    app = create_app(ServerPaths(**roots))
    asgi_get(app, "/models/selfie/selfie.bin")
    tracemalloc.start()
    try:
        status, sizes = asgi_get(app, "/models/selfie/big.bin")
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert status == 200 and sum(sizes) == BIG
    assert max(sizes) <= 64 << 10  # sent a chunk at a time
    assert peak < 4 << 20 and kept < 1 << 20


def test_etag_comes_from_the_files_stat(served):
    client, roots = served
    path = roots["models"] / "selfie" / "selfie.bin"
    etag = client.get("/models/selfie/selfie.bin").headers["etag"]
    mtime_ns = path.stat().st_mtime_ns + 1_000_000
    os.utime(path, ns=(mtime_ns, mtime_ns))  # same bytes, touched
    assert client.get("/models/selfie/selfie.bin").headers["etag"] != etag


def test_a_replaced_file_is_read_again(served):
    client, roots = served
    path = roots["models"] / "selfie" / "selfie.bin"
    first = client.get("/models/selfie/selfie.bin")
    before = path.stat()
    replacement = path.with_name("replacement.tmp")
    replacement.write_bytes(BIN[::-1])  # same size, and the same mtime below: only the inode differs
    os.utime(replacement, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(replacement, path)
    second = client.get("/models/selfie/selfie.bin")
    assert second.content == BIN[::-1] and second.headers["etag"] != first.headers["etag"]


def test_a_deleted_file_is_gone(served):
    client, roots = served
    assert client.get("/models/selfie/selfie.bin").status_code == 200
    (roots["models"] / "selfie" / "selfie.bin").unlink()
    assert client.get("/models/selfie/selfie.bin").status_code == 404


@pytest.mark.parametrize("range_, start, end", [
    ("bytes=0-9", 0, 10),
    ("bytes=100-", 100, len(BIN)),
    ("bytes=-10", len(BIN) - 10, len(BIN)),
    ("bytes=2000-999999", 2000, len(BIN)),       # the end is clamped to the size
    ("BYTES=5-5", 5, 6),
])
def test_range_gives_206(served, range_, start, end):
    client, _ = served
    response = client.get("/models/selfie/selfie.bin", headers={"Range": range_})
    assert response.status_code == 206
    assert response.content == BIN[start:end]
    assert response.headers["content-range"] == f"bytes {start}-{end - 1}/{len(BIN)}"
    assert response.headers["content-length"] == str(end - start)


@pytest.mark.parametrize("range_", ["bytes=2048-", "bytes=99999-100000", "bytes=-0"])
def test_unsatisfiable_range_gives_416(served, range_):
    client, _ = served
    response = client.get("/models/selfie/selfie.bin", headers={"Range": range_})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(BIN)}"


@pytest.mark.parametrize("range_", [
    "bytes=abc", "items=0-9", "bytes=9-5", "bytes=-", "bytes=0-1,4-5",  # several ranges: all of it
    "bytes=" + "9" * 40 + "-",
])
def test_range_we_ignore_gives_the_whole_file(served, range_):
    client, _ = served
    response = client.get("/models/selfie/selfie.bin", headers={"Range": range_})
    assert response.status_code == 200 and response.content == BIN
    assert response.headers["accept-ranges"] == "bytes"


def test_if_range_sends_a_part_only_of_the_same_version(served):
    client, _ = served
    first = client.get("/models/selfie/selfie.bin")
    for validator in (first.headers["etag"], first.headers["last-modified"]):
        response = client.get("/models/selfie/selfie.bin", headers={"Range": "bytes=0-9", "If-Range": validator})
        assert response.status_code == 206 and response.content == BIN[:10]
    for validator in ('"stale"', "W/" + first.headers["etag"], "Tue, 01 Jan 2002 00:00:00 GMT"):
        response = client.get("/models/selfie/selfie.bin", headers={"Range": "bytes=0-9", "If-Range": validator})
        assert response.status_code == 200 and response.content == BIN


def test_range_applies_to_the_identity_representation(served):
    client, roots = served
    precompress(roots["static"] / "app.js", ".br", b"brotli bytes")
    response, body = get_raw(client, "/app.js", **{"Range": "bytes=0-9", "Accept-Encoding": "br, gzip"})
    assert response.status_code == 206 and body == JS[:10].encode()
    assert "content-encoding" not in response.headers
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.headers["etag"] == client.get("/app.js", headers={"Accept-Encoding": "identity"}).headers["etag"]


def test_head_ignores_range(served):
    client, _ = served
    response = client.head("/models/selfie/selfie.bin", headers={"Range": "bytes=0-9"})
    assert response.status_code == 200 and response.headers["content-length"] == str(len(BIN))


def test_gzip_and_identity_have_their_own_etags(served):
    client, _ = served
    zipped = client.get("/app.js", headers={"Accept-Encoding": "gzip"})
    plain = client.get("/app.js", headers={"Accept-Encoding": "identity"})
    assert zipped.headers["etag"] != plain.headers["etag"]
    assert zipped.headers["vary"] == plain.headers["vary"] == "Accept-Encoding"
    revalidate = {"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["etag"]}
    assert client.get("/app.js", headers=revalidate).status_code == 304
    other = client.get("/app.js", headers={"Accept-Encoding": "gzip", "If-None-Match": plain.headers["etag"]})
    assert other.status_code == 200 and other.headers["content-encoding"] == "gzip"
    other = client.get("/app.js", headers={"Accept-Encoding": "identity", "If-None-Match": zipped.headers["etag"]})
    assert other.status_code == 200 and "content-encoding" not in other.headers


@pytest.mark.parametrize("accept, coding", [
    ("gzip", "gzip"), ("GZip", "gzip"), ("x-gzip", "gzip"), ("*", "gzip"), ("gzip;q=0.1, identity;q=0", "gzip"),
    ("identity;q=0.5, gzip", "gzip"), ("gzip;q=0.5, identity;q=0.5", "gzip"),
    ("gzip;q=0", None), ("gzip; q=0.000", None), ("*;q=0.5, gzip;q=0", None), ("gzip;q=0.5, identity", None),
    ("deflate, gzip;q=0.1", None),  # identity, not named, keeps q=1
    ("deflate", None), ("", None), ("gzip;q=bogus", None), ("gzip;q=2", None),
])
def test_accept_encoding_q_values(served, accept, coding):
    client, _ = served
    response = client.get("/app.js", headers={"Accept-Encoding": accept})
    assert response.headers.get("content-encoding") == coding
    assert response.text == JS


def test_precompressed_brotli_is_preferred(served):
    client, roots = served
    precompress(roots["static"] / "app.js", ".br", b"brotli bytes")
    response, body = get_raw(client, "/app.js", **{"Accept-Encoding": "gzip, deflate, br"})
    assert body == b"brotli bytes" and response.headers["content-length"] == str(len(body))
    assert response.headers["content-encoding"] == "br"
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.headers["etag"].endswith('-br"')
    revalidate = {"Accept-Encoding": "br", "If-None-Match": response.headers["etag"]}
    assert client.get("/app.js", headers=revalidate).status_code == 304
    gzipped, _ = get_raw(client, "/app.js", **{"Accept-Encoding": "gzip, br;q=0.5"})
    assert gzipped.headers["content-encoding"] == "gzip"


def test_precompressed_gzip_replaces_gzip_on_the_fly(served):
    client, roots = served
    stored = gzip.compress(JS.encode(), compresslevel=9, mtime=1)
    precompress(roots["static"] / "app.js", ".gz", stored)
    response, body = get_raw(client, "/app.js", **{"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip" and body == stored
    assert response.headers["etag"].endswith('-gz"')


def test_precompressed_siblings_for_every_type(served):
    client, roots = served
    wasm = roots["pyodide"] / "pyodide.asm.wasm"
    precompress(wasm, ".br", b"compressed wasm")
    url = pyodide_url() + "pyodide.asm.wasm"
    response, body = get_raw(client, url, **{"Accept-Encoding": "br"})
    assert body == b"compressed wasm" and response.headers["content-encoding"] == "br"
    assert response.headers["content-type"] == "application/wasm"
    assert "immutable" in response.headers["cache-control"]
    head = client.head(url, headers={"Accept-Encoding": "br"})
    assert head.headers["content-length"] == str(len(b"compressed wasm")) and head.content == b""
    plain, body = get_raw(client, url, **{"Accept-Encoding": "gzip"})  # no gzip sibling, not text
    assert body == wasm.read_bytes() and "content-encoding" not in plain.headers
    assert plain.headers["vary"] == "Accept-Encoding"


def test_stale_sibling_is_not_served(served):
    client, roots = served
    precompress(roots["static"] / "app.js", ".br", b"old brotli bytes", newer_by_ns=-1_000_000_000)
    response, _ = get_raw(client, "/app.js", **{"Accept-Encoding": "br"})
    assert "content-encoding" not in response.headers


def test_sibling_itself_is_served_raw(served):
    client, roots = served
    precompress(roots["static"] / "app.js", ".br", b"brotli bytes")
    response, body = get_raw(client, "/app.js.br", **{"Accept-Encoding": "br"})
    assert body == b"brotli bytes" and "content-encoding" not in response.headers
    assert response.headers["content-type"] == "application/octet-stream"


def test_head_of_gzip_on_the_fly_reads_nothing(served, monkeypatch):
    client, _ = served
    monkeypatch.setattr(GzipCache, "body", None)  # any use would fail
    response = client.head("/app.js", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.headers["content-encoding"] == "gzip"
    assert "content-length" not in response.headers  # known only once compressed


def test_gzip_cache_is_bounded_by_bytes(tmp_path):
    cache = GzipCache(max_bytes=10_000)
    texts = []
    for index in range(10):
        path = tmp_path / f"{index}.js"
        texts.append(os.urandom(3000).hex().encode())  # compresses to about 3.3 kB
        path.write_bytes(texts[-1])
        body = run_async(cache.body, DiskFile(path, path.stat()))
        assert gzip.decompress(body) == texts[-1]
        assert 0 < cache.held_bytes <= 10_000
