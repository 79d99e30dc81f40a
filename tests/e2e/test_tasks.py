"""pyapp.tasks in the worker (pyapp/browser/tasks_methods.py): task_load / task_run answer plain
results for an ImageBitmap or a wire-format array; decode + NMS timed in the worker."""

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

FACE = np.array([175, 75, 275, 180])  # the astronaut's face, checked by eye (tests/unit/test_tasks_face.py)
RUN_BITMAP = """async ([task, b64]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const bitmap = await createImageBitmap(new Blob([bytes], { type: "image/png" }));
  return await window.pyapp.call("task_run", { task, image: bitmap }, [bitmap]);
}"""


def call(page, method, params):
    return page.evaluate("([m, p]) => window.pyapp.call(m, p).catch((e) => ({error: e.message}))", [method, params])


@pytest.fixture(scope="module")
def png(assets_dir):
    return base64.b64encode((assets_dir / "images" / "astronaut.png").read_bytes()).decode()


@pytest.mark.parametrize("backend", ["auto", "cpu"])
def test_faces_in_an_image_bitmap(ready_page, png, backend, output_path):
    loaded = call(ready_page, "task_load", {"kind": "face", "url": "/models/blazeface/model.json", "backend": backend})
    assert "error" not in loaded, loaded
    if backend == "auto":  # load_model's measured probe: the fastest here, and its times
        assert loaded["reason"].startswith("auto: fastest") and loaded["backend"] in loaded["reason"], loaded["reason"]
    else:
        assert loaded["backend"] == "cpu" and loaded["reason"] == "chosen", loaded["reason"]
    assert loaded["preprocess"] == {"input_size": [256, 256], "resize": "letterbox", "value_range": "signed"}
    runs = [ready_page.evaluate(RUN_BITMAP, [loaded["task"], png]) for _ in range(10)]
    (face,) = runs[-1]["faces"]
    assert (runs[-1]["width"], runs[-1]["height"]) == (512, 512)
    assert np.abs(np.array(face["box"]) - FACE).max() <= 12, face["box"]
    assert [k["name"] for k in face["keypoints"]][:2] == ["right_eye", "left_eye"]
    timings = {k: float(np.median([r["timings"][k] for r in runs[1:]])) for k in runs[-1]["timings"]}
    out = Path(output_path)  # test-results/<this test>/: the worker's medians (ms), for the README
    out.mkdir(parents=True, exist_ok=True)
    (out / "timings.json").write_text(json.dumps({"backend": loaded["backend"], "median_ms": timings}, indent=2))
    assert call(ready_page, "task_dispose", {"task": loaded["task"]}) is True


def test_emotion_of_a_face_crop_sent_as_an_array(ready_page, assets_dir):
    crop = np.asarray(Image.open(assets_dir / "images" / "astronaut.png").convert("RGB"))[74:179, 172:277]
    loaded = call(ready_page, "task_load", {"kind": "classify", "url": "/models/emotion/model.json", "backend": "cpu",
                                            "options": {"top_k": 2}})
    result = ready_page.evaluate("""async ([task, data, shape]) => window.pyapp.call("task_run",
        { task, image: { dtype: "uint8", shape, data: Uint8Array.from(data) } })""", [loaded["task"], crop.ravel().tolist(), list(crop.shape)])
    assert [c["label"] for c in result["categories"]][0] == "happy" and len(result["categories"]) == 2


def test_bad_calls_are_named(ready_page):
    assert "unknown task kind 'faces'" in call(ready_page, "task_load", {"kind": "faces", "url": "/models/blazeface/model.json"})["error"]
    assert "no loaded task 't999'" in call(ready_page, "task_run", {"task": "t999", "image": {}})["error"]
    wrong = call(ready_page, "task_load", {"kind": "face", "url": "/models/selfie/model.json", "backend": "cpu"})
    assert "model 'selfie' is a 'segment' model, not 'face'" in wrong["error"]
