import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from modelfiles import W_BYTES, graph_model, write_model

from pyapp.errors import ModelFormatError, WeightsError
from pyapp.model import FileFetcher, UrlFetcher, load_model_spec
from pyapp.model.shards import HASH_KEY


def test_load_real_model(assets_dir):
    spec, weights = load_model_spec(assets_dir / "models/emotion/model.json")
    assert spec.source.endswith("emotion/model.json") and len(weights) == 23
    assert sum(w.size for w in weights.values()) == 205_129


def test_load_through_a_custom_fetcher():
    files = {"model.json": json.dumps(graph_model()).encode(), "w.bin": W_BYTES}

    class Memory:
        def fetch(self, path: str) -> bytes:
            return files[path]

    spec, weights = load_model_spec("https://host/m/model.json", Memory())
    assert spec.source == "https://host/m/model.json" and weights["w"].tolist() == [1.5, -2.0]


def test_shards_are_read_relative_to_model_json(tmp_path):
    path = write_model(tmp_path / "m", graph_model(paths=("sub/w.bin",)), {})
    (tmp_path / "m/sub").mkdir()
    (tmp_path / "m/sub/w.bin").write_bytes(W_BYTES)
    assert np.array_equal(load_model_spec(path)[1]["w"], [1.5, -2.0])


def test_shards_outside_the_model_folder_are_refused(tmp_path):
    path = write_model(tmp_path / "m", graph_model(paths=("../shared/w.bin",)), {})
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared/w.bin").write_bytes(W_BYTES)
    with pytest.raises(ModelFormatError, match=re.escape("weightsManifest[0].paths[0]: shard path '../shared/w.bin' climbs out")):
        load_model_spec(path)


def test_missing_shard_file_names_path_and_model(tmp_path):
    path = write_model(tmp_path, graph_model(paths=("gone.bin",)), {})
    with pytest.raises(WeightsError, match=re.escape(f"cannot read {tmp_path / 'gone.bin'}: No such file or directory (needed by {path})")):
        load_model_spec(path)


def test_missing_model_json(tmp_path):
    with pytest.raises(WeightsError, match=re.escape(f"cannot read {tmp_path / 'model.json'}: No such file or directory") + "$"):
        load_model_spec(tmp_path / "model.json")


@pytest.mark.parametrize("path", ["../a.bin", "m/../../a.bin", "ABSOLUTE", "a\0.bin"])
def test_file_fetcher_reads_only_inside_its_folder(tmp_path, path):
    (tmp_path / "a.bin").write_bytes(b"abc")
    (tmp_path / "m").mkdir()
    path = str(tmp_path / "a.bin") if path == "ABSOLUTE" else path
    with pytest.raises(WeightsError, match=f"refused to read {re.escape(repr(path))}: it is not inside {re.escape(str(tmp_path / 'm'))}"):
        FileFetcher(tmp_path / "m").fetch(path)


@pytest.mark.parametrize("path", ["../x.bin", "//elsewhere/x.bin", "http://elsewhere/m/x.bin", "%2e%2e/x.bin", "a/..%5cx.bin"])
def test_url_fetcher_fetches_only_under_the_model_url(path):
    """Refused before any request (port 9 would refuse the connection anyway, with another message)."""
    with pytest.raises(WeightsError, match="refused to fetch .*: it is not under http://127.0.0.1:9/m/"):
        UrlFetcher("http://127.0.0.1:9/m/model.json").fetch(path)


def served_copy(assets_dir, tmp_path, name: str) -> Path:
    """A private copy of a served model (shards with sha256s in model.json)."""
    folder = tmp_path / name
    shutil.copytree(assets_dir / "served-models" / name, folder, copy_function=shutil.copyfile)
    return folder / "model.json"


def test_shards_are_checked_against_their_sha256(assets_dir, tmp_path):
    path = served_copy(assets_dir, tmp_path, "mobilefacenet")
    assert len(load_model_spec(path)[1]) > 0
    shard = path.with_name("group1-shard3of5.bin")
    data = bytearray(shard.read_bytes())
    data[123_456] ^= 0x01
    shard.write_bytes(data)
    with pytest.raises(WeightsError, match=r"shard group1-shard3of5\.bin: sha256 [0-9a-f]{16}… is not the manifest's .*corrupt or changed"):
        load_model_spec(path)
    shard.write_bytes(data[:-1])
    with pytest.raises(WeightsError, match=r"shard group1-shard3of5\.bin: 1,048,575 bytes, the manifest says 1,048,576 \(truncated\)"):
        load_model_spec(path)


def test_malformed_hash_records_are_refused_on_load(assets_dir, tmp_path):
    path = served_copy(assets_dir, tmp_path, "selfie")
    model = json.loads(path.read_text())
    model[HASH_KEY]["shards"]["group1-shard1of1.bin"]["sha256"] = "not a hash"
    path.write_text(json.dumps(model))
    with pytest.raises(ModelFormatError, match=r"pyapp\.shards\['group1-shard1of1\.bin'\] should be"):
        load_model_spec(path)


@pytest.fixture
def http_models(assets_dir):
    """The real models over HTTP from a local server (loopback only, stopped after the test)."""
    import functools
    import http.server
    import threading

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(assets_dir / "models"))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_load_from_a_url_matches_the_file(http_models, assets_dir):
    spec, weights = load_model_spec(f"{http_models}/emotion/model.json")
    _, local = load_model_spec(assets_dir / "models/emotion/model.json")
    assert spec.source == f"{http_models}/emotion/model.json"
    assert weights.keys() == local.keys()
    assert all(np.array_equal(weights[k], local[k]) for k in local)


def test_unreachable_model_url_is_named(http_models):
    with pytest.raises(WeightsError, match=r"cannot fetch http://127\.0\.0\.1:\d+/nope/model\.json"):
        load_model_spec(f"{http_models}/nope/model.json")
