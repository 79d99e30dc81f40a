import weakref

import numpy as np
import pytest
from specs import node, spec

from pyapp.backends import cpu
from pyapp.errors import PyappError
from pyapp.graph import build_graph
from pyapp.ops import OPS, Op


def test_runs_the_plan_and_answers_outputs_by_name():
    nodes = [node("c", "Const"), node("m", "Mul", "x", "c"), node("r", "Relu6", "m"), node("i", "Identity", "r")]
    ex = cpu.compile(build_graph(spec(nodes, outputs=["i", "m"]), {"c": np.float32(4) * np.ones(4, np.float32)}))
    out = ex.run({"x": np.array([[-1, 0.5, 1, 2]], np.float32)})
    assert out["m"].tolist() == [[-4, 2, 4, 8]] and out["i"].tolist() == [[0, 2, 4, 6]]


def test_output_may_be_a_constant_or_the_input():
    nodes = [node("c", "Const"), node("sq", "Square", "c"), node("i", "Identity", "x")]
    ex = cpu.compile(build_graph(spec(nodes, outputs=["sq", "i"]), {"c": np.array([3.0], np.float32)}))
    x = np.zeros((1, 4), np.float32)
    out = ex.run({"x": x})
    assert out["sq"].tolist() == [9.0] and out["i"] is x and ex.plan.steps == ()


def test_intermediates_are_released_after_their_last_use(monkeypatch):
    alive = []  # weak references to every Relu result so far
    seen = []  # at each Relu call: how many earlier results are still alive
    relu = OPS["Relu"]

    def probe(a, x):
        seen.append(sum(r() is not None for r in alive))
        out = relu.kernel(a, x)
        alive.append(weakref.ref(out))
        return out

    monkeypatch.setitem(OPS, "Relu", Op("Relu", probe, relu.infer, relu.parse))
    nodes = [node(f"r{i}", "Relu", "x" if i == 0 else f"r{i - 1}") for i in range(6)]
    ex = cpu.compile(build_graph(spec(nodes), {}))
    out = ex.run({"x": np.ones((1, 4), np.float32)})
    assert seen == [0, 1, 1, 1, 1, 1]  # only the input of the running step survives
    assert out["r5"].tolist() == [[1, 1, 1, 1]]


def test_kernel_failures_name_the_node():
    nodes = [node("shape", "Const"), node("rs", "Reshape", "x", "shape")]
    ex = cpu.compile(build_graph(spec(nodes, inputs={"x": (None, 4)}), {"shape": np.array([3, -1], np.int32)}))
    with pytest.raises(PyappError, match="node 'rs' \\(Reshape\\) failed"):
        ex.run({"x": np.zeros((1, 4), np.float32)})
