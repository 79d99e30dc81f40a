import re

import numpy as np
import pytest
from specs import node, spec

from pyapp.errors import ModelFormatError, TooLargeError
from pyapp.graph import PIPELINE, build_graph, fold_constants, optimize, remove_dead, strip_identity
from pyapp.model.limits import ENV_VAR

I32 = np.int32


def test_strip_identity_rewires_readers_and_outputs():
    nodes = [
        node("a", "Identity", "x"),
        node("b", "Identity", "a"),
        node("r", "Relu", "b", "^n"),
        node("n", "NoOp", "^a"),
        node("out", "Identity", "r"),
    ]
    g = strip_identity(build_graph(spec(nodes, outputs=["out"]), {}))
    assert set(g.nodes) == {"x", "r"}
    assert g.nodes["r"].inputs == (("x", 0),) and g.nodes["r"].control == ()
    assert g.outputs == {"out": ("r", 0)}


def test_fold_constants_runs_constant_subgraphs_once():
    nodes = [
        node("c1", "Const"),
        node("c2", "Const"),
        node("s", "AddV2", "c1", "c2"),
        node("shape", "Const"),
        node("rs", "Reshape", "s", "shape"),
        node("parts", "Unpack", "rs", axis=0, num=2),
        node("m", "Mul", "x", "parts:1"),
    ]
    w = {"c1": np.arange(4, dtype=np.float32), "c2": np.ones(4, np.float32), "shape": np.array([2, 2], I32)}
    g = fold_constants(build_graph(spec(nodes), w))
    for name in ("s", "rs", "parts"):
        assert g.nodes[name].op == "Const" and g.nodes[name].inputs == ()
    assert g.consts[("parts", 1)].tolist() == [3, 4] and g.consts[("rs", 0)].shape == (2, 2)
    assert g.nodes["m"].op == "Mul"  # reads the Placeholder: stays


def test_remove_dead_keeps_only_what_outputs_need_and_the_inputs():
    nodes = [node("c", "Const"), node("unused_c", "Const"), node("dead", "Mul", "x", "unused_c"), node("y", "Mul", "c", "c")]
    w = {"c": np.ones(2, np.float32), "unused_c": np.ones(2, np.float32)}
    g = remove_dead(build_graph(spec(nodes, outputs=["y"]), w))
    assert set(g.nodes) == {"x", "c", "y"} and set(g.consts) == {("c", 0)}


def test_pipeline_folds_through_identities_then_drops_the_dead():
    nodes = [node("c", "Const"), node("i", "Identity", "c"), node("sq", "Square", "i"), node("y", "Add", "x", "sq")]
    g = optimize(build_graph(spec(nodes), {"c": np.full(4, 3, np.float32)}))
    assert set(g.nodes) == {"x", "sq", "y"} and g.consts[("sq", 0)].tolist() == [9, 9, 9, 9]
    assert ("c", 0) not in g.consts


def test_pipeline_is_extensible_with_plain_functions():
    seen = []
    g = optimize(build_graph(spec([node("y", "Relu", "x")]), {}), PIPELINE + (lambda g: seen.append(set(g.nodes)) or g,))
    assert seen == [{"x", "y"}] and "y" in g.nodes


@pytest.mark.parametrize(
    "nodes, consts, message",
    [
        ([node("t", "Tile", "c", "m")], {"c": np.ones(1, np.float32), "m": np.array([1_000_000], I32)},
         "node 't' (Tile) output 0: shape [1000000] of float32 needs 4,000,000 bytes"),
        ([node("t", "AddV2", "c", "m")], {"c": np.ones((1000, 1), np.float32), "m": np.ones((1, 1000), np.float32)},
         "node 't' (AddV2) output 0: shape [1000, 1000] of float32 needs 4,000,000 bytes"),
        ([node("t", "Pad", "c", "m")], {"c": np.ones(1, np.float32), "m": np.array([[0, 999_999]], I32)},
         "node 't' (Pad) output 0: shape [1000000] of float32 needs 4,000,000 bytes"),
    ],
)
def test_folding_refuses_results_over_the_limit_before_computing_them(monkeypatch, nodes, consts, message):
    monkeypatch.setenv(ENV_VAR, str(2**20))
    nodes = [node("c", "Const"), node("m", "Const"), *nodes, node("y", "Mul", "x", "t")]
    with pytest.raises(TooLargeError, match=re.escape(message) + ".*1,048,576-byte limit"):
        fold_constants(build_graph(spec(nodes), consts))


def test_folding_refuses_negative_result_dims():
    nodes = [node("c", "Const"), node("m", "Const"), node("t", "Pad", "c", "m"), node("y", "Mul", "x", "t")]
    consts = {"c": np.ones(2, np.float32), "m": np.array([[0, -5]], I32)}
    with pytest.raises(ModelFormatError, match=re.escape("node 't' (Pad) output 0: shape [-3] has a negative dimension")):
        fold_constants(build_graph(spec(nodes), consts))
