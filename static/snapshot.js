// Repeat visits: the worker's Python restored from a memory snapshot kept in IndexedDB instead of booted.
// The only module that touches Pyodide 0.27.7's private internals: the `_makeSnapshot`/`_loadSnapshot`
// options of loadPyodide and, on `pyodide._module`, Emscripten's dynamic linker and file system.
// A snapshot holds the wasm heap only; what lives outside it is recorded when it is made and redone
// on restore: numpy's shared libraries are instantiated again at the memory and table bases they had
// (their heap data comes from the snapshot), and site-packages is written back to the file system.
// `check` (run on both sides) names any missing internal, so a changed Pyodide falls back to a normal
// boot with a reason instead of failing.

import { sha256 } from "./wheels.js";

const FORMAT = 2; // of what is stored: part of the key
const DB = "pyapp-snapshot";
const STORE = "snapshot";
const INTERNALS = ["loadWebAssemblyModule", "newDSO", "mergeLibSymbols", "LDSO", "wasmTable", "_calloc", "_free", "HEAPU8", "HEAPU32", "FS"];

// What a boot must pass loadPyodide for a snapshot to be made from it (it cannot then serve pages:
// its JS globals are proxies that record paths).
export const MAKE_OPTIONS = { _makeSnapshot: true };

export function check(pyodide) {
  const module = pyodide._module;
  const missing = module ? INTERNALS.filter((name) => !(name in module)) : ["_module"];
  if (typeof pyodide.makeMemorySnapshot !== "function") missing.push("makeMemorySnapshot");
  return missing.length ? `Pyodide ${pyodide.version} lacks ${missing.join(", ")}` : "";
}


// The runtime (its URL carries the served build's hash), every archive it may load (the lock's hashes)
// and the pyapp wheel's bytes: any change makes a stored snapshot stale.
export async function snapshotKey(indexURL, lockText, wheelBytes) {
  const [lock, wheel] = await Promise.all([sha256(new TextEncoder().encode(lockText)), sha256(wheelBytes)]);
  return JSON.stringify({ format: FORMAT, runtime: indexURL, lock, wheel });
}

// Where each shared library C's dlopen loaded was placed (its handle, in the heap, holds the memory
// and table bases), in load order; and the table slots dlsym added for their functions (an import's
// PyInit_*), by library and symbol, which a restore must put back where they were.
function placements(module) {
  const { LDSO, HEAPU32, wasmTable } = module;
  const byName = new Map();
  for (const [key, dso] of Object.entries(LDSO.loadedLibsByHandle)) {
    const handle = Number(key);
    if (handle === 0 || byName.has(dso.name)) continue; // 0: the main module
    byName.set(dso.name, {
      name: dso.name, global: Boolean(dso.global), handle, memoryBase: HEAPU32[(handle + 12) >> 2],
      memorySize: HEAPU32[(handle + 16) >> 2], tableBase: HEAPU32[(handle + 20) >> 2], tableSize: HEAPU32[(handle + 24) >> 2],
    });
  }
  const unplaced = Object.keys(LDSO.loadedLibsByName).filter((name) => name !== "__main__" && !byName.has(name));
  if (unplaced.length) throw new Error(`${unplaced.join(", ")} not loaded by dlopen: where it was placed is unknown`);
  const libraries = [...byName.values()].sort((x, y) => x.tableBase - y.tableBase || x.memoryBase - y.memoryBase);
  // Other slots past the libraries' first (their GOT's functions) come back as they are reloaded.
  const exported = new Map();
  for (const { name } of libraries) {
    for (const [symbol, value] of Object.entries(LDSO.loadedLibsByName[name].exports)) {
      if (typeof value === "function") exported.set(value, { name, symbol });
    }
  }
  const added = [];
  const first = Math.min(wasmTable.length, ...libraries.map((l) => l.tableBase || wasmTable.length));
  for (let slot = first; slot < wasmTable.length; slot++) {
    const f = wasmTable.get(slot);
    if (exported.has(f) && !libraries.some((l) => slot >= l.tableBase && slot < l.tableBase + l.tableSize)) {
      added.push({ slot, ...exported.get(f) });
    }
  }
  return { libraries, added };
}

// Every function table slot by name and arity: a restore must rebuild exactly this table.
function tableSignature(module) {
  const table = module.wasmTable;
  const parts = new Array(table.length);
  for (let i = 0; i < table.length; i++) {
    const f = table.get(i);
    parts[i] = f ? `${f.name}/${f.length}` : "";
  }
  return parts.join(",");
}

function listFiles(FS, folder, out = []) {
  for (const name of FS.readdir(folder)) {
    if (name === "." || name === "..") continue;
    const path = `${folder}/${name}`;
    if (FS.isDir(FS.stat(path).mode)) listFiles(FS, path, out);
    else out.push([path, FS.readFile(path)]);
  }
  return out;
}

// The snapshot of a booted runtime (started with MAKE_OPTIONS), stored under key.
export async function make(pyodide, key) {
  const missing = check(pyodide);
  if (missing) throw new Error(missing);
  const module = pyodide._module;
  // Garbage collected now and the survivors frozen: no collection right after a restore walks
  // objects whose type's code (numpy's) is not instantiated yet.
  pyodide.runPython("import gc; gc.collect(); gc.freeze()");
  const sitePackages = pyodide.runPython("import site; site.getsitepackages()[0]");
  const list = listFiles(module.FS, sitePackages);
  const files = new Uint8Array(list.reduce((n, [, bytes]) => n + bytes.length, 0));
  const index = [];
  let offset = 0;
  for (const [path, bytes] of list) {
    files.set(bytes, offset);
    index.push([path, offset, bytes.length]);
    offset += bytes.length;
  }
  const heap = pyodide.makeMemorySnapshot();
  const meta = { key, ...placements(module), index, table: tableSignature(module), heapBytes: heap.length, fileBytes: files.length };
  await put({ meta, heap, files });
  return meta;
}

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function transaction(mode, work) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const result = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(result.result);
      tx.onerror = tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

// meta and data apart, so that checking the key reads a few kB, not the whole snapshot.
async function put({ meta, heap, files }) {
  await transaction("readwrite", (store) => {
    store.put({ heap, files }, "data");
    return store.put(meta, "meta");
  });
}

export const discard = () => transaction("readwrite", (store) => store.clear());

// The stored snapshot's meta (its key says what it was made for) and a promise of its data (read
// while the key is checked), else why there is none.
export async function stored() {
  const meta = await transaction("readonly", (store) => store.get("meta"));
  if (!meta) return { reason: "none stored yet" };
  const data = transaction("readonly", (store) => store.get("data")).then(compileLibraries(meta));
  data.catch(() => {}); // awaited by restore, if it comes to that
  return { meta, data };
}

// Starts compiling the shared libraries (in the background) as soon as their bytes are read.
const compileLibraries = (meta) => (data) => {
  if (!data || data.heap.length !== meta.heapBytes || data.files.length !== meta.fileBytes) {
    throw new Error("the stored snapshot is incomplete");
  }
  const where = new Map(meta.index.map(([path, offset, length]) => [path, [offset, offset + length]]));
  const compiled = meta.libraries.map(({ name }) => WebAssembly.compile(data.files.subarray(...where.get(name))));
  return { ...data, compiled };
};

// A runtime restored from a stored snapshot, its libraries and files as they were.
export async function restore(loadPyodide, indexURL, { meta, data }) {
  // loadPyodide awaits the heap after it has run pyodide.asm.js
  const pyodide = await loadPyodide({ indexURL, _loadSnapshot: data.then((d) => d.heap) });
  const record = await data;
  record.heap = null; // copied into the runtime's memory: 30 MB the worker need not keep
  const { files, compiled } = record;
  const missing = check(pyodide);
  if (missing) throw new Error(missing);
  const module = pyodide._module;
  const { FS } = module;
  for (const [path, offset, length] of meta.index) {
    FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
    FS.writeFile(path, files.subarray(offset, offset + length), { canOwn: true });
  }
  for (const [i, library] of meta.libraries.entries()) await reload(module, library, await compiled[i]);
  for (const { slot, name, symbol } of meta.added) {
    if (slot >= module.wasmTable.length) module.wasmTable.grow(slot + 1 - module.wasmTable.length);
    module.wasmTable.set(slot, module.LDSO.loadedLibsByName[name].exports[symbol]);
  }
  if (tableSignature(module) !== meta.table) throw new Error("the function table differs from the snapshot's");
  return pyodide;
}

// Instantiates a shared library again at its recorded bases (a handle marked "loaded" makes Emscripten
// reuse them) and registers it as loaded, under the handle C's dlopen gave it (in the restored heap)
// if any; its memory keeps the snapshot's bytes, not a fresh copy.
async function reload(module, { name, global, handle, memoryBase, memorySize, tableBase }, compiled) {
  const placement = module._calloc(40, 1);
  module.HEAPU8[placement + 8] = 1;
  module.HEAPU32[(placement + 12) >> 2] = memoryBase;
  module.HEAPU32[(placement + 20) >> 2] = tableBase;
  const saved = module.HEAPU8.slice(memoryBase, memoryBase + memorySize);
  try {
    const exports = await module.loadWebAssemblyModule(compiled, {
      loadAsync: true, nodelete: true, allowUndefined: true, global,
    }, name, global ? null : {}, placement);
    const dso = module.newDSO(name, handle ?? undefined, exports);
    dso.global = global;
    if (global) module.mergeLibSymbols(exports, name);
  } finally {
    module.HEAPU8.set(saved, memoryBase); // data segments and constructors ran again over it
    module._free(placement);
  }
}
