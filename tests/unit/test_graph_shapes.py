import numpy as np
import pytest
from specs import node, spec

from pyapp.errors import ModelFormatError
from pyapp.graph import build_graph, infer_shapes, optimize
from pyapp.ops import Info


def test_shapes_flow_through_conv_pool_reshape_and_argmax():
    nodes = [
        node("w", "Const"),
        node("b", "Const"),
        node("conv", "_FusedConv2D", "x", "w", "b", strides=[1, 2, 2, 1], padding="SAME", fused_ops=["BiasAdd", "Relu"], num_args=1),
        node("pool", "MaxPool", "conv", ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID"),
        node("shape", "Const"),
        node("flat", "Reshape", "pool", "shape"),
        node("dim", "Const"),
        node("best", "ArgMax", "flat", "dim", output_type="int32"),
    ]
    w = {"w": np.zeros((3, 3, 3, 8), np.float32), "b": np.zeros(8, np.float32), "shape": np.array([-1, 128], np.int32), "dim": np.array(1, np.int32)}
    g = optimize(build_graph(spec(nodes, inputs={"x": (None, 33, 32, 3)}), w))
    infos = infer_shapes(g, {"x": Info((None, 33, 32, 3), "float32")})
    assert infos[("conv", 0)].shape == (None, 17, 16, 8)
    assert infos[("pool", 0)].shape == (None, 8, 8, 8)
    assert infos[("flat", 0)].shape == (None, 128)
    assert infos[("best", 0)] == Info((None,), "int32")


def test_shape_conflicts_name_the_node():
    w = {"w": np.zeros((3, 3, 5, 8), np.float32)}
    g = build_graph(spec([node("w", "Const"), node("conv", "Conv2D", "x", "w", strides=[1, 1, 1, 1], padding="SAME")], inputs={"x": (1, 8, 8, 3)}), w)
    with pytest.raises(ModelFormatError, match="node 'conv' \\(Conv2D\\): input has 3 channels, filter expects 5"):
        infer_shapes(g, {"x": Info((1, 8, 8, 3), "float32")})
