"""Debian's Chromium as the benchmark and the browser tests launch it."""

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
