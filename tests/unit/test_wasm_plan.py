"""The wasm backend's planning, in CPython: weight packing, the arena's lifetime-based offsets, what
each model lowers to, and the numpy fallback where the module cannot load. (The kernels themselves
run only in Pyodide: tests/e2e/test_wasm.py.)"""

import itertools
import math

import numpy as np
import pytest

import pyapp
from pyapp.backends.wasm import compile as wasm_compile
from pyapp.backends.wasm.arena import ALIGN, Block, plan_offsets
from pyapp.backends.wasm.executor import Layout
from pyapp.backends.wasm.lower import At, Lowering
from pyapp.backends.wasm.pack import PANEL, pack_depthwise, pack_gemm, unpack_gemm
from pyapp.backends.webgl import input_infos
from pyapp.graph import PIPELINE, infer_shapes, make_plan, optimize


@pytest.mark.parametrize("k, n", [(1, 1), (3, 8), (16, 72), (27, 13), (96, 24)])
def test_packing_round_trips_and_pads_with_zeros(k, n):
    rng = np.random.default_rng(k * n)
    w, bias = rng.standard_normal((k, n)).astype(np.float32), rng.standard_normal(n).astype(np.float32)
    packed = pack_gemm(w, bias)
    panels = -(-n // PANEL)
    assert packed.shape == (panels * (PANEL + PANEL * k),)
    got_w, got_bias = unpack_gemm(packed, k, n)
    assert np.array_equal(got_w, w) and np.array_equal(got_bias, bias)
    assert not packed.reshape(panels, k + 1, PANEL)[-1, :, n - (panels - 1) * PANEL:].any()


@pytest.mark.parametrize("kh, kw, c", [(3, 3, 24), (5, 5, 7), (1, 2, 1), (3, 3, 4)])
def test_depthwise_packing_is_per_4_channel_block_bias_first(kh, kw, c):
    rng = np.random.default_rng(c)
    w, bias = rng.standard_normal((kh, kw, c, 1)).astype(np.float32), rng.standard_normal(c).astype(np.float32)
    blocks = pack_depthwise(w, bias).reshape(-(-c // 4), 1 + kh * kw, 4)
    assert np.array_equal(blocks[:, 0].reshape(-1)[:c], bias)
    assert np.array_equal(blocks[:, 1:].transpose(1, 0, 2).reshape(kh, kw, -1)[..., :c], w[..., 0])
    assert not blocks.transpose(1, 0, 2).reshape(1 + kh * kw, -1)[:, c:].any()


def test_arena_never_overlaps_live_blocks_and_reuses_dead_ones():
    rng = np.random.default_rng(0)
    blocks = {}
    for i in range(60):
        first = int(rng.integers(-1, 40))
        blocks[i] = Block(int(rng.integers(1, 5000)), first, first + int(rng.integers(0, 8)))
    offsets, size = plan_offsets(blocks)
    for a, b in itertools.combinations(blocks, 2):
        if blocks[a].first <= blocks[b].last and blocks[b].first <= blocks[a].last:
            assert offsets[a] + blocks[a].size <= offsets[b] or offsets[b] + blocks[b].size <= offsets[a], (a, b)
    assert all(offset % ALIGN == 0 for offset in offsets.values())
    assert size < sum(-(-b.size // ALIGN) * ALIGN for b in blocks.values())  # some bytes are shared


def lowered(assets_dir, name):
    model = pyapp.load_graph_model(str(assets_dir / "models" / name / "model.json"))
    graph = optimize(model.graph, PIPELINE)
    infos = infer_shapes(graph, input_infos(graph))
    plan = make_plan(graph)
    return graph, infos, Lowering(graph, infos, plan.used).lower(plan.steps)


# what stays with numpy after lowering, per model (everything else runs as kernels)
NUMPY_OPS = {"selfie": {}, "meet": {}, "blazeface": {}, "posenet": {}, "emotion": {"Mean": 1, "Softmax": 1}}


@pytest.mark.parametrize("name", [*NUMPY_OPS, "movenet-lightning", "mobilefacenet"])
def test_models_lower_to_kernels(assets_dir, name):
    graph, infos, steps = lowered(assets_dir, name)
    numpy_ops = {}
    for step in steps:
        if step.kind == "numpy":
            numpy_ops[step.node.op] = numpy_ops.get(step.node.op, 0) + 1
    assert name not in NUMPY_OPS or numpy_ops == NUMPY_OPS[name]
    computed = len(steps) + sum(s.folded for s in steps)
    assert computed == len(make_plan(graph).steps)  # every node is computed exactly once
    ready = {(name, 0) for name in graph.inputs} | set(graph.consts)
    for step in steps:  # fused steps run where their first node was: what they read must exist by then
        assert set(step.reads) <= ready, (step.node.name, set(step.reads) - ready)
        ready.update(step.writes)


@pytest.mark.parametrize("name", ["emotion", "mobilefacenet", "blazeface"])
def test_every_address_is_in_the_layout(assets_dir, name):
    """Each tensor or scratch a kernel call names has a place in the arena (a residual folded into an
    im2col conv once left its columns under the conv's old name: emotion failed to compile)."""
    graph, infos, steps = lowered(assets_dir, name)
    layout = Layout(graph, steps, infos)
    for step in steps:
        for call in step.calls:
            for at in (a for a in call.args if isinstance(a, At) and not isinstance(a.key, int)):
                assert layout.find(at.key) in layout.offsets, (step.node.name, call.kernel, at.key)


def test_blazeface_folds_residual_adds_into_the_gemm(assets_dir):
    _, _, steps = lowered(assets_dir, "blazeface")
    residual = [s for s in steps if s.kind == "gemm" and s.calls[-1].args[9] != 0]
    assert len(residual) == 28 and all(s.node.op == "Relu" and s.folded == 2 for s in residual)


def test_selfie_folds_residual_adds_into_the_depthwise(assets_dir):
    _, _, steps = lowered(assets_dir, "selfie")
    folded = [s for s in steps if s.kind == "depthwise" and s.calls[0].args[-1] != 0]
    assert len(folded) == 3 and all(s.node.op == "Add" and len(s.reads) == 2 for s in folded)


def test_selfie_folds_its_hard_swish_chains(assets_dir):
    _, _, steps = lowered(assets_dir, "selfie")
    chains = [s for s in steps if s.calls and s.calls[0].kernel == "hardswish_f32"]
    assert len(chains) == 11 and all(s.folded == 3 for s in chains)


@pytest.mark.parametrize("name", ["selfie", "meet", "blazeface", "emotion"])
def test_layout_keeps_every_live_tensor_apart(assets_dir, name):
    graph, infos, steps = lowered(assets_dir, name)
    layout = Layout(graph, steps, infos)
    spans = {}
    for i, step in enumerate(steps):
        for ref in step.reads + step.writes:
            if ref in layout.shapes:
                key = layout.find(ref)
                lo, hi = spans.get(key, (i, i))
                spans[key] = (min(lo, i), max(hi, i))
    extent = {key: (layout.offsets[key], layout.offsets[key] + math.prod(layout.shapes[key])) for key in spans if key in layout.shapes}
    for a, b in itertools.combinations(extent, 2):
        (a0, a1), (b0, b1) = spans[a], spans[b]
        if a0 <= b1 and b0 <= a1:
            assert extent[a][1] <= extent[b][0] or extent[b][1] <= extent[a][0], (a, b)
    assert layout.size < sum(math.prod(s) for s in layout.shapes.values())


def test_without_pyodide_the_runner_is_numpy_and_says_why(assets_dir):
    model = pyapp.load_graph_model(str(assets_dir / "models" / "emotion" / "model.json"))
    reference = pyapp.load_graph_model(str(assets_dir / "models" / "emotion" / "model.json"), backend="cpu")
    x = np.random.default_rng(1).uniform(0, 1, (1, 64, 64, 1)).astype(np.float32)
    runner = wasm_compile(model.graph)
    got = runner.run({model.inputs[0].name: x})
    want = reference.predict(x)
    assert np.array_equal(next(iter(got.values())), want)
    stats = runner.stats()
    assert stats["wasm"] == 0 and stats["numpy"] > 0 and "Pyodide" in stats["unavailable"]
