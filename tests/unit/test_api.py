import re

import numpy as np
import pytest
from PIL import Image
from specs import node, spec

from pyapp.api import BACKENDS, GraphModel, load_graph_model
from pyapp.errors import InputError, PyappError

MODELS = ("selfie", "meet", "blazeface", "posenet", "movenet-lightning", "emotion", "mobilefacenet")


def image_for(model: GraphModel, path) -> np.ndarray:
    """The image resized to the model's input; 0..1 floats, or 0..255 ints for int inputs."""
    t = model.inputs[0]
    _, h, w, c = t.shape
    img = Image.open(path).convert("L" if c == 1 else "RGB").resize((w, h), Image.BILINEAR)
    pixels = np.asarray(img).reshape(1, h, w, c)
    return pixels.astype(np.int32) if t.dtype == "int32" else pixels.astype(np.float32) / 255


@pytest.fixture(scope="module")
def models(assets_dir):
    return {name: load_graph_model(str(assets_dir / "models" / name / "model.json")) for name in MODELS}


@pytest.mark.parametrize("name", MODELS)
def test_real_models_run_on_a_real_image(models, assets_dir, name):
    model = models[name]
    result = model.predict(image_for(model, assets_dir / "images/astronaut.png"))
    outputs = result if isinstance(result, dict) else {model.outputs[0].name: result}
    assert list(outputs) == [t.name for t in model.outputs]
    for t in model.outputs:
        got = outputs[t.name]
        assert got.dtype == np.float32 and np.isfinite(got).all(), t.name
        assert len(got.shape) == len(t.shape) and all(d is None or d == g for d, g in zip(t.shape, got.shape)), t.name
        assert np.ptp(got) > 0, t.name  # not a constant map


def test_segmenters_find_the_astronaut(models, assets_dir):
    mask = models["selfie"].predict(image_for(models["selfie"], assets_dir / "images/astronaut.png"))
    assert 0.3 < (mask > 0.5).mean() < 0.8
    coffee = models["selfie"].predict(image_for(models["selfie"], assets_dir / "images/coffee.png"))
    assert (coffee > 0.5).mean() < (mask > 0.5).mean() / 2  # a coffee cup is much less of a person


def test_signatures_and_inferred_output_shapes(models):
    assert [(t.name, t.dtype, t.shape) for t in models["movenet-lightning"].inputs] == [("input", "int32", (1, 192, 192, 3))]
    assert [(t.name, t.shape) for t in models["mobilefacenet"].outputs] == [("embeddings", (None, 192))]
    assert [t.shape for t in models["blazeface"].outputs] == [(1, 384, 16), (1, 512, 1), (1, 384, 1), (1, 512, 16)]


def test_intermediate_outputs(models):
    model = models["emotion"]
    x = np.random.default_rng(0).random((2, 64, 64, 1), np.float32)
    names = [n for n in model.graph.nodes if model.graph.nodes[n].op == "MaxPool"]
    got = model.predict(x, outputs=[names[0], "Identity"])
    assert list(got) == [names[0], "Identity"] and got[names[0]].shape[0] == 2 and got["Identity"].shape == (2, 7)
    np.testing.assert_allclose(got["Identity"], model.predict(x), rtol=1e-6)
    assert model.predict(x, outputs=names[0]).shape == got[names[0]].shape
    with pytest.raises(InputError, match="no tensor named 'nope'"):
        model.predict(x, outputs=["nope"])


@pytest.mark.parametrize(
    "outputs, message",
    [
        (["Identity:5"], "emotion/model.json: no tensor named 'Identity:5': node 'Identity' (Identity) has 1 output"),
        (["Identity", "input_1:1"], "no tensor named 'input_1:1': node 'input_1' (Placeholder) has 1 output"),
        (["Identity:x"], "no tensor named 'Identity:x' (outputs: Identity)"),
        ([":0"], "no tensor named ':0'"),
        ([3], "output names must be strings, got 3"),
    ],
)
def test_unknown_output_index_or_malformed_name(models, outputs, message):
    with pytest.raises(InputError, match=re.escape(message)):
        models["emotion"].predict(np.zeros((1, 64, 64, 1), np.float32), outputs=outputs)


@pytest.mark.parametrize(
    "x, message",
    [
        (np.zeros((1, 64, 64, 3), np.float32), r"input 'input_1': expected shape \(\?, 64, 64, 1\), got \(1, 64, 64, 3\)"),
        (np.zeros((64, 64, 1), np.float32), r"expected shape \(\?, 64, 64, 1\), got \(64, 64, 1\)"),
        (np.zeros((1, 64, 64, 1), bool), "input 'input_1': expected dtype float32, got bool"),
        ({"image": np.zeros((1, 64, 64, 1))}, "unknown input 'image' \\(inputs: input_1\\)"),
        ({}, "missing input 'input_1'"),
    ],
)
def test_input_errors_name_the_input(models, x, message):
    with pytest.raises(InputError, match=message):
        models["emotion"].predict(x)


def test_inputs_are_cast_to_the_signature(models):
    model = models["movenet-lightning"]
    pixels = np.full((1, 192, 192, 3), 128, np.uint8)
    np.testing.assert_array_equal(model.predict(pixels), model.predict({"input:0": pixels.astype(np.int64)}))
    with pytest.raises(InputError, match="input 'input': expected dtype int32, got float32"):
        model.predict(pixels.astype(np.float32))
    emotion = models["emotion"]
    np.testing.assert_array_equal(emotion.predict(np.zeros((1, 64, 64, 1), np.uint8)), emotion.predict(np.zeros((1, 64, 64, 1), np.float64)))


def test_multi_input_models_take_dicts():
    model = GraphModel.from_spec(spec([node("s", "Sub", "a", "b")], inputs={"a": (2,), "b": (2,)}), {})
    assert model.predict({"a": [5.0, 6.0], "b:0": [1.0, 1.0]}).tolist() == [4.0, 5.0]
    with pytest.raises(InputError, match="2 inputs \\(a, b\\): pass a dict"):
        model.predict(np.zeros(2))


def test_unknown_or_unavailable_backend(monkeypatch):
    with pytest.raises(PyappError, match="unknown backend 'metal'"):
        GraphModel.from_spec(spec([node("r", "Relu", "x")]), {}, backend="metal")
    monkeypatch.setitem(BACKENDS, "gpu", "pyapp.backends.no_such_module")
    with pytest.raises(PyappError, match="backend 'gpu' cannot run here: No module named 'pyapp.backends.no_such_module'"):
        GraphModel.from_spec(spec([node("r", "Relu", "x")]), {}, backend="gpu")


def test_summary(models):
    text = models["selfie"].summary()
    assert "input_1" in text and "(1, 256, 256, 3)" in text and "activation_10" in text
    # 43 Conv2D + 11 depthwise, each with its bias Add (and Relu / Sigmoid when there is one), fused
    assert "_FusedConv2D 42" in text and "FusedDepthwiseConv2dNative 11" in text and "139 to run after graph passes" in text
