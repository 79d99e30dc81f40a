"""One engine on one model in its own fresh browser context: the page sequence and its raw samples.

Sequence (static/bench.js does the timing in the page):
  cold start (new context: empty HTTP cache and IndexedDB) → outputs checked against the reference
  → reload (warm start) → warm-up runs (excluded) → timed runs (steady state), memory read after the
  10th inference and again after `memory_runs` → outputs checked again → continuous inference for
  `health_s` seconds with an animation running (long tasks, rAF rate).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from playwright.sync_api import Browser, Error as PlaywrightError

from ..errors import PyappError
from .cases import TOLERANCE, Case, decode, output_error
from .engines import Engine

INPUT_PATH = "/bench-input/"  # answered by the driver (context.route), never by the server
MEMORY_FIRST = 10  # memory is read after this many inferences, and again after Plan.memory_runs


@dataclass(frozen=True)
class Plan:
    warmup: int = 5  # inferences after the first one, excluded from every figure
    runs: int = 50  # timed steady-state inferences at least (all runs up to memory_runs are timed)
    health_s: float = 10.0  # seconds of continuous inference while the main thread is watched
    memory_runs: int = 200
    repeats: int = 2  # each engine's whole sequence, in alternating engine order
    step_timeout_s: float = 900.0  # a page step taking longer ends that engine's run as n/a, never a hang


QUICK = Plan(warmup=1, runs=3, health_s=1.0, memory_runs=14, repeats=1, step_timeout_s=180.0)


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


def measure(browser: Browser, base: str, config: dict, engine: Engine, case: Case, plan: Plan) -> dict:
    context = browser.new_context()
    body = case.input.tobytes()
    context.route(lambda url: urlsplit(url).path.startswith(INPUT_PATH),
                  lambda route: route.fulfill(body=body, content_type="application/octet-stream",
                                              headers={"cross-origin-resource-policy": "same-origin"}))
    page = context.new_page()
    try:
        page.goto(page_url(base, config, engine, case))
        return run_page(Steps(page, plan.step_timeout_s), case, plan)
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


def run_page(step: Steps, case: Case, plan: Plan) -> dict:
    def predict(n: int) -> list[float]:
        return step("n => bench.predict(n)", n) if n > 0 else []

    def inferences() -> int:
        return step("() => bench.inferences")

    cold = step("() => bench.started")
    errors = [check_outputs(step, case)]
    step.reload()
    warm = step("() => bench.started")
    predict(plan.warmup)
    steady = predict(MEMORY_FIRST - inferences())
    memory = [step("() => bench.memory()")]
    steady += predict(max(plan.runs - len(steady), plan.memory_runs - inferences()))
    memory.append(step("() => bench.memory()"))
    errors.append(check_outputs(step, case))
    health = step("s => bench.health(s)", plan.health_s)
    return {"cold": cold, "warm": warm, "steady_ms": steady, "health": health, "memory": memory,
            "output_error": max(errors), "facts": step("() => bench.facts()")}
