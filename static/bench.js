// Benchmark page glue: runs one engine on one model, on the input the driver provides, and exposes
// `window.bench` to the Python driver (bench/), which checks outputs and does the statistics.
// The engine comes from the query: engine=pyapp|tfjs, backend, where=main|worker, model (model.json URL),
// input (raw tensor bytes URL), name, shape, dtype (of that input), tfjs (TF.js bundle folder URL).
// The three URLs must be this origin's: any other is refused, on the page, before it is requested.
import { sameOrigin } from "./origin.js";
import { WorkerClient } from "./protocol.js";

const spec = Object.fromEntries(new URLSearchParams(location.search));
const URL_PARAMS = ["model", "input", "tfjs"];
const TYPED = { float32: Float32Array, int32: Int32Array };
let input; // the input tensor's promise, once start() has checked the URLs

// Every main-thread long task since page open (the buffered flag replays the ones before this line).
const longTasks = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) longTasks.push({ start: e.startTime, duration: e.duration });
}).observe({ type: "longtask", buffered: true });

// pyapp: its worker (static/worker.js) boots Pyodide and the wheel; the model runs there.
async function pyappEngine() {
  const config = await (await fetch("/api/config")).json();
  for (const key of ["pyodide", "wheel"]) if (spec[key]) config[key] = spec[key]; // as the index page's query
  if (spec.snapshot === "0") config.snapshot = false;
  const boot = {};
  let ready, fail, stored;
  const booted = new Promise((resolve, reject) => { ready = resolve; fail = reject; });
  // What the worker keeps for the next visit: its memory snapshot, made once idle after a normal boot.
  const snapshot = new Promise((resolve) => { stored = resolve; });
  const client = new WorkerClient(new Worker(new URL("./worker.js", import.meta.url), { type: "module" }), (msg) => {
    if (msg.type === "stage" && msg.state === "done") boot[msg.stage] = msg.ms;
    if (msg.type === "ready") ready(msg);
    if (msg.type === "snapshot") stored(msg);
    if (msg.type === "error") fail(new Error(`pyapp boot, ${msg.stage}: ${msg.message}`));
  });
  client.boot(config);
  const { info, snapshot: restored } = await booted;
  const call = (method, params) => client.call(method, params);
  let model;
  return {
    facts: { ...info, boot_ms: boot, snapshot: restored },
    snapshot: () => snapshot,
    async load() {
      const loaded = await call("load_model", { url: spec.model, backend: spec.backend });
      model = loaded.model;
      return { parts: loaded.timings, warnings: loaded.warnings };
    },
    async predict(x) {
      const { outputs } = await call("predict", { model, inputs: { [x.name]: { dtype: x.dtype, shape: x.shape, data: x.data } } });
      return Object.entries(outputs).map(([name, o]) => ({ name, ...o }));
    },
    memory: () => call("wasm_memory"),
  };
}

// TF.js: the same module (tfjs-worker.js) on this thread or in a module worker.
async function tfjsEngine(call) {
  const facts = await call("start", { tfjs: spec.tfjs, backend: spec.backend });
  return {
    facts,
    async load() {
      const { fetch, weights } = await call("load", { url: spec.model });
      return { parts: { fetch, weights } };
    },
    predict: async (x) => (await call("predict", { input: x })).outputs,
    memory: () => call("memory"),
  };
}

async function tfjsMain() {
  const tfjs = await import("./tfjs-worker.js");
  return tfjsEngine((method, params) => tfjs[method](params));
}

async function tfjsWorker() {
  let fail;
  const failed = new Promise((_, reject) => { fail = reject; });
  const worker = new Worker(new URL("./tfjs-worker.js", import.meta.url), { type: "module" });
  const client = new WorkerClient(worker, (msg) => fail(new Error(`TF.js worker: ${msg.message}`)));
  return tfjsEngine((method, params) => Promise.race([client.call(method, params), failed]));
}

const ENGINES = { pyapp: pyappEngine, tfjs: spec.where === "worker" ? tfjsWorker : tfjsMain };
let engine;
let inferences = 0;
let last;

async function infer(x) {
  const t0 = performance.now();
  last = await engine.predict(x);
  inferences++;
  return performance.now() - t0;
}

// Cold or warm start, from page open (performance.now() = 0) to the first result.
async function start() {
  for (const key of URL_PARAMS) if (key in spec) spec[key] = sameOrigin(spec[key], `?${key}`);
  input = fetch(spec.input).then(async (r) => ({
    name: spec.name, shape: spec.shape.split(",").map(Number), dtype: spec.dtype,
    data: new TYPED[spec.dtype](await r.arrayBuffer()),
  }));
  engine = await ENGINES[spec.engine]();
  const runtime = performance.now();
  const { parts, warnings } = await engine.load();
  const model = performance.now() - runtime;
  const first = await infer(await input);
  return { stages: { runtime, model, first }, total: performance.now(), parts, warnings, facts: engine.facts };
}

async function predict(n) {
  const x = await input;
  const ms = [];
  for (let i = 0; i < n; i++) ms.push(await infer(x));
  return ms;
}

// Infer back to back (yielding to the event loop between runs, as a frame loop would) for `seconds`
// while an animation runs: its rAF rate and the long tasks in the window say how the page feels.
async function health(seconds) {
  const x = await input;
  const box = document.getElementById("spinner");
  let frames = 0;
  let running = true;
  const tick = (t) => {
    frames++;
    box.style.transform = `rotate(${(t / 5) % 360}deg)`;
    if (running) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  const t0 = performance.now();
  const ms = [];
  while (performance.now() - t0 < seconds * 1000) {
    ms.push(await infer(x));
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  running = false;
  const elapsed = performance.now() - t0;
  await new Promise((resolve) => setTimeout(resolve, 100)); // let the observer deliver the last entries
  const tasks = longTasks.filter((t) => t.start >= t0 && t.start < t0 + elapsed);
  return {
    seconds: elapsed / 1000, fps: frames / (elapsed / 1000), inference_ms: ms,
    long_tasks: tasks.length, long_task_ms: tasks.reduce((sum, t) => sum + t.duration, 0),
  };
}

// Live bytes per realm (the page, each worker) from Chromium, which counts them in a garbage collection:
// JS objects and ArrayBuffers, with a shared wasm memory (TF.js wasm threads) in every realm that holds it
// and an unshared one (Pyodide's) in none; the engine reports its wasm memory itself. The driver splits
// the breakdown into page and worker bytes. performance.memory: the page's heap, garbage included.
async function memory() {
  const { breakdown } = await performance.measureUserAgentSpecificMemory();
  return {
    inferences, breakdown, engine_scope: spec.where === "main" ? "Window" : "DedicatedWorkerGlobalScope",
    js_heap_bytes: performance.memory.usedJSHeapSize, ...(await engine.memory()),
  };
}

function base64(typed) {
  const bytes = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

// The last result, for the driver's equality check against the reference outputs.
const outputs = () => last.map(({ name, shape, dtype, data }) => ({ name, shape, dtype, base64: base64(data) }));

function facts() {
  const gl = document.createElement("canvas").getContext("webgl2");
  const info = gl && gl.getExtension("WEBGL_debug_renderer_info");
  return {
    userAgent: navigator.userAgent, cores: navigator.hardwareConcurrency, crossOriginIsolated,
    webgl_renderer: info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl ? gl.getParameter(gl.RENDERER) : null,
  };
}

document.getElementById("engine").textContent = `${spec.engine} ${spec.backend} (${spec.where})`;
// A failure to start is shown on the page, and the driver gets it from `started`.
function showError(err) {
  const box = document.getElementById("error");
  box.textContent = err.message;
  box.hidden = false;
  throw err;
}

// Resolves when what the engine keeps for a repeat visit is stored (pyapp: its memory snapshot, or
// why none is made); the driver waits for it before a warm start, as a real repeat visit comes later.
const stored = async () => (engine.snapshot ? engine.snapshot() : { state: "none kept" });

window.bench = { started: start().catch(showError), predict, health, memory, outputs, facts, stored, get inferences() { return inferences; } };
