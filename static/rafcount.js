// Before anything else (a classic script in <head>): a frame counter, which the tests and tools read.
window.rafCount = 0;
requestAnimationFrame(function tick() { window.rafCount++; requestAnimationFrame(tick); });
