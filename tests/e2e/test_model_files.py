"""What the worker refuses in a model or a request: the same pure checks as CPython (pyapp.model,
pyapp.wire), reached through the real server and page."""

import json
import shutil
import uuid

import pytest


@pytest.fixture
def crafted(assets_dir):
    """A served folder (a dot folder: not in the picker) for a hand-made model.json."""
    name = f".sec-model-{uuid.uuid4().hex[:8]}"
    folder = assets_dir / "served-models" / name
    folder.mkdir()
    yield folder, f"/models/{name}/model.json"
    shutil.rmtree(folder)


def call_error(page, method: str, args: dict) -> str:
    message = page.evaluate("([m, a]) => window.pyapp.call(m, a).then(() => null, (e) => e.message)", [method, args])
    assert message is not None, f"{method} succeeded"
    return message


def test_a_shard_path_outside_the_model_folder_is_refused_before_any_shard_request(ready_page, crafted, assets_dir):
    folder, url = crafted
    model = json.loads((assets_dir / "served-models/selfie/model.json").read_text())
    model["weightsManifest"][0]["paths"] = ["../selfie/group1-shard1of1.bin"]
    (folder / "model.json").write_text(json.dumps(model))
    requests = []
    ready_page.on("request", lambda r: requests.append(r.url))
    message = call_error(ready_page, "load_model", {"url": url})
    assert "weightsManifest[0].paths[0]: shard path '../selfie/group1-shard1of1.bin' climbs out of the model's folder" in message
    assert not [r for r in requests if r.endswith(".bin")]


def test_predict_data_that_does_not_fill_its_shape_is_an_input_error(ready_page):
    model = ready_page.evaluate("window.pyapp.loadModel('/models/emotion/model.json').then((m) => m.model)")
    message = ready_page.evaluate("""(model) => window.pyapp.call("predict", {model, inputs:
        {dtype: "float32", shape: [1, 64, 64, 1], data: new Float32Array(4095)}}).then(() => null, (e) => e.message)""", model)
    assert message is not None and "array data holds 4,095 values, shape [1, 64, 64, 1] needs 4,096" in message
