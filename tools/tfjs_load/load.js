// Loads a TF.js graph model by URL with TF.js 4.22's own HTTP loader (tf.loadGraphModel: model.json,
// then every shard of its weightsManifest), runs it once and writes each output's raw bytes.
// Usage: node load.js TF_MIN_JS MODEL_URL INPUT.bin DTYPE SHAPE(1,256,256,3) OUT_DIR
// Prints {"tfjs_version", "outputs": [{"name", "dtype", "shape", "file"}]} on stdout.
"use strict";
const fs = require("fs");
const path = require("path");

const TYPED = { float32: Float32Array, int32: Int32Array };

async function main() {
  const [tfPath, url, inputFile, dtype, shapeText, outDir] = process.argv.slice(2);
  const tf = require(path.resolve(tfPath));
  await tf.setBackend("cpu");
  const model = await tf.loadGraphModel(url);
  const bytes = fs.readFileSync(inputFile);
  const data = new TYPED[dtype](bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const result = model.execute(tf.tensor(data, shapeText.split(",").map(Number), dtype));
  const outputs = Array.isArray(result) ? result : [result];
  fs.mkdirSync(outDir, { recursive: true });
  const report = { tfjs_version: tf.version.tfjs, outputs: [] };
  outputs.forEach((t, i) => {
    const file = path.join(outDir, `output_${i}.bin`);
    const values = t.dataSync();
    fs.writeFileSync(file, Buffer.from(values.buffer, values.byteOffset, values.byteLength));
    report.outputs.push({ name: model.outputs[i].name, dtype: t.dtype, shape: t.shape, file });
  });
  process.stdout.write(JSON.stringify(report));
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
