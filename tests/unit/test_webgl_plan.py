"""The WebGL plan on the real models, without a browser: fusion, program sharing, texture reuse."""

import pytest

from pyapp.backends.webgl import input_infos
from pyapp.backends.webgl.scheduling import Pass, partition
from pyapp.backends.webgl.plan import Builder, Draw, Read, Upload, reuse_textures
from pyapp.graph import PIPELINE, build_graph, infer_shapes, optimize
from pyapp.model import load_model_spec

from modelfiles import MODELS


@pytest.fixture(scope="module")
def graphs(assets_dir):
    out = {}
    for name in MODELS:
        spec, weights = load_model_spec(assets_dir / "models" / name / "model.json")
        graph = optimize(build_graph(spec, weights), PIPELINE)
        out[name] = graph, infer_shapes(graph, input_infos(graph))
    return out


def test_hard_swish_after_a_conv_is_one_pass(graphs):
    graph, infos = graphs["selfie"]
    first = next(p for p in partition(graph, infos) if isinstance(p, Pass))
    assert first.producer[1].kernel.name == "stem3"  # 3x3 over the 3 image channels
    assert [n.op for n in first.members] == ["Mul", "AddV2", "Relu6", "Mul"]  # x * relu6(x * a + b)


def test_residual_add_joins_the_conv_that_feeds_it(graphs):
    graph, infos = graphs["blazeface"]
    passes = [p for p in partition(graph, infos) if isinstance(p, Pass)]
    fused = [p for p in passes if p.producer and [n.op for n in p.members] == ["AddV2", "Relu"]]
    assert len(fused) >= 10
    residual = fused[0].members[0]
    assert any(ref[0] != fused[0].producer[0].name for ref in residual.inputs)


@pytest.mark.parametrize("name", MODELS)
def test_fewer_passes_than_nodes_and_few_programs(graphs, name):
    graph, infos = graphs[name]
    plan = reuse_textures(Builder(graph, infos).build())
    draws = plan.draws
    assert len(draws) <= plan.gpu_nodes
    assert len(plan.programs) <= 24  # one per (kernel, epilogue) pair, whatever the layer sizes
    assert len(plan.programs) < len(draws) or len(draws) < 20
    assert plan.gpu_nodes > plan.cpu_nodes or name == "movenet-lightning"


@pytest.mark.parametrize("name", ["selfie", "meet", "posenet"])
def test_one_upload_and_one_read_per_output(graphs, name):
    graph, infos = graphs[name]
    plan = Builder(graph, infos).build()
    assert sum(isinstance(s, Upload) for s in plan.steps) == 1
    assert sum(isinstance(s, Read) for s in plan.steps) == len(graph.outputs)


@pytest.mark.parametrize("name", MODELS)
def test_texture_reuse_never_clobbers_a_live_tensor(graphs, name):
    """Replay the plan: every read of the reused plan finds the tensor the one-texture-per-tensor
    plan reads there, and no draw reads the texture it writes."""
    graph, infos = graphs[name]
    raw = Builder(graph, infos).build()
    plan = reuse_textures(raw)
    assert len(plan.sizes) < len(raw.sizes)
    holds = {t: t for t in plan.constants}  # physical texture -> the tensor (raw texture) in it
    for before, after in zip(raw.steps, plan.steps):
        if isinstance(after, Draw):
            assert after.output not in after.inputs
            assert [holds[t] for t in after.inputs] == list(before.inputs)
            assert plan.sizes[after.output] == raw.sizes[before.output]
            holds[after.output] = before.output
        elif isinstance(after, Upload):
            holds[after.texture] = before.texture
        elif isinstance(after, Read):
            assert holds[after.texture] == before.texture


def test_a_tensor_too_wide_for_a_texture_runs_in_numpy():
    import numpy as np

    from pyapp.backends.webgl.layout import MAX_TEXTURE
    from pyapp.graph import Graph, Node
    from pyapp.ops import OPS, Info

    wide, narrow = (1, 2, MAX_TEXTURE + 1, 4), (1, 2, MAX_TEXTURE // 2, 8)
    work = {}
    for shape in (wide, narrow):
        nodes = {"x": Node("x", "Placeholder", ()), "p": Node("p", "Const", ()),
                 "y": Node("y", "Pad", (("x", 0), ("p", 0)), OPS["Pad"].parse({}), {})}
        graph = Graph(nodes, {("p", 0): np.zeros((4, 2), np.int32)}, ("x",), {"y": ("y", 0)})
        infos = {("x", 0): Info(shape, "float32"), ("p", 0): Info((4, 2), "int32", np.zeros((4, 2), np.int32)),
                 ("y", 0): Info(shape, "float32")}
        work[shape] = partition(graph, infos)
    assert isinstance(work[wide][0], Node) and isinstance(work[narrow][0], Pass)
