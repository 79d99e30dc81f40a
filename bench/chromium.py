"""Debian's Chromium as the benchmarks and the browser tests (tests/e2e/conftest.py) launch it."""

from pyapp.errors import PyappError

CHROMIUM = "/usr/bin/chromium"
# Flags from shared/NOTES-browser.md: a quiet, offline browser with software WebGL2 and a fake camera.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic", "--disable-default-apps",
    "--no-default-browser-check", "--disable-domain-reliability",
    "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist",
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
]
# performance.memory is rounded and updated lazily without the first flag. Without the second,
# performance.measureUserAgentSpecificMemory() answers at some later garbage collection (19 s, 10 s here);
# with it, after one started at once (0.03 s here).
BENCH_ARGS = CHROMIUM_ARGS + ["--enable-precise-memory-info", "--enable-blink-features=ForceEagerMeasureMemory"]
# How long the app page may take to boot its worker (Pyodide, numpy, the pyapp wheel) on a loaded machine.
BOOT_TIMEOUT_MS = 120_000


def open_app(page, base: str) -> None:
    """The app page (index.html) on `page`, once its worker is ready; PyappError with the page's message
    if it failed to boot."""
    page.goto(base + "/")
    page.wait_for_function("['ready', 'error'].includes(window.pyappState)", timeout=BOOT_TIMEOUT_MS)
    if page.evaluate("window.pyappState") == "error":
        raise PyappError("the page failed to boot: " + page.locator("#error").text_content())
