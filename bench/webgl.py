"""WebGL benchmark: pyapp's WebGL2 backend (Python in the worker) next to TF.js 4.22's webgl backend
(main thread) on the same page, same model, same golden input.

    .venv/bin/python -m bench webgl [--models selfie,meet,blazeface] [--runs 50] [--out DIR]

Per model and engine: load (pyapp: plan + compile + upload + one warm-up run), first inference after
load, median and p95 of --runs inferences with outputs read back, compiled programs, draw passes per
inference (pyapp: with the copies of outputs read back); for pyapp also the Python dispatch share of
one run. Prints a table and writes bench/results/webgl-<date>.json (or in --out).
"""

import numpy as np
from playwright.sync_api import sync_playwright

from pyapp.assets import assets_dir
from pyapp.server.local import serving
from tools.golden import ensure

from . import models_and_runs, write_results
from .chromium import CHROMIUM, CHROMIUM_ARGS, open_app

CASE = "astronaut"
# Roofline floors (shared/NOTES-browser.md): ms per inference if every activation crossed memory once.
FLOOR_MS = {"selfie": 26, "meet": 14, "blazeface": 37}

TFJS = """async ([url, data, shape, runs]) => {
  await tf.setBackend("webgl");
  const backend = tf.backend(), gl = backend.gpgpu.gl;
  let draws = 0;
  for (const name of ["drawElements", "drawArrays"]) {
    const original = gl[name].bind(gl);
    gl[name] = (...args) => { draws++; return original(...args); };
  }
  let t0 = performance.now();
  const model = await tf.loadGraphModel(url);
  const load = performance.now() - t0;
  const x = tf.tensor(data, shape);
  const once = async () => {
    const out = model.predict(x);
    const list = Array.isArray(out) ? out : out instanceof tf.Tensor ? [out] : Object.values(out);
    for (const t of list) { await t.data(); t.dispose(); }
  };
  t0 = performance.now();
  await once();
  const first = performance.now() - t0;
  draws = 0;
  await once();
  const passes = draws;
  const times = [];
  for (let i = 0; i < runs; i++) { t0 = performance.now(); await once(); times.push(performance.now() - t0); }
  times.sort((a, b) => a - b);
  const programs = Object.keys(backend.binaryCache || {}).length;
  x.dispose(); model.dispose();
  return {load_ms: load, first_ms: first, median_ms: times[Math.floor(runs / 2)],
          p95_ms: times[Math.floor(runs * 0.95)], programs, draws: passes};
}"""


def bench(models: list[str], runs: int) -> dict:
    assets = assets_dir()
    golden = ensure(assets)["models"]
    results = {}
    with serving() as url:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            gold = assets / "golden"
            page.route("**/golden/**", lambda route: route.fulfill(body=(gold / route.request.url.split("/golden/", 1)[1]).read_bytes()))
            open_app(page, url)
            page.add_script_tag(url="/vendor/tfjs/v4.22.0/tf.min.js")
            for name in models:
                case = golden[name]["cases"][CASE]
                x = np.load(gold / case["input"])
                ours = page.evaluate("(p) => window.pyapp.call('webgl_bench', p)",
                                     {"model_url": f"/models/{name}/model.json", "input_url": "/golden/" + case["input"], "runs": runs})
                theirs = page.evaluate(TFJS, [f"/models/{name}/model.json", x.reshape(-1).tolist(), list(x.shape), runs])
                results[name] = {"input": f"{CASE} {list(x.shape)} {x.dtype}", "pyapp_webgl_worker": ours, "tfjs_webgl_main": theirs}
                print(row(name, ours, theirs), flush=True)
            browser.close()
    return results


HEADER = (f"{'model':10s} {'engine':12s} {'load':>8s} {'first':>8s} {'median':>8s} {'p95':>8s} {'programs':>8s} "
          f"{'passes':>6s} {'python':>6s}")


def row(name: str, ours: dict, theirs: dict) -> str:
    lines = []
    for engine, r in (("pyapp webgl", ours), ("tfjs webgl", theirs)):
        share = f"{r['dispatch']['python_share'] * 100:5.1f}%" if "dispatch" in r else "     -"
        load = r["load_ms"]
        lines.append(f"{name:10s} {engine:12s} {load:8.0f} {r['first_ms']:8.0f} {r['median_ms']:8.1f} {r['p95_ms']:8.1f} "
                     f"{r['programs']:8d} {r['draws'] + r.get('copies', 0):6d} {share}")
    ratio = f"pyapp/tfjs: first {ours['first_ms'] / theirs['first_ms']:.2f}x, steady {ours['median_ms'] / theirs['median_ms']:.2f}x"
    if name in FLOOR_MS:
        ratio += f"; pyapp steady / roofline floor ({FLOOR_MS[name]} ms): {ours['median_ms'] / FLOOR_MS[name]:.1f}x"
    return "\n".join(lines + [f"{'':10s} {ratio}"])


def main(argv: list[str]) -> None:
    args = models_and_runs("webgl", __doc__, argv)
    print(HEADER)
    results = bench(args.models.split(","), args.runs)
    print(f"wrote {write_results('webgl', argv, args.out, models=results)}")
