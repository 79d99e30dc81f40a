"""The wasm backend in Chromium's worker: each kernel family against the numpy executor on random
shapes (odd sizes, strides, padding), the seven models against TF.js's outputs, the page round trip.
One page for the whole module."""

import re

import numpy as np
import pytest

from conftest import poll, wait_for_state
from test_webgl import call, gl_page as wasm_page, golden, python  # noqa: F401  (the same page: golden files under /golden/)

MODELS = ("selfie", "meet", "blazeface", "posenet", "movenet-lightning", "emotion", "mobilefacenet")
TOLERANCE = 2e-3  # of the reference's range, as for webgl (bench/cases.py)


HELPERS = r'''
import numpy as np
from pyapp.backends import cpu, wasm
from pyapp.graph import Graph, Node
from pyapp.ops import OPS, Info

rng = np.random.default_rng(SEED)
R = lambda *shape: rng.standard_normal(shape).astype(np.float32)


def graph(op, inputs, raw=None):
    """One node reading placeholders (arrays) and constants (("const", array))."""
    nodes, consts, feeds, args = {}, {}, {}, []
    for i, x in enumerate(inputs):
        name = f"in{i}"
        if isinstance(x, tuple):
            nodes[name] = Node(name, "Const", ())
            consts[(name, 0)] = np.asarray(x[1])
        else:
            nodes[name] = Node(name, "Placeholder", (), Info(x.shape, "float32"))
            feeds[name] = x
        args.append((name, 0))
    raw = raw or {}
    nodes["y"] = Node("y", op, tuple(args), OPS[op].parse(raw), raw)
    return Graph(nodes, consts, tuple(feeds), {"y": ("y", 0)}), feeds


def check(label, op, inputs, raw=None):
    """[label, max error over the reference's range (at least 1), shapes equal, steps in wasm, steps in numpy]"""
    g, feeds = graph(op, inputs, raw)
    runner = wasm.compile(g)
    got = runner.run(feeds)["y"]
    want = cpu.compile(g).run(feeds)["y"]
    stats = runner.stats()
    err = float(np.abs(got.astype(np.float64) - want).max()) / max(1.0, float(np.ptp(want)))
    return [label, err, list(got.shape) == list(want.shape), stats["wasm"], stats["numpy"]]


def conv_raw(stride, padding, fused=None, dilation=1):
    raw = {"strides": [1, stride, stride, 1], "padding": padding, "dilations": [1, dilation, dilation, 1]}
    if padding == "EXPLICIT":
        raw["explicit_paddings"] = [0, 0, 1, 2, 2, 0, 0, 0]
    if fused:
        raw.update(fused_ops=fused, num_args=1)
    return raw
'''

KERNEL_CASES = {
    "gemm": r'''
x, r = R(1, 6, 7, 24), R(1, 6, 7, 24)
nodes = {"x": Node("x", "Placeholder", (), Info(x.shape, "float32")),
         "r": Node("r", "Placeholder", (), Info(r.shape, "float32")),
         "w": Node("w", "Const", ()), "b": Node("b", "Const", ())}
raw = conv_raw(1, "VALID", ["BiasAdd"])
nodes["conv"] = Node("conv", "_FusedConv2D", (("x", 0), ("w", 0), ("b", 0)), OPS["_FusedConv2D"].parse(raw), raw)
nodes["add"] = Node("add", "AddV2", (("conv", 0), ("r", 0)), OPS["AddV2"].parse({}))
nodes["y"] = Node("y", "Relu", (("add", 0),), OPS["Relu"].parse({}))
g = Graph(nodes, {("w", 0): R(1, 1, 24, 24), ("b", 0): R(24)}, ("x", "r"), {"y": ("y", 0)})
runner = wasm.compile(g)
got, want = runner.run({"x": x, "r": r})["y"], cpu.compile(g).run({"x": x, "r": r})["y"]
cases = [["conv + residual add + relu in one gemm", float(np.abs(got - want).max()) / float(np.ptp(want)), got.shape == want.shape,
          runner.stats()["wasm"], runner.stats()["numpy"]]]
for h, w, ci, co, act in [(7, 5, 3, 13, "Relu"), (1, 1, 96, 24, "Sigmoid"), (16, 16, 16, 72, "Relu6"), (3, 9, 33, 8, None), (2, 3, 5, 1, "Tanh")]:
    fused = ["BiasAdd", act] if act else ["BiasAdd"]
    cases.append(check(f"1x1 {h}x{w}x{ci}->{co} {act}", "_FusedConv2D", [R(1, h, w, ci), ("const", R(1, 1, ci, co)), ("const", R(co))], conv_raw(1, "SAME", fused)))
cases.append(check("matmul 7x19 @ 19x10 + bias, relu", "_FusedMatMul", [R(7, 19), ("const", R(19, 10)), ("const", R(10))], {"fused_ops": ["BiasAdd", "Relu"], "num_args": 1}))
cases.append(check("matmul transpose_b", "MatMul", [R(5, 8), ("const", R(3, 8))], {"transpose_b": True}))
cases
''',
    "conv": r'''
cases = []
for h, w, ci, co, k, stride, padding, dil in [(9, 11, 3, 16, 3, 2, "SAME", 1), (8, 7, 5, 6, 3, 1, "VALID", 1), (10, 10, 4, 9, 5, 2, "SAME", 1),
                                           (6, 9, 3, 4, 3, 1, "EXPLICIT", 1), (9, 9, 2, 5, 3, 1, "SAME", 2), (7, 7, 8, 12, 1, 2, "VALID", 1)]:
    cases.append(check(f"conv {k}x{k}/{stride} {padding} d{dil} {h}x{w}x{ci}->{co}", "_FusedConv2D",
                       [R(1, h, w, ci), ("const", R(k, k, ci, co)), ("const", R(co))], conv_raw(stride, padding, ["BiasAdd", "Relu"], dil)))
cases.append(check("conv2d, no bias, batch 2", "Conv2D", [R(2, 6, 5, 3), ("const", R(3, 3, 3, 7))], conv_raw(2, "SAME")))
for h, w, ci, co, k, stride, padding in [(256, 256, 1, 16, 2, 2, "SAME"), (9, 11, 3, 5, 3, 2, "SAME"), (8, 7, 4, 6, 3, 1, "VALID"), (10, 9, 2, 3, 4, 3, "SAME")]:
    ho, wo = (-(-h // stride), -(-w // stride)) if padding == "SAME" else ((h - k) // stride + 1, (w - k) // stride + 1)
    cases.append(check(f"transposed {k}x{k}/{stride} {padding} -> {h}x{w}x{ci}", "Conv2DBackpropInput",
                       [("const", np.array([1, h, w, ci], np.int32)), ("const", R(k, k, ci, co)), R(1, ho, wo, co)], conv_raw(stride, padding)))
cases
''',
    "depthwise": r'''
cases = []
for h, w, c, k, stride, padding, act in [(9, 11, 16, 3, 2, "SAME", "Relu"), (8, 8, 7, 3, 1, "SAME", "Relu6"), (12, 10, 24, 5, 2, "SAME", None),
                                         (16, 16, 96, 5, 1, "SAME", None), (7, 9, 5, 3, 1, "VALID", "Relu"), (6, 6, 8, 3, 2, "EXPLICIT", None)]:
    fused = ["BiasAdd", act] if act else ["BiasAdd"]
    cases.append(check(f"dw {k}x{k}/{stride} {padding} {h}x{w}x{c} {act}", "FusedDepthwiseConv2dNative",
                       [R(1, h, w, c), ("const", R(k, k, c, 1)), ("const", R(c))], conv_raw(stride, padding, fused)))
cases.append(check("dw dilation 2, no bias", "DepthwiseConv2dNative", [R(1, 9, 9, 12), ("const", R(3, 3, 12, 1))], conv_raw(1, "SAME", None, 2)))
for c in (24, 7):  # relu(depthwise) + r in one pass: the Add reads the activated output
    x, r = R(1, 9, 8, c), R(1, 9, 8, c)
    raw = conv_raw(1, "SAME", ["BiasAdd", "Relu"])
    nodes = {"x": Node("x", "Placeholder", (), Info(x.shape, "float32")), "r": Node("r", "Placeholder", (), Info(r.shape, "float32")),
             "w": Node("w", "Const", ()), "b": Node("b", "Const", ()),
             "dw": Node("dw", "FusedDepthwiseConv2dNative", (("x", 0), ("w", 0), ("b", 0)), OPS["FusedDepthwiseConv2dNative"].parse(raw), raw),
             "y": Node("y", "AddV2", (("r", 0), ("dw", 0)), OPS["AddV2"].parse({}))}
    g = Graph(nodes, {("w", 0): R(3, 3, c, 1), ("b", 0): R(c)}, ("x", "r"), {"y": ("y", 0)})
    runner = wasm.compile(g)
    got, want = runner.run({"x": x, "r": r})["y"], cpu.compile(g).run({"x": x, "r": r})["y"]
    cases.append([f"relu(dw) + residual, {c} channels", float(np.abs(got - want).max()) / float(np.ptp(want)), got.shape == want.shape,
                  runner.stats()["wasm"], runner.stats()["numpy"]])
cases
''',
    "elementwise": r'''
x, s = R(1, 5, 7, 9), R(1, 1, 1, 9)
cases = [check(f"{op} same shape", op, [R(1, 5, 7, 9), R(1, 5, 7, 9)]) for op in ("Add", "Sub", "Mul", "RealDiv", "Maximum", "Minimum", "SquaredDifference")]
cases += [
    check("mul by scalar", "Mul", [("const", np.float32(1.5)), x]),
    check("sub from scalar", "Sub", [("const", np.float32(2.0)), x]),
    check("div by per-channel tensor", "RealDiv", [x, s]),
    check("sub per-channel first", "Sub", [s, x]),
    check("bias add", "BiasAdd", [x, ("const", R(9))]),
    check("add const full", "AddV2", [x, ("const", R(1, 5, 7, 9))]),
    check("addn of 3", "AddN", [x, R(1, 5, 7, 9), R(1, 5, 7, 9)]),
]
cases += [check(op, op, [R(3, 7, 5) * 4]) for op in ("Relu", "Relu6", "Sigmoid", "Tanh", "Abs", "Neg", "Square", "Exp")]
cases
''',
    "pool": r'''
cases = []
for h, w, c, k, stride, padding in [(9, 11, 6, 3, 2, "SAME"), (8, 8, 16, 2, 2, "VALID"), (16, 16, 96, 16, 16, "VALID"), (7, 6, 5, 3, 1, "SAME"), (128, 128, 16, 128, 128, "VALID")]:
    raw = {"ksize": [1, k, k, 1], "strides": [1, stride, stride, 1], "padding": padding}
    x = R(1, h, w, c) + 3  # a mean far from 0: float32 sums would drift
    cases.append(check(f"avg {k}/{stride} {padding} {h}x{w}x{c}", "AvgPool", [x], raw))
    cases.append(check(f"max {k}/{stride} {padding} {h}x{w}x{c}", "MaxPool", [x], raw))
cases
''',
    "resize": r'''
cases = []
for h, w, c, oh, ow, align, half in [(16, 16, 128, 32, 32, False, True), (5, 7, 3, 11, 4, True, False), (6, 6, 5, 13, 9, False, False), (1, 1, 4, 3, 3, True, False)]:
    raw = {"align_corners": align, "half_pixel_centers": half}
    cases.append(check(f"bilinear {h}x{w}x{c}->{oh}x{ow} align={align} half={half}", "ResizeBilinear", [R(1, h, w, c), ("const", np.array([oh, ow], np.int32))], raw))
cases
''',
    "copy": r'''
cases = [
    check("concat channels", "ConcatV2", [R(1, 4, 5, 3), R(1, 4, 5, 6), ("const", np.int32(-1))]),
    check("concat rows", "ConcatV2", [R(1, 4, 5, 3), R(1, 2, 5, 3), ("const", np.int32(1))]),
    check("pad h, w, c", "Pad", [R(1, 5, 6, 3), ("const", np.array([[0, 0], [1, 2], [0, 3], [2, 1]], np.int32))]),
    check("padv2 value", "PadV2", [R(1, 4, 4, 8), ("const", np.array([[0, 0], [1, 1], [1, 1], [0, 0]], np.int32)), ("const", np.float32(-1.5))]),
]
cases
''',
}


@pytest.mark.parametrize("family", KERNEL_CASES)
def test_kernels_match_numpy(wasm_page, family):
    cases = python(wasm_page, HELPERS.replace("SEED", str(len(family))) + KERNEL_CASES[family])
    assert isinstance(cases, list), cases
    bad = [c for c in cases if not (c[1] <= 2e-5 and c[2])]
    assert not bad, bad
    fallbacks = [c for c in cases if c[3] != 1 or c[4] != 0]  # each case ran as one wasm step, none in numpy
    assert not fallbacks, fallbacks


@pytest.mark.parametrize("name", MODELS)
def test_model_matches_tfjs(wasm_page, golden, name):
    case = golden[name]["cases"]["astronaut"]
    code = f'''
import numpy as np
from pyapp.api import GraphModel
from pyapp.browser.webgl_methods import fetch_model, fetch_npy, error_of
spec, weights = await fetch_model("/models/{name}/model.json")
model = GraphModel(spec, weights, backend="wasm")
names = list(model.output_names)
x = await fetch_npy("/golden/{case['input']}")
got = model.predict({{model.inputs[0].name: x}}, names)
wants = [await fetch_npy("/golden/" + o) for o in {case['outputs']!r}]
{{"outputs": [error_of(got[n], w) for n, w in zip(names, wants)], "stats": model.runner(tuple(names)).stats()}}
'''
    result = python(wasm_page, code)
    assert isinstance(result, dict) and "outputs" in result, result
    for out in result["outputs"]:
        assert out["shape"] == out["want_shape"] and out["finite"]
        assert out["relative"] <= TOLERANCE, out
    stats = result["stats"]
    assert "unavailable" not in stats, stats
    heavy = {"Conv2D", "_FusedConv2D", "DepthwiseConv2dNative", "FusedDepthwiseConv2dNative", "MatMul", "_FusedMatMul"}
    assert not heavy & set(stats["numpy_ops"]) and stats["wasm"] > stats["numpy"], stats  # the kernels did the work


def test_page_round_trip_moves_the_outputs(wasm_page, golden, assets_dir):
    """load_model(url, "wasm") and predict from the page: the input's buffer moves to the worker (the
    page's copy is detached), outputs arrive as Float32Arrays (moved, not copied), matching the golden
    outputs."""
    case = golden["selfie"]["cases"]["astronaut"]
    result = wasm_page.evaluate('''async ([inputUrl, shape]) => {
      const loaded = await window.pyapp.call("load_model", {url: "/models/selfie/model.json", backend: "wasm"});
      const raw = new Uint8Array(await (await fetch(inputUrl)).arrayBuffer());
      const header = 10 + (raw[8] | (raw[9] << 8));  // .npy v1 header
      const data = new Float32Array(raw.slice(header).buffer);
      const reply = await window.pyapp.call("predict", {model: loaded.model, inputs: {dtype: "float32", shape, data}}, [data.buffer]);
      const [name, out] = Object.entries(reply.outputs)[0];
      return {backend: loaded.backend, name, kind: out.data.constructor.name, length: out.data.length,
              shape: out.shape, sum: out.data.reduce((a, b) => a + b, 0), input_left: data.buffer.byteLength};
    }''', ["/golden/" + case["input"], golden["selfie"]["input"][0]["shape"]])
    assert result["backend"] == "wasm"
    assert result["kind"] == "Float32Array" and result["length"] == 256 * 256, result
    assert result["input_left"] == 0  # transferred, not cloned
    assert result["shape"] == [1, 256, 256, 1]
    want = np.load(assets_dir / "golden" / case["outputs"][0]).astype(np.float64).sum()
    assert abs(result["sum"] - want) <= 1e-3 * want


def test_auto_probes_the_backends_and_says_why(wasm_page):
    """load_model(url, "auto") times wasm, webgl and cpu on the model and keeps the fastest; the page
    says which and why (?backend=auto preselects it)."""
    result = call(wasm_page, "load_model", {"url": "/models/meet/model.json", "backend": "auto"})
    assert "error" not in result, result
    times = dict(re.findall(r"(wasm|webgl|cpu) ([0-9.]+) ms", result["choice"]))
    assert set(times) == {"wasm", "webgl", "cpu"}, result["choice"]
    assert result["backend"] == min(times, key=lambda b: float(times[b]))
    page = wasm_page.context.new_page()
    page.goto(wasm_page.url + "?backend=auto")
    assert wait_for_state(page) == "ready"
    page.click("#model-form button[type=submit]")
    poll(page, "document.getElementById('model-status').dataset.state === 'loaded'", 120_000)
    assert "(auto: fastest in a 3-run probe (" in page.locator("#model-status").text_content()
    page.close()


def test_new_input_shapes_plan_a_new_arena(wasm_page):
    """emotion takes any batch: each new batch size is planned (and warmed) anew, results match numpy."""
    code = '''
import numpy as np
from pyapp.api import GraphModel
from pyapp.browser.webgl_methods import fetch_model
spec, weights = await fetch_model("/models/emotion/model.json")
fast, reference = GraphModel(spec, weights, backend="wasm"), GraphModel(spec, weights, backend="cpu")
rng = np.random.default_rng(3)
out = []
for batch in (1, 3, 1):
    x = rng.uniform(0, 1, (batch, 64, 64, 1)).astype(np.float32)
    got, want = fast.predict(x), reference.predict(x)
    runner = fast.runner()
    out.append([list(got.shape), float(np.abs(got - want).max()), runner.executor.shapes[spec.inputs[0].name][0], runner.stats()["wasm"]])
out
'''
    result = python(wasm_page, code)
    assert isinstance(result, list), result
    assert [r[0] for r in result] == [[1, 7], [3, 7], [1, 7]]
    assert all(r[1] <= 1e-5 and r[3] > 0 for r in result), result
    assert [r[2] for r in result] == [1, 3, 1]
