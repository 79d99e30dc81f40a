"""The terminal table: per model, one row per engine; then ratios against TF.js webgl and wasm (main thread)."""

from __future__ import annotations

# (heading, summary key) of the time figures, which get ratios.
TIMES = (("cold", "cold_ms"), ("warm", "warm_ms"), ("first", "first_ms"),
         ("median", "steady_median_ms"), ("p95", "steady_p95_ms"))
# (heading, summary key) of the memory figures: MB after the 10th inference → after the last.
MEMORY = (("page JS", "page_js_mb"), ("worker JS", "worker_js_mb"), ("wasm", "wasm_mb"))
HEAD = ["engine", *(f"{h} ms" for h, _ in TIMES), "fps", "long tasks n/ms", *(f"{h} MB" for h, _ in MEMORY)]


def ms(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def mb(pair: tuple[float, float] | None) -> str:
    return "-" if pair is None else f"{pair[0]:.1f}→{pair[1]:.1f}"


def row(summary: dict) -> list[str]:
    if "na" in summary:
        return [f"n/a ({summary['na']})"]
    return [*(ms(summary[key]) for _, key in TIMES), f"{summary['fps']:.0f}",
            f"{summary['long_tasks']:.0f} / {ms(summary['long_task_ms'])}", *(mb(summary[key]) for _, key in MEMORY)]


def ratio(summary: dict, baseline: dict | None, key: str) -> str:
    if "na" in summary or not baseline or "na" in baseline:
        return "-"
    return f"{summary[key] / baseline[key]:.2f}"


def ratio_row(summary: dict, baselines: list[dict | None]) -> list[str]:
    return [" / ".join(ratio(summary, b, key) for b in baselines) for _, key in TIMES]


def render(rows: list[list[str]]) -> list[str]:
    """Left-aligned first column, right-aligned others; a short row (n/a and why) runs across."""
    widths = [max(len(r[i]) for r in rows if len(r) == len(rows[0])) for i in range(len(rows[0]))]
    return ["  ".join([r[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(r[1:], widths[1:]))]).rstrip()
            for r in rows]


def model_table(model: str, entry: dict) -> str:
    summaries = {label: e["summary"] for label, e in entry["engines"].items()}
    values = render([HEAD] + [[label, *row(s)] for label, s in summaries.items()])
    baselines = [summaries.get(b) for b in entry["baselines"]]
    ratios = render([[f"ratio vs {' / '.join(entry['baselines'])}", *(h for h, _ in TIMES)]]
                    + [[label, *ratio_row(s, baselines)] for label, s in summaries.items()])
    return "\n".join([f"## {model}: input {entry['input']}; steady state: {entry['steady']}", *values, "", *ratios])
