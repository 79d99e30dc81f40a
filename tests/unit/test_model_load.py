import json
import re

import numpy as np
import pytest
from modelfiles import W_BYTES, graph_model, write_model

from pyapp.errors import WeightsError
from pyapp.model import FileFetcher, load_model_spec


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
    path = write_model(tmp_path / "m", graph_model(paths=("../shared/w.bin",)), {})
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared/w.bin").write_bytes(W_BYTES)
    assert np.array_equal(load_model_spec(path)[1]["w"], [1.5, -2.0])


def test_missing_shard_file_names_path_and_model(tmp_path):
    path = write_model(tmp_path, graph_model(paths=("gone.bin",)), {})
    with pytest.raises(WeightsError, match=re.escape(f"cannot read {tmp_path / 'gone.bin'}: No such file or directory (needed by {path})")):
        load_model_spec(path)


def test_missing_model_json(tmp_path):
    with pytest.raises(WeightsError, match=re.escape(f"cannot read {tmp_path / 'model.json'}: No such file or directory") + "$"):
        load_model_spec(tmp_path / "model.json")


def test_file_fetcher_absolute_path(tmp_path):
    (tmp_path / "a.bin").write_bytes(b"abc")
    assert FileFetcher("/nonexistent").fetch(str(tmp_path / "a.bin")) == b"abc"


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
