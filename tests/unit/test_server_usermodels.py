"""`pyapp serve --models DIR`: the user's model folders served from where they are, model.json with
the sha256 of each shard added."""

import hashlib
import json
import os

import pytest
from modelfiles import MODELS, W_BYTES, graph_model, write_model
from servedroots import make_roots
from starlette.testclient import TestClient

from pyapp.errors import PyappError
from pyapp.model import decode_weights, parse_model_json
from pyapp.model.shards import shard_records, verify_shard
from pyapp.server.app import ServerPaths, create_app


def paths(tmp_path) -> ServerPaths:
    (tmp_path / "roots").mkdir()
    return ServerPaths(**make_roots(tmp_path / "roots"))


def client_for(tmp_path, *dirs):
    return TestClient(create_app(paths(tmp_path), list(dirs)))


def test_a_folder_of_real_models_is_offered_and_loads_as_served(tmp_path, assets_dir):
    client = client_for(tmp_path, assets_dir / "models")
    config = client.get("/api/config").json()
    assert config["user_models"] == {name: f"/user-models/{name}/model.json" for name in sorted(MODELS)}
    assert config["models"] == {"selfie": "/models/selfie/model.json"}  # the bundled ones, apart
    response = client.get(config["user_models"]["emotion"])
    assert response.headers["content-type"] == "application/json" and response.headers["cache-control"] == "no-cache"
    served = response.json()
    original = json.loads((assets_dir / "models/emotion/model.json").read_bytes())
    assert {k: v for k, v in served.items() if k != "pyapp"} == original
    shard = (assets_dir / "models/emotion/emotion.bin").read_bytes()
    assert shard_records(served) == {"emotion.bin": {"bytes": len(shard), "sha256": hashlib.sha256(shard).hexdigest()}}
    # what the page's loader then does: fetch each shard, verify it against the record, decode
    spec = parse_model_json(response.content, "/user-models/emotion/model.json")
    body = client.get("/user-models/emotion/emotion.bin").content
    verify_shard("emotion.bin", body, len(shard), shard_records(served)["emotion.bin"]["sha256"])
    assert len(decode_weights(spec, {"emotion.bin": body})) == len(spec.groups[0].weights)


def test_one_model_folder_and_revalidation(tmp_path, assets_dir):
    client = client_for(tmp_path, assets_dir / "models/blazeface")
    assert client.get("/api/config").json()["user_models"] == {"blazeface": "/user-models/blazeface/model.json"}
    first = client.get("/user-models/blazeface/model.json")
    again = client.get("/user-models/blazeface/model.json", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert client.get("/user-models/blazeface/../emotion/model.json").status_code == 404
    assert client.get("/user-models/nope/model.json").status_code == 404


def test_hashes_follow_the_files_on_disk(tmp_path):
    path = write_model(tmp_path / "mine" / "tiny", graph_model(), {"w.bin": W_BYTES})
    client = client_for(tmp_path, tmp_path / "mine")
    sha = lambda: shard_records(client.get("/user-models/tiny/model.json").json())["w.bin"]["sha256"]
    assert sha() == hashlib.sha256(W_BYTES).hexdigest()
    changed = W_BYTES[::-1]
    (path.parent / "w.bin").write_bytes(changed)
    os.utime(path.parent / "w.bin", ns=(1, 1))  # a rewrite within the same mtime tick is still seen
    assert sha() == hashlib.sha256(changed).hexdigest()


def test_broken_models_go_out_as_they_are(tmp_path):
    write_model(tmp_path / "mine" / "missing", graph_model(paths=("w.bin", "gone.bin")), {"w.bin": W_BYTES})
    (tmp_path / "mine" / "bad").mkdir()
    (tmp_path / "mine" / "bad" / "model.json").write_text("{ nope")
    client = client_for(tmp_path, tmp_path / "mine")
    assert list(shard_records(client.get("/user-models/missing/model.json").json())) == ["w.bin"]
    assert client.get("/user-models/missing/gone.bin").status_code == 404
    assert client.get("/user-models/bad/model.json").text == "{ nope"


@pytest.mark.parametrize("folder, error", [("nothere", "not a folder"),
                                           ("empty", "no model.json in it, nor in any folder directly under it")])
def test_folders_that_are_no_models_are_refused(tmp_path, folder, error):
    (tmp_path / "empty").mkdir()
    with pytest.raises(PyappError) as refused:
        create_app(paths(tmp_path), [tmp_path / folder])
    assert str(refused.value) == f"--models {tmp_path / folder}: {error}"


def test_two_models_of_one_name_are_refused(tmp_path):
    for where in ("a", "b"):
        write_model(tmp_path / where / "same", graph_model(), {"w.bin": W_BYTES})
    with pytest.raises(PyappError, match="two model folders are named 'same'"):
        create_app(paths(tmp_path), [tmp_path / "a", tmp_path / "b"])
