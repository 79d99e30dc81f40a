"""`pyapp profile MODEL.json [--backend cpu] [--input X.npy] [--runs N]`: where a run's time goes,
per op and per node, next to the time of a whole run measured without the per-node timers.

The numpy backend is timed per node (its kernels run one after another); the worker's WebGL
backend reports per pass with the GPU drained after each (pyapp.browser.analyser), in the same
table shape, whose steps add up to the timed runs: {"steps": [{name, op, ms}], "by_op": {op: {count, ms}}, "run_ms", "sum_ms"}.
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


# Runs of each kind. At load 13 on 2 cores (one selfie run 0.16-1.5 s), windows of 10 runs in turns
# put the two means over 20% apart 0-18% of the time, windows of 20 never (3 x 60 runs in the worker).
RUNS = 20
OUTSIDE = "(outside steps)"  # the executor's own time in a run: input lookups, freeing, outputs


def median_ms(fn, runs: int) -> float:
    return float(np.median([ms_of(fn) for _ in range(runs)]))


def ms_of(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def calm_pairs(untimed: list[float], profiled: list[float]) -> list[int]:
    """The half of the (untimed, profiled) pairs of runs, taken one after the other, whose slower
    run is fastest (at least one pair): the pairs least slowed by other work, since on a busy machine
    a run's wall time only grows (2 cores at load 10-13: one model's runs took 0.07-1.3 s)."""
    order = sorted(range(len(untimed)), key=lambda i: max(untimed[i], profiled[i]))
    return order[:max(1, (len(order) + 1) // 2)]


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


def table(steps: list[dict], run_ms: float, backend: str, runs: int, totals: dict | None = None) -> dict:
    """The profile from per-step times: by op (slowest first), their sum and the whole run's time;
    totals: each run's ms, untimed ("run") and profiled ("profiled"), to see the spread."""
    by_op: dict[str, dict] = {}
    for step in steps:
        entry = by_op.setdefault(step["op"], {"count": 0, "ms": 0.0})
        entry["count"] += 1
        entry["ms"] += step["ms"]
    return {"backend": backend, "runs": runs, "run_ms": run_ms, "sum_ms": sum(s["ms"] for s in steps),
            "by_op": dict(sorted(by_op.items(), key=lambda kv: -kv[1]["ms"])), "steps": steps, "totals": totals or {}}


def profile_in_turns(backend: str, run, profiled, runs: int = RUNS) -> dict:
    """run(): one untimed run; profiled(): [(name, op, ms)] of one profiled run. `runs` of each,
    taken in turns so that both see the same load.

    Every figure is a mean over the same calm pairs (calm_pairs), so the table adds up to the
    profiled runs' mean, shown next to the untimed runs' mean. Medians per step would not add up: a
    run's wall time grows with every step another process preempts, while each step's median drops
    the few runs in which that step was (2-core machine at load 9, numpy backend in the worker: the
    medians summed to 0.7x the run). Pairs rather than each kind's fastest half: the two means come
    from the same moments (180 runs at load 13, windows of 20 pairs: their ratio's sd 0.043, 0.057
    for each kind's fastest half).
    """
    untimed, passes = [], []
    for _ in range(runs):
        untimed.append(ms_of(run))
        passes.append(profiled())
    per_run = [[ms for *_, ms in steps] for steps in passes]
    totals = [sum(ms) for ms in per_run]
    kept = calm_pairs(untimed, totals)
    steps = [{"name": name, "op": op, "ms": float(np.mean([per_run[i][k] for i in kept]))} for k, (name, op, _) in enumerate(passes[0])]
    return table(steps, float(np.mean([untimed[i] for i in kept])), backend, runs, {"run": untimed, "profiled": totals})


def profile_cpu(graph: Graph, feeds: dict[str, np.ndarray], runs: int = RUNS) -> dict:
    """ms per node of the numpy backend's plan (the graph as that backend optimises it), and the
    executor's own time around them as one more row, next to untimed runs (profile_in_turns)."""
    graph = optimize(graph, PASSES)
    plain = CpuExecutor(graph)
    times: dict[str, list[float]] = defaultdict(list)
    executor = timed_executor(graph, times)
    plain.run(feeds)
    executor.run(feeds)

    def profiled():
        times.clear()
        ms = ms_of(lambda: executor.run(feeds))
        steps = [(node.name, node.op, times[node.name][0]) for node in executor.plan.steps]
        return steps + [(OUTSIDE, OUTSIDE, ms - sum(step[2] for step in steps))]

    return profile_in_turns("cpu", lambda: plain.run(feeds), profiled, runs)


def format_profile(profile: dict, top: int = 10) -> str:
    total = profile["sum_ms"] or 1.0
    lines = [f"{profile['backend']}: run {profile['run_ms']:.2f} ms (mean of the calm half of {profile['runs']} pairs), "
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
    parser.add_argument("--runs", type=int, default=RUNS, help=f"timed runs, and as many untimed; means over the calm half of the pairs are reported (default {RUNS})")
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
