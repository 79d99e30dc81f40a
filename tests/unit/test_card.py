import numpy as np
import pytest
from specs import node, spec

from pyapp.api import load_graph_model
from pyapp.card import costs
from pyapp.graph import build_graph, optimize

CONV = dict(strides=[1, 1, 1, 1], padding="SAME", data_format="NHWC")
W = {"w": np.ones((3, 3, 3, 4), np.float32), "d": np.ones((3, 3, 4, 1), np.float32), "m": np.ones((4, 5), np.float32),
     "shape": np.array([64, 4], np.int32)}


def small_graph():
    """x [1,8,8,3] -> conv 3x3x3->4 -> relu -> depthwise 3x3 -> max pool 2x2 -> reshape [16,4] -> matmul [4,5]."""
    nodes = [node("w", "Const"), node("d", "Const"), node("m", "Const"), node("shape", "Const"),
             node("conv", "Conv2D", "x", "w", **CONV), node("relu", "Relu", "conv"),
             node("dw", "DepthwiseConv2dNative", "relu", "d", **CONV),
             node("pool", "MaxPool", "dw", ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID", data_format="NHWC"),
             node("flat", "Reshape", "pool", "shape"), node("mm", "MatMul", "flat", "m")]
    W["shape"] = np.array([16, 4], np.int32)
    return build_graph(spec(nodes, inputs={"x": (-1, 8, 8, 3)}, outputs=["mm"]), W)


def test_flops_activations_depth_and_peak_of_a_small_graph():
    c = costs(small_graph())
    rows = {r["name"]: r for r in c["nodes"]}
    assert c["input_shapes"] == {"x": [1, 8, 8, 3]}  # the unknown batch taken as 1
    assert [r["name"] for r in c["nodes"]] == ["conv", "relu", "dw", "pool", "flat", "mm"]
    assert rows["conv"]["flops"] == 2 * 64 * 4 * 27 and rows["conv"]["shape"] == [1, 8, 8, 4]
    assert rows["relu"]["flops"] == 256
    assert rows["dw"]["flops"] == 2 * 256 * 9
    assert rows["pool"]["flops"] == 64 * 4 and rows["pool"]["shape"] == [1, 4, 4, 4]
    assert rows["flat"]["flops"] == 0
    assert rows["mm"]["flops"] == 2 * 16 * 5 * 4 and rows["mm"]["shape"] == [16, 5]
    assert [r["activation_bytes"] for r in c["nodes"]] == [1024, 1024, 1024, 256, 256, 320]
    assert c["flops"] == sum(r["flops"] for r in c["nodes"]) and c["activation_bytes"] == 3904
    assert c["peak_activation_bytes"] == 2048  # a node's input and output, alive together
    assert c["depth"] == 6
    assert c["by_op"]["Conv2D"] == {"count": 1, "flops": 13824, "activation_bytes": 1024}
    assert list(c["by_op"])[0] == "Conv2D"  # most FLOPs first


def test_fusing_an_epilogue_keeps_the_count():
    nodes = [node("w", "Const"), node("b", "Const"), node("conv", "Conv2D", "x", "w", **CONV),
             node("add", "Add", "conv", "b"), node("act", "Relu", "add")]
    graph = build_graph(spec(nodes, inputs={"x": (1, 8, 8, 3)}, outputs=["act"]), {"w": W["w"], "b": np.ones(4, np.float32)})
    plain, fused = costs(graph), costs(optimize(graph))
    assert [r["op"] for r in fused["nodes"]] == ["_FusedConv2D"]
    assert fused["flops"] == plain["flops"] == 13824 + 2 * 256


def test_explicit_input_shapes():
    assert costs(small_graph(), {"x": (2, 8, 8, 3)})["nodes"][0]["shape"] == [2, 8, 8, 4]


@pytest.mark.parametrize("name", ["emotion", "blazeface", "selfie"])
def test_activation_bytes_are_those_of_the_tensors_a_real_run_makes(assets_dir, name):
    """Every node's estimated output bytes against the arrays the numpy backend computes for it."""
    model = load_graph_model(str(assets_dir / "models" / name / "model.json"))
    c = costs(model.graph)
    x = np.random.default_rng(0).random([int(d) for d in c["input_shapes"][model.inputs[0].name]]).astype(np.float32)
    names = [r["name"] for r in c["nodes"]]
    got = model.predict(x, names)
    assert [r["activation_bytes"] for r in c["nodes"]] == [got[n].nbytes for n in names]
    assert [r["shape"] for r in c["nodes"]] == [list(got[n].shape) for n in names]
    assert max(r["activation_bytes"] for r in c["nodes"]) <= c["peak_activation_bytes"] < c["activation_bytes"]


def test_mobilefacenet_convolutions_match_its_published_size(assets_dir):
    """MobileFaceNet (Chen et al. 2018) is 221 M multiply-adds at 112x112: 442 MFLOPs of convolutions,
    give or take the variant's layers and fused epilogues."""
    model = load_graph_model(str(assets_dir / "models/mobilefacenet/model.json"))
    conv = sum(e["flops"] for op, e in costs(model.graph)["by_op"].items() if "Conv" in op)
    assert 0.95 * 442e6 < conv < 1.15 * 442e6
