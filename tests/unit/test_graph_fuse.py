import numpy as np
from specs import node, spec

from pyapp.backends import cpu
from pyapp.graph import build_graph, fold_constants, fuse_conv_epilogue, optimize
from pyapp.ops.fused import Fused

RNG = np.random.default_rng(5)
CONV = dict(strides=[1, 1, 1, 1], padding="SAME", data_format="NHWC")
W = {"w": RNG.standard_normal((3, 3, 3, 4)).astype(np.float32), "b": RNG.standard_normal(4).astype(np.float32)}


def conv_add_relu(act="Relu", outputs=None):
    nodes = [node("w", "Const"), node("b", "Const"), node("conv", "Conv2D", "x", "w", **CONV), node("add", "Add", "b", "conv"), node("act", act, "add")]
    return build_graph(spec(nodes, inputs={"x": (1, 6, 6, 3)}, outputs=outputs or ["act"]), W)


def test_conv_bias_activation_become_one_fused_node():
    g = fuse_conv_epilogue(conv_add_relu())
    assert "conv" not in g.nodes and "add" not in g.nodes
    fused = g.nodes["act"]  # keeps the last name, so readers and outputs are untouched
    assert fused.op == "_FusedConv2D" and fused.inputs == (("x", 0), ("w", 0), ("b", 0))
    assert fused.attrs.fused == Fused(bias=True, activation="Relu")


def test_fused_graph_computes_the_same():
    x = RNG.standard_normal((1, 6, 6, 3)).astype(np.float32)
    for act in ("Relu", "Relu6", "Sigmoid"):
        g = conv_add_relu(act)
        fused = cpu.CpuExecutor(optimize(g)).run({"x": x})["act"]
        plain = cpu.CpuExecutor(fold_constants(g)).run({"x": x})["act"]
        assert [n.op for n in optimize(g).nodes.values() if n.op not in ("Const", "Placeholder")] == ["_FusedConv2D"]
        np.testing.assert_allclose(fused, plain, rtol=1e-6)


def test_no_fusion_across_tensors_someone_else_reads():
    g = fuse_conv_epilogue(conv_add_relu(outputs=["act", "add"]))  # add is answered too: relu stays apart
    assert g.nodes["add"].op == "_FusedConv2D" and g.nodes["add"].attrs.fused == Fused(bias=True) and g.nodes["act"].op == "Relu"
    g = fuse_conv_epilogue(conv_add_relu(outputs=["act", "conv"]))
    assert g.nodes["conv"].op == "Conv2D"


def test_only_constant_per_channel_biases_fuse():
    nodes = [node("w", "Const"), node("conv", "Conv2D", "x", "w", **CONV), node("add", "AddV2", "conv", "x")]
    g = fuse_conv_epilogue(build_graph(spec(nodes, inputs={"x": (1, 6, 6, 4)}), {"w": np.zeros((1, 1, 4, 4), np.float32)}))
    assert g.nodes["conv"].op == "Conv2D"
    nodes = [node("w", "Const"), node("b", "Const"), node("conv", "Conv2D", "x", "w", **CONV), node("add", "AddV2", "conv", "b")]
    w = {"w": np.zeros((1, 1, 4, 4), np.float32), "b": np.zeros((6, 4), np.float32)}
    assert fuse_conv_epilogue(build_graph(spec(nodes, inputs={"x": (1, 6, 6, 4)}), w)).nodes["conv"].op == "Conv2D"
