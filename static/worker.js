// Boots Pyodide, unpacks numpy's and pyapp's wheels, then hands every request to Python; on a repeat
// visit restores all that from a memory snapshot instead (static/snapshot.js), and makes one after the
// first boot, in a second instance of this worker, once the page's calls are all answered.
// Glue only: each stage is timed and reported; any failure names its stage.
import { sameOrigin } from "./origin.js";
import { BOOT, EVENT, REQUEST, RESPONSE, SNAPSHOT } from "./protocol.js";
import * as snapshot from "./snapshot.js";
import { checked, unpackWheel } from "./wheels.js";

const IDLE_MS = 1000; // no call in flight for this long after ready: the snapshot is made now

const post = (msg, transfer) => self.postMessage(msg, transfer);
const event = (type, fields) => post({ kind: EVENT, type, ...fields });
const errorText = (err) => (err && err.message ? err.message : String(err));

// In the snapshot worker, closed while the page's calls run: each stage waits for it to open.
const gate = { open: Promise.resolve(), release: null };

function pause(paused) {
  if (paused && !gate.release) gate.open = new Promise((resolve) => { gate.release = resolve; });
  if (!paused && gate.release) {
    gate.release();
    gate.release = null;
  }
}

// note(result): a word on how the stage went, shown next to its time
async function stage(name, work, note = () => undefined) {
  await gate.open;
  event("stage", { stage: name, state: "start" });
  const t0 = performance.now();
  try {
    const result = await work();
    event("stage", { stage: name, state: "done", ms: performance.now() - t0, note: note(result) });
    return result;
  } catch (err) {
    throw Object.assign(new Error(errorText(err)), { stage: name });
  }
}

// The page's config names the runtime and the wheel (this origin's files only).
function sources(config) {
  const indexURL = sameOrigin(config.pyodide, "pyodide");
  const wheelURL = config.wheel && sameOrigin(config.wheel, "wheel");
  if (!wheelURL) throw Object.assign(new Error("the server has no pyapp wheel to offer (run `make run` to build it)"), { stage: "pyapp" });
  // Downloads that need no runtime start now, so they overlap its download and start-up.
  return { indexURL, wheel: settled(fetchBytes(wheelURL)), lock: settled(fetchText(indexURL + "pyodide-lock.json")) };
}

// pyodide.mjs, and the 1.25 MB pyodide.asm.js that loadPyodide would load only once started (it finds
// it loaded): both load while the snapshot is looked up.
async function runtimeScripts(indexURL) {
  const load = (name) => import(indexURL + name).catch((err) => {
    throw new Error(`cannot load ${indexURL}${name} (${err.message})`);
  });
  const [runtime] = await Promise.all([load("pyodide.mjs"), load("pyodide.asm.js")]);
  return runtime;
}

async function boot(config) {
  // Whether the test hooks are on, the server alone says, so no script on the page can turn them on.
  const server = fetch("/api/config").then((r) => r.json());
  const { indexURL, wheel, lock } = sources(config);
  const usable = settled(config.snapshot === false ? Promise.resolve({ reason: "turned off (?snapshot=0)" })
    : usableSnapshot(indexURL, wheel, lock));
  const numpy = numpyFetcher(indexURL, lock); // not used when a snapshot is restored
  let restored, pyodide;
  try {
    const { loadPyodide } = await stage("runtime-script", () => runtimeScripts(indexURL));
    restored = await stage("snapshot", () => restoreSnapshot(loadPyodide, indexURL, usable), (r) => r.note);
    pyodide = restored.pyodide || (await bootPython(loadPyodide, { indexURL, wheel, lock }, numpy.fetchNumpy));
  } finally {
    numpy.close(); // also when the boot failed before asking it for anything
  }
  const worker = await stage("import", async () => {
    const module = pyodide.pyimport("pyapp.browser.worker");
    if (restored.pyodide) module.reseed(); // the snapshot's random generators are the same on every visit
    if ((await server).test_hooks) module.enable_test_hooks();
    return module;
  });
  // From here on Python answers: it posts responses and events itself.
  self.onmessage = (ev) => {
    if (ev.data.kind === REQUEST) worker.on_request(ev.data);
  };
  event("ready", { info: worker.info().toJs({ dict_converter: Object.fromEntries }), snapshot: restored.note });
  if (!restored.pyodide && config.snapshot !== false) snapshotWhenIdle(config);
  else event("snapshot", { state: "not made", why: restored.note }); // the next visit has what it needs
}

// The stored snapshot's meta when it was made for exactly this runtime, lock and wheel, else {reason}.
async function usableSnapshot(indexURL, wheel, lock) {
  const found = await snapshot.stored();
  if (!found.meta) return found;
  const key = await snapshot.snapshotKey(indexURL, await valueOf(lock), await valueOf(wheel));
  return found.meta.key === key ? found : { reason: "made for another runtime, archive or wheel" };
}

async function restoreSnapshot(loadPyodide, indexURL, usable) {
  const { value, error } = await usable;
  if (error) return { note: `snapshot skipped: ${errorText(error)}` }; // e.g. no IndexedDB
  if (!value.meta) return { note: `snapshot skipped: ${value.reason}` };
  try {
    return { pyodide: await snapshot.restore(loadPyodide, indexURL, value), note: "snapshot restored" };
  } catch (err) {
    snapshot.discard().catch(() => {}); // a new one is made after this boot
    return { note: `snapshot failed: ${errorText(err)}, normal boot` };
  }
}

// Runtime, numpy and the pyapp wheel, each a stage; forSnapshot: in the snapshot worker.
// fetchNumpy starts once the runtime has its wasm (Pyodide then makes its file system and calls
// fsInit): on a slow network the runtime's downloads then have the bandwidth to themselves, and
// numpy's wheel arrives while Python starts.
async function bootPython(loadPyodide, { indexURL, wheel, lock }, fetchNumpy, forSnapshot = false) {
  const options = forSnapshot ? snapshot.MAKE_OPTIONS : {};
  let numpy;
  const fsInit = () => { numpy = settled(fetchNumpy()); };
  const pyodide = await stage("runtime", () => failOnWasmWarning(() => loadPyodide({ indexURL, fsInit, ...options })));
  const sitePackages = pyodide.runPython("import site; site.getsitepackages()[0]"); // sysconfig: 60 ms more
  // Both are unpacked, not loaded: numpy's import dlopens the shared libraries it needs (3 of 19).
  await stage("numpy", async () => unpackWheel(pyodide, await valueOf(numpy ?? settled(fetchNumpy())), sitePackages));
  await stage("pyapp", async () => {
    unpackWheel(pyodide, await valueOf(wheel), sitePackages);
    // Only site-packages' finder forgets what it listed: importlib.invalidate_caches() would also import
    // importlib.metadata (this stage took 110-180 ms with it, 5-10 without).
    pyodide.runPython(`import sys; sys.path_importer_cache.pop(${JSON.stringify(sitePackages)}, None)`);
    // The stdlib's and numpy's modules no boot imports are in archives the lock names (the served one
    // does), fetched by the first import that needs them.
    for (const more of JSON.parse(await valueOf(lock)).pyapp?.more ?? []) {
      const url = indexURL + fileName(more.file_name, "an archive");
      pyodide.pyimport("pyapp.browser.more_archives").install(url, more.sha256, more.imports, more.install);
    }
  });
  return pyodide;
}

// The snapshot is made by a second instance of this worker (a runtime that makes one cannot serve the
// page), started once no call of the page has been in flight for IDLE_MS and paused between its stages
// while any is, so that it competes with the page's calls for one stage at most; it reports back, is
// ended, and the page hears "snapshot" with what happened.
function snapshotWhenIdle(config) {
  const post0 = self.postMessage;
  const onmessage = self.onmessage;
  let inFlight = 0;
  let timer;
  let maker;
  const done = (result) => {
    maker.terminate();
    clearTimeout(timer);
    self.postMessage = post0;
    self.onmessage = onmessage;
    event("snapshot", result);
  };
  const start = () => {
    maker = new Worker(new URL(import.meta.url), { type: "module" });
    const stages = {}; // the snapshot worker's boot, as the page's: what making a snapshot costs
    maker.onmessage = (ev) => {
      const msg = ev.data;
      if (msg.type === "stage" && msg.state === "done") stages[msg.stage] = msg.ms;
      if (msg.type === "snapshot") done({ ...msg, stages });
      if (msg.type === "error") done({ state: "failed", message: `${msg.stage}: ${msg.message}`, stages });
    };
    maker.onerror = (ev) => done({ state: "failed", message: ev.message || "the snapshot worker failed to start" });
    maker.postMessage({ kind: SNAPSHOT, config });
  };
  const resume = () => (maker ? maker.postMessage({ kind: SNAPSHOT, paused: false }) : start());
  const idle = () => {
    clearTimeout(timer);
    if (inFlight === 0) timer = setTimeout(resume, IDLE_MS);
  };
  // Python answers with self.postMessage (looked up at each call): count the responses going out.
  self.postMessage = function (msg, transfer) {
    post0.call(self, msg, transfer);
    if (msg && msg.kind === RESPONSE) {
      inFlight--;
      idle();
    }
  };
  self.onmessage = (ev) => {
    if (ev.data.kind === REQUEST) {
      inFlight++;
      clearTimeout(timer);
      if (maker) maker.postMessage({ kind: SNAPSHOT, paused: true });
    }
    onmessage(ev);
  };
  idle();
}

async function makeSnapshot(config) {
  const t0 = performance.now();
  const source = sources(config);
  const { indexURL, wheel, lock } = source;
  const { loadPyodide } = await runtimeScripts(indexURL);
  const pyodide = await bootPython(loadPyodide, source, numpyFetcher(indexURL, lock).fetchNumpy, true);
  await stage("import", async () => {
    const module = pyodide.pyimport("pyapp.browser.worker");
    module.import_pages(); // a cold boot leaves them to their first call; a restored one has them
    module.destroy();
  });
  const key = await snapshot.snapshotKey(indexURL, await valueOf(lock), await valueOf(wheel));
  const meta = await stage("make", () => snapshot.make(pyodide, key));
  event("snapshot", { state: "stored", heap_bytes: meta.heapBytes, file_bytes: meta.fileBytes, ms: performance.now() - t0 });
}

async function fetchBytes(url) {
  let response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new Error(`cannot fetch ${url} (${err.message})`);
  }
  if (!response.ok) throw new Error(`cannot fetch ${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function fetchText(url) {
  return new TextDecoder().decode(await fetchBytes(url));
}

// numpy's wheel, as the lock file names it, checked against the lock's sha256; fetched by a worker of
// its own (static/fetcher.js), started now, so that it is running when asked (a worker started later
// would wait for this thread, busy starting Python, to load it).
function numpyFetcher(indexURL, lock) {
  const fetcher = new Worker(new URL("./fetcher.js", import.meta.url), { type: "module" });
  const fetchNumpy = async () => {
    const { file_name: name, sha256 } = JSON.parse(await valueOf(lock)).packages.numpy;
    fileName(name, "numpy's wheel");
    const bytes = await new Promise((resolve, reject) => {
      fetcher.onmessage = ({ data }) => (data.error ? reject(new Error(data.error)) : resolve(new Uint8Array(data.bytes)));
      fetcher.onerror = (ev) => reject(new Error(`the fetcher worker failed (${ev.message || "it did not start"})`));
      fetcher.postMessage({ url: indexURL + name });
    }).finally(() => fetcher.terminate());
    return checked(bytes, sha256, name);
  };
  return { fetchNumpy, close: () => fetcher.terminate() };
}

// name, a file name from the lock file: a plain name in the runtime's folder, nothing else.
function fileName(name, what) {
  if (typeof name !== "string" || !/^[\w.+-]+$/.test(name) || name.startsWith(".")) {
    throw new Error(`the lock file names ${what} ${JSON.stringify(name)}`);
  }
  return name;
}

// A promise that never rejects (no unhandled rejection while nobody awaits it yet): {value} or {error}.
const settled = (promise) => promise.then((value) => ({ value }), (error) => ({ error }));
const valueOf = async (result) => { const { value, error } = await result; if (error) throw error; return value; };

// When pyodide.asm.wasm is missing or broken, Pyodide only warns ("wasm instantiation failed!",
// then the reason) and never settles; turn that warning into the stage's failure.
async function failOnWasmWarning(work) {
  const original = console.warn;
  let fail;
  const failed = new Promise((_, reject) => { fail = reject; });
  let failing = false;
  console.warn = (...args) => {
    original(...args);
    const text = args.map(String).join(" ");
    if (failing) fail(new Error(`pyodide.asm.wasm could not be instantiated: ${text}`));
    if (text.includes("wasm instantiation failed")) {
      failing = true;
      setTimeout(() => fail(new Error("pyodide.asm.wasm could not be instantiated")), 100);
    }
  };
  try {
    return await Promise.race([work(), failed]);
  } finally {
    console.warn = original;
  }
}

self.onmessage = (ev) => {
  const msg = ev.data;
  const fail = (err) => event("error", { stage: err.stage || "boot", message: err.message });
  if (msg.kind === BOOT) {
    boot(msg.config).catch(fail);
  } else if (msg.kind === SNAPSHOT && "paused" in msg) {
    pause(msg.paused);
  } else if (msg.kind === SNAPSHOT) {
    makeSnapshot(msg.config).catch(fail);
  } else if (msg.kind === REQUEST) {
    post({ kind: RESPONSE, id: msg.id, ok: false, error: "the runtime is still booting" });
  }
};
