import pytest
from specs import node, spec

from pyapp.errors import ModelFormatError
from pyapp.graph import Graph, Node, build_graph, make_plan, topo_order


def test_plan_runs_only_what_the_outputs_need_in_dependency_order():
    nodes = [node("c", "Relu", "b"), node("b", "Relu", "a"), node("a", "Relu", "x"), node("other", "Sigmoid", "x")]
    g = build_graph(spec(nodes, outputs=["c"]), {})
    assert [n.name for n in make_plan(g).steps] == ["a", "b", "c"]
    assert [n.name for n in make_plan(g.with_outputs(["b", "other"])).steps] == ["a", "b", "other"]


def test_liveness_frees_each_tensor_after_its_last_reader():
    nodes = [
        node("a", "Relu", "x"),
        node("b", "Relu", "a"),
        node("c", "Add", "a", "b"),  # last reader of a and b
        node("d", "Relu", "c"),
        node("e", "Add", "d", "c"),  # last reader of c, d
    ]
    plan = make_plan(build_graph(spec(nodes, outputs=["e", "b"]), {}))
    freed = {n.name: set(f) for n, f in zip(plan.steps, plan.free_after)}
    # b is an output: kept; the Placeholder x belongs to the caller: never freed
    assert freed == {"a": set(), "b": set(), "c": {("a", 0)}, "d": set(), "e": {("c", 0), ("d", 0)}}
    assert ("x", 0) not in plan.used and {("a", 0), ("e", 0), ("b", 0)} <= plan.used


def test_unused_outputs_of_multi_output_ops_are_not_kept():
    nodes = [node("u", "Unpack", "x", axis=1, num=4), node("y", "Relu", "u:2")]
    plan = make_plan(build_graph(spec(nodes), {}))
    assert ("u", 2) in plan.used and ("u", 0) not in plan.used and ("u", 3) not in plan.used


def test_cycles_are_reported():
    g = Graph({"a": Node("a", "Relu", (("b", 0),)), "b": Node("b", "Relu", (("a", 0),))}, {}, (), {"a": ("a", 0)})
    with pytest.raises(ModelFormatError, match="cycle"):
        topo_order(g)


def test_deep_chains_do_not_recurse():
    nodes = [node("n0", "Relu", "x")] + [node(f"n{i}", "Relu", f"n{i - 1}") for i in range(1, 5000)]
    assert len(make_plan(build_graph(spec(nodes), {})).steps) == 5000
