// TF.js 4.22 as a benchmark engine: one backend, one graph model, predictions read back to the CPU.
// bench.js imports it to run TF.js on the main thread; started as a module worker it answers the
// same calls over the pyapp message protocol (static/protocol.js), so both placements run this code.
import { sameOrigin } from "./origin.js";
import { REQUEST, RESPONSE } from "./protocol.js";

let tf;
let model;
let execute; // model.execute, or executeAsync for models with dynamic ops

// Loads the TF.js scripts (UMD bundles: they set globalThis.tf) and makes `backend` current.
export async function start({ tfjs: folder, backend }) {
  const tfjs = sameOrigin(folder, "tfjs"); // the page checked it too; this worker trusts no caller
  // The bundle's regenerator polyfill assigns the global `regeneratorRuntime`; imported as a module
  // (strict mode) that throws unless the global exists, and its fallback, Function(...), is JS eval,
  // which our Content-Security-Policy refuses.
  globalThis.regeneratorRuntime ??= undefined;
  await import(tfjs + "tf.min.js");
  tf = globalThis.tf;
  if (backend === "wasm") {
    await import(tfjs + "tf-backend-wasm.min.js");
    tf.wasm.setWasmPaths(tfjs);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend ${backend} did not initialize`);
  await tf.ready();
  return facts();
}

function facts() {
  const env = tf.env();
  const flags = ["WEBGL_VERSION", "WEBGL_PACK", "WEBGL_RENDER_FLOAT32_ENABLED", "WASM_HAS_SIMD_SUPPORT",
    "WASM_HAS_MULTITHREAD_SUPPORT"].filter((f) => f in env.flags);
  const out = { version: tf.version.tfjs, backend: tf.getBackend(), crossOriginIsolated: self.crossOriginIsolated };
  for (const f of flags) out[f] = env.flags[f];
  if (tf.getBackend() === "wasm") out.wasmThreads = tf.wasm.getThreadsCount();
  return out;
}

// Fetch (model.json + shards over HTTP) and weight decode/upload are timed apart.
export async function load({ url }) {
  const t0 = performance.now();
  const artifacts = await tf.io.http(url).load();
  const t1 = performance.now();
  model = await tf.loadGraphModel(tf.io.fromMemory(artifacts));
  execute = null;
  return { fetch: t1 - t0, weights: performance.now() - t1 };
}

// The first call finds out whether the model needs executeAsync (dynamic ops); later calls go straight there.
async function run(x) {
  if (execute) return execute(x);
  try {
    const out = model.execute(x);
    execute = (t) => model.execute(t);
    return out;
  } catch (err) {
    if (!/executeAsync/.test(err.message)) throw err;
    execute = (t) => model.executeAsync(t);
    return execute(x);
  }
}

export async function predict({ input }) {
  const x = tf.tensor(input.data, input.shape, input.dtype);
  try {
    const out = [].concat(await run(x));
    const data = await Promise.all(out.map((t) => t.data()));
    const outputs = out.map((t, i) => ({ name: model.outputNodes[i], shape: t.shape, dtype: t.dtype, data: data[i] }));
    tf.dispose(out);
    return { outputs };
  } finally {
    x.dispose();
  }
}

// Bytes held by TF.js tensors and, for wasm, the size of the wasm heap and whether its threads share it.
export function memory() {
  const heap = tf.backend().wasm && tf.backend().wasm.HEAPU8;
  return {
    tensor_bytes: tf.memory().numBytes, wasm_bytes: heap ? heap.length : null,
    wasm_shared: Boolean(heap) && heap.buffer.constructor.name === "SharedArrayBuffer",
  };
}

const METHODS = { start, load, predict, memory };

if (typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope) {
  self.onmessage = async ({ data: msg }) => {
    if (msg.kind !== REQUEST) return;
    try {
      const result = await METHODS[msg.method](msg.params);
      const transfer = (result && result.outputs || []).map((o) => o.data.buffer);
      self.postMessage({ kind: RESPONSE, id: msg.id, ok: true, result }, transfer);
    } catch (err) {
      self.postMessage({ kind: RESPONSE, id: msg.id, ok: false, error: String(err && err.message || err) });
    }
  };
}
