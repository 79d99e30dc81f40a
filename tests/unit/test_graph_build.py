import numpy as np
import pytest
from specs import node, spec

from pyapp.errors import ModelFormatError, UnsupportedOpsError
from pyapp.graph import build_graph

W = {"w": np.ones(4, np.float32)}


def test_builds_refs_consts_and_control_edges():
    g = build_graph(spec([node("w", "Const"), node("m", "Mul", "x", "w:0", "^w"), node("u", "Unpack", "m", axis=0, num=1)], outputs=["u"]), W)
    assert g.nodes["m"].inputs == (("x", 0), ("w", 0)) and g.nodes["m"].control == ("w",)
    assert g.consts[("w", 0)] is W["w"] and g.inputs == ("x",) and g.outputs == {"u": ("u", 0)}
    assert g.nodes["u"].attrs == (0, 1)  # parsed once, at load


def test_inline_const_value_is_used_when_no_weight():
    g = build_graph(spec([node("k", "Const", value=np.array([2.0], np.float32)), node("m", "Mul", "x", "k")]), {})
    assert g.consts[("k", 0)].tolist() == [2.0]


def test_unsupported_ops_are_all_listed_with_counts():
    nodes = [node("a", "Frobnicate", "x"), node("b", "Relu", "a"), node("c", "Frobnicate", "b"), node("d", "Zorp", "c")]
    with pytest.raises(UnsupportedOpsError) as e:
        build_graph(spec(nodes), {})
    assert "2 unsupported ops: Frobnicate (2 nodes), Zorp (1 node)" in str(e.value) and "test/model.json" in str(e.value)
    assert e.value.ops == {"Frobnicate": 2, "Zorp": 1}


@pytest.mark.parametrize(
    "nodes, outputs, message",
    [
        ([node("w", "Const")], None, "Const node 'w' has no value"),
        ([node("m", "Mul", "x", "nowhere")], None, "node 'm' reads 'nowhere'"),
        ([node("c", "Conv2D", "x", "x", padding="SAME", strides=[1, 1, 1, 1], data_format="NCHW")], None, "node 'c' \\(Conv2D\\): bad attributes: .*NHWC"),
        ([node("r", "Relu", "x"), node("r", "Relu", "x")], None, "two nodes are named 'r'"),
        ([node("r", "Relu", "x")], ["missing"], "signature names 'missing'"),
    ],
)
def test_model_errors_name_the_node(nodes, outputs, message):
    with pytest.raises(ModelFormatError, match=message):
        build_graph(spec(nodes, outputs=outputs), {})
