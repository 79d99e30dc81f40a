// Fetches for the boot worker (static/worker.js) while that worker's thread is busy starting Python:
// a fetch's body only flows while the thread that reads it runs. The bytes come back transferred.
self.onmessage = async ({ data: { url } }) => {
  try {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const bytes = await response.arrayBuffer();
    self.postMessage({ bytes }, [bytes]);
  } catch (err) {
    self.postMessage({ error: `cannot fetch ${url} (${err.message})` });
  }
};
