"""CPU benchmark: pyapp's numpy backend in CPython next to TF.js 4.22's CPU backend in Node, same model, same input.

    .venv/bin/python -m bench cpu [--models selfie,meet] [--runs 20] [--out DIR]

Per model: median milliseconds of predict (result available) over --runs runs after warm-up, for both engines,
on the golden "astronaut" input. Prints a table and writes bench/results/cpu-<date>.json (or in --out).
"""

import datetime
import os
import platform
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from pyapp.api import load_graph_model
from pyapp.assets import assets_dir
from tools.golden.generate import model_json, run_node
from tools.golden.inputs import MODELS, make_input

from . import add_out, arguments, write_results

WARMUP = 3  # runs discarded before timing, as tools/golden/tfjs_run.js does
CASE = "astronaut"


def pyapp_median_ms(model, x: np.ndarray, runs: int) -> float:
    times = []
    for i in range(WARMUP + runs):
        started = time.perf_counter()
        model.predict(x)
        if i >= WARMUP:
            times.append((time.perf_counter() - started) * 1e3)
    return statistics.median(times)


def bench_model(assets: Path, name: str, runs: int) -> dict:
    x = make_input(name, CASE, assets / "images")
    started = time.perf_counter()
    model = load_graph_model(model_json(assets, name))
    load_ms = (time.perf_counter() - started) * 1e3
    with tempfile.TemporaryDirectory() as tmp:
        np.save(Path(tmp, "input.npy"), x)
        tfjs = run_node(assets, name, [{"input": "input.npy"}], Path(tmp), bench_runs=runs)
    return {"input": f"{CASE} {list(x.shape)} {x.dtype}", "pyapp_load_ms": round(load_ms, 1),
            "pyapp_ms": round(pyapp_median_ms(model, x, runs), 2), "tfjs_ms": round(tfjs["median_ms"], 2)}


def environment() -> dict:
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    return {"python": platform.python_version(), "numpy": np.__version__, "node": node, "tfjs": "4.22.0 (cpu backend)",
            "machine": platform.machine(), "cpus": os.cpu_count(), "platform": platform.platform()}


def main(argv: list[str]) -> None:
    parser = arguments("cpu", __doc__)
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated subset of: " + ", ".join(MODELS))
    parser.add_argument("--runs", type=int, default=20, help="timed runs per engine and model (default 20)")
    add_out(parser)
    args = parser.parse_args(argv)
    names = args.models.split(",")
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        parser.error(f"unknown models {unknown}; choose from {list(MODELS)}")
    assets = assets_dir()
    print(f"{'model':<18} {'input':<32} {'pyapp ms':>9} {'TF.js ms':>9} {'pyapp/TF.js':>12}")
    results = {}
    for name in names:
        r = results[name] = bench_model(assets, name, args.runs)
        print(f"{name:<18} {r['input']:<32} {r['pyapp_ms']:>9.2f} {r['tfjs_ms']:>9.2f} {r['pyapp_ms'] / r['tfjs_ms']:>12.2f}")
    out = write_results("cpu", argv, args.out, date=datetime.datetime.now().isoformat(timespec="seconds"),
                        runs=args.runs, warmup=WARMUP, environment=environment(), models=results)
    print(f"written {out}")
