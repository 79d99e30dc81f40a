// Page glue: start the worker, show boot progress and errors, expose `window.pyapp` for scripts.
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

async function start() {
  const params = new URLSearchParams(location.search);
  const config = await (await fetch("/api/config")).json();
  // Query parameters override the server's choice (debugging, and tests of the error paths).
  for (const key of ["pyodide", "wheel"]) if (params.has(key)) config[key] = params.get(key);

  const stages = {};
  let watchdog;
  const armWatchdog = (stage) => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => showError(stage, `no progress for ${STALL_MS / 1000} s`), STALL_MS);
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
        row.cells[1].textContent = `${msg.ms.toFixed(0)} ms`;
      }
    } else if (msg.type === "ready") {
      clearTimeout(watchdog);
      stages.total = performance.now() - bootStart;
      stageRow("total").cells[1].textContent = `${stages.total.toFixed(0)} ms`;
      showInfo(msg.info);
      window.pyapp.info = msg.info;
      setStatus("ready", `Ready — Python ${msg.info.python}, numpy ${msg.info.numpy}, pyapp ${msg.info.pyapp}`);
    } else if (msg.type === "error") {
      clearTimeout(watchdog);
      showError(msg.stage, msg.message);
    }
    window.dispatchEvent(new CustomEvent("pyapp", { detail: msg }));
  };

  const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  const client = new WorkerClient(worker, onEvent);
  window.pyapp = { client, config, stages, call: (method, params) => client.call(method, params) };
  armWatchdog("worker");
  client.boot(config);
}

start().catch((err) => showError("page", err.message));
