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
  const { loadPyodide } = await stage("runtime-script", () => import(indexURL + "pyodide.mjs").catch((err) => {
    throw new Error(`cannot load ${indexURL}pyodide.mjs (${err.message})`);
  }));
  const pyodide = await stage("runtime", () => failOnWasmWarning(() => loadPyodide({ indexURL })));
  await stage("numpy", () => loadPackageStrict(pyodide, ["numpy", "micropip"]));
  if (!wheelURL) throw Object.assign(new Error("the server has no pyapp wheel to offer (run `make run` to build it)"), { stage: "pyapp" });
  await stage("pyapp", async () => {
    const micropip = pyodide.pyimport("micropip");
    try {
      await micropip.install(wheelURL);
    } catch (err) {
      throw new Error(`cannot install ${wheelURL}: ${lastLine(err.message)}`);
    }
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

const lastLine = (text) => text.trim().split("\n").filter(Boolean).pop();

self.onmessage = (ev) => {
  const msg = ev.data;
  if (msg.kind === BOOT) {
    boot(msg.config).catch((err) => event("error", { stage: err.stage || "boot", message: err.message }));
  } else if (msg.kind === REQUEST) {
    post({ kind: RESPONSE, id: msg.id, ok: false, error: "the runtime is still booting" });
  }
};
