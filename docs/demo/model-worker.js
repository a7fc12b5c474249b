// The demo's model lives here, in a module Web Worker, so a forward pass never freezes the page. It imports the
// library's built browser entry (/dist/index.js, as scripts/demo.mjs serves it); the Wasm backend starts its own
// thread workers from in here. Protocol: the page posts { type, id, … }; every reply carries the same id, except
// note { text } (a library warning, shown with the model's details).
//   load    { source: { url } | { files: File[], folder }, options }  → progress*, note*, loaded { info, model, ms }
//   run     { task: "embed" | "classify" | "outliers", texts } → progress*, result { task, …, ms, tokens }
//   cancel  { id }: aborts that run between layers/batches (it then answers error { name: "AbortError" })
import { DIST } from "./paths.js";

const LIB_URL = `${DIST}index.js`;

let lib = null;
let model = null;
const running = new Map(); // run id → AbortController

const post = (msg, transfer = []) => self.postMessage(msg, transfer);

// germ-js reports fallbacks and missing heads once through console.warn: show them in the page too.
const consoleWarn = console.warn.bind(console);
console.warn = (...args) => {
  consoleWarn(...args);
  post({ type: "note", text: args.map(String).join(" ").replace(/^germ-js: /, "") });
};

async function library() {
  if (lib) return lib;
  try {
    lib = await import(LIB_URL);
  } catch (e) {
    const err = new Error(`could not load the library from ${LIB_URL} (${e.message}); build it first: npm run build`);
    err.name = "BackendError";
    throw err;
  }
  return lib;
}

/** Progress messages at most ~10 per second (a download reports every chunk). */
function progressPoster(id) {
  let last = 0;
  return (p) => {
    const now = performance.now();
    if (p.status !== "done" && now - last < 100) return;
    last = now;
    post({ type: "progress", id, file: p.file, loaded: p.loaded, total: p.total, status: p.status });
  };
}

async function load(id, { source, options }) {
  const { GermModel, memorySource } = await library();
  model?.dispose();
  model = null;
  const t0 = performance.now();
  // Picked or dropped File objects: a ModelSource that reads each file only when the loader asks for it.
  const src = source.files
    ? memorySource(new Map(source.files.map((f) => [f.name, f])), source.folder || "local files")
    : source.url;
  const m = await GermModel.fromPretrained(src, { ...options, onProgress: progressPoster(id) });
  const ms = performance.now() - t0;
  model = m;
  const c = m.config;
  const hasClassifier = c.architectures.some((a) => /ForSequenceClassification/.test(a));
  post({
    type: "loaded", id, ms, info: m.info,
    model: {
      location: typeof src === "string" ? src : src.location, dtype: m.dtype, softmax: c.attnSoftmax,
      layers: c.numHiddenLayers, hidden: c.hiddenSize, heads: c.numAttentionHeads, vocab: c.vocabSize,
      architectures: c.architectures, labels: hasClassifier ? c.labels : [], hasClassifier,
    },
  });
}

/** Mean ∞-norm and kurtosis per module over one sequence's tokens (validate_sc.py's numbers for that sequence). */
function sequenceModules(layers) {
  const modules = {};
  layers.forEach((l, j) => {
    for (const kind of ["wo", "layernorm"]) {
      const { infNorm, kurtosis } = l[kind];
      let inf = 0, kurt = 0;
      for (let t = 0; t < infNorm.length; t++) { inf += infNorm[t]; kurt += kurtosis[t]; }
      const n = infNorm.length;
      modules[`bert.encoder.layer.${j}.mlp.${kind}`] = { infNormMean: inf / n, kurtosisMean: kurt / n };
    }
  });
  return modules;
}

// Sequences per call: the library batches 16 at a time and results do not depend on batching, so calling it per
// chunk only adds a progress report between chunks.
const CHUNK = 16;

async function run(id, { task, texts }) {
  if (!model) throw Object.assign(new Error("load a model first"), { name: "InputError" });
  const ctrl = new AbortController();
  running.set(id, ctrl);
  try {
    const tokens = texts.map((t) => model.tokenizer.encode(t).ids.length);
    const t0 = performance.now();
    const out = { type: "result", id, task, tokens };
    const transfer = [];
    if (task === "outliers") {
      post({ type: "progress", id, done: 0, total: texts.length, task });
      const report = await model.outliers(texts, { signal: ctrl.signal });
      out.summary = report.summary;
      out.sequences = report.sequences.map((s) => sequenceModules(s.layers));
    } else if (task === "embed" || task === "classify") {
      const all = [];
      for (let i = 0; i < texts.length; i += CHUNK) {
        post({ type: "progress", id, done: i, total: texts.length, task });
        const part = texts.slice(i, i + CHUNK);
        all.push(...(task === "embed"
          ? await model.embed(part, { pooling: "mean", signal: ctrl.signal })
          : await model.classify(part, { signal: ctrl.signal })));
      }
      if (task === "embed") {
        out.embeddings = all;
        transfer.push(...all.map((e) => e.buffer));
      } else {
        out.classes = all;
        out.labels = model.config.labels;
      }
    } else {
      throw Object.assign(new Error(`unknown task ${JSON.stringify(task)}`), { name: "InputError" });
    }
    out.ms = performance.now() - t0;
    post(out, transfer);
  } finally {
    running.delete(id);
  }
}

self.onmessage = async ({ data: msg }) => {
  if (msg.type === "cancel") {
    running.get(msg.id)?.abort(new DOMException("cancelled", "AbortError"));
    return;
  }
  try {
    if (msg.type === "load") await load(msg.id, msg);
    else if (msg.type === "run") await run(msg.id, msg);
  } catch (e) {
    post({ type: "error", id: msg.id, name: e?.name ?? "Error", message: e?.message ?? String(e) });
  }
};
