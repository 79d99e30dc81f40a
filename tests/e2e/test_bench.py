"""`python -m bench --quick`: every engine on one model in one Chromium run, a JSON of raw samples, and an
HTML report that renders. Runs the command as `make bench` does: its own server and browser."""

import io
import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from bench.cases import TOLERANCE
from bench.engines import ENGINES
from bench.measure import QUICK
from bench.run import main
from bench.stats import PAGE, WORKERS, js_bytes
from bench.table import model_table
from tools.golden import ensure

MODEL = "meet"  # the smallest of the default models


@pytest.fixture(scope="module")
def quick(assets_dir, tmp_path_factory):
    ensure(assets_dir)  # the reference input and outputs
    out = tmp_path_factory.mktemp("bench")
    # In a thread of its own: the bench starts its own sync Playwright, which refuses to start in a
    # thread where pytest-playwright's session (set up before module fixtures) already runs one.
    with ThreadPoolExecutor(1) as thread:
        assert thread.submit(main, ["--quick", "--models", MODEL, "--out", str(out)]).result() == 0
    (written,) = out.glob("*.json")
    return json.loads(written.read_text()), out


@pytest.fixture
def engines(quick):
    return quick[0]["models"][MODEL]["engines"]


def test_every_engine_is_measured_or_says_why(engines):
    assert list(engines) == [e.label for e in ENGINES]
    for label, entry in engines.items():
        summary = entry["summary"]
        if label.startswith("tfjs"):  # TF.js 4.22 always has all three backends here
            assert "na" not in summary, (label, summary)
        if "na" in summary:
            assert summary["na"] and entry["raw"][0]["error"] == summary["na"]
            continue
        assert summary["output_error"] <= TOLERANCE
        assert summary["steady_n"] == QUICK.runs
        stages = summary["cold_stages_ms"]
        assert 0 < stages["runtime"] < summary["cold_ms"] and stages["model"] > 0 and stages["first"] > 0
        assert summary["warm_ms"] > 0 and summary["fps"] > 0
        assert summary["memory_at"] == [10, QUICK.memory_runs]
        assert summary["page_js_mb"][0] > 0
        if label.endswith("worker"):  # the engine's worker has its own heap, which the page's figure misses
            assert summary["worker_js_mb"][0] > 0


def test_warm_start_comes_from_the_http_cache(engines):
    """The reload downloads next to nothing: runtime, model and input come from the HTTP cache or as 304s
    (a Playwright route on any request would turn the context's cache off)."""
    for label, entry in engines.items():
        for raw in entry["raw"]:
            if "error" not in raw:
                kb = raw["network_kb"]
                assert kb["cold"] > 500 and kb["warm"] < kb["cold"] / 20, (label, kb)


def test_tfjs_wasm_runs_with_simd_and_threads_support(engines):
    for where in ("main", "worker"):
        facts = engines[f"tfjs wasm {where}"]["raw"][0]["cold"]["facts"]
        assert facts["crossOriginIsolated"] and facts["WASM_HAS_SIMD_SUPPORT"] and facts["WASM_HAS_MULTITHREAD_SUPPORT"]
        assert engines[f"tfjs wasm {where}"]["summary"]["wasm_mb"][0] > 0


def test_shared_wasm_memory_is_out_of_every_realm_that_counts_it(engines):
    """TF.js wasm's threads share its memory and Chromium counts it in each of them as in the engine's
    realm: the figures take it out of each, and what is left is their own heaps."""
    for where, scope in (("main", PAGE), ("worker", WORKERS)):
        read = engines[f"tfjs wasm {where}"]["raw"][0]["memory"][-1]
        assert read["wasm_shared"]
        threads = [e["bytes"] for e in read["breakdown"]
                   if "JavaScript" in e["types"] and e["attribution"][0]["url"].startswith("blob:")]
        assert threads, "the wasm threads are workers of their own"
        assert all(0 < size - read["wasm_bytes"] < read["wasm_bytes"] for size in threads)
        assert js_bytes(read)[scope] > 0 and js_bytes(read)[WORKERS] > 0


def test_json_keeps_every_raw_sample(quick):
    doc, _ = quick
    assert doc["plan"]["runs"] == QUICK.runs and doc["facts"]["chromium"].split(".")[0].isdigit()
    for entry in doc["models"][MODEL]["engines"].values():
        for raw in entry["raw"]:
            if "error" not in raw:
                assert len(raw["steady_ms"]) == entry["summary"]["steady_n"]
                assert all(ms > 0 for ms in raw["steady_ms"] + raw["health"]["inference_ms"])


def test_table_has_a_row_per_engine_and_ratios(quick):
    text = model_table(MODEL, quick[0]["models"][MODEL])
    for engine in ENGINES:  # a row in the figures, a row in the ratios
        assert sum(line.startswith(engine.label + " ") for line in text.splitlines()) == 2
    assert "1.00 / " in text and " / 1.00" in text  # each baseline against itself


def test_html_report_renders(quick, page):
    _, out = quick
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto((out / "latest.html").as_uri())
    assert page.locator("h2").all_text_contents() == [MODEL]
    charts = page.locator("svg")
    assert charts.count() == 5
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert box["width"] > 400 and box["height"] > 50
    assert page.locator("table tr").count() == 2 * (len(ENGINES) + 1)
    shot = np.asarray(Image.open(io.BytesIO(page.screenshot(full_page=True))).convert("RGB"))
    bar_blue = (shot == (0x6C, 0x8E, 0xBF)).all(axis=-1).sum()
    assert bar_blue > 2000, "the charts' bars did not paint"
