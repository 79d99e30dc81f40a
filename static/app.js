// Page glue: start the worker, show boot progress and errors, expose `window.pyapp` for scripts.
import { sameOrigin } from "./origin.js";
import { WorkerClient } from "./protocol.js";

const STALL_MS = 90000; // no boot stage finishing for this long is reported, never a silent hang
const $ = (id) => document.getElementById(id);

function setStatus(state, text) {
  $("status").dataset.state = state;
  $("status").textContent = text;
  window.pyappState = state;
}

function showError(stage, message) {
  setStatus("error", `Failed at stage “${stage}”`);
  $("error").hidden = false;
  $("error").textContent = `${stage}: ${message}`;
}

// Failures found on the page (not reported by the worker) reach listeners like the worker's do.
function failOnPage(stage, message) {
  showError(stage, message);
  window.dispatchEvent(new CustomEvent("pyapp", { detail: { kind: "event", type: "error", stage, message } }));
}

function stageRow(name) {
  let row = document.querySelector(`#stages tr[data-stage="${name}"]`);
  if (!row) {
    row = document.createElement("tr");
    row.dataset.stage = name;
    row.innerHTML = "<td></td><td>…</td>";
    row.cells[0].textContent = name;
    $("stages").tBodies[0].append(row);
  }
  return row;
}

function showInfo(info) {
  const dl = $("info");
  dl.replaceChildren();
  for (const [key, value] of Object.entries(info)) {
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.textContent = key;
    dd.textContent = value;
    dl.append(dt, dd);
  }
}

// The model section: load a model in the worker with a progress bar; show warnings, timings, errors.
const kB = (n) => (n / 1024).toFixed(0);

function setModelStatus(state, text) {
  $("model-status").dataset.state = state;
  $("model-status").textContent = text;
}

function showProgress(msg) {
  const retrying = msg.state === "retrying"; // a stalled download, aborted and started again
  if (retrying) $("model-warnings").append(Object.assign(document.createElement("li"), { textContent: `${msg.error}: retrying` }));
  $("model-progress").value = msg.total ? Math.min(msg.done / msg.total, 1) : 1;
  const what = retrying ? `retrying ${msg.shard}` : `${msg.shard} from ${msg.source}`;
  $("model-progress-text").textContent = `${kB(msg.done)} / ${kB(msg.total)} kB (${what})`;
}

function showList(list, items) {
  list.replaceChildren(...items.map((text) => Object.assign(document.createElement("li"), { textContent: text })));
}

async function showCache() {
  try {
    const cache = await window.pyapp.call("cache_list");
    $("cache-info").textContent = `Cache: ${cache.models.length} model(s), ${kB(cache.total_bytes)} kB`;
  } catch (err) {
    $("cache-info").textContent = `Cache unavailable (${err.message})`;
  }
}

// options: the worker's other load_model parameters (concurrency, stall_timeout_s)
async function loadModel(url, backend = "cpu", options = {}) {
  setModelStatus("loading", `Loading ${url}…`);
  $("model-error").hidden = true;
  $("model-progress").value = 0;
  showList($("model-warnings"), []);
  $("model-timings").tBodies[0].replaceChildren();
  try {
    const result = await window.pyapp.call("load_model", { ...options, url, backend });
    const { count, from_cache: cached } = result.shards;
    const why = result.choice ? ` (${result.choice})` : "";
    setModelStatus("loaded", `Loaded ${url} on ${result.backend}${why}: ${count} shard(s), ${cached} from the cache`);
    $("model-progress").value = 1;
    showList($("model-warnings"), result.warnings);
    for (const [name, ms] of Object.entries(result.timings)) {
      const row = $("model-timings").tBodies[0].insertRow();
      row.insertCell().textContent = name;
      row.insertCell().textContent = `${ms.toFixed(1)} ms`;
    }
    showCache();
    return result;
  } catch (err) {
    setModelStatus("error", `Failed to load ${url}`);
    $("model-error").hidden = false;
    $("model-error").textContent = err.message;
    throw err;
  }
}

function setupModels(config, params) {
  const select = $("model-select");
  if (params.has("backend")) $("model-backend").value = params.get("backend"); // ?backend=wasm
  for (const [name, url] of Object.entries(config.models || {})) {
    select.add(new Option(name, url, false, name === "selfie")); // the flagship model first
  }
  $("model-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    loadModel(select.value, $("model-backend").value).catch(() => {}); // shown on the page
  });
  $("cache-clear").addEventListener("click", () => window.pyapp.call("cache_clear").then(showCache, showCache));
}

async function start() {
  const params = new URLSearchParams(location.search);
  const config = await (await fetch("/api/config")).json();
  // Query parameters override the server's choice (debugging, and tests of the error paths), with
  // files of this origin only: a refused one stops the page before the worker starts.
  for (const key of ["pyodide", "wheel"]) if (params.has(key)) config[key] = sameOrigin(params.get(key), `?${key}`);
  if (params.get("snapshot") === "0") config.snapshot = false; // boot without the stored memory snapshot

  const stages = {};
  let watchdog;
  const armWatchdog = (stage) => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => failOnPage(stage, `no progress for ${STALL_MS / 1000} s`), STALL_MS);
  };
  const bootStart = performance.now();
  const onEvent = (msg) => {
    if (msg.type === "stage") {
      const row = stageRow(msg.stage);
      if (msg.state === "start") {
        setStatus("loading", `Loading: ${msg.stage}…`);
        armWatchdog(msg.stage);
      } else {
        stages[msg.stage] = msg.ms;
        row.cells[1].textContent = `${msg.ms.toFixed(0)} ms${msg.note ? ` (${msg.note})` : ""}`;
      }
    } else if (msg.type === "ready") {
      clearTimeout(watchdog);
      stages.total = performance.now() - bootStart;
      stageRow("total").cells[1].textContent = `${stages.total.toFixed(0)} ms`;
      showInfo(msg.info);
      window.pyapp.info = msg.info;
      window.pyapp.snapshot = msg.snapshot; // "snapshot restored" / "snapshot skipped: …" / "snapshot failed: …"
      setStatus("ready", `Ready — Python ${msg.info.python}, numpy ${msg.info.numpy}, pyapp ${msg.info.pyapp}`);
      $("model-load").disabled = $("cache-clear").disabled = false;
      showCache();
    } else if (msg.type === "snapshot") {
      window.pyapp.snapshotMade = msg; // for the next visit: stored or failed (made in the background), or not made
    } else if (msg.type === "load-progress") {
      showProgress(msg);
    } else if (msg.type === "error") {
      clearTimeout(watchdog);
      showError(msg.stage, msg.message);
    }
    window.dispatchEvent(new CustomEvent("pyapp", { detail: msg }));
  };

  const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  const client = new WorkerClient(worker, onEvent);
  // transfer: ArrayBuffers that move to the worker with the call (predict's input data), not copied
  const call = (method, params, transfer) => client.call(method, params, transfer);
  window.pyapp = {
    client, config, stages, call, loadModel,
    cache: { list: () => call("cache_list"), delete: (url) => call("cache_delete", { url }), clear: () => call("cache_clear") },
  };
  setupModels(config, params);
  armWatchdog("worker");
  client.boot(config);
}

start().catch((err) => failOnPage("page", err.message));
