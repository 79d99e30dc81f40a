"""WASM benchmark: pyapp's wasm backend (Python plans, SIMD128 kernels, in the worker) next to TF.js
4.22's wasm backend (XNNPACK, main thread) in the same page, same model, same golden input.

    .venv/bin/python -m bench wasm [--models selfie,meet,blazeface] [--runs 50] [--out DIR]

Per model, both engines through `python -m bench`'s page sequence (bench.html, outputs checked, read
back): cold start, first inference, median and p95 of --runs steady inferences; for pyapp also, in
the worker, the median of --runs runs and, from 5 profiled runs, the kernel time per step kind and
the Python dispatch share.
Prints a table and writes bench/results/wasm-<date>.json (or in --out). The machine's load average is in both.
"""

import json
import os
import sys
import urllib.request
from dataclasses import replace

from playwright.sync_api import sync_playwright

from pyapp.assets import assets_dir
from pyapp.server.local import serving
from tools.golden import ensure

from . import models_and_runs, write_results
from .cases import load_case
from .chromium import BENCH_ARGS, CHROMIUM, open_app
from .engines import Engine
from .measure import Plan, measure
from .stats import summarize

CASE = "astronaut"

PLAN = Plan(health_s=0.5, memory_runs=14, repeats=1, step_timeout_s=600.0)
ENGINES = (Engine("pyapp", "wasm", "worker"), Engine("tfjs", "wasm", "main"))


def bench(models: list[str], runs: int) -> dict:
    """Per model: both engines through `python -m bench`'s page sequence (bench.html: cold and warm start,
    first result, steady state), then pyapp's in-worker profile on the app page."""
    assets = assets_dir()
    ensure(assets)
    plan = replace(PLAN, runs=runs)
    results = {}
    with serving() as url, sync_playwright() as p:
        config = json.loads(urllib.request.urlopen(url + "/api/config").read())
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BENCH_ARGS)
        page = browser.new_page()
        open_app(page, url)
        for name in models:
            case = load_case(assets / "golden", name)
            summaries = {}
            for engine in ENGINES:
                measured = measure(browser, url, config, engine, case, plan, memory_growth=False)
                if "error" in measured:
                    sys.exit(f"python -m bench wasm: {engine.label} on {name}: {measured['error']}")
                summaries[engine.label] = summarize([measured])
            inputs = {case.input_name: {"dtype": str(case.input.dtype), "shape": list(case.input.shape),
                                        "data": case.input.reshape(-1).tolist()}}
            loaded = page.evaluate("(u) => window.pyapp.call('load_model', {url: u, backend: 'wasm'})", f"/models/{name}/model.json")
            worker = page.evaluate("([m, inputs, runs]) => window.pyapp.call('wasm_bench', {model: m, inputs, runs})",
                                   [loaded["model"], inputs, runs])
            ours, theirs = (summaries[e.label] for e in ENGINES)
            results[name] = {"input": f"{CASE} {list(case.input.shape)} {case.input.dtype}", "pyapp_wasm_worker": {**ours, "worker": worker},
                             "tfjs_wasm_main": theirs}
            print(row(name, ours, worker, theirs), flush=True)
        browser.close()
    return results


HEADER = f"{'model':10s} {'engine':11s} {'cold':>7s} {'first':>7s} {'median':>7s} {'p95':>7s}   in the worker"


def row(name: str, ours: dict, worker: dict, theirs: dict) -> str:
    prof = worker["profile"]
    kinds = ", ".join(f"{k} {v:.2f}" for k, v in sorted(prof["kinds_ms"].items(), key=lambda kv: -kv[1]))
    inside = (f"median {worker['median_ms']:.1f} ms; kernels (ms): {kinds}; {prof['calls']} calls, "
              f"dispatch {prof['dispatch_ms']:.2f} ms = {prof['dispatch_share'] * 100:.0f}% of a run")
    lines = [f"{name:10s} {engine:11s} {r['cold_ms']:7.0f} {r['first_ms']:7.1f} {r['steady_median_ms']:7.1f} {r['steady_p95_ms']:7.1f}   {extra}"
             for engine, r, extra in (("pyapp wasm", ours, inside), ("tfjs wasm", theirs, ""))]
    ratio = (f"pyapp/tfjs: first {ours['first_ms'] / theirs['first_ms']:.2f}x, "
             f"steady {ours['steady_median_ms'] / theirs['steady_median_ms']:.2f}x")
    return "\n".join(lines + [f"{'':10s} {ratio}"])


def main(argv: list[str]) -> None:
    args = models_and_runs("wasm", __doc__, argv)
    load = os.getloadavg()
    print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print(HEADER)
    results = bench(args.models.split(","), args.runs)
    out = write_results("wasm", argv, args.out, load_average=[load, os.getloadavg()], models=results)
    print(f"load average after {' '.join(f'{v:.1f}' for v in os.getloadavg())}; wrote {out}")
