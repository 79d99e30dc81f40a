// Demo page glue: camera, controls, the frame pump and the display. Segmentation and compositing
// happen in Python in the worker (pyapp/browser/demo.py); this file only moves frames and shows them,
// and in faces mode draws the faces the worker found over the frame.
import { WorkerClient } from "./protocol.js";
import { drawFaces as drawFaceMarks, markScale } from "./marks.js";

const $ = (id) => document.getElementById(id);
const BACKGROUNDS = ["sunset", "ocean", "studio", "bokeh"];
const OPTION_INPUTS = { model: "value", backend: "value", resolution: "value", blur: "number", colour: "value",
  opacity: "number", threshold: "number", softness: "number", smoothing: "number", flip: "checked" };

const state = {
  client: null, started: false, source: null, stream: null, busy: false, dropped: 0,
  cameraFrames: [], cameraSize: "–", segFrames: [], image: null, downloads: [],
};

// One status line over the view: boot and model-load progress, errors; empty hides it.
function say(text, progress) {
  $("message").textContent = text;
  $("notice").hidden = !text;
  $("progress").hidden = progress === undefined;
  if (progress !== undefined) $("progress").value = progress;
}

function options() {
  const out = { effect: document.querySelector("input[name=effect]:checked").value };
  for (const [id, kind] of Object.entries(OPTION_INPUTS)) {
    const el = $(id);
    out[id] = kind === "number" ? Number(el.value) : el[kind];
  }
  return out;
}

function showEffectControls() {
  const effect = options().effect;
  for (const el of document.querySelectorAll("[data-effect]")) el.hidden = el.dataset.effect !== effect;
  for (const el of document.querySelectorAll("[data-mode]")) el.hidden = el.dataset.mode !== mode();
  if (mode() !== "faces") clearMarks();
}

const mode = () => $("mode").value;

function clearMarks() {
  const canvas = $("marks");
  canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
}

// Faces mode: each face's box, its six keypoints and its score, in the shown frame's pixels.
function drawFaces(result) {
  const canvas = $("marks");
  if (canvas.width !== result.width || canvas.height !== result.height) {
    canvas.width = result.width;
    canvas.height = result.height;
  }
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  drawFaceMarks(ctx, result.faces, markScale(canvas));
  setText("faces-found", String(result.faces.length));
  setText("decode-ms", `${result.timings.decode.toFixed(2)} ms`);
  setText("backend-active", result.backend);
  window.demo.faces = result;
  window.demo.facesDrawn++;
}

function showStats(stats) {
  const faces = mode() === "faces" && window.demo.faces;  // the face detector's backend, not segmentation's
  const [backend, reason] = faces ? [faces.backend, faces.reason] : [stats.backend, stats.reason];
  setText("backend-active", backend);
  setText("reason", [`Backend: ${backend} — ${reason}`, ...stats.warnings].join(" · "));
  if (stats.inference_ms != null) setText("inference-ms", `${stats.inference_ms.toFixed(0)} ms`);
  window.demo.stats = stats;
}

// Rates over the last second, from timestamps.
function rate(times) {
  const now = performance.now();
  while (times.length && now - times[0] > 1000) times.shift();
  return times.length;
}

// Text is written only when it changes: no style or paint work for the same numbers.
function setText(id, text) {
  if ($(id).textContent !== text) $(id).textContent = text;
}

function showRates() {
  setText("camera-fps", state.source ? `${rate(state.cameraFrames)} fps` : "–");
  setText("frame-size", state.cameraSize);
  setText("seg-fps", `${rate(state.segFrames)} fps`);
  setText("dropped", String(state.dropped));
  window.demo.cameraFps = rate(state.cameraFrames);
  window.demo.segFps = rate(state.segFrames);
  window.demo.dropped = state.dropped;
}

function display(bitmap) {
  const canvas = $("output");
  if (canvas.width !== bitmap.width || canvas.height !== bitmap.height) {
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    $("view").style.aspectRatio = `${bitmap.width} / ${bitmap.height}`;  // 4:3, 16:9, a photo's own
  }
  canvas.getContext("bitmaprenderer").transferFromImageBitmap(bitmap);
  $("view").classList.add("live");
  window.demo.frames++;
}

// Frames: the newest one goes to the worker (transferred) only when it has finished the previous
// one; the others are dropped and counted, so nothing ever queues up. The worker scales each frame to
// the processing size itself, off this thread.
function arrived(width, height) {
  state.cameraFrames.push(performance.now());
  state.cameraSize = `${width}×${height}`;
  if (state.busy) {
    state.dropped++;
    return false;
  }
  return (state.busy = true);
}

// On two cores or fewer a worker busy all the time takes the CPU the page needs to draw: there it
// rests for this share of each frame's time before it takes the next frame.
const REST = navigator.hardwareConcurrency <= 2 ? 1 : 0;

async function send(frame) {
  let rest = 0;
  try {
    const f = await frame;
    const faces = mode() === "faces";
    const result = await state.client.call(faces ? "demo_faces" : "demo_frame", { frame: f }, [f]);
    if (faces && mode() === "faces") drawFaces(result);
    state.segFrames.push(performance.now());
    window.demo.lastFrame = result;
    rest = result.ms * REST;
  } catch (err) {
    say(`Frame failed: ${err.message}`);
  } finally {
    setTimeout(() => { state.busy = false; }, rest);
  }
}

// VideoFrames straight from the track: no decoding or scaling on this thread.
async function readTrack(track, source) {
  const reader = new MediaStreamTrackProcessor({ track }).readable.getReader();
  while (state.source === source) {
    const { value: frame, done } = await reader.read();
    if (done) break;
    if (arrived(frame.displayWidth, frame.displayHeight)) send(frame);
    else frame.close();
  }
  reader.cancel();
}

// Without MediaStreamTrackProcessor: a <video>, read once per new frame.
function readVideo(source) {
  if (state.source !== source) return;
  const video = source.video;
  video.requestVideoFrameCallback(() => readVideo(source));
  if (arrived(video.videoWidth, video.videoHeight)) send(createImageBitmap(video));
}

// source: {track, video, stop()}; the track is read where the browser can, else the video.
function playSource(source) {
  state.source = source;
  state.cameraFrames = [];
  state.cameraSize = "–";
  $("overlay").hidden = false;
  $("downloads").hidden = true;
  if (window.MediaStreamTrackProcessor && source.track) readTrack(source.track, source);
  else readVideo(source);
}

async function videoOf(attributes) {
  const video = Object.assign(document.createElement("video"), { muted: true, playsInline: true, ...attributes });
  await video.play();
  return video;
}

function cameraMessage(err) {
  if (!navigator.mediaDevices) return "The camera needs a secure page (https or localhost).";
  if (err.name === "NotAllowedError") return "Camera permission was denied. Allow the camera for this site, or use a photo or video file instead (below).";
  if (err.name === "NotFoundError" || err.name === "OverconstrainedError") return "No camera was found. Connect one, or use a photo or video file instead (below).";
  if (err.name === "NotReadableError") return "The camera is in use by another program. Close it, or use a photo or video file instead.";
  return `The camera could not start (${err.name}: ${err.message}).`;
}

async function startCamera() {
  stopSource();
  const [width, height] = $("camera-size").value.split("x").map(Number);
  const deviceId = $("camera-picker").value;
  $("camera-error").hidden = true;
  try {
    if (!navigator.mediaDevices) throw new Error("no mediaDevices");
    state.stream = await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: width }, height: { ideal: height }, ...(deviceId ? { deviceId: { exact: deviceId } } : {}) },
      audio: false,
    });
  } catch (err) {
    $("camera-error").textContent = cameraMessage(err);
    $("camera-error").hidden = false;
    window.demo.cameraError = err.name || "Error";
    return;
  }
  await listCameras();
  const [track] = state.stream.getVideoTracks();
  const video = window.MediaStreamTrackProcessor ? null : await videoOf({ srcObject: state.stream });
  $("camera-toggle").textContent = "Stop camera";
  playSource({ track, video, stop: () => track.stop() });
}

function stopSource() {
  if (state.source) state.source.stop();
  state.source = null;
  state.stream = null;
  $("camera-toggle").textContent = "Start camera";
}

async function listCameras() {
  const cameras = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === "videoinput");
  const picker = $("camera-picker");
  const current = state.stream && state.stream.getVideoTracks()[0].getSettings().deviceId;
  picker.replaceChildren(...cameras.map((c, i) => new Option(c.label || `Camera ${i + 1}`, c.deviceId, false, c.deviceId === current)));
  picker.hidden = cameras.length < 2;
}

// Single-image mode: the composite is shown, the composite and the mask offered as PNGs.
async function segmentImage(file) {
  stopSource();
  const bitmap = await createImageBitmap(file);
  state.image = file;
  if (mode() === "faces") {
    say("Finding faces…");
    drawFaces(await state.client.call("demo_faces", { frame: bitmap }, [bitmap]));
    $("overlay").hidden = true;
    say("");
    return;
  }
  say("Segmenting…");
  const result = await state.client.call("demo_image", { image: bitmap }, [bitmap]);
  for (const url of state.downloads) URL.revokeObjectURL(url);
  state.downloads = [URL.createObjectURL(result.composite), URL.createObjectURL(result.mask)];
  $("download-composite").href = state.downloads[0];
  $("download-mask").href = state.downloads[1];
  $("downloads").hidden = false;
  $("overlay").hidden = true;
  display(await createImageBitmap(result.composite));
  say("");
  window.demo.image = result;
  showStats(await state.client.call("demo_stats"));
}

async function useFile(file) {
  if (!file) return;
  if (file.type.startsWith("video/")) {
    stopSource();
    const video = await videoOf({ loop: true, src: URL.createObjectURL(file) });
    const [track] = video.captureStream().getVideoTracks();
    playSource({ track, video, stop: () => video.pause() });
  } else {
    await segmentImage(file);
  }
}

async function setBackground(source) {
  const bitmap = await createImageBitmap(source);
  await state.client.call("demo_background", { image: bitmap }, [bitmap]);
}

function backgroundPicker() {
  const box = $("backgrounds");
  for (const name of BACKGROUNDS) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "thumb";
    button.title = name;
    button.style.backgroundImage = `url(/backgrounds/${name}.png)`;
    button.onclick = async () => {
      for (const b of box.querySelectorAll(".thumb")) b.classList.toggle("selected", b === button);
      await setBackground(await (await fetch(`/backgrounds/${name}.png`)).blob());
    };
    box.insertBefore(button, box.lastElementChild);
  }
  $("background-file").onchange = async (ev) => {
    if (ev.target.files[0]) await setBackground(ev.target.files[0]);
  };
  return box.querySelector(".thumb");
}

// Every control change goes to the worker at once; model or backend changes may load and probe.
async function applyOptions() {
  showEffectControls();
  if (!state.started) return;
  const model = options().model;
  try {
    showStats(await state.client.call("demo_options", options()));
    say("");
    if (state.image && !state.source) await segmentImage(state.image);
  } catch (err) {
    say(`Could not apply the options: ${err.message}`);
  }
  window.demo.applied = model;
}

function onEvent(msg) {
  if (msg.type === "demo-frame") {
    display(msg.bitmap);
  } else if (msg.type === "load-progress") {
    say(`Downloading the model… ${(msg.done / 1e6).toFixed(1)} of ${(msg.total / 1e6).toFixed(1)} MB`, msg.total ? msg.done / msg.total : undefined);
  } else if (msg.type === "demo-progress") {
    say(`Model ${msg.model}: ${msg.stage}…`, msg.total ? msg.done / msg.total : undefined);
    if (msg.model === "blazeface" && msg.done === msg.total) say("");  // faces mode: loaded by a frame, no call to clear it
  } else if (msg.type === "stage") {
    if (msg.state === "start") say(`Starting Python: ${msg.stage}…`);
  } else if (msg.type === "error") {
    say(`Python failed to start at “${msg.stage}”: ${msg.message}`);
    window.demo.state = "error";
  }
  if (msg.type === "ready") ready();
}

async function ready() {
  const models = window.demo.config.models;
  say("Loading the model…");
  try {
    const stats = await state.client.call("demo_start", { models, options: options() });
    state.started = true;
    showStats(stats);
  } catch (err) {
    say(`The model could not load: ${err.message}`);
    window.demo.state = "error";
    return;
  }
  await firstBackground.onclick();
  say("");
  $("hint").hidden = false;
  for (const id of ["camera-toggle", "image-file"]) $(id).disabled = false;
  window.demo.state = "ready";
}

let firstBackground;

async function start() {
  const config = await (await fetch("/api/config")).json();
  const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  state.client = new WorkerClient(worker, onEvent);
  window.demo = { config, state: "loading", frames: 0, facesDrawn: 0, call: (m, p) => state.client.call(m, p) };
  firstBackground = backgroundPicker();
  showEffectControls();
  $("controls").addEventListener("input", (ev) => { if (ev.target.type !== "file") applyOptions(); });
  $("camera-size").onchange = () => { if (state.stream) { stopSource(); startCamera(); } };
  $("controls").addEventListener("submit", (ev) => ev.preventDefault());
  $("camera-toggle").onclick = () => (state.stream ? stopSource() : startCamera());
  $("camera-picker").onchange = () => { stopSource(); startCamera(); };
  $("image-file").onchange = (ev) => useFile(ev.target.files[0]);
  const drop = $("drop");
  drop.ondragover = (ev) => { ev.preventDefault(); drop.classList.add("over"); };
  drop.ondragleave = () => drop.classList.remove("over");
  drop.ondrop = (ev) => { ev.preventDefault(); drop.classList.remove("over"); useFile(ev.dataTransfer.files[0]); };
  setInterval(showRates, 250);
  setInterval(async () => { if (state.source && window.demo.state === "ready") showStats(await state.client.call("demo_stats")); }, 1000);
  state.client.boot(config);
}

start().catch((err) => say(`The page failed to start: ${err.message}`));
