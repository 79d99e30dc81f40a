"""One engine on one model in its own fresh browser context: the page sequence and its raw samples.

Sequence (static/bench.js does the timing in the page):
  cold start (new context: empty HTTP cache and IndexedDB) → outputs checked against the reference
  → reload (warm start) → warm-up runs up to the 10th inference (excluded) → memory read → timed runs
  (steady state) → in the first repeat only, more runs up to `memory_runs` inferences and memory read
  again → outputs checked again → continuous inference for `health_s` seconds with an animation running
  (long tasks, rAF rate).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from playwright.sync_api import Browser, Error as PlaywrightError

from ..errors import PyappError
from .cases import TOLERANCE, Case, decode, output_error
from .engines import Engine

INPUT_PATH = "/bench-input/"  # answered by the driver (context.route), never by the server
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


def page_url(base: str, config: dict, engine: Engine, case: Case) -> str:
    query = {"engine": engine.runtime, "backend": engine.backend, "where": engine.where,
             "model": config["models"][case.model], "input": INPUT_PATH + case.model, "name": case.input_name,
             "shape": ",".join(map(str, case.input.shape)), "dtype": str(case.input.dtype), "tfjs": config["tfjs"]}
    return f"{base}/bench.html?{urlencode(query)}"


def reason(error: Exception) -> str:
    """One line saying why an engine could not run: the Python exception's last line, else the first."""
    text = str(error).removeprefix("Page.evaluate: ").removeprefix("Error: ")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("    at ")] or ["?"]
    return (lines[-1] if lines[0].startswith("Traceback") else lines[0])[:200]


def measure(browser: Browser, base: str, config: dict, engine: Engine, case: Case, plan: Plan,
            memory_growth: bool) -> dict:
    context = browser.new_context()
    body = case.input.tobytes()
    context.route(lambda url: urlsplit(url).path.startswith(INPUT_PATH),
                  lambda route: route.fulfill(body=body, content_type="application/octet-stream",
                                              headers={"cross-origin-resource-policy": "same-origin"}))
    page = context.new_page()
    try:
        page.goto(page_url(base, config, engine, case))
        return run_page(Steps(page, plan.step_timeout_s), case, plan, memory_growth)
    except (PlaywrightError, PyappError) as e:
        return {"error": reason(e)}
    finally:
        context.close()


class Steps:
    """Calls into the page's `window.bench`, each raced against a timeout inside the page."""

    def __init__(self, page, timeout_s: float):
        self.page, self.timeout_ms = page, timeout_s * 1000

    def __call__(self, function: str, arg=None):
        return self.page.evaluate(
            f"([arg, ms]) => Promise.race([({function})(arg), new Promise((_, reject) => "
            "setTimeout(() => reject(new Error(`no answer from the page in ${ms / 1000} s`)), ms))])",
            [arg, self.timeout_ms])

    def reload(self):
        self.page.reload()


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
    step.reload()
    warm = step("() => bench.started")
    predict(MEMORY_FIRST - inferences())
    memory = [step("() => bench.memory()")]
    steady = predict(plan.runs)
    if memory_growth:
        predict(plan.memory_runs - inferences())
        memory.append(step("() => bench.memory()"))
    errors.append(check_outputs(step, case))
    health = step("s => bench.health(s)", plan.health_s)
    return {"cold": cold, "warm": warm, "steady_ms": steady, "health": health, "memory": memory,
            "output_error": max(errors), "facts": step("() => bench.facts()")}
