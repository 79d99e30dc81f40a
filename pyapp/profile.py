"""`pyapp profile MODEL.json [--backend cpu] [--input X.npy] [--runs N]`: where a run's time goes,
per op and per node, next to the time of a whole run measured without the per-node timers.

The numpy backend is timed per node (its kernels run one after another); the worker's WebGL
backend reports per pass with the GPU drained after each (pyapp.browser.analyser), in the same
table shape: {"steps": [{name, op, ms}], "by_op": {op: {count, ms}}, "run_ms", "sum_ms"}.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict

import numpy as np

from pyapp.backends.cpu import PASSES, CpuExecutor
from pyapp.backends.webgl import input_infos
from pyapp.errors import InputError, PyappError
from pyapp.graph import Graph, optimize


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return float(np.median(times))


def timed_executor(graph: Graph, times: dict[str, list[float]]) -> CpuExecutor:
    """An executor for the graph whose every kernel call appends its milliseconds to times[node]."""
    executor = CpuExecutor(graph)

    def timed(kernel, name):
        def run(attrs, *xs):
            t0 = time.perf_counter()
            out = kernel(attrs, *xs)
            times[name].append((time.perf_counter() - t0) * 1000)
            return out
        return run

    executor.steps = [(timed(kernel, node.name), attrs, ins, node, free) for kernel, attrs, ins, node, free in executor.steps]
    return executor


def table(steps: list[dict], run_ms: float, backend: str, runs: int) -> dict:
    """The profile from per-step times: by op (slowest first), their sum and the whole run's time."""
    by_op: dict[str, dict] = {}
    for step in steps:
        entry = by_op.setdefault(step["op"], {"count": 0, "ms": 0.0})
        entry["count"] += 1
        entry["ms"] += step["ms"]
    return {"backend": backend, "runs": runs, "run_ms": run_ms, "sum_ms": sum(s["ms"] for s in steps),
            "by_op": dict(sorted(by_op.items(), key=lambda kv: -kv[1]["ms"])), "steps": steps}


def profile_cpu(graph: Graph, feeds: dict[str, np.ndarray], runs: int = 10) -> dict:
    """Median ms per node over `runs` timed runs (after one warm-up), on the graph as the numpy
    backend optimises it, and the median of as many untimed runs, taken in turns with the timed
    ones so that both see the same load on the machine."""
    graph = optimize(graph, PASSES)
    plain = CpuExecutor(graph)
    times: dict[str, list[float]] = defaultdict(list)
    executor = timed_executor(graph, times)
    plain.run(feeds)
    executor.run(feeds)
    times.clear()
    untimed = []
    for _ in range(runs):
        untimed.append(median_ms(lambda: plain.run(feeds), 1))
        executor.run(feeds)
    steps = [{"name": node.name, "op": node.op, "ms": float(np.median(times[node.name]))} for node in executor.plan.steps]
    return table(steps, float(np.median(untimed)), "cpu", runs)


def format_profile(profile: dict, top: int = 10) -> str:
    total = profile["sum_ms"] or 1.0
    lines = [f"{profile['backend']}: run {profile['run_ms']:.2f} ms (median of {profile['runs']}), "
             f"steps sum to {profile['sum_ms']:.2f} ms", "", f"{'op':<28} {'count':>5} {'ms':>9} {'share':>6}"]
    lines += [f"{op:<28} {e['count']:>5} {e['ms']:>9.3f} {e['ms'] / total:>6.1%}" for op, e in profile["by_op"].items()]
    slowest = sorted(profile["steps"], key=lambda s: -s["ms"])[:top]
    lines += ["", f"slowest {len(slowest)} steps", *(f"{s['name']:<48} {s['op']:<28} {s['ms']:>8.3f}" for s in slowest)]
    return "\n".join(lines)


def feeds_for(graph: Graph, path: str | None) -> dict[str, np.ndarray]:
    """The input from a .npy file, else seeded uniform [0, 1) values of the model's input shape."""
    (name,), infos = graph.inputs, input_infos(graph)
    if path is None:
        info = infos[name]
        return {name: np.random.default_rng(0).random(info.shape).astype(info.dtype)}
    try:
        return {name: np.load(path)}
    except (OSError, ValueError) as e:
        raise InputError(f"--input {path}: not a readable .npy file ({e})") from None


def main(argv: list[str]) -> int:
    from pyapp.api import check_input, load_graph_model

    parser = argparse.ArgumentParser(prog="pyapp profile", description=__doc__)
    parser.add_argument("model", help="path to model.json")
    parser.add_argument("--backend", default="cpu", choices=["cpu", "webgl"],
                        help="cpu here; webgl runs in the browser (the analyser page profiles it)")
    parser.add_argument("--input", help="a .npy file with the model's input (default: seeded random values)")
    parser.add_argument("--runs", type=int, default=10, help="timed runs; the median is reported (default 10)")
    parser.add_argument("--json", action="store_true", help="print the profile as JSON")
    args = parser.parse_args(argv)
    try:
        if args.backend != "cpu":
            raise PyappError("the webgl backend runs in the browser's worker: profile it on /analyse.html")
        model = load_graph_model(args.model)
        if len(model.inputs) != 1:
            raise InputError(f"the model has {len(model.inputs)} inputs: profile takes one-input models")
        feeds = {name: check_input(model.inputs[0], x) for name, x in feeds_for(model.graph, args.input).items()}
        result = profile_cpu(model.graph, feeds, max(1, args.runs))
    except PyappError as e:
        print(f"pyapp profile: {e}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2) if args.json else format_profile(result))
    return 0
