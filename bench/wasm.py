"""WASM benchmark: pyapp's wasm backend (Python plans, SIMD128 kernels, in the worker) next to TF.js
4.22's wasm backend (XNNPACK, main thread) in the same page, same model, same golden input.

    .venv/bin/python -m bench.wasm [--models selfie,meet,blazeface] [--runs 50]

Per model: for pyapp, the in-worker load (plan, pack, one warm-up run), first inference, median of
--runs inferences and, from one profiled run, the kernel time per step kind and the Python dispatch
share; both engines also through their page round trip (first, median, p95, outputs read back).
Prints a table and writes bench/results/wasm-<date>.json. The machine's load average is in both.
"""

import argparse
import datetime
import json
import os
import platform
import sys
from pathlib import Path

import numpy as np
from playwright.sync_api import sync_playwright

from pyapp.assets import assets_dir
from pyapp.bench.chromium import BENCH_ARGS, CHROMIUM
from pyapp.server.local import serving
from tools.golden import ensure

RESULTS = Path(__file__).with_name("results")
CASE = "astronaut"

# Both engines from the page: the time from the call to the outputs in the page's hands.
PAGE_RUNS = """async ([engine, url, name, data, shape, runs]) => {
  let predict, t0 = performance.now(), load;
  if (engine === "pyapp") {
    const loaded = await window.pyapp.call("load_model", {url, backend: "wasm"});
    load = performance.now() - t0;
    const inputs = {[name]: {dtype: "float32", shape, data: new Float32Array(data)}};
    predict = async () => (await window.pyapp.call("predict", {model: loaded.model, inputs})).outputs;
    window.benchModel = loaded.model;
  } else {
    await import(window.tfjsBase + "tf-backend-wasm.min.js");
    tf.wasm.setWasmPaths(window.tfjsBase);
    await tf.setBackend("wasm");
    const model = await tf.loadGraphModel(url);
    load = performance.now() - t0;
    const x = tf.tensor(data, shape);
    predict = async () => {
      const out = model.predict(x);
      const list = Array.isArray(out) ? out : out instanceof tf.Tensor ? [out] : Object.values(out);
      const got = [];
      for (const t of list) { got.push(await t.data()); t.dispose(); }
      return got;
    };
  }
  t0 = performance.now();
  await predict();
  const first = performance.now() - t0;
  const times = [];
  for (let i = 0; i < runs; i++) { t0 = performance.now(); await predict(); times.push(performance.now() - t0); }
  times.sort((a, b) => a - b);
  return {load_ms: load, first_ms: first, median_ms: times[Math.floor(runs / 2)], p95_ms: times[Math.floor(runs * 0.95)]};
}"""


def bench(models: list[str], runs: int) -> dict:
    assets = assets_dir()
    golden = ensure(assets)["models"]
    results = {}
    with serving() as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BENCH_ARGS)
        page = browser.new_page()
        page.goto(url + "/")
        page.wait_for_function("window.pyappState === 'ready'", timeout=180_000)
        config = page.evaluate("fetch('/api/config').then((r) => r.json())")
        page.evaluate("(base) => { window.tfjsBase = base; }", config["tfjs"])
        page.add_script_tag(url=config["tfjs"] + "tf.min.js")
        for name in models:
            case = golden[name]["cases"][CASE]
            x = np.load(assets / "golden" / case["input"])
            input_name = golden[name]["input"][0]["name"]
            args = [f"/models/{name}/model.json", input_name, x.reshape(-1).tolist(), list(x.shape), runs]
            ours = page.evaluate(PAGE_RUNS, ["pyapp", *args])
            inputs = {input_name: {"dtype": str(x.dtype), "shape": list(x.shape), "data": x.reshape(-1).tolist()}}
            worker = page.evaluate("([m, inputs, runs]) => window.pyapp.call('wasm_bench', {model: m, inputs, runs})",
                                   [page.evaluate("window.benchModel"), inputs, runs])
            theirs = page.evaluate(PAGE_RUNS, ["tfjs", *args])
            results[name] = {"input": f"{CASE} {list(x.shape)} {x.dtype}", "pyapp_wasm_worker": {**ours, "worker": worker},
                             "tfjs_wasm_main": theirs}
            print(row(name, ours, worker, theirs), flush=True)
        browser.close()
    return results


HEADER = f"{'model':10s} {'engine':11s} {'load':>7s} {'first':>7s} {'median':>7s} {'p95':>7s}   in the worker"


def row(name: str, ours: dict, worker: dict, theirs: dict) -> str:
    prof = worker["profile"]
    kinds = ", ".join(f"{k} {v:.2f}" for k, v in sorted(prof["kinds_ms"].items(), key=lambda kv: -kv[1]))
    inside = (f"median {worker['median_ms']:.1f} ms; kernels (ms): {kinds}; {prof['calls']} calls, "
              f"dispatch {prof['dispatch_ms']:.2f} ms = {prof['dispatch_share'] * 100:.0f}% of a run")
    lines = [f"{name:10s} {engine:11s} {r['load_ms']:7.0f} {r['first_ms']:7.1f} {r['median_ms']:7.1f} {r['p95_ms']:7.1f}   {extra}"
             for engine, r, extra in (("pyapp wasm", ours, inside), ("tfjs wasm", theirs, ""))]
    ratio = f"pyapp/tfjs: first {ours['first_ms'] / theirs['first_ms']:.2f}x, steady {ours['median_ms'] / theirs['median_ms']:.2f}x"
    return "\n".join(lines + [f"{'':10s} {ratio}"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="selfie,meet,blazeface")
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print(HEADER)
    results = bench(args.models.split(","), args.runs)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"wasm-{datetime.date.today()}.json"
    out.write_text(json.dumps({"command": " ".join(["python -m bench.wasm", *sys.argv[1:]]), "machine": platform.platform(),
                               "load_average": [load, os.getloadavg()], "models": results}, indent=1))
    print(f"load average after {' '.join(f'{v:.1f}' for v in os.getloadavg())}; wrote {out}")


if __name__ == "__main__":
    main()
