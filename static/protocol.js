// The page <-> worker message protocol, in one place.
//   page -> worker  {kind: "boot", config}                       once, starts the runtime
//   page -> worker  {kind: "request", id, method, params}        a call into Python
//   worker -> page  {kind: "response", id, ok, result | error}   its answer (same id)
//   worker -> page  {kind: "event", type, ...}                   unsolicited news: stage, ready, error, progress,
//                                                                snapshot (for the next visit: stored / failed / not made)
//   worker -> worker {kind: "snapshot", config}                  to the worker's second instance: make a snapshot
// Python (pyapp/browser/worker.py) answers requests and emits events with the same shapes.
export const BOOT = "boot";
export const REQUEST = "request";
export const RESPONSE = "response";
export const EVENT = "event";
export const SNAPSHOT = "snapshot";

export class WorkerClient {
  constructor(worker, onEvent) {
    this.worker = worker;
    this.nextId = 1;
    this.pending = new Map();
    worker.onmessage = (ev) => {
      const msg = ev.data;
      if (msg.kind === RESPONSE) {
        const call = this.pending.get(msg.id);
        if (!call) return;
        this.pending.delete(msg.id);
        msg.ok ? call.resolve(msg.result) : call.reject(new Error(msg.error));
      } else if (msg.kind === EVENT) {
        onEvent(msg);
      }
    };
    worker.onerror = (ev) => onEvent({ kind: EVENT, type: "error", stage: "worker", message: ev.message || "worker failed to start" });
  }

  boot(config) {
    this.worker.postMessage({ kind: BOOT, config });
  }

  call(method, params = {}, transfer = []) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ kind: REQUEST, id, method, params }, transfer);
    });
  }
}
