import numpy as np
from specs import node, spec

from pyapp.graph import PIPELINE, build_graph, fold_constants, optimize, remove_dead, strip_identity

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
