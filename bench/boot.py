"""Page open → ready and → first result, pyapp next to TF.js, measured as a user meets them.

Each engine runs on the bench page (static/bench.js times it from page open): cold = a new browser
context (empty HTTP cache), warm = the same page reloaded once what it keeps for a repeat visit is
stored (pyapp's memory snapshot, made in the background after ready). Profiles: `incognito` (a new context:
no wasm code cache survives) and `persistent` (launch_persistent_context on a fresh profile folder,
as a real browser keeps compiled wasm). Networks: `local` (loopback) and `20mbit` (CDP
Network.emulateNetworkConditions: 20 Mbit/s both ways, 40 ms round trip, set on the page and on each
of its workers, nested ones too). Every first result is
checked against TF.js's reference outputs (the golden "astronaut" case). Engines, profiles and
networks alternate their order between runs; the table gives medians and the JSON every sample.

    .venv/bin/python -m bench boot [--runs 3] [--engines pyapp-cpu tfjs-wasm ...]
        [--profiles incognito persistent] [--networks local 20mbit] [--model selfie]
        [--variant NAME:QUERY ...] [--server NAME=URL ...] [--url URL] [--out DIR]

`--variant originals:pyodide=/pyodide/v0.27.7/&wheel=/wheels/pyapp-0.1.0-py3-none-any.whl` also runs
pyapp with the page's runtime and wheel overridden (the bench page reads `pyodide`, `wheel` from its
query, as the index page does): the uncompiled originals next to the compiled build, in one run.
`--server before=http://127.0.0.1:PORT` also runs the pyapp engines against another running server
(e.g. an older checkout's `pyapp serve`), interleaved with the others.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from urllib.parse import parse_qsl

from playwright.sync_api import Error as PlaywrightError, sync_playwright

from pyapp.assets import assets_dir
from pyapp.server.local import serving

from . import add_out, arguments
from .cases import load_case
from .chromium import CHROMIUM, CHROMIUM_ARGS
from .engines import Engine
from .measure import Steps, check_outputs, page_url, reason

ENGINES = {"pyapp-cpu": Engine("pyapp", "cpu", "worker"), "pyapp-wasm": Engine("pyapp", "wasm", "worker"),
           "pyapp-webgl": Engine("pyapp", "webgl", "worker"),
           "tfjs-wasm": Engine("tfjs", "wasm", "main"), "tfjs-webgl": Engine("tfjs", "webgl", "main")}
NETWORKS = {"local": None,
            "20mbit": {"offline": False, "latency": 40, "downloadThroughput": 20e6 / 8, "uploadThroughput": 20e6 / 8}}
PROFILES = ("incognito", "persistent")
STEP_TIMEOUT_S = 300


@contextmanager
def browser_context(p, profile: str):
    """A context with nothing cached: a new incognito context, or a persistent one on a new profile."""
    with ExitStack() as stack:
        if profile == "persistent":
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="pyapp-profile-"))
            context = p.chromium.launch_persistent_context(folder, executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        else:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            stack.callback(browser.close)
            context = browser.new_context()
        try:
            yield context
        finally:
            context.close()


class Throttle:
    """CDP network conditions on a page and on every worker it starts, at any depth (the page's
    conditions reach its workers but not theirs, e.g. pyapp's fetcher and snapshot workers). Workers
    are attached unflattened, each paused at its start until its conditions are set."""

    def __init__(self, context, page, conditions: dict):
        self.conditions, self.ids = conditions, iter(range(1, 1 << 30))
        self.cdp = context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.cdp.send("Network.emulateNetworkConditions", conditions)
        self.cdp.on("Target.attachedToTarget", lambda ev: self.attached([ev["sessionId"]]))
        self.cdp.on("Target.receivedMessageFromTarget", lambda ev: self.received([ev["sessionId"]], ev["message"]))
        self.cdp.send("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": False})

    def send(self, path: list[str], method: str, params: dict | None = None) -> None:
        """A command to the target at the end of path (session ids, outermost first)."""
        message = {"id": next(self.ids), "method": method, "params": params or {}}
        for session in reversed(path[1:]):
            message = {"id": next(self.ids), "method": "Target.sendMessageToTarget",
                       "params": {"sessionId": session, "message": json.dumps(message)}}
        self.cdp.send("Target.sendMessageToTarget", {"sessionId": path[0], "message": json.dumps(message)})

    def attached(self, path: list[str]) -> None:
        self.send(path, "Network.emulateNetworkConditions", self.conditions)
        self.send(path, "Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": False})
        self.send(path, "Runtime.runIfWaitingForDebugger")

    def received(self, path: list[str], text: str) -> None:
        message = json.loads(text)
        if message.get("method") == "Target.attachedToTarget":
            self.attached(path + [message["params"]["sessionId"]])
        elif message.get("method") == "Target.receivedMessageFromTarget":
            self.received(path + [message["params"]["sessionId"]], message["params"]["message"])


def load(step: Steps, case) -> dict:
    started = step("() => bench.started")
    sample = {"ready_ms": started["stages"]["runtime"], "first_ms": started["total"],
              "output_error": check_outputs(step, case), "network_kb": step.network_kb()}
    if "boot_ms" in started["facts"]:
        sample["boot_stages_ms"] = started["facts"]["boot_ms"]
        sample["snapshot"] = started["facts"]["snapshot"]
    return sample


def measure(p, url: str, case, network: str, profile: str) -> dict:
    """One cold page load and one warm reload."""
    with browser_context(p, profile) as context:
        page = context.new_page()
        if NETWORKS[network]:
            Throttle(context, page, NETWORKS[network])
        step = Steps(page, STEP_TIMEOUT_S)
        try:
            page.goto(url)
            cold = load(step, case)
            stored = step.reload()
            return {"cold": cold, "stored": stored, "warm": load(step, case)}
        except PlaywrightError as e:
            return {"error": reason(e)}


def median(samples: list[dict], load_kind: str, key: str) -> float | None:
    values = [s[load_kind][key] for s in samples if "error" not in s]
    return statistics.median(values) if values else None


def table(results: list[dict]) -> list[str]:
    rows = [["network", "profile", "engine", "cold ready", "cold first", "warm ready", "warm first",
             "first ÷ TF.js wasm (cold / warm)", "runs"]]
    groups: dict[tuple, list[dict]] = {}
    for r in results:
        groups.setdefault((r["network"], r["profile"], r["engine"]), []).append(r)
    for (network, profile, engine), samples in groups.items():
        base = groups.get((network, profile, "tfjs-wasm"), [])
        cells = [median(samples, kind, key) for kind in ("cold", "warm") for key in ("ready_ms", "first_ms")]
        ratios = [f"{median(samples, k, 'first_ms') / median(base, k, 'first_ms'):.2f}"
                  if median(samples, k, "first_ms") and median(base, k, "first_ms") else "-" for k in ("cold", "warm")]
        errors = sum("error" in s for s in samples)
        rows.append([network, profile, engine, *(f"{c:,.0f}" if c is not None else "n/a" for c in cells),
                     " / ".join(ratios), f"{len(samples) - errors}" + (f" ({errors} failed)" if errors else "")])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    return [lines[0], "-" * len(lines[0]), *lines[1:]]


def main(argv: list[str]) -> None:
    parser = arguments("boot", __doc__)
    parser.add_argument("--runs", type=int, default=3, help="cold + warm loads per engine, profile and network")
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=list(ENGINES))
    parser.add_argument("--profiles", nargs="+", default=list(PROFILES), choices=PROFILES)
    parser.add_argument("--networks", nargs="+", default=list(NETWORKS), choices=list(NETWORKS))
    parser.add_argument("--model", default="selfie")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME:QUERY",
                        help="pyapp engines again with these page query overrides (pyodide=..., wheel=...)")
    parser.add_argument("--server", action="append", default=[], metavar="NAME=URL",
                        help="pyapp engines also against this running server, labelled NAME")
    parser.add_argument("--url", help="measure this running server instead of starting `pyapp serve`")
    add_out(parser)
    args = parser.parse_args(argv)
    variants = {v.split(":", 1)[0]: dict(parse_qsl(v.split(":", 1)[1])) for v in args.variant}
    servers = dict(s.split("=", 1) for s in args.server)
    case = load_case(assets_dir() / "golden", args.model)
    results = []
    with ExitStack() as stack:
        base = args.url.rstrip("/") if args.url else stack.enter_context(serving())
        with sync_playwright() as p:
            config = json.loads(urllib.request.urlopen(base + "/api/config").read())
            # (label, server, query overrides): the server as it is, then the pyapp-only variants
            setups = [("", base, {})] + [(name, base, query) for name, query in variants.items()] \
                + [(name, url.rstrip("/"), {}) for name, url in servers.items()]
            jobs = [(network, profile, name + (f" {label}" if label else ""),
                     page_url(server, config, ENGINES[name], case, overrides))
                    for network in args.networks for profile in args.profiles
                    for name in args.engines for label, server, overrides in setups
                    if not label or name.startswith("pyapp")]
            for run in range(args.runs):
                for network, profile, engine, url in (jobs if run % 2 == 0 else jobs[::-1]):
                    sample = measure(p, url, case, network, profile)
                    results.append({"run": run, "network": network, "profile": profile, "engine": engine, **sample})
                    print(json.dumps(results[-1]), flush=True)
    lines = table(results)
    print("\n".join(lines))
    args.out.mkdir(parents=True, exist_ok=True)
    written = args.out / "boot-times.json"
    written.write_text(json.dumps({"time": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                                   "args": vars(args) | {"out": str(args.out)}, "config": config,
                                   "results": results, "table": lines}, indent=1))
    print(f"wrote {written}")
