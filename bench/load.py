"""python -m bench load [MODEL ...] [--runs N]: cold vs cached load_model times in the worker.

Starts `pyapp serve` on a free port, opens the page in headless Chromium (the e2e flags), and per model
loads it N times with an empty IndexedDB cache (cold) and N times from the cache (warm), each in the
same booted worker. Prints the median of each load_model timing (ms) as a table.
"""

import statistics

from playwright.sync_api import sync_playwright

from pyapp.server.local import serving

from . import arguments
from .chromium import CHROMIUM, CHROMIUM_ARGS, open_app

COLUMNS = ("model_json", "cache_read", "network", "verify", "decode", "build", "cache_write", "total")


def measure(page, model: str, runs: int) -> dict[str, list[dict]]:
    url = f"/models/{model}/model.json"
    load = "(url) => window.pyapp.call('load_model', {url}).then(async (r) => { await window.pyapp.call('dispose_model', {model: r.model}); return r; })"
    results = {"cold": [], "cached": []}
    for _ in range(runs):
        page.evaluate("window.pyapp.cache.clear()")
        results["cold"].append(page.evaluate(load, url))
        results["cached"].append(page.evaluate(load, url))
    return results


def main(argv: list[str]) -> None:
    parser = arguments("load", __doc__)
    parser.add_argument("models", nargs="*", default=["selfie", "meet"])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    with serving() as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        open_app(page, url)
        print(f"| model | load | shards (cached) | {' | '.join(COLUMNS)} |")
        print("|---" * (len(COLUMNS) + 3) + "|")
        for model in args.models:
            for kind, runs in measure(page, model, args.runs).items():
                shards = runs[0]["shards"]
                cells = [f"{statistics.median(r['timings'].get(c, 0.0) for r in runs):.1f}" for c in COLUMNS]
                print(f"| {model} | {kind} | {shards['count']} ({shards['from_cache']}) | {' | '.join(cells)} |")
        browser.close()
