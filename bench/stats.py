"""From raw samples (every repeat of one engine on one model) to the figures the table and the report show."""

from __future__ import annotations

import statistics
from statistics import median

MB = 1 << 20
PAGE, WORKERS = "Window", "DedicatedWorkerGlobalScope"  # scopes of Chromium's memory breakdown


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[-1] if len(samples) > 1 else samples[0]


def js_bytes(read: dict) -> dict[str, int]:
    """Live JS bytes of one memory read per scope (PAGE, WORKERS), from Chromium's per-realm breakdown.
    A shared wasm memory is in the bytes of every realm running that module, the engine's and its wasm
    threads' (the blob: workers Emscripten starts): it is taken out of each, as the wasm column has it once."""
    totals: dict[str, int] = {}
    for entry in read["breakdown"]:
        if "JavaScript" not in entry["types"]:
            continue
        (realm,) = entry["attribution"]
        runs_wasm = realm["url"].startswith("blob:") or realm["scope"] == read["engine_scope"]
        shared = read["wasm_bytes"] if read.get("wasm_shared") and runs_wasm else 0
        totals[realm["scope"]] = totals.get(realm["scope"], 0) + entry["bytes"] - shared
    return totals


def growth(values: list[int | None]) -> tuple[float, float] | None:
    """(MB after the first memory read, MB after the last) of one figure, when the engine has it."""
    if len(values) < 2 or values[0] is None or values[-1] is None:
        return None
    return values[0] / MB, values[-1] / MB


def summarize(repeats: list[dict]) -> dict:
    """Medians over repeats; steady-state samples pooled over repeats. {"na": reason} when no repeat ran."""
    ok = [r for r in repeats if "error" not in r]
    if not ok:
        return {"na": repeats[0]["error"]}
    steady = [ms for r in ok for ms in r["steady_ms"]]
    stages = {name: median([r["cold"]["stages"][name] for r in ok]) for name in ok[0]["cold"]["stages"]}
    grown = max(ok, key=lambda r: r["memory"][-1]["inferences"])["memory"]  # the repeat that went on to memory_runs
    split = [js_bytes(read) for read in grown]
    return {
        "cold_ms": median([r["cold"]["total"] for r in ok]),
        "cold_stages_ms": stages,
        "cold_parts_ms": ok[-1]["cold"]["parts"],
        "warm_ms": median([r["warm"]["total"] for r in ok]),
        "first_ms": stages["first"],
        "steady_median_ms": median(steady),
        "steady_p95_ms": p95(steady),
        "steady_n": len(steady),
        "fps": median([r["health"]["fps"] for r in ok]),
        "long_tasks": median([r["health"]["long_tasks"] for r in ok]),
        "long_task_ms": median([r["health"]["long_task_ms"] for r in ok]),
        "page_js_mb": growth([js.get(PAGE) for js in split]),
        "worker_js_mb": growth([js.get(WORKERS) for js in split]),
        "wasm_mb": growth([read.get("wasm_bytes") for read in grown]),
        "memory_at": [read["inferences"] for read in grown],
        "output_error": max(r["output_error"] for r in ok),
        "repeats": len(ok),
        "failed_repeats": [r["error"] for r in repeats if "error" in r],
    }
