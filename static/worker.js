// Boots Pyodide, loads numpy, installs the pyapp wheel, then hands every request to Python.
// Glue only: each stage is timed and reported; any failure names its stage.
import { sameOrigin } from "./origin.js";
import { BOOT, EVENT, REQUEST, RESPONSE } from "./protocol.js";

const post = (msg) => self.postMessage(msg);
const event = (type, fields) => post({ kind: EVENT, type, ...fields });

async function stage(name, work) {
  event("stage", { stage: name, state: "start" });
  const t0 = performance.now();
  try {
    const result = await work();
    event("stage", { stage: name, state: "done", ms: performance.now() - t0 });
    return result;
  } catch (err) {
    const message = err && err.message ? err.message : String(err);
    throw Object.assign(new Error(message), { stage: name });
  }
}

async function boot(config) {
  // The page's config names the runtime and the wheel (this origin's files only); whether the test
  // hooks are on, the server alone says, so no script on the page can turn them on.
  const server = fetch("/api/config").then((r) => r.json());
  const indexURL = sameOrigin(config.pyodide, "pyodide");
  const wheelURL = config.wheel && sameOrigin(config.wheel, "wheel");
  if (!wheelURL) throw Object.assign(new Error("the server has no pyapp wheel to offer (run `make run` to build it)"), { stage: "pyapp" });
  // Downloads that need no runtime start now, so they overlap its download and start-up.
  const wheel = settled(fetchBytes(wheelURL));
  const numpyCached = settled(prefetchLocked(indexURL, "numpy"));
  const { loadPyodide } = await stage("runtime-script", () => import(indexURL + "pyodide.mjs").catch((err) => {
    throw new Error(`cannot load ${indexURL}pyodide.mjs (${err.message})`);
  }));
  const pyodide = await stage("runtime", () => failOnWasmWarning(() => loadPyodide({ indexURL })));
  await stage("numpy", async () => {
    await numpyCached; // a failed prefetch only costs time: loadPackage fetches and reports for itself
    await loadPackageStrict(pyodide, ["numpy"]);
  });
  await stage("pyapp", async () => {
    const bytes = await wheel.then((r) => r.value ?? Promise.reject(r.error));
    // pyapp is pure Python and its dependencies are loaded: unpacking the wheel is the install.
    const sitePackages = pyodide.runPython("import sysconfig; sysconfig.get_path('purelib')");
    pyodide.unpackArchive(bytes, "zip", { extractDir: sitePackages });
    pyodide.runPython("import importlib; importlib.invalidate_caches()");
  });
  const worker = await stage("import", async () => {
    const module = pyodide.pyimport("pyapp.browser.worker");
    if ((await server).test_hooks) module.enable_test_hooks();
    return module;
  });
  // From here on Python answers: it posts responses and events itself.
  self.onmessage = (ev) => {
    if (ev.data.kind === REQUEST) worker.on_request(ev.data);
  };
  event("ready", { info: worker.info().toJs({ dict_converter: Object.fromEntries }) });
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

// A locked package's wheel read once into the HTTP cache (served immutable), where loadPackage's own
// fetch finds it; its URL comes from the lock file, which loadPyodide reads (from cache) too.
async function prefetchLocked(indexURL, name) {
  const lock = await (await fetch(indexURL + "pyodide-lock.json")).json();
  await fetchBytes(indexURL + lock.packages[name].file_name);
}

// A promise that never rejects (no unhandled rejection while nobody awaits it yet): {value} or {error}.
const settled = (promise) => promise.then((value) => ({ value }), (error) => ({ error }));

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

// loadPackage reports failures through its error callback and resolves anyway; make them fatal.
async function loadPackageStrict(pyodide, names) {
  const errors = [];
  await pyodide.loadPackage(names, { messageCallback: () => {}, errorCallback: (m) => errors.push(m) });
  if (errors.length) throw new Error(errors.join("; "));
}

self.onmessage = (ev) => {
  const msg = ev.data;
  if (msg.kind === BOOT) {
    boot(msg.config).catch((err) => event("error", { stage: err.stage || "boot", message: err.message }));
  } else if (msg.kind === REQUEST) {
    post({ kind: RESPONSE, id: msg.id, ok: false, error: "the runtime is still booting" });
  }
};
