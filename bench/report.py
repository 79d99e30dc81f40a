"""The self-contained HTML report: facts, per model the table, bar charts and the cold-start waterfall,
all inline SVG drawn here (no scripts, no network)."""

from __future__ import annotations

from html import escape

from .table import HEAD, TIMES, ms, ratio_row, row

BAR_H, LABEL_W, CHART_W = 22, 190, 460
# Cold-start stages as bench.js names them: (legend, color).
STAGES = {"runtime": ("runtime ready", "#6c8ebf"), "model": ("model loaded", "#d79b00"), "first": ("first result", "#82b366")}
CSS = """body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1d2330;max-width:70rem}
table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{padding:.2rem .6rem;border-bottom:1px solid #ddd;text-align:right}
td:first-child,th:first-child{text-align:left}.na{color:#888;text-align:left}svg{display:block;margin:.5rem 0 1.5rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem}dt{font-weight:600}"""


def bars(title: str, items: list[tuple[str, float, float | None]], unit: str) -> str:
    """Horizontal bars of (label, value, whisker or None); n/a engines are left out of charts."""
    top = max((max(v, w or 0) for _, v, w in items), default=1) or 1
    scale = CHART_W / top
    parts = [f'<text x="0" y="14" font-weight="600">{escape(title)}</text>']
    for i, (label, value, whisker) in enumerate(items):
        y, end = 24 + i * BAR_H, LABEL_W + max(value, whisker or 0) * scale
        parts.append(f'<text x="0" y="{y + 15}">{escape(label)}</text>'
                     f'<rect x="{LABEL_W}" y="{y + 3}" width="{value * scale:.1f}" height="{BAR_H - 6}" fill="#6c8ebf"/>'
                     f'<text x="{end + 5:.1f}" y="{y + 15}">{ms(value)} {unit}</text>')
        if whisker is not None:
            x = LABEL_W + whisker * scale
            parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y + 1}" y2="{y + BAR_H - 1}" stroke="#b42318" stroke-width="2"/>')
    return svg(parts, 30 + len(items) * BAR_H)


def waterfall(items: list[tuple[str, dict[str, float]]]) -> str:
    """Cold start per engine: page open → runtime ready → model ready → first result, stage after stage."""
    top = max((sum(s.values()) for _, s in items), default=1) or 1
    scale = CHART_W / top
    parts = ['<text x="0" y="14" font-weight="600">cold start, stage by stage (ms from page open)</text>']
    parts += [f'<rect x="{LABEL_W + i * 130}" y="22" width="12" height="12" fill="{color}"/>'
              f'<text x="{LABEL_W + 16 + i * 130}" y="33">{legend}</text>'
              for i, (legend, color) in enumerate(STAGES.values())]
    for i, (label, stages) in enumerate(items):
        y, x = 44 + i * BAR_H, 0.0
        parts.append(f'<text x="0" y="{y + 15}">{escape(label)}</text>')
        for name, value in stages.items():
            parts.append(f'<rect x="{LABEL_W + x * scale:.1f}" y="{y + 3}" width="{value * scale:.1f}" '
                         f'height="{BAR_H - 6}" fill="{STAGES[name][1]}"><title>{name}: {ms(value)} ms</title></rect>')
            x += value
        parts.append(f'<text x="{LABEL_W + x * scale + 4:.1f}" y="{y + 15}">{ms(x)} ms</text>')
    return svg(parts, 50 + len(items) * BAR_H)


def svg(parts: list[str], height: int) -> str:
    width = LABEL_W + CHART_W + 90
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'font-size="12" font-family="system-ui,sans-serif">{"".join(parts)}</svg>')


def html_table(head: list[str], rows: list[list[str]]) -> str:
    cells = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + (f"<td>{escape(r[0])}</td><td class=na colspan={len(head) - 1}>{escape(r[1])}</td>"
                             if len(r) < len(head) else "".join(f"<td>{escape(c)}</td>" for c in r)) + "</tr>"
                   for r in rows)
    return f"<table><tr>{cells}</tr>{body}</table>"


def model_section(model: str, entry: dict) -> str:
    summaries = {label: e["summary"] for label, e in entry["engines"].items()}
    ran = {label: s for label, s in summaries.items() if "na" not in s}
    baselines = entry["baselines"]
    ratio_head = [f"ratio vs {' / '.join(baselines)}", *(h for h, _ in TIMES)]
    base = [summaries.get(b) for b in baselines]
    return "".join([
        f"<h2>{escape(model)}</h2><p>input {escape(entry['input'])}; steady state: {escape(entry['steady'])}</p>",
        html_table(HEAD, [[label, *row(s)] for label, s in summaries.items()]),
        html_table(ratio_head, [[label, *ratio_row(s, base)] for label, s in summaries.items()]),
        bars("steady state: median ms per inference, result read back (red: p95)",
             [(label, s["steady_median_ms"], s["steady_p95_ms"]) for label, s in ran.items()], "ms"),
        bars("first inference after model ready (ms)", [(label, s["first_ms"], None) for label, s in ran.items()], "ms"),
        bars("warm start: reload → first result (ms)", [(label, s["warm_ms"], None) for label, s in ran.items()], "ms"),
        waterfall([(label, s["cold_stages_ms"]) for label, s in ran.items()]),
        bars("frames per second of a page animation during continuous inference",
             [(label, s["fps"], None) for label, s in ran.items()], "fps"),
    ])


def render(doc: dict) -> str:
    facts = "".join(f"<dt>{escape(k)}</dt><dd>{escape(str(v))}</dd>" for k, v in doc["facts"].items())
    sections = "".join(model_section(m, entry) for m, entry in doc["models"].items())
    return (f"<!doctype html><html lang=en><meta charset=utf-8><title>pyapp bench {escape(doc['date'])}</title>"
            f"<style>{CSS}</style><h1>pyapp vs TF.js 4.22 — {escape(doc['date'])}</h1>"
            f"<p>{escape(doc['method'])}</p><dl>{facts}</dl>{sections}</html>")
