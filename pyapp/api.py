"""Public entry point: load a TF.js graph model and run it.

    model = pyapp.load_graph_model("models/selfie/model.json")   # backend="cpu"
    model = GraphModel.from_spec(spec, weights, backend="webgl", gl=gl, host=Host)  # in the worker (pyapp.browser.gl)
    mask = model.predict(image)                                 # one input, one output: arrays
    maps = model.predict(image, outputs=["conv1", "segment"])   # any tensors, by name: a dict
"""

from __future__ import annotations

import importlib
from collections import Counter
from typing import Any, Mapping, Sequence

import numpy as np

from .errors import InputError, PyappError
from .graph import Graph, build_graph, infer_shapes, parse_ref, ref_name
from .model import ModelSpec, TensorSpec, load_model_spec
from .ops import Info

BACKENDS = {"cpu": "pyapp.backends.cpu", "webgl": "pyapp.backends.webgl", "wasm": "pyapp.backends.wasm"}


def load_backend(name: str):
    """A backend is a module with compile(graph) -> runner (runner.graph: the graph it runs;
    runner.run(feeds: {input name: array}) -> {output name: array})."""
    if name not in BACKENDS:
        raise PyappError(f"unknown backend {name!r}: choose one of {', '.join(BACKENDS)}")
    try:
        return importlib.import_module(BACKENDS[name])
    except ImportError as e:
        raise PyappError(f"backend {name!r} cannot run here: {e}") from e


def accepts(want: str, got: np.dtype) -> bool:
    """Integer images are fine for float inputs; floats for an int input would lose their fractions."""
    if np.issubdtype(np.dtype(want), np.integer):
        return np.issubdtype(got, np.integer)
    return np.issubdtype(got, np.integer) or np.issubdtype(got, np.floating)


def check_input(spec: TensorSpec, value: Any) -> np.ndarray:
    arr = np.asarray(value)
    if not accepts(spec.dtype, arr.dtype):
        raise InputError(f"input {spec.name!r}: expected dtype {spec.dtype}, got {arr.dtype}")
    if spec.shape is not None and (
        arr.ndim != len(spec.shape) or any(want is not None and want != got for want, got in zip(spec.shape, arr.shape))
    ):
        want = "(" + ", ".join("?" if d is None else str(d) for d in spec.shape) + ")"
        raise InputError(f"input {spec.name!r}: expected shape {want}, got {tuple(arr.shape)}")
    return np.ascontiguousarray(arr, dtype=spec.dtype)


def shape_text(shape: tuple | None) -> str:
    return "?" if shape is None else "(" + ", ".join("?" if d is None else str(d) for d in shape) + ")"


class GraphModel:
    def __init__(self, spec: ModelSpec, weights: Mapping[str, np.ndarray], backend: str = "cpu", **options: Any):
        """options go to the backend's compile (webgl: gl, the WebGL2 context to run on)."""
        self.spec = spec
        self.backend = backend
        self.options = options
        self.graph: Graph = build_graph(spec, weights)  # as loaded; each runner optimises its own copy
        self._backend = load_backend(backend)
        self._runners: dict[tuple[str, ...], Any] = {}
        self.inputs = list(spec.inputs)
        self.output_names = tuple(t.name for t in spec.outputs)
        runner = self._runner(self.output_names)
        infos = infer_shapes(runner.graph, {t.name: Info(t.shape, t.dtype) for t in self.inputs})
        self.outputs = [
            TensorSpec(t.name, infos[runner.graph.outputs[t.name]].dtype, t.shape if t.shape is not None else infos[runner.graph.outputs[t.name]].shape)
            for t in spec.outputs
        ]

    @classmethod
    def from_spec(cls, spec: ModelSpec, weights: Mapping[str, np.ndarray], backend: str = "cpu", **options: Any) -> GraphModel:
        return cls(spec, weights, backend, **options)

    def _runner(self, names: tuple[str, ...]):
        if names not in self._runners:
            self._runners[names] = self._backend.compile(self._answering(names), **self.options)
        return self._runners[names]

    def _answering(self, names: tuple[str, ...]) -> Graph:
        """The graph with these tensors as its outputs, each checked to exist (node and output index)."""
        if bad := [name for name in names if not isinstance(name, str)]:
            raise InputError(f"output names must be strings, got {bad[0]!r}")
        try:
            graph = self.graph.with_outputs(names)
        except KeyError as e:
            raise InputError(f"{self.spec.source}: no tensor named {e.args[0]!r} (outputs: {', '.join(self.output_names)})") from None
        infos = infer_shapes(graph, {t.name: Info(t.shape, t.dtype) for t in self.inputs})
        for name, (node, index) in graph.outputs.items():
            if (node, index) not in infos:
                count = sum(ref[0] == node for ref in infos)
                raise InputError(f"{self.spec.source}: no tensor named {name!r}: node {node!r} "
                                 f"({graph.nodes[node].op}) has {count} output{'s' if count != 1 else ''}")
        return graph

    def _feeds(self, x: Any) -> dict[str, np.ndarray]:
        if not isinstance(x, Mapping):
            if len(self.inputs) != 1:
                raise InputError(f"the model has {len(self.inputs)} inputs ({', '.join(t.name for t in self.inputs)}): pass a dict")
            return {self.inputs[0].name: check_input(self.inputs[0], x)}
        given = {ref_name(parse_ref(k)): v for k, v in x.items()}
        names = {t.name for t in self.inputs}
        if unknown := sorted(set(given) - names):
            raise InputError(f"unknown input {', '.join(map(repr, unknown))} (inputs: {', '.join(sorted(names))})")
        if missing := [t.name for t in self.inputs if t.name not in given]:
            raise InputError(f"missing input {', '.join(map(repr, missing))}")
        return {t.name: check_input(t, given[t.name]) for t in self.inputs}

    def predict(self, x: Any, outputs: str | Sequence[str] | None = None) -> np.ndarray | dict[str, np.ndarray]:
        """x: an array (one-input models) or {input name: array}. outputs: a tensor name or a list of
        them ("node" or "node:i"); default the model's outputs. One name (or a one-output model) gives
        an array, a list gives a dict keyed by the names as given."""
        names = self.output_names if outputs is None else (outputs,) if isinstance(outputs, str) else tuple(outputs)
        result = self._runner(names).run(self._feeds(x))
        if isinstance(outputs, str) or (outputs is None and len(names) == 1):
            return result[names[0]]
        return result

    def dispose(self) -> None:
        """Free what the backends hold (webgl: every texture, buffer and program)."""
        for runner in self._runners.values():
            if hasattr(runner, "dispose"):
                runner.dispose()
        self._runners.clear()

    def summary(self) -> str:
        runner = self._runner(self.output_names)
        n_params = sum(v.size for v in self.graph.consts.values())
        ops = Counter(node.op for node in runner.graph.nodes.values() if node.op not in ("Const", "Placeholder"))
        lines = [
            f"GraphModel {self.spec.source}  [{self.backend} backend]",
            f"  converted by {self.spec.converted_by or '?'}, generated by {self.spec.generated_by or '?'}",
            "  inputs:",
            *(f"    {t.name:32s} {t.dtype:8s} {shape_text(t.shape)}" for t in self.inputs),
            "  outputs:",
            *(f"    {t.name:32s} {t.dtype:8s} {shape_text(t.shape)}" for t in self.outputs),
            f"  nodes: {len(self.graph.nodes)} in the model, {sum(ops.values())} to run after graph passes",
            f"  weights: {n_params:,} values",
            "  ops: " + ", ".join(f"{op} {n}" for op, n in ops.most_common()),
        ]
        return "\n".join(lines)


def load_graph_model(source: str, backend: str = "cpu", fetcher: Any = None, **options: Any) -> GraphModel:
    """model.json path (its shards beside it), or any source a fetcher (pyapp.model.Fetcher) reads."""
    spec, weights = load_model_spec(source, fetcher)
    return GraphModel(spec, weights, backend, **options)
