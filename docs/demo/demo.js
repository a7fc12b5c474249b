// The demo page: option controls, model and sequence inputs, and the conversation with model-worker.js, which owns
// the model. The page itself imports germ-js only to parse sequences. Tests read window.__germLastResult (the raw
// numbers of the last run) and window.__germModel (what the last load reported).
import { droppedFiles, inputError, modelFiles, prepare, readRecords } from "./sources.js";
import { clearChart, showResult } from "./results.js";
import { DIST } from "./paths.js";

const $ = (id) => document.getElementById(id);
const LIB_URL = `${DIST}index.js`;
let libPromise = null;
/** germ-js in the page (for its sequence parsers), imported on first use. */
const library = () => (libPromise ??= import(LIB_URL).catch((e) => {
  libPromise = null;
  const err = new Error(`could not load ${LIB_URL} (${e.message}); build the library first: npm run build`);
  throw Object.assign(err, { name: "BackendError" });
}));

// ---- options ----
const isolated = globalThis.crossOriginIsolated === true;
const hasWebGpu = "gpu" in navigator;

function setUpOptions() {
  const threads = $("threads");
  if (isolated) {
    const cores = navigator.hardwareConcurrency || 0;
    const max = Math.min(16, Math.max(4, cores));
    threads.add(new Option("auto", ""));
    for (let n = 1; n <= max; n++) threads.add(new Option(String(n), String(n)));
    $("threads-help").textContent = `Cross-origin isolated: Wasm can use threads${cores ? ` (${cores} cores here)` : ""}.`;
  } else {
    threads.add(new Option("1", "1"));
    threads.disabled = true;
    $("threads-help").textContent = "Threads are off: this page is not cross-origin isolated (its server must send " +
      "Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp; npm run demo does).";
  }
  if (!hasWebGpu) {
    const o = $("device").querySelector('option[value="webgpu"]');
    o.disabled = true;
    o.textContent = "WebGPU (not available in this browser)";
  }
  const sync = () => {
    const device = $("device").value;
    const f16 = $("dtype").querySelector('option[value="f16"]');
    f16.disabled = device !== "webgpu";
    if (f16.disabled && $("dtype").value === "f16") $("dtype").value = "f32";
    $("threads").disabled = !isolated || device === "webgpu";
    $("dtype-help").textContent = device === "webgpu" ? "f16 needs the GPU's shader-f16 feature." : "";
  };
  $("device").addEventListener("change", sync);
  sync();
}

function loadOptions() {
  const device = $("device").value;
  const opts = { device, dtype: $("dtype").value };
  if (device !== "webgpu") opts.threads = isolated ? Number($("threads").value) || undefined : 1;
  if ($("softmax").value) opts.attnSoftmax = $("softmax").value;
  return opts;
}

// ---- the worker ----
let worker = null;
let nextId = 1;
const pending = new Map(); // id → { resolve, reject, onProgress }
let modelInfo = null;
let busy = null; // { id, kind: "load" | "run" } while something runs

function startWorker() {
  worker = new Worker(new URL("./model-worker.js", import.meta.url), { type: "module" });
  worker.onmessage = ({ data: m }) => {
    const p = pending.get(m.id);
    if (m.type === "note") return addNote(m.text);
    if (!p) return;
    if (m.type === "progress") return p.onProgress(m);
    pending.delete(m.id);
    if (m.type === "error") p.reject(Object.assign(new Error(m.message), { name: m.name }));
    else p.resolve(m);
  };
  // A worker that cannot start (its module failed to load) or threw outside a request reports here, without an id:
  // what it was doing fails, and a fresh worker takes its place (the model has to be loaded again).
  worker.onerror = (e) => {
    e.preventDefault();
    const err = new Error(`the model worker stopped: ${e.message || "it could not start"}`);
    err.name = "BackendError";
    worker.terminate();
    for (const p of pending.values()) p.reject(err);
    pending.clear();
    modelInfo = null;
    $("model-info").hidden = true;
    startWorker();
    setUpState();
  };
}

function call(msg, onProgress, transfer = []) {
  const id = nextId++;
  busy = { id, kind: msg.type };
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject, onProgress });
    worker.postMessage({ ...msg, id }, transfer);
  }).finally(() => { busy = null; });
}

/** Cancel: a run stops between layers (the model stays loaded); a load has no signal, so its worker is replaced. */
function cancel() {
  if (!busy) return;
  if (busy.kind === "run") return worker.postMessage({ type: "cancel", id: busy.id });
  worker.terminate();
  const p = pending.get(busy.id);
  pending.delete(busy.id);
  p?.reject(Object.assign(new Error("cancelled"), { name: "AbortError" }));
  modelInfo = null;
  startWorker();
}

// ---- status lines ----
const mb = (n) => `${(n / 1e6).toFixed(n < 1e7 ? 2 : 1)} MB`;
const secs = (ms) => (ms < 1000 ? `${Math.max(1, Math.round(ms))} ms` : `${(ms / 1000).toFixed(2)} s`);
const progress = (text) => { $("progress").textContent = text; };

function showError(e) {
  const box = $("error");
  if (!e) { box.hidden = true; box.textContent = ""; return; }
  box.hidden = false;
  box.textContent = e.name === "AbortError" ? "Cancelled." : `${e.name || "Error"}: ${e.message}`;
}

let notes = [];
function addNote(text) {
  notes.push(text);
  const ul = $("model-info").querySelector("ul");
  if (ul) ul.append(Object.assign(document.createElement("li"), { textContent: text }));
}

function showModel(m) {
  const box = $("model-info");
  const { info, model } = m;
  const rows = [
    ["Model", model.location], ["Backend", `${info.backend} (${info.build})`],
    ["Threads", info.backend === "webgpu" ? "– (the GPU runs the kernels)" : String(info.threads)],
    ["Device", info.description], ["Weights", model.dtype],
    ["Architecture", `${model.layers} layers, hidden ${model.hidden}, ${model.heads} heads, ${model.softmax} attention`],
    ["Heads", model.hasClassifier ? `classifier: ${model.labels.join(", ")}` : "no classifier (embed and outliers only)"],
  ];
  const dl = document.createElement("dl");
  for (const [k, v] of rows) dl.append(Object.assign(document.createElement("dt"), { textContent: k }),
    Object.assign(document.createElement("dd"), { textContent: v }));
  const ul = document.createElement("ul");
  for (const t of notes) ul.append(Object.assign(document.createElement("li"), { textContent: t }));
  box.replaceChildren(dl, ul);
  box.hidden = false;
}

function setBusy(on) {
  for (const el of document.querySelectorAll("#model-form input, #model-form select, #model-form button, #seq-file, " +
    "#example, #run-embed, #run-outliers")) el.disabled = on;
  $("cancel").disabled = !on;
  if (!on) {
    setUpState();
  } else {
    $("run-classify").disabled = true;
  }
}

function setUpState() {
  for (const id of ["run-embed", "run-outliers"]) $(id).disabled = !modelInfo;
  $("run-classify").disabled = !modelInfo?.model.hasClassifier;
  $("threads").disabled = !isolated || $("device").value === "webgpu";
  $("dtype").querySelector('option[value="f16"]').disabled = $("device").value !== "webgpu";
}

// ---- load ----
async function load(source) {
  showError(null);
  setBusy(true);
  notes = [];
  $("model-info").hidden = true;
  modelInfo = null;
  window.__germModel = null;
  progress(`Loading ${source.url ?? source.folder}…`);
  try {
    const m = await call({ type: "load", source, options: loadOptions() }, (p) => {
      const size = p.total ? `${mb(p.loaded)} of ${mb(p.total)}` : mb(p.loaded);
      progress(`Loading ${p.file}: ${size}${p.status === "done" ? " (done)" : ""}`);
    });
    modelInfo = m;
    window.__germModel = { info: m.info, model: m.model, loadMs: m.ms };
    showModel(m);
    const n = m.info.threads;
    progress(`Model ready on ${m.info.backend}${m.info.backend === "wasm" ? ` (${n} thread${n === 1 ? "" : "s"})` : ""}.`);
    $("timings").textContent = `Load ${secs(m.ms)}.`;
  } catch (e) {
    progress("No model loaded.");
    showError(e);
  } finally {
    setBusy(false);
  }
}

/** A typed spec stays a hub id unless it is a URL or a path, which is resolved against this page. */
function urlSource(spec) {
  const s = spec.trim();
  if (!s) throw inputError("type a hub id (owner/name) or a URL, or choose a local folder");
  return { url: /^(https?:\/\/|\/|\.\.?\/)/i.test(s) ? new URL(s, location.href).href : s };
}

// ---- run ----
let lastRecords = null;
async function run(task) {
  showError(null);
  setBusy(true);
  const file = $("seq-file").files[0];
  try {
    const lib = await library();
    const records = await readRecords(lib, { text: $("sequences").value, file });
    const { texts, note } = prepare(records, $("upper").checked);
    const n = records.length;
    $("seq-count").textContent = `${n} sequence${n === 1 ? "" : "s"}${file ? ` from ${file.name}` : ""}. ${note}`;
    lastRecords = records;
    const verb = { embed: "Embedding", classify: "Classifying", outliers: "Computing outlier statistics of" }[task];
    progress(`${verb} ${texts.length} sequence${texts.length === 1 ? "" : "s"}…`);
    const onProgress = (p) => progress(`${verb} sequences: ${p.done} of ${p.total} done…`);
    const r = await call({ type: "run", task, texts }, onProgress);
    const tokens = r.tokens.reduce((a, b) => a + b, 0);
    $("timings").textContent = `Load ${secs(modelInfo.ms)} · run ${secs(r.ms)} · ${tokens} tokens · ` +
      `${Math.round(tokens / (Math.max(r.ms, 1) / 1000))} tokens/s on ${modelInfo.info.backend}.`;
    window.__germLastResult = await showResult(r, lastRecords, modelName(modelInfo));
    progress(`Done: ${texts.length} sequence${texts.length === 1 ? "" : "s"}.`);
  } catch (e) {
    progress(e.name === "AbortError" ? "Cancelled." : "Failed.");
    showError(e);
  } finally {
    setBusy(false);
  }
}

/** A short name for the chart legend: the folder or repo name, and the weight format when it is not f32. */
function modelName(m) {
  const base = m.model.location.replace(/\/+$/, "").split("/").pop() || m.model.location;
  return m.model.dtype === "f32" ? base : `${base} (${m.model.dtype})`;
}

// ---- wiring ----
const EXAMPLE = ">readme_example\nACGTAGCATCGGATCTATCTATCGACACTTGGTTATCGATCTACGAGCATCTCGTTAGC\n" +
  ">tata_box\nGCGCTATAAAAGGCGGCGCGCCAATGGCTAGCTAGGCTTACGATCGATCGTACG\n>cpg_island\nCGCGGCGCGCCGCGGCGGCGCGCGCCGCGGCGCGATCG\n";

function wire() {
  $("model-form").addEventListener("submit", (e) => {
    e.preventDefault();
    try { load(urlSource($("model-url").value)); } catch (err) { showError(err); }
  });
  $("model-dir").addEventListener("change", () => {
    try { load(modelFiles($("model-dir").files)); } catch (err) { showError(err); }
  });
  const zone = $("drop-zone");
  // A file dropped anywhere else must not make the browser navigate away from the page.
  for (const t of ["dragover", "drop"]) document.addEventListener(t, (e) => e.preventDefault());
  zone.addEventListener("dragover", () => zone.classList.add("over"));
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", async (e) => {
    zone.classList.remove("over");
    if (busy) return;
    try {
      const { list, folder } = await droppedFiles(e.dataTransfer);
      const src = modelFiles(list);
      load({ ...src, folder: folder || src.folder });
    } catch (err) { showError(err); }
  });
  $("sequences").addEventListener("input", () => { $("seq-file").value = ""; $("seq-count").textContent = ""; });
  $("seq-file").addEventListener("change", () => {
    const f = $("seq-file").files[0];
    $("seq-count").textContent = f ? `Will read ${f.name} (${mb(f.size)}); the text box is ignored while a file is chosen.`
      : "";
  });
  $("example").addEventListener("click", () => {
    $("sequences").value = EXAMPLE;
    $("seq-file").value = "";
    $("seq-count").textContent = "";
  });
  $("run-embed").addEventListener("click", () => run("embed"));
  $("run-classify").addEventListener("click", () => run("classify"));
  $("run-outliers").addEventListener("click", () => run("outliers"));
  $("cancel").addEventListener("click", cancel);
  $("chart-clear").addEventListener("click", clearChart);
}

setUpOptions();
startWorker();
wire();
setUpState();
