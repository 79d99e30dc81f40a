"""One engine on one model in its own fresh browser context: the page sequence and its raw samples.

Sequence (static/bench.js does the timing in the page):
  cold start (new context: empty HTTP cache and IndexedDB) → outputs checked against the reference
  → reload once the page has stored what a repeat visit uses (pyapp's memory snapshot) (warm start:
  the HTTP cache and IndexedDB as the cold start left them; `network_kb` says
  how much of each start came over the network) → warm-up runs up to the 10th inference (excluded)
  → memory read → timed runs (steady state) → in the first repeat only, more runs up to `memory_runs`
  inferences and memory read again → outputs checked again → continuous inference for `health_s`
  seconds with an animation running (long tasks, rAF rate).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlencode

from playwright.sync_api import Browser, Error as PlaywrightError

from pyapp.assets import assets_dir
from pyapp.errors import PyappError

from .cases import TOLERANCE, Case, decode, output_error
from .engines import Engine

INPUT_FOLDER = ".bench-input"  # under served-models: a dot folder is served but never offered as a model
# The warm page's inferences up to this count are warm-up, excluded from the steady state; memory is read
# after them, so the garbage collection that the read runs stays out of the timed runs.
MEMORY_FIRST = 10


@dataclass(frozen=True)
class Plan:
    runs: int = 50  # timed steady-state inferences per repeat
    health_s: float = 10.0  # seconds of continuous inference while the main thread is watched
    # Inferences before the second memory read. The first repeat alone goes that far: growth is one figure
    # per engine, and the other repeats would spend most of their time on runs no figure uses.
    memory_runs: int = 200
    repeats: int = 2  # each engine's whole sequence, in alternating engine order
    step_timeout_s: float = 900.0  # a page step taking longer ends that engine's run as n/a, never a hang


QUICK = Plan(runs=3, health_s=1.0, memory_runs=14, repeats=1, step_timeout_s=180.0)


def served_input(case: Case) -> str:
    """The URL path of the case's input as a file the server sends. (A Playwright route would answer it
    instead, but routing turns the context's HTTP cache off: the warm start would not be warm.)"""
    path = assets_dir() / "served-models" / INPUT_FOLDER / f"{case.model}.bin"
    data = case.input.tobytes()
    if not path.exists() or path.read_bytes() != data:  # written only when it changed: its ETag stays
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}")
        partial.write_bytes(data)
        partial.replace(path)  # a server never sends a half-written file
    return f"/models/{INPUT_FOLDER}/{case.model}.bin"


def page_url(base: str, config: dict, engine: Engine, case: Case, overrides: dict | None = None) -> str:
    """The bench page running `engine` on `case`; overrides: more query (pyodide=..., wheel=...)."""
    query = {"engine": engine.runtime, "backend": engine.backend, "where": engine.where,
             "model": config["models"][case.model], "input": served_input(case), "name": case.input_name,
             "shape": ",".join(map(str, case.input.shape)), "dtype": str(case.input.dtype), "tfjs": config["tfjs"],
             **(overrides or {})}
    return f"{base}/bench.html?{urlencode(query)}"


def reason(error: Exception) -> str:
    """One line saying why an engine could not run: the Python exception's last line, else the first."""
    text = str(error).removeprefix("Page.evaluate: ").removeprefix("Error: ")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("    at ")] or ["?"]
    return (lines[-1] if lines[0].startswith("Traceback") else lines[0])[:200]


def measure(browser: Browser, base: str, config: dict, engine: Engine, case: Case, plan: Plan,
            memory_growth: bool) -> dict:
    context = browser.new_context()
    page = context.new_page()
    try:
        step = Steps(page, plan.step_timeout_s)
        page.goto(page_url(base, config, engine, case))
        return run_page(step, case, plan, memory_growth)
    except (PlaywrightError, PyappError) as e:
        return {"error": reason(e)}
    finally:
        context.close()


class Steps:
    """Calls into the page's `window.bench`, each raced against a timeout inside the page."""

    def __init__(self, page, timeout_s: float):
        self.page, self.timeout_ms = page, timeout_s * 1000
        self.responses = []  # the context's, its workers' included, since network_kb() last read them
        page.context.on("response", lambda response: self.responses.append(response))  # (not list.append: a builtin)

    def __call__(self, function: str, arg=None):
        return self.page.evaluate(
            f"([arg, ms]) => Promise.race([({function})(arg), new Promise((_, reject) => "
            "setTimeout(() => reject(new Error(`no answer from the page in ${ms / 1000} s`)), ms))])",
            [arg, self.timeout_ms])

    def reload(self) -> dict:
        """The warm start: once the page has stored what a repeat visit uses (pyapp's memory snapshot,
        made in the background after ready), the same page reloaded. Returns what was stored."""
        stored = self("() => bench.stored()")
        self.page.reload()
        return stored

    def network_kb(self) -> float:
        """KB of response bodies that came over the network since the last call: not from the HTTP cache
        (which counts as 0 or less), nor a 304."""
        done, self.responses = self.responses, []
        return round(sum(max(0, r.request.sizes()["responseBodySize"]) for r in done) / 1024, 1)


def check_outputs(step: Steps, case: Case) -> float:
    error = output_error(case, decode(step("() => bench.outputs()")))
    if not error <= TOLERANCE:
        raise PyappError(f"outputs differ from TF.js (Node, cpu) by {error:.1e} of their range (> {TOLERANCE})")
    return error


def run_page(step: Steps, case: Case, plan: Plan, memory_growth: bool) -> dict:
    def predict(n: int) -> list[float]:
        return step("n => bench.predict(n)", n) if n > 0 else []

    def inferences() -> int:
        return step("() => bench.inferences")

    cold = step("() => bench.started")
    errors = [check_outputs(step, case)]
    network_kb = {"cold": step.network_kb()}
    stored = step.reload()
    warm = step("() => bench.started")
    network_kb["warm"] = step.network_kb()
    predict(MEMORY_FIRST - inferences())
    memory = [step("() => bench.memory()")]
    steady = predict(plan.runs)
    if memory_growth:
        predict(plan.memory_runs - inferences())
        memory.append(step("() => bench.memory()"))
    errors.append(check_outputs(step, case))
    health = step("s => bench.health(s)", plan.health_s)
    return {"cold": cold, "stored": stored, "warm": warm, "network_kb": network_kb, "steady_ms": steady, "health": health,
            "memory": memory, "output_error": max(errors), "facts": step("() => bench.facts()")}
