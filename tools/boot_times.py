"""Boot stages of the index page in headless Chromium: one cold load (new context, empty HTTP cache)
then warm reloads in the same context; prints `window.pyapp.stages` (ms) of each.

    .venv/bin/python -m tools.boot_times [--warm 2]
"""

import argparse
import json

from playwright.sync_api import sync_playwright

from pyapp.bench.chromium import CHROMIUM, CHROMIUM_ARGS
from pyapp.server.local import serving

READY_TIMEOUT_MS = 180_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", type=int, default=2, help="warm reloads after the cold load")
    args = parser.parse_args()
    with serving() as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        for i in range(1 + args.warm):
            page = context.new_page()
            page.goto(url + "/")
            page.wait_for_function("['ready', 'error'].includes(window.pyappState)", timeout=READY_TIMEOUT_MS)
            stages = {k: round(v) for k, v in page.evaluate("window.pyapp.stages").items()}
            print(json.dumps({"load": "warm" if i else "cold", "state": page.evaluate("window.pyappState"), **stages}), flush=True)
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
