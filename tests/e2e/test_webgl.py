"""The WebGL2 backend in Chromium's worker: every op against its numpy kernel, the seven models against
TF.js's outputs, resource counts, errors. One page for the whole module."""

import pytest

from conftest import wait_for_state
from tools.golden import ensure

MODELS = ("selfie", "meet", "blazeface", "posenet", "movenet-lightning", "emotion", "mobilefacenet")


@pytest.fixture(scope="module")
def gl_page(browser, server_url, assets_dir):
    """A ready page that also serves $PYAPP_ASSETS/golden under /golden/."""
    context = browser.new_context()
    page = context.new_page()
    golden = assets_dir / "golden"
    page.route("**/golden/**", lambda route: route.fulfill(
        body=(golden / route.request.url.split("/golden/", 1)[1]).read_bytes()))
    page.goto(server_url + "/")
    assert wait_for_state(page) == "ready"
    yield page
    context.close()


def call(page, method, params=None):
    return page.evaluate("([m, p]) => window.pyapp.call(m, p).catch((e) => ({error: e.message}))", [method, params or {}])


def python(page, code):
    return call(page, "run_python", {"code": code})


@pytest.fixture(scope="module")
def golden(assets_dir):
    return ensure(assets_dir)["models"]


@pytest.mark.parametrize("name", MODELS)
def test_model_matches_tfjs(gl_page, golden, name):
    case = golden[name]["cases"]["astronaut"]
    result = call(gl_page, "webgl_check_model", {
        "model_url": f"/models/{name}/model.json", "input_url": "/golden/" + case["input"],
        "output_urls": ["/golden/" + o for o in case["outputs"]]})
    assert "error" not in result, result.get("error")
    for out in result["outputs"]:
        assert out["shape"] == out["want_shape"] and out["finite"]
        assert out["relative"] <= 1e-3, out
    assert result["draws"] < result["gpu_nodes"] or name == "posenet"  # posenet's graph is already fused
    assert result["storage"] == "float32"


@pytest.mark.parametrize("name", ["selfie", "meet", "blazeface"])
def test_float16_storage_runs_with_half_precision_error(gl_page, golden, name):
    """float16 activations (the path for contexts without EXT_color_buffer_float) work, but miss
    DESIGN.md's 2e-3 bound on these models (measured: README, Performance)."""
    case = golden[name]["cases"]["coffee"]
    result = call(gl_page, "webgl_check_model", {
        "model_url": f"/models/{name}/model.json", "input_url": "/golden/" + case["input"],
        "output_urls": ["/golden/" + o for o in case["outputs"]], "storage": "float16"})
    assert "error" not in result, result.get("error")
    assert result["storage"] == "float16"
    errors = [out["relative"] for out in result["outputs"]]
    assert all(out["finite"] for out in result["outputs"]) and max(errors) <= 0.1, errors
    assert max(errors) > 1e-4, errors  # the storage really is half precision


HELPERS = r'''
from collections import Counter

import numpy as np
from pyapp.backends import cpu, webgl
from pyapp.browser.gl import Host
from pyapp.browser.gl import shared_context as context
from pyapp.graph import Graph, Node
from pyapp.ops import OPS, Info

rng = np.random.default_rng(1)
R = lambda *shape: rng.standard_normal(shape).astype(np.float32)
P = lambda *shape: rng.uniform(0.5, 2.0, shape).astype(np.float32)
I = lambda *v: np.array(v, np.int32)


def graph(op, inputs, raw=None, on_gpu=True):
    """One node reading placeholders (arrays) and constants (("const", array)). on_gpu: each
    placeholder first goes through a zero Pad, so elementwise ops have a GPU input to follow."""
    nodes, consts, feeds, args = {}, {}, {}, []
    for i, x in enumerate(inputs):
        name = f"in{i}"
        if isinstance(x, tuple):
            nodes[name] = Node(name, "Const", ())
            consts[(name, 0)] = x[1]
            args.append((name, 0))
            continue
        nodes[name] = Node(name, "Placeholder", (), Info(x.shape, "float32"))
        feeds[name] = x
        if on_gpu:
            nodes["zeros" + name] = Node("zeros" + name, "Const", ())
            consts[("zeros" + name, 0)] = np.zeros((x.ndim, 2), np.int32)
            nodes["pad" + name] = Node("pad" + name, "Pad", ((name, 0), ("zeros" + name, 0)), OPS["Pad"].parse({}))
            args.append(("pad" + name, 0))
        else:
            args.append((name, 0))
    raw = raw or {}
    nodes["y"] = Node("y", op, tuple(args), OPS[op].parse(raw), raw)
    return Graph(nodes, consts, tuple(feeds), {"y": ("y", 0)}), feeds


def check(label, op, inputs, raw=None, on_gpu=True):
    g, feeds = graph(op, inputs, raw, on_gpu)
    runner = webgl.compile(g, gl=context(), host=Host)
    try:
        got = runner.run(feeds)["y"]
        want = cpu.compile(g).run(feeds)["y"]
        draws = runner.stats()["draws"]
    finally:
        runner.dispose()
    err = float(np.abs(got.astype(np.float64) - want).max()) / max(1.0, float(np.ptp(want)))
    return [label, err, list(got.shape) == list(want.shape) and float(np.abs(want).max()) > 0, draws]


class Counting:
    """The context, counting every create* / delete* call made through it."""

    def __init__(self, gl):
        self.gl, self.calls = gl, Counter()

    def __getattr__(self, name):
        attr = getattr(self.gl, name)
        if name.startswith(("create", "delete")):
            def counted(*args):
                self.calls[name] += 1
                return attr(*args)
            return counted
        return attr


KINDS = ("Texture", "Framebuffer", "Buffer", "Program", "Shader")


'''

OP_CASES = HELPERS + r'''
win = lambda s=1, pad="SAME", d=1: {"strides": [1, s, s, 1], "padding": pad, "dilations": [1, d, d, 1]}
cases = [
    check("conv 3x3 s1", "Conv2D", [R(1, 7, 9, 5), ("const", R(3, 3, 5, 7))], win()),
    check("conv 3x3 s2", "Conv2D", [R(1, 8, 9, 3), ("const", R(3, 3, 3, 16))], win(2)),
    check("conv 5x5 valid dilated", "Conv2D", [R(2, 12, 11, 4), ("const", R(5, 3, 4, 6))], win(1, "VALID", 2)),
    check("conv 1x1", "Conv2D", [R(1, 6, 5, 9), ("const", R(1, 1, 9, 13))], win()),
    check("conv wide", "Conv2D", [R(1, 3, 3, 256), ("const", R(1, 1, 256, 80))], win()),
    check("fused conv bias relu6", "_FusedConv2D", [R(1, 6, 6, 4), ("const", R(3, 3, 4, 8)), ("const", R(8))],
          {**win(), "fused_ops": ["BiasAdd", "Relu6"], "num_args": 1}),
    check("fused conv bias prelu", "_FusedConv2D", [R(1, 6, 6, 4), ("const", R(1, 1, 4, 6)), ("const", R(6)), ("const", R(6))],
          {**win(), "fused_ops": ["BiasAdd", "Prelu"], "num_args": 2}),
    check("fused conv bias leakyrelu", "_FusedConv2D", [R(1, 6, 6, 4), ("const", R(1, 1, 4, 6)), ("const", R(6))],
          {**win(), "fused_ops": ["BiasAdd", "LeakyRelu"], "num_args": 1, "leakyrelu_alpha": 0.1}),
    check("conv 5x5 s2 from 3 channels", "Conv2D", [R(1, 11, 12, 3), ("const", R(5, 5, 3, 8))], win(2)),
    check("conv 5x5 s1 same", "Conv2D", [R(1, 7, 6, 6), ("const", R(5, 5, 6, 5))], win()),
    check("conv 3x3 from 4 channels", "Conv2D", [R(1, 6, 7, 4), ("const", R(3, 3, 4, 6))], win()),
    check("conv 3x3 from 1 channel", "Conv2D", [R(2, 6, 5, 1), ("const", R(3, 3, 1, 4))], win(1, "VALID")),
    check("depthwise 3x3 s2", "DepthwiseConv2dNative", [R(1, 9, 8, 6), ("const", R(3, 3, 6, 1))], win(2)),
    check("depthwise 3x3 s1 same", "DepthwiseConv2dNative", [R(1, 6, 7, 12), ("const", R(3, 3, 12, 1))], win()),
    check("depthwise 3x3 valid dilated", "DepthwiseConv2dNative", [R(1, 9, 9, 5), ("const", R(3, 3, 5, 1))], win(1, "VALID", 2)),
    check("depthwise 1x3", "DepthwiseConv2dNative", [R(1, 5, 7, 4), ("const", R(1, 3, 4, 1))], win()),
    check("fused depthwise 5x5", "FusedDepthwiseConv2dNative", [R(1, 7, 7, 8), ("const", R(5, 5, 8, 1)), ("const", R(8))],
          {**win(), "fused_ops": ["BiasAdd", "Relu"], "num_args": 1}),
    check("matmul", "MatMul", [R(3, 10), ("const", R(10, 6))], {}),
    check("matmul transpose_b", "MatMul", [R(2, 7), ("const", R(5, 7))], {"transpose_b": True}),
    check("avgpool 3x3 s2 same", "AvgPool", [R(1, 7, 8, 5)], {**win(2), "ksize": [1, 3, 3, 1]}),
    check("maxpool 2x2 s2 valid", "MaxPool", [R(1, 8, 9, 6)], {**win(2, "VALID"), "ksize": [1, 2, 2, 1]}),
    check("mean over h, w", "Mean", [R(1, 6, 7, 10), ("const", I(1, 2))], {"keep_dims": True}),
    check("mean of rows' means", "Mean", [R(1, 9, 10, 5), ("const", I(1, 2))], {"keep_dims": False}),
    check("global avgpool", "AvgPool", [R(1, 16, 12, 6)], {"strides": [1, 16, 12, 1], "padding": "VALID", "ksize": [1, 16, 12, 1]}),
    check("resize half-pixel", "ResizeBilinear", [R(1, 5, 6, 7), ("const", I(11, 9))], {"half_pixel_centers": True}),
    check("resize align-corners", "ResizeBilinear", [R(1, 5, 6, 3), ("const", I(9, 13))], {"align_corners": True}),
    check("resize plain", "ResizeBilinear", [R(1, 4, 4, 2), ("const", I(8, 6))], {}),
    check("deconv 2x2 s2", "Conv2DBackpropInput", [("const", I(1, 12, 10, 3)), ("const", R(2, 2, 3, 8)), R(1, 6, 5, 8)], win(2)),
    check("deconv 3x3 s2 same", "Conv2DBackpropInput", [("const", I(1, 9, 8, 5)), ("const", R(3, 3, 5, 6)), R(1, 5, 4, 6)], win(2)),
    check("concat channels", "ConcatV2", [R(1, 4, 5, 5), R(1, 4, 5, 3), ("const", I(-1))], {}),
    check("concat channels by texel", "ConcatV2", [R(1, 4, 5, 8), R(1, 4, 5, 4), R(1, 4, 5, 3), ("const", I(3))], {}),
    check("concat rows of three", "ConcatV2", [R(1, 2, 5, 6), R(1, 3, 5, 6), R(1, 1, 5, 6), ("const", I(1))], {}),
    check("pad h, w, c", "Pad", [R(1, 4, 5, 3), ("const", I(0, 0, 1, 2, 2, 0, 0, 5).reshape(4, 2))], {}),
    check("addn", "AddN", [R(1, 3, 4, 6), R(1, 3, 4, 6), R(1, 3, 4, 6)], {}),
    check("leakyrelu", "LeakyRelu", [R(1, 3, 4, 6)], {"alpha": 0.3}),
]
for op in ["Relu", "Relu6", "Elu", "Selu", "Sigmoid", "HardSigmoid", "Tanh", "Softplus", "Square", "Abs", "Neg", "Exp", "Floor", "Ceil"]:
    cases.append(check(op, op, [R(1, 3, 4, 6) * 3], {}))
for op in ["Sqrt", "Rsqrt", "Log", "Reciprocal"]:
    cases.append(check(op, op, [P(1, 3, 4, 6)], {}))
for op in ["Add", "AddV2", "Sub", "Mul", "Maximum", "Minimum", "SquaredDifference", "BiasAdd"]:
    cases.append(check(op + " by channel", op, [R(1, 3, 4, 6), ("const", R(6))], {}))
for op in ["RealDiv", "Div", "FloorDiv", "FloorMod"]:
    cases.append(check(op + " by tensor", op, [R(1, 3, 4, 6) * 4, P(1, 3, 4, 6)], {}))
cases += [
    check("mul by scalar", "Mul", [R(1, 3, 4, 6), ("const", np.float32(1.5))], {}),
    check("add broadcast pixel", "Add", [R(1, 3, 4, 6), R(1, 3, 4, 1)], {}),
    check("mul broadcast image", "Mul", [R(1, 3, 4, 6), R(1, 1, 1, 6)], {}),
    check("prelu", "Prelu", [R(1, 3, 4, 6), ("const", R(6))], {}),
]
cases
'''


def test_every_kernel_matches_numpy(gl_page):
    cases = python(gl_page, OP_CASES)
    assert isinstance(cases, list), cases
    bad = [c for c in cases if not (c[1] <= 1e-5 and c[2])]
    assert not bad, bad
    unary = [c for c in cases if c[0] in ("Relu", "Sigmoid", "Exp", "leakyrelu")]
    assert unary and all(c[3] == 1 for c in unary), unary  # fused into the pass of its input


RESOURCES = HELPERS + r'''
g, feeds = graph("_FusedConv2D", [R(1, 8, 8, 4), ("const", R(3, 3, 4, 8)), ("const", R(8))],
                 {"strides": [1, 1, 1, 1], "padding": "SAME", "fused_ops": ["BiasAdd", "Relu"], "num_args": 1})
gl = Counting(context())
runner = webgl.compile(g, gl=gl, host=Host)
first = runner.run(feeds)["y"]
loaded = dict(gl.calls)
for _ in range(1000):
    last = runner.run(feeds)["y"]
after_runs = dict(gl.calls)
runner.dispose()
[loaded == after_runs, {k: (gl.calls["create" + k], gl.calls["delete" + k]) for k in KINDS},
 float(abs(first - last).max()), runner.executor.runs]
'''


def test_thousand_runs_create_nothing_and_dispose_frees_everything(gl_page):
    same, counts, drift, state = python(gl_page, RESOURCES)
    assert same  # no GL object made per run
    assert counts["Texture"][0] >= 4 and counts["Program"][0] == 3  # pad, conv, the copy read back
    assert all(made == freed for made, freed in counts.values()), counts
    assert drift == 0 and state == []


FAILED_LOADS = HELPERS + r'''
from pyapp.browser.gl import create_context


class LinkFails(Counting):
    failing = True

    def __getattr__(self, name):
        if name == "getProgramParameter":
            return lambda prog, what: False if self.failing and what == self.gl.LINK_STATUS else self.gl.getProgramParameter(prog, what)
        return super().__getattr__(name)


class LostInWarmUp(Counting):
    def __getattr__(self, name):
        if name == "readPixels":
            def read(*args):
                self.gl.getExtension("WEBGL_lose_context").loseContext()
                self.gl.readPixels(*args)
            return read
        return super().__getattr__(name)


g, _ = graph("_FusedConv2D", [R(1, 8, 8, 4), ("const", R(3, 3, 4, 8)), ("const", R(8))],
             {"strides": [1, 1, 1, 1], "padding": "SAME", "fused_ops": ["BiasAdd", "Relu"], "num_args": 1})
failures = []
for gl in (LinkFails(context()), LostInWarmUp(create_context())):
    try:
        webgl.compile(g, gl=gl, host=Host)
        error = "no error"
    except Exception as e:
        error = type(e).__name__
    failures.append([error, {k: (gl.calls["create" + k], gl.calls["delete" + k]) for k in KINDS}])

gl = LinkFails(context())  # a rebuild for new input shapes fails, and fails again until it works
gl.failing = False
runner = webgl.compile(g, gl=gl, host=Host)
bigger = {"in0": R(1, 12, 10, 4)}
gl.failing = True
rebuilds = []
for _ in range(2):
    try:
        runner.run(bigger)
        rebuilds.append("no error")
    except Exception as e:
        rebuilds.append(type(e).__name__)
gl.failing = False
err = float(np.abs(runner.run(bigger)["y"] - cpu.compile(g).run(bigger)["y"]).max())
runner.dispose()
[failures, [rebuilds, err, {k: (gl.calls["create" + k], gl.calls["delete" + k]) for k in KINDS}]]
'''


def test_a_failed_load_frees_what_it_made(gl_page):
    """A program that does not link, or a context lost in the warm-up run, fails the load and deletes
    every texture, framebuffer, program and shader made until then. A rebuild (new input shapes) that
    fails says so at every run until it works, never runs the half-made plan."""
    result = python(gl_page, FAILED_LOADS)
    assert isinstance(result, list), result
    failures, (rebuilds, err, rebuilt_counts) = result
    assert [error for error, _ in failures] == ["ShaderError", "ContextLost"], failures
    assert rebuilds == ["ShaderError", "ShaderError"] and err < 1e-5, (rebuilds, err)
    for counts in [c for _, c in failures] + [rebuilt_counts]:
        assert counts["Texture"][0] >= 4 and counts["Program"][0] >= 2, counts
        assert all(made == freed for made, freed in counts.values()), counts


LOSE_AND_RESTORE = HELPERS + r'''
import asyncio
from pyapp.browser.gl import create_context

g, x = graph("Conv2D", [R(1, 8, 8, 4), ("const", R(3, 3, 4, 8))], {"strides": [1, 2, 2, 1], "padding": "SAME"})
gl = create_context()
runner = webgl.compile(g, gl=gl, host=Host)
before = runner.run(x)["y"]
lose = gl.getExtension("WEBGL_lose_context")
lose.loseContext()
await asyncio.sleep(0.05)
try:
    runner.run(x)
    lost = "no error"
except webgl.ContextLost as e:
    lost = str(e)
lose.restoreContext()
for _ in range(100):
    await asyncio.sleep(0.02)
    if Host.restores(gl):
        break
after = runner.run(x)["y"]
runner.dispose()
[lost, Host.restores(gl), float(abs(before - after).max())]
'''


def test_lost_context_is_reported_then_rebuilt_on_restore(gl_page):
    lost, restores, diff = python(gl_page, LOSE_AND_RESTORE)
    assert "context is lost" in lost
    assert restores == 1 and diff == 0


LOST_DURING_RUN = r"""
import asyncio
import numpy as np
from pyapp.backends import webgl
from pyapp.browser.gl import Host, create_context
from pyapp.browser.webgl_methods import fetch_graph, fetch_npy


class Losing:
    '''The context, lost by the test from inside a run: after the draw numbered lose_at, or right
    before the next readPixels; skip_reads: readPixels does nothing (as on a lost context).'''

    def __init__(self, gl):
        self.gl, self.draws, self.lose_at, self.lose_at_read, self.skip_reads = gl, 0, None, False, False
        self.extension = gl.getExtension("WEBGL_lose_context")

    def __getattr__(self, name):
        call = getattr(self.gl, name)
        if name == "drawArrays":
            def draw(*args):
                call(*args)
                self.draws += 1
                if self.draws == self.lose_at:
                    self.extension.loseContext()
            return draw
        if name == "readPixels":
            def read(*args):
                if self.lose_at_read:
                    self.lose_at_read = False
                    self.extension.loseContext()
                if not self.skip_reads:
                    call(*args)
            return read
        return call


async def restored(gl):
    await asyncio.sleep(0.05)  # the lost event first
    restores = Host.restores(gl)
    gl.extension.restoreContext()
    for _ in range(200):
        await asyncio.sleep(0.02)
        if Host.restores(gl) != restores:
            return
    raise AssertionError("the context was not restored")


def outcome(run):
    try:
        got = run()
        return f"returned {sorted(got)}, sums {[float(np.nansum(v)) for v in got.values()]}"
    except webgl.ContextLost as e:
        return f"ContextLost: {e}"


_, graph = await fetch_graph("/models/selfie/model.json")
x = {graph.inputs[0]: await fetch_npy("/golden/GOLDEN_INPUT")}
gl = Losing(create_context())
runner = webgl.compile(graph, gl=gl, host=Host)
want = runner.run(x)[next(iter(graph.outputs))]
draws = gl.draws // 2  # the warm-up run's and this run's
results = []
for lose in ("after half the draws", "before readback", "after half the draws, readback=False"):
    if lose == "before readback":
        gl.lose_at_read = True
    else:
        gl.lose_at = gl.draws + draws // 2
    results.append(outcome(lambda: runner.run(x, readback=not lose.endswith("False"))))
    await restored(gl)
    got = runner.run(x)[next(iter(graph.outputs))]
    results.append(float(np.abs(got - want).max()))
gl.skip_reads = True
skipped = [bool(np.isnan(v).all()) for v in runner.run(x).values()]
runner.dispose()
[draws, results, skipped]
"""


def test_context_lost_during_a_run_raises_and_recovers(gl_page, golden):
    """Issue 11.5: a context lost inside a run (after some draws, or right before the readback) raises
    ContextLost instead of returning whatever memory readPixels left alone; once the browser
    restores the context, the same runner gives the same outputs again. A read that did nothing
    leaves NaN, never the memory's old contents."""
    case = golden["selfie"]["cases"]["astronaut"]
    result = python(gl_page, LOST_DURING_RUN.replace("GOLDEN_INPUT", case["input"]))
    assert isinstance(result, list), result
    draws, results, skipped = result
    assert draws > 10, draws
    assert skipped == [True]
    for lost, diff in zip(results[::2], results[1::2]):
        assert lost.startswith("ContextLost: the WebGL context was lost during the run"), results
        assert diff == 0, results


COUNT_LIVE_GL_OBJECTS = r"""
import js
from pyapp.browser.gl import shared_context

js.Function.new("gl", '''
gl.pyappLive = {};
for (const kind of ["Texture", "Framebuffer", "Renderbuffer", "Buffer", "Program", "Shader", "VertexArray",
                    "Query", "Sampler", "TransformFeedback"]) {
  const live = gl.pyappLive[kind] = new Set();
  const create = gl["create" + kind].bind(gl), remove = gl["delete" + kind].bind(gl);
  gl["create" + kind] = (...args) => { const made = create(...args); if (made) live.add(made); return made; };
  gl["delete" + kind] = (gone) => { live.delete(gone); remove(gone); };
}''')(shared_context())
"""

LIVE = """
import js
from pyapp.browser.gl import shared_context
live = shared_context().pyappLive
{kind: getattr(live, kind).size for kind in js.Object.keys(live)}
"""

LOAD_PREDICT_DISPOSE = """async ([n, live]) => {
  const counts = [await window.pyapp.call("run_python", {code: live})];
  let loaded;
  for (let i = 0; i < n; i++) {
    const model = await window.pyapp.call("load_model", {url: "/models/selfie/model.json", backend: "webgl"});
    const shape = model.inputs[0].shape.map((d) => (d > 0 ? d : 1));
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5);
    await window.pyapp.call("predict", {model: model.model, inputs: {dtype: "float32", shape, data}});
    if (i === 0) loaded = await window.pyapp.call("run_python", {code: live});
    await window.pyapp.call("dispose_model", {model: model.model});
    counts.push(await window.pyapp.call("run_python", {code: live}));
  }
  return {counts, loaded};
}"""


def test_load_dispose_cycles_free_every_gl_object(gl_page):
    """Issue 11.12: dispose_model frees every texture, framebuffer, program and shader a model made on
    the worker's shared context: 20 load / predict / dispose cycles of selfie leave nothing behind
    (live objects counted by wrapping the context's create* / delete* calls; before: +148 textures
    a cycle)."""
    python(gl_page, COUNT_LIVE_GL_OBJECTS)
    result = gl_page.evaluate(LOAD_PREDICT_DISPOSE, [20, LIVE])
    counts, loaded = result["counts"], result["loaded"]
    assert loaded["Texture"] > 100 and loaded["Program"] > 10 and loaded["Framebuffer"] > 10, loaded
    assert all(n == 0 for live in counts for n in live.values()), counts  # before the first load, after each dispose


LOAD_ON_LOST_CONTEXT = r"""
import asyncio
from pyapp.browser.gl import Host, context_info, shared_context
from pyapp.browser.models import LOADED, load_model


async def error_of(work):
    try:
        await work()
        return "no error"
    except Exception as e:
        return f"{type(e).__name__}: {e}"


async def info():
    return context_info(gl)


gl = shared_context()
lose = gl.getExtension("WEBGL_lose_context")
lose.loseContext()
try:
    errors = [await error_of(lambda: load_model("/models/selfie/model.json", "webgl")), await error_of(info)]
finally:
    await asyncio.sleep(0.05)
    restores = Host.restores(gl)
    lose.restoreContext()
    for _ in range(200):
        await asyncio.sleep(0.02)
        if Host.restores(gl) != restores:
            break
model = await load_model("/models/selfie/model.json", "webgl")
LOADED.pop(model["model"]).dispose()
[errors, model["backend"], context_info(gl)["max_texture_size"]]
"""


def test_loading_on_a_lost_context_says_so(gl_page):
    """Issue 11.13: load_model (and context_info) on a lost context is a ContextLost saying what to do
    (getParameter gave null: it was a TypeError); once the browser restores the context the same call loads."""
    result = python(gl_page, LOAD_ON_LOST_CONTEXT)
    assert isinstance(result, list), result
    (load, info), backend, max_texture = result
    assert load == "ContextLost: the WebGL context is lost: load the model again once the browser restores it", load
    assert info.startswith("ContextLost: the WebGL context is lost"), info
    assert backend == "webgl" and max_texture >= 4096


def test_shader_errors_name_the_kernel_and_quote_the_log(gl_page):
    message = python(gl_page, """
from pyapp.backends.webgl.gl import GL, ShaderError
from pyapp.browser.gl import Host, shared_context as context
gpu = GL(context(), Host)
try:
    gpu.compile({"#version 300 es\\nvoid main() { undefined_thing; }": "kernel conv test-layer"})
except ShaderError as e:
    message = str(e)
gpu.dispose()
message""")
    assert message.startswith("kernel conv test-layer: shader does not compile:")
    assert "undefined_thing" in message and "   2  void main()" in message


IMAGE_INPUT = HELPERS + r'''
import js
from pyodide.ffi import to_js
from pyapp.ops.image import Resize, resize_bilinear

pixels = rng.integers(0, 256, (37, 53, 4), dtype=np.uint8)
pixels[..., 3] = 255
bitmap = await js.createImageBitmap(js.ImageData.new(js.Uint8ClampedArray.new(to_js(pixels.tobytes())), 53, 37))
g, _ = graph("Relu", [np.zeros((1, 24, 32, 3), np.float32)])
runner = webgl.compile(g, gl=context(), host=Host)
got = runner.run_image("in0", bitmap, scale=2 / 255, offset=-1.0)["y"]
want = np.maximum(resize_bilinear(Resize(False, True), pixels[None, :, :, :3].astype(np.float32), np.array([24, 32])) * (2 / 255) - 1, 0)
kept = runner.run_image("in0", bitmap, scale=2 / 255, offset=-1.0, readback=False)
textures = {name: list(t[1:]) for name, t in runner.output_textures().items()}
tex, w, h = runner.output_textures()["y"]
gl = context()
fb = gl.createFramebuffer()
gl.bindFramebuffer(gl.FRAMEBUFFER, fb)
gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, tex, 0)
flat = np.empty((h, w, 4), np.float32)
gl.readPixels(0, 0, w, h, gl.RGBA, gl.FLOAT, Host.f32_view(flat))
gl.deleteFramebuffer(fb)
runner.dispose()
[float(np.abs(got - want).max()), list(got.shape), kept, textures, float(np.abs(flat[..., :3] - got[0]).max())]
'''


def test_image_bitmap_is_resized_and_normalised_on_the_gpu(gl_page):
    result = python(gl_page, IMAGE_INPUT)
    err, shape, kept, textures, flat_err = result if isinstance(result, list) else (result, None, None, None, None)
    assert shape == [1, 24, 32, 3] and err < 1e-5
    assert kept == {} and textures == {"y": [32, 24]}  # left on the GPU: a plain 32x24 texture of RGBA texels
    assert flat_err == 0  # holding the values a readback gives


def test_graph_model_runs_on_webgl_in_the_worker(gl_page, golden):
    case = golden["meet"]["cases"]["coffee"]
    result = python(gl_page, f"""
import numpy as np
from pyapp.api import GraphModel
from pyapp.browser.gl import Host, shared_context
from pyapp.browser.webgl_methods import fetch_model, fetch_npy
spec, weights = await fetch_model("/models/meet/model.json")
model = GraphModel.from_spec(spec, weights, backend="webgl", gl=shared_context(), host=Host)
got = model.predict(await fetch_npy("/golden/{case['input']}"))
want = await fetch_npy("/golden/{case['outputs'][0]}")
model.dispose()
[model.backend, float(np.abs(got - want).max() / np.ptp(want))]""")
    assert result[0] == "webgl" and result[1] <= 1e-3, result


def test_without_webgl2_the_error_says_so(gl_page):
    message = python(gl_page, """
import js
from pyapp.backends import webgl
from pyapp.browser import gl
from pyapp.errors import PyappError
real = js.OffscreenCanvas
js.Function.new("self.OffscreenCanvas = class { getContext() { return null; } }")()
try:
    gl.create_context()
    message = "no error"
except PyappError as e:
    message = f"{type(e).__name__}: {e}"
finally:
    js.Function.new("c", "self.OffscreenCanvas = c")(real)
message""")
    assert message == "WebGLUnavailable: WebGL2 is not available (getContext('webgl2') returned null)"
