// Runs a TF.js graph model on .npy inputs with the CPU backend and writes every output as .npy.
// Usage: node tfjs_run.js JOB.json REPORT.json [--bench N]
// JOB.json: {"tfjs": "path/tf.min.js", "model": "m/model.json", "cases": [{"input": "in.npy", "outdir": "dir"}]}
// (outdir optional; relative paths are relative to the working directory). REPORT.json gets the TF.js version, backend, the model's input specs and output names
// (model.outputs order = output_<i>.npy), and with --bench the median milliseconds of execute + download
// over N runs per case after warm-up.
"use strict";
const fs = require("fs");
const path = require("path");

const DTYPES = { "<f4": ["float32", Float32Array], "<i4": ["int32", Int32Array] };
const NPY_MAGIC = "\x93NUMPY";
const WARMUP = 3; // bench runs discarded before timing (first-run kernel setup, JIT)

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString("latin1", 0, 6) !== NPY_MAGIC) throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString("latin1", start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: fortran order not supported`);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(",").filter((s) => s.trim()).map(Number);
  if (!(descr in DTYPES)) throw new Error(`${file}: dtype ${descr} not supported`);
  const [dtype, Typed] = DTYPES[descr];
  const body = buf.subarray(start + headerLen);
  const data = new Typed(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
  return { dtype, shape, data };
}

function writeNpy(file, dtype, shape, data) {
  const descr = Object.keys(DTYPES).find((k) => DTYPES[k][0] === dtype);
  if (!descr) throw new Error(`${file}: dtype ${dtype} not supported`);
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  const total = 10 + header.length + 1;
  header += " ".repeat((64 - (total % 64)) % 64) + "\n";
  const pre = Buffer.alloc(10);
  pre.write(NPY_MAGIC, 0, "latin1");
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, "latin1"), body]));
}

// Loads model.json and its shards from disk, shards concatenated in manifest order.
function fileHandler(modelJson) {
  return {
    load: async () => {
      const json = JSON.parse(fs.readFileSync(modelJson, "utf8"));
      const dir = path.dirname(modelJson);
      const specs = [];
      const shards = [];
      for (const group of json.weightsManifest) {
        specs.push(...group.weights);
        for (const p of group.paths) shards.push(fs.readFileSync(path.join(dir, p)));
      }
      const all = Buffer.concat(shards);
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        signature: json.signature,
        userDefinedMetadata: json.userDefinedMetadata,
        modelInitializer: json.modelInitializer,
        weightSpecs: specs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      };
    },
  };
}

function run(tf, model, input) {
  const x = tf.tensor(input.data, input.shape, input.dtype);
  const out = model.execute(x);
  x.dispose();
  return Array.isArray(out) ? out : [out];
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main() {
  const [jobFile, reportFile, flag, n] = process.argv.slice(2);
  const benchRuns = flag === "--bench" ? Number(n) : 0;
  const job = JSON.parse(fs.readFileSync(jobFile, "utf8"));
  const tf = require(path.resolve(job.tfjs));
  await tf.setBackend("cpu");
  await tf.ready();
  const model = await tf.loadGraphModel(fileHandler(job.model));
  const report = {
    tfjs_version: tf.version.tfjs,
    backend: tf.getBackend(),
    input: model.inputs.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape })),
    outputs: model.outputs.map((t) => t.name),
  };
  const times = [];
  for (const c of job.cases) {
    const input = readNpy(c.input);
    const outs = run(tf, model, input);
    if (c.outdir) {
      fs.mkdirSync(c.outdir, { recursive: true });
      outs.forEach((t, i) => writeNpy(path.join(c.outdir, `output_${i}.npy`), t.dtype, t.shape, t.dataSync()));
    }
    tf.dispose(outs);
    for (let i = 0; i < (benchRuns ? WARMUP + benchRuns : 0); i++) {
      const t0 = process.hrtime.bigint();
      const res = run(tf, model, input);
      res.forEach((t) => t.dataSync());
      if (i >= WARMUP) times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      tf.dispose(res);
    }
  }
  if (benchRuns) report.median_ms = median(times);
  fs.writeFileSync(reportFile, JSON.stringify(report, null, 1));
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
