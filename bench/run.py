"""`python -m bench` (`make bench`): serve the app, launch Chromium, measure every engine on every model,
then print the table and write bench/results/<date>-<host>.json (every raw sample) and
bench/results/latest.html."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import nullcontext
from dataclasses import asdict, fields, replace
from pathlib import Path

from pyapp import __version__
from pyapp.assets import REPO_ROOT, TFJS_VERSION, assets_dir
from pyapp.errors import PyappError
from pyapp.server.local import serving

from . import BENCHMARKS, RESULTS, add_out, report
from .cases import CASE, TOLERANCE, load_case
from .chromium import BENCH_ARGS, CHROMIUM
from .engines import BASELINES, order
from .measure import MEMORY_FIRST, QUICK, Plan, measure
from .stats import summarize
from .table import model_table

DEFAULT_MODELS = ("selfie", "meet", "blazeface")


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def git_commit() -> str:
    done = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=REPO_ROOT, capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def machine_facts(browser, page_facts: dict) -> dict:
    return {"host": socket.gethostname(), "cpu": cpu_model(), "cores (os)": os.cpu_count(),
            "cores (navigator)": page_facts.get("cores"), "os": platform.platform(),
            "chromium": browser.version, "user agent": page_facts.get("userAgent"),
            "webgl renderer": page_facts.get("webgl_renderer"), "crossOriginIsolated": page_facts.get("crossOriginIsolated"),
            "flags": " ".join(BENCH_ARGS), "pyapp": f"{__version__} ({git_commit()})", "tfjs": TFJS_VERSION}


def method_text(plan: Plan) -> str:
    return (f"Same input ({CASE} image) for every engine; outputs checked against TF.js 4.22 (Node, cpu) within "
            f"{TOLERANCE} of their range before any timing counts. Each engine runs in its own fresh browser context "
            f"and page; engine order alternates between the {plan.repeats} repeat(s). Cold = new context (empty "
            f"caches) from page open to first result; warm = same page reloaded once it has stored what a repeat "
            f"visit uses (pyapp's memory snapshot). Steady state: {plan.runs} timed "
            f"inferences per repeat after {MEMORY_FIRST - 1} warm-up inferences (excluded) following the warm start. "
            f"Main-thread health: {plan.health_s:g} s of continuous inference with an animation running. Memory "
            f"(live bytes per realm, Chromium's measureUserAgentSpecificMemory) after {MEMORY_FIRST} and after "
            f"{plan.memory_runs} inferences, in the first repeat.")


def model_entry(case, plan: Plan, raw: dict[str, list[dict]]) -> dict:
    return {
        "input": f"{CASE} {'x'.join(map(str, case.input.shape))} {case.input.dtype}",
        "steady": f"median / p95 of {plan.runs} runs per repeat after {MEMORY_FIRST - 1} warm-up (excluded), "
                  f"result read back",
        "baselines": [b.label for b in BASELINES],
        "engines": {label: {"summary": summarize(runs), "raw": runs} for label, runs in raw.items()},
    }


def run(models: list[str], plan: Plan, out: Path = RESULTS, base: str | None = None,
        log=lambda line: print(line, file=sys.stderr, flush=True)) -> dict:
    """Measures, and after each model rewrites the JSON and the HTML (an interrupted run keeps what it finished)."""
    from playwright.sync_api import sync_playwright

    started, now = time.monotonic(), datetime.datetime.now()
    cases = [load_case(assets_dir() / "golden", model) for model in models]
    doc = {"date": now.isoformat(timespec="seconds"), "command": " ".join(sys.argv), "method": method_text(plan),
           "plan": asdict(plan), "models": {}}
    out.mkdir(parents=True, exist_ok=True)
    with (nullcontext(base) if base else serving()) as url, sync_playwright() as playwright:
        config = json.loads(urllib.request.urlopen(url + "/api/config").read())
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BENCH_ARGS)
        for case in cases:
            raw = {}
            for repeat in range(plan.repeats):
                for engine in order(repeat):
                    t0 = time.monotonic()
                    result = measure(browser, url, config, engine, case, plan, memory_growth=repeat == 0)
                    raw.setdefault(engine.label, []).append(result)
                    what = result.get("error") or f"steady median {summarize([result])['steady_median_ms']:.1f} ms"
                    log(f"bench: {case.model} [{repeat + 1}/{plan.repeats}] {engine.label}: {what} "
                        f"({time.monotonic() - t0:.0f} s)")
            doc["models"][case.model] = model_entry(case, plan, raw)  # rows in ENGINES order: repeat 0's
            page_facts = next((r["facts"] for runs in raw.values() for r in runs if "facts" in r), None)
            if page_facts or "facts" not in doc:
                doc["facts"] = machine_facts(browser, page_facts or {})
            doc["seconds"] = round(time.monotonic() - started, 1)
            json_file = out / f"{now:%Y-%m-%d}-{doc['facts']['host']}.json"
            json_file.write_text(json.dumps(doc, indent=1))
            (out / "latest.html").write_text(report.render(doc))
            print(model_table(case.model, doc["models"][case.model]) + "\n", flush=True)
        browser.close()
    log(f"bench: {doc['seconds']:.0f} s; wrote {json_file} and {out / 'latest.html'}")
    return doc


def main(argv: list[str]) -> int:
    listed = "\n".join(f"  {name:7s} {what}" for name, what in BENCHMARKS.items())
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"one benchmark: python -m bench NAME [-h] ...\n{listed}")
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS),
                        help="comma-separated models with golden outputs (default: %(default)s)")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke mode: the first model only, {QUICK.runs} runs, {QUICK.health_s:g} s health, one repeat")
    for field in fields(Plan):
        parser.add_argument(f"--{field.name.replace('_', '-')}", type=type(getattr(Plan(), field.name)),
                            help=f"override (default {getattr(Plan(), field.name)}, --quick {getattr(QUICK, field.name)})")
    add_out(parser)
    args = parser.parse_args(argv)
    overrides = {f.name: getattr(args, f.name) for f in fields(Plan) if getattr(args, f.name) is not None}
    plan = replace(QUICK if args.quick else Plan(), **overrides)
    models = args.models.split(",")[:1] if args.quick else args.models.split(",")
    try:
        run(models, plan, args.out)
    except PyappError as e:
        print(f"python -m bench: {e}", file=sys.stderr)
        return 2
    return 0
