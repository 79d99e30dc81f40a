"""From raw samples (every repeat of one engine on one model) to the figures the table and the report show."""

from __future__ import annotations

import statistics
from statistics import median

MB = 1 << 20


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[-1] if len(samples) > 1 else samples[0]


def growth(memory: list[dict], key: str) -> tuple[float, float] | None:
    """(MB after the first read, MB after the last) of one memory figure, when the engine has it."""
    first, last = memory[0].get(key), memory[-1].get(key)
    return None if first is None or last is None else (first / MB, last / MB)


def summarize(repeats: list[dict]) -> dict:
    """Medians over repeats; steady-state samples pooled over repeats. {"na": reason} when no repeat ran."""
    ok = [r for r in repeats if "error" not in r]
    if not ok:
        return {"na": repeats[0]["error"]}
    steady = [ms for r in ok for ms in r["steady_ms"]]
    stages = {name: median([r["cold"]["stages"][name] for r in ok]) for name in ok[0]["cold"]["stages"]}
    last = ok[-1]
    return {
        "cold_ms": median([r["cold"]["total"] for r in ok]),
        "cold_stages_ms": stages,
        "cold_parts_ms": last["cold"]["parts"],
        "warm_ms": median([r["warm"]["total"] for r in ok]),
        "first_ms": stages["first"],
        "steady_median_ms": median(steady),
        "steady_p95_ms": p95(steady),
        "steady_n": len(steady),
        "fps": median([r["health"]["fps"] for r in ok]),
        "long_tasks": median([r["health"]["long_tasks"] for r in ok]),
        "long_task_ms": median([r["health"]["long_task_ms"] for r in ok]),
        "heap_mb": growth(last["memory"], "js_heap_bytes"),
        "wasm_mb": growth(last["memory"], "wasm_bytes"),
        "memory_at": [m["inferences"] for m in last["memory"]],
        "output_error": max(r["output_error"] for r in ok),
        "repeats": len(ok),
        "failed_repeats": [r["error"] for r in repeats if "error" in r],
    }
